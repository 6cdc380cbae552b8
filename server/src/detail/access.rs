//! Who may use a card from the app's pages: the user's team must be
//! allowed, the user's Miro connection must reach the card's board, and
//! the card must show a record of ours that the user's team reaches (see
//! [`crate::teams`]), linked by an installation of that team. The caller is
//! checked before the card, so someone with no connection learns nothing
//! about which cards are linked. The ticket endpoints, saves and the panel
//! ask here. A confirmed board access is remembered per team, user and
//! board (`crate::board_access`), and each caller says how old a
//! confirmation it accepts.

use std::time::Duration;

use crate::{
    miro::{MiroError, TokenKey},
    state::AppState,
    store::{CardKey, CardLink, RecordRow},
    sync::needs_reconnect,
};

/// Why a user may not use a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// The card shows no record of ours.
    NotLinked,
    /// The card, or the record it shows, belongs to another team; or the
    /// user's team may not use the app.
    OtherTeam,
    /// The user's Miro connection is gone or was refused.
    ReconnectNeeded,
    /// The user's Miro account cannot reach the board.
    NoBoardAccess,
    /// Miro refused the user's token when asked about the board.
    TokenRefused,
    /// The store or Miro did not answer (logged).
    Unavailable,
}

fn unavailable(error: &dyn std::fmt::Display) -> Denied {
    tracing::error!(%error, "checking access to a card failed");
    Denied::Unavailable
}

/// The card's link and its record id, if the card shows a record of ours
/// that `user`'s team reaches.
pub async fn linked_record(
    state: &AppState,
    user: &TokenKey,
    card: &CardKey,
) -> Result<(CardLink, String), Denied> {
    let (link, record) = state
        .sync
        .store()
        .link_with_record(card)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or(Denied::NotLinked)?;
    let record = record.ok_or(Denied::NotLinked)?;
    let record_id = check_link(state, &link, &record, user)?;
    Ok((link, record_id))
}

/// The record a link shows, if `user` may open the card through it: the
/// card names `record`, it was linked in the user's team, and the team
/// reaches the record.
pub fn check_link(
    state: &AppState,
    link: &CardLink,
    record: &RecordRow,
    user: &TokenKey,
) -> Result<String, Denied> {
    let record_id = link.record_id.clone().ok_or(Denied::NotLinked)?;
    if link.owner.team_id != user.team_id
        || record.snapshot.id != record_id
        || !state.teams.reach(user).includes(&record.scope)
    {
        return Err(Denied::OtherTeam);
    }
    Ok(record_id)
}

/// The user's connection reaches the board (asked of Miro unless it
/// confirmed so less than `max_age` ago), and then [`linked_record`]:
/// the caller first, so a refusal says nothing about the card to someone
/// who cannot reach its board.
pub async fn card_access(
    state: &AppState,
    user: &TokenKey,
    card: &CardKey,
    max_age: Duration,
) -> Result<(CardLink, String), Denied> {
    board_access(state, user, &card.board_id, max_age).await?;
    linked_record(state, user, card).await
}

/// Whether the user's connection reaches the board: asked of Miro unless
/// it confirmed so less than `max_age` ago.
pub async fn board_access(
    state: &AppState,
    user: &TokenKey,
    board_id: &str,
    max_age: Duration,
) -> Result<(), Denied> {
    if !state.teams.allows(&user.team_id) {
        return Err(Denied::OtherTeam);
    }
    let key = (
        user.team_id.clone(),
        user.user_id.clone(),
        board_id.to_owned(),
    );
    if state.board_access.confirmed_within(&key, max_age) {
        return Ok(());
    }
    let access = match state.sync.tokens().access(user).await {
        Ok(access) => access,
        Err(error) if needs_reconnect(&error) => return Err(Denied::ReconnectNeeded),
        Err(error) => return Err(unavailable(&error)),
    };
    match state.oauth.client.board(&access, board_id).await {
        Ok(_) => {
            state.board_access.confirm(key);
            Ok(())
        }
        Err(MiroError::NotFound(_) | MiroError::Forbidden(_)) => Err(Denied::NoBoardAccess),
        Err(MiroError::Unauthorized(_)) => Err(Denied::TokenRefused),
        Err(error) => Err(unavailable(&error)),
    }
}
