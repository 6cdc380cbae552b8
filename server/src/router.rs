//! Builds the whole HTTP surface in one function, so tests drive exactly the
//! router that production serves, without a socket.

use app::{shell, App, HttpStatus};
use axum::{routing::get, Router};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{generate_route_list, LeptosRoutes, ResponseOptions};

use crate::{headless::headless_page, health::healthz, security, state::AppState};

/// The router: health check, the app's headless page, Leptos pages and
/// server functions, the static site (`/pkg`, public assets), and in
/// sandbox mode the sandbox, all behind the security headers.
pub fn app_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.config.leptos.clone();

    let sandbox = state.sandbox.as_ref().map(|sandbox| sandbox.router());
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/miro/headless", get(headless_page))
        .leptos_routes_with_context(&state, routes, provide_http_status, move || {
            shell(leptos_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state);
    if let Some(sandbox) = sandbox {
        router = router.merge(sandbox);
    }

    // Applied last so that every response gets the headers: pages, server
    // functions, assets, and the fallback.
    security::headers(router)
}

/// Lets pages in `app` set the response status (see [`HttpStatus`]) through
/// leptos_axum's per-request `ResponseOptions`.
fn provide_http_status() {
    if let Some(response) = use_context::<ResponseOptions>() {
        provide_context(HttpStatus::new(move |code| {
            if let Ok(status) = http::StatusCode::from_u16(code) {
                response.set_status(status);
            }
        }));
    }
}
