//! The panel's server side over real HTTP: a panel ticket bought with the
//! SDK's ID token opens the panel once; records are found by text and
//! filters, paged to the end; 45 of them go on the board in three bulk
//! calls, inside the viewport, costing what the dry run said; a refused
//! chunk lands nothing, the rest still land, and it lands on retry; a
//! record is created with its card; failed card writes show in the board's
//! health and "retry" clears them; bad input is refused and changes
//! nothing.

use std::time::Duration;

use app::panel::{
    layout::{grid, Viewport},
    plan::{ImportPlan, BULK_CHUNK, CREDITS_PER_BULK_ITEM},
    PAGE_SIZE,
};
use serde_json::{json, Value};
use server::{
    miro::{ItemFilter, BULK_CHUNK as MIRO_CHUNK, BULK_ITEM_CREDITS},
    sandbox_install::{SAMPLE_RECORDS, SAMPLE_ROADMAP},
};

use crate::support::{
    detail::{linked_card, ticket},
    panel::{call, open_panel, opened_panel, panel_ticket},
    sandbox::{render_lock, TestServer},
};

const VIEW: Viewport = Viewport {
    x: -2000.0,
    y: 3000.0,
    width: 4000.0,
    height: 2400.0,
};

/// Every record matching `query`, page by page as "Select all" pages.
async fn all_matching(server: &TestServer, session: &str, query: Value) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let (status, page) = call(
            server,
            "search_records",
            json!({"session": session, "query": query, "after": after}),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        for row in page["rows"].as_array().unwrap() {
            ids.push(row["record"]["id"].as_str().unwrap().to_owned());
        }
        after = page["next"].clone();
        if after.is_null() {
            return (ids, pages);
        }
    }
}

fn placements(ids: &[String], view: Viewport) -> Vec<Value> {
    ids.iter()
        .zip(grid(ids.len(), view))
        .map(|(id, at)| json!({"record_id": id, "at": {"x": at.x, "y": at.y}}))
        .collect()
}

fn outcomes(answer: &Value) -> Vec<String> {
    answer
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            item["outcome"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap()
                .clone()
        })
        .collect()
}

fn bulk_calls(log: &[(String, String, u16)]) -> Vec<u16> {
    log.iter()
        .filter(|(method, path, _)| method == "POST" && path.ends_with("/items/bulk"))
        .map(|(_, _, status)| *status)
        .collect()
}

#[test]
fn the_dry_run_uses_miros_own_figures() {
    assert_eq!(BULK_CHUNK, MIRO_CHUNK);
    assert_eq!(CREDITS_PER_BULK_ITEM, BULK_ITEM_CREDITS);
}

#[tokio::test]
async fn a_panel_ticket_needs_an_id_token_and_opens_the_panel_once() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let card = linked_card(&server).await;
    let board = server.board();
    let (status, body) = panel_ticket(&server, &board, None).await;
    assert_eq!(status, 401, "{body}");
    let token = server.sdk_id_token().await;
    let (status, body) = panel_ticket(&server, "uXjVNoSuchBoard=", Some(&token)).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = panel_ticket(&server, &board, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let opening = body["ticket"].as_str().unwrap().to_owned();

    let (status, html) = open_panel(&server, &board, &opening).await;
    assert_eq!(status, 200);
    assert!(html.contains("Find records"), "{html}");
    assert!(
        html.contains("/panel-pkg/"),
        "the panel's own bundle: {html}"
    );
    assert!(!html.contains(&opening), "the ticket is not echoed");
    let (status, again) = open_panel(&server, &board, &opening).await;
    assert_eq!(status, 401);
    assert!(again.contains("expired or was already used"), "{again}");

    // A card's ticket opens no panel, and a panel's ticket no card.
    let (_, body) = ticket(&server, &card, Some(&token)).await;
    let (status, _) = open_panel(&server, &board, body["ticket"].as_str().unwrap()).await;
    assert_eq!(status, 401);
    let (_, body) = panel_ticket(&server, &board, Some(&token)).await;
    let (status, _) =
        crate::support::detail::open(&server, &card, body["ticket"].as_str().unwrap()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn records_are_found_by_text_and_filters_and_paged_to_the_end() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let session = opened_panel(&server).await;
    let (roadmap, pages) = all_matching(&server, &session, json!({"label": "roadmap"})).await;
    assert_eq!(roadmap.len(), SAMPLE_ROADMAP);
    assert_eq!(pages, SAMPLE_ROADMAP.div_ceil(PAGE_SIZE as usize));
    let mut unique = roadmap.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), roadmap.len(), "no record twice across pages");

    let (status, page) = call(
        &server,
        "search_records",
        json!({"session": session, "query": {"text": "onboarding CHECKLIST", "label": "support"}, "after": null}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let titles: Vec<&str> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record"]["fields"]["title"].as_str().unwrap())
        .collect();
    assert!(!titles.is_empty());
    assert!(
        titles.iter().all(|t| t.starts_with("Onboarding checklist")),
        "{titles:?}"
    );
    assert_eq!(page["total"], titles.len());

    let (_, none) = call(
        &server,
        "search_records",
        json!({"session": session, "query": {"text": "zzz-nothing-like-this"}, "after": null}),
    )
    .await;
    assert_eq!(none["total"], 0);
    let (ada, _) = all_matching(&server, &session, json!({"assignee": "Ada"})).await;
    assert_eq!(ada.len(), SAMPLE_RECORDS / 3);
}

#[tokio::test]
async fn forty_five_records_land_in_the_viewport_in_three_bulk_calls_as_the_dry_run_said() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let session = opened_panel(&server).await;
    let (ids, _) = all_matching(&server, &session, json!({"label": "roadmap"})).await;
    let plan = ImportPlan::for_cards(ids.len());
    assert_eq!((plan.cards, plan.rest_calls, plan.credits), (45, 3, 4_500));

    server.clear_request_log().await;
    let mut added = Vec::new();
    for chunk in placements(&ids, VIEW).chunks(BULK_CHUNK) {
        let (status, answer) = call(
            &server,
            "add_cards",
            json!({"request": {"session": session, "cards": chunk}}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        assert!(outcomes(&answer).iter().all(|o| o == "Added"), "{answer}");
        for item in answer.as_array().unwrap() {
            added.push(
                item["outcome"]["Added"]["item_id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    let log = server.request_log().await;
    assert_eq!(bulk_calls(&log), vec![201, 201, 201], "{log:?}");
    // The sandbox's own count of the credits charged is what the plan said.
    assert_eq!(bulk_credits(&server).await, plan.credits);

    // On the board, inside the viewport, linked, and not written again.
    let access = server.access().await;
    let client = server.miro_client(Duration::from_secs(10));
    let cards = client
        .items(
            &access,
            &server.board(),
            ItemFilter {
                kind: Some("app_card".to_owned()),
                limit: Some(50),
            },
        )
        .collect_all()
        .await
        .unwrap();
    for id in &added {
        let card = cards
            .iter()
            .find(|c| &c.id == id)
            .expect("the card is on the board");
        let at = card.position.unwrap();
        let at = app::panel::Point { x: at.x, y: at.y };
        assert!(VIEW.holds_card(at), "{at:?}");
        let link = server
            .state
            .sync
            .store()
            .link(&server::store::CardKey::new(server.board(), id.as_str()))
            .await
            .unwrap();
        assert!(link.is_some_and(|l| l.record_id.is_some()));
    }
    server
        .state
        .sync
        .drain_until_empty(Duration::from_secs(5))
        .await
        .unwrap();
    let patched = server
        .request_log()
        .await
        .into_iter()
        .filter(|(method, path, _)| {
            method == "PATCH" && added.iter().any(|id| path.ends_with(id.as_str()))
        })
        .count();
    assert_eq!(patched, 0, "a new card is not written twice");
}

/// The credits the sandbox charged for bulk creates, by its request log.
async fn bulk_credits(server: &TestServer) -> u64 {
    server
        .request_entries()
        .await
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("/items/bulk"))
        .map(|r| r["credits"].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn a_refused_chunk_lands_nothing_the_others_land_and_it_lands_on_retry() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let session = opened_panel(&server).await;
    let (ids, _) = all_matching(&server, &session, json!({"label": "support"})).await;
    let cards = placements(&ids, VIEW);
    let (first, second) = cards.split_at(10);
    let add = |cards: Vec<Value>| {
        call(
            &server,
            "add_cards",
            json!({"request": {"session": session, "cards": cards}}),
        )
    };

    server.set_faults(json!({"rate_503": 1.0})).await;
    let (status, answer) = add(first.to_vec()).await;
    assert_eq!(status, 200, "{answer}");
    assert!(outcomes(&answer).iter().all(|o| o == "Failed"), "{answer}");
    assert_eq!(
        answer[0]["outcome"]["Failed"]["retryable"], true,
        "{answer}"
    );
    server.set_faults(json!({})).await;
    let (_, answer) = add(second.to_vec()).await;
    assert!(outcomes(&answer).iter().all(|o| o == "Added"), "{answer}");
    let linked = server
        .state
        .sync
        .store()
        .links_on_board(&server.board())
        .await
        .unwrap();
    let ours = |linked: &[server::store::CardLink]| {
        linked
            .iter()
            .filter(|l| l.record_id.as_ref().is_some_and(|r| ids.contains(r)))
            .count()
    };
    assert_eq!(
        ours(&linked),
        second.len(),
        "the failed chunk left nothing behind"
    );

    let (_, answer) = add(first.to_vec()).await;
    assert!(outcomes(&answer).iter().all(|o| o == "Added"), "{answer}");
    let linked = server
        .state
        .sync
        .store()
        .links_on_board(&server.board())
        .await
        .unwrap();
    assert_eq!(ours(&linked), ids.len());
}

#[tokio::test]
async fn a_record_is_created_with_its_card_and_invalid_fields_change_nothing() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let session = opened_panel(&server).await;
    let fields = json!({"title": "Plan the offsite", "description": "Dates and **budget**",
        "status": "", "assignee": "Ada", "due_date": "", "labels": ["team"], "custom": [], "preview": []});
    let (status, answer) = call(
        &server,
        "create_record",
        json!({"request": {"session": session, "fields": fields, "at": {"x": 100.0, "y": 200.0}}}),
    )
    .await;
    assert_eq!(status, 422, "an empty status is no status: {answer}");
    let mut fields = fields;
    let status_key = server.state.sync.template().default_status().key.clone();
    fields["status"] = json!(status_key);
    let links_before = server
        .state
        .sync
        .store()
        .links_on_board(&server.board())
        .await
        .unwrap()
        .len();
    let mut invalid = fields.clone();
    invalid["title"] = json!("");
    let (status, answer) = call(
        &server,
        "create_record",
        json!({"request": {"session": session, "fields": invalid, "at": {"x": 0.0, "y": 0.0}}}),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["Invalid"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "title"),
        "{answer}"
    );
    assert_eq!(
        server
            .state
            .sync
            .store()
            .links_on_board(&server.board())
            .await
            .unwrap()
            .len(),
        links_before
    );

    let (status, answer) = call(
        &server,
        "create_record",
        json!({"request": {"session": session, "fields": fields, "at": {"x": 100.0, "y": 200.0}}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let item_id = answer["item_id"].as_str().unwrap();
    let card = server
        .miro_client(Duration::from_secs(10))
        .app_card(&server.access().await, &server.board(), item_id)
        .await
        .unwrap();
    assert_eq!(card.data.title, "Plan the offsite");
    assert_eq!(card.position.map(|p| (p.x, p.y)), Some((100.0, 200.0)));
    let record_id = answer["record"]["id"].as_str().unwrap();
    let link = server
        .state
        .sync
        .store()
        .link(&server::store::CardKey::new(server.board(), item_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.record_id.as_deref(), Some(record_id));
}

#[tokio::test]
async fn a_new_record_keeps_no_tool_details_its_caller_sends() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let session = opened_panel(&server).await;
    let status_key = server.state.sync.template().default_status().key.clone();
    // A forged link: "acme/payroll#1 on GitHub ↗" to any address.
    let fields = json!({"title": "Innocent", "description": "", "status": status_key,
        "assignee": "", "due_date": "", "labels": [], "custom": [], "preview": [],
        "source": {"tool": "GitHub", "reference": "#1", "location": "acme/payroll",
                   "url": "https://evil.example/login"}});
    let (status, answer) = call(
        &server,
        "create_record",
        json!({"request": {"session": session, "fields": fields, "at": {"x": 0.0, "y": 0.0}}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let record = server
        .state
        .sync
        .store()
        .record(answer["record"]["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.connector, "builtin");
    assert!(
        record.snapshot.fields.source.is_empty(),
        "{:?}",
        record.snapshot.fields.source
    );
    assert!(
        answer["record"]["fields"].get("source").is_none(),
        "{answer}"
    );
    let card = server
        .miro_client(Duration::from_secs(10))
        .app_card(
            &server.access().await,
            &server.board(),
            answer["item_id"].as_str().unwrap(),
        )
        .await
        .unwrap();
    assert!(
        card.data
            .fields
            .iter()
            .all(|f| f.value.as_deref() != Some("#1")),
        "no reference chip: {:?}",
        card.data.fields
    );
}

#[tokio::test]
async fn failed_writes_show_in_the_health_and_retry_clears_them() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let session = opened_panel(&server).await;
    server
        .state
        .sync
        .drain_until_empty(Duration::from_secs(5))
        .await
        .unwrap();
    let (status, health) = call(&server, "board_health", json!({"session": session})).await;
    assert_eq!(status, 200, "{health}");
    let in_sync = health["in_sync"].as_u64().unwrap();
    assert!(in_sync > 0, "{health}");
    assert_eq!(health["failed"], json!([]));

    // Every card is written again, and Miro fails every write.
    server.set_faults(json!({"rate_500": 1.0})).await;
    let (status, health) = call(&server, "resync_board", json!({"session": session})).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["syncing"].as_u64().unwrap(), in_sync, "{health}");
    server.state.sync.drain_once().await.unwrap();
    let (_, health) = call(&server, "board_health", json!({"session": session})).await;
    let failed = health["failed"].as_array().unwrap();
    assert_eq!(failed.len() as u64, in_sync, "{health}");
    assert!(
        failed[0]["reason"].as_str().unwrap().contains("500")
            || failed[0]["reason"]
                .as_str()
                .unwrap()
                .contains("unavailable"),
        "{health}"
    );

    server.set_faults(json!({})).await;
    let (status, _) = call(&server, "retry_failed", json!({"session": session})).await;
    assert_eq!(status, 200);
    server
        .state
        .sync
        .drain_until_empty(Duration::from_secs(10))
        .await
        .unwrap();
    let (_, health) = call(&server, "board_health", json!({"session": session})).await;
    assert_eq!(health["failed"], json!([]), "{health}");
    assert_eq!(health["in_sync"].as_u64().unwrap(), in_sync, "{health}");
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_reason_and_change_nothing() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let session = opened_panel(&server).await;
    let (ids, _) = all_matching(&server, &session, json!({"label": "roadmap"})).await;
    let links = || async {
        server
            .state
            .sync
            .store()
            .links_on_board(&server.board())
            .await
            .unwrap()
            .len()
    };
    let before = links().await;
    let add = |cards: Value, session: &str| {
        call(
            &server,
            "add_cards",
            json!({"request": {"session": session, "cards": cards}}),
        )
    };

    let (status, body) = add(json!([]), &session).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["BadRequest"].as_str().unwrap().contains("Select"),
        "{body}"
    );
    let (status, _) = add(Value::Array(placements(&ids[..21], VIEW)), &session).await;
    assert_eq!(status, 400);
    let far = json!([{"record_id": ids[0], "at": {"x": 1e12, "y": 0.0}}]);
    assert_eq!(add(far, &session).await.0, 400);
    let twice = json!([{"record_id": ids[0], "at": {"x": 0.0, "y": 0.0}}, {"record_id": ids[0], "at": {"x": 400.0, "y": 0.0}}]);
    assert_eq!(add(twice, &session).await.0, 400);
    let (status, body) = add(
        Value::Array(placements(&ids[..1], VIEW)),
        "forged.session.token",
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = call(
        &server,
        "convert_sticky_notes",
        json!({"request": {"session": session, "sticky_note_ids": []}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = call(
        &server,
        "search_records",
        json!({"session": session, "query": {"text": "a\u{0}b"}, "after": null}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = call(
        &server,
        "search_records",
        json!({"session": session, "query": {"text": "x".repeat(201)}, "after": null}),
    )
    .await;
    assert_eq!(status, 400);
    // Not JSON, the wrong shape, too big: refused before the service.
    let response = server
        .client
        .post(format!("{}/api/panel/add_cards", server.base))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let (status, _) = call(&server, "add_cards", json!({"request": {"session": 5}})).await;
    assert_eq!(status, 422);
    let huge = "x".repeat(40 * 1024);
    let (status, _) = call(
        &server,
        "search_records",
        json!({"session": huge, "query": {}, "after": null}),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(links().await, before);
}

/// Puts a sticky note on the first board through REST; answers its id.
async fn sticky_note(server: &TestServer, text: &str, x: f64, y: f64) -> String {
    let path = format!(
        "/v2/boards/{}/sticky_notes",
        crate::support::sandbox::encode(&server.board())
    );
    let response = server
        .rest(reqwest::Method::POST, &path, &server.token().await)
        .json(&json!({"data": {"content": format!("<p>{text}</p>")}, "position": {"x": x, "y": y}}))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::support::sandbox::status_and_json(response).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn items_of(server: &TestServer, kind: &str) -> Vec<server::miro::Item> {
    server
        .miro_client(Duration::from_secs(10))
        .items(
            &server.access().await,
            &server.board(),
            ItemFilter {
                kind: Some(kind.to_owned()),
                limit: Some(50),
            },
        )
        .collect_all()
        .await
        .unwrap()
}

#[tokio::test]
async fn sticky_notes_become_records_in_place_and_a_failed_card_keeps_its_note() {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let session = opened_panel(&server).await;
    let mut notes = Vec::new();
    for (i, text) in ["Call the supplier", "Book the venue", "Order badges"]
        .iter()
        .enumerate()
    {
        notes.push(sticky_note(&server, text, 1_000.0 + 300.0 * i as f64, 500.0).await);
    }
    // Miro fails the second card.
    server
        .set_faults(json!({"script": [
            {"method": "POST", "path": "/v2/boards/{board_id}/app_cards", "nth": 2, "status": 500}
        ]}))
        .await;
    let convert = |ids: Vec<String>| {
        call(
            &server,
            "convert_sticky_notes",
            json!({"request": {"session": session, "sticky_note_ids": ids}}),
        )
    };
    let (status, answer) = convert(notes.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(outcomes(&answer), ["Added", "Failed", "Added"], "{answer}");
    assert_eq!(
        answer[1]["outcome"]["Failed"]["retryable"], true,
        "{answer}"
    );

    // No note is lost: the second is still there, the others are cards
    // where they were, each linked to a record with the note's text.
    let left: Vec<String> = items_of(&server, "sticky_note")
        .await
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(left, vec![notes[1].clone()]);
    let cards = items_of(&server, "app_card").await;
    for (i, text) in [(0, "Call the supplier"), (2, "Order badges")] {
        let item_id = answer[i]["outcome"]["Added"]["item_id"].as_str().unwrap();
        let card = cards.iter().find(|c| c.id == item_id).expect("the card");
        let at = card.position.unwrap();
        assert_eq!((at.x, at.y), (1_000.0 + 300.0 * i as f64, 500.0));
        let link = server
            .state
            .sync
            .store()
            .link(&server::store::CardKey::new(server.board(), item_id))
            .await
            .unwrap()
            .unwrap();
        let record = server
            .state
            .sync
            .store()
            .record(link.record_id.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.snapshot.fields.title, text);
    }
    let (_, none) = call(
        &server,
        "search_records",
        json!({"session": session, "query": {"text": "Book the venue"}, "after": null}),
    )
    .await;
    assert_eq!(none["total"], 0, "no record without its card");

    // Sent again, the second converts too.
    server.set_faults(json!({})).await;
    let (_, answer) = convert(vec![notes[1].clone()]).await;
    assert_eq!(outcomes(&answer), ["Added"], "{answer}");
    assert!(items_of(&server, "sticky_note").await.is_empty());

    // An item that is no sticky note is left alone, with a reason.
    let cards = items_of(&server, "app_card").await;
    let (status, answer) = convert(vec![cards[0].id.clone()]).await;
    assert_eq!(status, 200);
    assert!(
        answer[0]["outcome"]["Failed"]["reason"]
            .as_str()
            .unwrap()
            .contains("not a sticky note"),
        "{answer}"
    );
    assert_eq!(items_of(&server, "app_card").await.len(), cards.len());
}
