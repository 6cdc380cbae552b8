//! The HTML document around every page and the router that picks the page.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::routes::{CardView, Home, NotFound};

/// The full HTML document the server streams for every route. The browser
/// never renders this: it hydrates [`App`] inside the `<body>`.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                // The bundle's files carry content hashes in their names
                // when cargo-leptos built them so (`hash-files`).
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                {use_context::<PageSetup>().map(|setup| {
                    view! {
                        <script src=setup.sdk_url></script>
                        <script src="/tickets.js" defer></script>
                    }
                })}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// What the server tells the shell about the page's surroundings.
#[derive(Clone, Debug)]
pub struct PageSetup {
    /// The Web SDK script (Miro's, or the sandbox's stand-in).
    pub sdk_url: String,
}

/// The routed application: the same tree on the server and in the browser.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    mark_hydrated();

    view! {
        <Title text="Miro Cards" />
        <Router>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    // Rendered whole before it is sent, so the card's data is
                    // in the HTML even before any script runs.
                    <Route path=path!("/cards/:board_id/:item_id") view=CardView ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// Sets `data-hydrated="true"` on `<body>` once the browser has hydrated the
/// page. Effects never run on the server, so the attribute is absent from
/// the server's HTML: scripts and tests wait for it before touching the page.
fn mark_hydrated() {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
