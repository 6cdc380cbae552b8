//! `save_card`: saves the view's edits against the version it opened at
//! and returns the new state (or why not: a conflict, invalid fields, an
//! expired session).

use leptos::prelude::*;

use super::{SaveOutcome, SaveRequest, ViewError};

/// Saves a card's record.
// JSON in: a cross-site page cannot send it without a CORS preflight,
// which this server never grants.
#[server(prefix = "/api", endpoint = "save_card", input = leptos::server_fn::codec::Json)]
pub async fn save_card(request: SaveRequest) -> Result<SaveOutcome, ViewError> {
    super::with_status(match super::service() {
        Ok(service) => service.save(request).await,
        Err(error) => Err(error),
    })
}
