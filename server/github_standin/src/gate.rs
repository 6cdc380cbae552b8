//! What every REST request passes through, outermost first:
//! 1. `faults_and_log`: added latency and injected faults (the request is
//!    then answered without being applied), and the request log;
//! 2. `authenticate`: the token (`Authorization: Bearer …` or `token …`),
//!    then the rate limit: charged on the way in, refunded for a 304, and
//!    the `x-ratelimit-*` headers on every answer;
//! 3. `conditional`: an `ETag` on every successful GET, and 304 Not
//!    Modified when `If-None-Match` names it.

use axum::{
    body::{to_bytes, Body},
    extract::{OriginalUri, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{
    errors::ApiError,
    faults::Fault,
    world::{user_id, TOKEN_OWNER},
    GitHubStandIn,
};

/// One REST request as the stand-in saw it.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    /// Answered 304 because `If-None-Match` matched.
    pub not_modified: bool,
    /// The injected fault (`"500"`, `"403_rate_limit"`...), if any.
    pub fault: Option<String>,
}

pub async fn faults_and_log(
    State(standin): State<GitHubStandIn>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let (fault, latency) = standin.0.faults.decide(&method, &path);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (response, label) = match fault {
        Fault::None => (next.run(request).await, None),
        Fault::SecondaryRateLimit(status) => {
            let retry_after = standin.0.faults.plan().retry_after();
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
            let mut response = ApiError::secondary_rate_limit(status, retry_after).into_response();
            standin.0.limiter.peek().write(response.headers_mut());
            (response, Some(format!("{}_rate_limit", status.as_u16())))
        }
        Fault::ServerError(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = ApiError::server_error(status).into_response();
            standin.0.limiter.peek().write(response.headers_mut());
            (response, Some(status.as_u16().to_string()))
        }
    };
    let status = response.status();
    standin.log(LoggedRequest {
        method,
        path,
        query,
        status: status.as_u16(),
        not_modified: status == StatusCode::NOT_MODIFIED,
        fault: label,
    });
    response
}

/// The token from `Authorization`, in either of the forms GitHub takes.
fn token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token");
    Some(token.trim()).filter(|t| known && !t.is_empty())
}

pub async fn authenticate(
    State(standin): State<GitHubStandIn>,
    mut request: Request,
    next: Next,
) -> Response {
    let refusal = match token(request.headers()) {
        None => Some(ApiError::requires_authentication()),
        Some(token) if token != standin.0.settings.token => Some(ApiError::bad_credentials()),
        Some(_) => None,
    };
    if let Some(refusal) = refusal {
        let mut response = refusal.into_response();
        standin.0.limiter.peek().write(response.headers_mut());
        return response;
    }
    // `GET /rate_limit` costs nothing, as GitHub documents.
    let free = request.uri().path() == "/rate_limit";
    let budget = if free {
        standin.0.limiter.peek()
    } else {
        match standin.0.limiter.charge() {
            Ok(budget) => budget,
            Err(spent) => {
                let mut response =
                    ApiError::rate_limit_exceeded(user_id(TOKEN_OWNER), spent.seconds_to_reset())
                        .into_response();
                spent.write(response.headers_mut());
                return response;
            }
        }
    };
    let base = ApiBase::of(&request);
    request.extensions_mut().insert(base.clone());
    let mut response = next.run(request).await;
    let budget = if response.status() == StatusCode::NOT_MODIFIED && !free {
        standin.0.limiter.refund()
    } else {
        budget
    };
    budget.write(response.headers_mut());
    absolute_location(response.headers_mut(), &base.0);
    response
}

/// Where the API is served, as the client reached it: `http://host:port`
/// from `Host`, plus the prefix the router is nested under, if any (so
/// links stay right when the app mounts the stand-in at `/github`).
#[derive(Clone, Debug)]
pub struct ApiBase(pub String);

impl ApiBase {
    fn of(request: &Request) -> Self {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let inner = request.uri().path();
        let prefix = request
            .extensions()
            .get::<OriginalUri>()
            .and_then(|original| original.path().strip_suffix(inner).map(str::to_owned))
            .unwrap_or_default();
        Self(format!("http://{host}{prefix}"))
    }
}

/// A `Location` given as a path (a transferred issue's) is made absolute
/// on the stand-in's own base, so a client that follows it stays here.
fn absolute_location(headers: &mut HeaderMap, base: &str) {
    let Some(path) = headers
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .filter(|l| l.starts_with('/'))
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&format!("{base}{path}")) {
        headers.insert(header::LOCATION, value);
    }
}

/// The largest answer the stand-in buffers to compute an ETag.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

pub async fn conditional(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return ApiError::server_error(StatusCode::INTERNAL_SERVER_ERROR).into_response();
    };
    // The tag covers the `Link` header too: the same page of a longer list
    // is a different answer.
    let mut hasher = Sha256::new();
    hasher.update(&bytes);
    if let Some(link) = parts.headers.get(header::LINK) {
        hasher.update(link.as_bytes());
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    let etag = format!("W/\"{digest}\"");
    if let Ok(value) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, value);
    }
    if if_none_match.is_some_and(|list| matches(&list, &etag)) {
        let mut not_modified = Response::new(Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(value) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, value.clone());
            }
        }
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// `If-None-Match` by weak comparison: any listed tag, `W/` or not, or `*`.
fn matches(list: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    list.split(',')
        .any(|tag| tag.trim() == "*" || bare(tag) == bare(etag))
}
