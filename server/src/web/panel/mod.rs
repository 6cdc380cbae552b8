//! The panel's HTTP side: tickets that open it (`POST /miro/panel/tickets`)
//! and the page a ticket opens (`page`). The service behind its server
//! functions is `crate::panel`.

pub mod page;
pub mod tickets;
