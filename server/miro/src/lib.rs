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
//! [`MiroError::RateLimited`]. Failures that leave the outcome unknown (a
//! 5xx, a timeout, a connection dropped after sending) are retried with
//! capped, jittered exponential backoff only for GET, PATCH and DELETE,
//! which have the same effect when sent twice. A POST that creates
//! something is never retried after such a failure: it returns
//! [`MiroError::Transient`] with `maybe_applied: true`, and the caller
//! decides, typically by listing the board's items to see whether the item
//! exists (the sync engine reconciles this way). A POST is retried only
//! when nothing reached Miro: the connection was refused or Miro answered
//! 429.
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
}

/// Percent-encodes one path segment (board ids contain `=`).
fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// The current UNIX time in seconds, as the rate-limit headers count it.
pub fn unix_now_for_tests() -> u64 {
    budget::unix_now()
}
