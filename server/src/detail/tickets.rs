//! `POST /miro/tickets`: the headless page asks for a ticket to open a
//! card's detail view. It proves who the user is with a Miro ID token (in
//! the `Authorization` header, never in a URL); the server checks that the
//! user's installation can reach the board and that the card shows one of
//! our records, then hands out a ticket that opens that card, for that
//! user, once, within [`TICKET_SECONDS`].

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    miro::{id_token, MiroError, TokenKey},
    store::{now, CardKey, TicketGrant},
    sync::needs_reconnect,
    AppState,
};

/// A ticket's lifetime: long enough to open a modal, short enough to be
/// useless once seen.
pub const TICKET_SECONDS: i64 = 60;

#[derive(Deserialize)]
pub struct TicketRequest {
    pub board_id: String,
    pub item_id: String,
}

/// A refusal with a status and a message for the user.
pub fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The hash a ticket is stored under.
pub fn ticket_hash(ticket: &str) -> String {
    Sha256::digest(ticket.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn issue_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<TicketRequest>,
) -> Response {
    let user = match identify(&state, &headers) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let card = CardKey::new(request.board_id, request.item_id);
    match authorize(&state, &user, &card).await {
        Ok(()) => {}
        Err(response) => return response,
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let ticket = URL_SAFE_NO_PAD.encode(bytes);
    let grant = TicketGrant { user, card };
    if let Err(error) = state
        .sync
        .store()
        .create_ticket(&ticket_hash(&ticket), &grant, now() + TICKET_SECONDS)
        .await
    {
        tracing::error!(%error, "storing a ticket failed");
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "The app could not open the card; try again.",
        );
    }
    Json(json!({ "ticket": ticket, "expires_in": TICKET_SECONDS })).into_response()
}

/// Who is calling, from the Miro ID token in the `Authorization` header.
pub fn identify(state: &AppState, headers: &HeaderMap) -> Result<TokenKey, Response> {
    let Some(token) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "Sign in to Miro to open this card.",
        ));
    };
    match id_token::verify(
        token,
        state.oauth.client.client_id(),
        state.oauth.client_secret.expose(),
        now(),
    ) {
        Ok(identity) => Ok(TokenKey {
            user_id: identity.user_id,
            team_id: identity.team_id,
        }),
        Err(error) => {
            tracing::info!(%error, "refused: bad ID token");
            Err(refuse(
                StatusCode::UNAUTHORIZED,
                "Miro did not vouch for this request.",
            ))
        }
    }
}

/// The user's installation must exist and reach the board, and the card
/// must show a record of ours in the user's team.
pub async fn authorize(state: &AppState, user: &TokenKey, card: &CardKey) -> Result<(), Response> {
    let store = state.sync.store();
    let link = match store.link(card).await {
        Ok(Some(link)) if link.record_id.is_some() => link,
        Ok(_) => {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                "This card is not connected to a record. Connect it from the app's panel.",
            ))
        }
        Err(error) => {
            tracing::error!(%error, "reading a card link failed");
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "The app could not open the card; try again.",
            ));
        }
    };
    if link.owner.team_id != user.team_id {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "This card belongs to another team.",
        ));
    }
    let access =
        match state.sync.tokens().access(user).await {
            Ok(access) => access,
            Err(error) if needs_reconnect(&error) => return Err(refuse(
                StatusCode::UNAUTHORIZED,
                "Connect the app to Miro first (or again): its access was removed or has expired.",
            )),
            Err(error) => {
                tracing::warn!(%error, "no token for a ticket");
                return Err(refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Miro is not answering; try again.",
                ));
            }
        };
    match state.oauth.client.board(&access, &card.board_id).await {
        Ok(_) => Ok(()),
        Err(MiroError::NotFound(_) | MiroError::Forbidden(_) | MiroError::Unauthorized(_)) => {
            Err(refuse(
                StatusCode::FORBIDDEN,
                "Your Miro account cannot reach this board.",
            ))
        }
        Err(error) => {
            tracing::warn!(%error, "checking board access failed");
            Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "Miro is not answering; try again.",
            ))
        }
    }
}
