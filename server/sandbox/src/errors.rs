//! Miro's error responses: `{status, code, message, context, type: "error"}`
//! with the status and `code` strings Miro uses (`invalidParameters`,
//! `tokenNotProvided`, `forbiddenAccess`, `notFound`, `conflict`,
//! `tooManyRequests`). A 400 names the offending fields in
//! `context.fields`, as Miro's bulk errors do.

use axum::{
    response::{IntoResponse, Response},
    Json,
};
use http::StatusCode;
use serde_json::{json, Value};

/// One offending input field: `field` is a dotted path such as
/// `data.fields.0.iconShape` (bulk requests prefix the item's index).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An error answer from the sandbox's REST API.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// 400 for one bad field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid_fields(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// 400 naming every bad field.
    pub fn invalid_fields(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] => format!("Invalid parameter '{}': {}", one.field, one.message),
            _ => "Invalid parameters".to_owned(),
        };
        Self {
            fields,
            ..Self::new(StatusCode::BAD_REQUEST, "invalidParameters", message)
        }
    }

    /// 400 without a single field to blame (e.g. a body that is not JSON).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalidParameters", message)
    }

    /// 401: no bearer token.
    pub fn token_missing() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "tokenNotProvided",
            "No access token was provided",
        )
    }

    /// 401: a token that is unknown, revoked or expired.
    pub fn token_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "tokenNotValid",
            "The access token is invalid or has expired",
        )
    }

    /// 403: the caller may not do this (e.g. write another app's card).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbiddenAccess", message)
    }

    /// 415: a body that does not say it is JSON.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupportedMediaType",
            message,
        )
    }

    /// 404 for a board, item or tag that does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "notFound", message)
    }

    /// 409: the request conflicts with the item's state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 429: the caller's credits for this minute are spent.
    pub fn too_many_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "tooManyRequests",
            "Request rate limit exceed",
        )
    }

    /// An injected server failure (500 or 503).
    pub fn injected(status: StatusCode) -> Self {
        let code = if status == StatusCode::SERVICE_UNAVAILABLE {
            "serviceUnavailable"
        } else {
            "internalError"
        };
        Self::new(status, code, "The sandbox failed this request on purpose")
    }

    /// The JSON body Miro sends.
    pub fn body(&self) -> Value {
        let context = if self.fields.is_empty() {
            Value::Null
        } else {
            let fields: Vec<Value> = self
                .fields
                .iter()
                .map(|f| json!({"field": f.field, "message": f.message}))
                .collect();
            json!({ "fields": fields })
        };
        json!({
            "status": self.status.as_u16(),
            "code": self.code,
            "message": self.message,
            "context": context,
            "type": "error",
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// Result type of the sandbox's REST handlers.
pub type ApiResult<T> = Result<T, ApiError>;

/// Parses a JSON request body, naming the field that failed to parse.
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("Request body is required"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let field = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() || field == "." {
            ApiError::bad_request(format!("Request body is not valid JSON: {inner}"))
        } else {
            ApiError::invalid_field(field, inner.to_string())
        }
    })
}
