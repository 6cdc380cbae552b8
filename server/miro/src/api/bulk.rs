//! Bulk create: any number of items, sent in chunks of 20 (Miro's limit
//! per request). Each chunk is all-or-nothing on Miro's side; the client
//! stops at the first chunk that fails and reports what was created before
//! it, with the failing items' indices in the caller's whole list.

use reqwest::Method;

use super::{call_with, to_json, LEVEL_2};
use crate::{segment, Access, Item, MiroClient, MiroError, NewItem};

/// Miro creates at most this many items per request.
pub const CHUNK: usize = 20;

/// A bulk create that stopped part-way.
#[derive(Debug)]
pub struct BulkFailure {
    /// Items created by the chunks before the failing one, in order.
    pub created: Vec<Item>,
    /// Index (in the caller's list) of the first item of the failed chunk:
    /// nothing from there on was created (unless `error` says
    /// `maybe_applied`).
    pub failed_from: usize,
    /// Why; an `InvalidInput`'s field errors carry indices in the caller's
    /// list.
    pub error: MiroError,
}

#[derive(serde::Deserialize)]
struct BulkList {
    data: Vec<Item>,
}

impl MiroClient {
    /// Creates `items` on a board, 20 per request, in order.
    pub async fn bulk_create(
        &self,
        access: &Access,
        board_id: &str,
        items: &[NewItem],
    ) -> Result<Vec<Item>, BulkFailure> {
        let mut created = Vec::with_capacity(items.len());
        for (chunk_index, chunk) in items.chunks(CHUNK).enumerate() {
            let start = chunk_index * CHUNK;
            let credits = LEVEL_2 * chunk.len() as u64;
            let path = format!("/v2/boards/{}/items/bulk", segment(board_id));
            match self
                .json::<BulkList>(
                    access,
                    call_with(Method::POST, path, credits, to_json(&chunk)),
                )
                .await
            {
                Ok(list) => created.extend(list.data),
                Err(error) => {
                    return Err(BulkFailure {
                        created,
                        failed_from: start,
                        error: in_whole_list(error, start),
                    });
                }
            }
        }
        Ok(created)
    }
}

/// Shifts the field errors' indices from the chunk to the whole list.
fn in_whole_list(error: MiroError, start: usize) -> MiroError {
    match error {
        MiroError::InvalidInput { detail, mut fields } => {
            for field in &mut fields {
                field.index = field.index.map(|i| i + start);
            }
            MiroError::InvalidInput { detail, fields }
        }
        other => other,
    }
}
