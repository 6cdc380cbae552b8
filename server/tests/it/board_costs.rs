//! What the panel's board-wide work costs at Miro, counted by the sandbox
//! over HTTP: a storm of "Re-sync this board" on a board of 300 linked
//! cards, as fast as the panel allows, with the outbox worker running,
//! spends a few per cent of the user's minute budget, reads no card twice,
//! and queues no check twice.

use std::time::{Duration, Instant};

use app::panel::{
    layout::{grid, Viewport},
    plan::BULK_CHUNK,
    RecordQuery,
};
use serde_json::{json, Value};
use server::{
    rate_limit::MIRO_CREDITS_PER_MINUTE,
    store::{CardKey, Store as _},
};

use crate::support::{
    panel::{call, opened_panel},
    sandbox::{encode, render_lock, TestServer},
};

const VIEW: Viewport = Viewport {
    x: -20_000.0,
    y: 20_000.0,
    width: 40_000.0,
    height: 30_000.0,
};
/// Linked cards on the board besides the seeded ones.
const CARDS: usize = 300;
/// How long the storm lasts.
const STORM: Duration = Duration::from_secs(15);

/// `CARDS` new cards on the first board, through the panel's bulk add
/// (each of the sample records several times).
async fn add_cards(server: &TestServer, session: &str) -> Vec<CardKey> {
    let store = server.state.sync.store();
    let records = store
        .find_records(
            &[server::teams::team_scope(&server.str("team_id"))],
            &RecordQuery::default(),
            None,
            100,
        )
        .await
        .unwrap()
        .records;
    let at = grid(CARDS, VIEW);
    let mut added = Vec::new();
    let placements: Vec<Value> = (0..CARDS)
        .map(|n| {
            let record = &records[n % records.len()].snapshot.id;
            json!({"record_id": record, "at": {"x": at[n].x, "y": at[n].y}})
        })
        .collect();
    for chunk in placements.chunks(BULK_CHUNK) {
        let (status, answer) = call(
            server,
            "add_cards",
            json!({"request": {"session": session, "cards": chunk}}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        for item in answer.as_array().unwrap() {
            let id = item["outcome"]["Added"]["item_id"]
                .as_str()
                .unwrap_or_else(|| panic!("{item}"));
            added.push(CardKey::new(server.board(), id));
        }
    }
    added
}

/// The sandbox's GETs of one app card on the first board.
fn reads_of<'a>(log: &'a [Value], server: &TestServer) -> impl Iterator<Item = &'a str> + 'a {
    let prefix = format!("/v2/boards/{}/app_cards/", encode(&server.board()));
    log.iter()
        .filter(|r| r["method"] == "GET")
        .filter_map(move |r| r["path"].as_str()?.split_once(prefix.as_str()))
        .map(|(_, item)| item)
}

#[tokio::test]
async fn a_resync_storm_on_a_big_board_spends_a_few_per_cent_of_the_budget_and_reads_each_card_once(
) {
    let _one_renderer = render_lock().await;
    let server = TestServer::start().await;
    let session = opened_panel(&server).await;
    add_cards(&server, &session).await;
    let store = crate::support::store_of(&server.state).await;
    server
        .state
        .sync
        .drain_until_empty(Duration::from_secs(10))
        .await
        .unwrap();
    let linked = store.links_on_board(&server.board()).await.unwrap().len();
    assert!(linked >= CARDS, "{linked} linked");
    let worker = tokio::spawn(server.state.sync.clone().run_worker());
    server.clear_request_log().await;

    // As fast as the panel answers, for a while.
    let started = Instant::now();
    let (mut served, mut refused) = (0, 0);
    while started.elapsed() < STORM {
        let response = server
            .client
            .post(format!("{}/api/panel/resync_board", server.base))
            .json(&json!({"session": session}))
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => served += 1,
            429 => {
                assert!(response.headers().contains_key("retry-after"));
                refused += 1;
            }
            other => panic!("{other}: {}", response.text().await.unwrap()),
        }
    }
    let log = server.request_entries().await;
    worker.abort();

    // The first re-sync was taken; the rest waited for it to be paid for.
    assert!(
        served >= 1 && refused > 100,
        "{served} served, {refused} refused"
    );
    let credits: u64 = log.iter().map(|r| r["credits"].as_u64().unwrap()).sum();
    let few_per_cent = u64::from(MIRO_CREDITS_PER_MINUTE) / 20;
    assert!(
        credits <= few_per_cent,
        "{credits} credits in {STORM:?} ({} requests)",
        log.len()
    );
    // Each card read at most once, and some of them read: the checks run,
    // paced, rather than all at once or never.
    let mut reads: Vec<&str> = reads_of(&log, &server).collect();
    let read = reads.len();
    reads.sort_unstable();
    reads.dedup();
    assert_eq!(reads.len(), read, "a card read twice");
    assert!(read > 0 && read < linked, "{read} of {linked} cards read");
    // No card has more than one check queued; the ones not read yet still
    // have theirs, due later.
    let mut waiting = 0;
    for link in store.links_on_board(&server.board()).await.unwrap() {
        let writes = store.pending_writes(&link.card).await.unwrap();
        assert!(writes.len() <= 1, "{:?}: {writes:?}", link.card);
        waiting += writes.len();
    }
    assert!(waiting > 0, "the rest is paced, not dropped");
    assert!(waiting + read >= linked, "{waiting} waiting, {read} read");
    assert_eq!(store.pending_count().await.unwrap() as usize, waiting);
}
