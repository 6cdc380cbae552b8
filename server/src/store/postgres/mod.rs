//! The PostgreSQL store: the same tables as the SQLite store (migrations in
//! `migrations/postgres/`, each the twin of its SQLite file), for several
//! server instances writing to one database at once.
//!
//! SQLite serialises this process's writes with a mutex; here other
//! processes write too, so nothing may rely on a value read earlier still
//! holding. Every read that decides a write either is the write (a
//! conditional `update`, `insert … on conflict`, `delete … returning`) or
//! locks the rows it read (`select … for update` / `for share`) inside the
//! transaction that writes. Transactions run at PostgreSQL's default
//! isolation, read committed, where a locked read sees the newest
//! committed row. Locks are taken in one order, a record's row, then card
//! links (several in key order), then outbox rows, so that transactions
//! wait for each other rather than deadlock.

pub(in crate::store) mod records;
mod search;
mod source;

use std::{str::FromStr, time::Duration};

use app::{
    cards::{RecordFields, RecordSnapshot, SourceDetails},
    panel::SourceWrites,
};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions, PgRow},
    PgConnection, PgPool, Row,
};

use super::{
    CardKey, LogEntry, NewRecord, RecordMatches, RecordRow, RecordSave, Saved, SecretKey,
    SourceState, StoreError, StoreResult,
};

/// Connections per process for the relaxed writes (beside the pool's).
const RELAXED_CONNECTIONS: u32 = 2;

/// Connections per process unless the URL says otherwise: enough for the
/// request handlers and the background workers at once, and small enough
/// that several instances stay well under PostgreSQL's default of 100.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// The URL's query parameter that sets the pool size
/// (`postgres://…/db?max_connections=20`). It is ours, not libpq's, so it
/// is taken out before the URL reaches the driver.
const MAX_CONNECTIONS_PARAM: &str = "max_connections";

/// The columns a [`RecordRow`] is read from. `fields` is jsonb; it is read
/// as its text and parsed with serde, as the SQLite store does.
const RECORD_COLUMNS: &str =
    "id, connector, external_id, version, fields::text as fields, source_deleted, scope, updated_at";

/// The PostgreSQL-backed [`Store`]. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pub(in crate::store) pool: PgPool,
    /// The same database with `synchronous_commit = off`, for bookkeeping
    /// that is re-derivable (tickets, OAuth states, leases, the outbox's
    /// progress marks), as the SQLite store's `relaxed` pool: a commit
    /// returns before its WAL reaches the disk; a crash of the database
    /// server can lose its last fraction of a second, never a commit made
    /// durable after it.
    pub(in crate::store) relaxed: PgPool,
    pub(in crate::store) key: SecretKey,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://` or
    /// `postgresql://`, with an optional `max_connections` parameter) and
    /// brings its schema up to date. Several instances may start at once:
    /// sqlx's migrator holds an advisory lock while it migrates.
    pub async fn open(url: &str, key: SecretKey) -> StoreResult<Self> {
        let (url, max_connections) = split_pool_size(url)?;
        let options = PgConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Url(e.to_string()))?
            .application_name("miro-cards");
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let relaxed = PgPoolOptions::new()
            .max_connections(RELAXED_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options.options([("synchronous_commit", "off")]));
        Ok(Self { pool, relaxed, key })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.relaxed.close().await;
        self.pool.close().await;
    }
}

/// The URL without our `max_connections` parameter, and the pool size it
/// asked for (or the default).
fn split_pool_size(url: &str) -> StoreResult<(String, u32)> {
    // A parse error's message never repeats the URL, so no password ends
    // up in a log.
    let mut parsed = url::Url::parse(url).map_err(|e| StoreError::Url(e.to_string()))?;
    let mut size = DEFAULT_MAX_CONNECTIONS;
    let mut kept = Vec::new();
    for (name, value) in parsed.query_pairs() {
        if name == MAX_CONNECTIONS_PARAM {
            size = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                StoreError::Url(format!(
                    "{MAX_CONNECTIONS_PARAM} must be a whole number above 0, not '{value}'"
                ))
            })?;
        } else {
            kept.push((name.into_owned(), value.into_owned()));
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok((parsed.into(), size))
}

fn fields_json(fields: &RecordFields) -> String {
    serde_json::to_string(fields).expect("record fields always serialize")
}

fn parse_fields(text: &str) -> StoreResult<RecordFields> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("record fields: {e}")))
}

/// A record from a row holding [`RECORD_COLUMNS`].
fn record_row(row: &PgRow) -> StoreResult<RecordRow> {
    Ok(RecordRow {
        snapshot: RecordSnapshot {
            id: row.try_get("id")?,
            version: row.try_get("version")?,
            fields: parse_fields(&row.try_get::<String, _>("fields")?)?,
        },
        connector: row.try_get("connector")?,
        external_id: row.try_get("external_id")?,
        source_deleted: row.try_get("source_deleted")?,
        scope: row.try_get("scope")?,
    })
}

fn card_key(row: &PgRow) -> StoreResult<CardKey> {
    Ok(CardKey::new(
        row.try_get::<String, _>("board_id")?,
        row.try_get::<String, _>("item_id")?,
    ))
}

/// Inserts a sync-log row on `conn` (inside the caller's transaction).
async fn insert_log(conn: &mut PgConnection, entry: &LogEntry) -> StoreResult<()> {
    sqlx::query(
        "insert into sync_log (at, record_id, board_id, item_id, origin, actor, action, result)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entry.at)
    .bind(&entry.record_id)
    .bind(&entry.board_id)
    .bind(&entry.item_id)
    .bind(&entry.origin)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.result)
    .execute(conn)
    .await?;
    Ok(())
}

/// The store's operations on this backend, as `sql::SqlStore` calls them
/// (one method a [`Store`] method, same contract).
impl PgStore {
    pub(in crate::store) async fn create_record(
        &self,
        new: NewRecord<'_>,
    ) -> StoreResult<RecordRow> {
        records::create(&self.pool, new).await
    }

    pub(in crate::store) async fn record(&self, id: &str) -> StoreResult<Option<RecordRow>> {
        records::get(&self.pool, id).await
    }

    pub(in crate::store) async fn record_by_external(
        &self,
        connector: &str,
        external_id: &str,
    ) -> StoreResult<Option<RecordRow>> {
        records::by_external(&self.pool, connector, external_id).await
    }

    pub(in crate::store) async fn find_records(
        &self,
        scopes: &[String],
        query: &app::panel::RecordQuery,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<RecordMatches> {
        search::find(&self.pool, scopes, query, after, limit).await
    }

    pub(in crate::store) async fn record_facets(
        &self,
        scopes: &[String],
    ) -> StoreResult<(Vec<String>, Vec<String>)> {
        search::facets(&self.pool, scopes).await
    }

    pub(in crate::store) async fn boards_of_records(
        &self,
        record_ids: &[String],
        team_id: &str,
    ) -> StoreResult<std::collections::HashMap<String, Vec<String>>> {
        search::boards_of(&self.pool, record_ids, team_id).await
    }

    pub(in crate::store) async fn record_version(
        &self,
        id: &str,
        version: i64,
    ) -> StoreResult<Option<RecordFields>> {
        records::version(&self.pool, id, version).await
    }

    pub(in crate::store) async fn search_records(
        &self,
        query: &str,
        limit: u32,
    ) -> StoreResult<Vec<RecordRow>> {
        records::search(&self.pool, query, limit).await
    }

    pub(in crate::store) async fn save_record(&self, save: RecordSave<'_>) -> StoreResult<Saved> {
        records::save(&self.pool, save).await
    }

    pub(in crate::store) async fn set_source_details(
        &self,
        record_id: &str,
        version: i64,
        details: &SourceDetails,
        origin: &str,
    ) -> StoreResult<Vec<CardKey>> {
        records::set_source_details(&self.pool, record_id, version, details, origin).await
    }

    pub(in crate::store) async fn set_source_deleted(
        &self,
        record_id: &str,
        deleted: bool,
        origin: &str,
    ) -> StoreResult<Vec<CardKey>> {
        records::set_source_deleted(&self.pool, record_id, deleted, origin).await
    }

    /// The trait's default: the claim, then the two reads.
    pub(in crate::store) async fn source_state(
        &self,
        record_id: &str,
    ) -> StoreResult<Option<SourceState>> {
        source::state(&self.pool, record_id).await
    }

    pub(in crate::store) async fn source_writes(
        &self,
        connector: &str,
    ) -> StoreResult<SourceWrites> {
        source::writes(&self.pool, connector).await
    }

    pub(in crate::store) async fn due_source_writes(
        &self,
        connector: &str,
        now: i64,
        limit: u32,
    ) -> StoreResult<Vec<String>> {
        source::due(&self.pool, connector, now, limit).await
    }

    pub(in crate::store) async fn claim_source_write(
        &self,
        record_id: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        source::claim(&self.relaxed, record_id, holder, now, until).await
    }

    pub(in crate::store) async fn release_source_write(
        &self,
        record_id: &str,
        holder: &str,
    ) -> StoreResult<()> {
        source::release(&self.relaxed, record_id, holder).await
    }

    pub(in crate::store) async fn mark_source_sending(
        &self,
        record_id: &str,
        fields: &RecordFields,
    ) -> StoreResult<()> {
        source::sending(&self.pool, record_id, fields).await
    }

    pub(in crate::store) async fn finish_source_write(
        &self,
        record_id: &str,
        sent_version: i64,
        base: &RecordFields,
        log: &LogEntry,
    ) -> StoreResult<()> {
        source::finish(&self.pool, record_id, sent_version, base, log).await
    }

    pub(in crate::store) async fn retry_source_write(
        &self,
        record_id: &str,
        next_at: i64,
        error: &str,
    ) -> StoreResult<()> {
        source::retry(&self.pool, record_id, next_at, error).await
    }

    pub(in crate::store) async fn drop_source_write(
        &self,
        record_id: &str,
        log: &LogEntry,
    ) -> StoreResult<()> {
        source::drop_write(&self.pool, record_id, log).await
    }

    pub(in crate::store) async fn set_source_conflict(
        &self,
        record_id: &str,
        theirs: &RecordFields,
        version: i64,
        log: &LogEntry,
    ) -> StoreResult<()> {
        source::conflict(&self.pool, record_id, theirs, version, log).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_size_comes_out_of_the_url() {
        assert_eq!(
            split_pool_size("postgres://u:p@h:5432/db").unwrap(),
            (
                "postgres://u:p@h:5432/db".to_owned(),
                DEFAULT_MAX_CONNECTIONS
            )
        );
        assert_eq!(
            split_pool_size("postgresql://h/db?sslmode=require&max_connections=25").unwrap(),
            ("postgresql://h/db?sslmode=require".to_owned(), 25)
        );
        assert_eq!(
            split_pool_size("postgres://h/db?max_connections=3").unwrap(),
            ("postgres://h/db".to_owned(), 3)
        );
        for bad in ["0", "-1", "many"] {
            let url = format!("postgres://u:secret@h/db?max_connections={bad}");
            let message = split_pool_size(&url).unwrap_err().to_string();
            assert!(message.contains("max_connections"), "{message}");
            assert!(!message.contains("secret"), "{message}");
        }
    }
}
