//! Tags: create, list, get, update, delete (which removes the tag from
//! every item), attach to and detach from an item, the tags of an item,
//! and the items carrying a tag. Titles are unique per board and at most
//! 120 characters; an item carries at most 8 tags. Through REST, Miro
//! documents tags on cards and sticky notes only, so the sandbox attaches
//! them to those two and refuses app cards (the Web SDK's `tagIds` can tag
//! an app card). As on Miro, tag changes made through REST are not pushed
//! to open boards.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    Json,
};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::number_param;
use crate::{
    errors::{parse_body, ApiError, ApiResult},
    render,
    world::{Content, Tag, MAX_TAGS_PER_ITEM},
    Caller, Sandbox,
};

const COLORS: &[&str] = &[
    "red",
    "light_green",
    "cyan",
    "yellow",
    "magenta",
    "green",
    "blue",
    "gray",
    "violet",
    "dark_green",
    "dark_blue",
    "black",
];

/// `TagCreateRequest` / `TagUpdateRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagInput {
    title: Option<String>,
    fill_color: Option<String>,
}

fn check(input: &TagInput, tags: &[Tag], except: Option<&str>) -> ApiResult<()> {
    if let Some(title) = &input.title {
        if title.chars().count() > 120 {
            return Err(ApiError::invalid_field(
                "title",
                "must be at most 120 characters",
            ));
        }
        if tags
            .iter()
            .any(|t| t.title == *title && Some(t.id.as_str()) != except)
        {
            return Err(ApiError::invalid_field(
                "title",
                format!("a tag titled '{title}' already exists on this board"),
            ));
        }
    }
    if let Some(color) = &input.fill_color {
        if !COLORS.contains(&color.as_str()) {
            return Err(ApiError::invalid_field(
                "fillColor",
                format!("'{color}' is not one of {COLORS:?}"),
            ));
        }
    }
    Ok(())
}

pub async fn create(
    State(sandbox): State<Sandbox>,
    Path(board_id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input: TagInput = parse_body(&body)?;
    let mut world = sandbox.world();
    let id = world.next_id();
    let board = world.board_mut(&board_id)?;
    let Some(title) = input.title.clone() else {
        return Err(ApiError::invalid_field("title", "is required"));
    };
    check(&input, &board.tags, None)?;
    let tag = Tag {
        id,
        title,
        fill_color: input.fill_color.unwrap_or_else(|| "red".to_owned()),
    };
    let json = render::tag(&tag, &board_id, &sandbox.rest_base(), true);
    board.tags.push(tag);
    Ok((StatusCode::CREATED, Json(json)))
}

pub async fn list(
    State(sandbox): State<Sandbox>,
    Path(board_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let limit = number_param("limit", params.get("limit"), 20, 1, 50)?;
    let offset = number_param("offset", params.get("offset"), 0, 0, usize::MAX)?;
    let world = sandbox.world();
    let board = world.board(&board_id)?;
    let data: Vec<Value> = board
        .tags
        .iter()
        .skip(offset)
        .take(limit)
        .map(|t| render::tag(t, &board_id, "", false))
        .collect();
    let base = format!(
        "{}/tags",
        render::board_link(&sandbox.rest_base(), &board_id)
    );
    Ok(Json(json!({
        "data": data,
        "total": board.tags.len(),
        "size": data.len(),
        "offset": offset,
        "limit": limit,
        "links": render::page_links(&base, offset, limit, board.tags.len()),
        "type": "list",
    })))
}

pub async fn get(
    State(sandbox): State<Sandbox>,
    Path((board_id, tag_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let world = sandbox.world();
    let tag = world.board(&board_id)?.tag(&tag_id)?;
    Ok(Json(render::tag(
        tag,
        &board_id,
        &sandbox.rest_base(),
        true,
    )))
}

pub async fn update(
    State(sandbox): State<Sandbox>,
    Path((board_id, tag_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let input: TagInput = parse_body(&body)?;
    let mut world = sandbox.world();
    let board = world.board_mut(&board_id)?;
    board.tag(&tag_id)?;
    check(&input, &board.tags, Some(&tag_id))?;
    let tag = board
        .tags
        .iter_mut()
        .find(|t| t.id == tag_id)
        .ok_or_else(|| ApiError::not_found("Tag not found"))?;
    if let Some(title) = input.title {
        tag.title = title;
    }
    if let Some(color) = input.fill_color {
        tag.fill_color = color;
    }
    Ok(Json(render::tag(
        tag,
        &board_id,
        &sandbox.rest_base(),
        true,
    )))
}

pub async fn delete(
    State(sandbox): State<Sandbox>,
    Path((board_id, tag_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut world = sandbox.world();
    let board = world.board_mut(&board_id)?;
    board.tag(&tag_id)?;
    board.tags.retain(|t| t.id != tag_id);
    for item in &mut board.items {
        item.tag_ids.retain(|t| *t != tag_id);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v2/boards/{b}/items/{i}?tag_id=`.
pub async fn attach(
    State(sandbox): State<Sandbox>,
    Path((board_id, item_id)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<StatusCode> {
    let Some(tag_id) = params.get("tag_id") else {
        return Err(ApiError::invalid_field("tag_id", "is required"));
    };
    let mut world = sandbox.world();
    let board = world.board_mut(&board_id)?;
    board.tag(tag_id)?;
    let item = board.item_mut(&item_id)?;
    if !matches!(item.content, Content::Card(_) | Content::StickyNote(_)) {
        return Err(ApiError::invalid_field(
            "item_id",
            "tags can be attached to cards and sticky notes only",
        ));
    }
    if !item.tag_ids.contains(tag_id) {
        if item.tag_ids.len() >= MAX_TAGS_PER_ITEM {
            return Err(ApiError::invalid_field(
                "tag_id",
                format!("an item can have at most {MAX_TAGS_PER_ITEM} tags"),
            ));
        }
        item.tag_ids.push(tag_id.clone());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v2/boards/{b}/items/{i}?tag_id=`: detaches, never deletes.
pub fn detach(
    sandbox: &Sandbox,
    board_id: &str,
    item_id: &str,
    tag_id: &str,
) -> ApiResult<StatusCode> {
    let mut world = sandbox.world();
    let board = world.board_mut(board_id)?;
    board.tag(tag_id)?;
    board.item_mut(item_id)?.tag_ids.retain(|t| t != tag_id);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v2/boards/{b}/items/{i}/tags`.
pub async fn of_item(
    State(sandbox): State<Sandbox>,
    Path((board_id, item_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let world = sandbox.world();
    let board = world.board(&board_id)?;
    let item = board.item(&item_id)?;
    let tags: Vec<Value> = board
        .tags
        .iter()
        .filter(|t| item.tag_ids.contains(&t.id))
        .map(|t| render::tag(t, &board_id, "", false))
        .collect();
    Ok(Json(json!({ "tags": tags })))
}

/// `GET /v2/boards/{b}/items?tag_id=`: offset-paged `ItemPagedResponse`.
pub fn items_with_tag(
    sandbox: &Sandbox,
    caller: &Caller,
    board_id: &str,
    tag_id: &str,
    params: &HashMap<String, String>,
) -> ApiResult<Value> {
    let limit = number_param("limit", params.get("limit"), 20, 1, 50)?;
    let offset = number_param("offset", params.get("offset"), 0, 0, usize::MAX)?;
    let world = sandbox.world();
    let board = world.board(board_id)?;
    board.tag(tag_id)?;
    let tagged: Vec<_> = board
        .items
        .iter()
        .filter(|i| i.tag_ids.iter().any(|t| t == tag_id))
        .collect();
    let data: Vec<Value> = tagged
        .iter()
        .skip(offset)
        .take(limit)
        .map(|i| render::generic_item(i, &caller.client_id))
        .collect();
    let base = format!(
        "{}/items?tag_id={tag_id}",
        render::board_link(&sandbox.rest_base(), board_id)
    );
    Ok(json!({
        "data": data,
        "total": tagged.len(),
        "size": data.len(),
        "offset": offset,
        "limit": limit,
        "links": render::page_links(&base, offset, limit, tagged.len()),
        "type": "list",
    }))
}
