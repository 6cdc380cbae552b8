//! A board's cards as the panel sees them: linking cards the app has just
//! written (so nothing is written twice), a record created together with
//! its card, how each card stands with its record, and retrying or
//! rewriting the board's cards.

use std::{collections::HashSet, sync::LazyLock};

use sqlx::{Row, SqliteConnection, SqlitePool};

use super::{insert_log, outbox, records};
use crate::{
    miro::TokenKey,
    store::{
        now, CardKey, CardState, LogEntry, NewLink, NewRecord, Pacing, RecordRow, StoreResult,
    },
};

/// Links a card that was just created showing its record's current
/// rendering, whose hash is `written_hash`: no write is queued, since the
/// card already shows what a write would send.
async fn link_written_on(
    conn: &mut SqliteConnection,
    link: &NewLink<'_>,
    status: &str,
    written_hash: &str,
) -> StoreResult<()> {
    let at = now();
    sqlx::query(
        "insert into card_links
             (board_id, item_id, record_id, user_id, team_id, status, last_hash, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&link.card.board_id)
    .bind(&link.card.item_id)
    .bind(link.record_id)
    .bind(&link.owner.user_id)
    .bind(&link.owner.team_id)
    .bind(status)
    .bind(written_hash)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    insert_log(
        conn,
        &LogEntry {
            actor: link.actor.to_owned(),
            record_id: Some(link.record_id.to_owned()),
            ..LogEntry::card(link.card, link.origin, "link", status)
        },
    )
    .await
}

/// Links cards just created, each with the hash of what it shows, in one
/// transaction.
pub async fn link_written(pool: &SqlitePool, links: &[(NewLink<'_>, String)]) -> StoreResult<()> {
    let mut tx = super::write_tx(pool).await?;
    for (link, hash) in links {
        link_written_on(&mut tx, link, "connected", hash).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A new record and the card just created for it, linked, in one
/// transaction: both are stored or neither.
pub async fn create_linked(
    pool: &SqlitePool,
    new: NewRecord<'_>,
    card: &CardKey,
    owner: &TokenKey,
    written_hash: &str,
) -> StoreResult<RecordRow> {
    let mut tx = super::write_tx(pool).await?;
    let record = records::create_on(&mut tx, new.clone()).await?;
    let link = NewLink {
        card,
        record_id: &record.snapshot.id,
        owner,
        origin: new.origin,
        actor: new.actor,
    };
    link_written_on(&mut tx, &link, "connected", written_hash).await?;
    tx.commit().await?;
    Ok(record)
}

/// Every card on the board, with its record's title and its pending
/// writes (how many attempts failed, and the last error).
pub async fn states(pool: &SqlitePool, board_id: &str) -> StoreResult<Vec<CardState>> {
    let rows = sqlx::query(
        "select l.item_id, l.record_id, l.status,
                coalesce(json_extract(r.fields, '$.title'), '') as title,
                (select count(*) from outbox o where o.board_id = l.board_id
                    and o.item_id = l.item_id and o.state = 'pending') as pending,
                (select coalesce(max(attempts), 0) from outbox o where o.board_id = l.board_id
                    and o.item_id = l.item_id and o.state = 'pending') as attempts,
                (select last_error from outbox o where o.board_id = l.board_id
                    and o.item_id = l.item_id and o.state = 'pending' and last_error is not null
                    order by o.updated_at desc, o.id desc limit 1) as last_error
         from card_links l left join records r on r.id = l.record_id
         where l.board_id = $1 order by l.created_at, l.item_id",
    )
    .bind(board_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let status: String = row.try_get("status")?;
            Ok(CardState {
                card: CardKey::new(board_id, row.try_get::<String, _>("item_id")?),
                record_id: row.try_get("record_id")?,
                title: row.try_get("title")?,
                status: app::cards::CardStatus::parse(&status).unwrap_or_default(),
                pending: row.try_get::<i64, _>("pending")? as u64,
                attempts: row.try_get("attempts")?,
                last_error: row.try_get("last_error")?,
            })
        })
        .collect()
}

/// Makes the board's failed writes due, card by card as `pacing` says
/// (never later than they were due); how many cards. Cards due already
/// are left alone: retrying them again costs nothing more.
pub async fn retry_now(pool: &SqlitePool, board_id: &str, pacing: Pacing) -> StoreResult<u64> {
    let cards = sqlx::query(
        "with failed as (
             select item_id, row_number() over (order by item_id) as n from outbox
             where board_id = $1 and state = 'pending' and attempts > 0
             group by item_id having min(next_attempt_at) > $2
         )
         update outbox set updated_at = $2, next_attempt_at = min(next_attempt_at,
             $2 + max(0, (select n from failed f where f.item_id = outbox.item_id) - $3) * $4 / 1000)
         where board_id = $1 and state = 'pending' and attempts > 0
             and item_id in (select item_id from failed)
         returning item_id",
    )
    .bind(board_id)
    .bind(pacing.now)
    .bind(pacing.due_now)
    .bind(pacing.spacing_ms)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| row.try_get::<String, _>("item_id"))
    .collect::<Result<HashSet<_>, _>>()?;
    Ok(cards.len() as u64)
}

/// Queues a checked rewrite of every linked card on the board (each card is
/// read first and written when it differs) that has none waiting
/// ([`outbox::CHECK_WANTED`]), falling due as `pacing` says, in one
/// statement; how many cards were queued.
pub async fn rewrite_all(
    pool: &SqlitePool,
    board_id: &str,
    origin: &str,
    pacing: Pacing,
) -> StoreResult<u64> {
    static REWRITE_ALL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "insert into outbox (board_id, item_id, origin, next_attempt_at, created_at,
                 updated_at, in_flight)
             select c.board_id, c.item_id, $2,
                 $3 + max(0, row_number() over (order by c.item_id) - $4) * $5 / 1000, $3, $3, 1
             from card_links c
             where c.board_id = $1 and c.record_id is not null and {}
             order by c.item_id",
            outbox::CHECK_WANTED.replace("$now", "$3")
        )
    });
    let mut tx = super::write_tx(pool).await?;
    let queued = sqlx::query(&REWRITE_ALL)
        .bind(board_id)
        .bind(origin)
        .bind(pacing.now)
        .bind(pacing.due_now)
        .bind(pacing.spacing_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if queued > 0 {
        insert_log(
            &mut tx,
            &LogEntry::board(board_id, origin, "re-sync", format!("{queued} cards")),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(queued)
}
