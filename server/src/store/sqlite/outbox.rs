//! The outbox of card writes. Rows name a card only; the worker renders
//! the record when it drains them, so all of a card's pending rows are
//! settled by one write of the newest content. A checked rewrite is not
//! queued twice (see [`CHECK_WANTED`]), and rows are deleted once settled.

use std::sync::LazyLock;

use sqlx::{sqlite::SqliteRow, Row, SqliteConnection, SqlitePool};

use super::{insert_log, leases, links};
use crate::store::{now, CardKey, CardToPush, LogEntry, OutboxEntry, StoreResult};

pub async fn enqueue(conn: &mut SqliteConnection, card: &CardKey, origin: &str) -> StoreResult<()> {
    let at = now();
    sqlx::query(
        "insert into outbox (board_id, item_id, origin, next_attempt_at, created_at, updated_at)
         values ($1, $2, $3, $4, $4, $4)",
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
pub(super) const CHECK_WANTED: &str = "(select count(*) from outbox o
         where o.board_id = c.board_id and o.item_id = c.item_id and o.state = 'pending'
             and o.in_flight = 1)
     < (case when exists (select 1 from card_leases l where l.board_id = c.board_id
             and l.item_id = c.item_id and l.until >= $now) then 2 else 1 end)";

/// Queues a write whose writer reads the card first (`in_flight`): the
/// board may not show what was last written to it. Nothing is queued when
/// such a check waits already ([`CHECK_WANTED`]).
pub async fn enqueue_checked(
    conn: &mut SqliteConnection,
    card: &CardKey,
    origin: &str,
) -> StoreResult<()> {
    static ENQUEUE_CHECKED: LazyLock<String> = LazyLock::new(|| {
        format!(
            "insert into outbox (board_id, item_id, origin, next_attempt_at, created_at,
                 updated_at, in_flight)
             select c.board_id, c.item_id, $3, $4, $4, $4, 1
             from (select $1 as board_id, $2 as item_id) c
             where {}",
            CHECK_WANTED.replace("$now", "$4")
        )
    });
    sqlx::query(&ENQUEUE_CHECKED)
        .bind(&card.board_id)
        .bind(&card.item_id)
        .bind(origin)
        .bind(now())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn drop_pending(
    conn: &mut SqliteConnection,
    card: &CardKey,
    why: &str,
) -> StoreResult<()> {
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

pub async fn due(pool: &SqlitePool, now: i64, limit: u32) -> StoreResult<Vec<CardKey>> {
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
    rows.iter()
        .map(|row| {
            Ok(CardKey::new(
                row.try_get::<String, _>("board_id")?,
                row.try_get::<String, _>("item_id")?,
            ))
        })
        .collect()
}

pub async fn pending(pool: &SqlitePool, card: &CardKey) -> StoreResult<Vec<OutboxEntry>> {
    let rows = sqlx::query(PENDING)
        .bind(&card.board_id)
        .bind(&card.item_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(|row| entry(row, card)).collect()
}

/// A card's pending writes, oldest first: `$1` board, `$2` item.
const PENDING: &str = "select id, origin, attempts, in_flight from outbox
     where board_id = $1 and item_id = $2 and state = 'pending' order by id";

fn entry(row: &SqliteRow, card: &CardKey) -> StoreResult<OutboxEntry> {
    Ok(OutboxEntry {
        id: row.try_get("id")?,
        card: card.clone(),
        origin: row.try_get("origin")?,
        attempts: row.try_get("attempts")?,
        in_flight: row.try_get::<i64, _>("in_flight")? != 0,
    })
}

/// See [`Store::claim_card_to_push`](crate::store::Store::claim_card_to_push):
/// the lease's upsert (that of [`leases::claim`]) and the two reads are
/// one script, so one round trip to the connection's thread where they
/// were three (the same sqlx behaviour `records::save` relies on, with the
/// same caveat); each statement still commits by itself. The reads run even
/// when the claim fails, and are dropped then.
pub async fn claim_to_push(
    pool: &SqlitePool,
    card: &CardKey,
    holder: &str,
    now: i64,
    until: i64,
) -> StoreResult<Option<CardToPush>> {
    let rows = sqlx::query(&CLAIM_TO_PUSH)
        .bind(&card.board_id)
        .bind(&card.item_id)
        .bind(holder)
        .bind(until)
        .bind(now)
        .fetch_all(pool)
        .await?;
    // Each statement's rows are told apart by a column only it returns:
    // the lease's row comes first, and only if it was taken.
    let Some((_, rest)) = rows
        .split_first()
        .filter(|(first, _)| first.try_column("holder").is_ok())
    else {
        return Ok(None);
    };
    let (writes, link) = rest.split_at(
        rest.iter()
            .take_while(|row| row.try_column("attempts").is_ok())
            .count(),
    );
    Ok(Some(CardToPush {
        pending: writes
            .iter()
            .map(|row| entry(row, card))
            .collect::<StoreResult<_>>()?,
        link: link.first().map(links::with_record_row).transpose()?,
    }))
}

/// [`claim_to_push`]'s script: `$1` board, `$2` item, `$3` holder, `$4`
/// the lease's end, `$5` now.
static CLAIM_TO_PUSH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} returning holder;
         {PENDING};
         {};",
        leases::CARDS.claim_statement(),
        links::WITH_RECORD
    )
});

pub async fn finish(
    pool: &SqlitePool,
    card: &CardKey,
    upto_id: i64,
    written_hash: Option<&str>,
    log: &LogEntry,
) -> StoreResult<()> {
    let mut tx = super::write_tx(pool).await?;
    // Settled rows are read by nothing: they go (the card's link keeps
    // what was written, `last_hash`).
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
    pool: &SqlitePool,
    card: &CardKey,
    upto_id: i64,
    next_at: i64,
    error: &str,
) -> StoreResult<()> {
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

pub async fn count(pool: &SqlitePool) -> StoreResult<u64> {
    let row = sqlx::query("select count(*) as n from outbox where state = 'pending'")
        .fetch_one(pool)
        .await?;
    Ok(row.try_get::<i64, _>("n")?.max(0) as u64)
}

/// Deletes up to `limit` settled rows (dropped ones, and done ones kept
/// by earlier versions); how many.
pub async fn prune(pool: &SqlitePool, limit: u32) -> StoreResult<u64> {
    let pruned = sqlx::query(
        "delete from outbox where id in
             (select id from outbox where state in ('done', 'dropped') limit $1)",
    )
    .bind(i64::from(limit))
    .execute(pool)
    .await?;
    Ok(pruned.rows_affected())
}

/// Marks a card's pending writes up to `upto_id` as being sent.
pub async fn mark_in_flight(pool: &SqlitePool, card: &CardKey, upto_id: i64) -> StoreResult<()> {
    sqlx::query(
        "update outbox set in_flight = 1
         where board_id = $1 and item_id = $2 and state = 'pending' and id <= $3",
    )
    .bind(&card.board_id)
    .bind(&card.item_id)
    .bind(upto_id)
    .execute(pool)
    .await?;
    Ok(())
}
