//! The store over SQL: one implementation of [`Store`] for both
//! databases, SQLite (one process or a few on one machine) and PostgreSQL
//! (several instances).
//!
//! What a method does is written once, over the database's native sqlx
//! pool (see `db.rs`: [`Db`] is the backend, its macros run one body on
//! whichever pool or transaction is open). What differs between the two
//! lives in named places only: every SQL text that differs in
//! `dialect.rs`, side by side; the steps that really differ (SQLite's
//! scripts of several statements, PostgreSQL's row locks) in the function
//! that owns them, one arm per backend. What is each database's own lives
//! in `sqlite.rs` (its pools and pragmas, this process's write lock;
//! tickets in memory, `tickets.rs`) and `postgres.rs` (its pools and their
//! size).

use app::{
    cards::{RecordFields, SourceDetails},
    panel::{ArrivalChecks, RecordQuery, SourceWrites},
};
use async_trait::async_trait;

use super::{
    CardKey, CardLink, CardState, CardToPush, Installation, LogEntry, NewLink, NewRecord,
    OutboxEntry, Pacing, RecordMatches, RecordRow, RecordSave, Saved, SecretKey, SourceState,
    Store, StoreResult, TicketGrant, Unlink,
};
use crate::miro::{StoredTokens, TokenKey};

mod args;
mod board;
mod db;
mod dialect;
mod leases;
mod link_reads;
mod links;
mod log;
mod once;
mod outbox;
mod postgres;
mod records;
mod rows;
mod save;
mod search;
mod source;
mod sqlite;
mod tickets;
mod tokens;

pub use db::round_trips_on_this_thread;
use db::Db;
use leases::Lease;

/// The [`Store`] on SQLite or PostgreSQL, by the URL it was opened with.
/// Cheap to clone.
#[derive(Clone)]
pub struct SqlStore {
    db: Db,
    /// Seals the stored tokens (the same on either database).
    key: SecretKey,
}

impl SqlStore {
    /// Opens the database at `url`: `sqlite://path/to/file.db` (created,
    /// with its folder, if missing) or `postgres://…` / `postgresql://…`
    /// (with an optional `max_connections` parameter), and brings its
    /// schema up to date.
    pub async fn open(url: &str, key: SecretKey) -> StoreResult<Self> {
        let db = if is_postgres(url) {
            Db::Postgres(postgres::PgDb::open(url).await?)
        } else {
            Db::Sqlite(sqlite::SqliteDb::open(url).await?)
        };
        Ok(Self { db, key })
    }
}

/// Reads and steps the server does not take, for the tests (and for an
/// operator's look into a database): they are not part of [`Store`], the
/// contract the server works to.
impl SqlStore {
    /// Every installation's key, oldest first.
    pub async fn installations(&self) -> StoreResult<Vec<TokenKey>> {
        tokens::list(&self.db).await
    }

    /// The cards that show a record.
    pub async fn links_for_record(&self, record_id: &str) -> StoreResult<Vec<CardLink>> {
        link_reads::for_record(&self.db, record_id).await
    }

    /// A card's pending writes, oldest first.
    pub async fn pending_writes(&self, card: &CardKey) -> StoreResult<Vec<OutboxEntry>> {
        outbox::pending(&self.db, card).await
    }

    /// Takes the lease on writing a card until `until`, for `holder`
    /// (as another process's push would): false while another holder's
    /// lease runs.
    pub async fn claim_card(
        &self,
        card: &CardKey,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        let _write = self.db.write_lock().await;
        leases::claim(&self.db, &Lease::card(card), holder, now, until).await
    }

    /// The sync log's newest entries first.
    pub async fn recent_log(&self, limit: u32) -> StoreResult<Vec<LogEntry>> {
        log::recent(&self.db, limit).await
    }
}

/// Whether `url` names a PostgreSQL database (both schemes libpq takes).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

#[async_trait]
impl Store for SqlStore {
    async fn close(&self) {
        match &self.db {
            Db::Sqlite(db) => db.close().await,
            Db::Postgres(db) => db.close().await,
        }
    }

    async fn save_tokens(&self, key: &TokenKey, tokens: &StoredTokens) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        tokens::save(&self.db, &self.key, key, tokens).await
    }

    async fn load_tokens(&self, key: &TokenKey) -> StoreResult<Option<StoredTokens>> {
        tokens::load(&self.db, &self.key, key).await
    }

    async fn forget_tokens(&self, key: &TokenKey) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        tokens::forget(&self.db, key).await
    }

    async fn installation_list(&self) -> StoreResult<Vec<Installation>> {
        tokens::describe(&self.db).await
    }

    async fn create_record(&self, new: NewRecord<'_>) -> StoreResult<RecordRow> {
        let _write = self.db.write_lock().await;
        records::create(&self.db, new).await
    }

    async fn record(&self, id: &str) -> StoreResult<Option<RecordRow>> {
        records::get(&self.db, id).await
    }

    async fn record_by_external(
        &self,
        connector: &str,
        external_id: &str,
    ) -> StoreResult<Option<RecordRow>> {
        records::by_external(&self.db, connector, external_id).await
    }

    async fn find_records(
        &self,
        scopes: &[String],
        query: &RecordQuery,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<RecordMatches> {
        search::find(&self.db, scopes, query, after, limit).await
    }

    async fn record_facets(&self, scopes: &[String]) -> StoreResult<(Vec<String>, Vec<String>)> {
        search::facets(&self.db, scopes).await
    }

    async fn boards_of_records(
        &self,
        record_ids: &[String],
        team_id: &str,
    ) -> StoreResult<std::collections::HashMap<String, Vec<String>>> {
        search::boards_of(&self.db, record_ids, team_id).await
    }

    async fn record_version(&self, id: &str, version: i64) -> StoreResult<Option<RecordFields>> {
        records::version(&self.db, id, version).await
    }

    async fn search_records(&self, query: &str, limit: u32) -> StoreResult<Vec<RecordRow>> {
        search::titles(&self.db, query, limit).await
    }

    async fn save_record(&self, save: RecordSave<'_>) -> StoreResult<Saved> {
        let _write = self.db.write_lock().await;
        save::save(&self.db, save).await
    }

    async fn set_source_details(
        &self,
        record_id: &str,
        version: i64,
        details: &SourceDetails,
        origin: &str,
    ) -> StoreResult<Vec<CardKey>> {
        let _write = self.db.write_lock().await;
        records::set_source_details(&self.db, record_id, version, details, origin).await
    }

    async fn set_source_deleted(
        &self,
        record_id: &str,
        deleted: bool,
        origin: &str,
    ) -> StoreResult<Vec<CardKey>> {
        let _write = self.db.write_lock().await;
        records::set_source_deleted(&self.db, record_id, deleted, origin).await
    }

    async fn link_card(&self, link: NewLink<'_>) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        links::link(&self.db, link).await
    }

    async fn unlink_card(&self, card: &CardKey, how: Unlink, origin: &str) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        links::unlink(&self.db, card, how, origin).await
    }

    async fn link_written_cards(&self, links: &[(NewLink<'_>, String)]) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        board::link_written(&self.db, links).await
    }

    async fn create_linked_record(
        &self,
        new: NewRecord<'_>,
        card: &CardKey,
        owner: &TokenKey,
        written_hash: &str,
    ) -> StoreResult<RecordRow> {
        let _write = self.db.write_lock().await;
        board::create_linked(&self.db, new, card, owner, written_hash).await
    }

    async fn link(&self, card: &CardKey) -> StoreResult<Option<CardLink>> {
        link_reads::get(&self.db, card).await
    }

    async fn link_with_record(
        &self,
        card: &CardKey,
    ) -> StoreResult<Option<(CardLink, Option<RecordRow>)>> {
        link_reads::get_with_record(&self.db, card).await
    }

    async fn links_on_board(&self, board_id: &str) -> StoreResult<Vec<CardLink>> {
        link_reads::on_board(&self.db, board_id).await
    }

    async fn linked_boards(&self) -> StoreResult<Vec<(String, TokenKey)>> {
        link_reads::boards(&self.db).await
    }

    async fn enqueue_write(&self, card: &CardKey, origin: &str) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        outbox::enqueue_checked(&self.db, card, origin).await
    }

    async fn due_cards(&self, now: i64, limit: u32) -> StoreResult<Vec<CardKey>> {
        outbox::due(&self.db, now, limit).await
    }

    async fn finish_writes(
        &self,
        card: &CardKey,
        upto_id: i64,
        written_hash: Option<&str>,
        log: &LogEntry,
    ) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        outbox::finish(&self.db, card, upto_id, written_hash, log).await
    }

    async fn retry_writes(
        &self,
        card: &CardKey,
        upto_id: i64,
        next_at: i64,
        error: &str,
    ) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        outbox::retry(&self.db, card, upto_id, next_at, error).await
    }

    async fn pending_count(&self) -> StoreResult<u64> {
        outbox::count(&self.db).await
    }

    async fn claim_card_to_push(
        &self,
        card: &CardKey,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<Option<CardToPush>> {
        let _write = self.db.write_lock().await;
        outbox::claim_to_push(&self.db, card, holder, now, until).await
    }

    async fn release_card(&self, card: &CardKey, holder: &str) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        leases::release(&self.db, &Lease::card(card), holder).await
    }

    async fn mark_in_flight(&self, card: &CardKey, upto_id: i64) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        outbox::mark_in_flight(&self.db, card, upto_id).await
    }

    async fn card_states(&self, board_id: &str) -> StoreResult<Vec<CardState>> {
        board::states(&self.db, board_id).await
    }

    async fn retry_board_now(&self, board_id: &str, pacing: Pacing) -> StoreResult<u64> {
        let _write = self.db.write_lock().await;
        board::retry_now(&self.db, board_id, pacing).await
    }

    async fn rewrite_board(
        &self,
        board_id: &str,
        origin: &str,
        pacing: Pacing,
    ) -> StoreResult<u64> {
        let _write = self.db.write_lock().await;
        board::rewrite_all(&self.db, board_id, origin, pacing).await
    }

    async fn prune_settled_writes(&self, limit: u32) -> StoreResult<u64> {
        let _write = self.db.write_lock().await;
        outbox::prune(&self.db, limit).await
    }

    async fn source_state(&self, record_id: &str) -> StoreResult<Option<SourceState>> {
        source::state(&self.db, record_id).await
    }

    async fn source_writes(&self, connector: &str) -> StoreResult<SourceWrites> {
        source::writes(&self.db, connector).await
    }

    async fn due_source_writes(
        &self,
        connector: &str,
        now: i64,
        limit: u32,
    ) -> StoreResult<Vec<String>> {
        source::due(&self.db, connector, now, limit).await
    }

    async fn claim_source_write(
        &self,
        record_id: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        let _write = self.db.write_lock().await;
        source::claim(&self.db, record_id, holder, now, until).await
    }

    async fn release_source_write(&self, record_id: &str, holder: &str) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        source::release(&self.db, record_id, holder).await
    }

    async fn mark_source_sending(&self, record_id: &str, fields: &RecordFields) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        source::sending(&self.db, record_id, fields).await
    }

    async fn finish_source_write(
        &self,
        record_id: &str,
        sent_version: i64,
        base: &RecordFields,
        log: &LogEntry,
    ) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        source::finish(&self.db, record_id, sent_version, base, log).await
    }

    async fn retry_source_write(
        &self,
        record_id: &str,
        next_at: i64,
        error: &str,
    ) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        source::retry(&self.db, record_id, next_at, error).await
    }

    async fn drop_source_write(&self, record_id: &str, log: &LogEntry) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        source::drop_write(&self.db, record_id, log).await
    }

    async fn set_source_conflict(
        &self,
        record_id: &str,
        theirs: &RecordFields,
        version: i64,
        log: &LogEntry,
    ) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        source::conflict(&self.db, record_id, theirs, version, log).await
    }

    async fn claim_refresh(
        &self,
        key: &TokenKey,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        let _write = self.db.write_lock().await;
        leases::claim(&self.db, &Lease::refresh(key), holder, now, until).await
    }

    async fn release_refresh(&self, key: &TokenKey, holder: &str) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        leases::release(&self.db, &Lease::refresh(key), holder).await
    }

    async fn create_ticket(
        &self,
        hash: &str,
        grant: &TicketGrant,
        expires_at: i64,
    ) -> StoreResult<()> {
        match &self.db {
            Db::Sqlite(db) => db.tickets.create(hash, grant, expires_at, super::now()),
            Db::Postgres(_) => {
                once::create_ticket(&self.db, hash, grant, expires_at, super::now()).await
            }
        }
    }

    async fn redeem_ticket(&self, hash: &str, now: i64) -> StoreResult<Option<TicketGrant>> {
        match &self.db {
            Db::Sqlite(db) => Ok(db.tickets.redeem(hash, now)),
            Db::Postgres(_) => once::redeem_ticket(&self.db, hash, now).await,
        }
    }

    async fn create_oauth_state(&self, hash: &str, expires_at: i64) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        once::create_oauth_state(&self.db, hash, expires_at, super::now()).await
    }

    async fn take_oauth_state(&self, hash: &str, now: i64) -> StoreResult<bool> {
        let _write = self.db.write_lock().await;
        once::take_oauth_state(&self.db, hash, now).await
    }

    async fn claim_github_delivery(&self, delivery_id: &str, now: i64) -> StoreResult<bool> {
        let _write = self.db.write_lock().await;
        once::claim_delivery(&self.db, delivery_id, now).await
    }

    async fn release_github_delivery(&self, delivery_id: &str) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        once::release_delivery(&self.db, delivery_id).await
    }

    async fn append_log(&self, entry: &LogEntry) -> StoreResult<()> {
        let _write = self.db.write_lock().await;
        log::append(&self.db, entry).await
    }

    async fn arrival_checks(
        &self,
        origin: &str,
        board_id: Option<&str>,
        since: i64,
    ) -> StoreResult<ArrivalChecks> {
        log::arrival_checks(&self.db, origin, board_id, since).await
    }
}
