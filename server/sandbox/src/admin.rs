//! Test controls, under `/sandbox/admin`:
//! - `GET`/`PUT /faults`: the fault plan (shares of 429/500/503, dropped
//!   connections, latency, and a `script` of one-shot faults for given
//!   requests; see [`FaultPlan`]). Putting a plan restarts the script's
//!   counts; `GET` shows the plan as it was put;
//! - `GET`/`PUT /rate-limit`: credits per window and the window's length;
//! - `POST /clock`: `{"advance_seconds": N}` moves the sandbox's clock
//!   forward (token and code expiry), without waiting;
//! - `GET`/`DELETE /requests`: the log of REST requests, to count calls
//!   (each with `method`, `path`, `status`, `fault`, `credits`, when it
//!   arrived and how long it took, `received_us` and `micros`, and
//!   `script_entry` when a scripted fault answered it).
//!
//! Bodies must be sent as `application/json` (415 otherwise), and only
//! requests addressed to the sandbox itself are answered (403; see
//! `guard.rs`), so a page on another site cannot drive these from a
//! developer's browser.

use axum::{
    body::Bytes,
    extract::State,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    errors::{parse_body, ApiError},
    FaultPlan, LimitSettings, Sandbox,
};

pub fn router() -> Router<Sandbox> {
    Router::new()
        .route("/sandbox/admin/faults", get(faults).put(set_faults))
        .route(
            "/sandbox/admin/rate-limit",
            get(rate_limit).put(set_rate_limit),
        )
        .route("/sandbox/admin/clock", post(advance_clock))
        .route(
            "/sandbox/admin/requests",
            get(requests).delete(clear_requests),
        )
}

async fn faults(State(sandbox): State<Sandbox>) -> Json<FaultPlan> {
    Json(sandbox.0.faults.plan())
}

async fn set_faults(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    let plan: FaultPlan = match parse_body(&body) {
        Ok(plan) => plan,
        Err(error) => return error.into_response(),
    };
    if let Err(message) = plan.validate() {
        return ApiError::bad_request(message).into_response();
    }
    sandbox.0.faults.set(plan.clone());
    tracing::info!(?plan, "sandbox fault plan changed");
    Json(plan).into_response()
}

async fn rate_limit(State(sandbox): State<Sandbox>) -> Json<LimitSettings> {
    Json(sandbox.0.limiter.settings())
}

async fn set_rate_limit(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    let settings: LimitSettings = match parse_body(&body) {
        Ok(settings) => settings,
        Err(error) => return error.into_response(),
    };
    if settings.window_seconds == 0 {
        return ApiError::invalid_field("window_seconds", "must be at least 1").into_response();
    }
    sandbox.0.limiter.set_settings(settings);
    Json(settings).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    advance_seconds: u32,
}

async fn advance_clock(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    let advance: Advance = match parse_body(&body) {
        Ok(advance) => advance,
        Err(error) => return error.into_response(),
    };
    let offset = sandbox.0.clock_offset.fetch_add(
        i64::from(advance.advance_seconds),
        std::sync::atomic::Ordering::Relaxed,
    ) + i64::from(advance.advance_seconds);
    Json(json!({ "offset_seconds": offset, "now": super::render::timestamp(sandbox.now()) }))
        .into_response()
}

async fn requests(State(sandbox): State<Sandbox>) -> Json<Value> {
    let log = sandbox
        .0
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    Json(json!({ "count": log.len(), "requests": log }))
}

async fn clear_requests(State(sandbox): State<Sandbox>) -> StatusCode {
    sandbox
        .0
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    StatusCode::NO_CONTENT
}
