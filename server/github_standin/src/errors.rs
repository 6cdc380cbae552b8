//! GitHub's error answers: `{"message", "documentation_url", "status"}`,
//! plus an `errors` array on a 422 naming each offending field as GitHub
//! does (`resource`, `field`, `code`, and `value` for an invalid one).

use axum::{
    response::{IntoResponse, Response},
    Json,
};
use http::{header, HeaderValue, StatusCode};
use serde_json::{json, Value};

/// The docs page error answers point to; GitHub names the operation's own
/// page, which a client never needs.
pub const DOCS: &str = "https://docs.github.com/rest";
const RATE_LIMIT_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

/// One entry of a 422's `errors`.
#[derive(Clone, Debug)]
pub struct FieldError {
    /// `Issue`, `Label`...
    pub resource: &'static str,
    pub field: String,
    /// `missing_field`, `invalid`, `already_exists`.
    pub code: &'static str,
    pub value: Option<Value>,
}

impl FieldError {
    pub fn missing(resource: &'static str, field: &str) -> Self {
        Self {
            resource,
            field: field.to_owned(),
            code: "missing_field",
            value: None,
        }
    }

    pub fn invalid(resource: &'static str, field: &str, value: Value) -> Self {
        Self {
            resource,
            field: field.to_owned(),
            code: "invalid",
            value: Some(value),
        }
    }
}

/// An error answer. Extra headers ride along (`retry-after`, `location`).
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub documentation_url: &'static str,
    pub errors: Vec<FieldError>,
    /// For a 301: where the issue went.
    pub url: Option<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            documentation_url: DOCS,
            errors: Vec::new(),
            url: None,
            retry_after: None,
        }
    }

    /// 401 when no token came.
    pub fn requires_authentication() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Requires authentication")
    }

    /// 401 for a token GitHub does not know.
    pub fn bad_credentials() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Bad credentials")
    }

    /// 404: GitHub answers the same for a repository that does not exist
    /// and one the token may not see, so as not to reveal which.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }

    /// 400 for a body that is not JSON.
    pub fn problems_parsing_json() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Problems parsing JSON")
    }

    /// 422 for a body that is JSON of the wrong form (`detail` says where).
    pub fn invalid_request(detail: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Invalid request.\n\n{detail}"),
        )
    }

    /// 422 naming the fields at fault.
    pub fn validation_failed(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed")
        }
    }

    /// 301 for an issue moved to another repository.
    pub fn moved(url: String) -> Self {
        Self {
            url: Some(url),
            ..Self::new(StatusCode::MOVED_PERMANENTLY, "Moved Permanently")
        }
    }

    /// 403 once the primary rate limit is spent (`x-ratelimit-remaining: 0`
    /// goes with it, written by the gate).
    pub fn rate_limit_exceeded(user_id: u64, retry_after: u64) -> Self {
        Self {
            documentation_url: RATE_LIMIT_DOCS,
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::FORBIDDEN,
                format!("API rate limit exceeded for user ID {user_id}."),
            )
        }
    }

    /// 403 or 429 for a secondary rate limit (only ever injected).
    pub fn secondary_rate_limit(status: StatusCode, retry_after: u64) -> Self {
        Self {
            documentation_url: RATE_LIMIT_DOCS,
            retry_after: Some(retry_after),
            ..Self::new(
                status,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            )
        }
    }

    /// A server error (only ever injected).
    pub fn server_error(status: StatusCode) -> Self {
        Self::new(status, "Server Error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "message": self.message,
            "documentation_url": self.documentation_url,
            "status": self.status.as_u16().to_string(),
        });
        if !self.errors.is_empty() {
            let errors: Vec<Value> = self
                .errors
                .iter()
                .map(|e| {
                    let mut entry =
                        json!({"resource": e.resource, "field": e.field, "code": e.code});
                    if let Some(value) = &e.value {
                        entry["value"] = value.clone();
                    }
                    entry
                })
                .collect();
            body["errors"] = Value::Array(errors);
        }
        if let Some(url) = &self.url {
            body["url"] = Value::String(url.clone());
        }
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(url) = self.url.and_then(|u| HeaderValue::from_str(&u).ok()) {
            headers.insert(header::LOCATION, url);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
