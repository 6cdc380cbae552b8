//! A board's cards as the panel sees them: linking cards the app has just
//! written (so nothing is written twice), a record created together with
//! its card, how each card stands with its record, and retrying or
//! rewriting the board's cards.

use crate::clock::now;
use std::collections::HashSet;

use super::{
    db::{execute, fetch_all, Db, Durability, Tx},
    dialect::{Backend, Composed, SqlText, LARGER, RECORD_TITLE, RETRY_FAILED_NOW},
    log,
    outbox::CHECK_WANTED,
    rows::Columns,
};
use crate::{
    miro::TokenKey,
    store::{CardKey, CardState, LogEntry, NewLink, NewRecord, Pacing, RecordRow, StoreResult},
};

/// Links a card that was just created showing its record's current
/// rendering, whose hash is `written_hash`: no write is queued, since the
/// card already shows what a write would send. A plain insert: the card is
/// new, so a link already there (another process's) is an error.
async fn link_written_on(
    tx: &mut Tx,
    link: &NewLink<'_>,
    status: &str,
    written_hash: &str,
) -> StoreResult<()> {
    execute!(
        tx(tx),
        "insert into card_links
             (board_id, item_id, record_id, user_id, team_id, status, last_hash, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        [
            &link.card.board_id,
            &link.card.item_id,
            link.record_id,
            &link.owner.user_id,
            &link.owner.team_id,
            status,
            written_hash,
            now()
        ]
    )?;
    log::insert(
        tx,
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
pub(in crate::store) async fn link_written(
    db: &Db,
    links: &[(NewLink<'_>, String)],
) -> StoreResult<()> {
    let mut tx = db.begin(Durability::Full).await?;
    for (link, hash) in links {
        link_written_on(&mut tx, link, "connected", hash).await?;
    }
    tx.commit().await
}

/// A new record and the card just created for it, linked, in one
/// transaction: both are stored or neither.
pub(in crate::store) async fn create_linked(
    db: &Db,
    new: NewRecord<'_>,
    card: &CardKey,
    owner: &TokenKey,
    written_hash: &str,
) -> StoreResult<RecordRow> {
    let mut tx = db.begin(Durability::Full).await?;
    let record = super::records::create_on(&mut tx, new.clone()).await?;
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
/// writes (how many attempts failed, and the last error). One statement,
/// so it reads one snapshot of the links and the outbox.
pub(in crate::store) async fn states(db: &Db, board_id: &str) -> StoreResult<Vec<CardState>> {
    static STATES: Composed = Composed::new(|backend| {
        format!(
            "select l.item_id, l.record_id, l.status,
                    coalesce({title}, '') as title,
                    (select count(*) from outbox o where o.board_id = l.board_id
                        and o.item_id = l.item_id and o.state = 'pending') as pending,
                    (select coalesce(max(attempts), 0) from outbox o where o.board_id = l.board_id
                        and o.item_id = l.item_id and o.state = 'pending') as attempts,
                    (select last_error from outbox o where o.board_id = l.board_id
                        and o.item_id = l.item_id and o.state = 'pending' and last_error is not null
                        order by o.updated_at desc, o.id desc limit 1) as last_error
             from card_links l left join records r on r.id = l.record_id
             where l.board_id = $1 order by l.created_at, l.item_id",
            title = RECORD_TITLE.text(backend)
        )
    });
    fetch_all!(pool(db), &STATES, [board_id], |row| {
        let status = row.text("status")?;
        Ok(CardState {
            card: CardKey::new(board_id, row.text("item_id")?),
            record_id: row.maybe_text("record_id")?,
            title: row.text("title")?,
            status: app::cards::CardStatus::parse(&status).unwrap_or_default(),
            pending: row.int("pending")?.max(0) as u64,
            attempts: row.int("attempts")?,
            last_error: row.maybe_text("last_error")?,
        })
    })
}

/// Makes the board's failed writes due, card by card as `pacing` says
/// (never later than they were due); how many cards. Cards due already
/// are left alone: retrying them again costs nothing more.
pub(in crate::store) async fn retry_now(
    db: &Db,
    board_id: &str,
    pacing: Pacing,
) -> StoreResult<u64> {
    let cards = fetch_all!(
        pool(db),
        RETRY_FAILED_NOW,
        [board_id, pacing.now, pacing.due_now, pacing.spacing_ms],
        |row| row.text("item_id")
    )?
    .into_iter()
    .collect::<HashSet<_>>();
    Ok(cards.len() as u64)
}

/// Queues a checked rewrite of every linked card on the board (each card is
/// read first and written when it differs) that has none waiting
/// ([`CHECK_WANTED`]), falling due as `pacing` says, in one statement;
/// how many cards were queued. On PostgreSQL the board's links are locked
/// first (in key order, as a save's are), so a re-sync at once on another
/// instance waits and then finds these checks waiting. A card linked by
/// another instance after the read queues a write of its own, so none is
/// left out.
pub(in crate::store) async fn rewrite_all(
    db: &Db,
    board_id: &str,
    origin: &str,
    pacing: Pacing,
) -> StoreResult<u64> {
    static REWRITE_ALL: Composed = Composed::new(|backend| {
        format!(
            "insert into outbox (board_id, item_id, origin, next_attempt_at, created_at,
                 updated_at, in_flight)
             select c.board_id, c.item_id, $2,
                 $3 + {larger}(0, row_number() over (order by c.item_id) - $4) * $5 / 1000,
                 $3, $3, true
             from card_links c
             where c.board_id = $1 and c.record_id is not null and {}
             order by c.item_id",
            CHECK_WANTED.replace("$now", "$3"),
            larger = LARGER.text(backend)
        )
    });
    let mut tx = db.begin(Durability::Full).await?;
    if tx.backend() == Backend::Postgres {
        execute!(
            tx(&mut tx),
            "select 1 from card_links where board_id = $1 and record_id is not null
             order by item_id for update",
            [board_id]
        )?;
    }
    let queued = execute!(
        tx(&mut tx),
        &REWRITE_ALL,
        [
            board_id,
            origin,
            pacing.now,
            pacing.due_now,
            pacing.spacing_ms
        ]
    )?;
    if queued > 0 {
        log::insert(
            &mut tx,
            &LogEntry::board(board_id, origin, "re-sync", format!("{queued} cards")),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(queued)
}
