//! SQLite's own part of the store: one database file (WAL mode), migrated
//! at start-up, its two pools and this process's write lock.
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

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};
use tokio::sync::Mutex;

use super::tickets::TicketBook;
use crate::store::{StoreError, StoreResult};

/// How much of the database file connections map into memory (address
/// space, not memory: only the pages read are resident, and the kernel
/// shares them between connections).
const MMAP_BYTES: u64 = 256 * 1024 * 1024;

/// The SQLite database under a [`SqlStore`](super::SqlStore). Cheap to
/// clone.
#[derive(Clone)]
pub(in crate::store) struct SqliteDb {
    pub(in crate::store) pool: SqlitePool,
    /// The same database, for writes that need not wait for the disk
    /// (see the module docs).
    pub(in crate::store) relaxed: SqlitePool,
    pub(in crate::store) write: Arc<Mutex<()>>,
    /// Tickets are kept in memory, not in the file (see `tickets.rs`).
    pub(in crate::store) tickets: TicketBook,
}

impl SqliteDb {
    /// Opens (creating it and its folder if needed) the database at `url`
    /// (`sqlite://path/to/file.db`) and brings its schema up to date.
    pub async fn open(url: &str) -> StoreResult<Self> {
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
            write: Arc::default(),
            tickets: TicketBook::default(),
        })
    }

    /// Checkpoints the write-ahead log into the database file (and empties
    /// the log), then closes every connection. SQLite checkpoints when its
    /// last connection closes too, but sqlx closes a connection on its own
    /// thread after `close` returns: the explicit checkpoint is what makes
    /// the file whole by the time this returns.
    pub async fn close(&self) {
        self.relaxed.close().await;
        if let Err(error) = sqlx::query("pragma wal_checkpoint(truncate)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(%error, "checkpointing the database before closing it failed");
        }
        self.pool.close().await;
    }
}
