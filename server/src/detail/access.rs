//! Who may use a card from the app's pages: the card must show a record
//! of ours in the user's team, and the user's Miro connection must reach
//! its board. The ticket endpoints, saves and the panel ask here. A confirmed
//! board access is remembered, and each caller says how old a confirmation
//! it accepts.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::{
    miro::{MiroError, TokenKey},
    store::{CardKey, CardLink},
    sync::needs_reconnect,
    AppState,
};

/// Why a user may not use a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// The card shows no record of ours.
    NotLinked,
    /// The card belongs to another team.
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

/// When each (user, board) access was last confirmed by Miro.
#[derive(Clone, Default)]
pub struct BoardAccess(Arc<Mutex<HashMap<(String, String), Instant>>>);

impl BoardAccess {
    fn confirmed_within(&self, key: &(String, String), max_age: Duration) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .is_some_and(|at| at.elapsed() < max_age)
    }

    fn confirm(&self, key: (String, String)) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, Instant::now());
    }
}

fn unavailable(error: &dyn std::fmt::Display) -> Denied {
    tracing::error!(%error, "checking access to a card failed");
    Denied::Unavailable
}

/// The card's link and its record id, if the card shows a record of ours
/// in `user`'s team.
pub async fn linked_record(
    state: &AppState,
    user: &TokenKey,
    card: &CardKey,
) -> Result<(CardLink, String), Denied> {
    let link = state
        .sync
        .store()
        .link(card)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or(Denied::NotLinked)?;
    let record_id = check_link(&link, user)?;
    Ok((link, record_id))
}

/// The record a link shows, if `user` may open the card through it: the
/// card names a record and was linked in the user's team.
pub fn check_link(link: &CardLink, user: &TokenKey) -> Result<String, Denied> {
    let record_id = link.record_id.clone().ok_or(Denied::NotLinked)?;
    if link.owner.team_id != user.team_id {
        return Err(Denied::OtherTeam);
    }
    Ok(record_id)
}

/// [`linked_record`], and the user's connection reaches the board: asked
/// of Miro unless it confirmed so less than `max_age` ago.
pub async fn card_access(
    state: &AppState,
    user: &TokenKey,
    card: &CardKey,
    max_age: Duration,
) -> Result<(CardLink, String), Denied> {
    let linked = linked_record(state, user, card).await?;
    board_access(state, user, &card.board_id, max_age).await?;
    Ok(linked)
}

/// Whether the user's connection reaches the board: asked of Miro unless
/// it confirmed so less than `max_age` ago.
pub async fn board_access(
    state: &AppState,
    user: &TokenKey,
    board_id: &str,
    max_age: Duration,
) -> Result<(), Denied> {
    let key = (user.user_id.clone(), board_id.to_owned());
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
