//! `POST /github/webhook`: GitHub's deliveries of `issues` and `label`
//! events (and `ping`).
//!
//! In order, and nothing is applied before every check passed:
//! 1. the connector must be on (404 otherwise);
//! 2. the body is read, at most [`WEBHOOK_LIMIT`] bytes (413), and at most
//!    [`UNSIGNED_BODIES`] at once in the process (503 with `Retry-After`
//!    beyond: until its signature is checked, a body is anyone's);
//! 3. `X-Hub-Signature-256` must be the HMAC-SHA256 of those exact bytes
//!    under `GITHUB_WEBHOOK_SECRET`, compared in constant time
//!    (`sync/connector/github/signature.rs`; 401 when missing or wrong);
//! 4. a delivery id (`X-GitHub-Delivery`) seen before is answered 200
//!    "already handled" and not applied again (the ids are kept in the
//!    store, so this holds across restarts and instances);
//! 5. the body is only a hint: the issue it names is read again through
//!    the REST API, and what GitHub says now is applied with
//!    [`SyncEngine::apply_source_change`], which drops our own writes
//!    coming back (no new version, no card write, no Miro call).
//!
//! Steps 4 and 5 are the connector's (`sync/connector/github/webhook.rs`).
//! An event about an issue no record shows yet imports it (see
//! `sync/connector/github/import.rs`), unless the issue is gone. An issue
//! that is gone (deleted, transferred, or deleted by the app, see
//! [`crate::sync::connector::github`]) disables its record's cards; one
//! that comes back enables them again. Nothing is ever deleted on Miro.
//!
//! The work runs in a task of its own, so GitHub hanging up (it waits
//! 10 s) never stops a change half-applied; a failure gives the delivery
//! id back, so redelivering it from GitHub's settings applies it.
//!
//! [`SyncEngine::apply_source_change`]: crate::sync::SyncEngine::apply_source_change
//! [`UNSIGNED_BODIES`]: crate::sync::connector::github::UNSIGNED_BODIES

use std::time::Duration;

use axum::{
    body::{to_bytes, Body},
    extract::State,
    http::{
        header::{CONTENT_LENGTH, RETRY_AFTER},
        HeaderMap, HeaderValue, StatusCode,
    },
    response::Response,
};
use tokio::sync::Semaphore;

use crate::{
    client_address::ClientAddress,
    state::AppState,
    sync::connector::github::{
        verify_signature,
        webhook::{answer, deliver, unavailable},
        WEBHOOK_LIMIT,
    },
};

/// Where GitHub delivers.
pub const WEBHOOK_PATH: &str = "/github/webhook";

/// How long a body may take to arrive (GitHub sends it at once).
const BODY_SECONDS: Duration = Duration::from_secs(10);
/// What a delivery turned away for [`UNSIGNED_BODIES`] is told to wait.
const BUSY_RETRY_SECONDS: u64 = 5;

const SIGNATURE: &str = "x-hub-signature-256";
const DELIVERY: &str = "x-github-delivery";
const EVENT: &str = "x-github-event";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The handler (see the module docs).
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddress,
    body: Body,
) -> Response {
    let Some(github) = state.github.clone() else {
        return answer(
            StatusCode::NOT_FOUND,
            "error",
            "The GitHub connector is off: set GITHUB_REPOSITORIES, GITHUB_TOKEN and \
             GITHUB_WEBHOOK_SECRET.",
        );
    };
    let bytes = match read_unsigned_body(&github.unsigned_bodies, &headers, body).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    let signature = headers.get(SIGNATURE).map(|v| v.as_bytes());
    if let Err(error) =
        verify_signature(github.webhook_secret.expose().as_bytes(), &bytes, signature)
    {
        if let Some(unlogged) = state.refusal_logs.webhook_signatures.admit_now(client) {
            tracing::warn!(%client, unlogged_since_last_line = unlogged, "GitHub webhook refused: {error}");
        }
        return answer(StatusCode::UNAUTHORIZED, "error", error.to_string());
    }
    let (Some(delivery), Some(event)) = (header(&headers, DELIVERY), header(&headers, EVENT))
    else {
        return answer(
            StatusCode::BAD_REQUEST,
            "error",
            "X-GitHub-Delivery and X-GitHub-Event are required.",
        );
    };
    if delivery.len() > 100 {
        return answer(
            StatusCode::BAD_REQUEST,
            "error",
            "X-GitHub-Delivery is too long.",
        );
    }
    let (delivery, event) = (delivery.to_owned(), event.to_owned());
    let engine = state.sync.clone();
    let connector = github.connector.clone();
    // A task of its own: see the module docs.
    let task =
        tokio::spawn(async move { deliver(&engine, &connector, &delivery, &event, &bytes).await });
    task.await.unwrap_or_else(|error| {
        tracing::error!("a GitHub delivery's task failed: {error}");
        unavailable()
    })
}

/// Reads a body not yet known to be GitHub's: at most [`WEBHOOK_LIMIT`]
/// bytes (413), within [`BODY_SECONDS`] (408), and only while fewer than
/// [`UNSIGNED_BODIES`] are being read (`reading` holds their permits, one
/// set for the app's process); past that a quick 503 with `Retry-After`,
/// so a flood of large unsigned bodies holds a few MiB at most. (GitHub
/// does not resend a failed delivery by itself; the poll catches up what
/// it missed, or it can be redelivered from the webhook's settings.)
async fn read_unsigned_body(
    reading: &Semaphore,
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::body::Bytes, Response> {
    let too_large = || {
        answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            "error",
            format!("The body is larger than {} KiB.", WEBHOOK_LIMIT / 1024),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > WEBHOOK_LIMIT as u64) {
        return Err(too_large());
    }
    let Ok(_reading) = reading.try_acquire() else {
        let mut busy = answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "error",
            "Too many deliveries are being received at once; try again in a moment.",
        );
        busy.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(BUSY_RETRY_SECONDS));
        return Err(busy);
    };
    match tokio::time::timeout(BODY_SECONDS, to_bytes(body, WEBHOOK_LIMIT)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(too_large()),
        Err(_) => Err(answer(
            StatusCode::REQUEST_TIMEOUT,
            "error",
            "The body did not arrive in time.",
        )),
    }
}
