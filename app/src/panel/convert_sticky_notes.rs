//! `convert_sticky_notes` (a write): selected sticky notes become records
//! with app cards where the notes were; a note is removed only after its
//! card exists.

use leptos::prelude::*;

use super::{ItemResult, PanelError, StickyNotesRequest};

/// Converts up to 20 sticky notes; answers a result per note.
#[server(prefix = "/api", endpoint = "panel/convert_sticky_notes", input = leptos::server_fn::codec::Json)]
pub async fn convert_sticky_notes(
    request: StickyNotesRequest,
) -> Result<Vec<ItemResult>, PanelError> {
    super::with_status(match super::service() {
        Ok(service) => service.convert_sticky_notes(request).await,
        Err(error) => Err(error),
    })
}
