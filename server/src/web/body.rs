//! Request bodies: how big each route takes them, and the refusals for
//! bodies that are too big (413), not JSON (415), not well-formed (400) or
//! the wrong shape (422), each with a short JSON message saying what was
//! wrong and nothing written. Handlers take [`JsonBody`]; the `save_card`
//! server function, whose body Leptos reads, sits behind
//! [`json_guard`], which checks the body the same way first (Leptos would
//! answer 500 for all of these).

use axum::{
    body::{to_bytes, Body},
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::{header::CONTENT_TYPE, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde::de::DeserializeOwned;
use serde_json::json;

/// The headless page's calls name a card: two ids.
pub const CARD_REQUEST_LIMIT: usize = 4 * 1024;
/// A save carries one record's fields. The largest valid one (every field
/// at its longest, all non-ASCII) is under 128 KiB as the view sends it.
pub const SAVE_LIMIT: usize = 256 * 1024;

/// The panel's calls: a session, a query or up to 20 placements or ids.
pub const PANEL_LIMIT: usize = 32 * 1024;

const NOT_JSON: &str = "The body must be JSON, sent as Content-Type: application/json.";

/// A refused body: its status and what was wrong.
#[derive(Debug)]
pub struct BodyRefused(pub StatusCode, pub String);

impl IntoResponse for BodyRefused {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// `Json<T>` with refusals in the app's JSON shape.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = BodyRefused;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(refusal(&rejection)),
        }
    }
}

fn refusal(rejection: &JsonRejection) -> BodyRefused {
    let status = rejection.status();
    let message = match rejection {
        JsonRejection::MissingJsonContentType(_) => NOT_JSON.to_owned(),
        JsonRejection::JsonSyntaxError(error) => format!("The body is not valid JSON: {error}"),
        JsonRejection::JsonDataError(error) => format!("The body has the wrong fields: {error}"),
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => "The body is too large.".to_owned(),
        other => other.body_text(),
    };
    BodyRefused(status, message)
}

/// Checks a JSON body as `T` before the route reads it: at most `limit`
/// bytes, sent as JSON, well-formed and of `T`'s shape. The body is then
/// passed on unchanged.
pub async fn json_guard<T: DeserializeOwned>(
    limit: usize,
    request: Request,
    next: Next,
) -> Result<Response, BodyRefused> {
    if !is_json(request.headers()) {
        return Err(BodyRefused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            NOT_JSON.to_owned(),
        ));
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        BodyRefused(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The body is larger than {} KiB.", limit / 1024),
        )
    })?;
    // The same reading, and the same refusals, as a handler's `JsonBody`.
    let _: Json<T> = Json::from_bytes(&bytes).map_err(|rejection| refusal(&rejection))?;
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}

/// `application/json`, or a `+json` type, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .is_some_and(|essence| {
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
}
