//! A new record's source base (the `source_sync` table), for
//! [`records::create_on`](super::records::create_on); the rest of the
//! table's code is written once in `sql/source.rs`.

use app::cards::RecordFields;
use sqlx::PgConnection;

use super::fields_json;
use crate::{store::StoreResult, sync::connector::BUILTIN};

/// A record just created from its tool: what it holds is the base.
pub async fn on_create(
    conn: &mut PgConnection,
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
    conn: &mut PgConnection,
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
