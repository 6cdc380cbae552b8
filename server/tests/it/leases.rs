//! Two processes on one database, as a server and `server sync` are (or
//! several instances on PostgreSQL): here two sync engines, each with its
//! own store connection pool, token manager and write mutexes, share one
//! SQLite file and one sandbox. A token about to expire is refreshed once
//! (Miro rotates refresh tokens: a second refresh would spend a dead one);
//! a card queued on both is PATCHed once; a PATCH that may have landed is
//! checked before it is sent again.

use std::{sync::Arc, time::Duration};

use serde_json::json;
use server::{
    miro::TokenKey,
    sandbox_install::install_and_link,
    store::{CardKey, Pacing, SqlStore, Store},
    sync::{PushOutcome, SyncEngine},
};

use crate::support::{sandbox::TestServer, unix_now};

/// A second engine on the server's database: another "process".
async fn second_engine(server: &TestServer) -> SyncEngine {
    let store = SqlStore::open(
        &server.state.config.database_url,
        server.state.secret_key.clone(),
    )
    .await
    .unwrap();
    SyncEngine::new(
        Arc::new(store),
        server.state.oauth.clone(),
        server.state.sync.template().clone(),
        server.state.sync.settings().clone(),
    )
}

async fn installed(server: &TestServer) -> TokenKey {
    install_and_link(&server.state).await.unwrap();
    crate::support::store_of(&server.state)
        .await
        .installations()
        .await
        .unwrap()[0]
        .clone()
}

fn token_requests(log: &[(String, String, u16)]) -> usize {
    log.iter()
        .filter(|(method, path, _)| method == "POST" && path.ends_with("/v1/oauth/token"))
        .count()
}

#[tokio::test]
async fn two_processes_refresh_an_expiring_token_once() {
    let server = TestServer::start().await;
    let key = installed(&server).await;
    let other = second_engine(&server).await;
    let store = server.state.sync.store();
    let mut tokens = store.load_tokens(&key).await.unwrap().unwrap();
    tokens.expires_at = Some(unix_now() + 30);
    store.save_tokens(&key, &tokens).await.unwrap();
    // Each refresh takes a second: long enough for both to want one.
    server.set_faults(json!({"latency_ms": 1000})).await;
    server.clear_request_log().await;

    let (first, second) = tokio::join!(
        server.state.sync.tokens().access(&key),
        other.tokens().access(&key)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.token.expose(), second.token.expose());
    assert_ne!(first.token.expose(), tokens.access_token.expose());
    assert_eq!(token_requests(&server.request_log().await), 1);
    // The token both hold works.
    server.set_faults(json!({})).await;
    server
        .state
        .oauth
        .client
        .board(&first, &server.board())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_card_queued_in_two_processes_is_patched_once() {
    let server = TestServer::start().await;
    installed(&server).await;
    let other = second_engine(&server).await;
    server
        .state
        .sync
        .drain_until_empty(Duration::from_secs(5))
        .await
        .unwrap();
    let board = server.board();
    let store = crate::support::store_of(&server.state).await;
    let link = store.links_on_board(&board).await.unwrap()[0].clone();
    let card = link.card.clone();
    // A new version of the card's record: a write is queued for it.
    let record = store
        .record(link.record_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut fields = record.snapshot.fields.clone();
    fields.title = "Changed in one process".to_owned();
    server
        .state
        .sync
        .save(server::store::RecordSave {
            source_base: None,
            record_id: &record.snapshot.id,
            base_version: record.snapshot.version,
            fields: &fields,
            origin: "test",
            actor: "test",
        })
        .await
        .unwrap();
    server.set_faults(json!({"latency_ms": 300})).await;
    server.clear_request_log().await;

    let (first, second) =
        tokio::join!(server.state.sync.push(&card, None), other.push(&card, None));
    let outcomes = [first.unwrap(), second.unwrap()];
    let written = outcomes
        .iter()
        .filter(|o| **o == PushOutcome::Written)
        .count();
    assert_eq!(written, 1, "{outcomes:?}");
    assert_eq!(server.patches(&card).await, 1);
    // Nothing is left for either: the one write settled the card.
    assert!(store.pending_writes(&card).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_write_that_may_have_landed_is_checked_before_it_is_sent_again() {
    let server = TestServer::start().await;
    installed(&server).await;
    let engine = &server.state.sync;
    engine
        .drain_until_empty(Duration::from_secs(5))
        .await
        .unwrap();
    let store = crate::support::store_of(&server.state).await;
    let board = server.board();
    let card: CardKey = store.links_on_board(&board).await.unwrap()[0].card.clone();

    // The card shows its record; a writer marked a write in flight and
    // died before storing the outcome.
    store.enqueue_write(&card, "test").await.unwrap();
    let upto = store
        .pending_writes(&card)
        .await
        .unwrap()
        .last()
        .unwrap()
        .id;
    store.mark_in_flight(&card, upto).await.unwrap();
    server.clear_request_log().await;
    assert_eq!(
        engine.push(&card, None).await.unwrap(),
        PushOutcome::Unchanged
    );
    let log = server.request_log().await;
    let to_card: Vec<&str> = log
        .iter()
        .filter(|(_, path, _)| path.ends_with(&card.item_id))
        .map(|(method, _, _)| method.as_str())
        .collect();
    assert_eq!(to_card, ["GET"], "read, found written, not PATCHed again");

    // A lease another process holds keeps this one off the card until it
    // ends; one past its end is taken over.
    store.enqueue_write(&card, "test").await.unwrap();
    let now = unix_now() as i64;
    assert!(store
        .claim_card(&card, "elsewhere", now, now + 60)
        .await
        .unwrap());
    assert_eq!(engine.push(&card, None).await.unwrap(), PushOutcome::Busy);
    // The worker leaves it for the next poll instead of finding it due
    // again at once, round after round, until the lease ends.
    let round = engine.drain_once().await.unwrap();
    assert_eq!((round.busy, round.cards()), (1, 0), "{round:?}");
    assert!(store
        .claim_card(&card, "elsewhere", now, now - 1)
        .await
        .unwrap());
    assert_eq!(
        engine.push(&card, None).await.unwrap(),
        PushOutcome::Unchanged
    );
    assert!(store.pending_writes(&card).await.unwrap().is_empty());
}

/// The same with real processes: a server, and `server sync` started beside
/// it on its SQLite file, both needing the installation's token just as it
/// is about to expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_and_server_sync_on_one_sqlite_file_refresh_an_expiring_token_once() {
    use crate::support::fleet::Fleet;
    use server::store::SecretKey;

    let fleet = Fleet::new(1, None, &[("RUST_LOG", "warn,miro::tokens=info")]).await;
    let _app = fleet.start_app(0).await;
    let key = SecretKey::load_or_create(&fleet.folder.path().join("secret.key")).unwrap();
    let store = SqlStore::open(&fleet.database_url, key).await.unwrap();
    // Installed in both of the sandbox's teams, and their cards linked (a
    // team's install still under way would add a token request below).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let card = loop {
        let boards = store.linked_boards().await.unwrap();
        let installed = store.installations().await.unwrap().len();
        if let Some((board, _)) = boards
            .first()
            .filter(|_| installed == 2 && boards.len() == 3)
        {
            if let Some(link) = store.links_on_board(board).await.unwrap().first() {
                break link.card.clone();
            }
        }
        assert!(std::time::Instant::now() < deadline, "{}", fleet.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Every request takes a second, the refresh too: both processes want
    // one while the other's is under way.
    fleet.set_faults(json!({"latency_ms": 1000})).await;
    fleet.clear_requests().await;
    let owner = store.installations().await.unwrap()[0].clone();
    let mut tokens = store.load_tokens(&owner).await.unwrap().unwrap();
    tokens.expires_at = Some(unix_now() + 30);
    store.save_tokens(&owner, &tokens).await.unwrap();
    store
        .rewrite_board(&card.board_id, "test", Pacing::at_once(unix_now() as i64))
        .await
        .unwrap();

    let sync = fleet
        .command("sync.log")
        .args(["sync", "--for", "60"])
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let id_token = fleet
        .sdk(&card.board_id, "board.getIdToken", json!([]))
        .await;
    let ticket = fleet
        .http
        .post(format!("{}/miro/tickets", fleet.app_url(0)))
        .bearer_auth(id_token.as_str().unwrap())
        .json(&json!({"board_id": card.board_id, "item_id": card.item_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(ticket.status(), 200);
    let finished = tokio::task::spawn_blocking(move || sync.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(finished.status.success());

    let token_requests: Vec<u64> = fleet
        .requests()
        .await
        .iter()
        .filter(|r| {
            r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("/v1/oauth/token")
        })
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    let logs = format!(
        "{}\n{}",
        fleet.logs(),
        std::fs::read_to_string(fleet.log_path("sync.log")).unwrap_or_default()
    );
    assert_eq!(token_requests, [200], "one refresh:\n{logs}");
    assert_eq!(
        logs.matches("refreshed the Miro token").count(),
        1,
        "{logs}"
    );
    assert!(!logs.contains("reconnect needed"), "{logs}");
    assert_eq!(store.pending_count().await.unwrap(), 0);
}
