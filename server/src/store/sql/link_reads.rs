//! Reading card links: a card's link (with its record, as a detail view
//! opens and a push reads it), a record's cards, a board's, and the boards
//! with an installation that reaches them.

use super::{
    db::{fetch_all, fetch_optional, Db},
    rows::{link_row, record_row, Columns},
};
use crate::{
    miro::TokenKey,
    store::{CardKey, CardLink, RecordRow, StoreResult},
};

pub(in crate::store) async fn get(db: &Db, card: &CardKey) -> StoreResult<Option<CardLink>> {
    fetch_optional!(
        pool(db),
        "select * from card_links where board_id = $1 and item_id = $2",
        [&card.board_id, &card.item_id],
        link_row
    )
}

/// A card's link with its record's columns (all null when it names none):
/// `$1` board, `$2` item.
pub(super) const WITH_RECORD: &str =
    "select l.board_id, l.item_id, l.record_id, l.user_id, l.team_id, l.status, l.last_hash,
            r.id, r.connector, r.external_id, r.version, cast(r.fields as text) as fields,
            r.source_deleted, r.scope, r.updated_at
     from card_links l left join records r on r.id = l.record_id
     where l.board_id = $1 and l.item_id = $2";

/// See [`Store::link_with_record`](crate::store::Store::link_with_record).
pub(in crate::store) async fn get_with_record(
    db: &Db,
    card: &CardKey,
) -> StoreResult<Option<(CardLink, Option<RecordRow>)>> {
    fetch_optional!(
        pool(db),
        WITH_RECORD,
        [&card.board_id, &card.item_id],
        with_record_row
    )
}

/// A row of [`WITH_RECORD`].
pub(super) fn with_record_row(row: &impl Columns) -> StoreResult<(CardLink, Option<RecordRow>)> {
    let record = match row.maybe_text("id")? {
        Some(_) => Some(record_row(row)?),
        None => None,
    };
    Ok((link_row(row)?, record))
}

pub(in crate::store) async fn for_record(db: &Db, record_id: &str) -> StoreResult<Vec<CardLink>> {
    fetch_all!(
        pool(db),
        "select * from card_links where record_id = $1 order by board_id, item_id",
        [record_id],
        link_row
    )
}

pub(in crate::store) async fn on_board(db: &Db, board_id: &str) -> StoreResult<Vec<CardLink>> {
    fetch_all!(
        pool(db),
        "select * from card_links where board_id = $1 order by item_id",
        [board_id],
        link_row
    )
}

pub(in crate::store) async fn boards(db: &Db) -> StoreResult<Vec<(String, TokenKey)>> {
    // One installation per board is enough to list its cards: the one
    // that linked the board's first card.
    fetch_all!(
        pool(db),
        "select board_id, user_id, team_id from card_links c
         where item_id = (select min(item_id) from card_links where board_id = c.board_id)
         order by board_id",
        [],
        |row| {
            Ok((
                row.text("board_id")?,
                TokenKey {
                    user_id: row.text("user_id")?,
                    team_id: row.text("team_id")?,
                },
            ))
        }
    )
}
