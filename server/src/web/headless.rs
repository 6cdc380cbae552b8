//! `GET /miro/headless`: the app's `sdkUri`, the page Miro loads in a
//! hidden iframe on every board where the app is installed. It loads the
//! Web SDK (Miro's, or the sandbox's stand-in) and `/headless.js`, which
//! opens a card's detail view in a modal when the card is opened (with a
//! one-time ticket from `/tickets.js`).
//!
//! `GET /miro/connect?board_id=…&item_id=…`: what that modal shows instead
//! when the user has no working connection to Miro yet (never installed,
//! or the token was revoked): why, and a button that runs the install in
//! a new window (`/connect.js`), after which the card opens by itself.

use axum::{
    extract::{RawQuery, State},
    response::{Html, IntoResponse, Response},
};

use super::{html::escape, query, security};
use crate::state::AppState;

pub async fn headless_page(State(state): State<AppState>) -> Response {
    // No inline script here: the page's policy needs no nonce.
    let policy = security::page_policy(
        None,
        &state.config.sdk_url,
        state.sandbox_board_origin().as_deref(),
        None,
    );
    let page = Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Miro Cards</title>\
         <script src=\"{}\"></script><script src=\"/tickets.js\" defer></script>\
         <script src=\"/headless.js\" defer></script></head><body></body></html>",
        escape(&state.config.sdk_url)
    ));
    ([(http::header::CONTENT_SECURITY_POLICY, policy)], page).into_response()
}

pub async fn connect_page(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let policy = security::page_policy(
        None,
        &state.config.sdk_url,
        state.sandbox_board_origin().as_deref(),
        None,
    );
    let param = |name: &str| query::param(query.as_deref(), name);
    let page = Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Connect Miro Cards</title><link rel=\"icon\" type=\"image/svg+xml\" href=\"/favicon.svg\">\
         <script src=\"{sdk}\"></script><script src=\"/tickets.js\" defer></script>\
         <script src=\"/connect.js\" defer></script></head>\
         <body data-board-id=\"{board}\" data-item-id=\"{item}\"><main class=\"page connect\">\
         <h1>Connect Miro Cards to Miro</h1>\
         <p>To open and edit cards, or its panel, Miro Cards needs your permission to read and \
         write the boards you can reach. You have not given it yet, or it was taken back.</p>\
         <p><button type=\"button\" id=\"connect\" data-testid=\"connect\">Connect</button></p>\
         <p id=\"connect-status\" role=\"status\" aria-live=\"polite\" data-testid=\"connect-status\">\
         Connecting opens Miro in a new window; this opens here once you have allowed it.</p>\
         </main></body></html>",
        sdk = escape(&state.config.sdk_url),
        board = escape(&param("board_id")),
        item = escape(&param("item_id")),
    ));
    ([(http::header::CONTENT_SECURITY_POLICY, policy)], page).into_response()
}
