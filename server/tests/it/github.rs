//! The GitHub connector against the GitHub stand-in over real HTTP, and
//! its webhook endpoint in a real server (sandbox mode, SQLite, the Miro
//! sandbox): the conformance suite; paging, ETags and rate limits; signed
//! deliveries applied, unsigned, mis-signed and replayed ones refused or
//! ignored with nothing changed; our own write coming back costing no Miro
//! request; deleted and transferred issues disabling their cards; the
//! poll finding what no delivery brought.
//!
//! The stand-in is only driven here (its admin routes and its webhook
//! sender); the connector shares no code with it, and the deliveries are
//! signed in this file by our own reading of GitHub's documentation.

use std::time::{Duration, Instant};

use app::cards::{CardStatus, RecordFields};
use github_standin::{GitHubStandIn, Settings};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use server::{
    miro::{AppCard, AppCardWrite, TokenKey},
    store::{CardKey, RecordRow, RecordSave},
    sync::connector::{
        conformance,
        github::{
            client::ClientSettings, import::import_or_apply, poll::Poll, GitHubConfig,
            GitHubConnector, Repo,
        },
        Connector, ConnectorError,
    },
};
use sha2::Sha256;

use crate::support::{sandbox::TestServer, sync::template};

const TOKEN: &str = "ghp_connector_test_token";
pub(crate) const SECRET: &str = "a-webhook-secret-for-the-tests";
pub(crate) const ROADMAP: &str = "octo-org/roadmap";
const SUPPORT: &str = "octo-org/support";

/// The stand-in served on a loopback port.
pub(crate) struct StandIn {
    pub(crate) standin: GitHubStandIn,
    pub(crate) base: String,
    http: reqwest::Client,
}

impl StandIn {
    async fn start(per_page_max: u32, rate_limit: u32) -> Self {
        let standin = GitHubStandIn::new(Settings {
            token: TOKEN.to_owned(),
            webhook_url: None,
            webhook_secret: SECRET.to_owned(),
            repositories: vec![ROADMAP.to_owned(), SUPPORT.to_owned()],
            per_page_max,
            rate_limit,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = standin.router();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            standin,
            base,
            http: reqwest::Client::new(),
        }
    }

    /// Changes a label through the stand-in's REST API, as someone on
    /// GitHub would (GitHub then sends its `label` delivery).
    pub(crate) async fn edit_label(&self, name: &str, change: Value) {
        let response = self
            .http
            .patch(format!("{}/repos/{ROADMAP}/labels/{name}", self.base))
            .bearer_auth(TOKEN)
            .header("accept", "application/vnd.github+json")
            .json(&change)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    fn config(&self) -> GitHubConfig {
        GitHubConfig {
            repository_teams: Vec::new(),
            repositories: vec![Repo::parse(ROADMAP).unwrap(), Repo::parse(SUPPORT).unwrap()],
            token: server::miro::Secret::new(TOKEN),
            webhook_secret: server::miro::Secret::new(SECRET),
            api_url: self.base.clone(),
            poll_interval: None,
        }
    }

    pub(crate) fn connector(&self, settings: ClientSettings) -> GitHubConnector {
        let statuses = template().statuses.iter().map(|s| s.key.clone()).collect();
        GitHubConnector::new(&self.config(), statuses, settings).unwrap()
    }

    pub(crate) async fn admin(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/_standin/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Every delivery so far, oldest first.
    pub(crate) async fn deliveries(&self) -> Vec<Value> {
        let log: Value = self
            .http
            .get(format!("{}/_standin/deliveries", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        log["deliveries"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until `count` deliveries were answered; returns them all.
    pub(crate) async fn answered(&self, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let all = self.deliveries().await;
            let done = all
                .iter()
                .filter(|d| !d["status"].is_null() || !d["error"].is_null());
            if done.count() >= count {
                return all;
            }
            assert!(
                Instant::now() < deadline,
                "deliveries not answered: {all:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn requests(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/_standin/requests", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

pub(crate) fn fast() -> ClientSettings {
    ClientSettings {
        deadline: Duration::from_secs(10),
        attempt_timeout: Duration::from_secs(5),
        backoff_base: Duration::from_millis(20),
    }
}

/// `sha256=<hex>` of `body` under `secret`, as GitHub documents it.
fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

#[tokio::test]
async fn the_github_connector_passes_the_conformance_suite() {
    let standin = StandIn::start(100, 5000).await;
    conformance::run(&standin.connector(fast()), "github-suite").await;
}

#[tokio::test]
async fn lists_are_followed_to_the_last_page_and_gets_are_conditional() {
    let standin = StandIn::start(100, 5000).await;
    standin.standin.seed_issues(SUPPORT, 250);
    let connector = standin.connector(fast());
    let all = connector.search("", 1000).await.unwrap();
    let support: Vec<_> = all
        .iter()
        .filter(|item| item.external_id.starts_with("octo-org/support#"))
        .collect();
    assert_eq!(support.len(), 250, "every page of 250 issues");
    let pages = standin
        .requests()
        .await
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"] == "/repos/octo-org/support/issues")
        .count();
    assert_eq!(pages, 3, "100 + 100 + 50");

    // The same issue twice: the second answer is a 304, read from the kept body.
    let id = &support[0].external_id;
    let first = connector.fetch(id).await.unwrap().unwrap();
    let second = connector.fetch(id).await.unwrap().unwrap();
    assert_eq!(first, second);
    let number = id.rsplit_once('#').unwrap().1;
    let gets: Vec<Value> = standin
        .requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == format!("/repos/octo-org/support/issues/{number}"))
        .collect();
    assert_eq!(gets.len(), 2, "{gets:?}");
    assert_eq!(gets[1]["not_modified"], true, "{gets:?}");
}

#[tokio::test]
async fn a_spent_rate_limit_is_waited_out_within_the_deadline_or_reported() {
    let standin = StandIn::start(100, 5000).await;
    let connector = standin.connector(fast());
    let item = connector
        .create(&conformance::sample("Rate limited"), "test")
        .await
        .unwrap();
    standin
        .admin("rate-limit", json!({"limit": 2, "window_seconds": 2}))
        .await;
    let started = Instant::now();
    for _ in 0..5 {
        // Fresh connectors: no ETag, so every read costs budget.
        let fresh = standin.connector(fast());
        assert!(fresh.fetch(&item.external_id).await.unwrap().is_some());
    }
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "five reads on a budget of two per 2 s must wait: {:?}",
        started.elapsed()
    );

    // A deadline shorter than the window: a clear error, not a hang.
    standin
        .admin("rate-limit", json!({"limit": 1, "window_seconds": 60}))
        .await;
    let hurried = standin.connector(ClientSettings {
        deadline: Duration::from_secs(2),
        ..fast()
    });
    let _ = hurried.fetch(&item.external_id).await;
    let started = Instant::now();
    match hurried.fetch(&item.external_id).await {
        Err(ConnectorError::Unavailable(message)) => {
            assert!(message.contains("rate limit"), "{message}");
        }
        other => panic!("expected a rate-limit error, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A sandbox-mode server with the connector on, a Miro installation, and
/// the stand-in delivering to it.
pub(crate) struct Harness {
    pub(crate) standin: StandIn,
    pub(crate) server: TestServer,
    pub(crate) connector: GitHubConnector,
    pub(crate) owner: TokenKey,
}

impl Harness {
    pub(crate) async fn start() -> Self {
        let standin = StandIn::start(100, 5000).await;
        let config = standin.config();
        let server = TestServer::start_configured(Default::default(), |c| {
            c.github = Some(config);
        })
        .await;
        standin
            .standin
            .set_webhook_url(Some(format!("{}/github/webhook", server.base)));
        let code = server
            .code_for(&server.str("client_id"), &server.str("redirect_uri"))
            .await;
        let owner = server
            .state
            .sync
            .tokens()
            .connect(&code, &server.str("redirect_uri"))
            .await
            .unwrap();
        let connector = standin.connector(fast());
        Self {
            standin,
            server,
            connector,
            owner,
        }
    }

    /// An issue, its record and a card linked to it, written to the board.
    pub(crate) async fn imported(&self, title: &str) -> (RecordRow, CardKey) {
        self.imported_with(&RecordFields {
            title: title.to_owned(),
            description: "From **GitHub**".to_owned(),
            status: "todo".to_owned(),
            labels: vec!["bug".to_owned()],
            ..RecordFields::default()
        })
        .await
    }

    /// [`Harness::imported`] for an issue made from `fields`.
    pub(crate) async fn imported_with(&self, fields: &RecordFields) -> (RecordRow, CardKey) {
        let item = self.connector.create(fields, "test").await.unwrap();
        // The issue's `opened` delivery may import it first; either way
        // one record shows it.
        let engine = &self.server.state.sync;
        import_or_apply(engine, &item.external_id, Some(&item))
            .await
            .unwrap();
        let record = engine
            .store()
            .record_by_external("github", &item.external_id)
            .await
            .unwrap()
            .unwrap();
        let access = self
            .server
            .state
            .sync
            .tokens()
            .access(&self.owner)
            .await
            .unwrap();
        let board = self.server.board();
        let card = self
            .server
            .miro_client(Duration::from_secs(5))
            .create_app_card(&access, &board, &AppCardWrite::default())
            .await
            .unwrap();
        let card = CardKey::new(board, card.id);
        self.server
            .state
            .sync
            .link(&card, &record.snapshot.id, &self.owner, "test")
            .await
            .unwrap();
        self.drain().await;
        (record, card)
    }

    pub(crate) async fn drain(&self) {
        assert!(self
            .server
            .state
            .sync
            .drain_until_empty(Duration::from_secs(20))
            .await
            .unwrap());
    }

    pub(crate) async fn record(&self, id: &str) -> RecordRow {
        self.server
            .state
            .sync
            .store()
            .record(id)
            .await
            .unwrap()
            .unwrap()
    }

    /// The record's source-outbox row (its base, queued write, conflict).
    pub(crate) async fn source_state(&self, id: &str) -> server::store::SourceState {
        self.server
            .state
            .sync
            .store()
            .source_state(id)
            .await
            .unwrap()
            .unwrap()
    }

    pub(crate) async fn card_title(&self, card: &CardKey) -> String {
        self.card(card).await.data.title
    }

    /// The fields of `record`'s issue as GitHub holds them now.
    pub(crate) async fn issue_fields(&self, record: &RecordRow) -> RecordFields {
        self.connector
            .fetch(&record.external_id)
            .await
            .unwrap()
            .expect("the issue is on GitHub")
            .fields
    }

    /// The card as the sandbox has it.
    pub(crate) async fn card(&self, card: &CardKey) -> AppCard {
        let access = self
            .server
            .state
            .sync
            .tokens()
            .access(&self.owner)
            .await
            .unwrap();
        self.server
            .miro_client(Duration::from_secs(5))
            .app_card(&access, &card.board_id, &card.item_id)
            .await
            .unwrap()
    }

    /// Posts a delivery to the app's endpoint.
    async fn post(&self, headers: &[(&str, String)], body: Vec<u8>) -> (u16, Value) {
        let mut request = self
            .server
            .client
            .post(format!("{}/github/webhook", self.server.base))
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

pub(crate) fn number_of(record: &RecordRow) -> u64 {
    record
        .external_id
        .rsplit_once('#')
        .unwrap()
        .1
        .parse()
        .unwrap()
}

/// An `issues` payload naming issue `number` of `repo` (only a hint).
fn issues_payload(repo: &str, number: u64, action: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "action": action,
        "issue": {"number": number, "title": "whatever the body says"},
        "repository": {"full_name": repo},
        "sender": {"login": "monalisa"},
    }))
    .unwrap()
}

#[tokio::test]
async fn a_signed_delivery_is_applied_by_re_reading_the_issue_and_requeues_the_cards() {
    let h = Harness::start().await;
    let (record, card) = h.imported("Ship the connector").await;
    let before = h.standin.deliveries().await.len();
    let path = format!("issues/{ROADMAP}/{}/edit", number_of(&record));
    h.standin
        .admin(
            &path,
            json!({"title": "Renamed on GitHub", "labels": ["bug", "status:in_review"]}),
        )
        .await;
    // One edit of title and labels is several deliveries (`edited`,
    // `labeled`): wait for all of them, not only the first.
    let sent = h.standin.deliveries().await.len().max(before + 1);
    let deliveries = h.standin.answered(sent).await;
    let last = deliveries.last().unwrap();
    assert_eq!(last["event"], "issues");
    assert_eq!(last["status"], 200, "{last:#}");

    let now = h.record(&record.snapshot.id).await;
    assert_eq!(now.snapshot.fields.title, "Renamed on GitHub");
    assert_eq!(now.snapshot.fields.status, "in_review");
    assert_eq!(now.snapshot.fields.labels, ["bug"]);
    assert_eq!(now.snapshot.version, record.snapshot.version + 1);
    let pending = crate::support::store_of(&h.server.state)
        .await
        .pending_writes(&card)
        .await
        .unwrap();
    assert!(!pending.is_empty(), "the card is queued for a write");
    h.drain().await;
    assert_eq!(h.card_title(&card).await, "Renamed on GitHub");
}

#[tokio::test]
async fn unsigned_mis_signed_and_replayed_deliveries_change_nothing() {
    let h = Harness::start().await;
    let (record, _card) = h.imported("Guarded").await;
    let number = number_of(&record);
    // Changed on GitHub with no delivery to us: only a delivery applies it.
    h.standin.standin.set_webhook_url(None);
    let path = format!("issues/{ROADMAP}/{number}/edit");
    h.standin
        .admin(&path, json!({"title": "Changed quietly"}))
        .await;

    let body = issues_payload(ROADMAP, number, "edited");
    let event = ("x-github-event", "issues".to_owned());
    let delivery = ("x-github-delivery", "d-0001".to_owned());
    let (status, answer) = h
        .post(&[event.clone(), delivery.clone()], body.clone())
        .await;
    assert_eq!(status, 401, "unsigned: {answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("missing"),
        "{answer}"
    );
    let wrong = ("x-hub-signature-256", sign("not-the-secret-at-all", &body));
    let (status, _) = h
        .post(&[event.clone(), delivery.clone(), wrong], body.clone())
        .await;
    assert_eq!(status, 401, "mis-signed");
    let other_body = issues_payload(ROADMAP, number, "closed");
    let for_other = ("x-hub-signature-256", sign(SECRET, &other_body));
    let (status, _) = h
        .post(&[event.clone(), delivery.clone(), for_other], body.clone())
        .await;
    assert_eq!(status, 401, "signed for another body");
    let big = vec![b' '; 1024 * 1024 + 1];
    let signed_big = ("x-hub-signature-256", sign(SECRET, &big));
    let (status, _) = h
        .post(&[event.clone(), delivery.clone(), signed_big], big)
        .await;
    assert_eq!(status, 413, "too large");
    let now = h.record(&record.snapshot.id).await;
    assert_eq!(now.snapshot, record.snapshot, "nothing was applied");

    // Signed: applied. The delivery id was not spent by the refusals.
    let good = ("x-hub-signature-256", sign(SECRET, &body));
    let (status, answer) = h
        .post(
            &[event.clone(), delivery.clone(), good.clone()],
            body.clone(),
        )
        .await;
    assert_eq!((status, answer["result"].as_str()), (200, Some("applied")));
    let applied = h.record(&record.snapshot.id).await;
    assert_eq!(applied.snapshot.fields.title, "Changed quietly");

    // The same delivery again, after another quiet change: not applied.
    h.standin
        .admin(&path, json!({"title": "Changed again"}))
        .await;
    let (status, answer) = h.post(&[event, delivery, good], body).await;
    assert_eq!(
        (status, answer["result"].as_str()),
        (200, Some("already handled"))
    );
    assert_eq!(
        h.record(&record.snapshot.id).await.snapshot,
        applied.snapshot
    );

    // The stand-in's own redelivery of one of its deliveries is ignored too.
    h.standin
        .standin
        .set_webhook_url(Some(format!("{}/github/webhook", h.server.base)));
    let before = h.standin.deliveries().await.len();
    h.standin.admin(&path, json!({"title": "Delivered"})).await;
    let sent = h.standin.answered(before + 1).await;
    let id = sent.last().unwrap()["id"].as_str().unwrap().to_owned();
    let delivered = h.record(&record.snapshot.id).await;
    assert_eq!(delivered.snapshot.fields.title, "Delivered");
    h.standin.standin.set_webhook_url(None);
    h.standin
        .admin(&path, json!({"title": "Quiet once more"}))
        .await;
    let before = h.standin.answered(before + 2).await.len();
    h.standin
        .standin
        .set_webhook_url(Some(format!("{}/github/webhook", h.server.base)));
    h.standin
        .admin(&format!("redeliver/{id}"), Value::Null)
        .await;
    let all = h.standin.answered(before + 1).await;
    let again = all
        .iter()
        .rev()
        .find(|d| d["id"] == id.as_str() && d["redelivery"] == true);
    assert_eq!(
        again.map(|d| d["status"].clone()),
        Some(json!(200)),
        "{all:#?}"
    );
    assert_eq!(
        h.record(&record.snapshot.id).await.snapshot,
        delivered.snapshot,
        "a redelivery is not applied again"
    );
}

#[tokio::test]
async fn our_own_write_coming_back_changes_nothing_and_costs_no_miro_request() {
    let h = Harness::start().await;
    let (record, card) = h.imported("Echo me").await;
    // An edit in the detail view: saved, and its card written.
    let mut fields = record.snapshot.fields.clone();
    fields.title = "Edited in Miro".to_owned();
    let saved = h
        .server
        .state
        .sync
        .save(RecordSave {
            source_base: None,
            record_id: &record.snapshot.id,
            base_version: record.snapshot.version,
            fields: &fields,
            origin: "miro",
            actor: "tester",
        })
        .await
        .unwrap();
    h.drain().await;
    assert_eq!(h.card_title(&card).await, "Edited in Miro");

    // The edit reaches GitHub, whose webhook comes back to us.
    h.server.clear_request_log().await;
    let before = h.standin.deliveries().await.len();
    let written = h
        .connector
        .update(&record.external_id, &fields, "miro")
        .await
        .unwrap();
    assert_eq!(written.fields, fields);
    let deliveries = h.standin.answered(before + 1).await;
    assert!(
        deliveries[before..].iter().all(|d| d["status"] == 200),
        "{deliveries:#?}"
    );

    let now = h.record(&record.snapshot.id).await;
    assert_eq!(now.snapshot, saved.record, "no new version");
    assert_eq!(
        h.server.state.sync.store().pending_count().await.unwrap(),
        0
    );
    h.drain().await;
    assert!(
        h.server.request_log().await.is_empty(),
        "the echo cost no Miro request"
    );
    let log = crate::support::store_of(&h.server.state)
        .await
        .recent_log(20)
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.result == "echo skipped"), "{log:#?}");
}

#[tokio::test]
async fn deleted_and_transferred_issues_disable_their_cards_and_unknown_ones_are_imported() {
    let h = Harness::start().await;
    let (deleted, deleted_card) = h.imported("To be deleted").await;
    let (moved, moved_card) = h.imported("To be transferred").await;
    let before = h.standin.deliveries().await.len();
    h.standin
        .admin(
            &format!("issues/{ROADMAP}/{}/delete", number_of(&deleted)),
            json!({}),
        )
        .await;
    h.standin
        .admin(
            &format!("issues/{ROADMAP}/{}/transfer", number_of(&moved)),
            json!({"new_repository": "elsewhere/else"}),
        )
        .await;
    let all = h.standin.answered(before + 2).await;
    assert!(all[before..].iter().all(|d| d["status"] == 200), "{all:#?}");
    for (record, card) in [(&deleted, &deleted_card), (&moved, &moved_card)] {
        let now = h.record(&record.snapshot.id).await;
        assert!(now.source_deleted, "{}", record.external_id);
        let link = h
            .server
            .state
            .sync
            .store()
            .link(card)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(link.status, CardStatus::Disabled);
        assert_eq!(link.record_id.as_deref(), Some(record.snapshot.id.as_str()));
    }
    h.drain().await;

    // An issue no record shows yet: imported from what GitHub says now.
    let stranger = h
        .connector
        .create(&conformance::sample("Not imported"), "test")
        .await
        .unwrap();
    let number: u64 = stranger
        .external_id
        .rsplit_once('#')
        .unwrap()
        .1
        .parse()
        .unwrap();
    let before = h.standin.answered(0).await.len();
    h.standin
        .admin(
            &format!("issues/{ROADMAP}/{number}/edit"),
            json!({"title": "Still unknown"}),
        )
        .await;
    let all = h.standin.answered(before + 1).await;
    assert_eq!(all.last().unwrap()["status"], 200, "{all:#?}");
    let imported = h
        .server
        .state
        .sync
        .store()
        .record_by_external("github", &stranger.external_id)
        .await
        .unwrap()
        .expect("an issue no record showed is imported");
    assert_eq!(imported.snapshot.fields.title, "Still unknown");

    // A ping is answered.
    let body = br#"{"zen":"Keep it logically awesome.","hook_id":1}"#.to_vec();
    let (status, answer) = h
        .post(
            &[
                ("x-github-event", "ping".to_owned()),
                ("x-github-delivery", "ping-1".to_owned()),
                ("x-hub-signature-256", sign(SECRET, &body)),
            ],
            body,
        )
        .await;
    assert_eq!((status, answer["result"].as_str()), (200, Some("pong")));

    // Signed, but not what GitHub sends: refused with what is wrong.
    let signed = |event: &str, id: &str, body: &[u8]| {
        vec![
            ("x-github-event", event.to_owned()),
            ("x-github-delivery", id.to_owned()),
            ("x-hub-signature-256", sign(SECRET, body)),
        ]
    };
    let odd = br#"{"action":"edited","issue":{"number":"seven"}}"#.to_vec();
    let (status, answer) = h.post(&signed("issues", "odd-1", &odd), odd.clone()).await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("`issues` event"),
        "{answer}"
    );
    let mut no_id = signed("issues", "", &odd);
    no_id.remove(1);
    let (status, _) = h.post(&no_id, odd).await;
    assert_eq!(status, 400, "no delivery id");
    let star = br#"{"action":"created","starred_at":null}"#.to_vec();
    let (status, answer) = h.post(&signed("star", "star-1", &star), star).await;
    assert_eq!(
        (status, answer["result"].as_str()),
        (202, Some("the app does not use this event"))
    );
}

#[tokio::test]
async fn with_the_connector_off_the_webhook_says_so() {
    let server = TestServer::start().await;
    let response = server
        .client
        .post(format!("{}/github/webhook", server.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("GITHUB_REPOSITORIES"),
        "{body}"
    );
}

#[tokio::test]
async fn a_renamed_label_reaches_the_records_that_carry_it() {
    let h = Harness::start().await;
    let (record, card) = h.imported("Labelled").await;
    let before = h.standin.deliveries().await.len();
    h.standin
        .edit_label("bug", json!({"new_name": "defect"}))
        .await;
    let all = h.standin.answered(before + 1).await;
    let label = all[before..].iter().find(|d| d["event"] == "label");
    assert_eq!(
        label.map(|d| d["status"].clone()),
        Some(json!(200)),
        "{all:#?}"
    );
    let now = h.record(&record.snapshot.id).await;
    assert_eq!(now.snapshot.fields.labels, ["defect"]);
    h.drain().await;
    assert_eq!(h.card_title(&card).await, "Labelled");
}

#[tokio::test]
async fn the_poll_finds_changes_no_delivery_brought_and_asks_again_for_free() {
    let h = Harness::start().await;
    let (record, card) = h.imported("Polled").await;
    h.standin.standin.set_webhook_url(None);
    let path = format!("issues/{ROADMAP}/{}/edit", number_of(&record));
    h.standin
        .admin(
            &path,
            json!({"title": "Changed while no webhook came", "state": "closed"}),
        )
        .await;
    let engine = &h.server.state.sync;
    let mut poll = Poll::new();
    // The first round lists every issue: the record is applied to, and
    // nothing else is there to import.
    let report = poll.once(engine, &h.connector).await.unwrap();
    assert_eq!((report.applied, report.imported), (1, 0), "{report:?}");
    let now = h.record(&record.snapshot.id).await;
    assert_eq!(now.snapshot.fields.title, "Changed while no webhook came");
    assert_eq!(now.snapshot.fields.status, "done");
    h.drain().await;
    assert_eq!(h.card_title(&card).await, "Changed while no webhook came");

    // Nothing new: nothing applied, and once the question repeats it is
    // answered 304 (free under GitHub's rate limit).
    let report = poll.once(engine, &h.connector).await.unwrap();
    assert_eq!(report, Default::default());
    h.standin
        .http
        .delete(format!("{}/_standin/requests", h.standin.base))
        .send()
        .await
        .unwrap();
    let report = poll.once(engine, &h.connector).await.unwrap();
    assert_eq!(report, Default::default());
    let lists: Vec<Value> = h
        .standin
        .requests()
        .await
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/issues"))
        .collect();
    assert_eq!(lists.len(), 2, "one list per repository: {lists:#?}");
    assert!(
        lists.iter().all(|r| r["not_modified"] == true),
        "{lists:#?}"
    );
    assert_eq!(h.record(&record.snapshot.id).await.snapshot, now.snapshot);
}

#[tokio::test]
async fn reads_and_edits_ride_out_thirty_percent_injected_faults() {
    let standin = StandIn::start(100, 5000).await;
    let connector = standin.connector(ClientSettings {
        deadline: Duration::from_secs(20),
        ..fast()
    });
    let mut items = Vec::new();
    for n in 0..4 {
        let fields = conformance::sample(&format!("Faulty {n}"));
        items.push(connector.create(&fields, "test").await.unwrap());
    }
    standin
        .admin(
            "faults",
            json!({"rate_500": 0.1, "rate_502": 0.1, "rate_403_rate_limit": 0.1,
                   "retry_after_seconds": 1, "seed": 7}),
        )
        .await;
    for (n, item) in items.iter().enumerate() {
        let mut fields = item.fields.clone();
        fields.title = format!("Faulty {n} edited");
        fields.status = "done".to_owned();
        // A PATCH that met a fault is not resent by the client (it may
        // have landed); its caller tries again, as the source outbox does,
        // and `update` reads the issue first, so nothing lands twice.
        let mut tries = 0;
        let written = loop {
            tries += 1;
            match connector.update(&item.external_id, &fields, "test").await {
                Err(ConnectorError::Unavailable(why)) if tries < 10 => {
                    eprintln!("edit {n} unavailable, again: {why}");
                }
                other => break other.unwrap(),
            }
        };
        assert_eq!(written.fields, fields, "edit {n}");
    }
    let found = connector.search("edited", 10).await.unwrap();
    assert_eq!(found.len(), 4);
    let faults = standin
        .requests()
        .await
        .iter()
        .filter(|r| !r["fault"].is_null())
        .count();
    assert!(faults > 0, "some requests met a fault");
    standin.admin("faults", json!({})).await;
    for (n, item) in items.iter().enumerate() {
        let now = connector.fetch(&item.external_id).await.unwrap().unwrap();
        assert_eq!(now.fields.title, format!("Faulty {n} edited"));
        assert_eq!(now.fields.status, "done");
    }
}

#[tokio::test]
async fn the_first_poll_imports_every_issue_and_the_panels_search_filters_them_as_github_does() {
    let h = Harness::start().await;
    h.standin.standin.set_webhook_url(None);
    h.standin.standin.seed_issues(ROADMAP, 250);
    let engine = &h.server.state.sync;
    let mut poll = Poll::new();
    let report = poll.once(engine, &h.connector).await.unwrap();
    assert_eq!(report.imported, 250, "{report:?}");
    // Three pages of the list (100 per page), nothing more.
    let lists = h
        .standin
        .requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == format!("/repos/{ROADMAP}/issues"))
        .count();
    assert_eq!(lists, 3);
    // Again: nothing new to import.
    assert_eq!(poll.once(engine, &h.connector).await.unwrap().imported, 0);

    // What the panel's search finds for a filter is what GitHub lists for
    // the same filter (asked of the stand-in directly, paged to the end).
    let github_count = |query: String| {
        let standin = &h.standin;
        async move {
            let mut count = 0;
            for page in 1.. {
                let list: Vec<Value> = standin
                    .http
                    .get(format!(
                        "{}/repos/{ROADMAP}/issues?per_page=100&page={page}&{query}",
                        standin.base
                    ))
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if list.is_empty() {
                    break;
                }
                count += list.len();
            }
            count as u64
        }
    };
    let found = |query: app::panel::RecordQuery| async move {
        engine
            .store()
            .find_records(&repository_scopes(), &query, None, 1)
            .await
            .unwrap()
            .total
    };
    let query = |status: &str, label: &str, assignee: &str| app::panel::RecordQuery {
        status: status.to_owned(),
        label: label.to_owned(),
        assignee: assignee.to_owned(),
        ..Default::default()
    };
    for (github, ours) in [
        ("state=closed", query("done", "", "")),
        ("state=all&labels=bug", query("", "bug", "")),
        ("state=all&assignee=hubot", query("", "", "hubot")),
    ] {
        let listed = github_count(github.to_owned()).await;
        assert!(listed > 0 && listed < 250, "{github}: the sample has both");
        assert_eq!(found(ours).await, listed, "{github}");
    }
}

/// `server github-standin` and the app as processes, as a newcomer runs
/// them: the app imports the stand-in's issues and follows an edit made
/// "on GitHub" through a signed delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_github_standin_command_and_the_app_work_together_as_processes() {
    use crate::support::fleet::{free_port, Fleet, Process};
    use server::store::{SecretKey, SqlStore, Store};

    let standin_port = free_port();
    let standin_url = format!("http://127.0.0.1:{standin_port}");
    let fleet = Fleet::new(
        1,
        None,
        &[
            ("GITHUB_REPOSITORIES", ROADMAP),
            ("GITHUB_TOKEN", TOKEN),
            ("GITHUB_WEBHOOK_SECRET", SECRET),
            ("GITHUB_API_URL", standin_url.as_str()),
        ],
    )
    .await;
    let _standin = Process::from(
        fleet
            .command("standin.log")
            .args([
                "github-standin",
                "--addr",
                &format!("127.0.0.1:{standin_port}"),
            ])
            .args(["--app-url", &fleet.app_url(0), "--seed", "25"])
            .spawn()
            .unwrap(),
    );
    fleet
        .wait_until_up(&format!("{standin_url}/_standin/deliveries"))
        .await;
    let app = fleet.start_app(0).await;
    let key = SecretKey::load_or_create(&fleet.folder.path().join("secret.key")).unwrap();
    let store = SqlStore::open(&fleet.database_url, key).await.unwrap();
    let external_id = format!("{ROADMAP}#3");
    let deadline = Instant::now() + Duration::from_secs(30);
    let imported = loop {
        let query = app::panel::RecordQuery::default();
        let all = store
            .find_records(&repository_scopes(), &query, None, 100)
            .await
            .unwrap();
        let github: Vec<_> = all
            .records
            .iter()
            .filter(|r| r.connector == "github")
            .collect();
        if github.len() == 25 {
            break github.len();
        }
        assert!(Instant::now() < deadline, "{}", fleet.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(imported, 25);

    let edited: Value = fleet
        .http
        .post(format!("{standin_url}/_standin/issues/{ROADMAP}/3/edit"))
        .json(&json!({"title": "Edited on GitHub"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(edited["title"], "Edited on GitHub");
    loop {
        let record = store
            .record_by_external("github", &external_id)
            .await
            .unwrap()
            .unwrap();
        if record.snapshot.fields.title == "Edited on GitHub" {
            break;
        }
        assert!(Instant::now() < deadline, "{}", fleet.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // With the app stopped, an edit saved from Miro waits in the store;
    // `server sync` sends it to GitHub, and says so.
    drop(app);
    let record = store
        .record_by_external("github", &external_id)
        .await
        .unwrap()
        .unwrap();
    let mut fields = record.snapshot.fields.clone();
    fields.title = "Sent by server sync".to_owned();
    store
        .save_record(server::store::RecordSave {
            record_id: &record.snapshot.id,
            base_version: record.snapshot.version,
            fields: &fields,
            origin: "miro",
            actor: "tester",
            source_base: None,
        })
        .await
        .unwrap();
    let sync = fleet
        .command("sync.log")
        .args(["sync", "--for", "15"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let finished = tokio::task::spawn_blocking(move || sync.wait_with_output().unwrap())
        .await
        .unwrap();
    let printed = String::from_utf8_lossy(&finished.stdout);
    // Its exit status is not asserted: it also waits for the card outbox,
    // where a write the killed app held a lease on waits out the lease.
    assert!(
        printed.contains("GitHub: 0 edits waiting, 0 conflicts, 0 refused"),
        "{printed}"
    );
    let issue: Value = fleet
        .http
        .get(format!("{standin_url}/repos/{ROADMAP}/issues/3"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(issue["title"], "Sent by server sync");
}

/// The panel's health view says whether GitHub still takes the app's token,
/// from its first look (it asks GitHub when nothing has yet): "connected",
/// or "reconnect" with the reason, for a refused token and for a token that
/// cannot see a configured repository (GitHub answers 404 for those, as for
/// a missing issue, so a 404 alone never reads as a working token).
#[tokio::test]
async fn the_panels_health_says_reconnect_when_github_refuses_the_token() {
    use crate::support::panel::{call, opened_panel};

    let standin = StandIn::start(100, 5000).await;
    let hidden = "octo-org/hidden";
    for (token, extra, expected) in [
        (TOKEN, None, "Working"),
        ("ghp_revoked_meanwhile", None, "Bad credentials"),
        (TOKEN, Some(hidden), "404 for octo-org/hidden"),
    ] {
        let mut config = standin.config();
        config.token = server::miro::Secret::new(token);
        config
            .repositories
            .extend(extra.map(|r| Repo::parse(r).unwrap()));
        let server = TestServer::start_configured(Default::default(), |c| {
            c.github = Some(config);
        })
        .await;
        let session = opened_panel(&server).await;
        let (status, health) = call(&server, "board_health", json!({"session": session})).await;
        assert_eq!(status, 200, "{health}");
        assert_eq!(health["sources"][0]["name"], "GitHub", "{health}");
        let access = &health["sources"][0]["access"];
        if expected == "Working" {
            assert_eq!(access, "Working", "{health}");
            continue;
        }
        let reason = access["Reconnect"]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains(expected), "{health}");
        assert!(reason.contains("GITHUB_TOKEN"), "{health}");
        // A missing issue answered 404 in a repository it can see does not
        // make the token look fine.
        let github = server.state.github.as_ref().unwrap();
        let _ = github.connector.fetch(&format!("{ROADMAP}#999")).await;
        let (_, again) = call(&server, "board_health", json!({"session": session})).await;
        assert!(
            again["sources"][0]["access"]["Reconnect"].is_object(),
            "{again}"
        );
    }
}

/// The scopes of the two repositories' records: every team reaches them.
fn repository_scopes() -> Vec<String> {
    [ROADMAP, SUPPORT]
        .iter()
        .map(|name| server::teams::repository_scope(name))
        .collect()
}
