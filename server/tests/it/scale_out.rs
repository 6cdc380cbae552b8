//! Scale-out: three app instances behind no sticky anything, on one
//! PostgreSQL database and one standalone sandbox. 300 saves go to the
//! instances in turn (a ticket bought at one, the page loaded from the next,
//! saves to any), one instance is killed and restarted meanwhile, and the
//! installation's token expires during the run. Then every card shows its
//! newest version, the sandbox saw no content PATCHed twice to a card, and
//! the token was refreshed once, never with a spent refresh token.
//!
//! Needs a PostgreSQL server (`DATABASE_URL_PG`; the test command starts
//! one); without it the test says so loudly, or fails with
//! `REQUIRE_POSTGRES=1`.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use app::detail::{SaveOutcome, ViewError};
use serde_json::json;
use server::store::{CardKey, SecretKey, SqlStore, Store};

use crate::support::{
    fleet::{Fleet, Process},
    postgres::{postgres_server, PgDatabase},
    unix_now,
};

const SAVES: usize = 300;
const INSTANCES: usize = 3;

/// Sends one edit to instance `first` (then the next ones while an
/// instance is down) until one acknowledges it; answers the saved record's
/// version.
async fn save(
    fleet: &Fleet,
    card: &CardKey,
    view: &mut app::detail::CardViewData,
    title: &str,
    first: usize,
) {
    let mut fields = view.record.fields.clone();
    fields.title = title.to_owned();
    for attempt in 0.. {
        let instance = (first + attempt) % INSTANCES;
        let body = json!({"request": {
            "board_id": card.board_id, "item_id": card.item_id, "session": view.session,
            "base_version": view.record.version, "fields": fields,
        }});
        let answer = fleet
            .http
            .post(format!("{}/api/save_card", fleet.app_url(instance)))
            .json(&body)
            .timeout(Duration::from_secs(20))
            .send()
            .await;
        let Ok(answer) = answer else {
            // That instance is down, or its answer was lost: the next one.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap_or_default();
        if status == 200 {
            view.record = serde_json::from_str::<SaveOutcome>(&text).unwrap().record;
            return;
        }
        match serde_json::from_str::<ViewError>(&text) {
            // An earlier attempt landed unheard.
            Ok(ViewError::Conflict { theirs, .. }) if theirs.fields.title == title => {
                view.record = *theirs;
                return;
            }
            Ok(other) => panic!("save {title:?} refused: {other:?}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
        assert!(attempt < 200, "save {title:?} never acknowledged");
    }
}

/// The connected cards once instance 0 has linked them (the count holds).
async fn linked_cards(store: &SqlStore, fleet: &Fleet) -> Vec<CardKey> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut seen, mut since) = (0, Instant::now());
    loop {
        let mut cards = Vec::new();
        for (board, _) in store.linked_boards().await.unwrap() {
            for link in store.links_on_board(&board).await.unwrap() {
                if link.status == app::cards::CardStatus::Connected {
                    cards.push(link.card);
                }
            }
        }
        cards.sort();
        cards.dedup();
        if cards.len() != seen {
            (seen, since) = (cards.len(), Instant::now());
        } else if seen > 0 && since.elapsed() > Duration::from_secs(1) {
            return cards;
        }
        assert!(
            Instant::now() < deadline,
            "no cards were linked:\n{}",
            fleet.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until instance `n` logged that it installed itself.
async fn installed(fleet: &Fleet, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let log = fleet.log_path(&format!("app-{n}.log"));
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.matches("the seeded cards are linked").count() > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "instance {n} did not install:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_postgres_write_each_content_once_through_a_kill() {
    let test = "scale_out::three_instances_on_postgres_write_each_content_once_through_a_kill";
    let Some(server) = postgres_server(test) else {
        return;
    };
    let database = PgDatabase::create(&server).await;
    let key = SecretKey::generate();
    let key_text = key.to_base64();
    let fleet = Arc::new(
        Fleet::new(
            INSTANCES,
            Some(database.url.clone()),
            &[
                ("APP_SECRET_KEY", key_text.as_str()),
                // A killed instance's card leases end soon (but no write
                // takes longer, even on a loaded machine).
                ("WRITE_LEASE_SECONDS", "10"),
                ("RUST_LOG", "warn,server::background=info,miro::tokens=info"),
            ],
        )
        .await,
    );
    let mut apps: Vec<Option<Process>> = Vec::new();
    apps.push(Some(fleet.start_app(0).await));
    installed(&fleet, 0).await;
    let store = SqlStore::open(&database.url, key.clone()).await.unwrap();
    let cards = linked_cards(&store, &fleet).await;
    for n in 1..INSTANCES {
        apps.push(Some(fleet.start_app(n).await));
        installed(&fleet, n).await;
    }
    fleet.clear_requests().await;

    // One writer per card, each edit to the next instance in turn.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let per_card = SAVES.div_ceil(cards.len());
    let mut writers = Vec::new();
    for (c, card) in cards.iter().cloned().enumerate() {
        let (fleet, acknowledged) = (fleet.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let mut view = loop {
                if let Some(view) = fleet
                    .open_view(&card, c % INSTANCES, (c + 1) % INSTANCES)
                    .await
                {
                    break view;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            let mut last = String::new();
            for n in 0..per_card {
                if acknowledged.load(Ordering::SeqCst) >= SAVES {
                    break;
                }
                last = format!("card {c} edit {n}");
                save(&fleet, &card, &mut view, &last, c + n).await;
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
            (card, last)
        }));
    }

    // Instance 2 dies a third of the way in and comes back at two thirds;
    // then the token is about to expire, so every instance wants a refresh.
    let wait_for = |count: usize| {
        let acknowledged = acknowledged.clone();
        async move {
            while acknowledged.load(Ordering::SeqCst) < count {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(SAVES / 3).await;
    apps[2] = None;
    wait_for(SAVES * 2 / 3).await;
    apps[2] = Some(fleet.start_app(2).await);
    installed(&fleet, 2).await;
    let owner = store.installations().await.unwrap()[0].clone();
    let mut tokens = store.load_tokens(&owner).await.unwrap().unwrap();
    tokens.expires_at = Some(unix_now() + 30);
    store.save_tokens(&owner, &tokens).await.unwrap();
    // Every card is to be checked against the board, which takes the
    // token: whichever instances drain them need it refreshed, whether or
    // not the writers are done.
    for card in &cards {
        store.enqueue_write(card, "test").await.unwrap();
    }
    // And a ticket from every instance (it checks the board with the
    // token unless it did so lately).
    let card = cards[0].clone();
    let asks = (0..INSTANCES).map(|n| {
        let (fleet, card) = (fleet.clone(), card.clone());
        async move {
            let id_token = fleet
                .sdk(&card.board_id, "board.getIdToken", json!([]))
                .await;
            fleet
                .http
                .post(format!("{}/miro/tickets", fleet.app_url(n)))
                .bearer_auth(id_token.as_str().unwrap())
                .json(&json!({"board_id": card.board_id, "item_id": card.item_id}))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    for status in futures_util::future::join_all(asks).await {
        assert_eq!(status, 200);
    }
    let mut newest = HashMap::new();
    for writer in writers {
        let (card, last) = writer.await.unwrap();
        newest.insert(card, last);
    }
    assert!(acknowledged.load(Ordering::SeqCst) >= SAVES);

    // Every card ends on its newest version.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut behind = Vec::new();
        for (card, title) in &newest {
            let item = fleet
                .sdk(&card.board_id, "board.getById", json!([card.item_id]))
                .await;
            let shown =
                app::cards::markdown::html_to_text(item["title"].as_str().unwrap_or_default())
                    .unwrap_or_default();
            if !title.is_empty() && &shown != title {
                behind.push((shown, title.clone()));
            }
        }
        if behind.is_empty() && store.pending_count().await.unwrap() == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "cards behind: {behind:?}\n{}",
            fleet.logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // No content PATCHed twice to a card; one refresh, never refused.
    let requests = fleet.requests().await;
    let mut patched: HashMap<(String, String), usize> = HashMap::new();
    for request in &requests {
        if request["method"] == "PATCH" && request["status"] == 200 {
            let path = request["path"].as_str().unwrap().to_owned();
            let body = request["body_sha256"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            *patched.entry((path, body)).or_default() += 1;
        }
    }
    let twice: Vec<_> = patched.iter().filter(|(_, n)| **n > 1).collect();
    let tokens_asked: Vec<u64> = requests
        .iter()
        .filter(|r| {
            r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("/v1/oauth/token")
        })
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    let logs = fleet.logs();
    let refreshes = logs.matches("refreshed the Miro token").count();
    eprintln!(
        "scale-out: {INSTANCES} instances, {} cards, {} saves acknowledged, {} card PATCHes, \
         {} token requests {tokens_asked:?}, {refreshes} refresh",
        cards.len(),
        acknowledged.load(Ordering::SeqCst),
        patched.values().sum::<usize>(),
        tokens_asked.len()
    );
    // A card's requests in order, for a failure's message.
    let history = |path: &str| -> Vec<String> {
        requests
            .iter()
            .filter(|r| r["path"] == path)
            .map(|r| {
                let body = r["body_sha256"].as_str().unwrap_or("-");
                format!(
                    "{} {} {body}",
                    r["method"].as_str().unwrap_or_default(),
                    r["status"]
                )
            })
            .collect()
    };
    assert!(
        twice.is_empty(),
        "content PATCHed more than once: {twice:?}\n{:#?}",
        twice
            .iter()
            .map(|((path, _), _)| history(path))
            .collect::<Vec<_>>()
    );
    assert!(
        tokens_asked.iter().all(|s| *s == 200),
        "a token request was refused: {tokens_asked:?}"
    );
    assert_eq!(refreshes, 1, "one refresh across the instances:\n{logs}");
    assert!(!logs.contains("reconnect needed"), "{logs}");
    drop(apps);
    store.close().await;
}
