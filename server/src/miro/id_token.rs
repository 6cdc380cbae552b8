//! Verifies the ID tokens the app's iframes get from
//! `miro.board.getIdToken()` and send to our server: JWTs Miro signs with
//! the app's client secret. What a token must satisfy, and why:
//!
//! - **HS256 only.** The header's `alg` is checked before anything else;
//!   `none`, other HMAC sizes and public-key algorithms are refused, so a
//!   token cannot choose how it is checked.
//! - **Signed with our client secret**, compared in constant time.
//! - **Not expired**: `exp` is required, with at most 60 s of leeway for
//!   clock skew; an `iat` more than 60 s in the future is refused too.
//! - **For our app**: `sub` must be our client id, so a token issued to
//!   another app (signed with its secret) is useless here even if that
//!   secret leaked.
//! - **Names a user and a team**, read as strings (ids exceed 2^53, so
//!   numbers are taken digit for digit, never through `f64`).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

/// Longest token accepted (Miro's are a few hundred bytes).
const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp` and `iat`.
pub const LEEWAY_SECONDS: i64 = 60;

/// Who is calling from a Miro iframe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MiroIdentity {
    pub user_id: String,
    pub team_id: String,
    pub expires_at: i64,
}

/// Why a token was refused. Messages never contain the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("malformed ID token: {0}")]
    Malformed(&'static str),
    #[error("ID token algorithm {0:?} is not accepted (HS256 only)")]
    UnsupportedAlgorithm(String),
    #[error("ID token signature does not match")]
    BadSignature,
    #[error("ID token has expired")]
    Expired,
    #[error("ID token is issued in the future")]
    NotYetValid,
    #[error("ID token was issued to another app")]
    WrongAudience,
    #[error("ID token lacks the {0} claim")]
    MissingClaim(&'static str),
}

fn decode_json(part: &str, what: &'static str) -> Result<Map<String, Value>, IdTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| IdTokenError::Malformed(what))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(IdTokenError::Malformed(what)),
    }
}

/// A claim holding an id: a string, or an integer taken digit for digit.
fn id_claim(claims: &Map<String, Value>, name: &'static str) -> Result<String, IdTokenError> {
    let id = match claims.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
        Some(_) => return Err(IdTokenError::Malformed(name)),
        None => return Err(IdTokenError::MissingClaim(name)),
    };
    if id.is_empty() {
        return Err(IdTokenError::MissingClaim(name));
    }
    Ok(id)
}

/// Checks `token` for our app (`client_id`, signed with `client_secret`)
/// at `now_unix` and returns who it names.
pub fn verify(
    token: &str,
    client_id: &str,
    client_secret: &str,
    now_unix: i64,
) -> Result<MiroIdentity, IdTokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(IdTokenError::Malformed("too long"));
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(IdTokenError::Malformed("not three parts"));
    };

    let header = decode_json(header, "header")?;
    match header.get("alg").and_then(Value::as_str) {
        Some("HS256") => {}
        Some(other) => return Err(IdTokenError::UnsupportedAlgorithm(other.to_owned())),
        None => return Err(IdTokenError::UnsupportedAlgorithm(String::new())),
    }

    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| IdTokenError::Malformed("signature"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes())
        .map_err(|_| IdTokenError::BadSignature)?;
    // The signed input is everything before the last dot.
    mac.update(&token.as_bytes()[..token.rfind('.').unwrap_or(0)]);
    mac.verify_slice(&signature)
        .map_err(|_| IdTokenError::BadSignature)?;

    let claims = decode_json(payload, "claims")?;
    let expires_at = match claims.get("exp") {
        Some(Value::Number(n)) => n.as_i64().ok_or(IdTokenError::Malformed("exp"))?,
        Some(_) => return Err(IdTokenError::Malformed("exp")),
        None => return Err(IdTokenError::MissingClaim("exp")),
    };
    if now_unix > expires_at + LEEWAY_SECONDS {
        return Err(IdTokenError::Expired);
    }
    if let Some(issued) = claims.get("iat") {
        let issued = issued.as_i64().ok_or(IdTokenError::Malformed("iat"))?;
        if issued > now_unix + LEEWAY_SECONDS {
            return Err(IdTokenError::NotYetValid);
        }
    }
    match claims.get("sub").and_then(Value::as_str) {
        Some(sub) if sub == client_id => {}
        Some(_) => return Err(IdTokenError::WrongAudience),
        None => return Err(IdTokenError::MissingClaim("sub")),
    }
    Ok(MiroIdentity {
        user_id: id_claim(&claims, "user")?,
        team_id: id_claim(&claims, "team")?,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, Mac};
    use serde_json::{json, Value};
    use sha2::{Sha256, Sha384, Sha512};

    use super::*;

    const CLIENT: &str = "3458764600000000001";
    const SECRET: &str = "the-client-secret";
    const NOW: i64 = 1_800_000_000;

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    /// A token with `header` and `claims`, signed HS-`bits` with `secret`.
    fn token(header: &Value, claims: &Value, secret: &str, bits: u16) -> String {
        let input = format!("{}.{}", b64(header), b64(claims));
        let signature = match bits {
            256 => sign::<Hmac<Sha256>>(secret, &input),
            384 => sign::<Hmac<Sha384>>(secret, &input),
            _ => sign::<Hmac<Sha512>>(secret, &input),
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn sign<M: Mac + hmac::digest::KeyInit>(secret: &str, input: &str) -> Vec<u8> {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn claims() -> Value {
        json!({"sub": CLIENT, "iss": "miro", "team": "3458764500000000001", "user": "3458764500000000002", "iat": NOW - 10, "exp": NOW + 600})
    }

    fn hs256(claims: &Value) -> String {
        token(&json!({"alg": "HS256", "typ": "JWT"}), claims, SECRET, 256)
    }

    #[test]
    fn a_valid_token_names_user_and_team() {
        let identity = verify(&hs256(&claims()), CLIENT, SECRET, NOW).unwrap();
        assert_eq!(
            identity,
            MiroIdentity {
                user_id: "3458764500000000002".into(),
                team_id: "3458764500000000001".into(),
                expires_at: NOW + 600
            }
        );
        // Ids sent as big integers keep every digit.
        let mut numeric = claims();
        numeric["user"] = json!(3_458_764_517_517_852_417_u64);
        assert_eq!(
            verify(&hs256(&numeric), CLIENT, SECRET, NOW)
                .unwrap()
                .user_id,
            "3458764517517852417"
        );
    }

    #[test]
    fn forged_or_tampered_tokens_are_refused() {
        let forged = token(&json!({"alg": "HS256"}), &claims(), "another-secret", 256);
        assert_eq!(
            verify(&forged, CLIENT, SECRET, NOW),
            Err(IdTokenError::BadSignature)
        );
        let genuine = hs256(&claims());
        let mut tampered_claims = claims();
        tampered_claims["user"] = json!("someone-else");
        let parts: Vec<&str> = genuine.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], b64(&tampered_claims), parts[2]);
        assert_eq!(
            verify(&tampered, CLIENT, SECRET, NOW),
            Err(IdTokenError::BadSignature)
        );
    }

    #[test]
    fn only_hs256_is_accepted() {
        let none = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims()));
        assert_eq!(
            verify(&none, CLIENT, SECRET, NOW),
            Err(IdTokenError::UnsupportedAlgorithm("none".into()))
        );
        for (alg, bits) in [("HS512", 512), ("HS384", 384)] {
            let validly_signed = token(&json!({"alg": alg}), &claims(), SECRET, bits);
            assert_eq!(
                verify(&validly_signed, CLIENT, SECRET, NOW),
                Err(IdTokenError::UnsupportedAlgorithm(alg.into()))
            );
        }
        let rs256 = token(&json!({"alg": "RS256"}), &claims(), SECRET, 256);
        assert_eq!(
            verify(&rs256, CLIENT, SECRET, NOW),
            Err(IdTokenError::UnsupportedAlgorithm("RS256".into()))
        );
        let lower = token(&json!({"alg": "hs256"}), &claims(), SECRET, 256);
        assert!(matches!(
            verify(&lower, CLIENT, SECRET, NOW),
            Err(IdTokenError::UnsupportedAlgorithm(_))
        ));
        let missing = token(&json!({"typ": "JWT"}), &claims(), SECRET, 256);
        assert!(matches!(
            verify(&missing, CLIENT, SECRET, NOW),
            Err(IdTokenError::UnsupportedAlgorithm(_))
        ));
    }

    #[test]
    fn expiry_is_required_and_allows_sixty_seconds_of_skew() {
        let token = hs256(&claims());
        assert!(verify(&token, CLIENT, SECRET, NOW + 600 + 59).is_ok());
        assert_eq!(
            verify(&token, CLIENT, SECRET, NOW + 600 + 61),
            Err(IdTokenError::Expired)
        );
        let mut no_exp = claims();
        no_exp.as_object_mut().unwrap().remove("exp");
        assert_eq!(
            verify(&hs256(&no_exp), CLIENT, SECRET, NOW),
            Err(IdTokenError::MissingClaim("exp"))
        );
        let mut future = claims();
        future["iat"] = json!(NOW + 300);
        assert_eq!(
            verify(&hs256(&future), CLIENT, SECRET, NOW),
            Err(IdTokenError::NotYetValid)
        );
    }

    #[test]
    fn a_token_for_another_app_or_without_user_or_team_is_refused() {
        let mut other = claims();
        other["sub"] = json!("3458764600000000002");
        assert_eq!(
            verify(&hs256(&other), CLIENT, SECRET, NOW),
            Err(IdTokenError::WrongAudience)
        );
        for claim in ["user", "team"] {
            let mut missing = claims();
            missing.as_object_mut().unwrap().remove(claim);
            assert!(matches!(
                verify(&hs256(&missing), CLIENT, SECRET, NOW),
                Err(IdTokenError::MissingClaim(_))
            ));
        }
        let mut float = claims();
        float["user"] = json!(3.5);
        assert_eq!(
            verify(&hs256(&float), CLIENT, SECRET, NOW),
            Err(IdTokenError::Malformed("user"))
        );
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "%%%.###.!!!",
            &"x".repeat(MAX_TOKEN_BYTES + 1),
        ] {
            assert!(
                matches!(
                    verify(bad, CLIENT, SECRET, NOW),
                    Err(IdTokenError::Malformed(_))
                ),
                "{bad:.20}"
            );
        }
        let error = verify(&hs256(&claims()), "other", SECRET, NOW)
            .unwrap_err()
            .to_string();
        assert!(!error.contains(SECRET));
    }
}
