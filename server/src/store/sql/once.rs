//! What works once: OAuth install states, GitHub delivery ids, and on
//! PostgreSQL tickets. Each is taken by one statement (a `delete …
//! returning` or an `insert … on conflict do nothing`), so of two
//! processes taking one at once exactly one gets it.

use super::{
    db::{execute, fetch_optional, Db},
    dialect::{CLEAR_EXPIRED_STATES, CLEAR_EXPIRED_TICKETS},
    rows::{card_key, Columns},
};
use crate::{
    miro::TokenKey,
    store::{StoreResult, TicketGrant, DELIVERY_MEMORY_SECONDS},
};

/// Keeps an install state's hash until `expires_at`; expired ones are
/// cleared while here.
pub(in crate::store) async fn create_oauth_state(
    db: &Db,
    hash: &str,
    expires_at: i64,
    now: i64,
) -> StoreResult<()> {
    execute!(relaxed(db), CLEAR_EXPIRED_STATES, [now])?;
    execute!(
        relaxed(db),
        "insert into oauth_states (hash, expires_at) values ($1, $2)",
        [hash, expires_at]
    )?;
    Ok(())
}

/// Takes a state: whether it existed and had not expired at `now`.
pub(in crate::store) async fn take_oauth_state(db: &Db, hash: &str, now: i64) -> StoreResult<bool> {
    let expires_at = fetch_optional!(
        relaxed(db),
        "delete from oauth_states where hash = $1 returning expires_at",
        [hash],
        |row| row.int("expires_at")
    )?;
    Ok(expires_at.is_some_and(|at| at >= now))
}

/// Takes a delivery id: false if it was taken before. Ids older than
/// [`DELIVERY_MEMORY_SECONDS`] are forgotten first.
pub(in crate::store) async fn claim_delivery(
    db: &Db,
    delivery_id: &str,
    now: i64,
) -> StoreResult<bool> {
    execute!(
        pool(db),
        "delete from github_deliveries where received_at < $1",
        [now - DELIVERY_MEMORY_SECONDS]
    )?;
    // The insert is the check: of two deliveries with one id, one wins.
    let taken = execute!(
        pool(db),
        "insert into github_deliveries (delivery_id, received_at) values ($1, $2)
         on conflict do nothing",
        [delivery_id, now]
    )?;
    Ok(taken == 1)
}

pub(in crate::store) async fn release_delivery(db: &Db, delivery_id: &str) -> StoreResult<()> {
    execute!(
        pool(db),
        "delete from github_deliveries where delivery_id = $1",
        [delivery_id]
    )?;
    Ok(())
}

/// Keeps a ticket in the database (PostgreSQL: the instance that issued a
/// ticket may not be the one that redeems it; SQLite keeps its tickets in
/// memory, see `tickets.rs`).
pub(in crate::store) async fn create_ticket(
    db: &Db,
    hash: &str,
    grant: &TicketGrant,
    expires_at: i64,
    now: i64,
) -> StoreResult<()> {
    execute!(relaxed(db), CLEAR_EXPIRED_TICKETS, [now])?;
    execute!(
        relaxed(db),
        "insert into tickets (hash, user_id, team_id, board_id, item_id, expires_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
        [
            hash,
            &grant.user.user_id,
            &grant.user.team_id,
            &grant.card.board_id,
            &grant.card.item_id,
            expires_at,
            now
        ]
    )?;
    Ok(())
}

/// Takes a ticket kept by [`create_ticket`]: one statement, so of two
/// instances redeeming it at once the second finds no row.
pub(in crate::store) async fn redeem_ticket(
    db: &Db,
    hash: &str,
    now: i64,
) -> StoreResult<Option<TicketGrant>> {
    let found = fetch_optional!(
        relaxed(db),
        "delete from tickets where hash = $1
         returning user_id, team_id, board_id, item_id, expires_at",
        [hash],
        |row| {
            Ok((
                row.int("expires_at")?,
                TicketGrant {
                    user: TokenKey {
                        user_id: row.text("user_id")?,
                        team_id: row.text("team_id")?,
                    },
                    card: card_key(row)?,
                },
            ))
        }
    )?;
    Ok(found
        .filter(|(expires_at, _)| *expires_at >= now)
        .map(|(_, grant)| grant))
}
