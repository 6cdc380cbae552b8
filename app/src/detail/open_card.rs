//! `open_card`: redeems the one-time ticket the board's headless page got
//! for this card and returns what the view shows. Runs during server-side
//! rendering, so the page arrives with the card's data in it.

use leptos::prelude::*;

use super::{CardViewData, ViewError};

/// Opens a card's detail view with a ticket (single use, short-lived).
#[server(prefix = "/api", endpoint = "open_card", input = leptos::server_fn::codec::Json)]
pub async fn open_card(
    board_id: String,
    item_id: String,
    ticket: String,
) -> Result<CardViewData, ViewError> {
    super::with_status(match super::service() {
        Ok(service) => service.open(&board_id, &item_id, &ticket).await,
        Err(error) => Err(error),
    })
}
