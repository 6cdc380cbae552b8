//! The detail view's service: who may use a card (`access`), the sessions
//! a redeemed ticket turns into, and the service behind the page and the
//! `save_card` server function. Its HTTP side (tickets, the page, connect)
//! is `crate::web::detail`.

pub mod access;
mod service;
pub mod session;

pub use service::{Detail, PUSH_DEADLINE};
