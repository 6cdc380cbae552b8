//! The board page a browser opens (`/sandbox/boards/{id}`) and the files it
//! needs, compiled into the binary: its script and stylesheet, and the Web
//! SDK stand-in the app's iframes load (`/sandbox/sdk/v2/miro.js`). The
//! page embeds the board's items and the app's `sdkUri`; `board.js` draws
//! the cards and hosts the app's headless and modal iframes (and panels,
//! which the SDK stand-in can open, though the app has none yet).

use axum::{
    extract::{Path, State},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::json;

use super::{oauth::html_escape, render, Sandbox};

const BOARD_JS: &str = include_str!("assets/board.js");
const BOARD_CSS: &str = include_str!("assets/board.css");
const SDK_JS: &str = include_str!("assets/miro-sdk.js");

pub fn router() -> Router<Sandbox> {
    Router::new()
        .route("/sandbox/boards/{board_id}", get(board_page))
        .route(
            "/sandbox/assets/board.js",
            get(|| async { asset("text/javascript; charset=utf-8", BOARD_JS) }),
        )
        .route(
            "/sandbox/assets/board.css",
            get(|| async { asset("text/css; charset=utf-8", BOARD_CSS) }),
        )
        .route(
            "/sandbox/sdk/v2/miro.js",
            get(|| async { asset("text/javascript; charset=utf-8", SDK_JS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
        .into_response()
}

async fn board_page(State(sandbox): State<Sandbox>, Path(board_id): Path<String>) -> Response {
    let client = sandbox.app_client().client_id.clone();
    let rest_base = sandbox.rest_base();
    let settings = sandbox.settings();
    let world = sandbox.world();
    let Ok(board) = world.board(&board_id) else {
        let body = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>No such board · Miro sandbox</title></head>\
             <body><h1>No such board</h1><p>The sandbox has no board {}. See <a href=\"/.well-known/miro-sandbox\">the sandbox's boards</a>.</p></body></html>",
            html_escape(&board_id)
        );
        return (http::StatusCode::NOT_FOUND, Html(body)).into_response();
    };
    // The board's team's first user is the one signed in to its page.
    let Some(user) = world.first_user_of(&board.team_id) else {
        return (http::StatusCode::NOT_FOUND, Html(String::new())).into_response();
    };
    let bootstrap = json!({
        "board": { "id": board.id, "name": board.name },
        "user": { "id": user.id, "name": user.name },
        "app": {
            "name": sandbox.app_client().name,
            "sdkUri": settings.app_sdk_uri,
            "origin": origin_of(&settings.app_sdk_uri),
        },
        "hostBase": format!("/sandbox/host/boards/{}", render::urlencode(&board.id)),
        "items": board.items.iter().map(|i| render::typed_item(i, &board.id, &client, &rest_base)).collect::<Vec<_>>(),
    });
    // JSON inside <script>: no `</script>` may end the element early and no
    // `<!--` may start a comment that swallows the page's script. JSON has
    // `<` only inside strings, where `\u003c` means the same.
    let bootstrap = bootstrap.to_string().replace('<', "\\u003c");
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · Miro sandbox</title>\
         <link rel=\"icon\" type=\"image/svg+xml\" href=\"/favicon.svg\">\
         <link rel=\"stylesheet\" href=\"/sandbox/assets/board.css\"></head>\
         <body><script id=\"sandbox-bootstrap\" type=\"application/json\">{bootstrap}</script>\
         <div id=\"sandbox-root\"></div><script src=\"/sandbox/assets/board.js\"></script></body></html>",
        html_escape(&board.name)
    ))
    .into_response()
}

/// `scheme://host:port` of a URL (the app's origin, for postMessage checks).
fn origin_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| String::new(), |u| u.origin().ascii_serialization())
}
