//! The one error type of the Miro client. It keeps what Miro said (`status`,
//! `code`, `message`, `context`; `code` may arrive as a number) and sorts it
//! into variants a caller can act on: reconnect, give up, fix the input,
//! wait, or retry later.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

/// What Miro's error body said, as far as it said it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorDetail {
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: String,
    pub context: Option<Value>,
}

/// One rejected input field. In bulk create, `index` is the item's position
/// in the caller's whole list (not in the chunk of 20 that failed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub index: Option<usize>,
    pub field: String,
    pub message: String,
}

/// Why a call to Miro failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum MiroError {
    /// The access token is missing, invalid or expired: refresh or reconnect.
    #[error("Miro refused the access token: {}", .0.message)]
    Unauthorized(ErrorDetail),
    /// Not allowed, e.g. changing an app card another app created.
    #[error("Miro does not allow this: {}", .0.message)]
    Forbidden(ErrorDetail),
    /// The board, item or tag does not exist (any more).
    #[error("not found on Miro: {}", .0.message)]
    NotFound(ErrorDetail),
    /// The item changed at the same time; retry with fresh data.
    #[error("conflict on Miro: {}", .0.message)]
    Conflict(ErrorDetail),
    /// Miro rejected the input; `fields` names the offending ones.
    #[error("Miro rejected the input: {}", .detail.message)]
    InvalidInput {
        detail: ErrorDetail,
        fields: Vec<FieldError>,
    },
    /// The rate-limit budget is spent until `reset_at` (UNIX seconds), and
    /// waiting would pass the call's deadline.
    #[error("rate limited by Miro until {reset_at} (UNIX time)")]
    RateLimited { detail: ErrorDetail, reset_at: u64 },
    /// A 5xx, timeout, dropped connection or passed deadline. When
    /// `maybe_applied` is true a write may have taken effect on Miro.
    #[error("Miro is unavailable: {}", .detail.message)]
    Transient {
        detail: ErrorDetail,
        maybe_applied: bool,
    },
    /// Anything else (an unexpected status or an unreadable answer).
    #[error("unexpected answer from Miro: {}", .0.message)]
    Other(ErrorDetail),
}

impl MiroError {
    /// The HTTP status Miro answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        self.detail().status
    }

    pub fn detail(&self) -> &ErrorDetail {
        match self {
            Self::Unauthorized(d)
            | Self::Forbidden(d)
            | Self::NotFound(d)
            | Self::Conflict(d)
            | Self::Other(d) => d,
            Self::InvalidInput { detail, .. }
            | Self::RateLimited { detail, .. }
            | Self::Transient { detail, .. } => detail,
        }
    }

    /// Whether the same request may succeed later without any change.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Transient { .. } | Self::Conflict(_)
        )
    }

    pub(crate) fn transient(
        message: impl Into<String>,
        status: Option<u16>,
        maybe_applied: bool,
    ) -> Self {
        Self::Transient {
            detail: ErrorDetail {
                status,
                message: message.into(),
                ..ErrorDetail::default()
            },
            maybe_applied,
        }
    }

    /// Sorts an error answer (status and body text) into a variant.
    pub(crate) fn from_answer(status: u16, body: &str, reset_at: u64) -> Self {
        let parsed: Option<ErrorBody> = serde_json::from_str(body).ok();
        let detail = match parsed {
            Some(b) => ErrorDetail {
                status: Some(status),
                code: b.code.map(code_string),
                message: b.message.unwrap_or_else(|| format!("HTTP {status}")),
                context: b.context.filter(|c| !c.is_null()),
            },
            None => ErrorDetail {
                status: Some(status),
                message: format!("HTTP {status}: {}", truncate(body)),
                ..ErrorDetail::default()
            },
        };
        match status {
            400 | 413 | 422 => {
                let fields = field_errors(detail.context.as_ref());
                Self::InvalidInput { detail, fields }
            }
            401 => Self::Unauthorized(detail),
            403 => Self::Forbidden(detail),
            404 => Self::NotFound(detail),
            409 => Self::Conflict(detail),
            429 => Self::RateLimited { detail, reset_at },
            500..=599 => Self::Transient {
                detail,
                maybe_applied: true,
            },
            _ => Self::Other(detail),
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<Value>,
    message: Option<String>,
    context: Option<Value>,
}

/// Miro's `code` is documented as a string but arrives as a number too.
fn code_string(code: Value) -> String {
    match code {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(200).collect()
}

/// `context.fields[]` as [`FieldError`]s; a bulk field `"3.data.title"`
/// gets index 3 and field `data.title`.
fn field_errors(context: Option<&Value>) -> Vec<FieldError> {
    let Some(fields) = context
        .and_then(|c| c.get("fields"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    fields
        .iter()
        .map(|f| {
            let raw = f.get("field").and_then(Value::as_str).unwrap_or_default();
            let message = f
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            match raw
                .split_once('.')
                .and_then(|(head, rest)| head.parse::<usize>().ok().map(|i| (i, rest)))
            {
                Some((index, rest)) => FieldError {
                    index: Some(index),
                    field: rest.to_owned(),
                    message,
                },
                None => FieldError {
                    index: None,
                    field: raw.to_owned(),
                    message,
                },
            }
        })
        .collect()
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "item {i}: {}: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_answers_and_reads_numeric_codes_and_bulk_indices() {
        let body = r#"{"status":400,"code":2.074,"message":"bad","context":{"fields":[{"field":"3.data.title","message":"too long"},{"field":"style.fillColor","message":"no"}]},"type":"error"}"#;
        let MiroError::InvalidInput { detail, fields } = MiroError::from_answer(400, body, 0)
        else {
            panic!("not invalid input")
        };
        assert_eq!(detail.code.as_deref(), Some("2.074"));
        assert_eq!(
            fields[0],
            FieldError {
                index: Some(3),
                field: "data.title".into(),
                message: "too long".into()
            }
        );
        assert_eq!(fields[1].index, None);
        assert!(matches!(
            MiroError::from_answer(401, "{}", 0),
            MiroError::Unauthorized(_)
        ));
        assert!(matches!(
            MiroError::from_answer(429, "", 99),
            MiroError::RateLimited { reset_at: 99, .. }
        ));
        assert!(matches!(
            MiroError::from_answer(503, "<html>", 0),
            MiroError::Transient {
                maybe_applied: true,
                ..
            }
        ));
        assert!(matches!(
            MiroError::from_answer(418, "", 0),
            MiroError::Other(_)
        ));
    }
}
