//! The built-in connector: records are their own items, kept in our
//! database. Creating an item creates a record; updating saves a new
//! version (its cards follow through the outbox); deleting marks the
//! record's source deleted, so its cards turn `disabled` and the record
//! stays readable.

use app::cards::RecordFields;
use async_trait::async_trait;

use super::{Connector, ConnectorError, SourceItem};
use crate::{
    store::{NewRecord, RecordRow, RecordSave, StoreError},
    sync::{SyncEngine, SyncError},
};

/// The connector's name (the store knows it: such a record is its own
/// source, with no writes to send anywhere).
pub use crate::store::BUILTIN;

/// Records kept in our own database, as one team makes them.
#[derive(Clone)]
pub struct BuiltinConnector {
    engine: SyncEngine,
    /// The scope of the records it creates (see [`crate::teams`]).
    scope: String,
}

impl BuiltinConnector {
    /// The connector as `team_id` uses it: the records it creates are that
    /// team's.
    pub fn new(engine: SyncEngine, team_id: &str) -> Self {
        Self {
            engine,
            scope: crate::teams::team_scope(team_id),
        }
    }

    async fn live(&self, external_id: &str) -> Result<RecordRow, ConnectorError> {
        match self
            .engine
            .store()
            .record_by_external(BUILTIN, external_id)
            .await
            .map_err(unavailable)?
        {
            Some(row) if !row.source_deleted => Ok(row),
            _ => Err(ConnectorError::NotFound(external_id.to_owned())),
        }
    }
}

fn unavailable(error: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Unavailable(error.to_string())
}

fn item(row: RecordRow) -> SourceItem {
    SourceItem {
        external_id: row.external_id,
        fields: row.snapshot.fields,
    }
}

#[async_trait]
impl Connector for BuiltinConnector {
    fn name(&self) -> &str {
        BUILTIN
    }

    async fn create(
        &self,
        fields: &RecordFields,
        actor: &str,
    ) -> Result<SourceItem, ConnectorError> {
        let row = self
            .engine
            .create(NewRecord {
                connector: BUILTIN,
                external_id: None,
                fields,
                origin: BUILTIN,
                actor,
                scope: &self.scope,
            })
            .await
            .map_err(unavailable)?;
        Ok(item(row))
    }

    async fn fetch(&self, external_id: &str) -> Result<Option<SourceItem>, ConnectorError> {
        match self.live(external_id).await {
            Ok(row) => Ok(Some(item(row))),
            Err(ConnectorError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn update(
        &self,
        external_id: &str,
        fields: &RecordFields,
        actor: &str,
    ) -> Result<SourceItem, ConnectorError> {
        let row = self.live(external_id).await?;
        let saved = self
            .engine
            .save(RecordSave {
                source_base: None,
                record_id: &row.snapshot.id,
                base_version: row.snapshot.version,
                fields,
                origin: BUILTIN,
                actor,
            })
            .await;
        match saved {
            Ok(saved) => Ok(SourceItem {
                external_id: row.external_id,
                fields: saved.record.fields,
            }),
            Err(SyncError::Store(StoreError::Conflict { .. })) => Err(ConnectorError::Unavailable(
                "the record changed at the same time; try again".to_owned(),
            )),
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn delete(&self, external_id: &str, _actor: &str) -> Result<(), ConnectorError> {
        let row = self.live(external_id).await?;
        self.engine
            .set_source_deleted(&row.snapshot.id, true, BUILTIN)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn search(&self, query: &str, limit: u32) -> Result<Vec<SourceItem>, ConnectorError> {
        let rows = self
            .engine
            .store()
            .search_records(query, limit.saturating_mul(2))
            .await
            .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .filter(|row| row.connector == BUILTIN && !row.source_deleted)
            .take(limit as usize)
            .map(item)
            .collect())
    }
}
