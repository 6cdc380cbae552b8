//! The outbox of card writes. Rows name a card only; the worker renders
//! the record when it drains them, so all of a card's pending rows are
//! settled by one write of the newest content. A checked rewrite is not
//! queued twice (see [`CHECK_WANTED`]), and rows are deleted once settled.
//!
//! Lock order: a transaction that changes both a card's link and its
//! outbox rows locks the link first (as unlinking does), so two such
//! transactions on one card queue up instead of deadlocking.

use std::sync::LazyLock;

use sqlx::{PgConnection, PgPool, Row};

use super::{card_key, insert_log};
use crate::store::{now, CardKey, LogEntry, OutboxEntry, StoreResult};

/// Queues a write of the card's record.
pub async fn enqueue(conn: &mut PgConnection, card: &CardKey, origin: &str) -> StoreResult<()> {
    let at = now();
    sqlx::query(
        "insert into outbox (board_id, item_id, origin, next_attempt_at, created_at, updated_at,
             in_flight)
         values ($1, $2, $3, $4, $4, $4, false)",
    )
    .bind(&card.board_id)
    .bind(&card.item_id)
    .bind(origin)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the card `c` (a row with `board_id` and `item_id`) wants a
/// checked rewrite queued, `$now` being now: not while one of its pending
/// rows is in flight, whose writer reads the card before writing anyway.
/// While its lease is held a push may have read its rows already, past
/// its check, so one more is let in then: at most one check waits that no
/// writer has started on, however often a card is asked to be checked.
/// Two instances asking at once are kept apart by the card's link, which
/// both lock first.
pub(super) const CHECK_WANTED: &str = "(select count(*) from outbox o
         where o.board_id = c.board_id and o.item_id = c.item_id and o.state = 'pending'
             and o.in_flight)
     < (case when exists (select 1 from card_leases l where l.board_id = c.board_id
             and l.item_id = c.item_id and l.until >= $now) then 2 else 1 end)";

/// Queues a checked rewrite of one card: its writer reads the card first
/// (`in_flight`), since the board may not show what was last written to
/// it. Nothing is queued when such a check waits already
/// ([`CHECK_WANTED`]).
pub async fn enqueue_rewrite(pool: &PgPool, card: &CardKey, origin: &str) -> StoreResult<()> {
    static ENQUEUE_CHECKED: LazyLock<String> = LazyLock::new(|| {
        format!(
            "insert into outbox (board_id, item_id, origin, next_attempt_at, created_at,
                 updated_at, in_flight)
             select c.board_id, c.item_id, $3, $4, $4, $4, true
             from (select $1::text as board_id, $2::text as item_id) c
             where {}",
            CHECK_WANTED.replace("$now", "$4")
        )
    });
    let mut tx = pool.begin().await?;
    // The link first (see the lock order above), which also keeps a second
    // check of the card, asked for at once, from passing the same test.
    sqlx::query("select 1 from card_links where board_id = $1 and item_id = $2 for update")
        .bind(&card.board_id)
        .bind(&card.item_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(&ENQUEUE_CHECKED)
        .bind(&card.board_id)
        .bind(&card.item_id)
        .bind(origin)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn drop_pending(conn: &mut PgConnection, card: &CardKey, why: &str) -> StoreResult<()> {
    sqlx::query(
        "update outbox set state = 'dropped', last_error = $1, updated_at = $2
         where board_id = $3 and item_id = $4 and state = 'pending'",
    )
    .bind(why)
    .bind(now())
    .bind(&card.board_id)
    .bind(&card.item_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn due(pool: &PgPool, now: i64, limit: u32) -> StoreResult<Vec<CardKey>> {
    let rows = sqlx::query(
        "select board_id, item_id, min(id) as first from outbox
         where state = 'pending'
         group by board_id, item_id
         having min(next_attempt_at) <= $1
         order by first limit $2",
    )
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(card_key).collect()
}

pub async fn pending(pool: &PgPool, card: &CardKey) -> StoreResult<Vec<OutboxEntry>> {
    let rows = sqlx::query(
        "select id, origin, attempts, in_flight from outbox
         where board_id = $1 and item_id = $2 and state = 'pending' order by id",
    )
    .bind(&card.board_id)
    .bind(&card.item_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxEntry {
                id: row.try_get("id")?,
                card: card.clone(),
                origin: row.try_get("origin")?,
                attempts: row.try_get("attempts")?,
                in_flight: row.try_get("in_flight")?,
            })
        })
        .collect()
}

pub async fn finish(
    pool: &PgPool,
    card: &CardKey,
    upto_id: i64,
    written_hash: Option<&str>,
    log: &LogEntry,
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    // The link first (see the lock order above): unlinking the card locks
    // it, then its outbox rows.
    sqlx::query("select 1 from card_links where board_id = $1 and item_id = $2 for update")
        .bind(&card.board_id)
        .bind(&card.item_id)
        .execute(&mut *tx)
        .await?;
    // Rows queued after the write was rendered have higher ids and stay
    // pending: only what the write covered is settled. Settled rows are
    // read by nothing: they go (the link keeps `last_hash`).
    sqlx::query(
        "delete from outbox
         where board_id = $1 and item_id = $2 and state = 'pending' and id <= $3",
    )
    .bind(&card.board_id)
    .bind(&card.item_id)
    .bind(upto_id)
    .execute(&mut *tx)
    .await?;
    if let Some(hash) = written_hash {
        sqlx::query(
            "update card_links set last_hash = $1, updated_at = $2
             where board_id = $3 and item_id = $4",
        )
        .bind(hash)
        .bind(now())
        .bind(&card.board_id)
        .bind(&card.item_id)
        .execute(&mut *tx)
        .await?;
    }
    insert_log(&mut tx, log).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn retry(
    pool: &PgPool,
    card: &CardKey,
    upto_id: i64,
    next_at: i64,
    error: &str,
) -> StoreResult<()> {
    // `attempts + 1` in the update itself, not read and written back: an
    // attempt counted by another instance meanwhile is never lost.
    // `in_flight` stays: after a failed or unanswered PATCH the next
    // writer cannot know whether it landed.
    sqlx::query(
        "update outbox set attempts = attempts + 1, next_attempt_at = $1, last_error = $2,
             updated_at = $3
         where board_id = $4 and item_id = $5 and state = 'pending' and id <= $6",
    )
    .bind(next_at)
    .bind(error)
    .bind(now())
    .bind(&card.board_id)
    .bind(&card.item_id)
    .bind(upto_id)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn count(pool: &PgPool) -> StoreResult<u64> {
    let n: i64 = sqlx::query_scalar("select count(*) from outbox where state = 'pending'")
        .fetch_one(pool)
        .await?;
    Ok(n.max(0) as u64)
}

/// Deletes up to `limit` settled rows (dropped ones, and done ones kept
/// by earlier versions); how many. Rows another instance is deleting are
/// skipped, not waited for.
pub async fn prune(pool: &PgPool, limit: u32) -> StoreResult<u64> {
    let pruned = sqlx::query(
        "delete from outbox where id in
             (select id from outbox where state in ('done', 'dropped') limit $1
              for update skip locked)",
    )
    .bind(i64::from(limit))
    .execute(pool)
    .await?;
    Ok(pruned.rows_affected())
}

/// Marks a card's pending writes up to `upto_id` as being sent.
pub async fn mark_in_flight(pool: &PgPool, card: &CardKey, upto_id: i64) -> StoreResult<()> {
    sqlx::query(
        "update outbox set in_flight = true
         where board_id = $1 and item_id = $2 and state = 'pending' and id <= $3",
    )
    .bind(&card.board_id)
    .bind(&card.item_id)
    .bind(upto_id)
    .execute(pool)
    .await?;
    Ok(())
}
