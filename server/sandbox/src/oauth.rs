//! OAuth 2.0 as Miro runs it: the authorize page (which, in the sandbox,
//! signs the seed user in and redirects straight back with a code),
//! `POST /v1/oauth/token` for the `authorization_code` and `refresh_token`
//! grants (form body or query parameters), token info, and revoke (v2).
//!
//! Codes are single-use and live 10 minutes; access tokens live one hour;
//! a refresh returns a new access token *and* a new refresh token and
//! kills the old pair, so two concurrent refreshes leave the loser with a
//! dead refresh token, as on Miro.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Query, RawQuery, State},
    response::{Html, IntoResponse, Response},
    Extension, Json,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use http::StatusCode;
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::{errors::ApiError, world::RegisteredApp, Caller, Sandbox};

/// Lifetime of an authorization code.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);
/// Lifetime of an access token (Miro reports `expires_in: 3599`).
pub const ACCESS_LIFETIME: Duration = Duration::hours(1);
/// Lifetime of a refresh token; each refresh starts it again.
pub const REFRESH_LIFETIME: Duration = Duration::days(60);
/// The scopes every sandbox token carries.
pub const SCOPES: &str = "boards:read boards:write";

/// Issued codes and tokens.
#[derive(Debug, Default)]
pub struct Grants {
    codes: HashMap<String, Code>,
    access: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
}

#[derive(Clone, Debug)]
struct Code {
    client_id: String,
    redirect_uri: String,
    user_id: String,
    team_id: String,
    expires_at: OffsetDateTime,
}

/// Who a token belongs to; access and refresh tokens point at each other.
#[derive(Clone, Debug)]
struct Grant {
    client_id: String,
    user_id: String,
    team_id: String,
    expires_at: OffsetDateTime,
    /// The other token of the pair.
    partner: String,
}

/// A fresh unguessable token with a readable prefix.
fn secret_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl Grants {
    /// The caller behind a live access token.
    pub fn caller(&self, access_token: &str, now: OffsetDateTime) -> Option<Caller> {
        self.access
            .get(access_token)
            .filter(|g| g.expires_at > now)
            .map(|g| Caller {
                user_id: g.user_id.clone(),
                team_id: g.team_id.clone(),
                client_id: g.client_id.clone(),
            })
    }

    fn issue(
        &mut self,
        client_id: &str,
        user_id: &str,
        team_id: &str,
        now: OffsetDateTime,
    ) -> (String, String) {
        let access = secret_token("sbx_at_");
        let refresh = secret_token("sbx_rt_");
        let grant = |expires_at, partner: &String| Grant {
            client_id: client_id.to_owned(),
            user_id: user_id.to_owned(),
            team_id: team_id.to_owned(),
            expires_at,
            partner: partner.clone(),
        };
        self.access
            .insert(access.clone(), grant(now + ACCESS_LIFETIME, &refresh));
        self.refresh
            .insert(refresh.clone(), grant(now + REFRESH_LIFETIME, &access));
        (access, refresh)
    }

    /// Revokes an access token and its refresh token.
    fn revoke(&mut self, access_token: &str) -> bool {
        match self.access.remove(access_token) {
            Some(grant) => {
                self.refresh.remove(&grant.partner);
                true
            }
            None => false,
        }
    }
}

/// Query of `GET /oauth/authorize`.
#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    team_id: Option<String>,
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorization failed · Miro sandbox</title></head>\
         <body><h1>Authorization failed</h1><p>{}</p></body></html>",
        html_escape(message)
    );
    (status, Html(body)).into_response()
}

/// Escapes text for HTML.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `GET /sandbox/oauth/authorize`: the sandbox's user is always signed in
/// and always consents, so a valid request redirects back at once. With
/// `team_id` (Miro's way to preselect a team) the user signed in is that
/// team's first user; without, the seed team's.
pub async fn authorize(
    State(sandbox): State<Sandbox>,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    let Some(app) = query.client_id.as_deref().and_then(|id| sandbox.app(id)) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Unknown client_id: no app with this client id is installed in the sandbox.",
        );
    };
    let Some(redirect_uri) = query.redirect_uri.filter(|uri| *uri == app.redirect_uri) else {
        // Never redirect to an address the app did not register.
        return error_page(
            StatusCode::BAD_REQUEST,
            &format!(
                "redirect_uri does not match the app's registered redirect URI ({}).",
                app.redirect_uri
            ),
        );
    };
    let team_id = query.team_id.clone().unwrap_or_else(|| sandbox.team_id());
    let Some(user_id) = sandbox
        .world()
        .first_user_of(&team_id)
        .map(|user| user.id.clone())
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "team_id names a team the sandbox user is not a member of.",
        );
    };
    let Ok(mut target) = url::Url::parse(&redirect_uri) else {
        return error_page(StatusCode::BAD_REQUEST, "redirect_uri is not a valid URL.");
    };
    {
        let mut pairs = target.query_pairs_mut();
        if query.response_type.as_deref() == Some("code") {
            let code = secret_token("sbx_code_");
            let now = sandbox.now();
            sandbox.grants().codes.insert(
                code.clone(),
                Code {
                    client_id: app.client_id.clone(),
                    redirect_uri: redirect_uri.clone(),
                    user_id: user_id.clone(),
                    team_id: team_id.clone(),
                    expires_at: now + CODE_LIFETIME,
                },
            );
            pairs.append_pair("code", &code);
            pairs.append_pair("client_id", &app.client_id);
            pairs.append_pair("team_id", &team_id);
        } else {
            pairs.append_pair("error", "unsupported_response_type");
        }
        if let Some(state) = &query.state {
            pairs.append_pair("state", state);
        }
    }
    (
        StatusCode::FOUND,
        [(http::header::LOCATION, target.to_string())],
    )
        .into_response()
}

/// `GET /sandbox/app-install-completed`: Miro's "the app is installed"
/// page (`miro.com/app-install-completed/`), where an app's install flow
/// ends.
pub async fn install_completed(
    State(sandbox): State<Sandbox>,
    Query(query): Query<InstallCompletedQuery>,
) -> Response {
    let name = query
        .client_id
        .as_deref()
        .and_then(|id| sandbox.app(id))
        .map_or_else(|| "The app".to_owned(), |app| app.name.clone());
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>App installed · Miro sandbox</title>\
         <link rel=\"icon\" href=\"data:,\"></head>\
         <body><h1 data-testid=\"install-completed\">{} is installed</h1>\
         <p>It is installed for team {}. You can close this window and go back to your board.</p></body></html>",
        html_escape(&name),
        html_escape(query.team_id.as_deref().unwrap_or("?")),
    );
    (StatusCode::OK, Html(body)).into_response()
}

/// Query of `GET /sandbox/app-install-completed`.
#[derive(Debug, Deserialize)]
pub struct InstallCompletedQuery {
    client_id: Option<String>,
    team_id: Option<String>,
}

/// `POST /v1/oauth/token`. Parameters may come in a form body, in the
/// query, or both (the body wins), as Miro accepts both.
pub async fn token(
    State(sandbox): State<Sandbox>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut params: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    params.extend(url::form_urlencoded::parse(&body).into_owned());
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };

    let app = match (param("client_id"), param("client_secret")) {
        (Some(id), Some(secret)) => match sandbox.app(id) {
            Some(app) if constant_time_eq(&app.client_secret, secret) => app,
            _ => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalidClient",
                    "Unknown client_id or wrong client_secret",
                )
            }
        },
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalidRequest",
                "client_id and client_secret are required",
            )
        }
    };
    let now = sandbox.now();
    let mut grants = sandbox.grants();
    let (user_id, team_id) = match param("grant_type") {
        Some("authorization_code") => {
            let Some(code) = param("code").and_then(|c| grants.codes.remove(c)) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalidGrant",
                    "The code is unknown or was already used",
                );
            };
            if code.expires_at <= now {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalidGrant",
                    "The code has expired",
                );
            }
            if code.client_id != app.client_id
                || param("redirect_uri") != Some(code.redirect_uri.as_str())
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalidGrant",
                    "The code was issued to another client or redirect_uri",
                );
            }
            (code.user_id, code.team_id)
        }
        Some("refresh_token") => {
            let Some(old) = param("refresh_token").and_then(|t| grants.refresh.remove(t)) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalidGrant",
                    "The refresh token is unknown, revoked or already used",
                );
            };
            // Rotation: the old access token dies with its refresh token.
            grants.access.remove(&old.partner);
            if old.expires_at <= now || old.client_id != app.client_id {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalidGrant",
                    "The refresh token has expired or belongs to another client",
                );
            }
            (old.user_id, old.team_id)
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupportedGrantType",
                "grant_type must be authorization_code or refresh_token",
            )
        }
    };
    let (access, refresh) = grants.issue(&app.client_id, &user_id, &team_id, now);
    Json(json!({
        "user_id": user_id,
        "refresh_token": refresh,
        "access_token": access,
        "expires_in": ACCESS_LIFETIME.whole_seconds() - 1,
        "team_id": team_id,
        "scope": SCOPES,
        "token_type": "bearer",
    }))
    .into_response()
}

fn oauth_error(status: StatusCode, code: &'static str, message: &str) -> Response {
    let mut error = ApiError::bad_request(message);
    error.status = status;
    error.code = code;
    error.into_response()
}

/// Compares secrets without leaking where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// `GET /v1/oauth-token`: who the bearer token belongs to.
pub async fn token_info(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let world = sandbox.world();
    let user = world.user(&caller.user_id).map_or("", |u| u.name.as_str());
    let team = world.team(&caller.team_id).map_or("", |t| t.name.as_str());
    Json(json!({
        "type": "tokenInfo",
        "organization": { "type": "organization", "name": world.organization.name, "id": world.organization.id },
        "team": { "type": "team", "name": team, "id": caller.team_id },
        "createdBy": { "type": "user", "name": user, "id": caller.user_id },
        "user": { "type": "user", "name": user, "id": caller.user_id },
        "scopes": SCOPES.split(' ').collect::<Vec<_>>(),
    }))
    .into_response()
}

/// Body of `POST /v2/oauth/revoke`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokeRequest {
    access_token: String,
    client_id: String,
    client_secret: String,
}

/// `POST /v2/oauth/revoke`: 204, or 404 when nothing matched.
pub async fn revoke(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    let request: RevokeRequest = match super::errors::parse_body(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let client_ok = sandbox
        .app(&request.client_id)
        .is_some_and(|app: RegisteredApp| {
            constant_time_eq(&app.client_secret, &request.client_secret)
        });
    let mut grants = sandbox.grants();
    let owned_by_client = grants
        .access
        .get(&request.access_token)
        .is_some_and(|g| g.client_id == request.client_id);
    if client_ok && owned_by_client && grants.revoke(&request.access_token) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        ApiError::not_found("No such token for this client").into_response()
    }
}
