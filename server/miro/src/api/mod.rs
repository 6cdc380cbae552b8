//! The typed endpoints, one module per resource. Credits per call follow
//! Miro's rate-limit levels: 1 = 50, 2 = 100, 3 = 500.

mod boards;
mod bulk;
mod cards;
mod items;
mod tags;

pub use bulk::{BulkFailure, CHUNK as BULK_CHUNK};
pub use items::{ItemFilter, ItemPages};
pub use tags::TagOnItem;

pub(crate) const LEVEL_1: u64 = 50;
pub(crate) const LEVEL_2: u64 = 100;
/// What one item of a bulk create costs (Miro charges Level 2 per item).
pub const BULK_ITEM_CREDITS: u64 = LEVEL_2;
pub(crate) const LEVEL_3: u64 = 500;

use reqwest::Method;
use serde_json::Value;

use super::http::Call;

/// A call without query or body.
pub(crate) fn call(method: Method, path: String, credits: u64) -> Call<'static> {
    Call {
        method,
        path,
        query: Vec::new(),
        body: None,
        credits,
    }
}

/// A call with a JSON body.
pub(crate) fn call_with(method: Method, path: String, credits: u64, body: Value) -> Call<'static> {
    Call {
        body: Some(body),
        ..call(method, path, credits)
    }
}

pub(crate) fn to_json(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("request types always serialize")
}
