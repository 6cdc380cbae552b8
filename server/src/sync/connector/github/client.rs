//! A small client for GitHub's REST API: the only code that talks to
//! GitHub.
//!
//! - Every request carries `Authorization: Bearer`, `Accept:
//!   application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28` and a
//!   User-Agent (GitHub refuses requests without one).
//! - Rate limits: when an answer says the budget is spent
//!   (`x-ratelimit-remaining: 0` with `x-ratelimit-reset`), the next
//!   request waits for the reset; a 403 or 429 that is a rate limit
//!   (remaining 0, or `retry-after`) is waited out and sent again. All
//!   waiting happens within the call's deadline; past it the call fails
//!   with [`ClientError::RateLimited`] saying until when.
//! - GETs are conditional: the ETag of each answer is kept with its body,
//!   and a `304 Not Modified` (which GitHub does not count against the
//!   rate limit) hands back the kept body.
//! - Lists follow `Link: <…>; rel="next"` to the last page, only ever to
//!   the API's own origin, so the token never goes anywhere else.
//! - A GET is retried after a 5xx or a dropped connection. A PATCH or POST
//!   is not, since it may have been applied: the caller reads the issue
//!   again first (the source outbox does), so an edit made on GitHub in
//!   between is seen rather than overwritten. A connection that never
//!   opened, or a rate-limit refusal, is retried for all of them.
//! - Redirects are not followed: GitHub answers `301` for a transferred
//!   issue, which the connector reads as "gone from here".

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use reqwest::{header, Method, StatusCode};
use serde::{de::DeserializeOwned, Serialize};

use crate::miro::Secret;

/// The REST API version the connector is written against.
pub const API_VERSION: &str = "2022-11-28";
const USER_AGENT: &str = concat!("miro-cards/", env!("CARGO_PKG_VERSION"));
/// Kept answers for conditional GETs; past this many the cache starts over.
const ETAG_CACHE_ENTRIES: usize = 1024;

/// The body of an answer, as the ETag cache keeps it.
type Kept = std::sync::Arc<[u8]>;

/// How long calls may take.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// The most one call may take, rate-limit waits and retries included.
    pub deadline: Duration,
    /// The most one HTTP attempt may take.
    pub attempt_timeout: Duration,
    /// The first retry's delay after a 5xx; doubled each time.
    pub backoff_base: Duration,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(30),
            attempt_timeout: Duration::from_secs(10),
            backoff_base: Duration::from_millis(500),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// 404 or 410: no such thing (or no access to it).
    #[error("not found on GitHub")]
    NotFound,
    /// 301: the issue was transferred to another repository.
    #[error("moved to another repository")]
    Moved,
    /// The rate limit is spent until this UNIX second, past the deadline.
    #[error("GitHub's rate limit is spent until {until} (UNIX seconds)")]
    RateLimited { until: u64 },
    /// 401: the token is wrong, expired or revoked.
    #[error("GitHub refused the token: {0}")]
    Unauthorized(String),
    /// 403 that is not a rate limit: the token may not do this.
    #[error("GitHub refused the request: {0}")]
    Forbidden(String),
    /// 422: GitHub would not accept the fields.
    #[error("GitHub refused the fields: {0}")]
    Invalid(String),
    /// Another answer, a dropped connection or an unreadable body.
    #[error("GitHub is unavailable: {0}")]
    Unavailable(String),
}

/// A GitHub REST client. Cheap to share behind an `Arc`.
pub struct GitHubClient {
    http: reqwest::Client,
    /// The API base, no trailing slash (`https://api.github.com`).
    base: String,
    origin: url::Origin,
    token: Secret,
    settings: ClientSettings,
    etags: Mutex<HashMap<String, (String, Kept)>>,
    /// When the rate-limit budget is spent: the UNIX second it resets.
    spent_until: Mutex<Option<u64>>,
    /// What GitHub made of the token at the last answer.
    access: Mutex<TokenAccess>,
}

/// What GitHub made of the token, as its last answer showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TokenAccess {
    /// Nothing was answered yet.
    #[default]
    Unknown,
    /// GitHub answered a request (a 2xx, a 304, or a refusal of the fields;
    /// not a 404, which a token without access also gets).
    Working,
    /// 401, or a 403 that is not a rate limit: the token was revoked,
    /// expired or lost access. Why, in GitHub's words.
    Refused(String),
}

impl std::fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// An answer that was read: its body and the next page, if any.
struct Answer {
    body: Kept,
    next: Option<String>,
}

impl GitHubClient {
    /// A client for the API at `base` (checked by the configuration).
    pub fn new(base: &str, token: Secret, settings: ClientSettings) -> Result<Self, String> {
        let parsed = url::Url::parse(base).map_err(|e| format!("{base}: {e}"))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.attempt_timeout)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            origin: parsed.origin(),
            token,
            settings,
            etags: Mutex::default(),
            spent_until: Mutex::default(),
            access: Mutex::default(),
        })
    }

    /// What GitHub made of the token at its last answer.
    pub fn token_access(&self) -> TokenAccess {
        self.access
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn note_access(&self, access: TokenAccess) {
        *self.access.lock().unwrap_or_else(|e| e.into_inner()) = access;
    }

    /// `GET {base}{path}`, conditional on the kept ETag.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let answer = self.send(Method::GET, &self.url(path), None).await?;
        decode(&answer.body)
    }

    /// Every item of a list, following `rel="next"` to the last page.
    pub async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ClientError> {
        let mut items = Vec::new();
        let mut url = Some(self.url(path));
        while let Some(current) = url {
            let answer = self.send(Method::GET, &current, None).await?;
            items.extend(decode::<Vec<T>>(&answer.body)?);
            url = answer.next;
        }
        Ok(items)
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let json = serde_json::to_vec(body).expect("request bodies always serialize");
        let answer = self.send(Method::POST, &self.url(path), Some(json)).await?;
        decode(&answer.body)
    }

    pub async fn patch<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let json = serde_json::to_vec(body).expect("request bodies always serialize");
        let answer = self
            .send(Method::PATCH, &self.url(path), Some(json))
            .await?;
        decode(&answer.body)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends one call: waits out rate limits and retries what is safe to
    /// retry, within the deadline.
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, ClientError> {
        let deadline = Instant::now() + self.settings.deadline;
        // Only a GET is sent again once it may have reached GitHub. A PATCH
        // that may have landed goes back to its caller as unavailable: the
        // source outbox reads the issue before sending again, so a change
        // made on GitHub meanwhile is seen, never overwritten blindly.
        let resendable = method == Method::GET;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.wait_for_budget(deadline).await?;
            let cached = (method == Method::GET)
                .then(|| {
                    self.etags
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(url)
                        .cloned()
                })
                .flatten();
            let mut request = self
                .http
                .request(method.clone(), url)
                .bearer_auth(self.token.expose())
                .header(header::ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", API_VERSION);
            if let Some((etag, _)) = &cached {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(body) = &body {
                request = request
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    // A connection that never opened carried nothing.
                    let retry = resendable || error.is_connect();
                    let wait = self.backoff(attempt);
                    if retry && Instant::now() + wait < deadline {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(ClientError::Unavailable(describe(error)));
                }
            };
            let status = response.status();
            let headers = response.headers().clone();
            self.note_budget(&headers);
            if status == StatusCode::NOT_MODIFIED {
                self.note_access(TokenAccess::Working);
                if let Some((_, body)) = cached {
                    return Ok(Answer {
                        body,
                        next: self.next_link(&headers),
                    });
                }
            }
            if let Some(until) = rate_limited(status, &headers) {
                // At least a second: a reset already past on our clock
                // (clocks differ) must not turn into a burst of retries.
                let wait = Duration::from_millis(until_millis(until).max(1000));
                if Instant::now() + wait < deadline {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Err(ClientError::RateLimited {
                    until: until / 1000,
                });
            }
            let bytes = match response.bytes().await {
                Ok(bytes) => bytes,
                Err(error) if resendable && Instant::now() < deadline => {
                    tracing::debug!("GitHub answer cut off: {error}");
                    tokio::time::sleep(self.backoff(attempt)).await;
                    continue;
                }
                Err(error) => return Err(ClientError::Unavailable(describe(error))),
            };
            if status.is_success() {
                self.note_access(TokenAccess::Working);
                let body: Kept = bytes.to_vec().into();
                if method == Method::GET {
                    self.keep(url, &headers, &body);
                }
                return Ok(Answer {
                    body,
                    next: self.next_link(&headers),
                });
            }
            if status.is_server_error() && resendable {
                let wait = self.backoff(attempt);
                if Instant::now() + wait < deadline {
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            let refused = refusal(status, &bytes);
            match &refused {
                ClientError::Unauthorized(why) | ClientError::Forbidden(why) => {
                    self.note_access(TokenAccess::Refused(why.clone()));
                }
                // A 404 says nothing of the token: GitHub answers it both
                // for a missing issue and for a repository the token cannot
                // see (the connector asks the repository to tell which).
                ClientError::Invalid(_) | ClientError::Moved => {
                    self.note_access(TokenAccess::Working);
                }
                _ => {}
            }
            return Err(refused);
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.settings
            .backoff_base
            .saturating_mul(1 << attempt.saturating_sub(1).min(6))
    }

    /// Waits until a spent budget resets, if that is within the deadline.
    async fn wait_for_budget(&self, deadline: Instant) -> Result<(), ClientError> {
        let until = *self.spent_until.lock().unwrap_or_else(|e| e.into_inner());
        let Some(until) = until else { return Ok(()) };
        let wait = Duration::from_millis(until_millis(until * 1000));
        if wait.is_zero() {
            return Ok(());
        }
        if Instant::now() + wait >= deadline {
            return Err(ClientError::RateLimited { until });
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// Remembers when a spent budget resets (and forgets it once not).
    fn note_budget(&self, headers: &header::HeaderMap) {
        let remaining = header_number(headers, "x-ratelimit-remaining");
        let reset = header_number(headers, "x-ratelimit-reset");
        let mut spent = self.spent_until.lock().unwrap_or_else(|e| e.into_inner());
        match (remaining, reset) {
            (Some(0), Some(reset)) => *spent = Some(reset),
            (Some(_), _) => *spent = None,
            _ => {}
        }
    }

    fn keep(&self, url: &str, headers: &header::HeaderMap, body: &Kept) {
        let Some(etag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) else {
            return;
        };
        let mut etags = self.etags.lock().unwrap_or_else(|e| e.into_inner());
        if etags.len() >= ETAG_CACHE_ENTRIES && !etags.contains_key(url) {
            etags.clear();
        }
        etags.insert(url.to_owned(), (etag.to_owned(), body.clone()));
    }

    /// The `rel="next"` link, if it points at the API's own origin.
    fn next_link(&self, headers: &header::HeaderMap) -> Option<String> {
        let link = headers.get(header::LINK)?.to_str().ok()?;
        let next = next_link(link)?;
        match url::Url::parse(&next) {
            Ok(url) if url.origin() == self.origin => Some(next),
            _ => {
                tracing::warn!("GitHub's next page is not on the API's origin; paging stopped");
                None
            }
        }
    }
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let url = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .filter_map(|param| param.trim().split_once('='))
            .any(|(key, value)| {
                key.trim().eq_ignore_ascii_case("rel")
                    && value
                        .trim()
                        .trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|rel| rel.eq_ignore_ascii_case("next"))
            })
            .then(|| url.to_owned())
    })
}

/// When a rate-limited answer may be retried, in UNIX milliseconds; `None`
/// if the answer is not a rate limit.
fn rate_limited(status: StatusCode, headers: &header::HeaderMap) -> Option<u64> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    if let Some(seconds) = header_number(headers, "retry-after") {
        return Some(now_millis() + seconds.saturating_mul(1000));
    }
    match (
        header_number(headers, "x-ratelimit-remaining"),
        header_number(headers, "x-ratelimit-reset"),
    ) {
        (Some(0), Some(reset)) => Some(reset.saturating_mul(1000)),
        // A 429 that says nothing more: try again in a minute (GitHub's
        // advice for secondary limits).
        (None, _) if status == StatusCode::TOO_MANY_REQUESTS => Some(now_millis() + 60_000),
        _ => None,
    }
}

fn header_number(headers: &header::HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Milliseconds from now until `at` (UNIX milliseconds), and a little more
/// so the reset has happened on GitHub's clock too.
fn until_millis(at: u64) -> u64 {
    at.saturating_sub(now_millis())
        .saturating_add(if at > now_millis() { 200 } else { 0 })
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ClientError> {
    serde_json::from_slice(body).map_err(|e| {
        ClientError::Unavailable(format!("GitHub's answer is not what it documents: {e}"))
    })
}

/// The error for a refused request, with GitHub's `message`.
fn refusal(status: StatusCode, body: &[u8]) -> ClientError {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| status.to_string());
    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => ClientError::NotFound,
        StatusCode::MOVED_PERMANENTLY => ClientError::Moved,
        StatusCode::UNAUTHORIZED => ClientError::Unauthorized(message),
        StatusCode::FORBIDDEN => ClientError::Forbidden(message),
        StatusCode::UNPROCESSABLE_ENTITY => ClientError::Invalid(message),
        _ => ClientError::Unavailable(format!("{status}: {message}")),
    }
}

/// A transport error without its URL (which names the API, harmlessly,
/// but reads badly in a log line).
fn describe(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    };
    format!("{kind}: {}", error.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_the_others() {
        let link = r#"<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
        let last = r#"<https://x/?page=1>; rel="prev", <https://x/?page=1>; rel="first""#;
        assert_eq!(next_link(last), None);
        assert_eq!(next_link(""), None);
        assert_eq!(next_link("garbage; rel=next"), None);
    }

    #[test]
    fn rate_limits_are_told_from_other_refusals() {
        let mut headers = header::HeaderMap::new();
        assert_eq!(rate_limited(StatusCode::FORBIDDEN, &headers), None);
        headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
        headers.insert("x-ratelimit-reset", "1700000000".parse().unwrap());
        assert_eq!(
            rate_limited(StatusCode::FORBIDDEN, &headers),
            Some(1_700_000_000_000)
        );
        assert_eq!(rate_limited(StatusCode::NOT_FOUND, &headers), None);
        let mut headers = header::HeaderMap::new();
        headers.insert("retry-after", "3".parse().unwrap());
        let at = rate_limited(StatusCode::TOO_MANY_REQUESTS, &headers).unwrap();
        assert!(at >= now_millis() + 2_900 && at <= now_millis() + 3_100);
    }

    #[test]
    fn refusals_carry_githubs_message() {
        let body = br#"{"message":"Validation Failed","errors":[]}"#;
        assert!(matches!(
            refusal(StatusCode::UNPROCESSABLE_ENTITY, body),
            ClientError::Invalid(m) if m == "Validation Failed"
        ));
        assert!(matches!(
            refusal(StatusCode::GONE, b""),
            ClientError::NotFound
        ));
        assert!(matches!(
            refusal(StatusCode::MOVED_PERMANENTLY, b""),
            ClientError::Moved
        ));
    }

    #[test]
    fn the_token_is_not_in_the_debug_output() {
        let client = GitHubClient::new(
            "https://api.github.com",
            Secret::new("ghp_secret"),
            ClientSettings::default(),
        )
        .unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("ghp_secret"), "{text}");
    }
}
