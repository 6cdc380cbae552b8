//! GitHub's REST API, at the root as on `api.github.com`, for what the
//! connector uses: the configured repositories themselves, their issues,
//! labels, milestones and assignees, plus `GET /user` and `GET /rate_limit`.
//! A repository that is not configured does not exist (404).

mod issues;
mod labels;
mod repo;

use axum::{routing::get, Router};

use super::{errors::ApiError, world::World, GitHubStandIn};

pub fn router() -> Router<GitHubStandIn> {
    Router::new()
        .route("/repos/{owner}/{repo}", get(repo::get_one))
        .route(
            "/repos/{owner}/{repo}/issues",
            get(issues::list).post(issues::create),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}",
            get(issues::get_one).patch(issues::update),
        )
        .route(
            "/repositories/{id}/issues/{number}",
            get(issues::get_by_repository_id),
        )
        .route(
            "/repos/{owner}/{repo}/labels",
            get(labels::list).post(labels::create),
        )
        .route(
            "/repos/{owner}/{repo}/labels/{name}",
            get(labels::get_one).patch(labels::update),
        )
        .route("/repos/{owner}/{repo}/milestones", get(repo::milestones))
        .route("/repos/{owner}/{repo}/assignees", get(repo::assignees))
        .route("/user", get(repo::user))
        .route("/rate_limit", get(repo::rate_limit))
}

/// Where a configured repository sits in the world, or 404.
fn repo_at(world: &World, owner: &str, repo: &str) -> Result<usize, ApiError> {
    world
        .repo_index(owner, repo)
        .ok_or_else(ApiError::not_found)
}

/// An issue number from the path; anything else names no issue.
fn number(text: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| ApiError::not_found())
}

/// The answer to a route the stand-in does not serve.
pub async fn unknown() -> ApiError {
    ApiError::not_found()
}
