//! The backend a store runs on, and how one body of code runs on it.
//!
//! [`Db`] is SQLite or PostgreSQL. A store method is written once: its
//! statements go through the macros below, which expand the same code
//! once per backend, so each expansion is checked by the compiler against
//! that backend's own sqlx types (native pools, no `sqlx::Any`, no generic
//! executors). What a statement binds must encode on both (`&str`,
//! `String`, `i64`, `bool`, options of these, `Json`); its SQL text is a
//! `&str` both run, or a [`Pair`](super::dialect::Pair) from `dialect.rs`.
//!
//! Where statements run: `pool(db)` (durable commits), `relaxed(db)`
//! (commits that need not wait for the disk; see the backends' docs), or
//! `tx(tx)`, a transaction from [`Db::begin`].

use std::{cell::Cell, sync::Arc};

use tokio::sync::OwnedMutexGuard;

use super::dialect::Backend;
use super::{postgres::PgDb, sqlite::SqliteDb};
use crate::store::StoreResult;

/// The database a [`SqlStore`](super::SqlStore) runs on.
#[derive(Clone)]
pub(in crate::store) enum Db {
    Sqlite(SqliteDb),
    Postgres(PgDb),
}

/// Which of a database's pools a transaction runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::store) enum Durability {
    /// Commits are durable before they return.
    Full,
    /// Re-derivable bookkeeping: commits need not wait for the disk.
    Relaxed,
}

/// An open transaction. Dropped without [`Tx::commit`], it rolls back.
pub(in crate::store) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Holds this process's writes to SQLite back until the guard drops
    /// (one writer at a time keeps transactions from waiting on the file's
    /// lock); `None` on PostgreSQL, where row locks and conditional writes
    /// keep writers apart.
    pub async fn write_lock(&self) -> Option<OwnedMutexGuard<()>> {
        match self {
            Db::Sqlite(db) => Some(Arc::clone(&db.write).lock_owned().await),
            Db::Postgres(_) => None,
        }
    }

    /// A write transaction. On SQLite it begins `IMMEDIATE`, taking the
    /// database's write lock first (a deferred transaction that read first
    /// would be refused its upgrade to a write rather than wait); on
    /// PostgreSQL at the default isolation, read committed.
    pub async fn begin(&self, durability: Durability) -> StoreResult<Tx> {
        count_sent();
        Ok(match self {
            Db::Sqlite(db) => {
                let pool = match durability {
                    Durability::Full => &db.pool,
                    Durability::Relaxed => &db.relaxed,
                };
                Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)
            }
            Db::Postgres(db) => {
                let pool = match durability {
                    Durability::Full => &db.pool,
                    Durability::Relaxed => &db.relaxed,
                };
                Tx::Postgres(pool.begin().await?)
            }
        })
    }
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> StoreResult<()> {
        count_sent();
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

thread_local! {
    /// Statements (and transaction begins and commits) sent from this
    /// thread: see [`round_trips_on_this_thread`].
    static SENT: Cell<u64> = const { Cell::new(0) };
}

/// How many round trips to the database this thread's store calls have
/// made so far: each statement or script sent, each `BEGIN` and each
/// `COMMIT`. On SQLite each is a hand-over to the connection's thread and
/// back, the main cost of a save after the disk's flush, so the store's
/// tests hold a save and a push to a number of them. (A thread's own
/// count: a test's runtime runs its store calls on its thread.)
pub fn round_trips_on_this_thread() -> u64 {
    SENT.with(Cell::get)
}

/// Counts one round trip (see [`round_trips_on_this_thread`]).
pub(in crate::store) fn count_sent() {
    SENT.with(|sent| sent.set(sent.get() + 1));
}

/// Runs `$body` once per backend with `$e` bound to that backend's
/// executor for `pool(db)`, `relaxed(db)` or `tx(tx)`, and `$d` to its
/// [`Backend`]. `$e` is an executor for one statement: bind it anew (it is
/// `Copy` for a pool, a fresh reborrow for a transaction) per statement.
macro_rules! on {
    (pool($db:expr), |$e:ident, $d:ident| $body:expr) => {
        match &$db {
            $crate::store::sql::db::Db::Sqlite(db) => {
                #[allow(unused_variables)]
                let $d = $crate::store::sql::dialect::Backend::Sqlite;
                let $e = &db.pool;
                $body
            }
            $crate::store::sql::db::Db::Postgres(db) => {
                #[allow(unused_variables)]
                let $d = $crate::store::sql::dialect::Backend::Postgres;
                let $e = &db.pool;
                $body
            }
        }
    };
    (relaxed($db:expr), |$e:ident, $d:ident| $body:expr) => {
        match &$db {
            $crate::store::sql::db::Db::Sqlite(db) => {
                #[allow(unused_variables)]
                let $d = $crate::store::sql::dialect::Backend::Sqlite;
                let $e = &db.relaxed;
                $body
            }
            $crate::store::sql::db::Db::Postgres(db) => {
                #[allow(unused_variables)]
                let $d = $crate::store::sql::dialect::Backend::Postgres;
                let $e = &db.relaxed;
                $body
            }
        }
    };
    (tx($tx:expr), |$e:ident, $d:ident| $body:expr) => {
        match &mut *$tx {
            $crate::store::sql::db::Tx::Sqlite(tx) => {
                #[allow(unused_variables)]
                let $d = $crate::store::sql::dialect::Backend::Sqlite;
                let $e: &mut sqlx::SqliteConnection = &mut *tx;
                $body
            }
            $crate::store::sql::db::Tx::Postgres(tx) => {
                #[allow(unused_variables)]
                let $d = $crate::store::sql::dialect::Backend::Postgres;
                let $e: &mut sqlx::PgConnection = &mut *tx;
                $body
            }
        }
    };
}

/// Runs one statement on `$on` (see [`on!`]) with the arguments bound in
/// order; how many rows it changed.
macro_rules! execute {
    ($kind:ident($on:expr), $sql:expr, [$($arg:expr),* $(,)?]) => {
        $crate::store::sql::db::on!($kind($on), |e, d| {
            $crate::store::sql::db::count_sent();
            let sql = $sql;
            let text = $crate::store::sql::dialect::SqlText::text(&sql, d);
            sqlx::query(&text)$(.bind($arg))*
                .execute(e)
                .await
                .map(|done| done.rows_affected())
                .map_err($crate::store::StoreError::from)
        })
    };
}

/// Runs one query on `$on` and maps each row it returns with `$map` (a
/// closure over `&Row`, checked once per backend, returning a
/// `StoreResult`).
macro_rules! fetch_all {
    ($kind:ident($on:expr), $sql:expr, [$($arg:expr),* $(,)?], $map:expr) => {
        $crate::store::sql::db::on!($kind($on), |e, d| {
            $crate::store::sql::db::count_sent();
            let sql = $sql;
            let text = $crate::store::sql::dialect::SqlText::text(&sql, d);
            match sqlx::query(&text)$(.bind($arg))*.fetch_all(e).await {
                Ok(rows) => rows
                    .iter()
                    .map($map)
                    .collect::<$crate::store::StoreResult<Vec<_>>>(),
                Err(error) => Err($crate::store::StoreError::from(error)),
            }
        })
    };
}

/// Runs one query on `$on` and maps the row it returns, if any, with
/// `$map` (see [`fetch_all!`]).
macro_rules! fetch_optional {
    ($kind:ident($on:expr), $sql:expr, [$($arg:expr),* $(,)?], $map:expr) => {
        $crate::store::sql::db::on!($kind($on), |e, d| {
            $crate::store::sql::db::count_sent();
            let sql = $sql;
            let text = $crate::store::sql::dialect::SqlText::text(&sql, d);
            match sqlx::query(&text)$(.bind($arg))*.fetch_optional(e).await {
                Ok(row) => row.as_ref().map($map).transpose(),
                Err(error) => Err($crate::store::StoreError::from(error)),
            }
        })
    };
}

pub(in crate::store) use {execute, fetch_all, fetch_optional, on};
