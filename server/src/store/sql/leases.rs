//! Leases: who is writing a card, or refreshing an installation's tokens,
//! right now, across every process on the database. A lease is a row; its
//! holder deletes it when done, and one past its end is taken over (its
//! holder died). Leases are re-derivable (they run out), so they are
//! written on the relaxed pool.

use super::db::{execute, Db};
use crate::{
    miro::TokenKey,
    store::{CardKey, StoreResult},
};

/// A lease table and the two key columns of its rows.
pub(in crate::store) struct LeaseTable {
    pub name: &'static str,
    pub key: [&'static str; 2],
}

/// Who writes a card.
pub(in crate::store) const CARDS: LeaseTable = LeaseTable {
    name: "card_leases",
    key: ["board_id", "item_id"],
};

/// Who refreshes an installation's tokens.
pub(in crate::store) const REFRESHES: LeaseTable = LeaseTable {
    name: "refresh_leases",
    key: ["user_id", "team_id"],
};

/// One lease: its table and its row's key.
pub(in crate::store) struct Lease<'a> {
    pub table: &'static LeaseTable,
    pub key: [&'a str; 2],
}

impl<'a> Lease<'a> {
    pub fn card(card: &'a CardKey) -> Self {
        Self {
            table: &CARDS,
            key: [&card.board_id, &card.item_id],
        }
    }

    pub fn refresh(key: &'a TokenKey) -> Self {
        Self {
            table: &REFRESHES,
            key: [&key.user_id, &key.team_id],
        }
    }
}

impl LeaseTable {
    /// The one statement that takes a lease: `$1`, `$2` the key, `$3` the
    /// holder, `$4` the lease's end, `$5` now. It writes a row only when
    /// the lease is taken: the row is inserted, or the existing one
    /// replaced only if its lease ended or is ours. On PostgreSQL, of
    /// several instances claiming at once, one writes a row and the
    /// others, who wait on its lock and then see it running, write
    /// nothing. (Not a delete and an insert: on SQLite each statement is a
    /// round trip to the connection's thread, and a card's write takes a
    /// lease.)
    pub fn claim_statement(&self) -> String {
        let [a, b] = self.key;
        format!(
            "insert into {table} ({a}, {b}, holder, until) values ($1, $2, $3, $4)
             on conflict ({a}, {b}) do update set holder = excluded.holder, until = excluded.until
             where {table}.until < $5 or {table}.holder = excluded.holder",
            table = self.name
        )
    }
}

/// Takes the lease for `holder` until `until`: false while another
/// holder's lease runs.
pub(in crate::store) async fn claim(
    db: &Db,
    lease: &Lease<'_>,
    holder: &str,
    now: i64,
    until: i64,
) -> StoreResult<bool> {
    let [a, b] = lease.key;
    let taken = execute!(
        relaxed(db),
        lease.table.claim_statement(),
        [a, b, holder, until, now]
    )?;
    Ok(taken == 1)
}

/// Gives up `holder`'s lease (another's is left alone).
pub(in crate::store) async fn release(db: &Db, lease: &Lease<'_>, holder: &str) -> StoreResult<()> {
    let [a, b] = lease.table.key;
    let [a_value, b_value] = lease.key;
    execute!(
        relaxed(db),
        format!(
            "delete from {} where {a} = $1 and {b} = $2 and holder = $3",
            lease.table.name
        ),
        [a_value, b_value, holder]
    )?;
    Ok(())
}
