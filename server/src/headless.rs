//! `GET /miro/headless`: the app's `sdkUri`, the page Miro loads in a
//! hidden iframe on every board where the app is installed. It loads the
//! Web SDK (Miro's, or the sandbox's stand-in) and `/headless.js`, which
//! opens a card's detail view in a modal when the card is opened.

use axum::{extract::State, response::Html};

use crate::{sandbox::html_escape, AppState};

pub async fn headless_page(State(state): State<AppState>) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Miro Cards</title>\
         <script src=\"{}\"></script><script src=\"/headless.js\" defer></script></head><body></body></html>",
        html_escape(&state.config.sdk_url)
    ))
}
