//! Creating a record inside a transaction: what this backend's board code
//! still calls (the store's record methods are written once in
//! `sql/records.rs`).

use app::cards::RecordFields;
use sqlx::PgConnection;

use super::{fields_json, insert_log, record_row, source, RECORD_COLUMNS};
use crate::store::{new_id, now, LogEntry, NewRecord, RecordRow, StoreError, StoreResult};

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
