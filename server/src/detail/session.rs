//! View sessions: what a redeemed ticket turns into. The page carries it
//! (never in a URL) and sends it with each save. It names the user, the
//! card and an expiry, signed with HMAC-SHA256 under a key derived from
//! the app's secret key, so the server needs no storage to check it.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{
    miro::TokenKey,
    store::{CardKey, SecretKey},
};

/// How long a view may be used to save after it opened.
pub const SESSION_SECONDS: i64 = 8 * 60 * 60;

/// Who may save which card, until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewSession {
    pub user_id: String,
    pub team_id: String,
    pub board_id: String,
    pub item_id: String,
    pub expires_at: i64,
}

impl ViewSession {
    pub fn new(user: &TokenKey, card: &CardKey, now: i64) -> Self {
        Self {
            user_id: user.user_id.clone(),
            team_id: user.team_id.clone(),
            board_id: card.board_id.clone(),
            item_id: card.item_id.clone(),
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

fn mac(key: &SecretKey) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(&key.derive("detail-view-session"))
        .expect("HMAC takes any key length")
}

/// `payload.signature`, both base64url.
pub fn sign(session: &ViewSession, key: &SecretKey) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(session).expect("sessions serialize"));
    let mut mac = mac(key);
    mac.update(payload.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// The session `token` carries, if its signature is ours, it has not
/// expired at `now` and it is for `card`.
pub fn verify(token: &str, key: &SecretKey, card: &CardKey, now: i64) -> Option<ViewSession> {
    let (payload, signature) = token.split_once('.')?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let mut mac = mac(key);
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature).ok()?;
    let session: ViewSession =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    (session.expires_at >= now
        && session.board_id == card.board_id
        && session.item_id == card.item_id)
        .then_some(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (ViewSession, CardKey) {
        let card = CardKey::new("b=", "42");
        let user = TokenKey {
            user_id: "7".to_owned(),
            team_id: "9".to_owned(),
        };
        (ViewSession::new(&user, &card, 1_000), card)
    }

    #[test]
    fn a_signed_session_verifies_for_its_card_until_it_expires() {
        let key = SecretKey::generate();
        let (session, card) = sample();
        let token = sign(&session, &key);
        assert_eq!(verify(&token, &key, &card, 1_000), Some(session.clone()));
        assert_eq!(verify(&token, &key, &card, session.expires_at + 1), None);
        assert_eq!(verify(&token, &key, &CardKey::new("b=", "43"), 1_000), None);
        assert_eq!(verify(&token, &SecretKey::generate(), &card, 1_000), None);
    }

    #[test]
    fn a_changed_payload_or_garbage_is_refused() {
        let key = SecretKey::generate();
        let (mut session, card) = sample();
        let token = sign(&session, &key);
        session.user_id = "8".to_owned();
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&session).unwrap());
        let signature = token.split_once('.').unwrap().1;
        assert_eq!(
            verify(&format!("{forged_payload}.{signature}"), &key, &card, 1_000),
            None
        );
        for garbage in ["", ".", "abc", "a.b", "a.b.c"] {
            assert_eq!(verify(garbage, &key, &card, 1_000), None);
        }
    }
}
