//! Writes to records' tools (the `source_sync` table): the source base,
//! the queued write, its lease and retries, and conflicts with the tool.
//! Built-in records have no row: they are their own source.
//!
//! The table's fields columns (`base`, `sending`, `conflict`) are text on
//! both backends, so they are bound as serde's JSON text (unlike the
//! records' `fields`, jsonb on PostgreSQL).

use crate::clock::now;
use app::{cards::RecordFields, panel::SourceWrites};

use super::{
    db::{execute, fetch_all, fetch_optional, Db, Durability, Tx},
    log,
    rows::{parse_fields, Columns},
};
use crate::store::{LogEntry, SourceState, StoreResult, BUILTIN};

/// Fields as the JSON text `source_sync` keeps.
fn fields_text(fields: &RecordFields) -> String {
    serde_json::to_string(fields).expect("record fields always serialize")
}

/// A record just created from its tool: what it holds is the base.
pub(super) async fn on_create(
    tx: &mut Tx,
    record_id: &str,
    connector: &str,
    fields: &RecordFields,
) -> StoreResult<()> {
    if connector == BUILTIN {
        return Ok(());
    }
    set_base(tx, record_id, fields).await
}

async fn set_base(tx: &mut Tx, record_id: &str, base: &RecordFields) -> StoreResult<()> {
    execute!(
        tx(tx),
        "insert into source_sync (record_id, base) values ($1, $2)
         on conflict (record_id) do update set base = excluded.base",
        [record_id, fields_text(base)]
    )?;
    Ok(())
}

/// Inside a save's transaction: a change from the tool itself becomes the
/// base; any other save of a tool's record queues its write (a save that
/// resolves a conflict first sets the base it was resolved against and
/// clears the conflict). `changed`: the save made a new version.
#[allow(clippy::too_many_arguments)]
pub(super) async fn on_save(
    tx: &mut Tx,
    record_id: &str,
    connector: &str,
    origin: &str,
    version: i64,
    fields: &RecordFields,
    source_base: Option<&RecordFields>,
    changed: bool,
) -> StoreResult<()> {
    if connector == BUILTIN {
        return Ok(());
    }
    if origin == connector {
        return set_base(tx, record_id, fields).await;
    }
    if let Some(base) = source_base {
        set_base(tx, record_id, base).await?;
        execute!(
            tx(tx),
            "update source_sync set conflict = null, conflict_version = null where record_id = $1",
            [record_id]
        )?;
    } else if !changed {
        return Ok(());
    }
    execute!(
        tx(tx),
        "insert into source_sync (record_id, pending_version, next_at) values ($1, $2, $3)
         on conflict (record_id) do update set pending_version = excluded.pending_version,
             next_at = excluded.next_at, attempts = 0, last_error = null",
        [record_id, version, now()]
    )?;
    Ok(())
}

pub(in crate::store) async fn state(db: &Db, record_id: &str) -> StoreResult<Option<SourceState>> {
    fetch_optional!(
        pool(db),
        "select base, pending_version, sending, attempts, last_error, conflict, conflict_version
         from source_sync where record_id = $1",
        [record_id],
        |row| {
            let fields = |column: &str| -> StoreResult<Option<RecordFields>> {
                row.maybe_text(column)?
                    .as_deref()
                    .map(parse_fields)
                    .transpose()
            };
            Ok(SourceState {
                base: fields("base")?,
                pending_version: row.maybe_int("pending_version")?,
                sending: fields("sending")?,
                attempts: row.int("attempts")?,
                last_error: row.maybe_text("last_error")?,
                conflict: match fields("conflict")? {
                    Some(theirs) => Some((theirs, row.maybe_int("conflict_version")?.unwrap_or(0))),
                    None => None,
                },
            })
        }
    )
}

/// See [`Store::source_writes`](crate::store::Store::source_writes).
pub(in crate::store) async fn writes(db: &Db, connector: &str) -> StoreResult<SourceWrites> {
    let counts = fetch_optional!(
        pool(db),
        "select
             coalesce(sum(case when s.pending_version is not null and s.conflict is null
                               then 1 else 0 end), 0) as waiting,
             coalesce(sum(case when s.pending_version is not null and s.conflict is null
                                    and s.attempts > 0 then 1 else 0 end), 0) as retrying,
             coalesce(sum(case when s.conflict is not null then 1 else 0 end), 0) as conflicts,
             coalesce(sum(case when s.pending_version is null and s.conflict is null
                                    and s.last_error is not null then 1 else 0 end), 0) as refused
         from source_sync s join records r on r.id = s.record_id
         where r.connector = $1",
        [connector],
        |row| {
            let count =
                |name: &str| -> StoreResult<u64> { Ok(u64::try_from(row.int(name)?).unwrap_or(0)) };
            Ok([
                count("waiting")?,
                count("retrying")?,
                count("conflicts")?,
                count("refused")?,
            ])
        }
    )?
    // An aggregate without `group by` returns one row, always.
    .unwrap_or_default();
    let last_error = fetch_optional!(
        pool(db),
        "select s.last_error from source_sync s join records r on r.id = s.record_id
         where r.connector = $1 and s.last_error is not null and s.conflict is null
         order by s.next_at desc, s.record_id limit 1",
        [connector],
        |row| row.text("last_error")
    )?;
    let [waiting, retrying, conflicts, refused] = counts;
    Ok(SourceWrites {
        waiting,
        retrying,
        conflicts,
        refused,
        last_error,
    })
}

/// The records of `connector` whose write is due at `now`, soonest first.
pub(in crate::store) async fn due(
    db: &Db,
    connector: &str,
    now: i64,
    limit: u32,
) -> StoreResult<Vec<String>> {
    fetch_all!(
        pool(db),
        "select s.record_id from source_sync s join records r on r.id = s.record_id
         where s.pending_version is not null and s.conflict is null and s.next_at <= $1
           and r.connector = $2
         order by s.next_at, s.record_id limit $3",
        [now, connector, i64::from(limit)],
        |row| row.text("record_id")
    )
}

/// Takes the record's write lease (a lease runs out, so it is written on
/// the relaxed pool): false while another holder's runs.
pub(in crate::store) async fn claim(
    db: &Db,
    record_id: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> StoreResult<bool> {
    let taken = execute!(
        relaxed(db),
        "update source_sync set lease_holder = $2, lease_until = $3
         where record_id = $1
           and (lease_holder is null or lease_until < $4 or lease_holder = $2)",
        [record_id, holder, until, now]
    )?;
    Ok(taken == 1)
}

/// Gives up `holder`'s lease (another's is left alone).
pub(in crate::store) async fn release(db: &Db, record_id: &str, holder: &str) -> StoreResult<()> {
    execute!(
        relaxed(db),
        "update source_sync set lease_holder = null, lease_until = null
         where record_id = $1 and lease_holder = $2",
        [record_id, holder]
    )?;
    Ok(())
}

pub(in crate::store) async fn finish(
    db: &Db,
    record_id: &str,
    sent_version: i64,
    base: &RecordFields,
    entry: &LogEntry,
) -> StoreResult<()> {
    let mut tx = db.begin(Durability::Full).await?;
    // A save that came in during the write keeps its newer version queued.
    execute!(
        tx(&mut tx),
        "update source_sync set base = $2, sending = null, conflict = null,
             conflict_version = null, attempts = 0, last_error = null,
             pending_version = case when pending_version <= $3 then null
                                    else pending_version end
         where record_id = $1",
        [record_id, fields_text(base), sent_version]
    )?;
    log::insert(&mut tx, entry).await?;
    tx.commit().await
}

pub(in crate::store) async fn sending(
    db: &Db,
    record_id: &str,
    fields: &RecordFields,
) -> StoreResult<()> {
    execute!(
        pool(db),
        "update source_sync set sending = $2 where record_id = $1",
        [record_id, fields_text(fields)]
    )?;
    Ok(())
}

pub(in crate::store) async fn retry(
    db: &Db,
    record_id: &str,
    next_at: i64,
    error: &str,
) -> StoreResult<()> {
    execute!(
        pool(db),
        "update source_sync set attempts = attempts + 1, next_at = $2, last_error = $3
         where record_id = $1",
        [record_id, next_at, error]
    )?;
    Ok(())
}

pub(in crate::store) async fn drop_write(
    db: &Db,
    record_id: &str,
    entry: &LogEntry,
) -> StoreResult<()> {
    let mut tx = db.begin(Durability::Full).await?;
    execute!(
        tx(&mut tx),
        "update source_sync set pending_version = null, sending = null, attempts = 0,
             last_error = $2
         where record_id = $1",
        [record_id, &entry.result]
    )?;
    log::insert(&mut tx, entry).await?;
    tx.commit().await
}

pub(in crate::store) async fn conflict(
    db: &Db,
    record_id: &str,
    theirs: &RecordFields,
    version: i64,
    entry: &LogEntry,
) -> StoreResult<()> {
    let mut tx = db.begin(Durability::Full).await?;
    execute!(
        tx(&mut tx),
        "insert into source_sync (record_id, conflict, conflict_version) values ($1, $2, $3)
         on conflict (record_id) do update set conflict = excluded.conflict,
             conflict_version = excluded.conflict_version",
        [record_id, fields_text(theirs), version]
    )?;
    log::insert(&mut tx, entry).await?;
    tx.commit().await
}
