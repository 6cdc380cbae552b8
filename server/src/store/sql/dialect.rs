//! Every SQL text that differs between SQLite and PostgreSQL, each pair
//! side by side. Everything else the store sends is one text both run:
//! both take `$1`-style parameters, `true`/`false`, `on conflict … do`,
//! `returning`, and `cast(… as text)`.
//!
//! PostgreSQL's row locks are here too (SQLite needs none: this process's
//! writes go one at a time and every write transaction holds the file's
//! write lock from its start). Their order, which every transaction
//! keeps so that two of them wait for each other instead of deadlocking:
//! a record's row, then card links (several in key order), then outbox
//! rows.

/// The database a statement runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::store) enum Backend {
    Sqlite,
    Postgres,
}

/// One statement (or part of one) as each backend spells it.
#[derive(Clone, Copy, Debug)]
pub(in crate::store) struct Pair {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// SQL text, the same for both backends or a [`Pair`].
pub(in crate::store) trait SqlText {
    fn text(&self, backend: Backend) -> std::borrow::Cow<'_, str>;
}

impl SqlText for &str {
    fn text(&self, _: Backend) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self)
    }
}

impl SqlText for String {
    fn text(&self, _: Backend) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self)
    }
}

impl SqlText for Pair {
    fn text(&self, backend: Backend) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        })
    }
}

impl<T: SqlText> SqlText for &T {
    fn text(&self, backend: Backend) -> std::borrow::Cow<'_, str> {
        (**self).text(backend)
    }
}

/// Clears expired install states (`$1` now). PostgreSQL skips rows
/// another instance is clearing rather than wait for them.
pub(in crate::store) const CLEAR_EXPIRED_STATES: Pair = Pair {
    sqlite: "delete from oauth_states where expires_at < $1",
    postgres: "delete from oauth_states where hash in
         (select hash from oauth_states where expires_at < $1 for update skip locked)",
};

/// Clears expired tickets (`$1` now), as [`CLEAR_EXPIRED_STATES`]. Only
/// PostgreSQL keeps tickets in the database.
pub(in crate::store) const CLEAR_EXPIRED_TICKETS: Pair = Pair {
    sqlite: "delete from tickets where expires_at < $1",
    postgres: "delete from tickets where hash in
         (select hash from tickets where expires_at < $1 for update skip locked)",
};
