//! The sync engine against the sandbox over HTTP and a real SQLite file:
//! saves reach every linked card, stale saves are refused, faults delay
//! writes but lose none, duplicates and echoes are not sent, deleted cards
//! unlink themselves and deleted sources disable their cards.

use std::time::Duration;

use crate::support::sync::{fields, lease_taken_within_2s, template, SyncHarness};
use app::cards::{render_card, CardStatus};
use serde_json::json;
use server::{
    miro::AppCardStatus,
    store::{RecordSave, Store, StoreError},
    sync::{card, SyncError},
};

/// Saves `title` over version `base` through the engine.
async fn save_title(
    h: &SyncHarness,
    record_id: &str,
    base: i64,
    title: &str,
) -> server::store::Saved {
    h.engine
        .save(RecordSave {
            source_base: None,
            record_id,
            base_version: base,
            fields: &fields(title),
            origin: "miro",
            actor: "tester",
        })
        .await
        .unwrap()
}

/// The same straight into the store (no worker wake-up).
async fn store_title(h: &SyncHarness, record_id: &str, base: i64, title: &str) {
    h.store
        .save_record(RecordSave {
            source_base: None,
            record_id,
            base_version: base,
            fields: &fields(title),
            origin: "miro",
            actor: "tester",
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_save_reaches_every_linked_card_on_every_board() {
    let h = SyncHarness::start().await;
    let boards = h.boards();
    let both = vec![boards[0].clone(), boards[1].clone(), boards[1].clone()];
    let (record, cards) = h.record_on("Shared record", &both).await;
    h.drain().await;

    let mut changed = fields("Renamed everywhere");
    changed.labels = vec!["ops".to_owned()];
    changed.assignee = "alex".to_owned();
    let saved = h
        .engine
        .save(RecordSave {
            source_base: None,
            record_id: &record.snapshot.id,
            base_version: 1,
            fields: &changed,
            origin: "miro",
            actor: "tester",
        })
        .await
        .unwrap();
    assert_eq!(saved.record.version, 2);
    assert_eq!(saved.cards.len(), 3, "one outbox row per linked card");
    h.drain().await;

    let expected = render_card(&changed, CardStatus::Connected, &template());
    for key in &cards {
        let card = h.card(key).await;
        assert_eq!(card.data.title, "Renamed everywhere");
        assert_eq!(card.data.status, Some(AppCardStatus::Connected));
        assert!(
            !card::drifted(&card, &expected),
            "card {} shows the record's rendering",
            key.item_id
        );
    }
    let log = h.store.recent_log(50).await.unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "save" && e.result == "version 2"));
}

#[tokio::test]
async fn a_stale_save_is_refused_with_both_versions_and_changes_nothing() {
    let h = SyncHarness::start().await;
    let (record, cards) = h.record_on("Contended", &h.boards()[..1]).await;
    h.drain().await;
    let theirs = fields("Theirs");
    h.engine
        .save(RecordSave {
            source_base: None,
            record_id: &record.snapshot.id,
            base_version: 1,
            fields: &theirs,
            origin: "miro",
            actor: "first",
        })
        .await
        .unwrap();
    h.drain().await;
    let patches_before = h.patches(&cards[0]).await;

    let ours = fields("Ours");
    let refused = h
        .engine
        .save(RecordSave {
            source_base: None,
            record_id: &record.snapshot.id,
            base_version: 1,
            fields: &ours,
            origin: "miro",
            actor: "second",
        })
        .await;
    let Err(SyncError::Store(StoreError::Conflict { current })) = refused else {
        panic!("expected a conflict, got {refused:?}");
    };
    assert_eq!(current.version, 2);
    assert_eq!(current.fields, theirs, "the conflict carries their version");
    assert_eq!(
        h.store
            .record_version(&record.snapshot.id, 1)
            .await
            .unwrap(),
        Some(fields("Contended")),
        "the version the loser started from is kept"
    );
    let stored = h.store.record(&record.snapshot.id).await.unwrap().unwrap();
    assert_eq!(stored.snapshot.fields, theirs, "nothing was overwritten");
    assert_eq!(h.store.pending_count().await.unwrap(), 0, "nothing queued");
    h.drain().await;
    assert_eq!(h.patches(&cards[0]).await, patches_before);
    assert_eq!(h.card(&cards[0]).await.data.title, "Theirs");
}

#[tokio::test]
async fn with_thirty_percent_of_requests_failing_every_write_lands_once_faults_stop() {
    let h = SyncHarness::start().await;
    let board = h.boards()[0].clone();
    let mut records = Vec::new();
    for i in 0..8 {
        records.push(
            h.record_on(&format!("Faulty {i}"), std::slice::from_ref(&board))
                .await,
        );
    }
    h.drain().await;
    h.server
        .set_faults(json!({
            "rate_429": 0.1, "rate_500": 0.05, "rate_503": 0.05,
            "drop_before": 0.05, "drop_after": 0.05, "seed": 11
        }))
        .await;
    for (record, _) in &records {
        for version in 1..=3 {
            h.engine
                .save(RecordSave {
                    source_base: None,
                    record_id: &record.snapshot.id,
                    base_version: version,
                    fields: &fields(&format!(
                        "{} v{}",
                        record.snapshot.fields.title,
                        version + 1
                    )),
                    origin: "miro",
                    actor: "tester",
                })
                .await
                .unwrap();
        }
    }
    // Work under faults for a while: some writes land, some wait.
    let _ = h
        .engine
        .drain_until_empty(Duration::from_secs(3))
        .await
        .unwrap();
    let log = h.server.request_log().await;
    let failed = log.iter().filter(|(_, _, status)| *status >= 429).count();
    assert!(
        failed > 0,
        "the faults were felt: {failed} of {} requests failed",
        log.len()
    );
    h.server.set_faults(json!({})).await;
    h.drain().await;
    for (record, cards) in &records {
        let card = h.card(&cards[0]).await;
        assert_eq!(
            card.data.title,
            format!("{} v4", record.snapshot.fields.title),
            "the newest version reached the card"
        );
    }
}

#[tokio::test]
async fn duplicate_and_echo_writes_are_not_sent() {
    let h = SyncHarness::start().await;
    let (record, cards) = h.record_on("Echo", &h.boards()[..1]).await;
    h.drain().await;
    assert_eq!(
        h.patches(&cards[0]).await,
        1,
        "linking writes the card once"
    );

    // Three saves before the worker runs collapse into one write.
    for version in 1..=3 {
        save_title(
            &h,
            &record.snapshot.id,
            version,
            &format!("Echo v{}", version + 1),
        )
        .await;
    }
    h.drain().await;
    assert_eq!(h.patches(&cards[0]).await, 2, "three saves, one write");
    assert_eq!(h.card(&cards[0]).await.data.title, "Echo v4");

    // Saving the same fields again is not a new version and sends nothing.
    let same = save_title(&h, &record.snapshot.id, 4, "Echo v4").await;
    assert_eq!(same.record.version, 4);
    assert!(same.cards.is_empty());

    // The source reporting our own change back is an echo.
    let echo = h
        .engine
        .apply_source_change(&record.snapshot.id, &fields("Echo v4"), "builtin")
        .await
        .unwrap();
    assert_eq!(echo.record.version, 4);

    // A queued rewrite of unchanged content (e.g. a retry after a crash
    // that already landed) is skipped by its hash.
    store_title(&h, &record.snapshot.id, 4, "Echo v5").await;
    h.drain().await;
    store_title(&h, &record.snapshot.id, 5, "Echo v4").await;
    store_title(&h, &record.snapshot.id, 6, "Echo v5").await;
    h.drain().await;
    assert_eq!(
        h.patches(&cards[0]).await,
        3,
        "v5 written once; v6 and v7 end where the card already is"
    );
    let log = h.store.recent_log(20).await.unwrap();
    assert!(log.iter().any(|e| e.result == "unchanged"));
    assert!(log.iter().any(|e| e.result == "echo skipped"));
}

#[tokio::test]
async fn a_card_deleted_on_the_board_is_unlinked_and_its_record_kept() {
    let h = SyncHarness::start().await;
    let board = h.boards()[0].clone();
    let (record, cards) = h.record_on("Doomed", &[board.clone(), board.clone()]).await;
    h.drain().await;

    // Found by reconciliation.
    h.reader()
        .delete_app_card(&h.access, &board, &cards[0].item_id)
        .await
        .unwrap();
    let report = h
        .engine
        .reconcile_board(&board, &h.owner, 10_000)
        .await
        .unwrap();
    assert_eq!(report.unlinked, 1);
    assert!(h.store.link(&cards[0]).await.unwrap().is_none());

    // Found by a 404 on write.
    h.reader()
        .delete_app_card(&h.access, &board, &cards[1].item_id)
        .await
        .unwrap();
    save_title(&h, &record.snapshot.id, 1, "Doomed v2").await;
    h.drain().await;
    assert!(h.store.link(&cards[1]).await.unwrap().is_none());
    let kept = h.store.record(&record.snapshot.id).await.unwrap().unwrap();
    assert_eq!(kept.snapshot.fields.title, "Doomed v2", "the record stays");
}

#[tokio::test]
async fn reconciliation_rewrites_drifted_cards_and_respects_its_budget() {
    let h = SyncHarness::start().await;
    let board = h.boards()[0].clone();
    let (_, cards) = h.record_on("Steady", std::slice::from_ref(&board)).await;
    h.drain().await;
    h.reader()
        .update_app_card(
            &h.access,
            &board,
            &cards[0].item_id,
            &crate::support::sandbox::titled("Edited elsewhere"),
        )
        .await
        .unwrap();

    // A budget too small for one page: nothing is concluded.
    let starved = h
        .engine
        .reconcile_board(&board, &h.owner, 50)
        .await
        .unwrap();
    assert!(starved.incomplete);
    assert_eq!((starved.unlinked, starved.rewritten), (0, 0));

    let report = h
        .engine
        .reconcile_board(&board, &h.owner, 10_000)
        .await
        .unwrap();
    assert_eq!(report.rewritten, 1);
    h.drain().await;
    assert_eq!(h.card(&cards[0]).await.data.title, "Steady");
    let again = h
        .engine
        .reconcile_board(&board, &h.owner, 10_000)
        .await
        .unwrap();
    assert_eq!(again.rewritten, 0, "nothing drifts after the rewrite");
}

#[tokio::test]
async fn a_deleted_source_disables_its_cards_and_a_restored_one_reconnects_them() {
    use server::sync::connector::{BuiltinConnector, Connector};
    let h = SyncHarness::start().await;
    let builtin = BuiltinConnector::new(h.engine.clone(), &h.server.str("team_id"));
    let item = builtin.create(&fields("Sourced"), "tester").await.unwrap();
    let record = h
        .store
        .record_by_external("builtin", &item.external_id)
        .await
        .unwrap()
        .unwrap();
    let card_key = h.new_card(&h.boards()[0]).await;
    h.engine
        .link(&card_key, &record.snapshot.id, &h.owner, "tester")
        .await
        .unwrap();
    h.drain().await;
    assert_eq!(
        h.card(&card_key).await.data.status,
        Some(AppCardStatus::Connected)
    );

    builtin.delete(&item.external_id, "tester").await.unwrap();
    h.drain().await;
    assert_eq!(
        h.card(&card_key).await.data.status,
        Some(AppCardStatus::Disabled)
    );
    assert_eq!(
        h.store.link(&card_key).await.unwrap().unwrap().status,
        CardStatus::Disabled
    );

    h.engine
        .set_source_deleted(&record.snapshot.id, false, "builtin")
        .await
        .unwrap();
    h.drain().await;
    assert_eq!(
        h.card(&card_key).await.data.status,
        Some(AppCardStatus::Connected)
    );

    // Disconnecting leaves the card on the board, marked disconnected.
    h.engine.disconnect(&card_key).await.unwrap();
    h.drain().await;
    let card = h.card(&card_key).await;
    assert_eq!(card.data.status, Some(AppCardStatus::Disconnected));
    assert_eq!(card.data.title, "Sourced", "its last content stays");
}

#[tokio::test]
async fn the_built_in_connector_passes_the_conformance_suite() {
    let h = SyncHarness::start().await;
    let builtin =
        server::sync::connector::BuiltinConnector::new(h.engine.clone(), &h.server.str("team_id"));
    server::sync::connector::conformance::run(&builtin, "builtin-suite").await;
}

#[tokio::test]
async fn tokens_are_not_readable_in_the_database_file() {
    let h = SyncHarness::start().await;
    let stored = h.store.load_tokens(&h.owner).await.unwrap().unwrap();
    let access = stored.access_token.expose().to_owned();
    let refresh = stored.refresh_token.as_ref().unwrap().expose().to_owned();
    assert!(access.len() >= 16 && refresh.len() >= 16);
    h.store.close().await;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(h.folder.path()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("app.db")
        {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(bytes.len() > 4096, "the database file was read");
    for secret in [&access, &refresh] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "a token is readable in the database file"
        );
    }
    // And the file does hold the installation: with the key it opens.
    let reopened = server::store::SqlStore::open(&h.database_url(), h.key.clone())
        .await
        .unwrap();
    let again = reopened.load_tokens(&h.owner).await.unwrap().unwrap();
    assert_eq!(again.access_token.expose(), access);
    let wrong_key =
        server::store::SqlStore::open(&h.database_url(), server::store::SecretKey::generate())
            .await
            .unwrap();
    assert!(
        wrong_key.load_tokens(&h.owner).await.is_err(),
        "another key opens nothing"
    );
}

#[tokio::test]
async fn a_push_with_a_deadline_leaves_the_card_to_a_write_under_way() {
    let h = SyncHarness::start().await;
    let (record, cards) = h.record_on("Busy", &h.boards()[..1]).await;
    h.drain().await;
    save_title(&h, &record.snapshot.id, 1, "Busy v2").await;
    h.server.set_faults(json!({ "latency_ms": 1500 })).await;

    // The worker's write is slow; a save's push must not wait for it.
    let worker = {
        let engine = h.engine.clone();
        let card = cards[0].clone();
        tokio::spawn(async move { engine.push(&card, None).await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let outcome = h
        .engine
        .push(&cards[0], Some(Duration::from_millis(300)))
        .await
        .unwrap();
    assert!(
        matches!(outcome, server::sync::PushOutcome::Deferred { .. }),
        "{outcome:?}"
    );
    // The deadline held: the push came back while the slow write it
    // deferred to was still waiting for Miro's answer.
    assert!(
        !worker.is_finished(),
        "the push waited for the worker's write"
    );
    assert_eq!(worker.await.unwrap(), server::sync::PushOutcome::Written);
    h.server.set_faults(json!({})).await;
    assert_eq!(h.card(&cards[0]).await.data.title, "Busy v2");
    assert_eq!(
        h.patches(&cards[0]).await,
        2,
        "linking, then one write of v2"
    );
}

#[tokio::test]
async fn a_save_that_stops_waiting_lets_its_write_finish_and_frees_the_card() {
    let h = SyncHarness::start().await;
    let (record, cards) = h.record_on("Slow", &h.boards()[..1]).await;
    h.drain().await;
    save_title(&h, &record.snapshot.id, 1, "Slow v2").await;
    h.server.set_faults(json!({ "latency_ms": 800 })).await;

    // The save stops waiting after 100 ms; its PATCH is not dropped.
    let outcome = h
        .engine
        .push(&cards[0], Some(Duration::from_millis(100)))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        server::sync::PushOutcome::Deferred {
            retry_at: match outcome {
                server::sync::PushOutcome::Deferred { retry_at, .. } => retry_at,
                _ => 0,
            },
            reason: server::sync::STILL_WRITING.to_owned(),
        }
    );
    // With no worker running, the write lands and settles its outbox row,
    // and the card's lease is given back (not kept for a write that might
    // still land).
    let store = &h.store;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !store.pending_writes(&cards[0]).await.unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the write never settled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h.server.set_faults(json!({})).await;
    assert_eq!(h.card(&cards[0]).await.data.title, "Slow v2");
    assert!(
        lease_taken_within_2s(store, &cards[0], "another process").await,
        "the write's lease was given back"
    );
    assert_eq!(
        h.patches(&cards[0]).await,
        2,
        "linking, then one write of v2"
    );
}

#[tokio::test]
async fn a_save_during_the_check_before_a_write_does_not_resend_what_the_card_shows() {
    let h = SyncHarness::start().await;
    let (record, cards) = h.record_on("Checked", &h.boards()[..1]).await;
    h.drain().await;
    let card = &cards[0];
    // v2 reaches the card, but its outcome was not recorded: the next push
    // reads the card before writing.
    store_title(&h, &record.snapshot.id, 1, "Checked v2").await;
    h.drain().await;
    let store = &h.store;
    store.enqueue_write(card, "test").await.unwrap();
    let upto = store.pending_writes(card).await.unwrap().last().unwrap().id;
    store.mark_in_flight(card, upto).await.unwrap();
    let patches_before = h.patches(card).await;

    // While that read is on its way, the user saves v3.
    h.server.set_faults(json!({ "latency_ms": 600 })).await;
    let push = {
        let (engine, card) = (h.engine.clone(), card.clone());
        tokio::spawn(async move { engine.push(&card, None).await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    store_title(&h, &record.snapshot.id, 2, "Checked v3").await;
    // The card shows what this push would write: nothing is sent, and v3
    // is left to the next push.
    assert_eq!(push.await.unwrap(), server::sync::PushOutcome::Unchanged);
    assert_eq!(h.patches(card).await, patches_before, "v2 sent again");
    h.server.set_faults(json!({})).await;
    h.drain().await;
    assert_eq!(h.card(card).await.data.title, "Checked v3");
    assert_eq!(h.patches(card).await, patches_before + 1);
}
