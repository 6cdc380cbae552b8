//! The panel a page opened with, handed from the server to the browser
//! inside the page the way the detail view's card is (see
//! `page_data.rs`): the server redeems the panel's ticket, renders
//! around the outcome, and writes it into the page for hydration.

use serde::{Deserialize, Serialize};

use super::{PanelData, PanelError};

/// The `id` of the `<script type="application/json">` holding the panel.
pub const ELEMENT_ID: &str = "panel-data";

/// The outcome of opening the panel on a board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenedPanel {
    pub board_id: String,
    pub result: Result<PanelData, PanelError>,
}

impl OpenedPanel {
    /// The panel this page opened: from context while the server renders,
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

    /// The JSON to put inside the page's `<script>` element.
    pub fn to_script_text(&self) -> String {
        crate::page_data::to_script_text(self)
    }
}
