//! The server side of the app, in layers, each using only those below it:
//! the command line and the start (`cli`, `run`, `background`,
//! `sandbox_install`); the HTTP edge (`web`: the router and every handler);
//! the services behind it (`detail`, `panel`); the state they share
//! (`state`); and below that the configuration, the sync engine, the store
//! and the small parts the state holds.

// The detail view's component tree is deep; release builds (without
// `erase_components`) need more than the default type depth for it.
#![recursion_limit = "256"]

mod background;
pub mod board_access;
pub mod cli;
pub mod client_address;
pub mod clock;
pub mod config;
pub mod detail;
mod discovery;
mod error;
pub mod ids;
pub mod log_throttle;
pub mod panel;
pub mod rate_limit;
pub mod run;
#[cfg(feature = "sandbox")]
pub mod sandbox_install;
mod signed;
pub mod site;
pub mod state;
pub mod store;
pub mod sync;
pub mod teams;
pub mod telemetry;
pub mod web;

pub use error::ServerError;
/// The Miro client (its own crate: it shares nothing with the sandbox).
pub use miro;
/// The stand-in for Miro, in builds with the `sandbox` feature (the
/// default).
#[cfg(feature = "sandbox")]
pub use sandbox;
