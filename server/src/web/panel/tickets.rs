//! `POST /miro/panel/tickets`: the headless page asks for a ticket to open
//! the panel on a board, when the user clicks the app's icon. As for a
//! card's ticket, the user proves who they are with a Miro ID token (in
//! the `Authorization` header, never in a URL), and Miro must confirm that
//! the user's connection reaches the board. The ticket opens the panel on
//! that board, for that user, once, within a minute.

use crate::clock::now;
use axum::{extract::State, http::HeaderMap, response::Response, Json};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    client_address::ClientAddress,
    detail::session::ticket_hash,
    panel::session::PANEL_ITEM,
    rate_limit::Action,
    state::AppState,
    store::{CardKey, TicketGrant},
    web::{
        body::JsonBody,
        detail::tickets::{board_reachable, identify, try_again, TICKET_SECONDS},
    },
};

#[derive(Deserialize)]
pub struct PanelRequest {
    pub board_id: String,
}

pub async fn issue_panel_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddress,
    JsonBody(request): JsonBody<PanelRequest>,
) -> Result<Json<Value>, Response> {
    let user = identify(&state, &headers, client)?;
    state.rate_limits.take_for(Action::Ticket, &user)?;
    board_reachable(&state, &user, &request.board_id).await?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let ticket = URL_SAFE_NO_PAD.encode(bytes);
    let grant = TicketGrant {
        user,
        card: CardKey::new(request.board_id, PANEL_ITEM),
    };
    state
        .sync
        .store()
        .create_ticket(&ticket_hash(&ticket), &grant, now() + TICKET_SECONDS)
        .await
        .map_err(|e| try_again(&e))?;
    Ok(Json(
        json!({ "ticket": ticket, "expires_in": TICKET_SECONDS }),
    ))
}
