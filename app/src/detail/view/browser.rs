//! The view's few calls into the page's JavaScript: closing Miro's modal
//! (the Web SDK) and reopening the card with a fresh ticket (`/tickets.js`).
//! During server rendering, and on a page opened outside Miro, they do
//! nothing and say so.

#[cfg(feature = "hydrate")]
mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_namespace = ["miro", "board", "ui"], js_name = closeModal)]
        pub fn close_modal() -> Result<JsValue, JsValue>;

        #[wasm_bindgen(catch, js_namespace = miroCards, js_name = reopen)]
        pub fn reopen(board_id: &str, item_id: &str) -> Result<JsValue, JsValue>;
    }
}

/// Asks Miro to close the modal; false when there is no Miro to ask.
pub fn close_modal() -> bool {
    #[cfg(feature = "hydrate")]
    {
        js::close_modal().is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// Gets a new ticket for the card and loads the view with it.
pub fn reopen(board_id: &str, item_id: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        js::reopen(board_id, item_id).is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (board_id, item_id);
        false
    }
}

/// Asks the user to confirm; true outside the browser.
pub fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        leptos::prelude::window()
            .confirm_with_message(message)
            .unwrap_or(true)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        true
    }
}
