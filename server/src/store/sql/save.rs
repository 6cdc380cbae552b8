//! A save of a record's fields against the version its editor saw: one
//! transaction writes the new version, its history row, its sync-log row
//! and an outbox row for each card showing the record, or refuses the
//! save as a conflict.
//!
//! The version check and the write are one step on both backends: on
//! SQLite the process's write mutex and the transaction's `IMMEDIATE`
//! start keep every other writer out; on PostgreSQL the record's row is
//! read under its lock ([`RECORD_LOCK`](super::dialect::RECORD_LOCK)),
//! so a concurrent save of the record waits until this one commits, then
//! reads the version this one wrote and is refused as a conflict. Of two
//! instances saving one record against the same version exactly one
//! succeeds.

use crate::clock::now;
use std::sync::LazyLock;

use app::cards::{RecordFields, RecordSnapshot};
use sqlx::types::Json;

use super::{
    db::{execute, fetch_all, Db, Durability, Tx},
    dialect::Backend,
    log,
    records::{enqueue_linked, enqueue_linked_statement, get_on, in_key_order, insert_version},
    rows::card_key,
    source,
};
use crate::store::{
    with_tool_details, CardKey, LogEntry, RecordSave, Saved, StoreError, StoreResult,
};

pub(in crate::store) async fn save(db: &Db, save: RecordSave<'_>) -> StoreResult<Saved> {
    let mut tx = db.begin(Durability::Full).await?;
    // On PostgreSQL under the row lock `for no key update` rather than
    // `for update`: the id is not changed, so rows that merely reference
    // the record (a new link, a version row) need not wait for the save.
    let current = get_on(&mut tx, save.record_id, true)
        .await?
        .ok_or_else(|| StoreError::NoRecord(save.record_id.to_owned()))?;
    if current.snapshot.version != save.base_version {
        log::insert(
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
    let fields = &with_tool_details(save.fields, &current, save.origin);
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
    let cards = match tx.backend() {
        Backend::Sqlite => write_in_one_script(&mut tx, &save, version, fields).await?,
        Backend::Postgres => {
            write_in_statements(&mut tx, &save, current.snapshot.version, fields).await?
        }
    };
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

/// SQLite: the new version, its history and log rows, and an outbox row
/// for each of the record's cards, in one call. sqlx runs a query's
/// statements in turn on the connection's thread, so the four writes are
/// one round trip to it rather than four (each costs 80 to 140 µs on 2
/// busy cores, and the save waits for them under the write lock). sqlx
/// 0.8 (pinned by Cargo.lock) runs several statements in one query and
/// numbers their arguments together; its authors mean to drop that
/// (launchbadge/sqlx#3108), and store_suite's save tests check every row
/// written here, so an upgrade that drops it fails them rather than
/// saving half a record.
async fn write_in_one_script(
    tx: &mut Tx,
    save: &RecordSave<'_>,
    version: i64,
    fields: &RecordFields,
) -> StoreResult<Vec<CardKey>> {
    let cards = fetch_all!(
        tx(tx),
        SAVE_SCRIPT.as_str(),
        [
            save.record_id,
            save.origin,
            now(),
            version,
            Json(fields),
            save.actor
        ],
        card_key
    )?;
    Ok(in_key_order(cards))
}

/// A save's writes on SQLite once its record is read (see
/// [`write_in_one_script`]): `$1` record, `$2` origin, `$3` time, `$4`
/// new version, `$5` its fields, `$6` actor. Only the last statement
/// returns rows: the cards queued.
static SAVE_SCRIPT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "update records set version = $4, fields = $5, updated_at = $3 where id = $1;
         insert into record_versions (record_id, version, fields, origin, actor, created_at)
             values ($1, $4, $5, $2, $6, $3);
         insert into sync_log (at, record_id, origin, actor, action, result)
             values ($3, $1, $2, $6, 'save', 'version ' || $4);
         {};",
        enqueue_linked_statement(Backend::Sqlite)
    )
});

/// PostgreSQL: the same writes as [`SAVE_SCRIPT`], one statement each,
/// under the record's row lock; `current` is the version read under it.
async fn write_in_statements(
    tx: &mut Tx,
    save: &RecordSave<'_>,
    current: i64,
    fields: &RecordFields,
) -> StoreResult<Vec<CardKey>> {
    let version = current + 1;
    // The `version` condition is redundant under the lock; it keeps the
    // update correct on its own should the lock ever be dropped.
    let updated = execute!(
        tx(tx),
        "update records set version = $1, fields = $2, updated_at = $3
         where id = $4 and version = $5",
        [version, Json(fields), now(), save.record_id, current]
    )?;
    if updated != 1 {
        return Err(StoreError::Corrupt(format!(
            "record {} changed under its row lock",
            save.record_id
        )));
    }
    insert_version(tx, save.record_id, version, fields, save.origin, save.actor).await?;
    log::insert(
        tx,
        &LogEntry::record(
            save.record_id,
            save.origin,
            save.actor,
            "save",
            format!("version {version}"),
        ),
    )
    .await?;
    enqueue_linked(tx, save.record_id, save.origin).await
}
