//! The outbox worker: drains queued card writes, a few cards at a time,
//! waking when a save queues something and otherwise looking every
//! `poll_interval` for writes whose retry time has come; and deletes
//! settled rows that are left, a bounded batch a round.

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};

use super::{PushOutcome, SyncEngine, SyncError};
use crate::clock::now;

/// Cards written at once. Each write waits on Miro; a few in flight keep
/// the queue moving without spending the rate-limit budget in a burst
/// (the client waits for the budget's reset anyway).
const IN_FLIGHT: usize = 4;

/// Settled outbox rows deleted at most per round (see `run_worker`).
const PRUNE_BATCH: u32 = 1_000;

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub written: usize,
    pub unchanged: usize,
    pub deferred: usize,
    pub gone: usize,
    pub refused: usize,
    /// Cards another writer held. Not in [`DrainReport::cards`]: they stay
    /// due until that writer finishes or its lease ends, so trying them
    /// again at once would only find them held again, round after round.
    /// They wait for the next poll or wake-up.
    pub busy: usize,
}

impl DrainReport {
    /// The cards this round settled or gave a retry time.
    pub fn cards(&self) -> usize {
        self.written + self.unchanged + self.deferred + self.gone + self.refused
    }
}

impl SyncEngine {
    /// One round: pushes every card with a write due now.
    pub async fn drain_once(&self) -> Result<DrainReport, SyncError> {
        let due = self.store().due_cards(now(), self.settings().batch).await?;
        let outcomes: Vec<_> = stream::iter(due)
            .map(|card| async move { self.push(&card, None).await })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let mut report = DrainReport::default();
        for outcome in outcomes {
            match outcome? {
                PushOutcome::Written => report.written += 1,
                PushOutcome::Unchanged | PushOutcome::NothingQueued => report.unchanged += 1,
                PushOutcome::Deferred { .. } => report.deferred += 1,
                PushOutcome::CardGone => report.gone += 1,
                PushOutcome::Refused(_) => report.refused += 1,
                PushOutcome::Busy => report.busy += 1,
            }
        }
        Ok(report)
    }

    /// Drains until nothing is queued, or `limit` has passed; returns
    /// whether the queue is empty.
    pub async fn drain_until_empty(&self, limit: Duration) -> Result<bool, SyncError> {
        let started = Instant::now();
        loop {
            let report = self.drain_once().await?;
            if self.store().pending_count().await? == 0 {
                return Ok(true);
            }
            if started.elapsed() >= limit {
                return Ok(false);
            }
            if report.cards() == 0 {
                // Everything left waits for its retry time.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Runs the worker until the process ends. A failing round (the
    /// database unavailable) is logged and retried after the poll interval.
    pub async fn run_worker(self) {
        loop {
            // Settled rows (dropped with their card, or kept by earlier
            // versions) go a bounded batch a round; a full batch means more
            // wait, so the next round comes at once.
            let pruned = match self.store().prune_settled_writes(PRUNE_BATCH).await {
                Ok(pruned) => pruned,
                Err(error) => {
                    tracing::warn!(%error, "pruning settled outbox rows failed");
                    0
                }
            };
            match self.drain_once().await {
                Ok(report) if report.cards() > 0 => {
                    tracing::debug!(?report, "outbox round");
                    // More may be due right away.
                    continue;
                }
                Ok(_) if pruned == u64::from(PRUNE_BATCH) => continue,
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "outbox round failed"),
            }
            let _ = tokio::time::timeout(self.settings().poll_interval, self.inner.wake.notified())
                .await;
        }
    }
}
