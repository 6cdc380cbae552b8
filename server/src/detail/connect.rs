//! `POST /miro/cards/connect`: the headless page's answer to the SDK's
//! `app_card:connect` on a disconnected card. The card's current content
//! becomes a new built-in record, the card is linked to it and turns
//! `connected`.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use super::{
    tickets::{identify, refuse, TicketRequest},
    PUSH_DEADLINE,
};
use crate::{
    miro::MiroError,
    store::{origin, CardKey, NewRecord},
    sync::{connector::BUILTIN, fields_from_card, needs_reconnect},
    AppState,
};

pub async fn connect_card(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<TicketRequest>,
) -> Response {
    let user = match identify(&state, &headers) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let card = CardKey::new(request.board_id, request.item_id);
    let engine = &state.sync;
    let access = match engine.tokens().access(&user).await {
        Ok(access) => access,
        Err(error) if needs_reconnect(&error) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Connect the app to Miro first (or again).",
            )
        }
        Err(error) => {
            tracing::warn!(%error, "no token to connect a card");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "Miro is not answering; try again.",
            );
        }
    };
    // Reading the card through the user's token also proves they can
    // reach its board.
    let on_board = match state
        .oauth
        .client
        .app_card(&access, &card.board_id, &card.item_id)
        .await
    {
        Ok(on_board) => on_board,
        Err(MiroError::NotFound(_)) => {
            return refuse(
                StatusCode::NOT_FOUND,
                "This card is no longer on the board.",
            )
        }
        Err(MiroError::Forbidden(_)) => {
            return refuse(
                StatusCode::FORBIDDEN,
                "Your Miro account cannot reach this board.",
            )
        }
        Err(error) => {
            tracing::warn!(%error, "reading a card to connect failed");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "Miro is not answering; try again.",
            );
        }
    };
    if on_board.data.owned != Some(true) {
        return refuse(StatusCode::FORBIDDEN, "This card was made by another app.");
    }
    let store = engine.store();
    let linked = match store.link(&card).await {
        Ok(link) => link.and_then(|l| l.record_id),
        Err(error) => return unavailable(&error),
    };
    let record_id = match linked {
        Some(record_id) => record_id,
        None => {
            let fields = fields_from_card(
                &on_board.data,
                engine.template().default_status().key.clone(),
            );
            let created = engine
                .create(NewRecord {
                    connector: BUILTIN,
                    external_id: None,
                    fields: &fields,
                    origin: origin::MIRO,
                    actor: &user.user_id,
                })
                .await;
            match created {
                Ok(record) => record.snapshot.id,
                Err(error) => return unavailable(&error),
            }
        }
    };
    if let Err(error) = engine.link(&card, &record_id, &user, &user.user_id).await {
        return unavailable(&error);
    }
    if let Err(error) = engine.push(&card, Some(PUSH_DEADLINE)).await {
        // Linked and queued: the worker writes the card.
        tracing::warn!(%error, "pushing a connected card failed");
    }
    Json(json!({ "record_id": record_id, "status": "connected" })).into_response()
}

fn unavailable(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "connecting a card failed");
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "The app could not connect the card; try again.",
    )
}
