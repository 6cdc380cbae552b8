//! The SQLite store: one database file (WAL mode), migrated at start-up.
//!
//! Writes in this process go through one lock, and every write
//! transaction begins `IMMEDIATE`, taking the database's write lock first
//! (waiting up to the busy timeout for another process, such as `server
//! sync` beside a running server): a deferred transaction that read first
//! would be refused its upgrade to a write (`SQLITE_BUSY_SNAPSHOT`) rather
//! than wait. Readers are not held up: WAL lets them read while a write is
//! under way.
//!
//! Two durabilities, by what a write is for:
//! - `synchronous = FULL` (the main pool) makes a commit durable before it
//!   returns, so an acknowledged save, a link, a rotated token survive a
//!   crash or a power cut.
//! - `synchronous = NORMAL` (the `relaxed` pool) for bookkeeping that is
//!   re-derivable: OAuth states (one use, ten minutes' life), leases (they
//!   run out), and the card outbox's progress marks (a write whose mark is
//!   lost is sent again, with the same content). In WAL mode such a commit
//!   survives the process crashing; only a power cut or an OS crash can
//!   lose its last milliseconds, and never anything a FULL commit wrote
//!   after it (the log is synced in order). Four of a save's five commits
//!   skip the disk's flush this way; the save's own commit does not.
//!
//! Tickets are not in the file at all but in the process's memory
//! (`tickets.rs`), so opening a card writes nothing.

pub(in crate::store) mod records;
mod search;
mod source;
mod tickets;

use std::{str::FromStr, sync::Arc, time::Duration};

use app::{
    cards::{RecordFields, RecordSnapshot, SourceDetails},
    panel::SourceWrites,
};

use sqlx::{
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
    },
    Row, SqlitePool,
};
use tokio::sync::Mutex;

use super::{
    CardKey, LogEntry, NewRecord, RecordMatches, RecordRow, RecordSave, Saved, SecretKey,
    SourceState, StoreError, StoreResult,
};

/// How much of the database file connections map into memory (address
/// space, not memory: only the pages read are resident, and the kernel
/// shares them between connections).
const MMAP_BYTES: u64 = 256 * 1024 * 1024;

/// The SQLite-backed [`Store`]. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    pub(in crate::store) pool: SqlitePool,
    /// The same database, for writes that need not wait for the disk
    /// (see the module docs).
    pub(in crate::store) relaxed: SqlitePool,
    pub(in crate::store) key: SecretKey,
    pub(in crate::store) write: Arc<Mutex<()>>,
    /// Tickets are kept in memory, not in the file (see `tickets.rs`).
    pub(in crate::store) tickets: tickets::TicketBook,
}

impl SqliteStore {
    /// Opens (creating it and its folder if needed) the database at `url`
    /// (`sqlite://path/to/file.db`) and brings its schema up to date.
    pub async fn open(url: &str, key: SecretKey) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Url(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Reads straight from the mapped file rather than a `pread`
            // into each connection's page cache, which every write by
            // another connection invalidates: the open and save paths
            // read on one connection what another just wrote.
            .pragma("mmap_size", MMAP_BYTES.to_string());
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Url(format!("{}: {e}", dir.display())))?;
            }
        }
        // No ping before each use: the database is a file this process has
        // open, so a connection cannot have gone away, and the ping is a
        // round trip to the connection's thread on every store call.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let relaxed = SqlitePoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_lazy_with(options.synchronous(SqliteSynchronous::Normal));
        Ok(Self {
            pool,
            relaxed,
            key,
            write: Arc::default(),
            tickets: tickets::TicketBook::default(),
        })
    }

    /// Closes every connection (the WAL is checkpointed into the file).
    pub async fn close(&self) {
        self.relaxed.close().await;
        self.pool.close().await;
    }
}

/// A write transaction, holding the database's write lock from its start.
async fn write_tx(pool: &SqlitePool) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

fn fields_json(fields: &RecordFields) -> String {
    serde_json::to_string(fields).expect("record fields always serialize")
}

fn parse_fields(text: &str) -> StoreResult<RecordFields> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("record fields: {e}")))
}

fn record_row(row: &SqliteRow) -> StoreResult<RecordRow> {
    Ok(RecordRow {
        snapshot: RecordSnapshot {
            id: row.try_get("id")?,
            version: row.try_get("version")?,
            fields: parse_fields(&row.try_get::<String, _>("fields")?)?,
        },
        connector: row.try_get("connector")?,
        external_id: row.try_get("external_id")?,
        source_deleted: row.try_get::<i64, _>("source_deleted")? != 0,
        scope: row.try_get("scope")?,
    })
}

/// Inserts a sync-log row on `conn` (inside the caller's transaction).
async fn insert_log(conn: &mut sqlx::SqliteConnection, entry: &LogEntry) -> StoreResult<()> {
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
impl SqliteStore {
    pub(in crate::store) async fn create_record(
        &self,
        new: NewRecord<'_>,
    ) -> StoreResult<RecordRow> {
        let _write = self.write.lock().await;
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
        let _write = self.write.lock().await;
        records::save(&self.pool, save).await
    }

    pub(in crate::store) async fn set_source_details(
        &self,
        record_id: &str,
        version: i64,
        details: &SourceDetails,
        origin: &str,
    ) -> StoreResult<Vec<CardKey>> {
        let _write = self.write.lock().await;
        records::set_source_details(&self.pool, record_id, version, details, origin).await
    }

    pub(in crate::store) async fn set_source_deleted(
        &self,
        record_id: &str,
        deleted: bool,
        origin: &str,
    ) -> StoreResult<Vec<CardKey>> {
        let _write = self.write.lock().await;
        records::set_source_deleted(&self.pool, record_id, deleted, origin).await
    }

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
        let _write = self.write.lock().await;
        source::claim(&self.relaxed, record_id, holder, now, until).await
    }

    pub(in crate::store) async fn release_source_write(
        &self,
        record_id: &str,
        holder: &str,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        source::release(&self.relaxed, record_id, holder).await
    }

    pub(in crate::store) async fn mark_source_sending(
        &self,
        record_id: &str,
        fields: &RecordFields,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        source::sending(&self.pool, record_id, fields).await
    }

    pub(in crate::store) async fn finish_source_write(
        &self,
        record_id: &str,
        sent_version: i64,
        base: &RecordFields,
        log: &LogEntry,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        source::finish(&self.pool, record_id, sent_version, base, log).await
    }

    pub(in crate::store) async fn retry_source_write(
        &self,
        record_id: &str,
        next_at: i64,
        error: &str,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        source::retry(&self.pool, record_id, next_at, error).await
    }

    pub(in crate::store) async fn drop_source_write(
        &self,
        record_id: &str,
        log: &LogEntry,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        source::drop_write(&self.pool, record_id, log).await
    }

    pub(in crate::store) async fn set_source_conflict(
        &self,
        record_id: &str,
        theirs: &RecordFields,
        version: i64,
        log: &LogEntry,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        source::conflict(&self.pool, record_id, theirs, version, log).await
    }
}
