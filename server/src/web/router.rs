//! Builds the whole HTTP surface in one function, so tests drive exactly the
//! router that production serves, without a socket.

use app::{shell, App, HttpStatus, PageSetup};
use std::time::Duration;

use axum::{
    extract::DefaultBodyLimit,
    middleware::from_fn,
    routing::{get, post},
    Router,
};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{generate_route_list, LeptosRoutes, ResponseOptions};
use tower_http::{
    catch_panic::CatchPanicLayer, compression::CompressionLayer,
    set_header::SetResponseHeaderLayer, timeout::TimeoutLayer,
};

use super::{
    assets,
    body::{json_guard, CARD_REQUEST_LIMIT, PANEL_LIMIT, SAVE_LIMIT},
    detail::{connect::connect_card, page::card_page, tickets::issue_ticket},
    github_webhook,
    headless::connect_page,
    headless::headless_page,
    health::healthz,
    install,
    panel::{page::panel_page, tickets::issue_panel_ticket},
    security,
};
use crate::{config::OAUTH_CALLBACK_PATH, detail::Detail, panel::Panel, state::AppState};

/// The router: health check, the app's headless page, Leptos pages and
/// server functions, the static site (`/pkg`, public assets), and in
/// sandbox mode the sandbox, all behind the security headers.
pub fn app_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.config.leptos.clone();

    #[cfg(feature = "sandbox")]
    let sandbox = state.sandbox.as_ref().map(|sandbox| sandbox.router());
    let sandbox_board = state.sandbox_board_origin();
    let context = page_context(&state);
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/miro/headless", get(headless_page))
        .route(
            "/miro/tickets",
            post(issue_ticket).layer(DefaultBodyLimit::max(CARD_REQUEST_LIMIT)),
        )
        .route(
            "/miro/cards/connect",
            post(connect_card).layer(DefaultBodyLimit::max(CARD_REQUEST_LIMIT)),
        )
        .route(
            "/cards/{board_id}/{item_id}",
            get({
                let context = context.clone();
                move |state, path, query, request| card_page(state, path, query, request, context)
            }),
        )
        .route(
            "/miro/panel/tickets",
            post(issue_panel_ticket).layer(DefaultBodyLimit::max(CARD_REQUEST_LIMIT)),
        )
        .route(
            "/panel/{board_id}",
            get({
                let context = context.clone();
                move |state, path, query, request| panel_page(state, path, query, request, context)
            }),
        )
        .route("/panel-pkg/{*file}", assets::panel_files(&state))
        .route("/miro/connect", get(connect_page))
        .route(github_webhook::WEBHOOK_PATH, post(github_webhook::receive))
        .route("/oauth/install", get(install::start))
        .route(OAUTH_CALLBACK_PATH, get(install::callback))
        .leptos_routes_with_context(&state, routes, context, move || {
            shell(leptos_options.clone())
        })
        .fallback(assets::site_files(&state))
        .with_state(state);
    #[cfg(feature = "sandbox")]
    let router = match sandbox {
        Some(sandbox) => router.merge(sandbox),
        None => router,
    };

    // Leptos answers 500 for a server function's body it cannot read; the
    // guard answers 400/413/415/422 first, saying what was wrong.
    let router = router.layer(from_fn(server_fn_bodies));

    // Applied last so that every response gets them: pages, server
    // functions, assets, and the fallback. What does not say how long it
    // may be cached is not cached: pages carry the view's session.
    let router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        ))
        // Pages and JSON are compressed as they go out; the bundle's files
        // come precompressed (see `assets`) and pass through unchanged.
        .layer(CompressionLayer::new())
        // A request that takes longer than this (a body trickling in, a
        // Miro that never answers) ends with 408; a handler that panics
        // answers 500 and takes nothing else down.
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::new());
    security::headers(router, sandbox_board.as_deref())
}

/// The longest a request may take, body included. Calls to Miro have
/// their own shorter deadlines (a save waits 3 s, then the outbox goes on).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Checks the bodies of the server functions that take one.
async fn server_fn_bodies(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use app::panel;
    use axum::response::IntoResponse;
    use leptos::server_fn::ServerFn;
    let path = request.uri().path();
    macro_rules! guard {
        ($($function:ty => $limit:expr),* $(,)?) => {
            $(if path == <$function as ServerFn>::PATH {
                return json_guard::<$function>($limit, request, next).await.into_response();
            })*
        };
    }
    guard! {
        app::detail::SaveCard => SAVE_LIMIT,
        panel::CreateRecord => SAVE_LIMIT,
        panel::SearchRecords => PANEL_LIMIT,
        panel::BoardHealthOf => PANEL_LIMIT,
        panel::AddCards => PANEL_LIMIT,
        panel::ConvertStickyNotes => PANEL_LIMIT,
        panel::RetryFailed => PANEL_LIMIT,
        panel::ResyncBoard => PANEL_LIMIT,
    }
    next.run(request).await
}

/// What every page render and server function finds in Leptos context:
/// the response's status hook, the detail service, the page's
/// surroundings, and its script nonce with the policy that admits it.
fn page_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let detail = Detail::service(state.clone());
    let panel = Panel::service(state.clone());
    let sandbox_board = state.sandbox_board_origin();
    let page_setup = PageSetup {
        sdk_url: state.config.sdk_url.clone(),
    };
    let dev_socket = dev_reload_socket(&state.config.leptos);
    move || {
        provide_http_status();
        provide_context(detail.clone());
        provide_context(panel.clone());
        provide_context(page_setup.clone());
        provide_page_policy(
            &page_setup.sdk_url,
            sandbox_board.as_deref(),
            dev_socket.as_deref(),
        );
    }
}

/// Gives the page a nonce for its inline scripts and the policy that
/// admits them, on the same response.
fn provide_page_policy(sdk_url: &str, sandbox_board: Option<&str>, dev_socket: Option<&str>) {
    leptos::nonce::provide_nonce();
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    let policy = security::page_policy(nonce.as_deref(), sdk_url, sandbox_board, dev_socket);
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        http::HeaderValue::from_str(&policy),
    ) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// cargo-leptos's live-reload socket, which the page opens in debug
/// builds (`cargo leptos watch`).
fn dev_reload_socket(options: &leptos::config::LeptosOptions) -> Option<String> {
    // The page connects to the host it was loaded from, by name or number.
    cfg!(debug_assertions).then(|| {
        let port = options.reload_port;
        format!(
            "ws://{}:{port} ws://localhost:{port}",
            options.site_addr.ip()
        )
    })
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
