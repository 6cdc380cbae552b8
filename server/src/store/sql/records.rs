//! Records and their versions: creating one, reading one, and the two
//! changes that come from the record's tool rather than an editor (its
//! details, and the item being deleted there). A save is in `save.rs`.
//!
//! On PostgreSQL a write that decides on the record's current row reads
//! it under the row lock [`RECORD_LOCK`], held until the transaction ends.

use crate::clock::now;
use crate::ids::new_id;
use app::cards::{RecordFields, SourceDetails};
use sqlx::types::Json;

use super::{
    db::{execute, fetch_all, fetch_optional, Db, Durability, Tx},
    dialect::{Backend, SqlText, LINKS_FOR_SHARE, RECORD_LOCK},
    log,
    rows::{card_key, parse_fields, record_row, Columns, RECORD_COLUMNS},
    source,
};
use crate::store::{CardKey, LogEntry, NewRecord, RecordRow, StoreError, StoreResult};

/// Creates a record in a transaction of its own.
pub(in crate::store) async fn create(db: &Db, new: NewRecord<'_>) -> StoreResult<RecordRow> {
    let mut tx = db.begin(Durability::Full).await?;
    let row = create_on(&mut tx, new).await?;
    tx.commit().await?;
    Ok(row)
}

/// Creates a record inside the caller's transaction: the record, its
/// first version, its source base (a tool's record) and its log row.
pub(in crate::store) async fn create_on(tx: &mut Tx, new: NewRecord<'_>) -> StoreResult<RecordRow> {
    let id = new_id("rec");
    let external_id = new.external_id.unwrap_or(&id).to_owned();
    let at = now();
    // On PostgreSQL `on conflict do nothing` waits for a concurrent insert
    // of the same item to commit or roll back, then inserts nothing if it
    // committed: two instances creating one item get one record and one
    // `Duplicate`.
    let inserted = execute!(
        tx(tx),
        "insert into records (id, connector, external_id, version, fields, scope, created_at,
             updated_at)
         values ($1, $2, $3, 1, $4, $6, $5, $5)
         on conflict (connector, external_id) do nothing",
        [
            &id,
            new.connector,
            &external_id,
            Json(new.fields),
            at,
            new.scope
        ]
    )?;
    if inserted == 0 {
        return Err(StoreError::Duplicate {
            connector: new.connector.to_owned(),
            external_id,
        });
    }
    insert_version(tx, &id, 1, new.fields, new.origin, new.actor).await?;
    source::on_create(tx, &id, new.connector, new.fields).await?;
    log::insert(
        tx,
        &LogEntry::record(&id, new.origin, new.actor, "create", "version 1"),
    )
    .await?;
    get_on(tx, &id, false)
        .await?
        .ok_or(StoreError::NoRecord(id))
}

/// A version's history row, inside the caller's transaction.
pub(super) async fn insert_version(
    tx: &mut Tx,
    id: &str,
    version: i64,
    fields: &RecordFields,
    origin: &str,
    actor: &str,
) -> StoreResult<()> {
    execute!(
        tx(tx),
        "insert into record_versions (record_id, version, fields, origin, actor, created_at)
         values ($1, $2, $3, $4, $5, $6)",
        [id, version, Json(fields), origin, actor, now()]
    )?;
    Ok(())
}

/// Reads a record inside the caller's transaction; `locked`: on
/// PostgreSQL under [`RECORD_LOCK`], for a write that decides on it.
pub(super) async fn get_on(tx: &mut Tx, id: &str, locked: bool) -> StoreResult<Option<RecordRow>> {
    let lock = if locked {
        RECORD_LOCK.text(tx.backend())
    } else {
        "".into()
    };
    fetch_optional!(
        tx(tx),
        format!("select {RECORD_COLUMNS} from records where id = $1 {lock}"),
        [id],
        record_row
    )
}

pub(in crate::store) async fn get(db: &Db, id: &str) -> StoreResult<Option<RecordRow>> {
    fetch_optional!(
        pool(db),
        format!("select {RECORD_COLUMNS} from records where id = $1"),
        [id],
        record_row
    )
}

pub(in crate::store) async fn by_external(
    db: &Db,
    connector: &str,
    external_id: &str,
) -> StoreResult<Option<RecordRow>> {
    fetch_optional!(
        pool(db),
        format!("select {RECORD_COLUMNS} from records where connector = $1 and external_id = $2"),
        [connector, external_id],
        record_row
    )
}

/// The fields a record had at `version`.
pub(in crate::store) async fn version(
    db: &Db,
    id: &str,
    version: i64,
) -> StoreResult<Option<RecordFields>> {
    fetch_optional!(
        pool(db),
        "select cast(fields as text) as fields from record_versions
         where record_id = $1 and version = $2",
        [id, version],
        |row| parse_fields(&row.text("fields")?)
    )
}

/// See [`Store::set_source_details`](crate::store::Store::set_source_details).
pub(in crate::store) async fn set_source_details(
    db: &Db,
    record_id: &str,
    version: i64,
    details: &SourceDetails,
    origin: &str,
) -> StoreResult<Vec<CardKey>> {
    let mut tx = db.begin(Durability::Full).await?;
    let Some(current) = get_on(&mut tx, record_id, true).await? else {
        return Ok(Vec::new());
    };
    if current.snapshot.version != version || current.snapshot.fields.source == *details {
        return Ok(Vec::new());
    }
    let fields = RecordFields {
        source: details.clone(),
        ..current.snapshot.fields
    };
    execute!(
        tx(&mut tx),
        "update records set fields = $1, updated_at = $2 where id = $3",
        [Json(&fields), now(), record_id]
    )?;
    let cards = enqueue_linked(&mut tx, record_id, origin).await?;
    tx.commit().await?;
    Ok(cards)
}

/// See [`Store::set_source_deleted`](crate::store::Store::set_source_deleted).
pub(in crate::store) async fn set_source_deleted(
    db: &Db,
    record_id: &str,
    deleted: bool,
    origin: &str,
) -> StoreResult<Vec<CardKey>> {
    let mut tx = db.begin(Durability::Full).await?;
    // The condition is the check: on PostgreSQL, of two instances flipping
    // the flag at once, the second's update waits, re-reads the flipped
    // row and changes nothing.
    let changed = execute!(
        tx(&mut tx),
        "update records set source_deleted = $1, updated_at = $2
         where id = $3 and source_deleted <> $1",
        [deleted, now(), record_id]
    )?;
    if changed == 0 {
        if get_on(&mut tx, record_id, false).await?.is_none() {
            return Err(StoreError::NoRecord(record_id.to_owned()));
        }
        return Ok(Vec::new());
    }
    let status = if deleted { "disabled" } else { "connected" };
    if tx.backend() == Backend::Postgres {
        // The links are locked in key order before they change, as every
        // multi-row change of card_links does, so two such changes cannot
        // deadlock (the record's row, updated above, comes first). Linking
        // a card to this record meanwhile waits on the record's row (see
        // the link's code) and then reads the new flag.
        execute!(
            tx(&mut tx),
            "select 1 from card_links where record_id = $1 order by board_id, item_id for update",
            [record_id]
        )?;
    }
    execute!(
        tx(&mut tx),
        "update card_links set status = $1, updated_at = $2 where record_id = $3",
        [status, now(), record_id]
    )?;
    log::insert(
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

/// An outbox row for every card showing record `$1`, from origin `$2`,
/// due at `$3`: one statement, so a record on 200 cards is one round trip,
/// not 201. On PostgreSQL the links read are share-locked in key order
/// ([`LINKS_FOR_SHARE`]; the caller holds the record's row, which comes
/// first): unlinking one of them meanwhile waits for this commit and then
/// drops the write queued here with the card's others, instead of leaving
/// a write for a card that is gone; linking a card to the record waits on
/// the record's row and then queues its own write.
pub(super) fn enqueue_linked_statement(backend: Backend) -> String {
    format!(
        "insert into outbox (board_id, item_id, origin, next_attempt_at,
             created_at, updated_at, in_flight)
         select board_id, item_id, $2, $3, $3, $3, false from card_links where record_id = $1
         order by board_id, item_id{lock}
         returning board_id, item_id",
        lock = LINKS_FOR_SHARE.text(backend)
    )
}

/// Queues a write for every card that shows the record (see
/// [`enqueue_linked_statement`]); the cards, in key order.
pub(super) async fn enqueue_linked(
    tx: &mut Tx,
    record_id: &str,
    origin: &str,
) -> StoreResult<Vec<CardKey>> {
    let statement = enqueue_linked_statement(tx.backend());
    let cards = fetch_all!(tx(tx), &statement, [record_id, origin, now()], card_key)?;
    Ok(in_key_order(cards))
}

/// Cards sorted by key: `returning` promises no order.
pub(super) fn in_key_order(mut cards: Vec<CardKey>) -> Vec<CardKey> {
    cards.sort_by(|a, b| (&a.board_id, &a.item_id).cmp(&(&b.board_id, &b.item_id)));
    cards
}
