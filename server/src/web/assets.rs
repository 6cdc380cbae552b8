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

use axum::{
    body::Body,
    extract::{Request, State},
    handler::Handler,
    middleware::{self, Next},
    response::Response,
    routing::MethodRouter,
};
use http::{header, HeaderValue};
use leptos::prelude::provide_context;
use tower_http::services::ServeDir;

use crate::{site::HashedAssets, state::AppState};

/// A year, the longest lifetime caches honour.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache, but ask first: for files whose names do not change with content.
const REVALIDATE: &str = "no-cache";

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
