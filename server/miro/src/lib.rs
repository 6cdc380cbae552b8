//! The Miro client: the only code that talks to Miro's REST API v2. The
//! detail view, sync, the command line and the install flow all go through it.
//!
//! **Retries and idempotency.** A call has one deadline covering every
//! wait and attempt ([`RetryPolicy::deadline`]), and each attempt its own
//! timeout. Before each attempt the client checks the (user, app) budget
//! Miro reported in `X-RateLimit-*` and waits for the reset rather than
//! send a request Miro would refuse; a 429 marks the budget spent and the
//! call waits for the reset and tries again (Miro did not apply it). If a
//! wait would pass the deadline the call fails with
//! [`MiroError::RateLimited`]. Retries use capped, jittered exponential
//! backoff. A GET is retried after any transient failure (a 5xx, a timeout,
//! a connection dropped). PATCH, PUT and DELETE are retried after a 5xx
//! answer, but not once sent and unanswered (a timeout, a connection
//! dropped after sending): the same content written twice is two writes at
//! Miro. Such a write, and a POST after a 5xx as well, returns
//! [`MiroError::Transient`] with `maybe_applied: true`, and the caller
//! decides, typically by reading the item to see whether it landed (the
//! sync engine's checked writes do this). Anything is retried when nothing
//! reached Miro: the connection was refused or Miro answered 429.
//!
//! **Secrets.** Tokens and the client secret are [`Secret`]s: their
//! `Debug` and `Display` print `<redacted>`, so neither logs nor errors
//! carry them.

mod api;
mod budget;
mod error;
mod http;
pub mod id_token;
mod model;
mod oauth;
mod tokens;

use std::sync::Arc;

pub use self::http::RetryPolicy;
pub use api::{BulkFailure, ItemFilter, ItemPages, TagOnItem, BULK_CHUNK, BULK_ITEM_CREDITS};
pub use error::{ErrorDetail, FieldError, MiroError};
pub use model::*;
pub use oauth::{AuthorizeRequest, NamedRef, OAuthClient, TokenGrant, TokenInfo};
pub use secret::Secret;
pub use tokens::{MemoryTokenStore, StoredTokens, TokenError, TokenKey, TokenManager, TokenStore};

mod secret;

/// Where the client talks to and as which app.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `https://api.miro.com`, or the sandbox's `rest_base`.
    pub rest_base: String,
    pub client_id: String,
    pub policy: RetryPolicy,
}

/// Whose token a call uses: the user it belongs to keys the rate-limit
/// budget (Miro counts credits per user per app).
#[derive(Clone, Debug)]
pub struct Access {
    pub user_id: String,
    pub token: Secret,
}

/// The Miro REST client. Cheap to clone; clones share the connection pool
/// and the rate-limit budgets.
#[derive(Clone, Debug)]
pub struct MiroClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    rest_base: String,
    client_id: String,
    policy: RetryPolicy,
    budgets: budget::Budgets,
}

impl MiroClient {
    pub fn new(config: ClientConfig) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(concat!("miro-cards/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(5))
            .pool_idle_timeout(idle_connection_limit(&config.rest_base))
            .build()
            .expect("the HTTP client's settings are valid");
        Self {
            inner: Arc::new(Inner {
                http,
                rest_base: config.rest_base.trim_end_matches('/').to_owned(),
                client_id: config.client_id,
                policy: config.policy,
                budgets: budget::Budgets::default(),
            }),
        }
    }

    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// Who issues this client's tokens: the app's client id at its REST
    /// base. Stored with every token, so a token is only ever sent back to
    /// the authority that issued it (see `tokens`).
    pub fn issuer(&self) -> String {
        format!("{}@{}", self.inner.client_id, self.inner.rest_base)
    }
}

/// How long an unused connection is kept for the next call. It must end
/// before the server closes it, or a request sent as the server hangs up
/// fails unanswered (and a write is then not sent again). Load balancers
/// in front of APIs close idle connections after about 60 s; the sandbox,
/// served by this app's own listener, after 10 s (its header timeout),
/// and a loopback connection costs nothing to open again.
fn idle_connection_limit(rest_base: &str) -> std::time::Duration {
    let loopback = url::Url::parse(rest_base)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .is_some_and(|host| {
            host == "localhost"
                || host
                    .trim_matches(|c| c == '[' || c == ']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
    std::time::Duration::from_secs(if loopback { 5 } else { 50 })
}

/// Percent-encodes one path segment (board ids contain `=`).
fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// The current UNIX time in seconds, as the rate-limit headers count it.
pub fn unix_now_for_tests() -> u64 {
    budget::unix_now()
}

#[cfg(test)]
mod idle_tests {
    use super::idle_connection_limit;
    use std::time::Duration;

    #[test]
    fn loopback_connections_are_dropped_before_the_sandbox_closes_them() {
        for base in [
            "http://127.0.0.1:3000",
            "http://localhost:8/",
            "http://[::1]:9",
        ] {
            assert_eq!(
                idle_connection_limit(base),
                Duration::from_secs(5),
                "{base}"
            );
        }
        assert_eq!(
            idle_connection_limit("https://api.miro.com"),
            Duration::from_secs(50)
        );
    }
}
