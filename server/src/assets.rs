//! The built site's files (`/pkg/*`: the WASM, its JS glue and the CSS; and
//! the public assets), served the way a CDN would serve them:
//!
//! - precompressed: `file.br` or `file.gz` beside a file (written by
//!   `cargo leptos build --release -P`) is sent when the browser accepts
//!   that encoding; files without them are compressed on the fly by the
//!   router's compression layer;
//! - cached: the content-hashed bundle (`miro-cards.<hash>.wasm`, named in
//!   the `hash.txt` cargo-leptos writes beside the server binary) is
//!   `immutable` for a year, since a new build gets new names; every other
//!   file must be revalidated (`no-cache`; `Last-Modified` makes that a 304).
//!
//! A path that is no file renders the app's 404 page.

use std::{collections::HashSet, path::PathBuf, sync::Arc};

use axum::{
    body::Body,
    extract::{Request, State},
    handler::Handler,
    middleware::{self, Next},
    response::Response,
    routing::MethodRouter,
};
use http::{header, HeaderValue};
use leptos::{config::LeptosOptions, prelude::provide_context};
use tower_http::services::ServeDir;

use crate::state::AppState;

/// A year, the longest lifetime caches honour.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache, but ask first: for files whose names do not change with content.
const REVALIDATE: &str = "no-cache";

/// The files of the site whose names carry their content's hash, as URL
/// paths (`/pkg/miro-cards.<hash>.wasm`).
#[derive(Clone, Debug, Default)]
pub struct HashedAssets(Arc<HashSet<String>>);

impl HashedAssets {
    /// Reads the hash file cargo-leptos wrote beside the running binary.
    /// Empty when the site was built without hashed names.
    pub fn load(options: &LeptosOptions) -> Self {
        if !options.hash_files {
            return Self::default();
        }
        let Some(path) = hash_file_path(options) else {
            return Self::default();
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, options),
            Err(err) => {
                tracing::warn!(path = %path.display(), "cannot read the asset hash file: {err}");
                Self::default()
            }
        }
    }

    /// The hashed paths that a hash file's text (`js: <hash>` lines) names.
    pub fn parse(text: &str, options: &LeptosOptions) -> Self {
        let names = text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(kind, hash)| {
                format!(
                    "/{}/{}.{}.{}",
                    options.site_pkg_dir.trim_matches('/'),
                    options.output_name,
                    hash.trim(),
                    kind.trim()
                )
            })
            .collect();
        Self(Arc::new(names))
    }

    /// These and `other`'s.
    pub fn with(self, other: &Self) -> Self {
        let mut names = (*self.0).clone();
        names.extend(other.0.iter().cloned());
        Self(Arc::new(names))
    }

    /// Whether `path` is one of the hashed files.
    pub fn contains(&self, path: &str) -> bool {
        self.0.contains(path)
    }
}

/// The files a project's pages link (its stylesheet, JS glue and WASM),
/// under the names its hash file gives them; read once, at start-up.
pub fn page_files(options: &LeptosOptions) -> app::PageFiles {
    let hashes = options
        .hash_files
        .then(|| hash_file_path(options))
        .flatten()
        .and_then(|path| match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(err) => {
                tracing::warn!(path = %path.display(), "cannot read the asset hash file: {err}");
                None
            }
        });
    app::PageFiles::of(options, hashes.as_deref())
}

/// Where cargo-leptos writes the hash file: beside the server binary (this
/// is also where Leptos's own components would read it).
pub fn hash_file_path(options: &LeptosOptions) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(options.hash_file.as_ref()))
}

/// Where the panel's bundle is: cargo-leptos's second project
/// (`miro-cards-panel`) builds it into a site of its own beside the main
/// one, `<site root>-panel`, under `panel-pkg/`, with its hash file
/// `panel-hash.txt` beside the server binary. The page finds it with these
/// options; the router serves that folder at `/panel-pkg/`.
pub fn panel_options(site: &LeptosOptions) -> LeptosOptions {
    let mut panel = site.clone();
    panel.site_root = format!("{}-panel", site.site_root.trim_end_matches('/')).into();
    panel.site_pkg_dir = PANEL_PKG_DIR.into();
    panel.hash_file = "panel-hash.txt".into();
    let built = hash_file_path(&panel).is_some_and(|path| path.is_file());
    // Hashed names only where the build made them; a build without them
    // serves plain names (a debug build without `hash-files`).
    panel.hash_files = site.hash_files && built;
    if site.hash_files && !built {
        tracing::warn!(
            "the panel's bundle is not built (no panel-hash.txt beside the server): \
             `cargo leptos build` builds it"
        );
    }
    panel
}

/// The panel bundle's folder, in its site and in URLs.
pub const PANEL_PKG_DIR: &str = "panel-pkg";

/// `/panel-pkg/*`: the panel's bundle, served as the site's own files are.
pub fn panel_files(state: &AppState) -> MethodRouter<AppState> {
    // Rooted at the panel's site: the path (`/panel-pkg/…`) is the file's
    // place in it.
    let files = ServeDir::new(&*state.panel_leptos.site_root)
        .precompressed_br()
        .precompressed_gzip();
    axum::routing::any_service(files).layer(middleware::from_fn_with_state(
        state.hashed_assets.clone(),
        cache_policy,
    ))
}

/// The router's fallback: a file of the site, or the app's 404 page.
pub fn site_files(state: &AppState) -> MethodRouter<AppState> {
    let files = state.card_files.clone();
    let not_found = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        move || provide_context(files.clone()),
        app::shell,
    )
    .with_state(state.clone());
    let files = ServeDir::new(&*state.config.leptos.site_root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(not_found);
    axum::routing::any_service(files).layer(middleware::from_fn_with_state(
        state.hashed_assets.clone(),
        cache_policy,
    ))
}

/// Sets how long browsers may keep a file; the 404 page is left to the
/// router's default (`no-store`).
async fn cache_policy(
    State(hashed): State<HashedAssets>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let immutable = hashed.contains(request.uri().path());
    let mut response = next.run(request).await;
    let status = response.status();
    if status.is_success() || status == http::StatusCode::NOT_MODIFIED {
        let policy = if immutable { IMMUTABLE } else { REVALIDATE };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_file_names_the_bundle_paths() {
        let options = LeptosOptions::builder()
            .output_name("miro-cards")
            .site_pkg_dir("pkg")
            .build();
        let hashed = HashedAssets::parse("js: abc\nwasm: d-e_f\ncss: 123\n", &options);
        assert!(hashed.contains("/pkg/miro-cards.abc.js"));
        assert!(hashed.contains("/pkg/miro-cards.d-e_f.wasm"));
        assert!(hashed.contains("/pkg/miro-cards.123.css"));
        assert!(!hashed.contains("/pkg/miro-cards.js"));
        assert!(!hashed.contains("/tickets.js"));
    }
}
