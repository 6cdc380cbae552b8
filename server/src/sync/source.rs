//! Writing records to their tools: edits saved from Miro to a record whose
//! item lives in another tool (GitHub) reach that tool through a queue of
//! its own, the *source outbox* (the store's `source_sync` rows).
//!
//! The rules are the card outbox's:
//! - **Nothing lost.** A save of a tool's record queues its write in the
//!   save's own transaction; the write is marked done only after the tool
//!   confirmed it, and an unavailable tool is retried with backoff. A
//!   refusal for good is logged in the sync log and the write dropped.
//! - **One writer per record** across processes: a lease in the store.
//! - **No silent overwrite.** Each record keeps its *source base*, the
//!   fields as last read from or written to the tool. Before writing, the
//!   worker reads the item: equal to the base, nobody changed it there and
//!   the record's newest fields are sent; equal to the record already, the
//!   write landed before (or someone made the same edit) and nothing is
//!   sent; anything else is a **conflict**: nothing is written, and the
//!   tool's fields are kept for the detail view to show beside the
//!   record's, where a user resolves it.
//! - **No echo.** A change arriving from the tool
//!   ([`SyncEngine::apply_source_change`]) equal to the record or to the
//!   base, or to what a write is sending (noted before it is sent, since
//!   its webhook may beat its answer), changes nothing and costs no Miro
//!   call; one arriving while a local edit waits to be sent is a
//!   conflict, not an overwrite.
//!
//! GitHub's issue PATCH takes no precondition, so an edit made on GitHub
//! between the worker's read and its write (a round trip) is the one case
//! this cannot see; the next read shows the result.

use crate::clock::now;
use std::{sync::Arc, time::Duration};

use super::{
    admit::admit,
    connector::{arrival_limits, Connector, ConnectorError, SourceItem},
    SyncEngine, SyncError,
};
use crate::store::{origin, LogEntry};

/// Records written at once in one round.
const SOURCE_BATCH: u32 = 20;

/// What one record's source write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceOutcome {
    /// Nothing due for the record (or another writer holds it).
    Nothing,
    /// The tool took the record's fields.
    Written,
    /// The tool already held them: nothing was sent.
    AlreadyThere,
    /// Both sides changed: nothing was written, the conflict is stored.
    Conflict,
    /// Not written now; retried later.
    Deferred(String),
    /// The tool refused for good (or the item is gone): dropped, logged.
    Dropped(String),
}

impl SyncEngine {
    /// Sends the record's queued edit to `connector`'s tool, if one is due
    /// and no conflict is open (see the module docs).
    pub async fn push_source(
        &self,
        connector: &dyn Connector,
        record_id: &str,
    ) -> Result<SourceOutcome, SyncError> {
        let store = self.store();
        let holder = &self.inner.holder;
        let at = now();
        let lease = self.settings().write_lease.as_secs() as i64;
        if !store
            .claim_source_write(record_id, holder, at, at + lease)
            .await?
        {
            return Ok(SourceOutcome::Nothing);
        }
        let outcome = self.push_source_claimed(connector, record_id).await;
        // The lease runs out by itself should releasing fail.
        if let Err(error) = store.release_source_write(record_id, holder).await {
            tracing::warn!(%error, record_id, "releasing a source write lease");
        }
        outcome
    }

    async fn push_source_claimed(
        &self,
        connector: &dyn Connector,
        record_id: &str,
    ) -> Result<SourceOutcome, SyncError> {
        let store = self.store();
        let name = connector.name();
        let Some(state) = store.source_state(record_id).await? else {
            return Ok(SourceOutcome::Nothing);
        };
        if state.pending_version.is_none() || state.conflict.is_some() {
            return Ok(SourceOutcome::Nothing);
        }
        let Some(record) = store.record(record_id).await? else {
            return Ok(SourceOutcome::Nothing);
        };
        let log = |result: String| {
            LogEntry::record(record_id, origin::WORKER, name, "source write", result)
        };
        let version = record.snapshot.version;
        let ours = &record.snapshot.fields;
        let fetched = match connector.fetch(&record.external_id).await {
            Ok(Some(item)) => item,
            Ok(None) => {
                let why = format!("{name} item {} is gone: not written", record.external_id);
                store
                    .drop_source_write(record_id, &log(why.clone()))
                    .await?;
                return Ok(SourceOutcome::Dropped(why));
            }
            Err(error) => {
                return self
                    .source_failed(record_id, name, state.attempts, error)
                    .await
            }
        };
        // Compared as it was stored when it arrived: with what a card
        // cannot show left out (logged then, not again here).
        let Some(item) = self.as_admitted(name, fetched) else {
            let why = format!(
                "the item in {name} cannot be a record now (see the sync log): not written"
            );
            return self
                .source_failed(
                    record_id,
                    name,
                    state.attempts,
                    ConnectorError::Unavailable(why),
                )
                .await;
        };
        if item.fields.same_content(ours) {
            store
                .finish_source_write(
                    record_id,
                    version,
                    &item.fields,
                    &log(format!("version {version} already there: nothing sent")),
                )
                .await?;
            self.refresh_source_details(&record, &item.fields, name)
                .await?;
            return Ok(SourceOutcome::AlreadyThere);
        }
        // The tool holds the base, or what an earlier write sent (its
        // answer was lost): nobody changed the item there since.
        let ours_there = state
            .sending
            .as_ref()
            .is_some_and(|s| s.same_content(&item.fields));
        let base_there = state
            .base
            .as_ref()
            .is_some_and(|b| b.same_content(&item.fields));
        if !base_there && !ours_there {
            store
                .set_source_conflict(
                    record_id,
                    &item.fields,
                    version,
                    &log(format!(
                        "conflict: changed in {name} and in Miro (version {version}); not written"
                    )),
                )
                .await?;
            tracing::info!(record_id, "source write held back: changed on both sides");
            return Ok(SourceOutcome::Conflict);
        }
        // Noted before sending: the webhook of this write may arrive
        // before its answer, and must read as our own echo.
        store.mark_source_sending(record_id, ours).await?;
        match connector
            .update(&record.external_id, ours, origin::WORKER)
            .await
        {
            Ok(written) => {
                let written = self.as_admitted(name, written.clone()).unwrap_or(written);
                store
                    .finish_source_write(
                        record_id,
                        version,
                        &written.fields,
                        &log(format!("version {version} written")),
                    )
                    .await?;
                // A label the write added has a colour only now.
                self.refresh_source_details(&record, &written.fields, name)
                    .await?;
                Ok(SourceOutcome::Written)
            }
            Err(error) => {
                self.source_failed(record_id, name, state.attempts, error)
                    .await
            }
        }
    }

    /// `item` (as `connector`'s tool holds it) with what a record cannot
    /// hold left out, as it is stored when it arrives (`admit.rs`); `None`
    /// when it cannot be a record.
    fn as_admitted(&self, connector: &str, item: SourceItem) -> Option<SourceItem> {
        let admitted = admit(&item.fields, self.template(), arrival_limits(connector)).ok()?;
        Some(SourceItem {
            fields: admitted.fields,
            ..item
        })
    }

    async fn source_failed(
        &self,
        record_id: &str,
        name: &str,
        attempts: i64,
        error: ConnectorError,
    ) -> Result<SourceOutcome, SyncError> {
        let store = self.store();
        match error {
            ConnectorError::Unavailable(reason) => {
                let retry_at = now() + self.backoff(attempts).as_secs().max(1) as i64;
                tracing::warn!(record_id, %reason, "source write deferred");
                store
                    .retry_source_write(record_id, retry_at, &reason)
                    .await?;
                Ok(SourceOutcome::Deferred(reason))
            }
            ConnectorError::Refused(reason) | ConnectorError::NotFound(reason) => {
                tracing::warn!(record_id, %reason, "source write refused: dropped");
                let why = format!("{name} refused the write: {reason}");
                store
                    .drop_source_write(
                        record_id,
                        &LogEntry::record(
                            record_id,
                            origin::WORKER,
                            name,
                            "source write",
                            why.clone(),
                        ),
                    )
                    .await?;
                Ok(SourceOutcome::Dropped(why))
            }
        }
    }

    /// One round: every record of `connector` with a source write due now.
    pub async fn drain_sources_once(&self, connector: &dyn Connector) -> Result<usize, SyncError> {
        let due = self
            .store()
            .due_source_writes(connector.name(), now(), SOURCE_BATCH)
            .await?;
        for record_id in &due {
            self.push_source(connector, record_id).await?;
        }
        Ok(due.len())
    }

    /// Sends every queued edit to `connector`'s tool, waiting out retries,
    /// until none waits (true) or `limit` has passed (false). Conflicts
    /// wait for a user, not for this, so they do not count as waiting.
    pub async fn drain_sources_until_empty(
        &self,
        connector: &dyn Connector,
        limit: Duration,
    ) -> Result<bool, SyncError> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let tried = self.drain_sources_once(connector).await?;
            let waiting = self.store().source_writes(connector.name()).await?.waiting;
            if waiting == 0 {
                return Ok(true);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            if tried == 0 {
                // Only writes waiting for their retry time (or another
                // process's lease): look again shortly.
                tokio::time::sleep((deadline - now).min(Duration::from_millis(250))).await;
            }
        }
    }

    /// Runs the source worker for `connector` until the process ends,
    /// woken by saves and otherwise looking every `poll_interval`.
    pub async fn run_source_worker(self, connector: Arc<dyn Connector>) {
        loop {
            match self.drain_sources_once(connector.as_ref()).await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(error) => tracing::error!(%error, "source write round failed"),
            }
            let wait = self.settings().poll_interval.min(Duration::from_secs(5));
            let _ = tokio::time::timeout(wait, self.inner.source_wake.notified()).await;
        }
    }
}
