//! `retry_failed` (a write): the board's failed card writes are tried
//! again now instead of at their next backoff.

use leptos::prelude::*;

use super::{BoardHealth, PanelError};

/// Retries the board's failed writes; answers the health after.
#[server(prefix = "/api", endpoint = "panel/retry_failed", input = leptos::server_fn::codec::Json)]
pub async fn retry_failed(session: String) -> Result<BoardHealth, PanelError> {
    super::with_status(match super::service() {
        Ok(service) => service.retry_failed(&session).await,
        Err(error) => Err(error),
    })
}
