//! View sessions: what a redeemed ticket turns into. The page carries it
//! (never in a URL) and sends it with each save. It names the user, the
//! card and an expiry, so the server needs no storage to check it.
//!
//! A session is signed claims (`signed.rs`) for the purpose
//! `detail-view-session`: the [`ViewSession`] fields, with the expiry in
//! the registered `exp` claim. One rule is added here: the session must be
//! for the card being saved.
//!
//! Tickets themselves are one-use and kept in the store under their hash
//! ([`ticket_hash`]), so a stolen copy of the store opens nothing.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    miro::TokenKey,
    signed::{self, Expiring},
    store::{CardKey, SecretKey},
};

/// What the view-session key is derived for.
const KEY_PURPOSE: &str = "detail-view-session";

/// How long a view may be used to save after it opened.
pub const SESSION_SECONDS: i64 = 8 * 60 * 60;

/// Who may save which card, until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewSession {
    pub user_id: String,
    pub team_id: String,
    pub board_id: String,
    pub item_id: String,
    /// Unix seconds; the JWT's `exp` claim.
    #[serde(rename = "exp")]
    pub expires_at: i64,
}

impl Expiring for ViewSession {
    fn expires_at(&self) -> i64 {
        self.expires_at
    }
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

/// An HS256 JWT whose claims are `session`'s fields.
pub fn sign(session: &ViewSession, key: &SecretKey) -> String {
    signed::sign(session, key, KEY_PURPOSE)
}

/// The session `token` carries, if it is ours, it has not expired at `now`
/// and it is for `card`.
pub fn verify(token: &str, key: &SecretKey, card: &CardKey, now: i64) -> Option<ViewSession> {
    signed::verify::<ViewSession>(token, key, KEY_PURPOSE, now)
        .filter(|s| s.board_id == card.board_id && s.item_id == card.item_id)
}

/// The hash a ticket is stored under.
pub fn ticket_hash(ticket: &str) -> String {
    Sha256::digest(ticket.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    use super::*;

    fn sample() -> (ViewSession, CardKey) {
        let card = CardKey::new("b=", "42");
        let user = TokenKey {
            user_id: "7".to_owned(),
            team_id: "9".to_owned(),
        };
        (ViewSession::new(&user, &card, 1_000), card)
    }

    fn b64_json(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn a_signed_session_verifies_for_its_card_until_it_expires() {
        let key = SecretKey::generate();
        let (session, card) = sample();
        let token = sign(&session, &key);
        assert_eq!(token.split('.').count(), 3, "a JWT");
        assert_eq!(verify(&token, &key, &card, 1_000), Some(session.clone()));
        let last = session.expires_at;
        assert_eq!(verify(&token, &key, &card, last), Some(session.clone()));
        assert_eq!(verify(&token, &key, &card, last + 1), None);
        assert_eq!(verify(&token, &key, &CardKey::new("b=", "43"), 1_000), None);
        assert_eq!(verify(&token, &SecretKey::generate(), &card, 1_000), None);
    }

    #[test]
    fn the_claims_are_the_session_with_its_expiry_as_exp() {
        let key = SecretKey::generate();
        let (session, _) = sample();
        let token = sign(&session, &key);
        let mut parts = token.split('.');
        let header = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
        assert_eq!(header["alg"], "HS256");
        let claims = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap();
        let expected = serde_json::json!({"user_id": "7", "team_id": "9", "board_id": "b=",
            "item_id": "42", "exp": 1_000 + SESSION_SECONDS});
        assert_eq!(claims, expected);
    }

    #[test]
    fn a_changed_payload_or_garbage_is_refused() {
        let key = SecretKey::generate();
        let (mut session, card) = sample();
        let token = sign(&session, &key);
        let parts: Vec<&str> = token.split('.').collect();
        session.user_id = "8".to_owned();
        let forged = b64_json(&serde_json::to_value(&session).unwrap());
        let forged = [parts[0], &forged, parts[2]].join(".");
        assert_eq!(verify(&forged, &key, &card, 1_000), None);
        for garbage in ["", ".", "..", "abc", "a.b", "a.b.c", "a.b.c.d"] {
            assert_eq!(verify(garbage, &key, &card, 1_000), None, "{garbage:?}");
        }
        assert_eq!(verify(&format!("{token}.x"), &key, &card, 1_000), None);
        assert_eq!(verify(&format!("{token}="), &key, &card, 1_000), None);
    }

    #[test]
    fn only_hs256_under_our_key_is_accepted() {
        let key = SecretKey::generate();
        let (session, card) = sample();
        let token = sign(&session, &key);
        let claims = token.split('.').nth(1).unwrap();
        let unsigned = format!(
            "{}.{claims}.",
            b64_json(&serde_json::json!({"alg": "none"}))
        );
        assert_eq!(verify(&unsigned, &key, &card, 1_000), None);
        let derived = EncodingKey::from_secret(&key.derive(KEY_PURPOSE));
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let other = jsonwebtoken::encode(&Header::new(alg), &session, &derived).unwrap();
            assert_eq!(verify(&other, &key, &card, 1_000), None, "{alg:?}");
        }
        // HS256 under a key derived for another purpose is not ours either.
        let elsewhere = EncodingKey::from_secret(&key.derive("another-purpose"));
        let header = Header::new(Algorithm::HS256);
        let other = jsonwebtoken::encode(&header, &session, &elsewhere).unwrap();
        assert_eq!(verify(&other, &key, &card, 1_000), None);
    }
}
