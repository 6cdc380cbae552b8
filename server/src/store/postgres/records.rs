//! Records and their versions. A save is one transaction: the new
//! version, its history row, its sync-log row and an outbox row for each
//! linked card. The version check holds the record's row lock until the
//! save commits, so of two instances saving one record against the same
//! version exactly one succeeds and the other gets a conflict.

use app::cards::{RecordFields, RecordSnapshot, SourceDetails};
use sqlx::{PgConnection, PgPool, Row};

use super::{fields_json, insert_log, parse_fields, record_row, source, RECORD_COLUMNS};
use crate::store::{
    new_id, now, CardKey, LogEntry, NewRecord, RecordRow, RecordSave, Saved, StoreError,
    StoreResult,
};

pub async fn create(pool: &PgPool, new: NewRecord<'_>) -> StoreResult<RecordRow> {
    let mut tx = pool.begin().await?;
    let row = create_on(&mut tx, new).await?;
    tx.commit().await?;
    Ok(row)
}

/// Creates a record inside the caller's transaction.
pub async fn create_on(tx: &mut PgConnection, new: NewRecord<'_>) -> StoreResult<RecordRow> {
    let id = new_id("rec");
    let external_id = new.external_id.unwrap_or(&id).to_owned();
    let at = now();
    // `on conflict do nothing` waits for a concurrent insert of the same
    // item to commit or roll back, then inserts nothing if it committed:
    // two instances creating one item get one record and one `Duplicate`.
    let inserted = sqlx::query(
        "insert into records (id, connector, external_id, version, fields, scope, created_at, updated_at)
         values ($1, $2, $3, 1, $4::jsonb, $6, $5, $5)
         on conflict (connector, external_id) do nothing",
    )
    .bind(&id)
    .bind(new.connector)
    .bind(&external_id)
    .bind(fields_json(new.fields))
    .bind(at)
    .bind(new.scope)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(StoreError::Duplicate {
            connector: new.connector.to_owned(),
            external_id,
        });
    }
    insert_version(tx, &id, 1, new.fields, new.origin, new.actor).await?;
    source::on_create(tx, &id, new.connector, new.fields).await?;
    insert_log(
        tx,
        &LogEntry::record(&id, new.origin, new.actor, "create", "version 1"),
    )
    .await?;
    get_on(tx, &id, "").await?.ok_or(StoreError::NoRecord(id))
}

async fn insert_version(
    conn: &mut PgConnection,
    id: &str,
    version: i64,
    fields: &RecordFields,
    origin: &str,
    actor: &str,
) -> StoreResult<()> {
    sqlx::query(
        "insert into record_versions (record_id, version, fields, origin, actor, created_at)
         values ($1, $2, $3::jsonb, $4, $5, $6)",
    )
    .bind(id)
    .bind(version)
    .bind(fields_json(fields))
    .bind(origin)
    .bind(actor)
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Reads a record on `conn`; `lock` is appended to the query (`""`, or
/// a row lock held until the transaction ends).
async fn get_on(conn: &mut PgConnection, id: &str, lock: &str) -> StoreResult<Option<RecordRow>> {
    let row = sqlx::query(&format!(
        "select {RECORD_COLUMNS} from records where id = $1 {lock}"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(record_row).transpose()
}

pub async fn get(pool: &PgPool, id: &str) -> StoreResult<Option<RecordRow>> {
    let mut conn = pool.acquire().await?;
    get_on(&mut conn, id, "").await
}

pub async fn by_external(
    pool: &PgPool,
    connector: &str,
    external_id: &str,
) -> StoreResult<Option<RecordRow>> {
    let row = sqlx::query(&format!(
        "select {RECORD_COLUMNS} from records where connector = $1 and external_id = $2"
    ))
    .bind(connector)
    .bind(external_id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(record_row).transpose()
}

pub async fn version(pool: &PgPool, id: &str, version: i64) -> StoreResult<Option<RecordFields>> {
    let row = sqlx::query(
        "select fields::text as fields from record_versions where record_id = $1 and version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(pool)
    .await?;
    row.map(|row| parse_fields(&row.try_get::<String, _>("fields")?))
        .transpose()
}

/// An `ilike` pattern matching `text` anywhere, with `%`, `_` and `\`
/// taken literally.
pub fn contains(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

pub async fn search(pool: &PgPool, query: &str, limit: u32) -> StoreResult<Vec<RecordRow>> {
    // `ilike` ignores case as SQLite's `like` does (and beyond ASCII too).
    let rows = sqlx::query(&format!(
        "select {RECORD_COLUMNS} from records where fields->>'title' ilike $1 escape '\\'
         order by updated_at desc, id limit $2"
    ))
    .bind(contains(query))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(record_row).collect()
}

pub async fn save(pool: &PgPool, save: RecordSave<'_>) -> StoreResult<Saved> {
    let mut tx = pool.begin().await?;
    // The row lock makes the check and the write one step: a concurrent
    // save of this record waits here until this one commits, then reads
    // the version this one wrote and is refused as a conflict.
    // `no key update` rather than `update`: the id is not changed, so
    // rows that merely reference the record (a new link, a version row)
    // need not wait for the save.
    let current = get_on(&mut tx, save.record_id, "for no key update")
        .await?
        .ok_or_else(|| StoreError::NoRecord(save.record_id.to_owned()))?;
    if current.snapshot.version != save.base_version {
        insert_log(
            &mut tx,
            &LogEntry::record(
                save.record_id,
                save.origin,
                save.actor,
                "save",
                format!(
                    "conflict: based on version {}, record is at {}",
                    save.base_version, current.snapshot.version
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        return Err(StoreError::Conflict {
            current: Box::new(current.snapshot),
        });
    }
    // The tool's details are the tool's: a save from Miro keeps them.
    let fields = &super::super::with_tool_details(save.fields, &current, save.origin);
    if &current.snapshot.fields == fields {
        // Nothing changed (a repeated save, or an echo from the source):
        // no new version and no card writes. A save resolving a conflict
        // with the tool still settles it.
        if save.source_base.is_some() {
            source::on_save(
                &mut tx,
                save.record_id,
                &current.connector,
                save.origin,
                current.snapshot.version,
                fields,
                save.source_base,
                false,
            )
            .await?;
            tx.commit().await?;
        }
        return Ok(Saved {
            record: current.snapshot,
            cards: Vec::new(),
        });
    }
    let version = current.snapshot.version + 1;
    // The `version` condition is redundant under the lock; it keeps the
    // update correct on its own should the lock ever be dropped.
    let updated = sqlx::query(
        "update records set version = $1, fields = $2::jsonb, updated_at = $3
         where id = $4 and version = $5",
    )
    .bind(version)
    .bind(fields_json(fields))
    .bind(now())
    .bind(save.record_id)
    .bind(current.snapshot.version)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Corrupt(format!(
            "record {} changed under its row lock",
            save.record_id
        )));
    }
    insert_version(
        &mut tx,
        save.record_id,
        version,
        fields,
        save.origin,
        save.actor,
    )
    .await?;
    insert_log(
        &mut tx,
        &LogEntry::record(
            save.record_id,
            save.origin,
            save.actor,
            "save",
            format!("version {version}"),
        ),
    )
    .await?;
    let cards = enqueue_linked(&mut tx, save.record_id, save.origin).await?;
    source::on_save(
        &mut tx,
        save.record_id,
        &current.connector,
        save.origin,
        version,
        fields,
        save.source_base,
        true,
    )
    .await?;
    tx.commit().await?;
    // What was just written, so not read back.
    Ok(Saved {
        record: RecordSnapshot {
            id: current.snapshot.id,
            version,
            fields: fields.clone(),
        },
        cards,
    })
}

/// See [`Store::set_source_details`](crate::store::Store::set_source_details).
pub async fn set_source_details(
    pool: &PgPool,
    record_id: &str,
    version: i64,
    details: &SourceDetails,
    origin: &str,
) -> StoreResult<Vec<CardKey>> {
    let mut tx = pool.begin().await?;
    let Some(current) = get_on(&mut tx, record_id, "for no key update").await? else {
        return Ok(Vec::new());
    };
    if current.snapshot.version != version || current.snapshot.fields.source == *details {
        return Ok(Vec::new());
    }
    let fields = RecordFields {
        source: details.clone(),
        ..current.snapshot.fields
    };
    sqlx::query("update records set fields = $1, updated_at = $2 where id = $3")
        .bind(fields_json(&fields))
        .bind(now())
        .bind(record_id)
        .execute(&mut *tx)
        .await?;
    let cards = enqueue_linked(&mut tx, record_id, origin).await?;
    tx.commit().await?;
    Ok(cards)
}

/// Queues a write for every card that shows the record. The caller holds
/// the record's row, so linking a card to it waits (see links::link) and
/// then queues its own write. The links read are share-locked in key
/// order: unlinking one of them meanwhile waits for this commit and then
/// drops the write queued here with the card's others, instead of leaving
/// a write for a card that is gone.
async fn enqueue_linked(
    conn: &mut PgConnection,
    record_id: &str,
    origin: &str,
) -> StoreResult<Vec<CardKey>> {
    // One statement for every card of the record: a record on 200 cards
    // is one round trip, not 201.
    let rows = sqlx::query(
        "insert into outbox (board_id, item_id, origin, next_attempt_at, created_at, updated_at,
             in_flight)
         select board_id, item_id, $2, $3, $3, $3, false from card_links where record_id = $1
         order by board_id, item_id for share
         returning board_id, item_id",
    )
    .bind(record_id)
    .bind(origin)
    .bind(now())
    .fetch_all(&mut *conn)
    .await?;
    let mut cards = rows
        .iter()
        .map(super::card_key)
        .collect::<StoreResult<Vec<_>>>()?;
    // RETURNING promises no order.
    cards.sort_by(|a, b| (&a.board_id, &a.item_id).cmp(&(&b.board_id, &b.item_id)));
    Ok(cards)
}

pub async fn set_source_deleted(
    pool: &PgPool,
    record_id: &str,
    deleted: bool,
    origin: &str,
) -> StoreResult<Vec<CardKey>> {
    let mut tx = pool.begin().await?;
    // The condition is the check: of two instances flipping the flag at
    // once, the second's update waits, re-reads the flipped row and
    // changes nothing.
    let changed = sqlx::query(
        "update records set source_deleted = $1, updated_at = $2
         where id = $3 and source_deleted <> $1",
    )
    .bind(deleted)
    .bind(now())
    .bind(record_id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        if get_on(&mut tx, record_id, "").await?.is_none() {
            return Err(StoreError::NoRecord(record_id.to_owned()));
        }
        return Ok(Vec::new());
    }
    let status = if deleted { "disabled" } else { "connected" };
    // The links are locked in key order before they change, as every
    // multi-row change of card_links does, so two such changes cannot
    // deadlock. Linking a card to this record meanwhile waits on the
    // record's row (see links::link) and then reads the new flag.
    sqlx::query(
        "select 1 from card_links where record_id = $1 order by board_id, item_id for update",
    )
    .bind(record_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update card_links set status = $1, updated_at = $2 where record_id = $3")
        .bind(status)
        .bind(now())
        .bind(record_id)
        .execute(&mut *tx)
        .await?;
    insert_log(
        &mut tx,
        &LogEntry::record(
            record_id,
            origin,
            origin,
            if deleted {
                "source deleted"
            } else {
                "source restored"
            },
            format!("cards {status}"),
        ),
    )
    .await?;
    let cards = enqueue_linked(&mut tx, record_id, origin).await?;
    tx.commit().await?;
    Ok(cards)
}
