//! The poll: it brings every issue of the configured repositories in as
//! records, and covers missed webhook deliveries. Its first round after a
//! start lists every issue (paged to the end) and imports the ones no
//! record shows yet ([`super::import`]); then every `GITHUB_POLL_SECONDS`
//! (300; 0 turns it off) each repository's issues changed since the last
//! change seen are listed
//! (`GET …/issues?state=all&since=…&sort=updated&direction=asc`) and
//! applied, or imported, as a delivery would be.
//!
//! It stays within GitHub's rate limit by asking the same question until
//! something changes: `since` moves only to the newest `updated_at` seen,
//! so a quiet repository is asked the same URL each time, and the
//! client's conditional GET gets a `304 Not Modified`, which GitHub does
//! not count. `since` is inclusive, so the newest issue comes back every
//! time; issues whose `updated_at` was applied already are skipped.
//!
//! Deleted and transferred issues are not in the list; their deliveries
//! are the only way they disable cards.

use std::collections::HashMap;

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{
    import::{import_or_apply, Imported},
    GitHubConnector,
};
use crate::sync::{connector::ConnectorError, SyncEngine, SyncError};

/// What one poll did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Changed issues read (every issue, in the first round).
    pub read: usize,
    /// Records that took a change (or turned disabled or back).
    pub applied: usize,
    /// Issues that became records.
    pub imported: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The poll's memory between rounds.
#[derive(Debug, Default)]
pub struct Poll {
    /// Per repository: the `since` to ask with (RFC 3339); none before the
    /// first round, which lists every issue.
    since: HashMap<String, String>,
    /// Per external id: the `updated_at` applied last.
    seen: HashMap<String, String>,
}

impl Poll {
    /// A poll whose first round lists every issue.
    pub fn new() -> Self {
        Self::default()
    }

    /// One round over every repository.
    pub async fn once(
        &mut self,
        engine: &SyncEngine,
        connector: &GitHubConnector,
    ) -> Result<PollReport, PollError> {
        let mut report = PollReport::default();
        // A repository GitHub does not answer for is reported after the
        // others were polled: one lost repository must not stop the rest.
        let mut failed = None;
        for repo in connector.repositories() {
            let name = repo.full_name();
            let since = self.since.get(&name).cloned();
            let changed = match connector.changed_since(repo, since.as_deref()).await {
                Ok(changed) => changed,
                Err(error) => {
                    failed.get_or_insert(error);
                    continue;
                }
            };
            let mut newest = since.unwrap_or_default();
            for change in &changed {
                if newest.is_empty() || later(&change.updated_at, &newest) {
                    newest.clone_from(&change.updated_at);
                }
                if self.seen.get(&change.external_id) == Some(&change.updated_at) {
                    continue;
                }
                report.read += 1;
                match import_or_apply(engine, &change.external_id, change.item.as_ref()).await? {
                    Imported::Created => report.imported += 1,
                    Imported::Applied => report.applied += 1,
                    Imported::Unchanged | Imported::Refused => {}
                }
                self.seen
                    .insert(change.external_id.clone(), change.updated_at.clone());
            }
            // Only what can come back (changed at `newest`) needs remembering.
            self.seen.retain(|_, at| !later(&newest, at));
            if !newest.is_empty() {
                self.since.insert(name, newest);
            }
        }
        match failed {
            Some(error) => Err(error.into()),
            None => Ok(report),
        }
    }
}

/// Whether RFC 3339 time `a` is after `b` (unreadable times are not).
fn later(a: &str, b: &str) -> bool {
    match (
        OffsetDateTime::parse(a, &Rfc3339),
        OffsetDateTime::parse(b, &Rfc3339),
    ) {
        (Ok(a), Ok(b)) => a > b,
        _ => false,
    }
}

/// Polls every `interval` until the process ends.
pub async fn run(
    engine: SyncEngine,
    connector: std::sync::Arc<GitHubConnector>,
    interval: std::time::Duration,
) {
    let mut poll = Poll::new();
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match poll.once(&engine, &connector).await {
            Ok(report) if report.applied + report.imported > 0 => {
                tracing::info!(
                    read = report.read,
                    applied = report.applied,
                    imported = report.imported,
                    "GitHub poll"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "GitHub poll failed; trying again next round"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_compare_as_times() {
        assert!(later("2026-12-02T12:00:01Z", "2026-12-02T12:00:00Z"));
        assert!(later("2026-12-02T12:00:00Z", "2026-12-02T12:30:00+01:00"));
        assert!(!later("2026-12-02T12:00:00Z", "2026-12-02T12:00:00Z"));
        assert!(!later("garbage", "2026-12-02T12:00:00Z"));
    }
}
