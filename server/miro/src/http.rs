//! Sends one logical request to Miro: waits for the rate-limit budget,
//! enforces the call's deadline, retries what is safe to retry with capped,
//! jittered exponential backoff, and turns the answer into a typed value or
//! a [`MiroError`]. See the module docs of `miro` for the rules.

use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{
    budget::{self, Budgets},
    error::MiroError,
    Access, MiroClient,
};

/// How hard the client tries.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// The whole call, waits and retries included.
    pub deadline: Duration,
    /// One attempt.
    pub attempt_timeout: Duration,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(20),
            attempt_timeout: Duration::from_secs(10),
            max_attempts: 5,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(5),
        }
    }
}

/// One logical request.
pub struct Call<'a> {
    pub method: Method,
    /// Path below the REST base, e.g. `/v2/boards/{b}/app_cards`, with ids
    /// already percent-encoded.
    pub path: String,
    pub query: Vec<(&'a str, String)>,
    pub body: Option<Value>,
    /// Credits the call costs (the endpoint's rate-limit level).
    pub credits: u64,
}

impl Call<'_> {
    /// GET, PATCH, PUT and DELETE may be sent twice with the same effect:
    /// retried when Miro answered that it failed (a 5xx).
    fn idempotent(&self) -> bool {
        self.method != Method::POST
    }

    /// Only a read is sent again when it may have reached Miro unanswered
    /// (a timeout, an answer cut off): a write twice is the same effect but
    /// two writes at Miro (two charges, two updates on every board open),
    /// and its caller can read first to see whether it landed.
    fn resend_when_unanswered(&self) -> bool {
        self.method == Method::GET
    }
}

/// Waits `delay` unless that would pass the deadline.
async fn sleep_within(delay: Duration, deadline: Instant) -> bool {
    if Instant::now() + delay >= deadline {
        return false;
    }
    tokio::time::sleep(delay).await;
    true
}

fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy
        .backoff_base
        .saturating_mul(2u32.saturating_pow(attempt));
    let cap = exp.min(policy.backoff_cap);
    // Full jitter: clients that failed together do not retry together.
    cap.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

impl MiroClient {
    /// Sends `call` and decodes a JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        access: &Access,
        call: Call<'_>,
    ) -> Result<T, MiroError> {
        let text = self.execute(access, call).await?;
        serde_json::from_str(&text).map_err(|e| {
            MiroError::Other(super::error::ErrorDetail {
                message: format!("could not read Miro's answer: {e}"),
                ..Default::default()
            })
        })
    }

    /// Sends `call` and expects no body (204).
    pub(crate) async fn empty(&self, access: &Access, call: Call<'_>) -> Result<(), MiroError> {
        self.execute(access, call).await.map(drop)
    }

    /// The retry loop; returns the body text of a 2xx answer.
    async fn execute(&self, access: &Access, call: Call<'_>) -> Result<String, MiroError> {
        let policy = &self.inner.policy;
        let deadline = Instant::now() + policy.deadline;
        let key = (access.user_id.clone(), self.inner.client_id.clone());
        let budgets: &Budgets = &self.inner.budgets;
        let url = format!("{}{}", self.inner.rest_base, call.path);
        let mut sent_once = false;
        let mut last_failure: Option<MiroError> = None;
        for attempt in 0..policy.max_attempts {
            if attempt > 0 && !sleep_within(backoff(policy, attempt - 1), deadline).await {
                break;
            }
            if let Some(wait) = budgets.wait_for(&key, call.credits) {
                tracing::debug!(?wait, "waiting for the Miro rate-limit budget");
                if !sleep_within(wait, deadline).await {
                    return Err(MiroError::RateLimited {
                        detail: super::error::ErrorDetail {
                            status: Some(429),
                            message: "rate-limit budget spent; waiting would pass the deadline"
                                .into(),
                            ..Default::default()
                        },
                        reset_at: budgets.reset_at(&key),
                    });
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let mut request = self
                .inner
                .http
                .request(call.method.clone(), &url)
                .bearer_auth(access.token.expose())
                .query(&call.query)
                .timeout(left.min(policy.attempt_timeout));
            if let Some(body) = &call.body {
                request = request.json(body);
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    // A connection that was never made sent nothing: safe
                    // to retry anything. Otherwise the request may have
                    // reached Miro.
                    let maybe_applied = !error.is_connect();
                    sent_once |= maybe_applied;
                    tracing::debug!(%error, attempt, "request to Miro failed");
                    let failure = MiroError::transient(
                        format!("request failed: {error}"),
                        None,
                        maybe_applied,
                    );
                    if maybe_applied && !call.resend_when_unanswered() {
                        return Err(failure);
                    }
                    last_failure = Some(failure);
                    continue;
                }
            };
            sent_once = true;
            let status = response.status();
            budgets.record(&key, response.headers());
            let reset_at = budget::reset_from(response.headers());
            let body = match response.text().await {
                Ok(body) => body,
                Err(error) if call.resend_when_unanswered() => {
                    tracing::debug!(%error, attempt, "reading Miro's answer failed");
                    last_failure = Some(MiroError::transient(
                        format!("answer lost: {error}"),
                        Some(status.as_u16()),
                        true,
                    ));
                    continue;
                }
                Err(error) => {
                    return Err(MiroError::transient(
                        format!("answer lost: {error}"),
                        Some(status.as_u16()),
                        true,
                    ))
                }
            };
            if status.is_success() {
                return Ok(body);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                // Miro did not apply it: wait for the reset and go again.
                budgets.exhaust(&key, reset_at);
                last_failure = Some(MiroError::from_answer(status.as_u16(), &body, reset_at));
                continue;
            }
            let error = MiroError::from_answer(status.as_u16(), &body, reset_at);
            if status.is_server_error() && call.idempotent() {
                tracing::debug!(%status, attempt, "Miro failed; retrying");
                last_failure = Some(error);
                continue;
            }
            return Err(error);
        }
        // Writes returned at their first unanswered send; one here was
        // answered with a failure every time it was sent, or never sent.
        Err(last_failure.unwrap_or_else(|| {
            MiroError::transient(
                "deadline passed before Miro answered",
                None,
                sent_once && call.idempotent(),
            )
        }))
    }
}
