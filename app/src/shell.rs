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
use leptos_meta::{provide_meta_context, MetaTags, Title};
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

/// The document of a plain page: HTML and CSS, no script. The stylesheet's
/// path comes from the [`PageFiles`] in context (the server puts it there;
/// without it, the unhashed name).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = use_context::<PageFiles>()
        .unwrap_or_else(|| PageFiles::of(&options, None))
        .stylesheet;
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <CommonHead options stylesheet />
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
/// [`CardPage`], exactly what the browser hydrates. `files` are the detail
/// view's bundle and the site's stylesheet.
pub fn card_shell(options: LeptosOptions, files: PageFiles) -> impl IntoView {
    let opened = use_context::<OpenedCard>().map(|card| card.to_script_text());
    let setup = use_context::<PageSetup>();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <CommonHead options stylesheet=files.stylesheet.clone() />
                <title>"Miro Cards"</title>
                <Hydration files />
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
/// the head and the panel's own bundle (`files`: where cargo-leptos's
/// panel project put it, with the site's stylesheet, shared with every
/// page) hydrating [`PanelPage`].
#[cfg(any(feature = "panel", not(feature = "hydrate")))]
pub fn panel_shell(site: LeptosOptions, files: PageFiles) -> impl IntoView {
    let opened = use_context::<OpenedPanel>().map(|panel| panel.to_script_text());
    let setup = use_context::<PageSetup>();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <CommonHead options=site stylesheet=files.stylesheet.clone() />
                <title>"Miro Cards"</title>
                <Hydration files />
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
/// development, the stylesheet and the icon.
#[component]
fn CommonHead(options: LeptosOptions, stylesheet: String) -> impl IntoView {
    view! {
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <AutoReload options />
        <link id="leptos" rel="stylesheet" href=stylesheet />
        <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
    }
}

/// Loads a bundle and hydrates the page with it: the JS glue and the WASM
/// are fetched at once (preloaded), then an inline module (admitted by the
/// page's nonce) starts the WASM and calls its `hydrate` export.
#[component]
fn Hydration(files: PageFiles) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    // Leptos writes a script's text as it is: the paths are string literals
    // here, where `\u003c` is a `<`, so no `</script>` can end it early.
    let start = format!(
        "import start, {{ hydrate }} from {script:?};\n\
         start({{ module_or_path: {wasm:?} }}).then(() => hydrate());",
        script = files.script,
        wasm = files.wasm,
    )
    .replace('<', "\\u003c");
    view! {
        <link rel="modulepreload" href=files.script.clone() />
        <link rel="preload" href=files.wasm r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script type="module" nonce=nonce>{start}</script>
    }
}

/// The files a page links, as URL paths: the site's stylesheet and one
/// browser bundle's JS glue and WASM. The server works them out once, at
/// start-up, from the hash file cargo-leptos writes beside it (`hash-files`
/// in the workspace's `Cargo.toml`), so that no render reads a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageFiles {
    pub stylesheet: String,
    pub script: String,
    pub wasm: String,
}

impl PageFiles {
    /// A cargo-leptos project's files. `hashes` is its hash file's text
    /// (`css: <hash>`, `js: <hash>`, `wasm: <hash>` lines), `None` when it
    /// was built without content-hashed names.
    pub fn of(options: &LeptosOptions, hashes: Option<&str>) -> Self {
        let hash = |kind: &str| {
            hashes?
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(k, _)| k.trim() == kind)
                .map(|(_, hash)| format!(".{}", hash.trim()))
        };
        let name = &options.output_name;
        let dir = format!("/{}", options.site_pkg_dir.trim_matches('/'));
        // Without hashes (or cargo-leptos naming the files), wasm-bindgen's
        // own name for the WASM is `<name>_bg.wasm`.
        let wasm = match hash("wasm") {
            Some(hash) => format!("{name}{hash}"),
            None if option_env!("LEPTOS_OUTPUT_NAME").is_some() => name.to_string(),
            None => format!("{name}_bg"),
        };
        Self {
            stylesheet: format!("{dir}/{name}{}.css", hash("css").unwrap_or_default()),
            script: format!("{dir}/{name}{}.js", hash("js").unwrap_or_default()),
            wasm: format!("{dir}/{wasm}.wasm"),
        }
    }

    /// These, with another project's stylesheet (the panel's bundle is
    /// styled by the site's).
    pub fn with_stylesheet(self, stylesheet: String) -> Self {
        Self { stylesheet, ..self }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("miro-cards")
            .site_pkg_dir("pkg")
            .build()
    }

    #[test]
    fn a_hashed_build_names_each_file_by_its_own_hash() {
        let files = PageFiles::of(&options(), Some("js: abc\nwasm: d-e_f\ncss: 123\n"));
        assert_eq!(files.stylesheet, "/pkg/miro-cards.123.css");
        assert_eq!(files.script, "/pkg/miro-cards.abc.js");
        assert_eq!(files.wasm, "/pkg/miro-cards.d-e_f.wasm");
        let panel = files.with_stylesheet("/pkg/site.css".to_owned());
        assert_eq!(panel.stylesheet, "/pkg/site.css");
        assert_eq!(panel.script, "/pkg/miro-cards.abc.js");
    }

    #[test]
    fn a_build_without_hashes_has_the_plain_names() {
        let files = PageFiles::of(&options(), None);
        assert_eq!(files.stylesheet, "/pkg/miro-cards.css");
        assert_eq!(files.script, "/pkg/miro-cards.js");
        assert!(
            files.wasm == "/pkg/miro-cards.wasm" || files.wasm == "/pkg/miro-cards_bg.wasm",
            "{}",
            files.wasm
        );
    }
}
