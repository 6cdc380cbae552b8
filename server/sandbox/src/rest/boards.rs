//! `GET /v2/boards` (filtered by `team_id` or `query`, offset-paged) and
//! `GET /v2/boards/{board_id}`.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    Extension, Json,
};
use serde_json::{json, Value};

use super::number_param;
use crate::{errors::ApiResult, render, Caller, Sandbox};

pub async fn list(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let limit = number_param("limit", params.get("limit"), 20, 1, 50)?;
    let offset = number_param("offset", params.get("offset"), 0, 0, usize::MAX)?;
    if params.get("query").is_some_and(|q| q.chars().count() > 500) {
        return Err(crate::errors::ApiError::invalid_field(
            "query",
            "must be at most 500 characters",
        ));
    }
    let world = sandbox.world();
    let wanted_team = params.get("team_id");
    // With `team_id`, Miro ignores `query` and `owner`.
    let query = if wanted_team.is_some() {
        None
    } else {
        params.get("query").map(|q| q.to_lowercase())
    };
    let owner = if wanted_team.is_some() {
        None
    } else {
        params.get("owner")
    };
    let matching: Vec<_> = world
        .boards
        .iter()
        .filter(|_| wanted_team.is_none_or(|t| *t == world.team.id))
        .filter(|b| {
            query.as_ref().is_none_or(|q| {
                b.name.to_lowercase().contains(q) || b.description.to_lowercase().contains(q)
            })
        })
        .filter(|b| owner.is_none_or(|o| *o == b.owner_id))
        .collect();
    let rest_base = sandbox.rest_base();
    let public = &sandbox.settings().public_url;
    let data: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|b| render::board(b, &world, &caller.user_id, &rest_base, public, false))
        .collect();
    let mut base = format!("{rest_base}/v2/boards");
    if let Some(team) = wanted_team {
        base.push_str(&format!("?team_id={}", render::urlencode(team)));
    }
    Ok(Json(json!({
        "data": data,
        "total": matching.len(),
        "size": data.len(),
        "offset": offset,
        "limit": limit,
        "links": render::page_links(&base, offset, limit, matching.len()),
        "type": "list",
    })))
}

pub async fn get(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Path(board_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let world = sandbox.world();
    let board = world.board(&board_id)?;
    Ok(Json(render::board(
        board,
        &world,
        &caller.user_id,
        &sandbox.rest_base(),
        &sandbox.settings().public_url,
        true,
    )))
}
