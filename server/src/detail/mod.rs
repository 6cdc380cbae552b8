//! The detail view's server side: tickets that open a card's view
//! (`POST /miro/tickets`), the page a ticket opens (`page`), connecting a
//! disconnected card (`POST /miro/cards/connect`), the sessions a redeemed
//! ticket turns into, and the service behind the page and the `save_card`
//! server function.

pub mod access;
pub mod connect;
pub mod page;
mod service;
pub mod session;
pub mod tickets;

pub use service::{Detail, PUSH_DEADLINE};
