//! `GET /v2/boards` (filtered by `team_id` or `query`, offset-paged),
//! `GET /v2/boards/{board_id}`, and `POST /v2/boards` (create): the new
//! board is in the caller's team and owned by the caller, so any app the
//! team installed may write to it. The sandbox keeps no sharing policy
//! (its one user owns every board): a `policy` is checked, not stored.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    Extension, Json,
};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::number_param;
use crate::{
    errors::{parse_body, ApiError, ApiResult, FieldError},
    input::{check_enum, push},
    render,
    world::Board,
    Caller, Sandbox,
};

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
        .filter(|b| b.team_id == caller.team_id)
        .filter(|b| wanted_team.is_none_or(|t| *t == b.team_id))
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

/// `BoardChanges`, as create reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoardInput {
    name: Option<String>,
    description: Option<String>,
    policy: Option<PolicyInput>,
    team_id: Option<String>,
    project_id: Option<String>,
}

/// `BoardPolicyChange`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyInput {
    permissions_policy: Option<PermissionsInput>,
    sharing_policy: Option<SharingInput>,
}

/// `BoardPermissionsPolicy`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PermissionsInput {
    collaboration_tools_start_access: Option<String>,
    copy_access: Option<String>,
    sharing_access: Option<String>,
}

/// `BoardSharingPolicyChange`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SharingInput {
    access: Option<String>,
    invite_to_account_and_board_link_access: Option<String>,
    organization_access: Option<String>,
    team_access: Option<String>,
}

const ACCESS: &[&str] = &["private", "view", "comment", "edit"];

impl BoardInput {
    /// Every problem with the body, each with its field path.
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let chars = |text: &Option<String>| text.as_ref().map(|t| t.chars().count());
        if chars(&self.name).is_some_and(|n| !(1..=60).contains(&n)) {
            push(&mut errors, "", "name", "must be 1 to 60 characters");
        }
        if chars(&self.description).is_some_and(|n| n > 300) {
            push(
                &mut errors,
                "",
                "description",
                "must be at most 300 characters",
            );
        }
        let policy = self.policy.as_ref();
        if let Some(p) = policy.and_then(|p| p.permissions_policy.as_ref()) {
            let at = "policy.permissionsPolicy.";
            let starts = ["all_editors", "board_owners_and_coowners"];
            let copies = ["anyone", "team_members", "team_editors", "board_owner"];
            let sharing = ["team_members_with_editing_rights", "owner_and_coowners"];
            for (field, value, allowed) in [
                (
                    "collaborationToolsStartAccess",
                    &p.collaboration_tools_start_access,
                    &starts[..],
                ),
                ("copyAccess", &p.copy_access, &copies[..]),
                ("sharingAccess", &p.sharing_access, &sharing[..]),
            ] {
                check_enum(&mut errors, at, field, value.as_ref(), allowed);
            }
        }
        if let Some(s) = policy.and_then(|p| p.sharing_policy.as_ref()) {
            let at = "policy.sharingPolicy.";
            let invites = ["viewer", "commenter", "editor", "no_access"];
            for (field, value, allowed) in [
                ("access", &s.access, ACCESS),
                (
                    "inviteToAccountAndBoardLinkAccess",
                    &s.invite_to_account_and_board_link_access,
                    &invites[..],
                ),
                ("organizationAccess", &s.organization_access, ACCESS),
                ("teamAccess", &s.team_access, ACCESS),
            ] {
                check_enum(&mut errors, at, field, value.as_ref(), allowed);
            }
        }
        errors
    }
}

/// `POST /v2/boards`: 201 with `BoardWithLinks`. A `teamId` other than the
/// caller's, or any `projectId` (the sandbox has no spaces), names
/// something the caller cannot reach: 404, as for an unknown board.
pub async fn create(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    // Every member is optional, so an empty body is an empty object.
    let input: BoardInput = if body.iter().all(u8::is_ascii_whitespace) {
        BoardInput::default()
    } else {
        parse_body(&body)?
    };
    let errors = input.validate();
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    if let Some(team) = input.team_id.as_ref().filter(|t| **t != caller.team_id) {
        return Err(ApiError::not_found(format!("Team {team} not found")));
    }
    if let Some(project) = &input.project_id {
        return Err(ApiError::not_found(format!("Project {project} not found")));
    }
    let now = sandbox.now();
    let mut world = sandbox.world();
    // Miro's board ids look like `uXjVOfjmfkE=`; the seeded ones are
    // `uXjVSandbox1=` and `uXjVSandbox2=`, and new ones count on.
    let id = (world.boards.len() + 1..)
        .map(|n| format!("uXjVSandbox{n}="))
        .find(|id| world.board(id).is_err())
        .unwrap_or_default();
    world.boards.push(Board {
        id: id.clone(),
        name: input.name.unwrap_or_else(|| "Untitled".to_owned()),
        description: input.description.unwrap_or_default(),
        owner_id: caller.user_id.clone(),
        team_id: caller.team_id.clone(),
        created_at: now,
        modified_at: now,
        items: Vec::new(),
        tags: Vec::new(),
    });
    let board = world.board(&id)?;
    let json = render::board(
        board,
        &world,
        &caller.user_id,
        &sandbox.rest_base(),
        &sandbox.settings().public_url,
        true,
    );
    Ok((StatusCode::CREATED, Json(json)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(body: Value) -> Vec<String> {
        let input: BoardInput = serde_json::from_value(body).unwrap();
        input.validate().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn board_changes_follow_the_spec_limits_and_enums() {
        assert!(problems(
            json!({"name": "x".repeat(60), "description": "d".repeat(300),
            "policy": {"permissionsPolicy": {"sharingAccess": "owner_and_coowners"},
                       "sharingPolicy": {"teamAccess": "comment"}}})
        )
        .is_empty());
        assert_eq!(
            problems(json!({"name": "", "policy": {"sharingPolicy": {
                "inviteToAccountAndBoardLinkAccess": "owner", "organizationAccess": "all"}}})),
            [
                "name",
                "policy.sharingPolicy.inviteToAccountAndBoardLinkAccess",
                "policy.sharingPolicy.organizationAccess"
            ]
        );
    }
}
