//! Test controls, under `/_standin/` (JSON; no token needed):
//! - `GET`/`POST /faults`: the fault plan ([`FaultPlan`]); posting one
//!   restarts its script's counts;
//! - `GET`/`DELETE /requests`: the REST request log;
//! - `GET`/`POST /rate-limit`: `{"limit", "window_seconds"}`; posting
//!   starts a fresh window;
//! - `POST /seed`: `{"repository": "owner/name", "count": N}`;
//! - `POST /webhook`: `{"url": …}` (or null) where deliveries go;
//! - `POST /issues/{owner}/{repo}/{number}/edit`: an edit made by someone
//!   on GitHub (`sender`, default `monalisa`), with the fields a PATCH
//!   takes; `/delete` and `/transfer` (`{"new_repository": "owner/name"}`)
//!   likewise. Each sends its webhooks;
//! - `GET /deliveries`: `{"pending": N, "deliveries": [...]}`, oldest
//!   first, with the status the app answered;
//! - `POST /redeliver/{delivery_id}`: sends a delivery again, unchanged.

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{
    edit, errors::ApiError, input, limits::LimitSettings, world::SOMEONE_ELSE, FaultPlan,
    GitHubStandIn,
};

pub fn router() -> Router<GitHubStandIn> {
    Router::new()
        .route("/_standin/faults", get(faults).post(set_faults))
        .route("/_standin/requests", get(requests).delete(clear_requests))
        .route("/_standin/rate-limit", get(rate_limit).post(set_rate_limit))
        .route("/_standin/seed", post(seed))
        .route("/_standin/webhook", post(set_webhook))
        .route(
            "/_standin/issues/{owner}/{repo}/{number}/{what}",
            post(change_issue),
        )
        .route("/_standin/deliveries", get(deliveries))
        .route("/_standin/redeliver/{id}", post(redeliver))
}

/// A JSON body read into `T`, or a 400 saying why not.
fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()))
}

async fn faults(State(standin): State<GitHubStandIn>) -> Json<FaultPlan> {
    Json(standin.0.faults.plan())
}

async fn set_faults(
    State(standin): State<GitHubStandIn>,
    body: Bytes,
) -> Result<Json<FaultPlan>, ApiError> {
    let plan: FaultPlan = parse(&body)?;
    plan.validate()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))?;
    standin.0.faults.set(plan.clone());
    Ok(Json(plan))
}

async fn requests(State(standin): State<GitHubStandIn>) -> Response {
    Json(standin.requests()).into_response()
}

async fn clear_requests(State(standin): State<GitHubStandIn>) -> StatusCode {
    standin.requests_mut().clear();
    StatusCode::NO_CONTENT
}

async fn rate_limit(State(standin): State<GitHubStandIn>) -> Json<Value> {
    Json(json!({"settings": standin.0.limiter.settings(), "budget": standin.0.limiter.peek()}))
}

async fn set_rate_limit(
    State(standin): State<GitHubStandIn>,
    body: Bytes,
) -> Result<Json<LimitSettings>, ApiError> {
    let settings: LimitSettings = parse(&body)?;
    standin.0.limiter.set(settings);
    Ok(Json(settings))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Seed {
    repository: String,
    count: usize,
}

async fn seed(State(standin): State<GitHubStandIn>, body: Bytes) -> Result<StatusCode, ApiError> {
    let seed: Seed = parse(&body)?;
    let (owner, name) = seed
        .repository
        .split_once('/')
        .ok_or_else(ApiError::not_found)?;
    let mut world = standin.world();
    let at = world
        .repo_index(owner, name)
        .ok_or_else(ApiError::not_found)?;
    super::seed::seed(&mut world, at, seed.count);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Webhook {
    url: Option<String>,
}

async fn set_webhook(
    State(standin): State<GitHubStandIn>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let webhook: Webhook = parse(&body)?;
    standin.set_webhook_url(webhook.url);
    Ok(StatusCode::NO_CONTENT)
}

/// `edit`, `delete` or `transfer`, by someone other than the token's owner.
async fn change_issue(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo, number, what)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let number: u64 = number.parse().map_err(|_| ApiError::not_found())?;
    let map = if body.is_empty() {
        Map::new()
    } else {
        input::object(&body)?
    };
    let sender = match map.get("sender") {
        Some(Value::String(login)) => login.clone(),
        _ => SOMEONE_ELSE.to_owned(),
    };
    let changed = match what.as_str() {
        "edit" => {
            let input = input::issue(&map, false)?;
            standin.apply(&owner, &repo, |world, at| {
                edit::update_issue(world, at, number, input, &sender)
            })?
        }
        "delete" => standin.apply(&owner, &repo, |world, at| {
            edit::delete_issue(world, at, number, &sender)
        })?,
        "transfer" => {
            let target = map
                .get("new_repository")
                .and_then(Value::as_str)
                .unwrap_or("standin-elsewhere/moved")
                .to_owned();
            standin.apply(&owner, &repo, |world, at| {
                edit::transfer_issue(world, at, number, &target, &sender)
            })?
        }
        _ => return Err(ApiError::not_found()),
    };
    Ok(Json(changed))
}

async fn deliveries(State(standin): State<GitHubStandIn>) -> Json<Value> {
    let (pending, deliveries) = standin.0.hooks.deliveries();
    Json(json!({"pending": pending, "deliveries": deliveries}))
}

async fn redeliver(
    State(standin): State<GitHubStandIn>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if standin.0.hooks.redeliver(&id) {
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(ApiError::not_found())
    }
}
