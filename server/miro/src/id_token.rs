//! Checks the ID tokens that pages in Miro's iframes get from
//! `miro.board.getIdToken()` and send us as `Authorization: Bearer …`: JWTs
//! Miro signs with the app's client secret. The sandbox's signer is written
//! by hand, independently of this, so a mistake cannot hide by being shared.
//!
//! The `jsonwebtoken` crate does the JWT work: it decodes the header, reads
//! its `alg`, recomputes the HS256 signature (ring's HMAC-SHA256 keyed by the
//! secret's bytes over `header.payload`), compares it in constant time and
//! decodes the payload. Every rule below that it cannot state, or would
//! state differently, is checked here by hand; each says why.
//!
//! **Shape first.** A token over 8 KiB or not exactly three dot-separated
//! parts is refused before anything is decoded: junk is cheap to reject and
//! never reaches a parser. (jsonwebtoken splits from the right and would
//! read `a.b.c.d` as a header `a.b`.) Each part must be unpadded base64url.
//! jsonwebtoken decodes header and payload so, but compares the signature
//! as base64 text, which would call a padded or non-base64 signature merely
//! wrong; so it is decoded here (after the `alg` check, before the MAC) and
//! refused as malformed.
//!
//! **HS256 only.** The header's `alg` must be exactly `HS256` and is read
//! before the signature: `none`, `HS384`, `HS512`, `RS256`, other spellings
//! or no `alg` are refused even when validly signed, so a token never chooses
//! how it is checked. jsonwebtoken is also told to accept HS256 alone. It
//! cannot parse a header whose `alg` it does not know (`none`, `hs256`), so
//! only then is the header read here, to name the refused `alg` in the
//! error. jsonwebtoken also refuses a header that repeats a field or whose
//! other registered fields (`typ`, `kid`, …) have the wrong type.
//!
//! **Signed with our client secret.** An empty secret verifies nothing:
//! HMAC takes an empty key, so this is checked here before jsonwebtoken runs.
//!
//! **Fresh.** `exp` (integer seconds) is required and may be passed by at
//! most 60 s of clock skew; an `iat` more than 60 s ahead is refused too.
//! Checked here, not by jsonwebtoken: its check reads the system clock, not
//! the `now_unix` the caller passes, and it accepts a fractional `exp`.
//!
//! **For our app.** `sub` must be our client id, so a token Miro issued to
//! another app (with that app's secret) is refused even if it verifies.
//! Checked here so a missing, non-string or different `sub` each gets its
//! own error.
//!
//! **Names a user and a team.** `user` and `team` are required, non-empty,
//! and returned as strings. Miro ids exceed 2^53, so the claims are decoded
//! as a JSON map and integers are copied digit for digit, never through
//! `f64`; fractions and negatives are refused.
//!
//! jsonwebtoken's own claim checks are all off (no required claims, no
//! `exp`, `nbf` or `aud` check, so `aud` and `nbf` pass unchecked as before),
//! but it still parses the registered claims for them, and a payload that
//! repeats one of them, or whose `sub`, `exp` or `nbf` is a non-empty array
//! or an object, is refused as malformed.
//!
//! `iss` is left unchecked (any value, or none, passes) until a real token
//! confirms its exact value, "Miro" or "miro"; the check belongs here then.
//! Errors name the rule that failed, never the token or the secret.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

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

/// How many characters of a refused `alg` an error shows.
const ALG_SHOWN: usize = 32;

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
    let (Some(header), Some(_payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Malformed("not three dot-separated parts"));
    };

    let alg = jsonwebtoken::decode_header(token)
        .map_err(|error| unreadable_header(header, error.kind()))?
        .alg;
    let refused_alg = || IdTokenError::UnsupportedAlgorithm(shown(&format!("{alg:?}")));
    if alg != Algorithm::HS256 {
        return Err(refused_alg());
    }

    if URL_SAFE_NO_PAD.decode(signature).is_err() {
        return Err(Malformed("signature is not unpadded base64url"));
    }
    if client_secret.is_empty() {
        return Err(IdTokenError::BadSignature);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    let key = DecodingKey::from_secret(client_secret.as_bytes());
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|error| match error.kind() {
            ErrorKind::InvalidSignature => IdTokenError::BadSignature,
            ErrorKind::InvalidAlgorithm => refused_alg(),
            ErrorKind::InvalidToken => Malformed("not three dot-separated parts"),
            ErrorKind::Base64(_) | ErrorKind::Utf8(_) => {
                Malformed("payload is not base64url-encoded JSON")
            }
            ErrorKind::Json(_) => Malformed(
                "payload is not a JSON object, or its sub, exp or nbf is repeated or unreadable",
            ),
            _ => Malformed("token could not be decoded"),
        })?
        .claims;

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

/// At most [`ALG_SHOWN`] characters of `alg`.
fn shown(alg: &str) -> String {
    alg.chars().take(ALG_SHOWN).collect()
}

/// Why jsonwebtoken could not read the header `part`. Its `Header` has no
/// place for an `alg` it does not know, so the header is read here as plain
/// JSON, only to name what was refused.
fn unreadable_header(part: &str, error: &ErrorKind) -> IdTokenError {
    const NOT_JSON: IdTokenError = Malformed("header is not base64url-encoded JSON");
    if !matches!(error, ErrorKind::Json(_)) {
        return NOT_JSON;
    }
    let Some(header) = URL_SAFE_NO_PAD
        .decode(part)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Map<String, Value>>(&bytes).ok())
    else {
        return NOT_JSON;
    };
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "HS256" => {
            Malformed("header repeats a field or has one of the wrong type")
        }
        Some(Value::String(alg)) => IdTokenError::UnsupportedAlgorithm(shown(alg)),
        Some(_) => IdTokenError::UnsupportedAlgorithm("<not a string>".into()),
        None => IdTokenError::UnsupportedAlgorithm("<missing>".into()),
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
    use hmac::{digest::KeyInit, Hmac, Mac};
    use serde_json::json;
    use sha2::{Sha256, Sha384, Sha512};

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
    fn claims_nobody_checks_pass_whatever_their_value() {
        // jsonwebtoken would refuse an `aud` it was not told to expect, and
        // may check `nbf`; both checks are off, as before.
        let ignored = json!({"aud": "someone", "nbf": NOW + 3600, "iss": {"x": [1]}});
        assert!(check(&token(ignored)).is_ok());
    }

    #[test]
    fn fields_jsonwebtoken_cannot_read_are_malformed() {
        // A registered header field of the wrong type, validly signed.
        let body = payload(&token(json!({}))).to_owned();
        let input = format!("{}.{body}", b64(r#"{"alg":"HS256","typ":1}"#));
        let signature = b64(mac::<Hmac<Sha256>>(SECRET, &input));
        let error = check(&format!("{input}.{signature}")).unwrap_err();
        assert!(matches!(error, Malformed(_)), "{error}");
        // A repeated header field or registered claim, validly signed.
        let claims =
            r#"{"sub":"x","sub":"3458764600000000001","user":"1","team":"2","exp":1800000600}"#;
        for (header, claims) in [
            (r#"{"alg":"none","alg":"HS256"}"#, body.clone()),
            (r#"{"alg":"HS256"}"#, b64(claims)),
        ] {
            let input = format!("{}.{claims}", b64(header));
            let signature = b64(mac::<Hmac<Sha256>>(SECRET, &input));
            let error = check(&format!("{input}.{signature}")).unwrap_err();
            assert!(matches!(error, Malformed(_)), "{header}: {error}");
        }
        // Registered claims it reads and cannot skip over.
        for (name, bad) in [
            ("sub", json!(["x"])),
            ("exp", json!([1])),
            ("nbf", json!({"a": 1})),
        ] {
            let error = refused(name, bad);
            assert!(matches!(error, Malformed(_)), "{name}: {error}");
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

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// A Miro id: digits up to u64 (past 2^53), or any short text.
        fn id() -> impl Strategy<Value = Value> {
            prop_oneof![
                any::<u64>()
                    .prop_filter("ids are not 0", |n| *n > 0)
                    .prop_map(Value::from),
                "[0-9A-Za-z_-]{1,24}".prop_map(Value::from),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn no_text_panics_or_passes(token in prop_oneof![
                any::<String>(),
                "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_=-]{0,50}",
            ]) {
                prop_assert!(check(&token).is_err());
            }

            #[test]
            fn a_signed_token_names_its_user_and_team_digit_for_digit(
                user in id(),
                team in id(),
                ttl in 0i64..86_400,
            ) {
                let good = token(json!({"user": user, "team": team, "exp": NOW + ttl}));
                let identity = check(&good).unwrap();
                let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                prop_assert_eq!(identity.user_id, text(&user));
                prop_assert_eq!(identity.team_id, text(&team));
            }

            #[test]
            fn any_changed_character_is_refused(at in any::<prop::sample::Index>(), with in "[A-Za-z0-9_.=-]") {
                let good = token(json!({}));
                let at = at.index(good.len());
                let replacement = with.chars().next().unwrap();
                prop_assume!(good.as_bytes()[at] != replacement as u8);
                let mut forged = good.clone();
                forged.replace_range(at..=at, &with);
                prop_assert!(check(&forged).is_err(), "{} passed", forged);
            }

            #[test]
            fn a_token_for_another_app_or_secret_never_passes(sub in "[0-9]{1,20}", secret in "\\PC{0,20}") {
                prop_assume!(sub != ID && secret != SECRET);
                let other_app = token(json!({"sub": sub}));
                prop_assert!(check(&other_app).is_err());
                let other_secret = signed(json!("HS256"), json!({}), &secret);
                prop_assert!(check(&other_secret).is_err());
            }
        }
    }
}
