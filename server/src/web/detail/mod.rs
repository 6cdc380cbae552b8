//! The detail view's HTTP side: tickets that open a card's view
//! (`POST /miro/tickets`), the page a ticket opens (`page`), and connecting
//! a disconnected card (`POST /miro/cards/connect`). The service behind the
//! page is `crate::detail`.

pub mod connect;
pub mod page;
pub mod tickets;
