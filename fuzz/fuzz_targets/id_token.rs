//! Any text as an ID token (`Authorization: Bearer …` from a Miro iframe):
//! `miro::id_token::verify` answers Ok or Err and never panics. Text that
//! was not signed with the secret is refused; `id_token_signed` fuzzes
//! tokens that are.
#![no_main]

use libfuzzer_sys::fuzz_target;

const CLIENT_ID: &str = "3458764600000000001";
const SECRET: &str = "secret";
const NOW: i64 = 1_800_000_000;

fuzz_target!(|token: &str| {
    let result = miro::id_token::verify(token, CLIENT_ID, SECRET, NOW);
    // Nothing here signs with the secret, so an accepted token would mean
    // the fuzzer forged an HMAC, or the signature is not checked. (libFuzzer
    // does learn from comparisons: if it ever finds a correctly signed
    // token this way, that is worth knowing too.)
    if let Ok(identity) = result {
        panic!("accepted a token the fuzzer made up: {identity:?}\ntoken: {token:?}");
    }
});
