//! `board_health` (a read): how the board's cards stand with their records.

use leptos::prelude::*;

use super::{BoardHealth, PanelError};

/// The board's sync health now.
#[server(name = BoardHealthOf, prefix = "/api", endpoint = "panel/board_health", input = leptos::server_fn::codec::Json)]
pub async fn board_health(session: String) -> Result<BoardHealth, PanelError> {
    super::with_status(match super::service() {
        Ok(service) => service.health(&session).await,
        Err(error) => Err(error),
    })
}
