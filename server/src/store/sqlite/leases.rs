//! Leases: who is writing a card, or refreshing an installation's tokens,
//! right now, across every process on the database. A lease is a row; its
//! holder deletes it when done, and one past its end is taken over (its
//! holder died).

use sqlx::SqlitePool;

use crate::store::StoreResult;

/// A lease table and the two key columns of its rows.
pub struct LeaseTable {
    pub name: &'static str,
    pub key: [&'static str; 2],
}

/// Who writes a card.
pub const CARDS: LeaseTable = LeaseTable {
    name: "card_leases",
    key: ["board_id", "item_id"],
};

/// Who refreshes an installation's tokens.
pub const REFRESHES: LeaseTable = LeaseTable {
    name: "refresh_leases",
    key: ["user_id", "team_id"],
};

/// One lease: its table and its row's key.
pub struct Lease<'a> {
    pub table: &'static LeaseTable,
    pub key: [&'a str; 2],
}

impl LeaseTable {
    /// The one statement that takes a lease: `$1`, `$2` the key, `$3` the
    /// holder, `$4` the lease's end, `$5` now. It writes a row only when
    /// the lease is taken: the row is inserted, or the existing one
    /// replaced only if its lease ended or is ours. (Not a transaction of
    /// a delete and an insert: each statement is a round trip to the
    /// connection's thread, and a card's write takes a lease.)
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
pub async fn claim(
    pool: &SqlitePool,
    lease: &Lease<'_>,
    holder: &str,
    now: i64,
    until: i64,
) -> StoreResult<bool> {
    let [a_value, b_value] = lease.key;
    let taken = sqlx::query(&lease.table.claim_statement())
        .bind(a_value)
        .bind(b_value)
        .bind(holder)
        .bind(until)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(taken.rows_affected() == 1)
}

/// Gives up `holder`'s lease (another's is left alone).
pub async fn release(pool: &SqlitePool, lease: &Lease<'_>, holder: &str) -> StoreResult<()> {
    let [a, b] = lease.table.key;
    let [a_value, b_value] = lease.key;
    sqlx::query(&format!(
        "delete from {} where {a} = $1 and {b} = $2 and holder = $3",
        lease.table.name
    ))
    .bind(a_value)
    .bind(b_value)
    .bind(holder)
    .execute(pool)
    .await?;
    Ok(())
}
