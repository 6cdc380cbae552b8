//! Writes to records' tools (the `source_sync` table): the source base,
//! the queued write, its lease and retries, and conflicts with the tool.
//! Built-in records have no row: they are their own source.

use app::{cards::RecordFields, panel::SourceWrites};
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::{fields_json, insert_log, parse_fields};
use crate::{
    store::{now, LogEntry, SourceState, StoreResult},
    sync::connector::BUILTIN,
};

/// A record just created from its tool: what it holds is the base.
pub async fn on_create(
    conn: &mut SqliteConnection,
    record_id: &str,
    connector: &str,
    fields: &RecordFields,
) -> StoreResult<()> {
    if connector == BUILTIN {
        return Ok(());
    }
    set_base(conn, record_id, fields).await
}

async fn set_base(
    conn: &mut SqliteConnection,
    record_id: &str,
    base: &RecordFields,
) -> StoreResult<()> {
    sqlx::query(
        "insert into source_sync (record_id, base) values ($1, $2)
         on conflict (record_id) do update set base = excluded.base",
    )
    .bind(record_id)
    .bind(fields_json(base))
    .execute(conn)
    .await?;
    Ok(())
}

/// Inside a save's transaction: a change from the tool itself becomes the
/// base; any other save of a tool's record queues its write (a save that
/// resolves a conflict first sets the base it was resolved against and
/// clears the conflict). `changed`: the save made a new version.
#[allow(clippy::too_many_arguments)]
pub async fn on_save(
    conn: &mut SqliteConnection,
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
        return set_base(conn, record_id, fields).await;
    }
    if let Some(base) = source_base {
        set_base(conn, record_id, base).await?;
        sqlx::query(
            "update source_sync set conflict = null, conflict_version = null where record_id = $1",
        )
        .bind(record_id)
        .execute(&mut *conn)
        .await?;
    } else if !changed {
        return Ok(());
    }
    sqlx::query(
        "insert into source_sync (record_id, pending_version, next_at) values ($1, $2, $3)
         on conflict (record_id) do update set pending_version = excluded.pending_version,
             next_at = excluded.next_at, attempts = 0, last_error = null",
    )
    .bind(record_id)
    .bind(version)
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn state(pool: &SqlitePool, record_id: &str) -> StoreResult<Option<SourceState>> {
    let Some(row) = sqlx::query("select * from source_sync where record_id = $1")
        .bind(record_id)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let base: Option<String> = row.try_get("base")?;
    let conflict: Option<String> = row.try_get("conflict")?;
    let sending: Option<String> = row.try_get("sending")?;
    let conflict_version: Option<i64> = row.try_get("conflict_version")?;
    Ok(Some(SourceState {
        base: base.as_deref().map(parse_fields).transpose()?,
        pending_version: row.try_get("pending_version")?,
        sending: sending.as_deref().map(parse_fields).transpose()?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        conflict: match conflict {
            Some(text) => Some((parse_fields(&text)?, conflict_version.unwrap_or(0))),
            None => None,
        },
    }))
}

/// See [`Store::source_writes`](crate::store::Store::source_writes).
pub async fn writes(pool: &SqlitePool, connector: &str) -> StoreResult<SourceWrites> {
    let row = sqlx::query(
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
    )
    .bind(connector)
    .fetch_one(pool)
    .await?;
    let last_error: Option<String> = sqlx::query_scalar(
        "select s.last_error from source_sync s join records r on r.id = s.record_id
         where r.connector = $1 and s.last_error is not null and s.conflict is null
         order by s.next_at desc, s.record_id limit 1",
    )
    .bind(connector)
    .fetch_optional(pool)
    .await?;
    let count = |name: &str| -> StoreResult<u64> {
        Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
    };
    Ok(SourceWrites {
        waiting: count("waiting")?,
        retrying: count("retrying")?,
        conflicts: count("conflicts")?,
        refused: count("refused")?,
        last_error,
    })
}

pub async fn due(
    pool: &SqlitePool,
    connector: &str,
    now: i64,
    limit: u32,
) -> StoreResult<Vec<String>> {
    let rows = sqlx::query(
        "select s.record_id from source_sync s join records r on r.id = s.record_id
         where s.pending_version is not null and s.conflict is null and s.next_at <= $1
           and r.connector = $2
         order by s.next_at, s.record_id limit $3",
    )
    .bind(now)
    .bind(connector)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| Ok(row.try_get("record_id")?))
        .collect()
}

pub async fn claim(
    pool: &SqlitePool,
    record_id: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> StoreResult<bool> {
    let taken = sqlx::query(
        "update source_sync set lease_holder = $2, lease_until = $3
         where record_id = $1
           and (lease_holder is null or lease_until < $4 or lease_holder = $2)",
    )
    .bind(record_id)
    .bind(holder)
    .bind(until)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(taken.rows_affected() == 1)
}

pub async fn release(pool: &SqlitePool, record_id: &str, holder: &str) -> StoreResult<()> {
    sqlx::query(
        "update source_sync set lease_holder = null, lease_until = null
         where record_id = $1 and lease_holder = $2",
    )
    .bind(record_id)
    .bind(holder)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn finish(
    pool: &SqlitePool,
    record_id: &str,
    sent_version: i64,
    base: &RecordFields,
    log: &LogEntry,
) -> StoreResult<()> {
    let mut tx = super::write_tx(pool).await?;
    // A save that came in during the write keeps its newer version queued.
    sqlx::query(
        "update source_sync set base = $2, sending = null, conflict = null,
             conflict_version = null, attempts = 0, last_error = null,
             pending_version = case when pending_version <= $3 then null
                                    else pending_version end
         where record_id = $1",
    )
    .bind(record_id)
    .bind(fields_json(base))
    .bind(sent_version)
    .execute(&mut *tx)
    .await?;
    insert_log(&mut tx, log).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn sending(pool: &SqlitePool, record_id: &str, fields: &RecordFields) -> StoreResult<()> {
    sqlx::query("update source_sync set sending = $2 where record_id = $1")
        .bind(record_id)
        .bind(fields_json(fields))
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn retry(
    pool: &SqlitePool,
    record_id: &str,
    next_at: i64,
    error: &str,
) -> StoreResult<()> {
    sqlx::query(
        "update source_sync set attempts = attempts + 1, next_at = $2, last_error = $3
         where record_id = $1",
    )
    .bind(record_id)
    .bind(next_at)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn drop_write(pool: &SqlitePool, record_id: &str, log: &LogEntry) -> StoreResult<()> {
    let mut tx = super::write_tx(pool).await?;
    sqlx::query(
        "update source_sync set pending_version = null, sending = null, attempts = 0,
             last_error = $2
         where record_id = $1",
    )
    .bind(record_id)
    .bind(&log.result)
    .execute(&mut *tx)
    .await?;
    insert_log(&mut tx, log).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn conflict(
    pool: &SqlitePool,
    record_id: &str,
    theirs: &RecordFields,
    version: i64,
    log: &LogEntry,
) -> StoreResult<()> {
    let mut tx = super::write_tx(pool).await?;
    sqlx::query(
        "insert into source_sync (record_id, conflict, conflict_version) values ($1, $2, $3)
         on conflict (record_id) do update set conflict = excluded.conflict,
             conflict_version = excluded.conflict_version",
    )
    .bind(record_id)
    .bind(fields_json(theirs))
    .bind(version)
    .execute(&mut *tx)
    .await?;
    insert_log(&mut tx, log).await?;
    tx.commit().await?;
    Ok(())
}
