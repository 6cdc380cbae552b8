//! Issues into records: every issue of a configured repository becomes a
//! record of connector `github`, so the panel's search (by text, status,
//! label and assignee, paged to the end) covers the repositories, and
//! adding a found record to a board gives a card that follows the issue.
//!
//! Issues come in three ways, all through [`import_or_apply`]: the first
//! poll after a start lists every issue (paged to the end), later polls
//! what changed since, and a webhook delivery about an issue no record
//! shows yet (`opened`, or any change to an issue that came in before the
//! app did) reads that issue. An issue that is gone is not imported.
//!
//! What an issue brings is checked as a save is (`sync/admit.rs`): the
//! parts a card cannot show (its hidden block is anyone's to edit) are left
//! out and logged, and an issue that cannot be a record is not imported.

use super::{mapping::ARRIVAL_LIMITS, GITHUB};
use crate::{
    store::{NewRecord, RecordRow, StoreError},
    sync::{
        admit::{Admission, Arrival},
        connector::SourceItem,
        SyncEngine, SyncError,
    },
    teams::issue_scope,
};

/// What happened to one issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imported {
    /// A new record shows it now.
    Created,
    /// Its record took the issue's fields (or turned disabled, or back).
    Applied,
    /// Its record showed it already; or it is gone and no record showed it.
    Unchanged,
    /// It cannot be a record (see the module docs): nothing stored.
    Refused,
}

/// Makes the record of `external_id` show `item` (`None`: the issue is
/// gone), creating the record when there is none and the issue is there.
pub async fn import_or_apply(
    engine: &SyncEngine,
    external_id: &str,
    item: Option<&SourceItem>,
) -> Result<Imported, SyncError> {
    let store = engine.store();
    if let Some(record) = store.record_by_external(GITHUB, external_id).await? {
        return Ok(applied(apply(engine, &record, item).await?));
    }
    let Some(item) = item else {
        return Ok(Imported::Unchanged);
    };
    let arrival = Arrival {
        origin: GITHUB,
        actor: GITHUB,
        item: external_id,
        record_id: None,
        card: None,
    };
    let fields = match engine
        .admit_logged(&item.fields, ARRIVAL_LIMITS, arrival)
        .await?
    {
        Admission::Taken(fields) => *fields,
        Admission::Refused(_) => return Ok(Imported::Refused),
    };
    let created = engine
        .create(NewRecord {
            connector: GITHUB,
            external_id: Some(external_id),
            fields: &fields,
            origin: GITHUB,
            actor: GITHUB,
            scope: &issue_scope(external_id),
        })
        .await;
    match created {
        Ok(_) => Ok(Imported::Created),
        // Another instance (or delivery) imported it meanwhile: apply to
        // that record instead.
        Err(SyncError::Store(StoreError::Duplicate { .. })) => {
            match store.record_by_external(GITHUB, external_id).await? {
                Some(record) => Ok(applied(apply(engine, &record, Some(item)).await?)),
                None => Ok(Imported::Unchanged),
            }
        }
        Err(error) => Err(error),
    }
}

fn applied(refresh: Refresh) -> Imported {
    match refresh {
        Refresh::Unchanged => Imported::Unchanged,
        Refresh::Refused => Imported::Refused,
        _ => Imported::Applied,
    }
}

/// What one refresh of a record did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refresh {
    NotImported,
    Unchanged,
    Applied,
    Disabled,
    /// What GitHub holds cannot be a record: the record is left as it is.
    Refused,
}

impl Refresh {
    pub(super) fn as_str(&self) -> &'static str {
        match self {
            Refresh::NotImported => "not imported: ignored",
            Refresh::Unchanged => "unchanged",
            Refresh::Applied => "applied",
            Refresh::Disabled => "gone: its cards are disabled",
            Refresh::Refused => "cannot be a record: nothing applied (see the sync log)",
        }
    }
}

/// Applies what GitHub holds for a record's issue (`None`: it is gone),
/// checked as a save is (see the module docs).
pub(super) async fn apply(
    engine: &SyncEngine,
    record: &RecordRow,
    item: Option<&SourceItem>,
) -> Result<Refresh, SyncError> {
    let id = &record.snapshot.id;
    let Some(item) = item else {
        if record.source_deleted {
            return Ok(Refresh::Unchanged);
        }
        engine.set_source_deleted(id, true, GITHUB).await?;
        return Ok(Refresh::Disabled);
    };
    let arrival = Arrival {
        origin: GITHUB,
        actor: GITHUB,
        item: &record.external_id,
        record_id: Some(id),
        card: None,
    };
    let fields = match engine
        .admit_logged(&item.fields, ARRIVAL_LIMITS, arrival)
        .await?
    {
        Admission::Taken(fields) => *fields,
        Admission::Refused(_) => return Ok(Refresh::Refused),
    };
    let mut changed = false;
    if record.source_deleted {
        engine.set_source_deleted(id, false, GITHUB).await?;
        changed = true;
    }
    // A save landing between our read and our write makes this a
    // conflict; the issue is still the truth, so apply it once more.
    let mut tries = 0;
    let saved = loop {
        tries += 1;
        match engine.apply_source_change(id, &fields, GITHUB).await {
            Err(SyncError::Store(StoreError::Conflict { .. })) if tries < 3 => continue,
            other => break other?,
        }
    };
    changed |= saved.record.version != record.snapshot.version;
    Ok(if changed {
        Refresh::Applied
    } else {
        Refresh::Unchanged
    })
}
