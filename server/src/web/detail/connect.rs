//! `POST /miro/cards/connect`: the headless page's answer to the SDK's
//! `app_card:connect` on a disconnected card. The card's current content
//! becomes a new built-in record, the card is linked to it and turns
//! `connected`. A card already linked by another user is refused (409): its
//! link, and whose token writes it, stay as they are. The same user
//! connecting it again keeps its record.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
    Json,
};
use serde_json::{json, Value};

use super::tickets::{identify, try_again, user_access, CardRequest, Refused};
use crate::{
    client_address::ClientAddress,
    detail::PUSH_DEADLINE,
    miro::MiroError,
    rate_limit::Action,
    state::AppState,
    store::{CardKey, CardLink, StoreError},
    sync::SyncError,
    teams::team_scope,
    web::body::JsonBody,
};

const LINKED_BY_OTHER: &str =
    "Someone else connected this card already; it shows their record. Ask them, or disconnect it first.";

/// Why linking failed, as the page should hear it.
fn link_refused(error: &SyncError) -> Refused {
    match error {
        SyncError::Store(StoreError::LinkedByOther { .. }) => {
            Refused(StatusCode::CONFLICT, LINKED_BY_OTHER)
        }
        SyncError::Unreadable { field: "title", .. } => Refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This card's title nests its formatting too deep to read (over 64 levels).",
        ),
        SyncError::Unreadable { .. } => Refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This card's description nests its formatting too deep to read (over 64 levels).",
        ),
        SyncError::NotARecord(errors) if errors.iter().any(|e| e.field == "title") => Refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This card cannot become a record: give it a title of 1 to 200 characters on the \
             board, then connect it.",
        ),
        SyncError::NotARecord(_) => Refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This card cannot become a record: its description is longer than the 5,000 \
             characters a record keeps. Shorten it on the board, then connect it.",
        ),
        other => try_again(other),
    }
}

pub async fn connect_card(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddress,
    JsonBody(request): JsonBody<CardRequest>,
) -> Result<Json<Value>, Response> {
    let user = identify(&state, &headers, client)?;
    state.rate_limits.take_for(Action::Connect, &user)?;
    let card = CardKey::new(request.board_id, request.item_id);
    let engine = &state.sync;
    let access = user_access(&state, &user).await?;
    // Reading the card with the user's token also proves they can reach
    // its board.
    let on_board = match state
        .oauth
        .client
        .app_card(&access, &card.board_id, &card.item_id)
        .await
    {
        Ok(on_board) => on_board,
        Err(MiroError::NotFound(_)) => {
            return Err(Refused(
                StatusCode::NOT_FOUND,
                "This card is no longer on the board.",
            )
            .into())
        }
        Err(MiroError::Forbidden(_)) => {
            return Err(Refused(
                StatusCode::FORBIDDEN,
                "Your Miro account cannot reach this board.",
            )
            .into())
        }
        Err(error) => return Err(try_again(&error).into()),
    };
    if on_board.data.owned != Some(true) {
        return Err(Refused(StatusCode::FORBIDDEN, "This card was made by another app.").into());
    }
    let store = engine.store();
    let linked = store.link(&card).await.map_err(|e| try_again(&e))?;
    let record_id = match linked {
        Some(link) if link.record_id.is_some() && link.owner != user => {
            return Err(Refused(StatusCode::CONFLICT, LINKED_BY_OTHER).into());
        }
        Some(CardLink {
            record_id: Some(record_id),
            ..
        }) => record_id,
        _ => {
            engine
                .record_from_card(
                    &card,
                    &on_board.data,
                    &user.user_id,
                    &team_scope(&user.team_id),
                )
                .await
                .map_err(|e| link_refused(&e))?
                .snapshot
                .id
        }
    };
    // The store checks the owner again as it links, for a connect that
    // raced this one.
    engine
        .link(&card, &record_id, &user, &user.user_id)
        .await
        .map_err(|e| link_refused(&e))?;
    if let Err(error) = engine.push(&card, Some(PUSH_DEADLINE)).await {
        // Linked and queued: the worker writes the card.
        tracing::warn!(%error, "pushing a connected card failed");
    }
    Ok(Json(
        json!({ "record_id": record_id, "status": "connected" }),
    ))
}
