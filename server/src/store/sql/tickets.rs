//! Tickets on SQLite live in this process's memory, not in the file.
//!
//! One process on SQLite serves a team (a second process on the file, such
//! as `server sync`, never issues or redeems tickets), so the ticket a
//! user bought here is redeemed here. A ticket lives a minute and works
//! once; keeping it in the database bought only that it survived a
//! restart, and cost every open of a card a write: a round trip to the
//! writer's thread under the process's write lock, a log frame, and now
//! and then a checkpoint's flush in an open's path. A restart now refuses
//! the tickets of the last minute, and their users click again.
//!
//! PostgreSQL keeps tickets in the database: there, the instance that
//! issued a ticket is not the one that redeems it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use super::super::{StoreError, StoreResult, TicketGrant};

/// How many unspent tickets may wait at once. A ticket costs a user a Miro
/// round trip and the per-user limit (60 at once), so this many in one
/// minute means a flood; each takes about 300 bytes.
pub const MAX_WAITING: usize = 50_000;

/// How often, in seconds, expired tickets are cleared out: each clearing
/// looks at every ticket, so not on every issue.
const SWEEP_SECONDS: i64 = 60;

/// Unspent tickets. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct TicketBook(Arc<Mutex<Book>>);

#[derive(Default)]
struct Book {
    /// By hash, with when each expires.
    tickets: HashMap<String, (TicketGrant, i64)>,
    /// When expired tickets are next cleared out.
    next_sweep: i64,
}

impl Book {
    fn sweep(&mut self, now: i64) {
        self.tickets.retain(|_, (_, expires)| *expires >= now);
        self.next_sweep = now + SWEEP_SECONDS;
    }
}

impl TicketBook {
    pub fn create(
        &self,
        hash: &str,
        grant: &TicketGrant,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<()> {
        let mut book = self
            .0
            .lock()
            .expect("no code panics holding the ticket book");
        if now >= book.next_sweep || book.tickets.len() >= MAX_WAITING {
            book.sweep(now);
        }
        if book.tickets.len() >= MAX_WAITING {
            return Err(StoreError::Full("tickets waiting to be used"));
        }
        book.tickets
            .insert(hash.to_owned(), (grant.clone(), expires_at));
        Ok(())
    }

    /// What the ticket grants if it exists and has not expired at `now`;
    /// it is gone afterwards either way.
    pub fn redeem(&self, hash: &str, now: i64) -> Option<TicketGrant> {
        let mut book = self
            .0
            .lock()
            .expect("no code panics holding the ticket book");
        let (grant, expires_at) = book.tickets.remove(hash)?;
        (expires_at >= now).then_some(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{miro::TokenKey, store::CardKey};

    fn grant() -> TicketGrant {
        TicketGrant {
            user: TokenKey {
                user_id: "7".to_owned(),
                team_id: "9".to_owned(),
            },
            card: CardKey::new("b=", "1"),
        }
    }

    fn waiting(book: &TicketBook) -> usize {
        book.0.lock().unwrap().tickets.len()
    }

    #[test]
    fn a_full_book_refuses_until_tickets_expire() {
        let book = TicketBook::default();
        for i in 0..MAX_WAITING {
            // Half expire at 100, half at 200.
            let expires = if i % 2 == 0 { 100 } else { 200 };
            book.create(&format!("h{i}"), &grant(), expires, 0).unwrap();
        }
        assert!(matches!(
            book.create("one-more", &grant(), 300, 50),
            Err(StoreError::Full(_))
        ));
        assert_eq!(
            book.redeem("one-more", 50),
            None,
            "a refused ticket is not kept"
        );
        book.create("one-more", &grant(), 300, 150).unwrap();
        assert_eq!(
            waiting(&book),
            MAX_WAITING / 2 + 1,
            "the expired half cleared"
        );
        assert_eq!(book.redeem("h0", 50), None, "gone, though good at 50");
        assert_eq!(book.redeem("h1", 150), Some(grant()));
        assert_eq!(book.redeem("one-more", 150), Some(grant()));
    }

    #[test]
    fn expired_tickets_are_cleared_out_once_a_minute() {
        let book = TicketBook::default();
        book.create("a", &grant(), 10, 0).unwrap();
        book.create("b", &grant(), 100, 20).unwrap();
        assert_eq!(waiting(&book), 2, "no sweep before a minute has passed");
        book.create("c", &grant(), 200, SWEEP_SECONDS).unwrap();
        assert_eq!(waiting(&book), 2, "a went at the minute; b and c wait");
        assert_eq!(book.redeem("a", 5), None);
        assert_eq!(book.redeem("b", 100), Some(grant()));
        assert_eq!(book.redeem("c", 101), Some(grant()));
        assert_eq!(book.redeem("c", 101), None, "once");
    }
}
