//! `GET /miro/headless`: the app's `sdkUri`, the page Miro loads in a
//! hidden iframe on every board where the app is installed. It loads the
//! Web SDK (Miro's, or the sandbox's stand-in) and `/headless.js`, which
//! opens a card's detail view in a modal when the card is opened (with a
//! one-time ticket from `/tickets.js`).

use axum::{
    extract::State,
    response::{Html, IntoResponse, Response},
};

use crate::{sandbox::html_escape, security, AppState};

pub async fn headless_page(State(state): State<AppState>) -> Response {
    // No inline script here: the page's policy needs no nonce.
    let policy = security::page_policy(None, &state.config.sdk_url, state.sandbox.is_some(), None);
    let page = Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Miro Cards</title>\
         <script src=\"{}\"></script><script src=\"/tickets.js\" defer></script>\
         <script src=\"/headless.js\" defer></script></head><body></body></html>",
        html_escape(&state.config.sdk_url)
    ));
    ([(http::header::CONTENT_SECURITY_POLICY, policy)], page).into_response()
}
