//! Short-lived signed claims: what a page carries to prove who may do what
//! until when, checked with no storage. The detail view's session and the
//! panel's are both made here.
//!
//! A token is an HS256 JWT made and checked by the `jsonwebtoken` crate,
//! keyed by `SecretKey::derive(purpose)`, so a token made for one purpose
//! is never accepted for another. Only HS256 is accepted: a token naming
//! `none`, `HS512` or anything else is refused however it is signed. The
//! expiry is checked against the `now` the caller passes, with no leeway
//! (jsonwebtoken would read the system clock and allow 60 s).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{de::DeserializeOwned, Serialize};

use crate::store::SecretKey;

/// Claims that end: the JWT's `exp`, in Unix seconds.
pub trait Expiring {
    fn expires_at(&self) -> i64;
}

/// An HS256 JWT whose claims are `claims`' fields.
pub fn sign(claims: &impl Serialize, key: &SecretKey, purpose: &str) -> String {
    let key = EncodingKey::from_secret(&key.derive(purpose));
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
        .expect("an HMAC key signs any serializable claims")
}

/// The claims `token` carries, if it is an HS256 JWT signed with our key
/// for `purpose` and has not expired at `now`.
pub fn verify<T: DeserializeOwned + Expiring>(
    token: &str,
    key: &SecretKey,
    purpose: &str,
    now: i64,
) -> Option<T> {
    let mut validation = Validation::new(Algorithm::HS256);
    // The expiry is a required field of `T`, checked below at `now`.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.leeway = 0;
    let key = DecodingKey::from_secret(&key.derive(purpose));
    let claims = jsonwebtoken::decode::<T>(token, &key, &validation)
        .ok()?
        .claims;
    (claims.expires_at() >= now).then_some(claims)
}
