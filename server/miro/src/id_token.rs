//! Checks the ID tokens that pages in Miro's iframes get from
//! `miro.board.getIdToken()` and send us as `Authorization: Bearer …`: JWTs
//! Miro signs with the app's client secret. Written independently of the
//! sandbox's signer, so a mistake cannot hide by being shared.
//!
//! **Shape first.** A token over 8 KiB, not exactly three dot-separated
//! parts, or not unpadded base64url is refused before any JSON is parsed:
//! junk is cheap to reject and never reaches the parser.
//!
//! **HS256 only.** The header's `alg` must be exactly `HS256` and is read
//! before the signature: `none`, `HS384`, `HS512`, `RS256`, other spellings
//! or no `alg` are refused even when validly signed, so a token never chooses
//! how it is checked.
//!
//! **Signed with our client secret.** HMAC-SHA256 keyed by the secret's
//! bytes over `header.payload`, compared in constant time. An empty secret
//! verifies nothing.
//!
//! **Fresh.** `exp` (integer seconds) is required and may be passed by at
//! most 60 s of clock skew; an `iat` more than 60 s ahead is refused too.
//!
//! **For our app.** `sub` must be our client id, so a token Miro issued to
//! another app (with that app's secret) is refused even if it verifies.
//!
//! **Names a user and a team.** `user` and `team` are required, non-empty,
//! and returned as strings. Miro ids exceed 2^53, so integers are copied
//! digit for digit, never through `f64`; fractions and negatives are refused.
//!
//! `iss` is left unchecked (any value, or none, passes) until a real token
//! confirms its exact value, "Miro" or "miro"; the check belongs here then.
//! Errors name the rule that failed, never the token or the secret.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

/// Longest token accepted; Miro's are a few hundred bytes.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Clock skew tolerated on `exp` and `iat`, in seconds.
pub const LEEWAY_SECONDS: i64 = 60;

/// Who is calling from a Miro iframe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MiroIdentity {
    pub user_id: String,
    pub team_id: String,
    /// The token's `exp`, in Unix seconds.
    pub expires_at: i64,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdTokenError {
    #[error("ID token is malformed: {0}")]
    Malformed(&'static str),
    /// Holds the header's `alg` (at most 32 characters of it).
    #[error("ID token algorithm {0:?} is not accepted; only HS256 is")]
    UnsupportedAlgorithm(String),
    #[error("ID token signature does not match the client secret")]
    BadSignature,
    #[error("ID token has expired (exp is over {LEEWAY_SECONDS} s in the past)")]
    Expired,
    #[error("ID token is not valid yet (iat is over {LEEWAY_SECONDS} s in the future)")]
    NotYetValid,
    #[error("ID token was issued to another app (sub is not our client id)")]
    WrongAudience,
    #[error("ID token lacks the {0} claim")]
    MissingClaim(&'static str),
}

use IdTokenError::{Malformed, MissingClaim};

/// Checks `token` for the app `client_id` whose secret is `client_secret`,
/// at `now_unix` (seconds), and returns who it names.
pub fn verify(
    token: &str,
    client_id: &str,
    client_secret: &str,
    now_unix: i64,
) -> Result<MiroIdentity, IdTokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Malformed("token is longer than 8 KiB"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Malformed("not three dot-separated parts"));
    };
    let signed = &token[..header.len() + 1 + payload.len()];

    match object(header, "header is not base64url-encoded JSON")?.get("alg") {
        Some(Value::String(alg)) if alg == "HS256" => {}
        Some(Value::String(alg)) => {
            let shown = alg.chars().take(32).collect();
            return Err(IdTokenError::UnsupportedAlgorithm(shown));
        }
        Some(_) => return Err(IdTokenError::UnsupportedAlgorithm("<not a string>".into())),
        None => return Err(IdTokenError::UnsupportedAlgorithm("<missing>".into())),
    }

    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Malformed("signature is not unpadded base64url"))?;
    if client_secret.is_empty() {
        return Err(IdTokenError::BadSignature);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes())
        .map_err(|_| IdTokenError::BadSignature)?;
    mac.update(signed.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| IdTokenError::BadSignature)?;

    let claims = object(payload, "payload is not base64url-encoded JSON")?;
    let expires_at = claim(&claims, "exp")?
        .as_i64()
        .ok_or(Malformed("exp is not an integer"))?;
    if now_unix > expires_at.saturating_add(LEEWAY_SECONDS) {
        return Err(IdTokenError::Expired);
    }
    if let Ok(issued) = claim(&claims, "iat") {
        let issued = issued.as_i64().ok_or(Malformed("iat is not an integer"))?;
        if issued > now_unix.saturating_add(LEEWAY_SECONDS) {
            return Err(IdTokenError::NotYetValid);
        }
    }
    match claim(&claims, "sub")? {
        Value::String(sub) if !sub.is_empty() && sub == client_id => {}
        Value::String(_) => return Err(IdTokenError::WrongAudience),
        _ => return Err(Malformed("sub is not a string")),
    }
    Ok(MiroIdentity {
        user_id: id(&claims, "user", "user is neither a string nor an integer")?,
        team_id: id(&claims, "team", "team is neither a string nor an integer")?,
        expires_at,
    })
}

/// Decodes one unpadded base64url part holding a JSON object.
fn object(part: &str, error: &'static str) -> Result<Map<String, Value>, IdTokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| Malformed(error))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Malformed(error)),
    }
}

/// A claim that is present and not `null`.
fn claim<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a Value, IdTokenError> {
    claims
        .get(name)
        .filter(|value| !value.is_null())
        .ok_or(MissingClaim(name))
}

/// An id claim as a string: a JSON string, or a non-negative integer's digits.
fn id(
    claims: &Map<String, Value>,
    name: &'static str,
    error: &'static str,
) -> Result<String, IdTokenError> {
    let id = match claim(claims, name)? {
        Value::String(id) => id.clone(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        _ => return Err(Malformed(error)),
    };
    if id.is_empty() {
        return Err(MissingClaim(name));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use hmac::digest::KeyInit;
    use serde_json::json;
    use sha2::{Sha384, Sha512};

    use super::IdTokenError::*;
    use super::*;

    const ID: &str = "3458764600000000001";
    const SECRET: &str = "our-client-secret";
    const NOW: i64 = 1_800_000_000;

    fn b64(bytes: impl AsRef<[u8]>) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn mac<M: Mac + KeyInit>(secret: &str, input: &str) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Good claims with `changes` applied (`null` removes a claim), under
    /// `alg` (`null`: none), HMAC-signed with the SHA size `alg` names.
    fn signed(alg: Value, changes: Value, secret: &str) -> String {
        let mut claims = json!({"sub": ID, "iss": "miro", "team": "3458764500000000001",
            "user": "3458764500000000002", "iat": NOW - 5, "exp": NOW + 600});
        let changes: Map<String, Value> = serde_json::from_value(changes).unwrap();
        claims.as_object_mut().unwrap().extend(changes);
        let hash = alg.as_str().map(str::to_owned);
        let mut header = json!({"typ": "JWT"});
        header["alg"] = alg;
        let input = [header, claims].map(|mut part| {
            part.as_object_mut()
                .unwrap()
                .retain(|_, value| !value.is_null());
            b64(part.to_string())
        });
        let input = input.join(".");
        let signature = match hash.as_deref() {
            Some("HS384") => mac::<Hmac<Sha384>>(secret, &input),
            Some("HS512") => mac::<Hmac<Sha512>>(secret, &input),
            _ => mac::<Hmac<Sha256>>(secret, &input),
        };
        format!("{input}.{}", b64(signature))
    }

    fn token(changes: Value) -> String {
        signed(json!("HS256"), changes, SECRET)
    }

    fn check(token: &str) -> Result<MiroIdentity, IdTokenError> {
        verify(token, ID, SECRET, NOW)
    }

    /// Why a good token with claim `name` set to `value` (`null`: removed) fails.
    fn refused(name: &str, value: Value) -> IdTokenError {
        let changes = Map::from_iter([(name.to_owned(), value)]);
        check(&token(Value::Object(changes))).unwrap_err()
    }

    fn payload(token: &str) -> &str {
        token.split('.').nth(1).unwrap()
    }

    #[test]
    fn a_valid_token_names_its_user_and_team_exactly() {
        let identity = check(&token(json!({}))).unwrap();
        assert_eq!(identity.user_id, "3458764500000000002");
        assert_eq!(identity.team_id, "3458764500000000001");
        assert_eq!(identity.expires_at, NOW + 600);
        // Integer ids beyond 2^53 keep every digit.
        let big = json!({"user": 3458764517517852417_u64, "team": u64::MAX});
        let identity = check(&token(big)).unwrap();
        assert_eq!(identity.user_id, "3458764517517852417");
        assert_eq!(identity.team_id, "18446744073709551615");
    }

    #[test]
    fn only_hs256_is_accepted_even_when_validly_signed() {
        let good = token(json!({}));
        let none = b64(r#"{"alg":"none"}"#) + "." + payload(&good) + ".";
        assert_eq!(check(&none), Err(UnsupportedAlgorithm("none".into())));
        for alg in ["HS384", "HS512", "RS256", "hs256", "NONE", "HS256 "] {
            let error = check(&signed(json!(alg), json!({}), SECRET)).unwrap_err();
            assert_eq!(error, UnsupportedAlgorithm(alg.into()));
        }
        for alg in [Value::Null, json!(256), json!(["HS256"])] {
            let error = check(&signed(alg, json!({}), SECRET)).unwrap_err();
            assert!(matches!(error, UnsupportedAlgorithm(_)), "{error}");
        }
        let long = check(&signed(json!("X".repeat(500)), json!({}), SECRET));
        assert_eq!(long, Err(UnsupportedAlgorithm("X".repeat(32))));
    }

    #[test]
    fn forged_and_tampered_tokens_are_refused() {
        let forged = signed(json!("HS256"), json!({}), "another-secret");
        assert_eq!(check(&forged), Err(BadSignature));
        let good = token(json!({}));
        let parts: Vec<&str> = good.split('.').collect();
        let other = token(json!({"user": "someone-else"}));
        let tampered = [parts[0], payload(&other), parts[2]].join(".");
        assert_eq!(check(&tampered), Err(BadSignature));
        assert_eq!(check(&good[..good.len() - 3]), Err(BadSignature));
        let keyless = signed(json!("HS256"), json!({}), "");
        assert_eq!(verify(&keyless, ID, "", NOW), Err(BadSignature));
    }

    #[test]
    fn expiry_and_issue_time_allow_sixty_seconds_of_skew() {
        let good = token(json!({}));
        let at = |now| verify(&good, ID, SECRET, now);
        assert!(at(NOW + 600 + 60).is_ok());
        assert_eq!(at(NOW + 600 + 61), Err(Expired));
        assert!(check(&token(json!({"iat": NOW + 60}))).is_ok());
        assert_eq!(refused("iat", json!(NOW + 61)), NotYetValid);
        assert!(
            check(&token(json!({"iat": null}))).is_ok(),
            "iat is optional"
        );
        assert!(
            check(&token(json!({"exp": i64::MAX}))).is_ok(),
            "no overflow"
        );
    }

    #[test]
    fn exp_is_a_required_integer() {
        assert_eq!(refused("exp", Value::Null), MissingClaim("exp"));
        for bad in [json!("1800000600"), json!(1.8e9), json!(u64::MAX)] {
            assert!(matches!(refused("exp", bad), Malformed(_)));
        }
        assert!(matches!(refused("iat", json!(0.5)), Malformed(_)));
    }

    #[test]
    fn sub_must_be_our_client_id() {
        assert_eq!(refused("sub", json!("3458764600000000002")), WrongAudience);
        assert_eq!(refused("sub", Value::Null), MissingClaim("sub"));
        let numeric = refused("sub", json!(3458764600000000001_u64));
        assert!(matches!(numeric, Malformed(_)));
        let blank = token(json!({"sub": ""}));
        assert_eq!(verify(&blank, "", SECRET, NOW), Err(WrongAudience));
    }

    #[test]
    fn user_and_team_are_required_non_empty_whole_ids() {
        for name in ["user", "team"] {
            assert_eq!(refused(name, Value::Null), MissingClaim(name));
            assert_eq!(refused(name, json!("")), MissingClaim(name));
            for bad in [json!(3.5), json!(3.4e18), json!(-1), json!(["1"])] {
                let error = refused(name, bad.clone());
                assert!(matches!(error, Malformed(_)), "{name}: {bad}");
            }
        }
    }

    #[test]
    fn tokens_of_the_wrong_shape_are_refused() {
        let good = token(json!({}));
        let bad = [
            String::new(),
            "a.b".into(),
            format!("{good}.x"),
            "%%%.###.!!!".into(),
            format!("{good}="),
            good.replacen('.', "=.", 1),
            format!("{good}+"),
            format!(" {good}"),
            format!("{good}{}", "A".repeat(MAX_TOKEN_LEN)),
            format!("{}.{}.", b64(r#"["HS256"]"#), b64("{}")),
        ];
        for token in &bad {
            assert!(matches!(check(token), Err(Malformed(_))), "{token:.40}");
        }
    }

    #[test]
    fn messages_never_show_the_token_or_the_secret() {
        let token = token(json!({"exp": NOW - 3600}));
        let message = check(&token).unwrap_err().to_string();
        assert!(message.contains("expired"), "{message}");
        assert!(!message.contains(SECRET), "{message}");
        assert!(!message.contains(payload(&token)), "{message}");
    }
}
