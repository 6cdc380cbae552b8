//! Installing the app into a Miro team: the OAuth 2.0 code flow.
//!
//! - `GET /oauth/install` sends the browser to Miro's authorize page with a
//!   fresh `state`, which is also set in a cookie for this browser (signed,
//!   so this server knows it for its own) and kept (hashed) in the store:
//!   single use, [`STATE_SECONDS`].
//! - `GET /oauth/callback` is where Miro sends the browser back. With a
//!   `state`, it must be ours: the cookie's, and unused. Without one, the
//!   install was started from Miro itself (the app's settings), which is
//!   accepted: the installation stored is the one the token belongs to, as
//!   Miro's token info says. The code is exchanged, the tokens stored
//!   sealed, and the browser sent to Miro's "installed" page.
//!
//! Only the teams `MIRO_ALLOWED_TEAMS` names may install: any Miro team can
//! run an app's install, so an install from another team ends on a page
//! that names its team id (what an operator adds to the list), with nothing
//! stored and the token Miro issued for it revoked.
//!
//! Whatever goes wrong (a foreign or spent `state`, a used or expired code,
//! the user saying no, Miro not answering) ends on a page that says so and
//! offers to start again, with nothing stored.
//!
//! Nobody is signed in yet, so the limits count per client address (see
//! `client_address`), in separate buckets, so that one client's flood
//! costs that client: starts; callbacks that carry this browser's own
//! signed state (their start was counted already; each state is counted
//! on its own, so replaying one gets nowhere); and every other callback
//! (no state, someone else's, a forged one). A flood of bad callbacks
//! therefore never stops anyone's install started here, even from one
//! address. A flood gets 429 pages.

use axum::{
    extract::{RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::{
    client_address::ClientAddress,
    clock::now,
    config::OAUTH_CALLBACK_PATH,
    detail::session::ticket_hash,
    miro::{Access, MiroError, StoredTokens, TokenKey, TokenStore},
    rate_limit::Action,
    signed,
    state::AppState,
    web::html::message_page,
};

/// How long an install may take between our redirect and Miro's.
pub const STATE_SECONDS: i64 = 600;
/// The cookie that binds an install's `state` to the browser that began it.
const STATE_COOKIE: &str = "miro_cards_install";
/// What the cookie's signature is for (see `signed`).
const STATE_COOKIE_PURPOSE: &str = "install-state";
const START_AGAIN: (&str, &str) = ("/oauth/install", "Start again");

/// What the install cookie holds: the state, signed, until it expires.
#[derive(Serialize, Deserialize)]
struct StateCookie {
    state: String,
    exp: i64,
}

impl signed::Expiring for StateCookie {
    fn expires_at(&self) -> i64 {
        self.exp
    }
}

/// A 429 page when `who` has used up `action` just now.
fn limited(state: &AppState, action: Action, who: &str) -> Option<Response> {
    let wait = state.rate_limits.take(action, who).err()?;
    let mut page = message_page(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many install attempts",
        &format!(
            "More installs were tried from this address than the app allows just now. \
             Wait {} seconds, then try again.",
            wait.seconds()
        ),
        Some(START_AGAIN),
    );
    page.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait.seconds()));
    Some(page)
}

/// `GET /oauth/install`
pub async fn start(State(state): State<AppState>, client: ClientAddress) -> Response {
    if let Some(limited) = limited(&state, Action::Install, &client.key()) {
        return limited;
    }
    let redirect_uri = redirect_uri(&state);
    let request = state.oauth.authorize_url(&redirect_uri, None);
    if let Err(error) = state
        .sync
        .store()
        .create_oauth_state(&ticket_hash(&request.state), now() + STATE_SECONDS)
        .await
    {
        tracing::error!(%error, "install: cannot keep the state");
        return message_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "The install could not start",
            "The app's database did not answer. Try again in a moment.",
            Some(START_AGAIN),
        );
    }
    let signed_state = signed::sign(
        &StateCookie {
            state: request.state.clone(),
            exp: now() + STATE_SECONDS,
        },
        &state.secret_key,
        STATE_COOKIE_PURPOSE,
    );
    let cookie = state_cookie_header(&state, &signed_state, STATE_SECONDS);
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, request.url)]).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `GET /oauth/callback`
pub async fn callback(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = CallbackQuery::parse(query.as_deref().unwrap_or(""));
    let cookie = state_cookie(&headers);
    let own = own_state(&state, cookie.as_deref(), query.state.as_deref());
    // This browser's own answer was counted with its start; it is counted
    // by its state (which works once) rather than by address, so no other
    // client's flood stands in its way. Anything else counts against the
    // address it came from.
    let limit = match own {
        Some(sent) => limited(
            &state,
            Action::OwnCallback,
            &format!("state:{}", ticket_hash(sent)),
        ),
        None => limited(&state, Action::Callback, &client.key()),
    };
    if let Some(limited) = limit {
        return limited;
    }
    let mut response = finish(&state, &query, own).await;
    // The state is spent whatever happened: the cookie goes too.
    if cookie.is_some() {
        if let Ok(value) = HeaderValue::from_str(&state_cookie_header(&state, "", 0)) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    response
}

/// What Miro sends back (every part optional: anyone can call this URL).
#[derive(Debug, Default)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    client_id: Option<String>,
    team_id: Option<String>,
}

impl CallbackQuery {
    fn parse(query: &str) -> Self {
        let mut parsed = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = Some(value.into_owned()).filter(|v| !v.is_empty());
            match &*name {
                "code" => parsed.code = value,
                "state" => parsed.state = value,
                "error" => parsed.error = value,
                "client_id" => parsed.client_id = value,
                "team_id" => parsed.team_id = value,
                _ => {}
            }
        }
        parsed
    }
}

/// `own`: the callback's state, when it is this browser's (see
/// [`own_state`]).
async fn finish(state: &AppState, query: &CallbackQuery, own: Option<&str>) -> Response {
    // Our own state is checked (and spent) before anything else, so a
    // replayed answer cannot be used even to learn which check failed.
    if query.state.is_some() && !state_is_unused(state, own).await {
        return message_page(
            StatusCode::BAD_REQUEST,
            "This install was not started here",
            "The answer from Miro does not belong to an install this browser started, or \
             that install is more than 10 minutes old or already finished. Nothing was \
             installed. Start the install again from here.",
            Some(START_AGAIN),
        );
    }
    if let Some(error) = &query.error {
        let (status, message) = if error == "access_denied" {
            (
                StatusCode::FORBIDDEN,
                "You chose not to allow the app in Miro, so nothing was installed. To use it, \
                 start again and allow it."
                    .to_owned(),
            )
        } else {
            (
                StatusCode::BAD_REQUEST,
                format!("Miro did not authorize the app ({error}). Nothing was installed."),
            )
        };
        return message_page(
            status,
            "The app was not installed",
            &message,
            Some(START_AGAIN),
        );
    }
    let Some(code) = &query.code else {
        return message_page(
            StatusCode::BAD_REQUEST,
            "Nothing to install",
            "This is the address Miro sends you back to during an install, with a code it \
             adds. This request has no code.",
            Some(START_AGAIN),
        );
    };
    if query
        .client_id
        .as_deref()
        .is_some_and(|id| id != state.oauth.client.client_id())
    {
        return message_page(
            StatusCode::BAD_REQUEST,
            "This install is for another app",
            "Miro sent this answer for a different app's client id. Nothing was installed.",
            Some(START_AGAIN),
        );
    }
    // Miro names the team in the redirect: a team that may not install is
    // turned away before any token is issued (the token's own team is
    // checked again below).
    if let Some(team) = query.team_id.as_deref().filter(|t| !state.teams.allows(t)) {
        return team_refused(team);
    }
    match install(state, code).await {
        Ok(key) => {
            tracing::info!(team = %key.team_id, user = %key.user_id, "installed");
            let mut done = url::Url::parse(&state.config.install_completed_url)
                .expect("the install-completed URL is configured as a URL");
            done.query_pairs_mut()
                .append_pair("client_id", state.oauth.client.client_id())
                .append_pair("team_id", &key.team_id);
            (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, done.to_string())],
            )
                .into_response()
        }
        Err(refusal) => refusal,
    }
}

/// The callback's state `sent`, if this browser's cookie holds it signed
/// by this server and not expired: the browser started this install here.
fn own_state<'a>(state: &AppState, cookie: Option<&str>, sent: Option<&'a str>) -> Option<&'a str> {
    let sent = sent?;
    let cookie: StateCookie =
        signed::verify(cookie?, &state.secret_key, STATE_COOKIE_PURPOSE, now())?;
    bool::from(sent.as_bytes().ct_eq(cookie.state.as_bytes())).then_some(sent)
}

/// Whether `own` (this browser's state, see [`own_state`]) is one the store
/// still keeps; it is spent by this check.
async fn state_is_unused(state: &AppState, own: Option<&str>) -> bool {
    let Some(sent) = own else {
        return false;
    };
    match state
        .sync
        .store()
        .take_oauth_state(&ticket_hash(sent), now())
        .await
    {
        Ok(taken) => taken,
        Err(error) => {
            tracing::error!(%error, "install: cannot check the state");
            false
        }
    }
}

/// Exchanges the code, asks Miro whose token it is, and stores it.
async fn install(state: &AppState, code: &str) -> Result<TokenKey, Response> {
    let grant = state
        .oauth
        .exchange_code(code, &redirect_uri(state))
        .await
        .map_err(|error| miro_refused(&error, "exchange the code"))?;
    let access = Access {
        user_id: grant.user_id.clone(),
        token: grant.access_token.clone(),
    };
    let info = state
        .oauth
        .token_info(&access)
        .await
        .map_err(|error| miro_refused(&error, "read the token's owner"))?;
    let key = TokenKey {
        user_id: info.user.id,
        team_id: info.team.id,
    };
    if key.user_id != grant.user_id || key.team_id != grant.team_id {
        tracing::warn!(?key, grant_user = %grant.user_id, grant_team = %grant.team_id,
            "install: token info and the grant disagree; storing the token's owner");
    }
    if !state.teams.allows(&key.team_id) {
        // Nothing of this install is kept, not even at Miro.
        if let Err(error) = state.oauth.revoke(&grant.access_token).await {
            tracing::warn!(%error, "install: revoking the refused team's token failed");
        }
        return Err(team_refused(&key.team_id));
    }
    state
        .sync
        .tokens()
        .store()
        .save(
            &key,
            &StoredTokens::from_grant(&grant, &state.oauth.client.issuer()),
        )
        .await
        .map_err(|error| {
            tracing::error!(%error, "install: cannot store the installation");
            message_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The app was not installed",
                "Miro allowed the app, but its database did not answer. Start again.",
                Some(START_AGAIN),
            )
        })?;
    Ok(key)
}

/// The page for an install from a team this server does not serve.
fn team_refused(team: &str) -> Response {
    tracing::warn!(%team, "install refused: the team is not in MIRO_ALLOWED_TEAMS");
    message_page(
        StatusCode::FORBIDDEN,
        "This team cannot use the app here",
        &format!(
            "This server runs the app for other Miro teams. Nothing was installed for your \
             team (team id {team}). If your team should use it, ask whoever runs the server to \
             add {team} to MIRO_ALLOWED_TEAMS."
        ),
        None,
    )
}

/// The page for a refusal or silence from Miro during the exchange.
fn miro_refused(error: &MiroError, step: &str) -> Response {
    tracing::warn!(%error, "install: Miro refused to {step}");
    match error {
        MiroError::Transient { .. } | MiroError::RateLimited { .. } | MiroError::Other(_) => {
            message_page(
                StatusCode::BAD_GATEWAY,
                "Miro did not answer",
                "Miro did not answer while the app was being installed. Nothing was installed; \
                 start again in a moment.",
                Some(START_AGAIN),
            )
        }
        _ => message_page(
            StatusCode::BAD_REQUEST,
            "Miro did not accept this install",
            "The authorization Miro sent back was already used or has expired (it lasts 10 \
             minutes). Nothing was installed. Start again.",
            Some(START_AGAIN),
        ),
    }
}

/// The redirect URI registered for the app (the sandbox registers the
/// same one: see `config`).
pub fn redirect_uri(state: &AppState) -> String {
    format!("{}{OAUTH_CALLBACK_PATH}", state.config.public_url)
}

/// The `Set-Cookie` value that holds an install's state for `max_age`
/// seconds (0 with an empty state: the cookie is removed).
fn state_cookie_header(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{STATE_COOKIE}={value}; Path=/oauth; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    )
}

/// The install cookie's value (the signed state) from this browser's
/// request.
fn state_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == STATE_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_and_the_cookie_are_read_leniently() {
        let query = CallbackQuery::parse("code=abc&state=s%2B1&client_id=9&team_id=1&x=%ZZ");
        assert_eq!(query.code.as_deref(), Some("abc"));
        assert_eq!(query.state.as_deref(), Some("s+1"));
        assert_eq!(query.client_id.as_deref(), Some("9"));
        assert!(CallbackQuery::parse("").code.is_none());
        assert!(CallbackQuery::parse("code=&state=").state.is_none());

        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; miro_cards_install=xyz; b=2"),
        );
        assert_eq!(state_cookie(&headers).as_deref(), Some("xyz"));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("miro_cards_install="),
        );
        assert_eq!(state_cookie(&headers), None);
    }
}
