//! The card a detail page opened with, handed from the server to the
//! browser inside the page. The server redeems the ticket before it renders
//! (a ticket works once, so only the server can use it), puts the outcome
//! into context for the render, and writes it into the page's `<head>` as
//! JSON; the browser reads it back from there to hydrate the same view
//! synchronously, with no request and nothing to wait for.

use serde::{Deserialize, Serialize};

use super::{CardViewData, ViewError};

/// The `id` of the `<script type="application/json">` holding the card.
pub const ELEMENT_ID: &str = "card-view-data";

/// The outcome of opening a card's detail view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedCard {
    pub board_id: String,
    pub item_id: String,
    pub result: Result<CardViewData, ViewError>,
}

impl OpenedCard {
    /// The card this page opened: from context while the server renders,
    /// from the page itself in the browser.
    pub fn current() -> Option<Self> {
        #[cfg(feature = "hydrate")]
        {
            crate::page_data::from_page(ELEMENT_ID)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            leptos::prelude::use_context::<Self>()
        }
    }

    /// The JSON to put inside the page's `<script>` element
    /// (`page_data::to_script_text`).
    pub fn to_script_text(&self) -> String {
        crate::page_data::to_script_text(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_text_cannot_close_its_element_and_reads_back_the_same() {
        let opened = OpenedCard {
            board_id: "uXjV=".to_owned(),
            item_id: "1".to_owned(),
            result: Err(ViewError::Unavailable(
                "</script><script>alert(1)</script><!--".to_owned(),
            )),
        };
        let text = opened.to_script_text();
        assert!(!text.contains('<'), "{text}");
        let back: OpenedCard = serde_json::from_str(&text).unwrap();
        assert_eq!(back, opened);
    }
}
