//! The browser entry point: cargo-leptos compiles this crate to WASM and the
//! detail page's HTML calls `hydrate()` once the module has loaded. It holds
//! no logic of its own; everything it hydrates lives in `app`.

// The detail view's component tree is deep; release builds (without
// `erase_components`) need more than the default type depth for it.
#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

/// Attaches the interactive app to the server-rendered page.
#[wasm_bindgen]
pub fn hydrate() {
    // Panics and logs go to the browser console, where the end-to-end
    // harness collects them.
    console_error_panic_hook::set_once();
    let _ = console_log::init_with_level(log::Level::Warn);
    // What the user typed before this module arrived survives hydration.
    app::typed_early::capture();
    // The detail page is the only page that runs in the browser: its
    // component is the whole of what the server rendered into `<body>`.
    leptos::mount::hydrate_body(app::detail::view::CardPage);
}
