//! `add_cards` (a write): puts up to 20 records on the board as app cards
//! in one bulk call to Miro and links them; answers a result per record.

use leptos::prelude::*;

use super::{AddCardsRequest, ItemResult, PanelError};

/// Adds one chunk of records; the panel sends a large selection chunk by
/// chunk, which is what its progress bar counts.
#[server(prefix = "/api", endpoint = "panel/add_cards", input = leptos::server_fn::codec::Json)]
pub async fn add_cards(request: AddCardsRequest) -> Result<Vec<ItemResult>, PanelError> {
    super::with_status(match super::service() {
        Ok(service) => service.add_cards(request).await,
        Err(error) => Err(error),
    })
}
