//! `GET /panel/{board_id}?ticket=…`: the panel's page. The ticket is
//! redeemed first, then the page is rendered in one piece around the
//! outcome (the panel, or why it cannot open), with the outcome in the page
//! for the panel's own bundle to hydrate from.

use axum::{
    body::Body,
    extract::{Path, RawQuery, Request, State},
    response::Response,
};
use leptos::prelude::provide_context;

use app::panel::{OpenedPanel, PanelError};

use crate::{panel::Panel, state::AppState, web::query};

/// Renders the page; `context` is what every page finds in Leptos context.
pub async fn panel_page(
    State(state): State<AppState>,
    Path(board_id): Path<String>,
    RawQuery(query): RawQuery,
    request: Request<Body>,
    context: impl Fn() + Clone + Send + Sync + 'static,
) -> Response {
    let ticket = query::param(query.as_deref(), "ticket");
    let result = Panel::service(state.clone()).open(&board_id, &ticket).await;
    let status = result.as_ref().err().map(PanelError::status);
    let opened = OpenedPanel { board_id, result };
    let site = state.config.leptos.clone();
    let files = state.panel_files.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            context();
            provide_context(opened.clone());
        },
        move || app::panel_shell(site.clone(), files.clone()),
    );
    let mut response = render(request).await;
    if let Some(status) = status.and_then(|code| http::StatusCode::from_u16(code).ok()) {
        *response.status_mut() = status;
    }
    response
}
