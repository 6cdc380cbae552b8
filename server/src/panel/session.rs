//! Panel sessions: what a redeemed panel ticket turns into. The panel page
//! carries it (never in a URL) and sends it with each call. It names the
//! user, the board and an expiry: signed claims (`signed.rs`) for the
//! purpose `panel-session`, so a detail view's session is never taken for
//! a panel's, or the other way round.

use serde::{Deserialize, Serialize};

use crate::{
    miro::TokenKey,
    signed::{self, Expiring},
    store::SecretKey,
};

const KEY_PURPOSE: &str = "panel-session";

/// A panel ticket's grant names the board and no item: no card's page
/// takes it (a card's path always names an item).
pub const PANEL_ITEM: &str = "";

/// How long a panel may be used after it opened.
pub const SESSION_SECONDS: i64 = 8 * 60 * 60;

/// Who may use the panel on which board, until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelSession {
    pub user_id: String,
    pub team_id: String,
    pub board_id: String,
    #[serde(rename = "exp")]
    pub expires_at: i64,
}

impl Expiring for PanelSession {
    fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

impl PanelSession {
    pub fn new(user: &TokenKey, board_id: &str, now: i64) -> Self {
        Self {
            user_id: user.user_id.clone(),
            team_id: user.team_id.clone(),
            board_id: board_id.to_owned(),
            expires_at: now + SESSION_SECONDS,
        }
    }

    pub fn user(&self) -> TokenKey {
        TokenKey {
            user_id: self.user_id.clone(),
            team_id: self.team_id.clone(),
        }
    }
}

pub fn sign(session: &PanelSession, key: &SecretKey) -> String {
    signed::sign(session, key, KEY_PURPOSE)
}

/// The session `token` carries, if it is ours and has not expired at `now`.
pub fn verify(token: &str, key: &SecretKey, now: i64) -> Option<PanelSession> {
    signed::verify(token, key, KEY_PURPOSE, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{detail::session as view, store::CardKey};

    #[test]
    fn a_panel_session_works_until_it_expires_and_only_as_a_panel_session() {
        let key = SecretKey::generate();
        let user = TokenKey {
            user_id: "7".to_owned(),
            team_id: "9".to_owned(),
        };
        let session = PanelSession::new(&user, "b=", 1_000);
        let token = sign(&session, &key);
        assert_eq!(verify(&token, &key, 1_000), Some(session.clone()));
        assert_eq!(verify(&token, &key, session.expires_at + 1), None);
        assert_eq!(verify(&token, &SecretKey::generate(), 1_000), None);
        // A detail view's session, signed with the same key, is no panel
        // session, and a panel session opens no card.
        let card = CardKey::new("b=", "1");
        let view_token = view::sign(&view::ViewSession::new(&user, &card, 1_000), &key);
        assert_eq!(verify(&view_token, &key, 1_000), None);
        assert_eq!(view::verify(&token, &key, &card, 1_000), None);
    }
}
