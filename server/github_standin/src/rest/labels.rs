//! `/repos/{owner}/{repo}/labels`: list (paged), get by name, create and
//! update. Creating and updating send `label` events.

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse, Response},
    Extension, Json,
};
use http::{StatusCode, Uri};
use serde_json::Value;

use super::repo_at;
use crate::{
    edit,
    errors::ApiError,
    gate::ApiBase,
    input,
    paging::{self, Paging},
    render,
    world::TOKEN_OWNER,
    GitHubStandIn,
};

pub async fn list(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo)): Path<(String, String)>,
    Extension(base): Extension<ApiBase>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let pairs = paging::query_pairs(uri.query());
    let paging = Paging::from_query(&pairs, standin.0.settings.per_page_max);
    let world = standin.world();
    let repo = &world.repos[repo_at(&world, &owner, &repo)?];
    let total = repo.labels.len();
    let items = repo.labels[paging.range(total)]
        .iter()
        .map(|label| render::label(repo, label))
        .collect();
    let link = paging.link(&base.0, uri.path(), &pairs, total);
    Ok(paging::answer(items, link))
}

pub async fn get_one(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let world = standin.world();
    let repo = &world.repos[repo_at(&world, &owner, &repo)?];
    let label = repo.label_named(&name).ok_or_else(ApiError::not_found)?;
    Ok(Json(render::label(repo, label)))
}

pub async fn create(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input = input::label(&input::object(&body)?, true)?;
    let created = standin.apply(&owner, &repo, |world, at| {
        edit::create_label(world, at, input, TOKEN_OWNER)
    })?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

pub async fn update(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo, name)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let input = input::label(&input::object(&body)?, false)?;
    let updated = standin.apply(&owner, &repo, |world, at| {
        edit::update_label(world, at, &name, input, TOKEN_OWNER)
    })?;
    Ok(Json(updated))
}
