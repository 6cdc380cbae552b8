//! `resync_board` (a write): every card on the board is written again from
//! its record, whatever it shows now.

use leptos::prelude::*;

use super::{BoardHealth, PanelError};

/// Queues a rewrite of each of the board's linked cards.
#[server(prefix = "/api", endpoint = "panel/resync_board", input = leptos::server_fn::codec::Json)]
pub async fn resync_board(session: String) -> Result<BoardHealth, PanelError> {
    super::with_status(match super::service() {
        Ok(service) => service.resync_board(&session).await,
        Err(error) => Err(error),
    })
}
