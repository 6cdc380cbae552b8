//! The HTTP edge: the router and everything that takes a request or makes
//! a response. The services behind it (`detail`, `panel`, `sync`) and the
//! state they share know nothing of this module.
//!
//! - `router`: the whole router, with its layers (limits, timeouts,
//!   compression, the security headers);
//! - `serving`: accepting connections, with their limits;
//! - `body`, `query`, `client_address`: what a request brings (JSON bodies
//!   within their limits, query parameters, the client's address);
//! - `security`, `html`: the headers on every answer, and the few pages the
//!   server writes itself;
//! - `assets`, `health`, `headless`: the built site's files, `GET /healthz`,
//!   the app's headless and connect pages;
//! - `detail`, `panel`: the tickets that open the detail view and the
//!   panel, the pages they open, and connecting a card;
//! - `install`: installing the app (Miro's OAuth);
//! - `github_webhook`: GitHub's deliveries.

mod assets;
pub mod body;
pub mod client_address;
pub mod detail;
pub mod github_webhook;
mod headless;
mod health;
mod html;
pub mod install;
pub mod panel;
mod query;
mod router;
mod security;
pub mod serving;

pub use router::app_router;
