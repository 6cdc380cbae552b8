//! The sync log: what happened to records and cards, and what arrived from
//! outside (see [`arrival`]): the panel's health counts it.

use app::panel::ArrivalChecks;

use super::{
    db::{execute, fetch_all, fetch_optional, Db, Tx},
    rows::{log_row, Columns},
};
use crate::store::{arrival, LogEntry, StoreResult};

/// Inserts `$entry` (a [`LogEntry`]) on `$kind($on)` (see `db.rs`'s `on!`).
macro_rules! insert_entry {
    ($kind:ident($on:expr), $entry:expr) => {{
        let entry: &LogEntry = $entry;
        execute!(
            $kind($on),
            "insert into sync_log (at, record_id, board_id, item_id, origin, actor, action, result)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                entry.at,
                &entry.record_id,
                &entry.board_id,
                &entry.item_id,
                &entry.origin,
                &entry.actor,
                &entry.action,
                &entry.result
            ]
        )
    }};
}

/// Inserts a sync-log row inside the caller's transaction.
pub(in crate::store) async fn insert(tx: &mut Tx, entry: &LogEntry) -> StoreResult<()> {
    insert_entry!(tx(tx), entry)?;
    Ok(())
}

/// Appends a row by itself (its own commit).
pub(in crate::store) async fn append(db: &Db, entry: &LogEntry) -> StoreResult<()> {
    insert_entry!(pool(db), entry)?;
    Ok(())
}

/// The newest `limit` rows, newest first.
pub(in crate::store) async fn recent(db: &Db, limit: u32) -> StoreResult<Vec<LogEntry>> {
    fetch_all!(
        pool(db),
        "select at, record_id, board_id, item_id, origin, actor, action, result
         from sync_log order by id desc limit $1",
        [i64::from(limit)],
        log_row
    )
}

/// See [`Store::arrival_checks`](crate::store::Store::arrival_checks).
pub(in crate::store) async fn arrival_checks(
    db: &Db,
    origin: &str,
    board_id: Option<&str>,
    since: i64,
) -> StoreResult<ArrivalChecks> {
    // Found by the index on (action, at): the log's other rows are not read.
    const WHERE: &str = "where action in ($4, $5) and origin = $1 and at >= $2
                           and (cast($3 as text) is null or board_id = $3)";
    let counts = fetch_optional!(
        pool(db),
        format!(
            "select coalesce(sum(case when action = $4 then 1 else 0 end), 0) as dropped,
                    coalesce(sum(case when action = $5 then 1 else 0 end), 0) as refused
             from sync_log {WHERE}"
        ),
        [origin, since, board_id, arrival::DROPPED, arrival::REFUSED],
        |row| Ok((row.int("dropped")?, row.int("refused")?))
    )?
    .unwrap_or((0, 0));
    let latest = fetch_optional!(
        pool(db),
        format!("select result from sync_log {WHERE} order by id desc limit 1"),
        [origin, since, board_id, arrival::DROPPED, arrival::REFUSED],
        |row| row.text("result")
    )?;
    Ok(ArrivalChecks {
        dropped: u64::try_from(counts.0).unwrap_or(0),
        refused: u64::try_from(counts.1).unwrap_or(0),
        latest,
    })
}
