//! The signature of a webhook delivery, as GitHub documents it:
//! `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body
//! under the webhook's secret. Compared in constant time, so a forger
//! learns nothing from how long a refusal takes.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Why a signature was not accepted.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("X-Hub-Signature-256 is missing: the webhook must be set up with the secret")]
    Missing,
    #[error("X-Hub-Signature-256 is not sha256= and 64 hex digits")]
    Malformed,
    #[error("X-Hub-Signature-256 does not match the body: check the webhook's secret")]
    Mismatch,
}

/// Checks `header` (`sha256=<hex>`) against the HMAC-SHA256 of `body`
/// under `secret`, in constant time.
pub fn verify_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&[u8]>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex = header
        .strip_prefix(b"sha256=")
        .ok_or(SignatureError::Malformed)?;
    let given = decode_hex(hex).ok_or(SignatureError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    if given.len() == expected.len() && bool::from(expected.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// 64 hex digits (either case) as 32 bytes.
fn decode_hex(hex: &[u8]) -> Option<Vec<u8>> {
    if hex.len() != 64 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    hex.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256={hex}")
    }

    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";

    #[test]
    fn githubs_documented_example_verifies() {
        // The example in GitHub's "Validating webhook deliveries".
        let header = b"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(verify_signature(SECRET, BODY, Some(header)), Ok(()));
        assert_eq!(sign(SECRET, BODY).as_bytes(), header);
        let upper = b"sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17";
        assert_eq!(verify_signature(SECRET, BODY, Some(upper)), Ok(()));
    }

    #[test]
    fn anything_else_is_refused() {
        let good = sign(SECRET, BODY);
        assert_eq!(
            verify_signature(SECRET, BODY, None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(b"another secret", BODY, Some(good.as_bytes())),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(SECRET, b"Hello, World?", Some(good.as_bytes())),
            Err(SignatureError::Mismatch)
        );
        let sha1 = good.replacen("sha256=", "sha1=", 1);
        assert_eq!(
            verify_signature(SECRET, BODY, Some(sha1.as_bytes())),
            Err(SignatureError::Malformed)
        );
        let bare = good.trim_start_matches("sha256=");
        assert_eq!(
            verify_signature(SECRET, BODY, Some(bare.as_bytes())),
            Err(SignatureError::Malformed)
        );
        for cut in [
            &good[..good.len() - 2],
            &format!("{good}00"),
            "sha256=",
            "sha256=zz",
        ] {
            assert_eq!(
                verify_signature(SECRET, BODY, Some(cut.as_bytes())),
                Err(SignatureError::Malformed),
                "{cut}"
            );
        }
        let not_hex = format!("sha256={}", "g".repeat(64));
        assert_eq!(
            verify_signature(SECRET, BODY, Some(not_hex.as_bytes())),
            Err(SignatureError::Malformed)
        );
    }
}
