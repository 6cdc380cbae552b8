//! PostgreSQL for the tests: the server to test on (`DATABASE_URL_PG`,
//! which the test command sets after starting a throwaway one), and a
//! database of its own per test, dropped when the test ends.

use std::io::Write as _;

use server::ids::new_id;
use sqlx::{Connection as _, Executor as _};

/// The PostgreSQL server to test on, from `DATABASE_URL_PG`. Unset: the
/// test is skipped, loudly, or fails when `REQUIRE_POSTGRES=1`.
pub fn postgres_server(test: &str) -> Option<String> {
    if let Some(url) = std::env::var("DATABASE_URL_PG")
        .ok()
        .filter(|url| !url.is_empty())
    {
        return Some(url);
    }
    assert!(
        std::env::var("REQUIRE_POSTGRES").as_deref() != Ok("1"),
        "{test}: REQUIRE_POSTGRES=1 but DATABASE_URL_PG is unset \
         (`scripts/postgres start` starts a server and prints its URL)"
    );
    // Straight to the process's stderr: the test harness captures what
    // `eprintln!` prints and shows it only for failing tests.
    let _ = writeln!(
        std::io::stderr(),
        "\n!!! SKIPPED {test}: DATABASE_URL_PG is unset, so this PostgreSQL test did not run \
         (`scripts/postgres start` prints a URL for it; REQUIRE_POSTGRES=1 makes this a failure)"
    );
    None
}

/// A database of its own on the test server, dropped with this value.
pub struct PgDatabase {
    server: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create(server: &str) -> Self {
        // Lower case hex: a name that needs no quoting.
        let name = new_id("test");
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .unwrap_or_else(|e| panic!("DATABASE_URL_PG {server}: {e}"));
        admin
            .execute(format!("create database {name}").as_str())
            .await
            .unwrap();
        let _ = admin.close().await;
        let mut url = url::Url::parse(server).unwrap();
        url.set_path(&format!("/{name}"));
        Self {
            server: server.to_owned(),
            name,
            url: url.into(),
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on a
        // future of its own: a thread with a runtime of its own drops the
        // database (`force` ends the store's connections still open). It
        // runs when a test fails too, so no database is left behind.
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&server).await?;
                admin
                    .execute(format!("drop database if exists {name} with (force)").as_str())
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(
                std::io::stderr(),
                "could not drop the test database {}",
                self.name
            );
        }
    }
}
