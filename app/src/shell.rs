//! The HTML documents the server sends. Three kinds of page:
//!
//! - the card detail page ([`card_shell`]): it loads the WASM, which
//!   hydrates [`CardPage`] directly;
//! - the panel ([`panel_shell`]): it loads the panel's own WASM, which
//!   hydrates [`PanelPage`], so neither page downloads the other's code;
//! - the plain pages ([`shell`]: the landing page and "not found"),
//!   rendered through the router and sent without any script.
//!
//! Keeping the router and the plain pages out of the browser's bundle makes
//! the WASM about a fifth smaller.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

#[cfg(any(feature = "panel", not(feature = "hydrate")))]
use crate::panel::{view::PanelPage, OpenedPanel};
use crate::{
    detail::{view::CardPage, OpenedCard},
    routes::{Home, NotFound},
};

/// The document of a plain page: HTML and CSS, no script.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <CommonHead options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The detail page's document. The card it opened (from context) goes into
/// the head as JSON for the browser to hydrate with; the body is
/// [`CardPage`], exactly what the browser hydrates.
pub fn card_shell(options: LeptosOptions) -> impl IntoView {
    let opened = use_context::<OpenedCard>().map(|card| card.to_script_text());
    let setup = use_context::<PageSetup>();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <CommonHead options=options.clone() />
                <title>"Miro Cards"</title>
                <HydrationScripts options />
                {setup.map(|setup| {
                    view! {
                        <script src=setup.sdk_url></script>
                        <script src="/tickets.js" defer></script>
                    }
                })}
                {opened.map(|json| {
                    view! {
                        <script type="application/json" id=crate::detail::OPENED_CARD_ELEMENT inner_html=json></script>
                    }
                })}
            </head>
            <body>
                <CardPage />
            </body>
        </html>
    }
}

/// The panel's document: like the detail page's, with the panel's data in
/// the head and the panel's own bundle (`bundle`: where cargo-leptos's
/// panel project put it) hydrating [`PanelPage`]. The stylesheet is the
/// site's (`site`), shared with every page.
#[cfg(any(feature = "panel", not(feature = "hydrate")))]
pub fn panel_shell(site: LeptosOptions, bundle: LeptosOptions) -> impl IntoView {
    let opened = use_context::<OpenedPanel>().map(|panel| panel.to_script_text());
    let setup = use_context::<PageSetup>();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <CommonHead options=site />
                <title>"Miro Cards"</title>
                <HydrationScripts options=bundle />
                {setup.map(|setup| {
                    view! {
                        <script src=setup.sdk_url></script>
                        <script src="/tickets.js" defer></script>
                        <script src="/panel.js" defer></script>
                    }
                })}
                {opened.map(|json| {
                    view! {
                        <script type="application/json" id=crate::panel::OPENED_PANEL_ELEMENT inner_html=json></script>
                    }
                })}
            </head>
            <body class="panel-body">
                <PanelPage />
            </body>
        </html>
    }
}

/// What every page's `<head>` holds: encoding, viewport, live reload in
/// development, the stylesheet (under its content-hashed name when
/// cargo-leptos built it so, `hash-files`) and the icon.
#[component]
fn CommonHead(options: LeptosOptions) -> impl IntoView {
    view! {
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <AutoReload options=options.clone() />
        <HashedStylesheet options id="leptos" />
        <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
    }
}

/// What the server tells the shell about the page's surroundings.
#[derive(Clone, Debug)]
pub struct PageSetup {
    /// The Web SDK script (Miro's, or the sandbox's stand-in).
    pub sdk_url: String,
}

/// The plain pages, routed; rendered on the server only.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Miro Cards" />
        <Router>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                </Routes>
            </main>
        </Router>
    }
}
