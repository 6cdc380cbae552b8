//! The poll that covers missed webhook deliveries: every
//! `GITHUB_POLL_SECONDS` (300; 0 turns it off) each repository's issues
//! changed since the last change seen are listed
//! (`GET …/issues?state=all&since=…&sort=updated&direction=asc`) and
//! applied to the records that show them, as a delivery would be.
//!
//! It stays within GitHub's rate limit by asking the same question until
//! something changes: `since` moves only to the newest `updated_at` seen,
//! so a quiet repository is asked the same URL each time, and the
//! client's conditional GET gets a `304 Not Modified`, which GitHub does
//! not count. `since` is inclusive, so the newest issue comes back every
//! time; issues whose `updated_at` was applied already are skipped.
//!
//! The first poll after a start looks back a day, so changes made while
//! the server was down for less than that are found. Deleted and
//! transferred issues are not in the list; their deliveries are the only
//! way they disable cards.

use std::collections::HashMap;

use time::{format_description::well_known::Rfc3339, Duration as TimeSpan, OffsetDateTime};

use super::{webhook, GitHubConnector, GITHUB};
use crate::sync::{connector::ConnectorError, SyncEngine, SyncError};

/// How far back the first poll looks.
const FIRST_LOOK_BACK: TimeSpan = TimeSpan::days(1);

/// What one poll did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Changed issues of imported records, read.
    pub read: usize,
    /// Records that took a change (or turned disabled or back).
    pub applied: usize,
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
#[derive(Debug)]
pub struct Poll {
    /// Per repository: the `since` to ask with (RFC 3339).
    since: HashMap<String, String>,
    /// Per external id: the `updated_at` applied last.
    seen: HashMap<String, String>,
}

impl Poll {
    /// A poll whose first round looks back a day from `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        let start = (now - FIRST_LOOK_BACK)
            .replace_nanosecond(0)
            .unwrap_or(now)
            .format(&Rfc3339)
            .unwrap_or_default();
        Self {
            since: HashMap::from([(String::new(), start)]),
            seen: HashMap::new(),
        }
    }

    fn since_for(&self, repo: &str) -> String {
        self.since
            .get(repo)
            .or_else(|| self.since.get(""))
            .cloned()
            .unwrap_or_default()
    }

    /// One round over every repository.
    pub async fn once(
        &mut self,
        engine: &SyncEngine,
        connector: &GitHubConnector,
    ) -> Result<PollReport, PollError> {
        let mut report = PollReport::default();
        for repo in connector.repositories() {
            let name = repo.full_name();
            let since = self.since_for(&name);
            let changed = connector.changed_since(repo, &since).await?;
            let mut newest = since.clone();
            for change in &changed {
                if later(&change.updated_at, &newest) {
                    newest.clone_from(&change.updated_at);
                }
                if self.seen.get(&change.external_id) == Some(&change.updated_at) {
                    continue;
                }
                let Some(record) = engine
                    .store()
                    .record_by_external(GITHUB, &change.external_id)
                    .await?
                else {
                    continue;
                };
                report.read += 1;
                if webhook::apply(engine, &record, change.item.as_ref()).await?
                    != webhook::Refresh::Unchanged
                {
                    report.applied += 1;
                }
                self.seen
                    .insert(change.external_id.clone(), change.updated_at.clone());
            }
            // Only what can come back (changed at `newest`) needs remembering.
            self.seen.retain(|_, at| !later(&newest, at));
            self.since.insert(name, newest);
        }
        Ok(report)
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
    let mut poll = Poll::new(OffsetDateTime::now_utc());
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match poll.once(&engine, &connector).await {
            Ok(report) if report.applied > 0 => {
                tracing::info!(read = report.read, applied = report.applied, "GitHub poll");
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

    #[test]
    fn the_first_round_looks_back_a_day() {
        let now = time::macros::datetime!(2026-12-02 12:00:00.5 UTC);
        assert_eq!(Poll::new(now).since_for("a/b"), "2026-12-01T12:00:00Z");
    }
}
