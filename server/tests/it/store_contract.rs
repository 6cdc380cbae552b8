//! What holds the store's two backends to one contract beyond the checks
//! themselves (`store_suite.rs`): every `Store` method is exercised there
//! on both; both migration trees give the same tables and columns; the
//! sqlx behaviour SQLite's scripts rely on still holds; and a save and a
//! push cost SQLite no more round trips than they do now.

use std::{collections::BTreeSet, path::Path};

use app::cards::RecordFields;
use server::{
    miro::TokenKey,
    store::{
        origin, round_trips_on_this_thread, CardKey, LogEntry, NewLink, NewRecord, RecordSave,
        SecretKey, SqlStore, Store,
    },
};
use sqlx::{Connection as _, Row as _};

use crate::support::postgres::{postgres_server, PgDatabase};

fn source(relative: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)).unwrap()
}

/// The names of the `Store` trait's methods, from its source.
fn store_methods() -> Vec<String> {
    let text = source("src/store/mod.rs");
    let start = text.find("pub trait Store").expect("the Store trait");
    let body = &text[start..];
    let end = body.find("\n}\n").expect("the trait's end");
    body[..end]
        .split("async fn ")
        .skip(1)
        .map(|rest| rest.split(['(', '<']).next().unwrap().trim().to_owned())
        .collect()
}

#[test]
fn every_store_method_is_exercised_by_the_suite_on_both_backends() {
    let suite = source("tests/it/store_suite.rs");
    let methods = store_methods();
    assert!(methods.len() > 50, "read the trait: {methods:?}");
    let unexercised: Vec<_> = methods
        .iter()
        .filter(|method| !suite.contains(&format!(".{method}(")))
        .collect();
    assert!(
        unexercised.is_empty(),
        "Store methods no check in store_suite.rs calls: {unexercised:?}"
    );
    // Every check of the suite runs on both backends: it is listed in
    // `on_both_backends!`.
    let listed = suite
        .split("on_both_backends!(")
        .nth(1)
        .and_then(|rest| rest.split(");").next())
        .expect("the suite's on_both_backends! list");
    let listed: BTreeSet<&str> = listed
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    let checks: Vec<&str> = suite
        .split("\nasync fn ")
        .skip(1)
        // A check takes the test database and returns nothing (helpers
        // that take it return what they read).
        .filter_map(|rest| {
            let (name, after) = rest.split_once('(')?;
            after.starts_with("db: &TestDb) {").then_some(name)
        })
        .collect();
    assert!(checks.len() > 20, "read the checks: {checks:?}");
    let missing: Vec<_> = checks
        .iter()
        .filter(|check| !listed.contains(*check))
        .collect();
    assert!(
        missing.is_empty(),
        "checks that do not run on both backends: {missing:?}"
    );
}

/// Each table's columns, without sqlx's own bookkeeping table.
type Schema = BTreeSet<(String, String)>;

async fn sqlite_schema(url: &str) -> Schema {
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    let rows = sqlx::query(
        "select m.name as table_name, p.name as column_name
         from sqlite_master m join pragma_table_info(m.name) p
         where m.type = 'table' and m.name not like 'sqlite_%' and m.name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.iter()
        .map(|row| (row.get("table_name"), row.get("column_name")))
        .collect()
}

async fn postgres_schema(url: &str) -> Schema {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let rows = sqlx::query(
        "select table_name::text as table_name, column_name::text as column_name
         from information_schema.columns
         where table_schema = current_schema() and table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.iter()
        .map(|row| (row.get("table_name"), row.get("column_name")))
        .collect()
}

#[tokio::test]
async fn both_migration_trees_give_the_same_tables_and_columns() {
    let Some(server) =
        postgres_server("store_contract::both_migration_trees_give_the_same_tables_and_columns")
    else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", folder.path().join("app.db").display());
    let store = SqlStore::open(&sqlite_url, SecretKey::generate())
        .await
        .unwrap();
    store.close().await;
    let database = PgDatabase::create(&server).await;
    let store = SqlStore::open(&database.url, SecretKey::generate())
        .await
        .unwrap();
    store.close().await;

    let sqlite = sqlite_schema(&sqlite_url).await;
    let postgres = postgres_schema(&database.url).await;
    assert!(sqlite.len() > 40, "read SQLite's columns: {sqlite:?}");
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migration trees differ:\n only SQLite's: {only_sqlite:?}\n only PostgreSQL's: {only_postgres:?}"
    );
}

/// SQLite's save and claim-to-push send several statements as one query
/// (one hand-over to the connection's thread): sqlx 0.8 runs them in turn
/// and numbers their arguments together. Should an upgrade stop doing
/// either, this fails first, by name.
#[tokio::test]
async fn sqlx_runs_several_statements_of_one_query_with_their_arguments_in_turn() {
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    sqlx::query("create table t (n integer not null, word text not null)")
        .execute(&mut conn)
        .await
        .unwrap();
    let rows = sqlx::query(
        "insert into t (n, word) values ($1, $2);
         insert into t (n, word) values ($3, $2) returning n;
         select count(*) as rows_now, sum(n) as total from t;",
    )
    .bind(1_i64)
    .bind("shared")
    .bind(2_i64)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2, "the second insert's row and the count");
    assert_eq!(rows[0].get::<i64, _>("n"), 2);
    assert_eq!(rows[1].get::<i64, _>("rows_now"), 2);
    assert_eq!(rows[1].get::<i64, _>("total"), 3);
    let words: i64 = sqlx::query_scalar("select count(*) from t where word = 'shared'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(words, 2, "$2 reached both statements");
}

/// Round trips to SQLite (statements and scripts sent, `BEGIN`s,
/// `COMMIT`s) that `work` makes on this thread.
async fn round_trips<T>(work: impl std::future::Future<Output = T>) -> (u64, T) {
    let before = round_trips_on_this_thread();
    let out = work.await;
    (round_trips_on_this_thread() - before, out)
}

/// What a save and a push cost SQLite in round trips, held to what they
/// cost when the store became one implementation: a save of a built-in
/// record with a card is `BEGIN`, its read, one script of its writes,
/// `COMMIT` (4); a push is the claim-to-push script, the in-flight mark,
/// the settling transaction (`BEGIN`, delete, hash, log, `COMMIT`) and the
/// lease's release (8).
#[tokio::test]
async fn a_save_and_a_push_cost_sqlite_no_more_round_trips_than_before() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("app.db").display());
    let store = SqlStore::open(&url, SecretKey::generate()).await.unwrap();
    let fields = RecordFields {
        title: "Counted".into(),
        ..RecordFields::default()
    };
    let record = store
        .create_record(NewRecord {
            connector: "builtin",
            external_id: None,
            fields: &fields,
            origin: origin::PANEL,
            actor: "test",
            scope: "team:t",
        })
        .await
        .unwrap();
    let card = CardKey::new("board", "card");
    let owner = TokenKey {
        user_id: "u".into(),
        team_id: "t".into(),
    };
    store
        .link_card(NewLink {
            card: &card,
            record_id: &record.snapshot.id,
            owner: &owner,
            origin: origin::PANEL,
            actor: "test",
        })
        .await
        .unwrap();
    let changed = RecordFields {
        title: "Counted, again".into(),
        ..fields.clone()
    };

    let (save, saved) = round_trips(store.save_record(RecordSave {
        record_id: &record.snapshot.id,
        base_version: 1,
        fields: &changed,
        origin: origin::MIRO,
        actor: "u",
        source_base: None,
    }))
    .await;
    assert_eq!(saved.unwrap().cards, vec![card.clone()]);

    let (push, pushed) = round_trips(async {
        let claimed = store
            .claim_card_to_push(&card, "pusher", 1, i64::MAX)
            .await
            .unwrap()
            .expect("the card is free");
        let upto = claimed.pending.last().expect("the save's write").id;
        store.mark_in_flight(&card, upto).await.unwrap();
        store
            .finish_writes(
                &card,
                upto,
                Some("hash"),
                &LogEntry::card(&card, origin::WORKER, "write", "ok"),
            )
            .await
            .unwrap();
        store.release_card(&card, "pusher").await.unwrap();
        claimed.pending.len()
    })
    .await;
    assert!(pushed >= 1);
    assert_eq!(store.pending_writes(&card).await.unwrap(), vec![]);

    eprintln!("round trips to SQLite: a save {save}, a push {push}");
    // Both were counted (a path that sends nothing through the count
    // would pass any ceiling), and neither costs more than before.
    assert!(
        (1..=4).contains(&save),
        "a save cost {save} round trips (4 before)"
    );
    assert!(
        (1..=8).contains(&push),
        "a push cost {push} round trips (8 before)"
    );
}
