//! The outbox of card writes. Rows name a card only; the worker renders
//! the record when it drains them, so all of a card's pending rows are
//! settled by one write of the newest content. A checked rewrite is not
//! queued twice (see [`CHECK_WANTED`]), and rows are deleted once settled.
//!
//! Lock order on PostgreSQL: a transaction that changes both a card's
//! link and its outbox rows locks the link first (as unlinking does), so
//! two such transactions on one card queue up instead of deadlocking.

use crate::clock::now;
use std::sync::LazyLock;

use super::{
    db::{execute, fetch_all, fetch_optional, Db, Durability, Tx},
    dialect::{Backend, PRUNE_SETTLED},
    leases::{self, Lease, CARDS},
    link_reads, log,
    rows::{card_key, Columns},
};
use crate::store::{CardKey, CardToPush, LogEntry, OutboxEntry, StoreResult};

/// Locks a card's link (PostgreSQL; `$1` board, `$2` item): the first
/// lock of a transaction that then changes the card's outbox rows.
const LOCK_LINK: &str = "select 1 from card_links where board_id = $1 and item_id = $2 for update";

/// Queues a write of the card's record inside the caller's transaction.
pub(in crate::store) async fn enqueue(
    tx: &mut Tx,
    card: &CardKey,
    origin: &str,
) -> StoreResult<()> {
    execute!(
        tx(tx),
        "insert into outbox (board_id, item_id, origin, next_attempt_at, created_at, updated_at,
             in_flight)
         values ($1, $2, $3, $4, $4, $4, false)",
        [&card.board_id, &card.item_id, origin, now()]
    )?;
    Ok(())
}

/// Drops a card's pending writes (they can never be applied), saying why,
/// inside the caller's transaction.
pub(in crate::store) async fn drop_pending(
    tx: &mut Tx,
    card: &CardKey,
    why: &str,
) -> StoreResult<()> {
    execute!(
        tx(tx),
        "update outbox set state = 'dropped', last_error = $1, updated_at = $2
         where board_id = $3 and item_id = $4 and state = 'pending'",
        [why, now(), &card.board_id, &card.item_id]
    )?;
    Ok(())
}

/// Whether the card `c` (a row with `board_id` and `item_id`) wants a
/// checked rewrite queued, `$now` being now: not while one of its pending
/// rows is in flight, whose writer reads the card before writing anyway.
/// While its lease is held a push may have read its rows already, past
/// its check, so one more is let in then: at most one check waits that no
/// writer has started on, however often a card is asked to be checked.
/// Two instances asking at once are kept apart by the card's link, which
/// both lock first on PostgreSQL.
pub(super) const CHECK_WANTED: &str = "(select count(*) from outbox o
         where o.board_id = c.board_id and o.item_id = c.item_id and o.state = 'pending'
             and o.in_flight)
     < (case when exists (select 1 from card_leases l where l.board_id = c.board_id
             and l.item_id = c.item_id and l.until >= $now) then 2 else 1 end)";

/// Queues a checked rewrite of one card: its writer reads the card first
/// (`in_flight`), since the board may not show what was last written to
/// it. Nothing is queued when such a check waits already
/// ([`CHECK_WANTED`]).
pub(in crate::store) async fn enqueue_checked(
    db: &Db,
    card: &CardKey,
    origin: &str,
) -> StoreResult<()> {
    static ENQUEUE_CHECKED: LazyLock<String> = LazyLock::new(|| {
        format!(
            "insert into outbox (board_id, item_id, origin, next_attempt_at, created_at,
                 updated_at, in_flight)
             select c.board_id, c.item_id, $3, $4, $4, $4, true
             from (select cast($1 as text) as board_id, cast($2 as text) as item_id) c
             where {}",
            CHECK_WANTED.replace("$now", "$4")
        )
    });
    let mut tx = db.begin(Durability::Full).await?;
    if tx.backend() == Backend::Postgres {
        // The link first (see the lock order above), which also keeps a
        // second check of the card, asked for at once, from passing the
        // same test.
        execute!(tx(&mut tx), LOCK_LINK, [&card.board_id, &card.item_id])?;
    }
    execute!(
        tx(&mut tx),
        &*ENQUEUE_CHECKED,
        [&card.board_id, &card.item_id, origin, now()]
    )?;
    tx.commit().await
}

/// The cards with writes due at `now`, the longest waiting first.
pub(in crate::store) async fn due(db: &Db, now: i64, limit: u32) -> StoreResult<Vec<CardKey>> {
    fetch_all!(
        pool(db),
        "select board_id, item_id, min(id) as first from outbox
         where state = 'pending'
         group by board_id, item_id
         having min(next_attempt_at) <= $1
         order by first limit $2",
        [now, i64::from(limit)],
        card_key
    )
}

/// A card's pending writes, oldest first: `$1` board, `$2` item.
const PENDING: &str = "select id, origin, attempts, in_flight from outbox
     where board_id = $1 and item_id = $2 and state = 'pending' order by id";

pub(in crate::store) async fn pending(db: &Db, card: &CardKey) -> StoreResult<Vec<OutboxEntry>> {
    fetch_all!(pool(db), PENDING, [&card.board_id, &card.item_id], |row| {
        entry(row, card)
    })
}

/// A row of [`PENDING`].
fn entry(row: &impl Columns, card: &CardKey) -> StoreResult<OutboxEntry> {
    Ok(OutboxEntry {
        id: row.int("id")?,
        card: card.clone(),
        origin: row.text("origin")?,
        attempts: row.int("attempts")?,
        in_flight: row.flag("in_flight")?,
    })
}

/// See [`Store::claim_card_to_push`](crate::store::Store::claim_card_to_push).
/// On PostgreSQL the claim, then the two reads. On SQLite the lease's
/// upsert (that of [`leases::claim`]) and the two reads are one script, so
/// one round trip to the connection's thread where they were three (the
/// same sqlx behaviour the save script relies on, with the same caveat);
/// each statement still commits by itself. The reads run even when the
/// claim fails, and are dropped then.
pub(in crate::store) async fn claim_to_push(
    db: &Db,
    card: &CardKey,
    holder: &str,
    now: i64,
    until: i64,
) -> StoreResult<Option<CardToPush>> {
    match db {
        Db::Sqlite(sqlite) => claim_to_push_script(&sqlite.relaxed, card, holder, now, until).await,
        Db::Postgres(_) => {
            if !leases::claim(db, &Lease::card(card), holder, now, until).await? {
                return Ok(None);
            }
            Ok(Some(CardToPush {
                pending: pending(db, card).await?,
                link: link_reads::get_with_record(db, card).await?,
            }))
        }
    }
}

/// [`claim_to_push`] on SQLite: [`CLAIM_TO_PUSH`] and its rows.
async fn claim_to_push_script(
    pool: &sqlx::SqlitePool,
    card: &CardKey,
    holder: &str,
    now: i64,
    until: i64,
) -> StoreResult<Option<CardToPush>> {
    super::db::count_sent();
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
    let Some((_, rest)) = rows.split_first().filter(|(first, _)| first.has("holder")) else {
        return Ok(None);
    };
    let (writes, link) = rest.split_at(rest.iter().take_while(|row| row.has("attempts")).count());
    Ok(Some(CardToPush {
        pending: writes
            .iter()
            .map(|row| entry(row, card))
            .collect::<StoreResult<_>>()?,
        link: link.first().map(link_reads::with_record_row).transpose()?,
    }))
}

/// [`claim_to_push`]'s script on SQLite: `$1` board, `$2` item, `$3`
/// holder, `$4` the lease's end, `$5` now.
static CLAIM_TO_PUSH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} returning holder;
         {PENDING};
         {};",
        CARDS.claim_statement(),
        link_reads::WITH_RECORD
    )
});

/// Settles a card's pending writes up to `upto_id`: they are deleted (the
/// link keeps what was written, `last_hash`).
pub(in crate::store) async fn finish(
    db: &Db,
    card: &CardKey,
    upto_id: i64,
    written_hash: Option<&str>,
    log: &LogEntry,
) -> StoreResult<()> {
    let mut tx = db.begin(Durability::Relaxed).await?;
    if tx.backend() == Backend::Postgres {
        // The link first (see the lock order above): unlinking the card
        // locks it, then its outbox rows.
        execute!(tx(&mut tx), LOCK_LINK, [&card.board_id, &card.item_id])?;
    }
    // Rows queued after the write was rendered have higher ids and stay
    // pending: only what the write covered is settled. Settled rows are
    // read by nothing: they go.
    execute!(
        tx(&mut tx),
        "delete from outbox
         where board_id = $1 and item_id = $2 and state = 'pending' and id <= $3",
        [&card.board_id, &card.item_id, upto_id]
    )?;
    if let Some(hash) = written_hash {
        execute!(
            tx(&mut tx),
            "update card_links set last_hash = $1, updated_at = $2
             where board_id = $3 and item_id = $4",
            [hash, now(), &card.board_id, &card.item_id]
        )?;
    }
    log::insert(&mut tx, log).await?;
    tx.commit().await
}

pub(in crate::store) async fn retry(
    db: &Db,
    card: &CardKey,
    upto_id: i64,
    next_at: i64,
    error: &str,
) -> StoreResult<()> {
    // `attempts + 1` in the update itself, not read and written back: an
    // attempt counted by another instance meanwhile is never lost.
    // `in_flight` stays: after a failed or unanswered PATCH the next
    // writer cannot know whether it landed.
    execute!(
        relaxed(db),
        "update outbox set attempts = attempts + 1, next_attempt_at = $1, last_error = $2,
             updated_at = $3
         where board_id = $4 and item_id = $5 and state = 'pending' and id <= $6",
        [
            next_at,
            error,
            now(),
            &card.board_id,
            &card.item_id,
            upto_id
        ]
    )?;
    Ok(())
}

pub(in crate::store) async fn count(db: &Db) -> StoreResult<u64> {
    let n = fetch_optional!(
        pool(db),
        "select count(*) as n from outbox where state = 'pending'",
        [],
        |row| row.int("n")
    )?;
    Ok(n.unwrap_or(0).max(0) as u64)
}

/// Deletes up to `limit` settled rows (dropped ones, and done ones kept
/// by earlier versions); how many.
pub(in crate::store) async fn prune(db: &Db, limit: u32) -> StoreResult<u64> {
    execute!(relaxed(db), PRUNE_SETTLED, [i64::from(limit)])
}

/// Marks a card's pending writes up to `upto_id` as being sent.
pub(in crate::store) async fn mark_in_flight(
    db: &Db,
    card: &CardKey,
    upto_id: i64,
) -> StoreResult<()> {
    execute!(
        relaxed(db),
        "update outbox set in_flight = true
         where board_id = $1 and item_id = $2 and state = 'pending' and id <= $3",
        [&card.board_id, &card.item_id, upto_id]
    )?;
    Ok(())
}
