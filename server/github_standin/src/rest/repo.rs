//! A repository itself (`GET /repos/{owner}/{repo}`, how a token's access
//! to it is checked), the rest of its issue metadata: milestones (filtered
//! by state, paged) and assignable users (paged); and two endpoints that are
//! not a repository's: `GET /user` (whose token this is) and
//! `GET /rate_limit` (free, as on GitHub).

use axum::{
    extract::{Path, State},
    response::Response,
    Extension, Json,
};
use http::Uri;
use serde_json::{json, Value};

use super::repo_at;
use crate::{
    errors::{ApiError, FieldError},
    gate::ApiBase,
    paging::{self, param, Paging},
    render,
    world::{Milestone, COLLABORATORS, TOKEN_OWNER},
    GitHubStandIn,
};

pub async fn get_one(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let world = standin.world();
    let repo = &world.repos[repo_at(&world, &owner, &repo)?];
    Ok(Json(render::repository(repo)))
}

pub async fn milestones(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo)): Path<(String, String)>,
    Extension(base): Extension<ApiBase>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let pairs = paging::query_pairs(uri.query());
    let state = param(&pairs, "state").unwrap_or("open");
    let keeps = |m: &&Milestone| match state {
        "open" => m.open,
        "closed" => !m.open,
        _ => true,
    };
    if !["open", "closed", "all"].contains(&state) {
        return Err(ApiError::validation_failed(vec![FieldError::invalid(
            "Milestone",
            "state",
            Value::from(state),
        )]));
    }
    let paging = Paging::from_query(&pairs, standin.0.settings.per_page_max);
    let world = standin.world();
    let repo = &world.repos[repo_at(&world, &owner, &repo)?];
    // GitHub's default order: by due date, earliest first, undated last.
    let mut matching: Vec<&Milestone> = repo.milestones.iter().filter(keeps).collect();
    matching.sort_by_key(|m| (m.due_on.is_none(), m.due_on, m.number));
    let total = matching.len();
    let items = matching[paging.range(total)]
        .iter()
        .map(|m| render::milestone(repo, m))
        .collect();
    let link = paging.link(&base.0, uri.path(), &pairs, total);
    Ok(paging::answer(items, link))
}

pub async fn assignees(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo)): Path<(String, String)>,
    Extension(base): Extension<ApiBase>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let pairs = paging::query_pairs(uri.query());
    let paging = Paging::from_query(&pairs, standin.0.settings.per_page_max);
    repo_at(&standin.world(), &owner, &repo)?;
    let total = COLLABORATORS.len();
    let items = COLLABORATORS[paging.range(total)]
        .iter()
        .map(|login| render::user(login))
        .collect();
    let link = paging.link(&base.0, uri.path(), &pairs, total);
    Ok(paging::answer(items, link))
}

pub async fn user() -> Json<Value> {
    Json(render::user(TOKEN_OWNER))
}

pub async fn rate_limit(State(standin): State<GitHubStandIn>) -> Json<Value> {
    let budget = standin.0.limiter.peek();
    let core = json!({
        "limit": budget.limit,
        "remaining": budget.remaining,
        "reset": budget.reset,
        "used": budget.used,
        "resource": "core",
    });
    Json(json!({"resources": {"core": core}, "rate": core}))
}
