//! The panel's calls into the page's JavaScript (`/panel.js`, over Miro's
//! Web SDK): the user's viewport, the selected sticky notes, and reopening
//! the panel with a fresh ticket. Answers come back as JSON text. During
//! server rendering they are never called, and say so if they are.

use super::super::layout::Viewport;

#[cfg(feature = "hydrate")]
mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_namespace = miroPanel, js_name = viewport)]
        pub fn viewport() -> Result<js_sys::Promise, JsValue>;

        #[wasm_bindgen(catch, js_namespace = miroPanel, js_name = selectedStickyNotes)]
        pub fn selected_sticky_notes() -> Result<js_sys::Promise, JsValue>;

        #[wasm_bindgen(catch, js_namespace = miroPanel, js_name = reopen)]
        pub fn reopen(board_id: &str) -> Result<JsValue, JsValue>;
    }
}

/// What a failed call says.
#[cfg(feature = "hydrate")]
fn message(error: &wasm_bindgen::JsValue) -> String {
    js_sys::Reflect::get(error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "Miro's SDK did not answer".to_owned())
}

/// Awaits a bridge call answering JSON text, and reads it.
#[cfg(feature = "hydrate")]
async fn json<T: serde::de::DeserializeOwned>(
    promise: Result<js_sys::Promise, wasm_bindgen::JsValue>,
) -> Result<T, String> {
    let promise = promise.map_err(|e| message(&e))?;
    let value = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| message(&e))?;
    let text = value.as_string().ok_or("Miro's SDK answered nothing")?;
    serde_json::from_str(&text)
        .map_err(|e| format!("Miro's SDK answered something unreadable: {e}"))
}

/// The part of the board the user sees now.
pub async fn viewport() -> Result<Viewport, String> {
    #[cfg(feature = "hydrate")]
    {
        json(js::viewport()).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Err("not in a browser".to_owned())
    }
}

/// The ids of the sticky notes selected on the board, and how many other
/// items are selected.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Selection {
    pub sticky_notes: Vec<String>,
    pub others: usize,
}

pub async fn selected_sticky_notes() -> Result<Selection, String> {
    #[cfg(feature = "hydrate")]
    {
        json(js::selected_sticky_notes()).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Err("not in a browser".to_owned())
    }
}

/// Opens the panel again with a fresh ticket; false without a bridge.
pub fn reopen(board_id: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        js::reopen(board_id).is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = board_id;
        false
    }
}
