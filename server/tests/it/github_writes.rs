//! Records → GitHub: edits saved in the detail view reach their issue
//! through the source outbox (`server/src/sync/source.rs`), against a real
//! server (sandbox mode, SQLite, the Miro sandbox) and the GitHub stand-in
//! over real HTTP: one PATCH per edit, its webhook echo costing no Miro
//! request, an edit on both sides stored as a conflict (nothing
//! overwritten on either side) that the view opens on and whose resolution
//! reaches both sides, and an unavailable GitHub retried until the edit
//! lands.

use std::time::{Duration, Instant};

use app::cards::RecordFields;
use github_standin::FaultPlan;
use serde_json::{json, Value};
use server::{
    store::{CardKey, RecordSave},
    sync::{
        connector::{github::client::ClientSettings, Connector},
        source::SourceOutcome,
    },
};

use crate::{
    github::{fast, number_of, Harness, ROADMAP},
    support::{
        detail::{open, session_of, ticket},
        panel::{call, opened_panel},
        sandbox::{render_lock, status_and_json},
    },
};

/// The detail view opened on `card` as Miro's modal opens it: the page.
/// Saves `fields` over version `base` of a record as an edit made in Miro.
async fn save_from_miro(h: &Harness, record_id: &str, base: i64, fields: &RecordFields) {
    h.server
        .state
        .sync
        .save(RecordSave {
            source_base: None,
            record_id,
            base_version: base,
            fields,
            origin: "miro",
            actor: "tester",
        })
        .await
        .unwrap();
}

pub(crate) async fn open_view(h: &Harness, card: &CardKey) -> String {
    let token = h.server.sdk_id_token().await;
    let (status, body) = ticket(&h.server, card, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let (status, html) = open(&h.server, card, body["ticket"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{html}");
    html
}

/// A save through the `save_card` server function.
pub(crate) async fn save_card(
    h: &Harness,
    card: &CardKey,
    session: &str,
    version: i64,
    fields: &RecordFields,
    source_theirs: Option<&RecordFields>,
) -> (u16, Value) {
    let body = json!({"request": {
        "board_id": card.board_id, "item_id": card.item_id, "session": session,
        "base_version": version, "fields": fields, "source_theirs": source_theirs,
    }});
    let response = h
        .server
        .client
        .post(format!("{}/api/save_card", h.server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    status_and_json(response).await
}

/// GitHub's edits on their way, as the panel's health view shows them.
async fn source_writes(h: &Harness) -> Value {
    let session = opened_panel(&h.server).await;
    let (status, health) = call(&h.server, "board_health", json!({"session": session})).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["sources"][0]["name"], "GitHub", "{health}");
    health["sources"][0]["writes"].clone()
}

/// PATCHes of the record's issue the stand-in served.
async fn patches(h: &Harness, number: u64) -> usize {
    let path = format!("/repos/{ROADMAP}/issues/{number}");
    h.standin
        .requests()
        .await
        .iter()
        .filter(|r| r["method"] == "PATCH" && r["path"] == path.as_str())
        .count()
}

/// One round of source writes with the server's own connector.
pub(crate) async fn drain_sources(h: &Harness) -> usize {
    let github = h.server.state.github.as_ref().unwrap();
    h.server
        .state
        .sync
        .drain_sources_once(github.connector.as_ref())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_detail_view_save_reaches_the_issue_once_and_its_echo_costs_no_miro_request() {
    let _one_renderer = render_lock().await;
    let h = Harness::start().await;
    let (record, card) = h.imported("Write me to GitHub").await;
    let number = number_of(&record);
    let session = session_of(&open_view(&h, &card).await);

    let mut fields = record.snapshot.fields.clone();
    fields.title = "Edited in the detail view".to_owned();
    fields.description = "Now with *more* words".to_owned();
    let (status, answer) =
        save_card(&h, &card, &session, record.snapshot.version, &fields, None).await;
    assert_eq!(status, 200, "{answer}");
    let state = h.source_state(&record.snapshot.id).await;
    assert_eq!(
        state.pending_version,
        Some(record.snapshot.version + 1),
        "queued with the save"
    );
    assert_eq!(
        patches(&h, number).await,
        0,
        "nothing sent before the worker runs"
    );

    h.drain().await;
    h.server.clear_request_log().await;
    let deliveries = h.standin.deliveries().await.len();
    assert_eq!(drain_sources(&h).await, 1);
    let issue = h.issue_fields(&record).await;
    assert_eq!(issue, fields, "the issue shows the edit");
    assert_eq!(patches(&h, number).await, 1, "one PATCH");

    // GitHub's webhook for our own write: nothing changes, no Miro call.
    let answered = h.standin.answered(deliveries + 1).await;
    assert!(
        answered[deliveries..].iter().all(|d| d["status"] == 200),
        "{answered:#?}"
    );
    let now = h.record(&record.snapshot.id).await;
    assert_eq!(
        now.snapshot.version,
        record.snapshot.version + 1,
        "no new version"
    );
    assert_eq!(
        h.server.state.sync.store().pending_count().await.unwrap(),
        0
    );
    h.drain().await;
    assert!(
        h.server.request_log().await.is_empty(),
        "the echo cost no Miro request"
    );

    // Written and settled: nothing more is sent.
    let state = h.source_state(&record.snapshot.id).await;
    assert_eq!((state.pending_version, state.conflict), (None, None));
    assert_eq!(state.base.as_ref(), Some(&fields));
    assert_eq!(drain_sources(&h).await, 0);
    assert_eq!(patches(&h, number).await, 1);
    let log = crate::support::store_of(&h.server.state)
        .await
        .recent_log(50)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "source write" && e.result.ends_with("written")),
        "{log:#?}"
    );
}

#[tokio::test]
async fn an_edit_on_both_sides_is_a_conflict_the_view_opens_on_and_its_resolution_reaches_both() {
    let _one_renderer = render_lock().await;
    let h = Harness::start().await;
    let (record, card) = h.imported("Edited twice").await;
    let number = number_of(&record);
    let id = &record.snapshot.id;
    let session = session_of(&open_view(&h, &card).await);

    // Saved in Miro, and before the worker sends it, edited on GitHub:
    // the webhook finds a local edit waiting and stores a conflict.
    let mut ours = record.snapshot.fields.clone();
    ours.title = "Mine, from Miro".to_owned();
    ours.description = "Our description".to_owned();
    let (status, answer) =
        save_card(&h, &card, &session, record.snapshot.version, &ours, None).await;
    assert_eq!(status, 200, "{answer}");
    let deliveries = h.standin.deliveries().await.len();
    h.standin
        .admin(
            &format!("issues/{ROADMAP}/{number}/edit"),
            json!({"title": "Theirs, from GitHub"}),
        )
        .await;
    h.standin.answered(deliveries + 1).await;
    let theirs = h.issue_fields(&record).await;
    assert_eq!(theirs.title, "Theirs, from GitHub");

    let state = h.source_state(id).await;
    let (stored, against) = state.conflict.clone().expect("a conflict is stored");
    assert_eq!(stored, theirs);
    assert_eq!(against, record.snapshot.version + 1);
    assert_eq!(
        h.record(id).await.snapshot.fields,
        ours,
        "the record is not overwritten"
    );
    assert_eq!(
        drain_sources(&h).await,
        0,
        "nothing is written while it is open"
    );
    assert_eq!(patches(&h, number).await, 0);
    let writes = source_writes(&h).await;
    assert_eq!(
        (&writes["conflicts"], &writes["waiting"]),
        (&json!(1), &json!(0)),
        "the panel counts it as a conflict, not as waiting: {writes}"
    );
    assert_eq!(
        h.issue_fields(&record).await.title,
        "Theirs, from GitHub",
        "the issue is not overwritten"
    );

    // The view opens on the choice, saying the other side is GitHub.
    let html = open_view(&h, &card).await;
    assert!(html.contains("source_conflict"), "the page data carries it");
    assert!(html.contains("Theirs, from GitHub"), "theirs is shown");
    assert!(html.contains("The other side is GitHub"), "{html}");
    let session = session_of(&html);

    // Resolved: GitHub's title, our description, saved against the
    // record's version with the tool's fields that were shown.
    let mut merged = ours.clone();
    merged.title = theirs.title.clone();
    let version = h.record(id).await.snapshot.version;
    let (status, answer) = save_card(&h, &card, &session, version, &merged, Some(&theirs)).await;
    assert_eq!(status, 200, "{answer}");
    let state = h.source_state(id).await;
    assert_eq!(state.conflict, None, "resolved");
    assert_eq!(state.base.as_ref(), Some(&theirs));
    assert_eq!(drain_sources(&h).await, 1);
    assert_eq!(patches(&h, number).await, 1);
    let issue = h.issue_fields(&record).await;
    assert_eq!(issue, merged, "GitHub holds the choice");
    assert_eq!(
        h.record(id).await.snapshot.fields,
        merged,
        "so does the record"
    );
    h.drain().await;
    assert_eq!(h.card_title(&card).await, "Theirs, from GitHub");
    let html = open_view(&h, &card).await;
    assert!(
        !html.contains("The other side is GitHub"),
        "no conflict any more"
    );
}

#[tokio::test]
async fn the_worker_finds_an_edit_on_github_no_webhook_brought_and_writes_nothing() {
    let h = Harness::start().await;
    let (record, _card) = h.imported("Quietly changed").await;
    let number = number_of(&record);
    let id = &record.snapshot.id;
    h.standin.standin.set_webhook_url(None);
    h.standin
        .admin(
            &format!("issues/{ROADMAP}/{number}/edit"),
            json!({"title": "Changed on GitHub, undelivered"}),
        )
        .await;
    let mut ours = record.snapshot.fields.clone();
    ours.title = "Changed in Miro".to_owned();
    save_from_miro(&h, id, record.snapshot.version, &ours).await;
    let github = h.server.state.github.as_ref().unwrap();
    let outcome = h
        .server
        .state
        .sync
        .push_source(github.connector.as_ref(), id)
        .await
        .unwrap();
    assert_eq!(outcome, SourceOutcome::Conflict);
    assert_eq!(patches(&h, number).await, 0);
    let issue = h.issue_fields(&record).await;
    assert_eq!(issue.title, "Changed on GitHub, undelivered");
    assert_eq!(h.record(id).await.snapshot.fields, ours);
    let state = h.source_state(id).await;
    assert_eq!(state.conflict.map(|(f, _)| f), Some(issue));
}

#[tokio::test]
async fn an_unavailable_github_is_retried_until_the_edit_lands_once() {
    let h = Harness::start().await;
    let (record, _card) = h.imported("Through the faults").await;
    let number = number_of(&record);
    let id = &record.snapshot.id;
    let mut ours = record.snapshot.fields.clone();
    ours.title = "Survives an outage".to_owned();
    save_from_miro(&h, id, record.snapshot.version, &ours).await;
    // A connector that gives up quickly, so the outage shows as a retry.
    let hurried = h.standin.connector(ClientSettings {
        deadline: Duration::from_millis(300),
        attempt_timeout: Duration::from_millis(300),
        backoff_base: Duration::from_millis(20),
    });
    h.standin
        .standin
        .set_faults(FaultPlan {
            rate_503: 1.0,
            ..FaultPlan::default()
        })
        .unwrap();
    let outcome = h.server.state.sync.push_source(&hurried, id).await.unwrap();
    assert!(matches!(outcome, SourceOutcome::Deferred(_)), "{outcome:?}");
    let state = h.source_state(id).await;
    assert_eq!(state.attempts, 1);
    assert!(state.pending_version.is_some(), "still queued");
    assert!(state.last_error.is_some());
    let writes = source_writes(&h).await;
    assert_eq!(
        (&writes["waiting"], &writes["retrying"]),
        (&json!(1), &json!(1)),
        "{writes}"
    );
    assert_eq!(writes["last_error"].as_str(), state.last_error.as_deref());
    assert_eq!(drain_sources(&h).await, 0, "not due before its backoff");

    h.standin.standin.set_faults(FaultPlan::default()).unwrap();
    let writer = h.standin.connector(fast());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if h.server
            .state
            .sync
            .drain_sources_once(&writer)
            .await
            .unwrap()
            > 0
        {
            break;
        }
        assert!(Instant::now() < deadline, "the retry never came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let issue = h.issue_fields(&record).await;
    assert_eq!(issue, ours, "the edit landed");
    assert_eq!(patches(&h, number).await, 1, "once");
    let state = h.source_state(id).await;
    assert_eq!((state.pending_version, state.attempts), (None, 0));
    let writes = source_writes(&h).await;
    assert_eq!(
        (&writes["waiting"], &writes["last_error"]),
        (&json!(0), &Value::Null)
    );
}

#[tokio::test]
async fn the_webhook_of_a_write_still_in_flight_is_our_echo_even_with_a_newer_edit_queued() {
    let h = Harness::start().await;
    let (record, _card) = h.imported("Raced by its own echo").await;
    let id = &record.snapshot.id;
    let engine = &h.server.state.sync;
    let store = engine.store();
    h.standin.standin.set_webhook_url(None);
    let save = |base: i64, fields: RecordFields| async move {
        engine
            .save(RecordSave {
                source_base: None,
                record_id: id,
                base_version: base,
                fields: &fields,
                origin: "miro",
                actor: "tester",
            })
            .await
            .unwrap()
    };
    let mut first = record.snapshot.fields.clone();
    first.title = "First edit".to_owned();
    save(record.snapshot.version, first.clone()).await;
    // The worker is sending the first edit; its PATCH lands, and before its
    // answer arrives a second edit is saved and GitHub's webhook of the
    // first one is applied.
    store.mark_source_sending(id, &first).await.unwrap();
    h.connector
        .update(&record.external_id, &first, "test")
        .await
        .unwrap();
    let mut second = first.clone();
    second.title = "Second edit".to_owned();
    save(record.snapshot.version + 1, second.clone()).await;
    let github = h.server.state.github.as_ref().unwrap();
    let fetched = github
        .connector
        .fetch(&record.external_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fetched.fields, first);
    engine
        .apply_source_change(id, &fetched.fields, "github")
        .await
        .unwrap();
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!(state.conflict, None, "our own echo is no conflict");
    assert_eq!(h.record(id).await.snapshot.fields, second);

    // The second edit follows: GitHub holds what was sent, so it is ours.
    let outcome = engine
        .push_source(github.connector.as_ref(), id)
        .await
        .unwrap();
    assert_eq!(outcome, SourceOutcome::Written);
    let issue = h.issue_fields(&record).await;
    assert_eq!(issue, second);
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!((state.pending_version, state.sending), (None, None));
}

#[tokio::test]
async fn with_thirty_percent_of_github_requests_failing_every_edit_ends_on_both_sides() {
    let h = Harness::start().await;
    let mut records = Vec::new();
    for n in 0..3 {
        records.push(h.imported(&format!("Faulty {n}")).await.0);
    }
    h.standin
        .standin
        .set_faults(FaultPlan {
            rate_500: 0.1,
            rate_502: 0.1,
            rate_503: 0.1,
            seed: Some(7),
            ..FaultPlan::default()
        })
        .unwrap();
    let writer = h.standin.connector(fast());
    let engine = &h.server.state.sync;
    let store = engine.store();
    let mut last = Vec::new();
    for round in 0..3 {
        last.clear();
        for record in &records {
            let now = h.record(&record.snapshot.id).await;
            let mut fields = now.snapshot.fields.clone();
            fields.title = format!("{} edit {round}", record.snapshot.fields.title);
            engine
                .save(RecordSave {
                    source_base: None,
                    record_id: &record.snapshot.id,
                    base_version: now.snapshot.version,
                    fields: &fields,
                    origin: "miro",
                    actor: "tester",
                })
                .await
                .unwrap();
            last.push(fields);
        }
        engine.drain_sources_once(&writer).await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        engine.drain_sources_once(&writer).await.unwrap();
        let mut waiting = 0;
        for record in &records {
            let state = store
                .source_state(&record.snapshot.id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(state.conflict, None, "no false conflict");
            waiting += usize::from(state.pending_version.is_some());
        }
        if waiting == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{waiting} edit(s) never landed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.standin.standin.set_faults(FaultPlan::default()).unwrap();
    for (record, fields) in records.iter().zip(&last) {
        let issue = h.issue_fields(record).await;
        assert_eq!(&issue, fields, "GitHub has the last edit");
        assert_eq!(&h.record(&record.snapshot.id).await.snapshot.fields, fields);
    }
}

#[tokio::test]
async fn a_conflict_closes_by_itself_when_github_comes_to_hold_the_records_fields() {
    let h = Harness::start().await;
    let (record, _card) = h.imported("Agreed in the end").await;
    let id = &record.snapshot.id;
    let number = number_of(&record);
    let engine = &h.server.state.sync;
    let mut ours = record.snapshot.fields.clone();
    ours.title = "The same words".to_owned();
    engine
        .save(RecordSave {
            source_base: None,
            record_id: id,
            base_version: record.snapshot.version,
            fields: &ours,
            origin: "miro",
            actor: "tester",
        })
        .await
        .unwrap();
    let edit = format!("issues/{ROADMAP}/{number}/edit");
    let before = h.standin.deliveries().await.len();
    h.standin
        .admin(&edit, json!({"title": "Other words"}))
        .await;
    h.standin.answered(before + 1).await;
    let state = engine.store().source_state(id).await.unwrap().unwrap();
    assert!(state.conflict.is_some(), "a conflict first");

    let before = h.standin.deliveries().await.len();
    h.standin
        .admin(&edit, json!({"title": "The same words"}))
        .await;
    h.standin.answered(before + 1).await;
    let state = engine.store().source_state(id).await.unwrap().unwrap();
    assert_eq!(state.conflict, None, "closed: both sides agree");
    assert_eq!(state.pending_version, None, "nothing left to send");
    assert_eq!(state.base.as_ref(), Some(&ours));
    assert_eq!(drain_sources(&h).await, 0);
    assert_eq!(patches(&h, number).await, 0);
}
