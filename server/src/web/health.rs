//! `GET /healthz`: a cheap liveness answer for load balancers, process
//! managers and the test harness. It touches no external service, so a slow
//! Miro never makes the instance look dead.

use axum::Json;
use serde::Serialize;

/// The body of a health answer.
#[derive(Debug, Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
}

/// Answers 200 with the running version.
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}
