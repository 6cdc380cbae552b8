//! ID tokens built from fuzz input and HMAC-SHA256-signed (by hand, with the
//! hmac crate) under the client secret, or under another key, or with a
//! damaged or made-up signature: `miro::id_token::verify` never panics, and
//! accepts a token only when every rule in its module documentation holds:
//! right signature, unpadded base64url parts, exactly one `alg` and it is
//! `HS256`, exactly one `sub` and it is our client id, exactly one integer
//! `exp` not more than 60 s past, an `iat` (if any) not more than 60 s
//! ahead, and `user` and `team` non-empty strings or non-negative integers,
//! which it returns as they are.
#![no_main]

use arbitrary::Arbitrary;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use sha2::Sha256;

const CLIENT_ID: &str = "3458764600000000001";
const SECRET: &str = "secret";
const NOW: i64 = 1_800_000_000;
const LEEWAY: i64 = 60;

#[derive(Arbitrary, Debug)]
struct Input {
    header: Part,
    payload: Part,
    header_encoding: Encoding,
    payload_encoding: Encoding,
    signature: Signature,
}

/// A header or payload. The first variant (what an all-zero input picks)
/// is a good one, so accepted tokens are common and the checks on them
/// run: the fuzzer then breaks them from there.
#[derive(Arbitrary, Debug)]
enum Part {
    /// The good members (`HEADER` or `CLAIMS`) but those whose bit is set
    /// in `skip`, then `extra` (which may repeat a name).
    Good { skip: u8, extra: Vec<(Name, Json)> },
    /// These members in order (names may repeat).
    Members(Vec<(Name, Json)>),
    /// Raw bytes, JSON or not.
    Raw(Vec<u8>),
}

/// A good header's members.
fn header_members() -> Vec<(Name, Json)> {
    vec![
        (Name::Alg, Json::Hs256),
        (Name::Typ, Json::Str("JWT".to_owned())),
    ]
}

/// A good payload's members, as Miro writes them.
fn claim_members() -> Vec<(Name, Json)> {
    vec![
        (Name::Sub, Json::ClientId),
        (Name::Iss, Json::Str("miro".to_owned())),
        (Name::Team, Json::Str("3458764500000000001".to_owned())),
        (Name::User, Json::Str("3458764500000000002".to_owned())),
        (Name::Iat, Json::NearNow(-5)),
        (Name::Exp, Json::NearNow(600)),
    ]
}

/// Member names, biased towards the ones that matter.
#[derive(Arbitrary, Debug)]
enum Name {
    Alg,
    Typ,
    Kid,
    Sub,
    Exp,
    Iat,
    Nbf,
    Iss,
    Aud,
    User,
    Team,
    Other(String),
}

/// Member values, biased towards the ones that matter.
#[derive(Arbitrary, Debug)]
enum Json {
    Hs256,
    ClientId,
    /// `NOW` plus this many seconds.
    NearNow(i16),
    Str(String),
    Int(i64),
    Big(u64),
    Float(f64),
    Bool(bool),
    Null,
    Strings(Vec<String>),
    EmptyObject,
}

#[derive(Arbitrary, Debug)]
enum Encoding {
    UrlNoPad,
    UrlPadded,
    Standard,
}

#[derive(Arbitrary, Debug)]
enum Signature {
    /// HMAC-SHA256 under the client secret.
    Right,
    /// HMAC-SHA256 under this key (the secret itself counts as right).
    Key(String),
    /// The right signature with one bit flipped.
    FlipBit(u8, u8),
    /// This text as the signature part.
    Text(String),
}

impl Name {
    fn text(&self) -> &str {
        match self {
            Name::Alg => "alg",
            Name::Typ => "typ",
            Name::Kid => "kid",
            Name::Sub => "sub",
            Name::Exp => "exp",
            Name::Iat => "iat",
            Name::Nbf => "nbf",
            Name::Iss => "iss",
            Name::Aud => "aud",
            Name::User => "user",
            Name::Team => "team",
            Name::Other(name) => name,
        }
    }
}

impl Json {
    fn text(&self) -> String {
        let string = |s: &str| serde_json::to_string(s).expect("a string serializes");
        match self {
            Json::Hs256 => string("HS256"),
            Json::ClientId => string(CLIENT_ID),
            Json::NearNow(offset) => (NOW + i64::from(*offset)).to_string(),
            Json::Str(s) => string(s),
            Json::Int(n) => n.to_string(),
            Json::Big(n) => n.to_string(),
            // Non-finite numbers have no JSON spelling: serde_json writes null.
            Json::Float(x) => serde_json::to_string(x).expect("a float serializes"),
            Json::Bool(b) => b.to_string(),
            Json::Null => "null".to_owned(),
            Json::Strings(list) => serde_json::to_string(list).expect("strings serialize"),
            Json::EmptyObject => "{}".to_owned(),
        }
    }
}

impl Part {
    /// The members in order, as (name, JSON text of the value); `None` for
    /// raw bytes.
    fn members(&self, good: &[(Name, Json)]) -> Option<Vec<(String, String)>> {
        let text = |(name, value): &(Name, Json)| (name.text().to_owned(), value.text());
        match self {
            Part::Good { skip, extra } => Some(
                good.iter()
                    .enumerate()
                    .filter(|(i, _)| skip & (1 << i) == 0)
                    .map(|(_, member)| text(member))
                    .chain(extra.iter().map(text))
                    .collect(),
            ),
            Part::Members(members) => Some(members.iter().map(text).collect()),
            Part::Raw(_) => None,
        }
    }

    fn bytes(&self, good: &[(Name, Json)]) -> Vec<u8> {
        match (self, self.members(good)) {
            (Part::Raw(bytes), _) => bytes.clone(),
            (_, members) => {
                let members: Vec<String> = members
                    .unwrap_or_default()
                    .iter()
                    .map(|(name, value)| {
                        let name = serde_json::to_string(name).expect("a string serializes");
                        format!("{name}:{value}")
                    })
                    .collect();
                format!("{{{}}}", members.join(",")).into_bytes()
            }
        }
    }

    /// The values of member `name` in order, as serde_json reads them (a
    /// raw part has one at most: the last, if it is a JSON object).
    fn values(&self, good: &[(Name, Json)], name: &str) -> Vec<Value> {
        match (self, self.members(good)) {
            (Part::Raw(bytes), _) => serde_json::from_slice::<Map<String, Value>>(bytes)
                .ok()
                .and_then(|mut map| map.remove(name))
                .into_iter()
                .collect(),
            (_, members) => members
                .unwrap_or_default()
                .into_iter()
                .filter(|(n, _)| n == name)
                .map(|(_, value)| serde_json::from_str(&value).expect("we wrote valid JSON"))
                .collect(),
        }
    }

    /// The value serde_json reads for member `name` (the last one), unless
    /// it is absent or null.
    fn last(&self, good: &[(Name, Json)], name: &str) -> Option<Value> {
        self.values(good, name)
            .pop()
            .filter(|value| !value.is_null())
    }
}

impl Encoding {
    fn encode(&self, bytes: &[u8]) -> String {
        match self {
            Encoding::UrlNoPad => URL_SAFE_NO_PAD.encode(bytes),
            Encoding::UrlPadded => URL_SAFE.encode(bytes),
            Encoding::Standard => STANDARD.encode(bytes),
        }
    }
}

fn hmac(key: &[u8], message: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// An id claim as `verify` documents it: a non-empty string, or a
/// non-negative integer's digits.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fuzz_target!(|input: Input| {
    let (header_good, claims_good) = (header_members(), claim_members());
    let header_bytes = input.header.bytes(&header_good);
    let payload_bytes = input.payload.bytes(&claims_good);
    let header = input.header_encoding.encode(&header_bytes);
    let payload = input.payload_encoding.encode(&payload_bytes);
    let signed = format!("{header}.{payload}");
    let right = hmac(SECRET.as_bytes(), &signed);
    let signature = match &input.signature {
        Signature::Right => URL_SAFE_NO_PAD.encode(&right),
        Signature::Key(key) => URL_SAFE_NO_PAD.encode(hmac(key.as_bytes(), &signed)),
        Signature::FlipBit(byte, bit) => {
            let mut mac = right.clone();
            let at = usize::from(*byte) % mac.len();
            mac[at] ^= 1 << (bit % 8);
            URL_SAFE_NO_PAD.encode(mac)
        }
        Signature::Text(text) => text.clone(),
    };
    let token = format!("{signed}.{signature}");

    let Ok(identity) = miro::id_token::verify(&token, CLIENT_ID, SECRET, NOW) else {
        return;
    };

    let why = |rule: &str| {
        panic!(
            "accepted a token that breaks a rule: {rule}\nidentity: {identity:?}\ntoken: {token}\nheader: {:?}\npayload: {:?}",
            String::from_utf8_lossy(&header_bytes),
            String::from_utf8_lossy(&payload_bytes),
        )
    };
    if signature != URL_SAFE_NO_PAD.encode(&right) {
        why("signed with the client secret");
    }
    if header != URL_SAFE_NO_PAD.encode(&header_bytes)
        || payload != URL_SAFE_NO_PAD.encode(&payload_bytes)
    {
        why("parts are unpadded base64url");
    }

    let algs = input.header.values(&header_good, "alg");
    if algs.len() != 1 || algs[0] != "HS256" {
        why("exactly one alg, HS256");
    }

    let subs = input.payload.values(&claims_good, "sub");
    if subs.len() != 1 || subs[0] != CLIENT_ID {
        why("exactly one sub, our client id");
    }

    let exps = input.payload.values(&claims_good, "exp");
    let exp = match exps.as_slice() {
        [exp] => exp.as_i64(),
        _ => None,
    };
    match exp {
        Some(exp) if NOW <= exp.saturating_add(LEEWAY) => {
            if identity.expires_at != exp {
                why("expires_at is exp");
            }
        }
        _ => why("exactly one integer exp, not more than 60 s past"),
    }

    if let Some(iat) = input.payload.last(&claims_good, "iat") {
        match iat.as_i64() {
            Some(iat) if iat <= NOW + LEEWAY => {}
            _ => why("iat, if any, is an integer not more than 60 s ahead"),
        }
    }

    for (claim, returned) in [("user", &identity.user_id), ("team", &identity.team_id)] {
        match input
            .payload
            .last(&claims_good, claim)
            .as_ref()
            .and_then(id_text)
        {
            Some(id) if id == *returned => {}
            Some(_) => why("user and team are returned as they are"),
            None => why("user and team are non-empty strings or non-negative integers"),
        }
    }
});
