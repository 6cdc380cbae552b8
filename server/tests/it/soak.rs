//! The fault soak: the sandbox in its own process (`server sandbox`)
//! answers 30 % of REST requests with 429, 500, 503, a connection dropped
//! before or after the write, or slowly; simulated users keep saving their
//! cards through the app (`server`, another process), which is killed and
//! restarted twice meanwhile. Then the faults stop, the outbox drains, and
//! the store's history and the board are checked: every acknowledged edit
//! is in the record's history exactly once, and every card shows its
//! newest version.
//!
//! Short by default (the test command runs it); `SOAK_SECONDS` and
//! `SOAK_USERS` make it longer (`scripts/reliability` does), and the
//! figures are printed at the end.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use app::detail::{SaveOutcome, ViewError};
use serde_json::json;
use server::store::{CardKey, SecretKey, SqlStore, Store};

use crate::support::fleet::Fleet;

/// 30 % of REST requests: 8 % 429, 5 % 500, 5 % 503, 4 % dropped before
/// and 4 % after the write took effect, and 4 % answered 1.5 s late.
const FAULTS: &str = "429=0.08,500=0.05,503=0.05,drop=0.04,drop_after=0.04,slow=0.04,slow_ms=1500";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one simulated user did.
#[derive(Default)]
struct Tally {
    made: usize,
    acknowledged: Vec<String>,
    retried: usize,
}

/// One user editing one card until `stop`: each edit a new title, sent
/// until the app acknowledges it (a 409 showing our own title means an
/// earlier attempt landed unheard).
async fn user(soak: Arc<Fleet>, card: CardKey, number: usize, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut view = loop {
        if let Some(view) = soak.open_view(&card, 0, 0).await {
            break view;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut edit = 0;
    while !stop.load(Ordering::Relaxed) {
        edit += 1;
        tally.made += 1;
        let title = format!("user {number} edit {edit}");
        let mut fields = view.record.fields.clone();
        fields.title = title.clone();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let body = json!({"request": {
                "board_id": card.board_id, "item_id": card.item_id, "session": view.session,
                "base_version": view.record.version, "fields": fields,
            }});
            let answer = soak
                .http
                .post(format!("{}/api/save_card", soak.app_url(0)))
                .json(&body)
                .timeout(Duration::from_secs(20))
                .send()
                .await;
            let Ok(answer) = answer else {
                // The app is down (killed) or the answer was lost: retry.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let status = answer.status().as_u16();
            let text = answer.text().await.unwrap_or_default();
            if status == 200 {
                let outcome: SaveOutcome = serde_json::from_str(&text).unwrap();
                view.record = outcome.record;
                break;
            }
            match serde_json::from_str::<ViewError>(&text) {
                Ok(ViewError::Conflict { theirs, .. }) if theirs.fields.title == title => {
                    // Our earlier attempt was saved; we missed its answer.
                    view.record = *theirs;
                    break;
                }
                Ok(ViewError::SessionExpired) => {
                    if let Some(reopened) = soak.open_view(&card, 0, 0).await {
                        view.session = reopened.session;
                    }
                }
                Ok(ViewError::Conflict { theirs, .. }) => {
                    panic!(
                        "user {number}: someone else saved {:?}",
                        theirs.fields.title
                    )
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        if attempts > 1 {
            tally.retried += 1;
        }
        tally.acknowledged.push(title);
    }
    tally
}

async fn record_history(store: &SqlStore, card: &CardKey) -> Vec<String> {
    let record_id = store.link(card).await.unwrap().unwrap().record_id.unwrap();
    let latest = store.record(&record_id).await.unwrap().unwrap().snapshot;
    let mut titles = Vec::new();
    for version in 1..=latest.version {
        if let Some(fields) = store.record_version(&record_id, version).await.unwrap() {
            titles.push(fields.title);
        }
    }
    titles
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_soak_loses_no_acknowledged_edit() {
    let seconds = setting("SOAK_SECONDS", 12);
    let users = setting("SOAK_USERS", 4) as usize;
    let soak = Arc::new(Fleet::new(1, None, &[]).await);
    let mut app = soak.start_app(0).await;

    // The app installs itself and links the seeded cards; one user each.
    let database = soak.database_url.clone();
    let cards: Vec<CardKey> = {
        let deadline = Instant::now() + Duration::from_secs(30);
        // Linking goes card by card: wait until the count holds for 1 s.
        let (mut seen, mut since) = (0, Instant::now());
        loop {
            let key = SecretKey::load_or_create(&soak.folder.path().join("secret.key")).unwrap();
            let store = SqlStore::open(&database, key).await.unwrap();
            let mut links = Vec::new();
            for (board, _) in store.linked_boards().await.unwrap() {
                links.extend(store.links_on_board(&board).await.unwrap());
            }
            store.close().await;
            let linked: Vec<CardKey> = links
                .into_iter()
                .filter(|l| l.status == app::cards::CardStatus::Connected)
                .map(|l| l.card)
                .collect();
            if linked.len() != seen {
                (seen, since) = (linked.len(), Instant::now());
            } else if seen > 0 && since.elapsed() > Duration::from_secs(1) {
                break linked.into_iter().take(users).collect();
            }
            assert!(
                Instant::now() < deadline,
                "the app did not link the seeded cards:\n{}",
                soak.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };

    let plan = FAULTS.parse::<sandbox::FaultPlan>().unwrap();
    soak.set_faults(serde_json::to_value(plan).unwrap()).await;
    soak.http
        .delete(format!("{}/sandbox/admin/requests", soak.sandbox_url))
        .send()
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = cards
        .iter()
        .cloned()
        .enumerate()
        .map(|(n, card)| tokio::spawn(user(soak.clone(), card, n + 1, stop.clone())))
        .collect();
    let started = Instant::now();
    let mut restarts = 0;
    for fraction in [1, 2] {
        let at = Duration::from_secs(seconds) * fraction / 3;
        tokio::time::sleep(at.saturating_sub(started.elapsed())).await;
        drop(app);
        tokio::time::sleep(Duration::from_millis(300)).await;
        app = soak.start_app(0).await;
        restarts += 1;
    }
    tokio::time::sleep(Duration::from_secs(seconds).saturating_sub(started.elapsed())).await;
    stop.store(true, Ordering::Relaxed);
    let mut tallies = Vec::new();
    for worker in workers {
        tallies.push(worker.await.unwrap());
    }

    // Miro recovers; the outbox drains; every card must show its newest.
    soak.set_faults(json!({})).await;
    let key = SecretKey::load_or_create(&soak.folder.path().join("secret.key")).unwrap();
    let store = SqlStore::open(&database, key).await.unwrap();
    let mut latest: BTreeMap<String, String> = BTreeMap::new();
    for card in &cards {
        latest.insert(
            card.item_id.clone(),
            record_history(&store, card).await.last().cloned().unwrap(),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut on_board: HashMap<String, String> = HashMap::new();
    loop {
        for card in &cards {
            let item = soak
                .sdk(&card.board_id, "board.getById", json!([card.item_id]))
                .await;
            let title = item["title"].as_str().unwrap_or_default();
            let text = app::cards::markdown::html_to_text(title).unwrap_or_default();
            on_board.insert(card.item_id.clone(), text);
        }
        if latest
            .iter()
            .all(|(id, title)| on_board.get(id) == Some(title))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the board did not catch up: {on_board:?} vs {latest:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let made: usize = tallies.iter().map(|t| t.made).sum();
    let acknowledged: usize = tallies.iter().map(|t| t.acknowledged.len()).sum();
    let retried: usize = tallies.iter().map(|t| t.retried).sum();
    let (mut applied, mut lost, mut twice) = (0, 0, 0);
    for (card, tally) in cards.iter().zip(&tallies) {
        let history = record_history(&store, card).await;
        for title in &tally.acknowledged {
            match history.iter().filter(|t| *t == title).count() {
                0 => lost += 1,
                1 => applied += 1,
                _ => twice += 1,
            }
        }
    }
    store.close().await;
    let requests = soak.requests().await;
    let faulted = requests.iter().filter(|r| !r["fault"].is_null()).count();
    let patches = requests
        .iter()
        .filter(|r| r["method"] == "PATCH" && r["status"].as_u64().is_some_and(|s| s < 300))
        .count();

    drop(app);
    eprintln!(
        "fault soak: {seconds} s, {} users, {restarts} app restarts, Miro faults on \
         {faulted} of {} REST requests\n\
         edits made {made}, acknowledged {acknowledged}, applied {applied}, retried {retried}, \
         lost {lost}, applied twice {twice}; card writes Miro accepted {patches}; every card \
         shows its newest version",
        cards.len(),
        requests.len()
    );
    assert_eq!(lost, 0, "acknowledged edits lost");
    assert_eq!(twice, 0, "edits applied twice");
    assert_eq!(applied, acknowledged);
    assert!(acknowledged > 0 && faulted > 0, "the soak did something");
}
