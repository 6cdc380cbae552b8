//! `create_record` (a write): a new record from the panel's form, and its
//! card on the board.

use leptos::prelude::*;

use super::{CreatedRecord, NewRecordRequest, PanelError};

/// Validates, creates the card, then stores the record linked to it.
#[server(prefix = "/api", endpoint = "panel/create_record", input = leptos::server_fn::codec::Json)]
pub async fn create_record(request: NewRecordRequest) -> Result<CreatedRecord, PanelError> {
    super::with_status(match super::service() {
        Ok(service) => service.create_record(request).await,
        Err(error) => Err(error),
    })
}
