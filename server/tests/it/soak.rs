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
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use app::detail::{CardViewData, OpenedCard, SaveOutcome, ViewError};
use reqwest::Client;
use serde_json::{json, Value};
use server::store::{CardKey, SecretKey, SqliteStore, Store};

/// 30 % of REST requests: 8 % 429, 5 % 500, 5 % 503, 4 % dropped before
/// and 4 % after the write took effect, and 4 % answered 1.5 s late.
const FAULTS: &str = "429=0.08,500=0.05,503=0.05,drop=0.04,drop_after=0.04,slow=0.04,slow_ms=1500";

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A child process, killed when dropped (also when the test fails).
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The two processes and where they are.
struct Soak {
    folder: tempfile::TempDir,
    _sandbox: Process,
    sandbox_url: String,
    app_port: u16,
    app_url: String,
    http: Client,
}

impl Soak {
    fn database_url(&self) -> String {
        format!("sqlite://{}", self.folder.path().join("app.db").display())
    }

    fn log(&self, name: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.folder.path().join(name))
            .unwrap()
    }

    fn start_app(&self) -> Process {
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .current_dir(self.folder.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MIRO_SANDBOX_URL", &self.sandbox_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.app_port))
            .env("LEPTOS_OUTPUT_NAME", "miro-cards")
            .env("DATABASE_URL", self.database_url())
            // Durability is under test here, not the per-user limits.
            .env("RATE_LIMITS", "off")
            .env("RUST_LOG", "warn")
            .stdout(self.log("app.log"))
            .stderr(self.log("app.log"))
            .spawn()
            .unwrap();
        Process(child)
    }

    async fn wait_until_up(&self, url: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.http.get(url).send().await.is_err() {
            assert!(Instant::now() < deadline, "{url} did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A Web SDK call as a page on `board` makes it.
    async fn sdk(&self, board: &str, method: &str, args: Value) -> Value {
        let url = format!(
            "{}/sandbox/host/boards/{}/sdk",
            self.sandbox_url,
            encode(board)
        );
        let answer: Value = self
            .http
            .post(url)
            .json(&json!({"method": method, "args": args}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["result"].clone()
    }
}

/// What one simulated user did.
#[derive(Default)]
struct Tally {
    made: usize,
    acknowledged: Vec<String>,
    retried: usize,
}

/// Opens `card` the way Miro's modal does: an ID token buys a ticket, the
/// ticket opens the page, whose head holds the view's data.
async fn open_view(soak: &Soak, card: &CardKey) -> Option<CardViewData> {
    let token = soak
        .sdk(&card.board_id, "board.getIdToken", json!([]))
        .await;
    let ticket: Value = soak
        .http
        .post(format!("{}/miro/tickets", soak.app_url))
        .bearer_auth(token.as_str()?)
        .json(&json!({"board_id": card.board_id, "item_id": card.item_id}))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let page = soak
        .http
        .get(format!(
            "{}/cards/{}/{}?ticket={}",
            soak.app_url,
            encode(&card.board_id),
            card.item_id,
            ticket["ticket"].as_str()?
        ))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let start = page.find("id=\"card-view-data\">")? + "id=\"card-view-data\">".len();
    let end = start + page[start..].find("</script>")?;
    let opened: OpenedCard = serde_json::from_str(&page[start..end]).ok()?;
    opened.result.ok()
}

/// One user editing one card until `stop`: each edit a new title, sent
/// until the app acknowledges it (a 409 showing our own title means an
/// earlier attempt landed unheard).
async fn user(soak: Arc<Soak>, card: CardKey, number: usize, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut view = loop {
        if let Some(view) = open_view(&soak, &card).await {
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
                .post(format!("{}/api/save_card", soak.app_url))
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
                    if let Some(reopened) = open_view(&soak, &card).await {
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

async fn record_history(store: &SqliteStore, card: &CardKey) -> Vec<String> {
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
    let folder = tempfile::tempdir().unwrap();
    let (sandbox_port, app_port) = (free_port(), free_port());
    let sandbox_url = format!("http://127.0.0.1:{sandbox_port}");
    let app_url = format!("http://127.0.0.1:{app_port}");
    let sandbox = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["sandbox", "--addr", &format!("127.0.0.1:{sandbox_port}")])
        .args(["--app-url", &app_url])
        .current_dir(folder.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let soak = Arc::new(Soak {
        folder,
        _sandbox: Process(sandbox),
        sandbox_url,
        app_port,
        app_url,
        http: Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
    });
    soak.wait_until_up(&format!("{}/.well-known/miro-sandbox", soak.sandbox_url))
        .await;
    let mut app = soak.start_app();
    soak.wait_until_up(&format!("{}/healthz", soak.app_url))
        .await;

    // The app installs itself and links the seeded cards; one user each.
    let database = soak.database_url();
    let cards: Vec<CardKey> = {
        let deadline = Instant::now() + Duration::from_secs(30);
        // Linking goes card by card: wait until the count holds for 1 s.
        let (mut seen, mut since) = (0, Instant::now());
        loop {
            let key = SecretKey::load_or_create(&soak.folder.path().join("secret.key")).unwrap();
            let store = SqliteStore::open(&database, key).await.unwrap();
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
                std::fs::read_to_string(soak.folder.path().join("app.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };

    let faults = || {
        soak.http
            .put(format!("{}/sandbox/admin/faults", soak.sandbox_url))
            .json(&FAULTS.parse::<sandbox::FaultPlan>().unwrap())
            .send()
    };
    assert_eq!(faults().await.unwrap().status(), 200);
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
        app = soak.start_app();
        restarts += 1;
    }
    tokio::time::sleep(Duration::from_secs(seconds).saturating_sub(started.elapsed())).await;
    stop.store(true, Ordering::Relaxed);
    let mut tallies = Vec::new();
    for worker in workers {
        tallies.push(worker.await.unwrap());
    }

    // Miro recovers; the outbox drains; every card must show its newest.
    soak.http
        .put(format!("{}/sandbox/admin/faults", soak.sandbox_url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let key = SecretKey::load_or_create(&soak.folder.path().join("secret.key")).unwrap();
    let store = SqliteStore::open(&database, key).await.unwrap();
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
    let log: Value = soak
        .http
        .get(format!("{}/sandbox/admin/requests", soak.sandbox_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let requests = log["requests"].as_array().cloned().unwrap_or_default();
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
