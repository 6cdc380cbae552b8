//! Reading the store's types from rows of either backend: [`Columns`] is
//! one row's typed columns, implemented for both row types, and the
//! readers below are written once over it.

use app::cards::{CardStatus, RecordFields, RecordSnapshot};
use sqlx::Row;

use crate::{
    miro::TokenKey,
    store::{CardKey, CardLink, LogEntry, RecordRow, StoreError, StoreResult},
};

/// The columns a [`RecordRow`] is read from (`fields` as its text on
/// both: PostgreSQL keeps it as jsonb).
pub(in crate::store) const RECORD_COLUMNS: &str = "id, connector, external_id, version, \
     cast(fields as text) as fields, source_deleted, scope, updated_at";

/// One row's columns, by name.
pub(in crate::store) trait Columns {
    fn text(&self, column: &str) -> StoreResult<String>;
    fn maybe_text(&self, column: &str) -> StoreResult<Option<String>>;
    fn int(&self, column: &str) -> StoreResult<i64>;
    fn maybe_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn flag(&self, column: &str) -> StoreResult<bool>;
    fn bytes(&self, column: &str) -> StoreResult<Vec<u8>>;
    fn maybe_bytes(&self, column: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Whether the row has this column (a script's rows are told apart
    /// by the columns each statement returns).
    fn has(&self, column: &str) -> bool;
}

macro_rules! columns_for {
    ($row:ty) => {
        impl Columns for $row {
            fn text(&self, column: &str) -> StoreResult<String> {
                Ok(self.try_get(column)?)
            }
            fn maybe_text(&self, column: &str) -> StoreResult<Option<String>> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> StoreResult<i64> {
                Ok(self.try_get(column)?)
            }
            fn maybe_int(&self, column: &str) -> StoreResult<Option<i64>> {
                Ok(self.try_get(column)?)
            }
            fn flag(&self, column: &str) -> StoreResult<bool> {
                Ok(self.try_get(column)?)
            }
            fn bytes(&self, column: &str) -> StoreResult<Vec<u8>> {
                Ok(self.try_get(column)?)
            }
            fn maybe_bytes(&self, column: &str) -> StoreResult<Option<Vec<u8>>> {
                Ok(self.try_get(column)?)
            }
            fn has(&self, column: &str) -> bool {
                self.try_column(column).is_ok()
            }
        }
    };
}

columns_for!(sqlx::sqlite::SqliteRow);
columns_for!(sqlx::postgres::PgRow);

/// Record fields from their JSON text.
pub(in crate::store) fn parse_fields(text: &str) -> StoreResult<RecordFields> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("record fields: {e}")))
}

/// A record from a row holding [`RECORD_COLUMNS`].
pub(in crate::store) fn record_row(row: &impl Columns) -> StoreResult<RecordRow> {
    Ok(RecordRow {
        snapshot: RecordSnapshot {
            id: row.text("id")?,
            version: row.int("version")?,
            fields: parse_fields(&row.text("fields")?)?,
        },
        connector: row.text("connector")?,
        external_id: row.text("external_id")?,
        source_deleted: row.flag("source_deleted")?,
        scope: row.text("scope")?,
    })
}

/// A card link from a row of `card_links`.
pub(in crate::store) fn link_row(row: &impl Columns) -> StoreResult<CardLink> {
    let status = row.text("status")?;
    Ok(CardLink {
        card: card_key(row)?,
        record_id: row.maybe_text("record_id")?,
        owner: TokenKey {
            user_id: row.text("user_id")?,
            team_id: row.text("team_id")?,
        },
        status: CardStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("card status {status}")))?,
        last_hash: row.maybe_text("last_hash")?,
    })
}

/// A card from a row's `board_id` and `item_id`.
pub(in crate::store) fn card_key(row: &impl Columns) -> StoreResult<CardKey> {
    Ok(CardKey::new(row.text("board_id")?, row.text("item_id")?))
}

/// A sync-log row.
pub(in crate::store) fn log_row(row: &impl Columns) -> StoreResult<LogEntry> {
    Ok(LogEntry {
        at: row.int("at")?,
        record_id: row.maybe_text("record_id")?,
        board_id: row.maybe_text("board_id")?,
        item_id: row.maybe_text("item_id")?,
        origin: row.text("origin")?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        result: row.text("result")?,
    })
}
