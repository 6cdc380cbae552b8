//! What every REST request passes through, outermost first:
//! 1. `faults_and_log`: added latency, injected 403/409/429/500/503 and
//!    dropped connections (per the fault plan: its random shares and its
//!    scripted one-shot entries), and the request log tests count;
//! 2. `authenticate` (on routes that need a token): the bearer token
//!    becomes a [`Caller`](super::Caller), then the caller's credits are charged and the
//!    `X-RateLimit-*` headers written.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::{
    body::{to_bytes, Body, Bytes},
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header::AUTHORIZATION, StatusCode};
use serde::Serialize;
use sha2::Digest as _;

use super::{
    errors::ApiError,
    faults::Fault,
    limits::{self, Budget, LEVEL_2},
    Caller, Sandbox,
};

/// One REST request as the sandbox saw it.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
    /// What the fault plan did (`"500"`, `"drop_before"`...), or
    /// `client_closed`; absent when nothing was injected.
    pub fault: Option<&'static str>,
    /// The index in the plan's `script` of the entry that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_entry: Option<usize>,
    /// The rate-limit credits the request was charged (0 when it never
    /// reached the charge: a fault, a refused token, a spent budget).
    pub credits: u32,
    /// For a request with a body: the first 16 hex digits of its SHA-256,
    /// so tests can tell whether the same content was sent twice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    /// When the request arrived, in microseconds since the UNIX epoch, and
    /// how long the sandbox took to answer it (injected latency included):
    /// a benchmark subtracts Miro's own time from what its client saw.
    pub received_us: u64,
    pub micros: u64,
}

/// What the rate-limit layer charged, carried on the response to the log.
#[derive(Clone, Copy, Debug)]
struct Charged(u32);

/// Latency, injected faults, and the request log.
pub async fn faults_and_log(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let received_us = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let (request, body_sha256) = match body_digest(request).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    // The PATCH operations whose spec lists 409.
    let can_conflict = request.method() == http::Method::PATCH
        && ["/app_cards/", "/cards/", "/sticky_notes/"]
            .iter()
            .any(|kind| path.contains(kind));
    let decision = sandbox.0.faults.decide(&method, &path, can_conflict);
    // Logged however the request ends: a client that hangs up before the
    // answer (its deadline passed) cancels this future, and the entry says
    // 499, so tests can tell "gave up before Miro answered" from timing.
    let mut entry = LogOnDrop {
        sandbox: sandbox.clone(),
        started,
        entry: Some(LoggedRequest {
            method,
            path,
            status: CLIENT_CLOSED_REQUEST,
            fault: Some("client_closed"),
            script_entry: decision.script_entry,
            credits: 0,
            body_sha256,
            received_us,
            micros: 0,
        }),
    };
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let (response, label) = match decision.fault {
        Fault::None => (next.run(request).await, None),
        Fault::Forbidden => (
            ApiError::forbidden(
                "The sandbox refused this request on purpose: the app cannot write to this board",
            )
            .into_response(),
            Some("403"),
        ),
        Fault::Conflict => (
            ApiError::conflict("The item was changed by someone else at the same time; retry")
                .into_response(),
            Some("409"),
        ),
        Fault::TooManyRequests => {
            let mut response = ApiError::too_many_requests().into_response();
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            Budget {
                limit: sandbox.0.limiter.settings().credits_per_window,
                remaining: 0,
                reset: now + 1,
            }
            .write(response.headers_mut());
            (response, Some("429"))
        }
        Fault::ServerError => (
            ApiError::injected(StatusCode::INTERNAL_SERVER_ERROR).into_response(),
            Some("500"),
        ),
        Fault::Unavailable => (
            ApiError::injected(StatusCode::SERVICE_UNAVAILABLE).into_response(),
            Some("503"),
        ),
        Fault::DropBefore => (dropped_connection(), Some("drop_before")),
        Fault::DropAfter => {
            let _applied = next.run(request).await;
            (dropped_connection(), Some("drop_after"))
        }
    };
    if let Some(logged) = entry.entry.as_mut() {
        logged.status = response.status().as_u16();
        logged.fault = label;
        logged.credits = response.extensions().get::<Charged>().map_or(0, |c| c.0);
    }
    drop(entry);
    response
}

/// The largest body a request may have (Miro's own limit is lower).
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Reads a body-carrying request's body to hash it, and puts it back.
async fn body_digest(request: Request) -> Result<(Request, Option<String>), Response> {
    if !matches!(
        *request.method(),
        http::Method::POST | http::Method::PATCH | http::Method::PUT
    ) {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return Err(ApiError::bad_request("Request body is too large").into_response());
    };
    let digest: String = sha2::Sha256::digest(&bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((Request::from_parts(parts, Body::from(bytes)), Some(digest)))
}

/// The status the log gives a request whose client hung up first (nginx's
/// "client closed request"; never sent, since nobody is listening).
pub const CLIENT_CLOSED_REQUEST: u16 = 499;

/// Pushes its entry to the request log when dropped: at the end of the
/// request, or when the client's hang-up cancels it.
struct LogOnDrop {
    sandbox: Sandbox,
    started: Instant,
    entry: Option<LoggedRequest>,
}

impl Drop for LogOnDrop {
    fn drop(&mut self) {
        if let Some(mut entry) = self.entry.take() {
            entry.micros = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
            self.sandbox
                .0
                .requests
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(entry);
        }
    }
}

/// A response whose body fails at once: the server closes the connection
/// without a complete answer, so the client sees a broken connection.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection dropped by the sandbox's fault plan",
        ))
    });
    Response::new(Body::from_stream(failing))
}

/// Bearer token → [`Caller`]; then the rate limit.
/// The refusal for a request about a board of another team than the
/// caller's: on Miro (guests and sharing aside, which the sandbox does not
/// have) only a team's users reach its boards. An unknown board is left to
/// the handler's 404.
fn other_teams_board(sandbox: &Sandbox, path: &str, caller: &Caller) -> Option<ApiError> {
    let (_, rest) = path.split_once("/v2/boards/")?;
    let id = super::faults::percent_decode(rest.split('/').next()?);
    let world = sandbox.world();
    let board = world.board(&id).ok()?;
    (board.team_id != caller.team_id).then(|| {
        ApiError::forbidden(format!(
            "Board {id} is in another team: this user has no access to it"
        ))
    })
}

pub async fn authenticate(
    State(sandbox): State<Sandbox>,
    mut request: Request,
    next: Next,
) -> Response {
    let token_info = request.uri().path().ends_with("/v1/oauth-token");
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return ApiError::token_missing().into_response();
    };
    let Some(caller) = sandbox.grants().caller(token, sandbox.now()) else {
        // The spec gives token info a 400 for a bad token.
        let mut error = ApiError::token_invalid();
        if token_info {
            error.status = StatusCode::BAD_REQUEST;
        }
        return error.into_response();
    };

    let has_tag_id = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("tag_id=")));
    let path = request.uri().path().to_owned();
    let mut cost = limits::cost(request.method(), &path, has_tag_id);
    if path.ends_with("/items/bulk") {
        // Bulk create costs level 2 per item: count them first.
        let (parts, body) = request.into_parts();
        let Ok(bytes) = to_bytes(body, 4 * 1024 * 1024).await else {
            return ApiError::bad_request("Request body is too large").into_response();
        };
        let items = serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&bytes)
            .map_or(1, |v| v.len().max(1));
        cost = LEVEL_2 * u32::try_from(items).unwrap_or(u32::MAX);
        request = Request::from_parts(parts, Body::from(bytes));
    }
    let budget = match sandbox
        .0
        .limiter
        .charge(&caller.user_id, &caller.client_id, cost)
    {
        Ok(budget) => budget,
        Err(exhausted) => {
            let mut response = ApiError::too_many_requests().into_response();
            exhausted.write(response.headers_mut());
            return response;
        }
    };
    let mut response = match other_teams_board(&sandbox, &path, &caller) {
        Some(refusal) => refusal.into_response(),
        None => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
    };
    budget.write(response.headers_mut());
    response.extensions_mut().insert(Charged(cost));
    response
}
