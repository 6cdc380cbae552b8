//! `search_records` (a read): one page of the records matching a query,
//! each with the boards it is on.

use leptos::prelude::*;

use super::{PanelError, RecordPage, RecordQuery};

/// Finds records; `after` is the previous page's `next`.
#[server(prefix = "/api", endpoint = "panel/search_records", input = leptos::server_fn::codec::Json)]
pub async fn search_records(
    session: String,
    query: RecordQuery,
    after: Option<String>,
) -> Result<RecordPage, PanelError> {
    super::with_status(match super::service() {
        Ok(service) => service.search(&session, &query, after.as_deref()).await,
        Err(error) => Err(error),
    })
}
