//! Data a page opens with, handed from the server to the browser inside the
//! page: the server writes it into the page's `<head>` as JSON in a
//! `<script type="application/json">`, and the browser reads it back from
//! there to hydrate the same view synchronously, with no request and
//! nothing to wait for. The detail view and the panel both open this way.

use serde::Serialize;

/// The JSON to put inside a `<script>` element. JSON has `<` only inside
/// strings, where `\u003c` means the same, so no `</script>` or `<!--` in a
/// card's text can end the element early.
pub fn to_script_text(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".to_owned())
        .replace('<', "\\u003c")
}

/// What the page's element `id` holds, if it is there and reads as `T`.
#[cfg(feature = "hydrate")]
pub fn from_page<T: serde::de::DeserializeOwned>(id: &str) -> Option<T> {
    let text = leptos::prelude::document()
        .get_element_by_id(id)?
        .text_content()?;
    serde_json::from_str(&text).ok()
}
