//! The panel's browser entry point: cargo-leptos compiles this crate to
//! its own WASM bundle (project `miro-cards-panel` in the workspace's
//! `Cargo.toml`), which the panel page loads and hydrates. The detail view
//! loads `frontend` instead, so neither page downloads the other's code.

#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

/// Attaches the interactive panel to the server-rendered page.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let _ = console_log::init_with_level(log::Level::Warn);
    leptos::mount::hydrate_body(app::panel::view::PanelPage);
}
