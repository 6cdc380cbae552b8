//! The REST endpoints, under the sandbox's `rest_base`. Every handler
//! receives the authenticated [`Caller`](super::Caller); ids are strings.

mod boards;
mod bulk;
mod items;
mod tags;
mod typed;

use axum::{
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use http::Uri;

use super::{
    errors::{ApiError, ApiResult},
    Sandbox,
};

/// The `/v2` routes (authentication is layered on by the caller).
pub fn router() -> Router<Sandbox> {
    use typed::{AppCards, Cards, StickyNotes};
    Router::new()
        .route("/v2/boards", get(boards::list).post(boards::create))
        .route("/v2/boards/{board_id}", get(boards::get))
        .route(
            "/v2/boards/{board_id}/app_cards",
            post(typed::create::<AppCards>),
        )
        .route(
            "/v2/boards/{board_id}/app_cards/{item_id}",
            get(typed::get::<AppCards>)
                .patch(typed::update::<AppCards>)
                .delete(typed::delete::<AppCards>),
        )
        .route("/v2/boards/{board_id}/cards", post(typed::create::<Cards>))
        .route(
            "/v2/boards/{board_id}/cards/{item_id}",
            get(typed::get::<Cards>)
                .patch(typed::update::<Cards>)
                .delete(typed::delete::<Cards>),
        )
        .route(
            "/v2/boards/{board_id}/sticky_notes",
            post(typed::create::<StickyNotes>),
        )
        .route(
            "/v2/boards/{board_id}/sticky_notes/{item_id}",
            get(typed::get::<StickyNotes>)
                .patch(typed::update::<StickyNotes>)
                .delete(typed::delete::<StickyNotes>),
        )
        .route("/v2/boards/{board_id}/items", get(items::list))
        .route("/v2/boards/{board_id}/items/bulk", post(bulk::create))
        .route(
            "/v2/boards/{board_id}/items/{item_id}",
            get(items::get)
                .patch(items::update)
                .delete(items::delete)
                .post(tags::attach),
        )
        .route(
            "/v2/boards/{board_id}/items/{item_id}/tags",
            get(tags::of_item),
        )
        .route(
            "/v2/boards/{board_id}/tags",
            post(tags::create).get(tags::list),
        )
        .route(
            "/v2/boards/{board_id}/tags/{tag_id}",
            get(tags::get).patch(tags::update).delete(tags::delete),
        )
}

/// Any path the sandbox does not implement: Miro's 404 shape.
pub async fn unknown_endpoint(uri: Uri) -> Response {
    ApiError::not_found(format!("No endpoint at {}", uri.path())).into_response()
}

/// Reads a paging parameter given as a string, within `min..=max`.
fn number_param(
    name: &str,
    value: Option<&String>,
    default: usize,
    min: usize,
    max: usize,
) -> ApiResult<usize> {
    let Some(value) = value else {
        return Ok(default);
    };
    match value.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid_field(
            name,
            format!("must be a whole number from {min} to {max}, not '{value}'"),
        )),
    }
}
