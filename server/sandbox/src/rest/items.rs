//! The generic item endpoints: the cursor-paged list (`type` filter), or
//! with `tag_id` the offset-paged items carrying that tag; get; position
//! and parent update (allowed to any app, as Miro allows moving another
//! app's card); delete, which with `?tag_id=` only detaches that tag.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    Extension, Json,
};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{number_param, tags};
use crate::{
    errors::{parse_body, ApiError, ApiResult},
    input::{apply_layout, Author, PositionInput},
    render,
    world::Item,
    Caller, Change, Sandbox,
};

/// The `type` values the spec allows in the list filter.
const ITEM_TYPES: &[&str] = &[
    "text",
    "shape",
    "sticky_note",
    "image",
    "document",
    "card",
    "app_card",
    "preview",
    "frame",
    "embed",
    "doc_format",
    "data_table_format",
];

pub async fn list(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Path(board_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    if let Some(tag_id) = params.get("tag_id") {
        return tags::items_with_tag(&sandbox, &caller, &board_id, tag_id, &params).map(Json);
    }
    let limit = number_param("limit", params.get("limit"), 10, 10, 50)?;
    if let Some(kind) = params.get("type") {
        if !ITEM_TYPES.contains(&kind.as_str()) {
            return Err(ApiError::invalid_field(
                "type",
                format!("'{kind}' is not one of {ITEM_TYPES:?}"),
            ));
        }
    }
    // The cursor is the id of the last item returned: ids only grow, so a
    // page boundary survives deletions between requests.
    let after: Option<u128> = match params.get("cursor").filter(|c| !c.is_empty()) {
        Some(cursor) => Some(cursor.parse().map_err(|_| {
            ApiError::invalid_field("cursor", "is not a cursor this board returned")
        })?),
        None => None,
    };
    let world = sandbox.world();
    let board = world.board(&board_id)?;
    let matching: Vec<&Item> = board
        .items
        .iter()
        .filter(|i| params.get("type").is_none_or(|t| t == i.type_name()))
        .collect();
    let page: Vec<&Item> = matching
        .iter()
        .filter(|i| after.is_none_or(|a| i.id.parse::<u128>().unwrap_or(0) > a))
        .take(limit)
        .copied()
        .collect();
    let remaining = matching
        .iter()
        .filter(|i| after.is_none_or(|a| i.id.parse::<u128>().unwrap_or(0) > a))
        .count();
    let next_cursor = (remaining > page.len())
        .then(|| page.last().map(|i| i.id.clone()))
        .flatten();
    let self_link = format!(
        "{}/items?limit={limit}",
        render::board_link(&sandbox.rest_base(), &board_id)
    );
    let mut links = json!({ "self": self_link });
    let mut out = json!({
        "data": page.iter().map(|i| render::generic_item(i, &caller.client_id)).collect::<Vec<_>>(),
        "total": matching.len(),
        "size": page.len(),
        "limit": limit,
    });
    if let Some(cursor) = next_cursor {
        links["next"] = json!(format!("{self_link}&cursor={cursor}"));
        out["cursor"] = json!(cursor);
    }
    out["links"] = links;
    Ok(Json(out))
}

pub async fn get(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Path((board_id, item_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let world = sandbox.world();
    let item = world.board(&board_id)?.item(&item_id)?;
    Ok(Json(render::generic_item(item, &caller.client_id)))
}

/// `GenericItemUpdate`.
#[derive(Debug, Deserialize)]
pub struct ItemUpdate {
    position: Option<PositionInput>,
    parent: Option<crate::input::ParentInput>,
}

pub async fn update(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Path((board_id, item_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let update: ItemUpdate = parse_body(&body)?;
    if let Some(id) = update.parent.and_then(|p| p.id) {
        return Err(ApiError::invalid_field(
            "parent.id",
            format!("no frame with id {id} on this board"),
        ));
    }
    if let Some(position) = &update.position {
        for (name, value) in [("position.x", position.x), ("position.y", position.y)] {
            if value.is_some_and(|v| !v.is_finite()) {
                return Err(ApiError::invalid_field(name, "must be a number"));
            }
        }
    }
    let now = sandbox.now();
    let mut world = sandbox.world();
    let item = world.board_mut(&board_id)?.item_mut(&item_id)?;
    let author = Author {
        user_id: &caller.user_id,
        client_id: &caller.client_id,
        now,
    };
    apply_layout(item, update.position, None, &author);
    sandbox.publish_item(&board_id, item);
    Ok(Json(render::generic_item(item, &caller.client_id)))
}

pub async fn delete(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Path((board_id, item_id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<StatusCode> {
    if let Some(tag_id) = params.get("tag_id") {
        return tags::detach(&sandbox, &board_id, &item_id, tag_id);
    }
    let mut world = sandbox.world();
    let board = world.board_mut(&board_id)?;
    board.item(&item_id)?.check_writable_by(&caller.client_id)?;
    board.remove_item(&item_id)?;
    sandbox.publish(Change::Removed { board_id, item_id });
    Ok(StatusCode::NO_CONTENT)
}
