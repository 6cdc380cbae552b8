//! Migrations run on a database an earlier version made, on both backends:
//! records from before teams get their team (the team of the installation
//! that linked their first card; with one team installed, that team; an
//! issue's, its repository), so nobody loses a record and nobody gains
//! another team's.

use std::{path::Path, sync::Arc};

use server::store::{SecretKey, SqlStore, Store};
use sqlx::Executor as _;

use crate::support::postgres::{postgres_server, PgDatabase};

/// The fields of a legacy record, as JSON.
const FIELDS: &str = r#"{"title":"Legacy","description":"","status":"todo","assignee":"","due_date":"","labels":[],"custom":[],"preview":[]}"#;

/// A folder holding the migrations of `dialect` up to `last` (numbered
/// file names), as an earlier version of the app had them.
fn migrations_up_to(dialect: &str, last: u32) -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect);
    let to = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let number: u32 = name[..4].parse().unwrap();
        if number <= last {
            std::fs::copy(&path, to.path().join(&name)).unwrap();
        }
    }
    to
}

/// What an earlier version left: one installation (team-i), a built-in
/// record with a card linked by team-l, one with no card, and an issue's.
fn legacy_rows(blob: &str) -> String {
    format!(
        "insert into installations (user_id, team_id, access_token, scopes, created_at, updated_at)
             values ('u', 'team-i', {blob}, 'boards:read', 1, 1);
         insert into records (id, connector, external_id, version, fields, created_at, updated_at) values
             ('rec_linked', 'builtin', 'rec_linked', 1, '{FIELDS}', 1, 1),
             ('rec_alone', 'builtin', 'rec_alone', 1, '{FIELDS}', 1, 1),
             ('rec_issue', 'github', 'Octo-Org/Roadmap#3', 1, '{FIELDS}', 1, 1);
         insert into card_links (board_id, item_id, record_id, user_id, team_id, status, created_at, updated_at)
             values ('b', '1', 'rec_linked', 'v', 'team-l', 'connected', 1, 1);"
    )
}

async fn check_scopes(store: Arc<SqlStore>) {
    let scope = |id: &'static str| {
        let store = store.clone();
        async move { store.record(id).await.unwrap().unwrap().scope }
    };
    assert_eq!(scope("rec_linked").await, "team:team-l", "its card's team");
    assert_eq!(scope("rec_alone").await, "team:team-i", "the one team's");
    assert_eq!(scope("rec_issue").await, "github:octo-org/roadmap");
    // Tokens kept before the issuer was recorded have none.
    let installed = store.installations().await.unwrap();
    assert_eq!(installed.len(), 1);
}

#[tokio::test]
async fn sqlite_records_from_before_teams_get_their_teams() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("app.db").display());
    {
        let pool = sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
            .await
            .unwrap();
        let earlier = migrations_up_to("sqlite", 6);
        sqlx::migrate::Migrator::new(earlier.path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        pool.execute(legacy_rows("x'00'").as_str()).await.unwrap();
        pool.close().await;
    }
    let store = SqlStore::open(&url, SecretKey::generate()).await.unwrap();
    check_scopes(Arc::new(store)).await;
}

#[tokio::test]
async fn postgres_records_from_before_teams_get_their_teams() {
    let test = "store_migrations::postgres_records_from_before_teams_get_their_teams";
    let Some(server) = postgres_server(test) else {
        return;
    };
    let database = PgDatabase::create(&server).await;
    {
        let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
        let earlier = migrations_up_to("postgres", 6);
        sqlx::migrate::Migrator::new(earlier.path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        pool.execute(legacy_rows("'\\x00'::bytea").as_str())
            .await
            .unwrap();
        pool.close().await;
    }
    let store = SqlStore::open(&database.url, SecretKey::generate())
        .await
        .unwrap();
    check_scopes(Arc::new(store)).await;
}
