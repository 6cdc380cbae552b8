//! The detail view's server side: tickets that open a card's view
//! (`POST /miro/tickets`), connecting a disconnected card
//! (`POST /miro/cards/connect`), the sessions a redeemed ticket turns into, and
//! the service behind the `open_card` and `save_card` server functions.

pub mod access;
pub mod connect;
mod service;
pub mod session;
pub mod tickets;

pub use service::{Detail, PUSH_DEADLINE};
