//! PostgreSQL's own part of the store: the same tables as SQLite's
//! (migrations in `migrations/postgres/`, each the twin of its SQLite
//! file), for several server instances writing to one database at once,
//! and its pools.
//!
//! SQLite serialises this process's writes with a mutex; here other
//! processes write too, so nothing may rely on a value read earlier still
//! holding. Every read that decides a write either is the write (a
//! conditional `update`, `insert … on conflict`, `delete … returning`) or
//! locks the rows it read (`select … for update` / `for share`) inside the
//! transaction that writes. Transactions run at PostgreSQL's default
//! isolation, read committed, where a locked read sees the newest
//! committed row. Locks are taken in one order, a record's row, then card
//! links (several in key order), then outbox rows, so that transactions
//! wait for each other rather than deadlock.

use std::{str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool,
};

use crate::store::{StoreError, StoreResult};

/// Connections per process for the relaxed writes (beside the pool's).
const RELAXED_CONNECTIONS: u32 = 2;

/// Connections per process unless the URL says otherwise: enough for the
/// request handlers and the background workers at once, and small enough
/// that several instances stay well under PostgreSQL's default of 100.
pub(in crate::store) const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// The URL's query parameter that sets the pool size
/// (`postgres://…/db?max_connections=20`). It is ours, not libpq's, so it
/// is taken out before the URL reaches the driver.
const MAX_CONNECTIONS_PARAM: &str = "max_connections";

/// The PostgreSQL database under a [`SqlStore`](super::SqlStore). Cheap to
/// clone.
#[derive(Clone)]
pub(in crate::store) struct PgDb {
    pub(in crate::store) pool: PgPool,
    /// The same database with `synchronous_commit = off`, for bookkeeping
    /// that is re-derivable (tickets, OAuth states, leases, the outbox's
    /// progress marks), as the SQLite store's `relaxed` pool: a commit
    /// returns before its WAL reaches the disk; a crash of the database
    /// server can lose its last fraction of a second, never a commit made
    /// durable after it.
    pub(in crate::store) relaxed: PgPool,
}

impl PgDb {
    /// Connects to the database at `url` (`postgres://` or
    /// `postgresql://`, with an optional `max_connections` parameter) and
    /// brings its schema up to date. Several instances may start at once:
    /// sqlx's migrator holds an advisory lock while it migrates.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let (url, max_connections) = split_pool_size(url)?;
        let options = PgConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Url(e.to_string()))?
            .application_name("miro-cards");
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let relaxed = PgPoolOptions::new()
            .max_connections(RELAXED_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options.options([("synchronous_commit", "off")]));
        Ok(Self { pool, relaxed })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.relaxed.close().await;
        self.pool.close().await;
    }
}

/// The URL without our `max_connections` parameter, and the pool size it
/// asked for (or the default).
fn split_pool_size(url: &str) -> StoreResult<(String, u32)> {
    // A parse error's message never repeats the URL, so no password ends
    // up in a log.
    let mut parsed = url::Url::parse(url).map_err(|e| StoreError::Url(e.to_string()))?;
    let mut size = DEFAULT_MAX_CONNECTIONS;
    let mut kept = Vec::new();
    for (name, value) in parsed.query_pairs() {
        if name == MAX_CONNECTIONS_PARAM {
            size = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                StoreError::Url(format!(
                    "{MAX_CONNECTIONS_PARAM} must be a whole number above 0, not '{value}'"
                ))
            })?;
        } else {
            kept.push((name.into_owned(), value.into_owned()));
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok((parsed.into(), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_size_comes_out_of_the_url() {
        assert_eq!(
            split_pool_size("postgres://u:p@h:5432/db").unwrap(),
            (
                "postgres://u:p@h:5432/db".to_owned(),
                DEFAULT_MAX_CONNECTIONS
            )
        );
        assert_eq!(
            split_pool_size("postgresql://h/db?sslmode=require&max_connections=25").unwrap(),
            ("postgresql://h/db?sslmode=require".to_owned(), 25)
        );
        assert_eq!(
            split_pool_size("postgres://h/db?max_connections=3").unwrap(),
            ("postgres://h/db".to_owned(), 3)
        );
        for bad in ["0", "-1", "many"] {
            let url = format!("postgres://u:secret@h/db?max_connections={bad}");
            let message = split_pool_size(&url).unwrap_err().to_string();
            assert!(message.contains("max_connections"), "{message}");
            assert!(!message.contains("secret"), "{message}");
        }
    }
}
