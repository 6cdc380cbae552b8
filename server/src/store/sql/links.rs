//! Linking and unlinking cards: which card shows which record, whose token
//! writes it, its status, and the hash of what was last written to it
//! (reads are in `link_reads.rs`).

use super::{
    db::{execute, fetch_optional, Db, Durability},
    dialect::{RECORD_OF_UNLINKED, SOURCE_DELETED_FOR_LINK},
    log, outbox,
    rows::{link_row, Columns},
};
use crate::clock::now;
use crate::store::{CardKey, LogEntry, NewLink, StoreError, StoreResult, Unlink};

/// See [`Store::link_card`](crate::store::Store::link_card).
pub(in crate::store) async fn link(db: &Db, link: NewLink<'_>) -> StoreResult<()> {
    let mut tx = db.begin(Durability::Full).await?;
    // The link's status follows the record's `source_deleted` (see
    // SOURCE_DELETED_FOR_LINK for why it holds until the commit).
    let source_deleted = fetch_optional!(
        tx(&mut tx),
        SOURCE_DELETED_FOR_LINK,
        [link.record_id],
        |row| row.flag("source_deleted")
    )?
    .ok_or_else(|| StoreError::NoRecord(link.record_id.to_owned()))?;
    let status = if source_deleted {
        "disabled"
    } else {
        "connected"
    };
    // A new link forgets the hash: the card must be written once to show
    // this record, whatever it showed before. A card linked by someone else
    // keeps its link (the `where`): only its owner links it again, or
    // anyone once it was disconnected. PostgreSQL locks the existing row
    // and checks the `where` against its newest version, so the check and
    // the write cannot be split by another instance.
    let linked = execute!(
        tx(&mut tx),
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
        [
            &link.card.board_id,
            &link.card.item_id,
            link.record_id,
            &link.owner.user_id,
            &link.owner.team_id,
            status,
            now()
        ]
    )?;
    if linked == 0 {
        let current = fetch_optional!(
            tx(&mut tx),
            "select * from card_links where board_id = $1 and item_id = $2",
            [&link.card.board_id, &link.card.item_id],
            link_row
        )?
        .ok_or(sqlx::Error::RowNotFound)?;
        return Err(StoreError::LinkedByOther {
            owner: current.owner,
        });
    }
    outbox::enqueue(&mut tx, link.card, link.origin).await?;
    log::insert(
        &mut tx,
        &LogEntry {
            actor: link.actor.to_owned(),
            record_id: Some(link.record_id.to_owned()),
            ..LogEntry::card(link.card, link.origin, "link", status)
        },
    )
    .await?;
    tx.commit().await
}

/// See [`Store::unlink_card`](crate::store::Store::unlink_card).
pub(in crate::store) async fn unlink(
    db: &Db,
    card: &CardKey,
    how: Unlink,
    origin: &str,
) -> StoreResult<()> {
    let mut tx = db.begin(Durability::Full).await?;
    let record_id = fetch_optional!(
        tx(&mut tx),
        RECORD_OF_UNLINKED,
        [&card.board_id, &card.item_id],
        |row| row.maybe_text("record_id")
    )?
    .flatten();
    match how {
        Unlink::Gone => {
            execute!(
                tx(&mut tx),
                "delete from card_links where board_id = $1 and item_id = $2",
                [&card.board_id, &card.item_id]
            )?;
            // Writes still queued for a card that no longer exists can
            // never be applied.
            outbox::drop_pending(&mut tx, card, "card deleted on the board").await?;
        }
        Unlink::Disconnect => {
            execute!(
                tx(&mut tx),
                "update card_links set record_id = null, status = 'disconnected',
                     last_hash = null, updated_at = $1
                 where board_id = $2 and item_id = $3",
                [now(), &card.board_id, &card.item_id]
            )?;
            outbox::enqueue(&mut tx, card, origin).await?;
        }
    }
    let action = match how {
        Unlink::Gone => "unlink: card deleted on the board",
        Unlink::Disconnect => "unlink: disconnected",
    };
    log::insert(
        &mut tx,
        &LogEntry {
            record_id,
            ..LogEntry::card(card, origin, action, "ok")
        },
    )
    .await?;
    tx.commit().await
}
