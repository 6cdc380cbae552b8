//! The ID tokens `miro.board.getIdToken()` returns: JWTs signed HS256 with
//! the app's client secret, with the claims Miro documents: `sub` (the
//! app's client id), `iss`, `team`, `user`, `iat` and `exp`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use time::OffsetDateTime;

/// How long an ID token is valid.
pub const LIFETIME_SECONDS: i64 = 15 * 60;

/// A signed ID token for `user` in `team`, issued to `client_id`.
pub fn issue(
    client_id: &str,
    client_secret: &str,
    team: &str,
    user: &str,
    now: OffsetDateTime,
) -> String {
    let issued = now.unix_timestamp();
    let header = json!({ "alg": "HS256", "typ": "JWT" });
    let claims = json!({
        "sub": client_id,
        "iss": "miro",
        "team": team,
        "user": user,
        "iat": issued,
        "exp": issued + LIFETIME_SECONDS,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_documented_claims_with_hs256() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let token = issue("3458764600000000001", "s3cret", "team-1", "user-1", now);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "3458764600000000001");
        assert_eq!(claims["user"], "user-1");
        assert_eq!(claims["team"], "team-1");
        assert_eq!(claims["exp"], 1_800_000_000 + LIFETIME_SECONDS);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "HS256");
        // The signature checks out with the secret, and not with another.
        let verify = |secret: &str| {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
            mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
                .is_ok()
        };
        assert!(verify("s3cret"));
        assert!(!verify("other"));
    }
}
