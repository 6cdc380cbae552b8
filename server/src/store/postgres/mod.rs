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

mod arrivals;
mod board;
mod leases;
mod links;
mod outbox;
mod records;
mod source;
mod tokens;

use std::{str::FromStr, time::Duration};

use app::{
    cards::{CardStatus, RecordFields, RecordSnapshot},
    panel::ArrivalChecks,
};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions, PgRow},
    PgConnection, PgPool, Row,
};

use super::{
    CardKey, CardLink, CardState, LogEntry, NewLink, NewRecord, OutboxEntry, Pacing, RecordRow,
    SecretKey, StoreError, StoreResult, TicketGrant, Unlink,
};
use crate::miro::{StoredTokens, TokenKey};

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

fn link_row(row: &PgRow) -> StoreResult<CardLink> {
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

fn card_key(row: &PgRow) -> StoreResult<CardKey> {
    Ok(CardKey::new(
        row.try_get::<String, _>("board_id")?,
        row.try_get::<String, _>("item_id")?,
    ))
}

fn card_lease(card: &CardKey) -> leases::Lease<'_> {
    leases::Lease {
        table: "card_leases",
        key: [("board_id", &card.board_id), ("item_id", &card.item_id)],
    }
}

fn refresh_lease(key: &TokenKey) -> leases::Lease<'_> {
    leases::Lease {
        table: "refresh_leases",
        key: [("user_id", &key.user_id), ("team_id", &key.team_id)],
    }
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
    pub(in crate::store) async fn save_tokens(
        &self,
        key: &TokenKey,
        tokens: &StoredTokens,
    ) -> StoreResult<()> {
        tokens::save(&self.pool, &self.key, key, tokens).await
    }

    pub(in crate::store) async fn load_tokens(
        &self,
        key: &TokenKey,
    ) -> StoreResult<Option<StoredTokens>> {
        tokens::load(&self.pool, &self.key, key).await
    }

    pub(in crate::store) async fn forget_tokens(&self, key: &TokenKey) -> StoreResult<()> {
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
        links::link(&self.pool, link).await
    }

    pub(in crate::store) async fn unlink_card(
        &self,
        card: &CardKey,
        how: Unlink,
        origin: &str,
    ) -> StoreResult<()> {
        links::unlink(&self.pool, card, how, origin).await
    }

    pub(in crate::store) async fn link_written_cards(
        &self,
        links: &[(NewLink<'_>, String)],
    ) -> StoreResult<()> {
        board::link_written(&self.pool, links).await
    }

    pub(in crate::store) async fn create_linked_record(
        &self,
        new: NewRecord<'_>,
        card: &CardKey,
        owner: &TokenKey,
        written_hash: &str,
    ) -> StoreResult<RecordRow> {
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
        outbox::enqueue_rewrite(&self.pool, card, origin).await
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
        outbox::finish(&self.relaxed, card, upto_id, written_hash, log).await
    }

    pub(in crate::store) async fn retry_writes(
        &self,
        card: &CardKey,
        upto_id: i64,
        next_at: i64,
        error: &str,
    ) -> StoreResult<()> {
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
        leases::claim(&self.relaxed, &card_lease(card), holder, now, until).await
    }

    /// The trait's default: the claim, then the two reads.
    pub(in crate::store) async fn claim_card_to_push(
        &self,
        card: &CardKey,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<Option<super::CardToPush>> {
        if !self.claim_card(card, holder, now, until).await? {
            return Ok(None);
        }
        Ok(Some(super::CardToPush {
            pending: self.pending_writes(card).await?,
            link: self.link_with_record(card).await?,
        }))
    }

    pub(in crate::store) async fn release_card(
        &self,
        card: &CardKey,
        holder: &str,
    ) -> StoreResult<()> {
        leases::release(&self.relaxed, &card_lease(card), holder).await
    }

    pub(in crate::store) async fn mark_in_flight(
        &self,
        card: &CardKey,
        upto_id: i64,
    ) -> StoreResult<()> {
        outbox::mark_in_flight(&self.relaxed, card, upto_id).await
    }

    pub(in crate::store) async fn claim_refresh(
        &self,
        key: &TokenKey,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        leases::claim(&self.relaxed, &refresh_lease(key), holder, now, until).await
    }

    pub(in crate::store) async fn release_refresh(
        &self,
        key: &TokenKey,
        holder: &str,
    ) -> StoreResult<()> {
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
        board::retry_now(&self.pool, board_id, pacing).await
    }

    pub(in crate::store) async fn rewrite_board(
        &self,
        board_id: &str,
        origin: &str,
        pacing: Pacing,
    ) -> StoreResult<u64> {
        board::rewrite_all(&self.pool, board_id, origin, pacing).await
    }

    pub(in crate::store) async fn prune_settled_writes(&self, limit: u32) -> StoreResult<u64> {
        outbox::prune(&self.relaxed, limit).await
    }

    pub(in crate::store) async fn create_ticket(
        &self,
        hash: &str,
        grant: &TicketGrant,
        expires_at: i64,
    ) -> StoreResult<()> {
        let at = super::now();
        clear_expired(&self.relaxed, "tickets", at).await?;
        sqlx::query(
            "insert into tickets (hash, user_id, team_id, board_id, item_id, expires_at, created_at)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(hash)
        .bind(&grant.user.user_id)
        .bind(&grant.user.team_id)
        .bind(&grant.card.board_id)
        .bind(&grant.card.item_id)
        .bind(expires_at)
        .bind(at)
        .execute(&self.relaxed)
        .await?;
        Ok(())
    }

    pub(in crate::store) async fn redeem_ticket(
        &self,
        hash: &str,
        now: i64,
    ) -> StoreResult<Option<TicketGrant>> {
        // One statement takes the ticket: of two instances redeeming it at
        // once, the second's delete finds no row, so it works once.
        let row = sqlx::query(
            "delete from tickets where hash = $1
             returning user_id, team_id, board_id, item_id, expires_at",
        )
        .bind(hash)
        .fetch_optional(&self.relaxed)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        if row.try_get::<i64, _>("expires_at")? < now {
            return Ok(None);
        }
        Ok(Some(TicketGrant {
            user: TokenKey {
                user_id: row.try_get("user_id")?,
                team_id: row.try_get("team_id")?,
            },
            card: card_key(&row)?,
        }))
    }

    pub(in crate::store) async fn create_oauth_state(
        &self,
        hash: &str,
        expires_at: i64,
    ) -> StoreResult<()> {
        clear_expired(&self.relaxed, "oauth_states", super::now()).await?;
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
        // As with tickets: the delete is the take, so a state works once.
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
        sqlx::query("delete from github_deliveries where delivery_id = $1")
            .bind(delivery_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(in crate::store) async fn append_log(&self, entry: &LogEntry) -> StoreResult<()> {
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
        let rows = sqlx::query(
            "select at, record_id, board_id, item_id, origin, actor, action, result
             from sync_log order by id desc limit $1",
        )
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

/// Deletes the expired rows of `table` (`tickets` or `oauth_states`, both
/// keyed by `hash`). Rows another instance is already deleting are skipped
/// rather than waited for: clearing is housekeeping, and two instances
/// clearing at once must not block each other or deadlock.
async fn clear_expired(pool: &PgPool, table: &'static str, now: i64) -> StoreResult<()> {
    sqlx::query(&format!(
        "delete from {table} where hash in
             (select hash from {table} where expires_at < $1 for update skip locked)"
    ))
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
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
