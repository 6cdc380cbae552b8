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

use super::Detail;
use crate::{router::page_context, AppState};

pub async fn card_page(
    State(state): State<AppState>,
    Path((board_id, item_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    request: Request<Body>,
) -> Response {
    let ticket = query.as_deref().map(ticket_in).unwrap_or_default();
    let result = Detail::service(state.clone())
        .open(&board_id, &item_id, &ticket)
        .await;
    let status = result.as_ref().err().map(ViewError::status);
    let opened = OpenedCard {
        board_id,
        item_id,
        result,
    };
    let context = page_context(&state);
    let options = state.config.leptos.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            context();
            provide_context(opened.clone());
        },
        move || app::card_shell(options.clone()),
    );
    let mut response = render(request).await;
    if let Some(status) = status.and_then(|code| http::StatusCode::from_u16(code).ok()) {
        *response.status_mut() = status;
    }
    response
}

/// The `ticket` parameter of a query string; empty when there is none.
fn ticket_in(query: &str) -> String {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "ticket")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::ticket_in;

    #[test]
    fn the_ticket_is_read_from_the_query_whatever_else_it_holds() {
        assert_eq!(ticket_in("ticket=a%2Bb&x=1"), "a+b");
        assert_eq!(ticket_in("x=1&ticket=abc"), "abc");
        assert_eq!(ticket_in("x=1"), "");
        assert_eq!(ticket_in("ticket"), "");
    }
}
