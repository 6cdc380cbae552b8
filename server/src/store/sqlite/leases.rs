//! Leases: who is writing a card, or refreshing an installation's tokens,
//! right now, across every process on the database. A lease is a row; its
//! holder deletes it when done, and one past its end is taken over (its
//! holder died).

use sqlx::SqlitePool;

use crate::store::StoreResult;

/// Which lease table, and the key columns of its rows.
pub struct Lease<'a> {
    pub table: &'static str,
    pub key: [(&'static str, &'a str); 2],
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
    let [(a, a_value), (b, b_value)] = lease.key;
    // One statement decides, as one write: the row is inserted, or the
    // existing one replaced only if its lease ended or is ours. (Not a
    // transaction of a delete and an insert: each statement is a round
    // trip to the connection's thread, and a card's write takes a lease.)
    let taken = sqlx::query(&format!(
        "insert into {table} ({a}, {b}, holder, until) values ($1, $2, $3, $4)
         on conflict ({a}, {b}) do update set holder = excluded.holder, until = excluded.until
         where {table}.until < $5 or {table}.holder = excluded.holder",
        table = lease.table
    ))
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
    let [(a, a_value), (b, b_value)] = lease.key;
    sqlx::query(&format!(
        "delete from {} where {a} = $1 and {b} = $2 and holder = $3",
        lease.table
    ))
    .bind(a_value)
    .bind(b_value)
    .bind(holder)
    .execute(pool)
    .await?;
    Ok(())
}
