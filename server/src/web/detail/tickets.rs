//! `POST /miro/tickets`: the headless page asks for a ticket to open a
//! card's detail view. It proves who the user is with a Miro ID token (in
//! the `Authorization` header, never in a URL); the server checks that the
//! user's installation can reach the board and that the card shows one of
//! our records, then hands out a ticket that opens that card, for that
//! user, once, within [`TICKET_SECONDS`].

use crate::clock::now;
use std::time::Duration;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    client_address::ClientAddress,
    detail::{
        access::{board_access, card_access, Denied},
        session::ticket_hash,
    },
    miro::{id_token, Access, TokenKey},
    rate_limit::Action,
    state::AppState,
    store::{CardKey, TicketGrant},
    sync::needs_reconnect,
    web::body::JsonBody,
};

/// A ticket's lifetime: long enough to open a modal, short enough to be
/// useless once seen.
pub const TICKET_SECONDS: i64 = 60;

/// Which card a call from the headless page is about.
#[derive(Deserialize)]
pub struct CardRequest {
    pub board_id: String,
    pub item_id: String,
}

/// A refused call: its status and a message for the user (details go to
/// the log, never into the answer). A refusal that connecting the app to
/// Miro would lift says so (`"connect": true`), so the headless page can
/// offer exactly that.
#[derive(Debug)]
pub struct Refused(pub StatusCode, pub &'static str);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let connect = self.1 == RECONNECT;
        (self.0, Json(json!({ "error": self.1, "connect": connect }))).into_response()
    }
}

// So that handlers answering `Result<_, Response>` can `?` a refusal, as
// they do a rate limit's.
impl From<Refused> for Response {
    fn from(refused: Refused) -> Self {
        refused.into_response()
    }
}

const TRY_AGAIN: &str = "The app or Miro is not answering; try again.";
/// For a user of a team the server does not serve.
pub const TEAM_NOT_ALLOWED: &str =
    "This app is not set up for your Miro team here. Ask whoever runs it to add your team.";
const RECONNECT: &str =
    "Connect the app to Miro first (or again): it has no access for you yet, or it was removed.";

/// Miro is not answering, or the store failed: worth trying again.
pub fn try_again(error: &dyn std::fmt::Display) -> Refused {
    tracing::error!(%error, "a call from the headless page failed");
    Refused(StatusCode::SERVICE_UNAVAILABLE, TRY_AGAIN)
}

pub async fn issue_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddress,
    JsonBody(request): JsonBody<CardRequest>,
) -> Result<Json<Value>, Response> {
    let user = identify(&state, &headers, client)?;
    state.rate_limits.take_for(Action::Ticket, &user)?;
    let card = CardKey::new(request.board_id, request.item_id);
    authorize(&state, &user, &card).await?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let ticket = URL_SAFE_NO_PAD.encode(bytes);
    state
        .sync
        .store()
        .create_ticket(
            &ticket_hash(&ticket),
            &TicketGrant { user, card },
            now() + TICKET_SECONDS,
        )
        .await
        .map_err(|e| try_again(&e))?;
    Ok(Json(
        json!({ "ticket": ticket, "expires_in": TICKET_SECONDS }),
    ))
}

/// Who is calling, from the Miro ID token in the `Authorization` header.
/// A token that does not verify is logged at most once a minute per client
/// address (`client`), so a flood of forged ones cannot fill the log.
pub fn identify(
    state: &AppState,
    headers: &HeaderMap,
    client: ClientAddress,
) -> Result<TokenKey, Refused> {
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(Refused(
            StatusCode::UNAUTHORIZED,
            "Sign in to Miro to use this card.",
        ))?;
    let identity = id_token::verify(
        token,
        state.oauth.client.client_id(),
        state.oauth.client_secret.expose(),
        now(),
    )
    .map_err(|error| {
        if let Some(unlogged) = state.refusal_logs.id_tokens.admit_now(client) {
            tracing::info!(
                %error,
                client = %client,
                unlogged_since_last_line = unlogged,
                "refused: bad ID token"
            );
        }
        Refused(
            StatusCode::UNAUTHORIZED,
            "Miro did not vouch for this request.",
        )
    })?;
    // Miro vouches for users of every team the app is installed in; this
    // server serves only the teams it was set up for.
    if !state.teams.allows(&identity.team_id) {
        return Err(Refused(StatusCode::FORBIDDEN, TEAM_NOT_ALLOWED));
    }
    Ok(TokenKey {
        user_id: identity.user_id,
        team_id: identity.team_id,
    })
}

/// A usable Miro token of the user's installation.
pub async fn user_access(state: &AppState, user: &TokenKey) -> Result<Access, Refused> {
    match state.sync.tokens().access(user).await {
        Ok(access) => Ok(access),
        Err(error) if needs_reconnect(&error) => Err(Refused(StatusCode::UNAUTHORIZED, RECONNECT)),
        Err(error) => Err(try_again(&error)),
    }
}

/// The card must show a record of ours in the user's team, and the
/// user's connection must reach the board, confirmed by Miro for this very
/// ticket.
pub async fn authorize(state: &AppState, user: &TokenKey, card: &CardKey) -> Result<(), Refused> {
    card_access(state, user, card, Duration::ZERO)
        .await
        .map(|_| ())
        .map_err(Refused::from)
}

/// The user's connection must reach the board, confirmed by Miro for this
/// very ticket (the panel's tickets name a board and no card).
pub async fn board_reachable(
    state: &AppState,
    user: &TokenKey,
    board_id: &str,
) -> Result<(), Refused> {
    board_access(state, user, board_id, Duration::ZERO)
        .await
        .map_err(Refused::from)
}

impl From<Denied> for Refused {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::NotLinked => Refused(
                StatusCode::NOT_FOUND,
                "This card is not connected to a record. Connect it first.",
            ),
            Denied::OtherTeam => Refused(
                StatusCode::FORBIDDEN,
                "This card belongs to another team, or its record does.",
            ),
            // Miro refusing the token itself means it was revoked.
            Denied::ReconnectNeeded | Denied::TokenRefused => {
                Refused(StatusCode::UNAUTHORIZED, RECONNECT)
            }
            Denied::NoBoardAccess => Refused(
                StatusCode::FORBIDDEN,
                "Your Miro account cannot reach this board.",
            ),
            Denied::Unavailable => Refused(StatusCode::SERVICE_UNAVAILABLE, TRY_AGAIN),
        }
    }
}
