//! The store: installations (sealed tokens), records and their versions,
//! card links, the outbox of card writes, and the sync log.
//!
//! It is a trait with one implementation, [`SqlStore`], on either of two
//! databases: SQLite (one process or a few on one machine) or PostgreSQL
//! (several instances); `server/tests/it/store_suite.rs` holds both to one
//! contract.
//! Every method that changes more than one table does so in one
//! transaction: a save, its sync-log row and its outbox rows commit
//! together or not at all, so an acknowledged edit is never half-stored.
//! Leases (a card's write, a token's refresh) keep processes sharing a
//! database from doing one thing twice.

mod seal;
mod sql;

use app::{
    cards::{CardStatus, RecordFields, RecordSnapshot, SourceDetails},
    panel::{ArrivalChecks, RecordQuery, SourceWrites},
};
use async_trait::async_trait;

pub use seal::{SealError, SecretKey};
pub use sql::{is_postgres, round_trips_on_this_thread, SqlStore};

use crate::{
    clock::now,
    miro::{StoredTokens, TokenKey},
};

/// The built-in connector's name: its records are their own source, so the
/// store keeps no state of writes to a tool for them.
pub const BUILTIN: &str = "builtin";

/// Where a change came from, as the sync log and the outbox record it.
pub mod origin {
    /// An edit in the detail view.
    pub const MIRO: &str = "miro";
    /// The reconciliation pass.
    pub const RECONCILE: &str = "reconcile";
    /// The outbox worker.
    pub const WORKER: &str = "worker";
    /// The app's panel on a board.
    pub const PANEL: &str = "panel";
}

/// The sync log's actions for what arrived from outside (an issue from a
/// tool, a card connected from a board), as `sync::admit` writes them and
/// [`Store::arrival_checks`] counts them.
pub mod arrival {
    /// Taken as a record, with the parts a card cannot show left out.
    pub const DROPPED: &str = "arrival: parts left out";
    /// Not taken: it cannot be a record (no valid title, say).
    pub const REFUSED: &str = "arrival: not taken";
}

/// One card on one board.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CardKey {
    pub board_id: String,
    pub item_id: String,
}

impl CardKey {
    pub fn new(board_id: impl Into<String>, item_id: impl Into<String>) -> Self {
        Self {
            board_id: board_id.into(),
            item_id: item_id.into(),
        }
    }
}

/// A record with where it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    pub snapshot: RecordSnapshot,
    /// `builtin`, `github`, ...
    pub connector: String,
    /// The item's id in its tool (for the built-in connector, the record id).
    pub external_id: String,
    /// The item was deleted in its tool: its cards are `disabled`.
    pub source_deleted: bool,
    /// Which teams may see and use it (see [`crate::teams`]).
    pub scope: String,
}

/// A card and the record it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardLink {
    pub card: CardKey,
    /// `None` once the card was disconnected (it stays on its board).
    pub record_id: Option<String>,
    /// Whose installation writes the card.
    pub owner: TokenKey,
    pub status: CardStatus,
    /// Hash of the preview last written to Miro.
    pub last_hash: Option<String>,
}

/// A page of records found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordMatches {
    pub records: Vec<RecordRow>,
    /// How many match in all.
    pub total: u64,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
}

/// A card on a board and its pending writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardState {
    pub card: CardKey,
    pub record_id: Option<String>,
    /// The record's title ("" without a record).
    pub title: String,
    pub status: CardStatus,
    /// Writes queued for the card.
    pub pending: u64,
    /// Failed attempts of the oldest of them.
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// A pending card write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub card: CardKey,
    pub origin: String,
    pub attempts: i64,
    /// The board may not show what the store last wrote: a PATCH was sent
    /// with no known outcome ([`Store::mark_in_flight`]), or the write was
    /// queued to check a card ([`Store::enqueue_write`]). Its writer reads
    /// the card first.
    pub in_flight: bool,
}

/// When card writes queued together fall due, so that the Miro calls they
/// cost are spread out: the first `due_now` (counted from 1) at `now`,
/// then one every `spacing_ms` milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pacing {
    pub now: i64,
    pub due_now: i64,
    pub spacing_ms: i64,
}

impl Pacing {
    /// Every write due at `now`.
    pub fn at_once(now: i64) -> Self {
        Self {
            now,
            due_now: i64::MAX,
            spacing_ms: 0,
        }
    }

    /// When the `n`th write (from 1) falls due.
    pub fn due_at(&self, n: i64) -> i64 {
        self.now + n.saturating_sub(self.due_now).max(0) * self.spacing_ms / 1000
    }
}

/// What a push reads once it holds a card's lease
/// ([`Store::claim_card_to_push`]).
#[derive(Clone, Debug)]
pub struct CardToPush {
    /// The card's pending writes, oldest first.
    pub pending: Vec<OutboxEntry>,
    /// The card's link and its record, if the card is linked.
    pub link: Option<(CardLink, Option<RecordRow>)>,
}

/// A row of the sync log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogEntry {
    pub at: i64,
    pub record_id: Option<String>,
    pub board_id: Option<String>,
    pub item_id: Option<String>,
    pub origin: String,
    pub actor: String,
    pub action: String,
    pub result: String,
}

impl LogEntry {
    /// An entry about one record, stamped now.
    pub fn record(
        record_id: &str,
        origin: &str,
        actor: &str,
        action: &str,
        result: impl Into<String>,
    ) -> Self {
        Self {
            at: now(),
            record_id: Some(record_id.to_owned()),
            origin: origin.to_owned(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            result: result.into(),
            ..Self::default()
        }
    }

    /// An entry about a whole board, stamped now.
    pub fn board(board_id: &str, origin: &str, action: &str, result: impl Into<String>) -> Self {
        Self {
            at: now(),
            board_id: Some(board_id.to_owned()),
            origin: origin.to_owned(),
            actor: origin.to_owned(),
            action: action.to_owned(),
            result: result.into(),
            ..Self::default()
        }
    }

    /// An entry about one card, stamped now.
    pub fn card(card: &CardKey, origin: &str, action: &str, result: impl Into<String>) -> Self {
        Self {
            at: now(),
            board_id: Some(card.board_id.clone()),
            item_id: Some(card.item_id.clone()),
            origin: origin.to_owned(),
            actor: origin.to_owned(),
            action: action.to_owned(),
            result: result.into(),
            ..Self::default()
        }
    }
}

/// What a ticket lets its holder open: one card, as one Miro user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketGrant {
    pub user: TokenKey,
    pub card: CardKey,
}

/// A new record.
#[derive(Clone, Debug)]
pub struct NewRecord<'a> {
    pub connector: &'a str,
    /// `None`: the record is its own item (the built-in connector), and
    /// its id is used.
    pub external_id: Option<&'a str>,
    pub fields: &'a RecordFields,
    pub origin: &'a str,
    pub actor: &'a str,
    /// Which teams may see and use it (see [`crate::teams`]).
    pub scope: &'a str,
}

/// A save of a record's fields, made against the version the editor saw.
#[derive(Clone, Debug)]
pub struct RecordSave<'a> {
    pub record_id: &'a str,
    pub base_version: i64,
    pub fields: &'a RecordFields,
    pub origin: &'a str,
    pub actor: &'a str,
    /// A save that resolves a conflict with the record's tool (see
    /// [`SourceState::conflict`]): the tool's fields the user was shown,
    /// which become the source base; the conflict is cleared. `None` for
    /// every other save.
    pub source_base: Option<&'a RecordFields>,
}

/// The fields a save stores: `fields` as sent, except that only the
/// record's own tool sets [`RecordFields::source`] (its issue number, link
/// and label colours); a save from anywhere else keeps the stored ones, so
/// a browser cannot point a card's link elsewhere.
pub(crate) fn with_tool_details(
    fields: &RecordFields,
    current: &RecordRow,
    origin: &str,
) -> RecordFields {
    if origin == current.connector {
        return fields.clone();
    }
    RecordFields {
        source: current.snapshot.fields.source.clone(),
        ..fields.clone()
    }
}

/// How a record whose item lives in another tool stands with that tool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceState {
    /// The fields as last read from or written to the tool: a tool item
    /// still equal to them was not changed there since.
    pub base: Option<RecordFields>,
    /// The newest record version saved from Miro and not yet sent.
    pub pending_version: Option<i64>,
    /// The fields a write is sending (or sent with no answer yet): the
    /// tool holding them is our own write, not a change made there.
    pub sending: Option<RecordFields>,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// Both sides changed: the tool's fields, and the record version they
    /// were found against. Nothing is written while it is open.
    pub conflict: Option<(RecordFields, i64)>,
}

/// What a save did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved {
    pub record: RecordSnapshot,
    /// The linked cards an outbox row was queued for.
    pub cards: Vec<CardKey>,
}

/// A card to link to a record.
#[derive(Clone, Debug)]
pub struct NewLink<'a> {
    pub card: &'a CardKey,
    pub record_id: &'a str,
    pub owner: &'a TokenKey,
    pub origin: &'a str,
    pub actor: &'a str,
}

/// Why a card stops showing its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unlink {
    /// The card is gone from its board: forget it.
    Gone,
    /// The user disconnected it: it stays on the board as `disconnected`.
    Disconnect,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no record {0}")]
    NoRecord(String),
    /// The save was made against an older version; nothing was written.
    #[error("record {} is at version {}; the save was based on an older one", .current.id, .current.version)]
    Conflict { current: Box<RecordSnapshot> },
    #[error("a record for {connector} item {external_id} exists already")]
    Duplicate {
        connector: String,
        external_id: String,
    },
    /// The card is linked, and its link belongs to another user; nothing
    /// was written.
    #[error("the card is linked by user {} of team {}", .owner.user_id, .owner.team_id)]
    LinkedByOther { owner: TokenKey },
    /// The database refused or did not answer (its message, for the log;
    /// the driver's error type stays inside the store).
    #[error("database: {0}")]
    Database(String),
    #[error("database schema: {0}")]
    Migrate(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("DATABASE_URL: {0}")]
    Url(String),
    /// A bound on what the store keeps in memory was reached; nothing was
    /// kept.
    #[error("too many {0}")]
    Full(&'static str),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Migrate(error.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What the app keeps. Implemented by [`SqlStore`]; tests run against a
/// real database, never a mock.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Closes every connection once the calls under way have finished; on
    /// SQLite the write-ahead log is checkpointed into the database file,
    /// so the file alone holds everything. Calls after it fail.
    async fn close(&self);

    // --- installations -----------------------------------------------
    async fn save_tokens(&self, key: &TokenKey, tokens: &StoredTokens) -> StoreResult<()>;
    async fn load_tokens(&self, key: &TokenKey) -> StoreResult<Option<StoredTokens>>;
    async fn forget_tokens(&self, key: &TokenKey) -> StoreResult<()>;
    /// Every installation with when it was made and how its tokens stand
    /// (never the tokens themselves).
    async fn installation_list(&self) -> StoreResult<Vec<Installation>>;

    // --- records -----------------------------------------------------
    /// Creates a record at version 1 (and logs it).
    async fn create_record(&self, new: NewRecord<'_>) -> StoreResult<RecordRow>;
    async fn record(&self, id: &str) -> StoreResult<Option<RecordRow>>;
    async fn record_by_external(
        &self,
        connector: &str,
        external_id: &str,
    ) -> StoreResult<Option<RecordRow>>;
    /// One page of the records of `scopes` matching `query` (not
    /// source-deleted), newest change first, after the cursor `after` (a
    /// page's `next`).
    async fn find_records(
        &self,
        scopes: &[String],
        query: &RecordQuery,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<RecordMatches>;
    /// The labels and the assignees the records of `scopes` have, sorted.
    async fn record_facets(&self, scopes: &[String]) -> StoreResult<(Vec<String>, Vec<String>)>;
    /// For each record, the boards showing one of its cards linked by an
    /// installation of `team_id`.
    async fn boards_of_records(
        &self,
        record_ids: &[String],
        team_id: &str,
    ) -> StoreResult<std::collections::HashMap<String, Vec<String>>>;
    /// The fields a record had at `version`, if kept.
    async fn record_version(&self, id: &str, version: i64) -> StoreResult<Option<RecordFields>>;
    /// Records whose title contains `query` (case-insensitive), newest first.
    async fn search_records(&self, query: &str, limit: u32) -> StoreResult<Vec<RecordRow>>;
    /// Saves new fields as the next version, in one transaction with its
    /// sync-log row and an outbox row per linked card. Refused with
    /// [`StoreError::Conflict`] unless `base_version` is the current one.
    async fn save_record(&self, save: RecordSave<'_>) -> StoreResult<Saved>;
    /// Replaces the record's tool details ([`RecordFields::source`]) at
    /// `version`, with no new version (they are not an edit, so an editor
    /// holding the version still saves), and queues a write for each of its
    /// cards. Nothing happens, and no card is returned, when the record has
    /// moved past `version` or already holds these details.
    async fn set_source_details(
        &self,
        record_id: &str,
        version: i64,
        details: &SourceDetails,
        origin: &str,
    ) -> StoreResult<Vec<CardKey>>;
    /// Marks the record's source item deleted (or back); its cards turn
    /// `disabled` (or `connected`) and get an outbox row each.
    async fn set_source_deleted(
        &self,
        record_id: &str,
        deleted: bool,
        origin: &str,
    ) -> StoreResult<Vec<CardKey>>;

    // --- card links --------------------------------------------------
    /// Links a card to a record (replacing any link it had) and queues a
    /// write so the card shows the record.
    async fn link_card(&self, link: NewLink<'_>) -> StoreResult<()>;
    async fn unlink_card(&self, card: &CardKey, how: Unlink, origin: &str) -> StoreResult<()>;
    /// Links cards the app just created, each showing its record's
    /// current rendering with the given hash: no write is queued.
    async fn link_written_cards(&self, links: &[(NewLink<'_>, String)]) -> StoreResult<()>;
    /// Creates a record and links the card just created for it (showing
    /// the rendering with `written_hash`), in one transaction.
    async fn create_linked_record(
        &self,
        new: NewRecord<'_>,
        card: &CardKey,
        owner: &TokenKey,
        written_hash: &str,
    ) -> StoreResult<RecordRow>;
    async fn link(&self, card: &CardKey) -> StoreResult<Option<CardLink>>;
    /// The card's link and, when it names one, its record, in one read (a
    /// detail view opens with this).
    async fn link_with_record(
        &self,
        card: &CardKey,
    ) -> StoreResult<Option<(CardLink, Option<RecordRow>)>>;
    async fn links_on_board(&self, board_id: &str) -> StoreResult<Vec<CardLink>>;
    /// Every board with a linked card, with an installation that can
    /// reach it.
    async fn linked_boards(&self) -> StoreResult<Vec<(String, TokenKey)>>;

    // --- outbox ------------------------------------------------------
    /// Queues a checked rewrite of a card: its writer reads the card from
    /// Miro first and writes it only if it differs from its record
    /// (reconciliation uses this for a card that drifted on the board; a
    /// concurrent save may have fixed it already). Nothing is queued while
    /// the card has a pending write in flight that no writer has started
    /// on (it reads the card first anyway): checks are never queued twice.
    async fn enqueue_write(&self, card: &CardKey, origin: &str) -> StoreResult<()>;
    /// Cards with a write due at `now`, oldest first.
    async fn due_cards(&self, now: i64, limit: u32) -> StoreResult<Vec<CardKey>>;
    /// Settles a card's writes up to `upto_id` (deletes them), records the
    /// hash that is now on the card (when something was written) and logs
    /// the outcome, in one transaction.
    async fn finish_writes(
        &self,
        card: &CardKey,
        upto_id: i64,
        written_hash: Option<&str>,
        log: &LogEntry,
    ) -> StoreResult<()>;
    /// Puts a card's writes up to `upto_id` off until `next_at`, counting
    /// an attempt.
    async fn retry_writes(
        &self,
        card: &CardKey,
        upto_id: i64,
        next_at: i64,
        error: &str,
    ) -> StoreResult<()>;
    async fn pending_count(&self) -> StoreResult<u64>;
    /// Takes the lease on writing a card until `until` (UNIX seconds), for
    /// `holder` (a lease past its end is taken over: its holder died), and
    /// once taken reads what a push needs: the card's pending writes,
    /// oldest first, and its link with its record. `None` while another
    /// holder's lease runs.
    async fn claim_card_to_push(
        &self,
        card: &CardKey,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<Option<CardToPush>>;
    /// Gives up `holder`'s lease on a card.
    async fn release_card(&self, card: &CardKey, holder: &str) -> StoreResult<()>;
    /// Marks a card's pending writes up to `upto_id` as being sent now. Only
    /// [`Store::finish_writes`] clears it: after a failed or unanswered
    /// PATCH the next writer cannot know whether it landed.
    async fn mark_in_flight(&self, card: &CardKey, upto_id: i64) -> StoreResult<()>;
    /// Every card on a board and how it stands with its record.
    async fn card_states(&self, board_id: &str) -> StoreResult<Vec<CardState>>;
    /// Makes the board's failed writes due, card by card as `pacing` says
    /// (none later than it was due); how many cards. Cards whose writes are
    /// due already are not counted.
    async fn retry_board_now(&self, board_id: &str, pacing: Pacing) -> StoreResult<u64>;
    /// Queues a checked rewrite (see [`Store::enqueue_write`]) of every
    /// linked card on the board that has none waiting, card by card due as
    /// `pacing` says; how many were queued.
    async fn rewrite_board(&self, board_id: &str, origin: &str, pacing: Pacing)
        -> StoreResult<u64>;
    /// Deletes up to `limit` settled outbox rows (writes dropped with their
    /// card, and done rows earlier versions kept); how many.
    async fn prune_settled_writes(&self, limit: u32) -> StoreResult<u64>;

    // --- writes to records' tools --------------------------------------
    /// How a record stands with its tool; `None` for a record of the
    /// built-in connector (it is its own source).
    async fn source_state(&self, record_id: &str) -> StoreResult<Option<SourceState>>;
    /// How the edits to `connector`'s records stand on their way there.
    async fn source_writes(&self, connector: &str) -> StoreResult<SourceWrites>;
    /// Records of `connector` with a source write due at `now` and no open
    /// conflict, oldest first.
    async fn due_source_writes(
        &self,
        connector: &str,
        now: i64,
        limit: u32,
    ) -> StoreResult<Vec<String>>;
    /// Takes the lease on writing a record to its tool until `until`, for
    /// `holder`: false while another holder's lease runs.
    async fn claim_source_write(
        &self,
        record_id: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool>;
    async fn release_source_write(&self, record_id: &str, holder: &str) -> StoreResult<()>;
    /// Notes the fields a write is about to send (see
    /// [`SourceState::sending`]), before it is sent.
    async fn mark_source_sending(&self, record_id: &str, fields: &RecordFields) -> StoreResult<()>;
    /// The tool holds `base` now and has been sent the record up to
    /// `sent_version`: the write is done unless a newer save is queued,
    /// and any conflict is closed (the two sides agree). Logged, in one
    /// transaction.
    async fn finish_source_write(
        &self,
        record_id: &str,
        sent_version: i64,
        base: &RecordFields,
        log: &LogEntry,
    ) -> StoreResult<()>;
    /// Puts a record's source write off until `next_at`, counting an attempt.
    async fn retry_source_write(
        &self,
        record_id: &str,
        next_at: i64,
        error: &str,
    ) -> StoreResult<()>;
    /// Gives up a record's source write (the tool refused it), logged.
    async fn drop_source_write(&self, record_id: &str, log: &LogEntry) -> StoreResult<()>;
    /// Records a conflict with the tool: `theirs`, found against record
    /// version `version`. Logged, in one transaction.
    async fn set_source_conflict(
        &self,
        record_id: &str,
        theirs: &RecordFields,
        version: i64,
        log: &LogEntry,
    ) -> StoreResult<()>;

    // --- token refreshes across processes -----------------------------
    /// Takes the lease on refreshing `key`'s tokens until `until`, for
    /// `holder`: false while another holder's lease runs.
    async fn claim_refresh(
        &self,
        key: &TokenKey,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool>;
    async fn release_refresh(&self, key: &TokenKey, holder: &str) -> StoreResult<()>;

    // --- tickets -----------------------------------------------------
    /// Keeps a ticket (by its hash) until `expires_at`.
    async fn create_ticket(
        &self,
        hash: &str,
        grant: &TicketGrant,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// Takes a ticket: returns what it grants if it exists and has not
    /// expired at `now`, and deletes it either way, so it works once.
    async fn redeem_ticket(&self, hash: &str, now: i64) -> StoreResult<Option<TicketGrant>>;

    // --- OAuth states ------------------------------------------------
    /// Keeps the hash of an install's `state` until `expires_at`.
    async fn create_oauth_state(&self, hash: &str, expires_at: i64) -> StoreResult<()>;
    /// Takes a state: true if it existed and had not expired at `now`;
    /// deleted either way, so it works once.
    async fn take_oauth_state(&self, hash: &str, now: i64) -> StoreResult<bool>;

    // --- GitHub webhook deliveries ------------------------------------
    /// Takes a GitHub delivery id for handling at `now`: false if it was
    /// taken before (a repeated delivery). Ids older than
    /// [`DELIVERY_MEMORY_SECONDS`] are forgotten.
    async fn claim_github_delivery(&self, delivery_id: &str, now: i64) -> StoreResult<bool>;
    /// Gives a delivery id back after its handling failed, so that a
    /// redelivery is handled.
    async fn release_github_delivery(&self, delivery_id: &str) -> StoreResult<()>;

    // --- sync log ----------------------------------------------------
    async fn append_log(&self, entry: &LogEntry) -> StoreResult<()>;
    /// The sync log's [`arrival`] rows from `origin` since `since` (UNIX
    /// seconds), only those about `board_id` when one is given: how many
    /// of each, and the newest one's result.
    async fn arrival_checks(
        &self,
        origin: &str,
        board_id: Option<&str>,
        since: i64,
    ) -> StoreResult<ArrivalChecks>;
}

/// An installation as `server installations` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installation {
    pub key: TokenKey,
    /// UNIX seconds of the first install and of the last token change.
    pub installed_at: i64,
    pub updated_at: i64,
    /// When the access token expires (UNIX seconds); `None`: never.
    pub expires_at: Option<i64>,
    /// Whether a refresh token is kept (expiring tokens only).
    pub refreshable: bool,
}

/// How long a GitHub delivery id is remembered (30 days): GitHub lets a
/// delivery be redelivered for about that long.
pub const DELIVERY_MEMORY_SECONDS: i64 = 30 * 24 * 3600;
