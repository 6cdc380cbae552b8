//! Card links: which card shows which record, whose token writes it, its
//! status, and the hash of what was last written to it.

use sqlx::{sqlite::SqliteRow, Row, SqlitePool};

use super::{insert_log, link_row, outbox, record_row, records};
use crate::{
    miro::TokenKey,
    store::{
        now, CardKey, CardLink, LogEntry, NewLink, RecordRow, StoreError, StoreResult, Unlink,
    },
};

pub async fn link(pool: &SqlitePool, link: NewLink<'_>) -> StoreResult<()> {
    let record = records::get(pool, link.record_id)
        .await?
        .ok_or_else(|| StoreError::NoRecord(link.record_id.to_owned()))?;
    let status = if record.source_deleted {
        "disabled"
    } else {
        "connected"
    };
    let at = now();
    let mut tx = super::write_tx(pool).await?;
    // A new link forgets the hash: the card must be written once to show
    // this record, whatever it showed before. A card linked by someone else
    // keeps its link (the `where`): only its owner links it again, or
    // anyone once it was disconnected.
    let linked = sqlx::query(
        "insert into card_links
             (board_id, item_id, record_id, user_id, team_id, status, last_hash, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, null, $7, $7)
         on conflict (board_id, item_id) do update set
             record_id = excluded.record_id,
             user_id = excluded.user_id,
             team_id = excluded.team_id,
             status = excluded.status,
             last_hash = null,
             updated_at = excluded.updated_at
         where card_links.record_id is null
            or (card_links.user_id = excluded.user_id and card_links.team_id = excluded.team_id)",
    )
    .bind(&link.card.board_id)
    .bind(&link.card.item_id)
    .bind(link.record_id)
    .bind(&link.owner.user_id)
    .bind(&link.owner.team_id)
    .bind(status)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    if linked.rows_affected() == 0 {
        let current = sqlx::query("select * from card_links where board_id = $1 and item_id = $2")
            .bind(&link.card.board_id)
            .bind(&link.card.item_id)
            .fetch_one(&mut *tx)
            .await?;
        return Err(StoreError::LinkedByOther {
            owner: link_row(&current)?.owner,
        });
    }
    outbox::enqueue(&mut tx, link.card, link.origin).await?;
    insert_log(
        &mut tx,
        &LogEntry {
            actor: link.actor.to_owned(),
            record_id: Some(link.record_id.to_owned()),
            ..LogEntry::card(link.card, link.origin, "link", status)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn unlink(
    pool: &SqlitePool,
    card: &CardKey,
    how: Unlink,
    origin: &str,
) -> StoreResult<()> {
    let mut tx = super::write_tx(pool).await?;
    let record_id: Option<String> =
        sqlx::query("select record_id from card_links where board_id = $1 and item_id = $2")
            .bind(&card.board_id)
            .bind(&card.item_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get("record_id"))
            .transpose()?
            .flatten();
    match how {
        Unlink::Gone => {
            sqlx::query("delete from card_links where board_id = $1 and item_id = $2")
                .bind(&card.board_id)
                .bind(&card.item_id)
                .execute(&mut *tx)
                .await?;
            // Writes still queued for a card that no longer exists can
            // never be applied.
            outbox::drop_pending(&mut tx, card, "card deleted on the board").await?;
        }
        Unlink::Disconnect => {
            sqlx::query(
                "update card_links set record_id = null, status = 'disconnected',
                     last_hash = null, updated_at = $1
                 where board_id = $2 and item_id = $3",
            )
            .bind(now())
            .bind(&card.board_id)
            .bind(&card.item_id)
            .execute(&mut *tx)
            .await?;
            outbox::enqueue(&mut tx, card, origin).await?;
        }
    }
    let action = match how {
        Unlink::Gone => "unlink: card deleted on the board",
        Unlink::Disconnect => "unlink: disconnected",
    };
    insert_log(
        &mut tx,
        &LogEntry {
            record_id,
            ..LogEntry::card(card, origin, action, "ok")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get(pool: &SqlitePool, card: &CardKey) -> StoreResult<Option<CardLink>> {
    let row = sqlx::query("select * from card_links where board_id = $1 and item_id = $2")
        .bind(&card.board_id)
        .bind(&card.item_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(link_row).transpose()
}

/// A card's link with its record's columns (all null when it names none):
/// `$1` board, `$2` item.
pub const WITH_RECORD: &str =
    "select l.*, r.id, r.connector, r.external_id, r.version, r.fields, r.source_deleted, r.scope
     from card_links l left join records r on r.id = l.record_id
     where l.board_id = $1 and l.item_id = $2";

/// See [`Store::link_with_record`](crate::store::Store::link_with_record).
pub async fn get_with_record(
    pool: &SqlitePool,
    card: &CardKey,
) -> StoreResult<Option<(CardLink, Option<RecordRow>)>> {
    let row = sqlx::query(WITH_RECORD)
        .bind(&card.board_id)
        .bind(&card.item_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(with_record_row).transpose()
}

/// A row of [`WITH_RECORD`].
pub fn with_record_row(row: &SqliteRow) -> StoreResult<(CardLink, Option<RecordRow>)> {
    let record = match row.try_get::<Option<String>, _>("id")? {
        Some(_) => Some(record_row(row)?),
        None => None,
    };
    Ok((link_row(row)?, record))
}

pub async fn for_record(pool: &SqlitePool, record_id: &str) -> StoreResult<Vec<CardLink>> {
    let rows =
        sqlx::query("select * from card_links where record_id = $1 order by board_id, item_id")
            .bind(record_id)
            .fetch_all(pool)
            .await?;
    rows.iter().map(link_row).collect()
}

pub async fn on_board(pool: &SqlitePool, board_id: &str) -> StoreResult<Vec<CardLink>> {
    let rows = sqlx::query("select * from card_links where board_id = $1 order by item_id")
        .bind(board_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(link_row).collect()
}

pub async fn boards(pool: &SqlitePool) -> StoreResult<Vec<(String, TokenKey)>> {
    // One installation per board is enough to list its cards: the one
    // that linked the board's first card.
    let rows = sqlx::query(
        "select board_id, user_id, team_id from card_links c
         where item_id = (select min(item_id) from card_links where board_id = c.board_id)
         order by board_id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("board_id")?,
                TokenKey {
                    user_id: row.try_get("user_id")?,
                    team_id: row.try_get("team_id")?,
                },
            ))
        })
        .collect()
}
