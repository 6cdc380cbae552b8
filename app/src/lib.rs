//! The Leptos app shared by the server (rendered with `ssr`) and the browser
//! (hydrated with `hydrate`): the HTML shell, the router, and the pages.
//!
//! Nothing here may depend on a server-only crate: the same code compiles to
//! WASM. Server-side services reach components through traits put into
//! Leptos context by the `server` crate.

pub mod cards;
pub mod detail;
mod http_status;
mod page_data;
// A browser build carries the panel only for the panel's own bundle.
#[cfg(any(feature = "panel", not(feature = "hydrate")))]
pub mod panel;
mod routes;
mod shell;
pub mod typed_early;

pub use http_status::HttpStatus;
#[cfg(any(feature = "panel", not(feature = "hydrate")))]
pub use shell::panel_shell;
pub use shell::{card_shell, shell, App, PageFiles, PageSetup};
