//! Killing the process that drains the outbox, mid-drain, loses nothing:
//! a second run finishes the job, and no card is written more than once
//! beyond the writes that were in flight at the kill.
//!
//! The sandbox runs in this test's process; the drain runs in a child
//! process (`server sync`) pointed at it as at Miro, so the kill is a real
//! SIGKILL of a process holding the SQLite file.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::support::sync::{fields, SyncHarness};
use serde_json::json;
use server::store::{RecordSave, Store};

fn drain_process(h: &SyncHarness) -> Child {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["sync", "--for", "60"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_OUTPUT_NAME", "miro-cards")
        .env("MIRO_CLIENT_ID", h.server.str("client_id"))
        .env("MIRO_CLIENT_SECRET", h.server.str("client_secret"))
        .env("MIRO_ALLOWED_TEAMS", h.server.str("team_id"))
        .env("MIRO_API_BASE", h.server.rest_base())
        .env("DATABASE_URL", h.database_url())
        .env("APP_SECRET_KEY", h.key.to_base64())
        // The killed drain's card leases end soon, so the next takes over.
        .env("WRITE_LEASE_SECONDS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server binary starts")
}

async fn successful_patches(h: &SyncHarness) -> usize {
    h.server
        .request_log()
        .await
        .iter()
        .filter(|(method, path, status)| {
            method == "PATCH" && path.contains("/app_cards/") && *status == 200
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_drain_midway_and_restarting_loses_nothing() {
    let h = SyncHarness::start().await;
    let board = h.boards()[0].clone();
    let mut records = Vec::new();
    for i in 0..24 {
        records.push(
            h.record_on(&format!("Crash {i}"), std::slice::from_ref(&board))
                .await,
        );
    }
    h.drain().await;
    for (record, _) in &records {
        h.engine
            .save(RecordSave {
                source_base: None,
                record_id: &record.snapshot.id,
                base_version: 1,
                fields: &fields(&format!("{} saved", record.snapshot.fields.title)),
                origin: "miro",
                actor: "tester",
            })
            .await
            .unwrap();
    }
    assert_eq!(h.store.pending_count().await.unwrap(), 24);
    h.store.close().await;
    h.server.clear_request_log().await;
    // Slow Miro down so the kill lands mid-drain.
    h.server.set_faults(json!({ "latency_ms": 150 })).await;

    let mut first = drain_process(&h);
    let started = Instant::now();
    while successful_patches(&h).await < 6 {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the drain ended before the kill"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the drain made no progress"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let at_kill = successful_patches(&h).await;

    let reopened = server::store::SqlStore::open(&h.database_url(), h.key.clone())
        .await
        .unwrap();
    let left = reopened.pending_count().await.unwrap();
    eprintln!("killed after {at_kill} writes; {left} of 24 left");
    assert!(
        left > 0 && left < 24,
        "killed mid-drain: {left} of 24 writes left"
    );
    reopened.close().await;

    h.server.set_faults(json!({})).await;
    let second = drain_process(&h).wait_with_output().unwrap();
    assert!(
        second.status.success(),
        "the second drain finished: {}",
        String::from_utf8_lossy(&second.stdout)
    );

    for (record, cards) in &records {
        assert_eq!(
            h.card(&cards[0]).await.data.title,
            format!("{} saved", record.snapshot.fields.title),
            "no write was lost"
        );
    }
    let total = successful_patches(&h).await;
    assert!(
        total <= 24 + 4,
        "at most the writes in flight at the kill were repeated: {total} PATCHes for 24 cards \
         ({at_kill} before the kill)"
    );
    for (_, cards) in &records {
        assert!(
            h.patches(&cards[0]).await <= 2,
            "no card was written more than twice"
        );
    }
}
