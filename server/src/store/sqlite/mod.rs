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

mod arrivals;
mod board;
mod leases;
mod links;
mod outbox;
mod records;
mod source;
mod tickets;
mod tokens;

use std::{str::FromStr, sync::Arc, time::Duration};

use app::{
    cards::{CardStatus, RecordFields, RecordSnapshot},
    panel::ArrivalChecks,
};

use sqlx::{
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
    },
    Row, SqlitePool,
};
use tokio::sync::Mutex;

use super::{
    CardKey, CardLink, CardState, CardToPush, LogEntry, NewLink, NewRecord, OutboxEntry, Pacing,
    RecordRow, SecretKey, StoreError, StoreResult, TicketGrant, Unlink,
};
use crate::miro::{StoredTokens, TokenKey};

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

fn link_row(row: &SqliteRow) -> StoreResult<CardLink> {
    let status: String = row.try_get("status")?;
    Ok(CardLink {
        card: CardKey::new(
            row.try_get::<String, _>("board_id")?,
            row.try_get::<String, _>("item_id")?,
        ),
        record_id: row.try_get("record_id")?,
        owner: TokenKey {
            user_id: row.try_get("user_id")?,
            team_id: row.try_get("team_id")?,
        },
        status: CardStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("card status {status}")))?,
        last_hash: row.try_get("last_hash")?,
    })
}

fn card_lease(card: &CardKey) -> leases::Lease<'_> {
    leases::Lease {
        table: &leases::CARDS,
        key: [&card.board_id, &card.item_id],
    }
}

fn refresh_lease(key: &TokenKey) -> leases::Lease<'_> {
    leases::Lease {
        table: &leases::REFRESHES,
        key: [&key.user_id, &key.team_id],
    }
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
    pub(in crate::store) async fn save_tokens(
        &self,
        key: &TokenKey,
        tokens: &StoredTokens,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        tokens::save(&self.pool, &self.key, key, tokens).await
    }

    pub(in crate::store) async fn load_tokens(
        &self,
        key: &TokenKey,
    ) -> StoreResult<Option<StoredTokens>> {
        tokens::load(&self.pool, &self.key, key).await
    }

    pub(in crate::store) async fn forget_tokens(&self, key: &TokenKey) -> StoreResult<()> {
        let _write = self.write.lock().await;
        tokens::forget(&self.pool, key).await
    }

    pub(in crate::store) async fn installations(&self) -> StoreResult<Vec<TokenKey>> {
        tokens::list(&self.pool).await
    }

    pub(in crate::store) async fn installation_list(
        &self,
    ) -> StoreResult<Vec<super::Installation>> {
        tokens::describe(&self.pool).await
    }

    pub(in crate::store) async fn link_card(&self, link: NewLink<'_>) -> StoreResult<()> {
        let _write = self.write.lock().await;
        links::link(&self.pool, link).await
    }

    pub(in crate::store) async fn unlink_card(
        &self,
        card: &CardKey,
        how: Unlink,
        origin: &str,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        links::unlink(&self.pool, card, how, origin).await
    }

    pub(in crate::store) async fn link_written_cards(
        &self,
        links: &[(NewLink<'_>, String)],
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        board::link_written(&self.pool, links).await
    }

    pub(in crate::store) async fn create_linked_record(
        &self,
        new: NewRecord<'_>,
        card: &CardKey,
        owner: &TokenKey,
        written_hash: &str,
    ) -> StoreResult<RecordRow> {
        let _write = self.write.lock().await;
        board::create_linked(&self.pool, new, card, owner, written_hash).await
    }

    pub(in crate::store) async fn link(&self, card: &CardKey) -> StoreResult<Option<CardLink>> {
        links::get(&self.pool, card).await
    }

    pub(in crate::store) async fn link_with_record(
        &self,
        card: &CardKey,
    ) -> StoreResult<Option<(CardLink, Option<RecordRow>)>> {
        links::get_with_record(&self.pool, card).await
    }

    pub(in crate::store) async fn links_for_record(
        &self,
        record_id: &str,
    ) -> StoreResult<Vec<CardLink>> {
        links::for_record(&self.pool, record_id).await
    }

    pub(in crate::store) async fn links_on_board(
        &self,
        board_id: &str,
    ) -> StoreResult<Vec<CardLink>> {
        links::on_board(&self.pool, board_id).await
    }

    pub(in crate::store) async fn linked_boards(&self) -> StoreResult<Vec<(String, TokenKey)>> {
        links::boards(&self.pool).await
    }

    pub(in crate::store) async fn enqueue_write(
        &self,
        card: &CardKey,
        origin: &str,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        let mut tx = write_tx(&self.pool).await?;
        outbox::enqueue_checked(&mut tx, card, origin).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(in crate::store) async fn due_cards(
        &self,
        now: i64,
        limit: u32,
    ) -> StoreResult<Vec<CardKey>> {
        outbox::due(&self.pool, now, limit).await
    }

    pub(in crate::store) async fn pending_writes(
        &self,
        card: &CardKey,
    ) -> StoreResult<Vec<OutboxEntry>> {
        outbox::pending(&self.pool, card).await
    }

    pub(in crate::store) async fn finish_writes(
        &self,
        card: &CardKey,
        upto_id: i64,
        written_hash: Option<&str>,
        log: &LogEntry,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        outbox::finish(&self.relaxed, card, upto_id, written_hash, log).await
    }

    pub(in crate::store) async fn retry_writes(
        &self,
        card: &CardKey,
        upto_id: i64,
        next_at: i64,
        error: &str,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        outbox::retry(&self.relaxed, card, upto_id, next_at, error).await
    }

    pub(in crate::store) async fn pending_count(&self) -> StoreResult<u64> {
        outbox::count(&self.pool).await
    }

    pub(in crate::store) async fn claim_card(
        &self,
        card: &CardKey,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        let _write = self.write.lock().await;
        leases::claim(&self.relaxed, &card_lease(card), holder, now, until).await
    }

    pub(in crate::store) async fn claim_card_to_push(
        &self,
        card: &CardKey,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<Option<CardToPush>> {
        let _write = self.write.lock().await;
        outbox::claim_to_push(&self.relaxed, card, holder, now, until).await
    }

    pub(in crate::store) async fn release_card(
        &self,
        card: &CardKey,
        holder: &str,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        leases::release(&self.relaxed, &card_lease(card), holder).await
    }

    pub(in crate::store) async fn mark_in_flight(
        &self,
        card: &CardKey,
        upto_id: i64,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        outbox::mark_in_flight(&self.relaxed, card, upto_id).await
    }

    pub(in crate::store) async fn claim_refresh(
        &self,
        key: &TokenKey,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        let _write = self.write.lock().await;
        leases::claim(&self.relaxed, &refresh_lease(key), holder, now, until).await
    }

    pub(in crate::store) async fn release_refresh(
        &self,
        key: &TokenKey,
        holder: &str,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        leases::release(&self.relaxed, &refresh_lease(key), holder).await
    }

    pub(in crate::store) async fn card_states(
        &self,
        board_id: &str,
    ) -> StoreResult<Vec<CardState>> {
        board::states(&self.pool, board_id).await
    }

    pub(in crate::store) async fn retry_board_now(
        &self,
        board_id: &str,
        pacing: Pacing,
    ) -> StoreResult<u64> {
        let _write = self.write.lock().await;
        board::retry_now(&self.pool, board_id, pacing).await
    }

    pub(in crate::store) async fn rewrite_board(
        &self,
        board_id: &str,
        origin: &str,
        pacing: Pacing,
    ) -> StoreResult<u64> {
        let _write = self.write.lock().await;
        board::rewrite_all(&self.pool, board_id, origin, pacing).await
    }

    pub(in crate::store) async fn prune_settled_writes(&self, limit: u32) -> StoreResult<u64> {
        let _write = self.write.lock().await;
        outbox::prune(&self.relaxed, limit).await
    }

    pub(in crate::store) async fn create_ticket(
        &self,
        hash: &str,
        grant: &TicketGrant,
        expires_at: i64,
    ) -> StoreResult<()> {
        self.tickets.create(hash, grant, expires_at, super::now())
    }

    pub(in crate::store) async fn redeem_ticket(
        &self,
        hash: &str,
        now: i64,
    ) -> StoreResult<Option<TicketGrant>> {
        Ok(self.tickets.redeem(hash, now))
    }

    pub(in crate::store) async fn create_oauth_state(
        &self,
        hash: &str,
        expires_at: i64,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        // Expired states are useless: clear them while we are here.
        sqlx::query("delete from oauth_states where expires_at < $1")
            .bind(super::now())
            .execute(&self.relaxed)
            .await?;
        sqlx::query("insert into oauth_states (hash, expires_at) values ($1, $2)")
            .bind(hash)
            .bind(expires_at)
            .execute(&self.relaxed)
            .await?;
        Ok(())
    }

    pub(in crate::store) async fn take_oauth_state(
        &self,
        hash: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let _write = self.write.lock().await;
        let expires_at: Option<i64> =
            sqlx::query_scalar("delete from oauth_states where hash = $1 returning expires_at")
                .bind(hash)
                .fetch_optional(&self.relaxed)
                .await?;
        Ok(expires_at.is_some_and(|at| at >= now))
    }

    pub(in crate::store) async fn claim_github_delivery(
        &self,
        delivery_id: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let _write = self.write.lock().await;
        sqlx::query("delete from github_deliveries where received_at < $1")
            .bind(now - super::DELIVERY_MEMORY_SECONDS)
            .execute(&self.pool)
            .await?;
        // The insert is the check: of two deliveries with one id, one wins.
        let taken = sqlx::query(
            "insert into github_deliveries (delivery_id, received_at) values ($1, $2)
             on conflict do nothing",
        )
        .bind(delivery_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    pub(in crate::store) async fn release_github_delivery(
        &self,
        delivery_id: &str,
    ) -> StoreResult<()> {
        let _write = self.write.lock().await;
        sqlx::query("delete from github_deliveries where delivery_id = $1")
            .bind(delivery_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(in crate::store) async fn append_log(&self, entry: &LogEntry) -> StoreResult<()> {
        let _write = self.write.lock().await;
        let mut conn = self.pool.acquire().await?;
        insert_log(&mut conn, entry).await
    }

    pub(in crate::store) async fn arrival_checks(
        &self,
        origin: &str,
        board_id: Option<&str>,
        since: i64,
    ) -> StoreResult<ArrivalChecks> {
        arrivals::checks(&self.pool, origin, board_id, since).await
    }

    pub(in crate::store) async fn recent_log(&self, limit: u32) -> StoreResult<Vec<LogEntry>> {
        let rows = sqlx::query("select * from sync_log order by id desc limit $1")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(LogEntry {
                    at: row.try_get("at")?,
                    record_id: row.try_get("record_id")?,
                    board_id: row.try_get("board_id")?,
                    item_id: row.try_get("item_id")?,
                    origin: row.try_get("origin")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    result: row.try_get("result")?,
                })
            })
            .collect()
    }
}
