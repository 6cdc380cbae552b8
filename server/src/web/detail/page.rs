//! `GET /cards/{board_id}/{item_id}?ticket=…`: the detail page. The ticket is
//! redeemed first, then the page is rendered in one piece around the
//! outcome (the editor, or why the card cannot be shown, with its status),
//! with the outcome in the page for the browser to hydrate from.

use axum::{
    body::Body,
    extract::{Path, RawQuery, Request, State},
    response::Response,
};
use leptos::prelude::provide_context;

use app::detail::{OpenedCard, ViewError};

use crate::{detail::Detail, state::AppState, web::query};

/// Renders the page; `context` is what every page finds in Leptos context
/// (built once with the router).
pub async fn card_page(
    State(state): State<AppState>,
    Path((board_id, item_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    request: Request<Body>,
    context: impl Fn() + Clone + Send + Sync + 'static,
) -> Response {
    let ticket = query::param(query.as_deref(), "ticket");
    let result = Detail::service(state.clone())
        .open(&board_id, &item_id, &ticket)
        .await;
    let status = result.as_ref().err().map(ViewError::status);
    let opened = OpenedCard {
        board_id,
        item_id,
        result,
    };
    let options = state.config.leptos.clone();
    let files = state.card_files.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            context();
            provide_context(opened.clone());
        },
        move || app::card_shell(options.clone(), files.clone()),
    );
    let mut response = render(request).await;
    if let Some(status) = status.and_then(|code| http::StatusCode::from_u16(code).ok()) {
        *response.status_mut() = status;
    }
    response
}
