//! Item 2, saving: 50 cards put on a board through the panel, each opened
//! in the detail view, then saves at a steady 300 a second, round-robin
//! over the cards, each against the version the card's last save answered.
//! What our server adds is each save's time as its client saw it minus the
//! time the sandbox itself took for the card's PATCH (from the sandbox's
//! request log, which notes when each request arrived and how long it
//! took). Afterwards every acknowledged title must be in its record's
//! history, and each card on the board must show its newest title.

use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{bail, Context as _};
use app::detail::{BoardSync, CardViewData, SaveOutcome};
use serde_json::{json, Value};
use server::store::Store as _;

use crate::{
    fleet::Fleet,
    report::{quantile, Report},
};

const CARDS: usize = 50;
const PER_SECOND: f64 = 300.0;

/// One acknowledged save.
struct Save {
    item_id: String,
    title: String,
    started_us: u64,
    ended_us: u64,
    synced: bool,
}

fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Puts `records` on `board` through the panel, 20 per call; the new
/// cards' item ids.
pub async fn add_cards(
    fleet: &Fleet,
    board: &str,
    records: &[String],
) -> anyhow::Result<Vec<String>> {
    let session = fleet.panel_session(board).await?;
    let mut items = Vec::new();
    for (chunk_index, chunk) in records.chunks(20).enumerate() {
        let cards: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| json!({"record_id": id, "at": {"x": (i * 320) as f64, "y": (chunk_index * 200) as f64}}))
            .collect();
        let answer: Value = fleet
            .http
            .post(format!("{}/api/panel/add_cards", fleet.app_url()))
            .json(&json!({"request": {"session": session, "cards": cards}}))
            .send()
            .await?
            .json()
            .await?;
        for result in answer
            .as_array()
            .with_context(|| format!("add_cards: {answer}"))?
        {
            let id = result["outcome"]["Added"]["item_id"].as_str();
            items.push(
                id.with_context(|| format!("a card was not added: {result}"))?
                    .to_owned(),
            );
        }
    }
    Ok(items)
}

/// One card's saves, each at its slot in the steady schedule.
async fn saver(
    fleet: Arc<Fleet>,
    mut view: CardViewData,
    slot: usize,
    start: Instant,
    until: Instant,
) -> anyhow::Result<(Vec<Save>, usize)> {
    let mut saves = Vec::new();
    let mut late = 0;
    for round in 0.. {
        let at = start + Duration::from_secs_f64((slot + round * CARDS) as f64 / PER_SECOND);
        if at >= until {
            break;
        }
        if Instant::now() > at + Duration::from_millis(5) {
            late += 1;
        }
        tokio::time::sleep_until(at.into()).await;
        let title = format!("bench save {} of card {slot}", round + 1);
        let started_us = unix_us();
        let answer = fleet.save_title(&view, &title).await?;
        let status = answer.status();
        let text = answer.text().await?;
        let ended_us = unix_us();
        if !status.is_success() {
            bail!("a save answered {status}: {text}");
        }
        let outcome: SaveOutcome = serde_json::from_str(&text)?;
        saves.push(Save {
            item_id: view.item_id.clone(),
            title,
            started_us,
            ended_us,
            synced: outcome.board == BoardSync::Synced,
        });
        view.record = outcome.record;
    }
    Ok((saves, late))
}

pub async fn run(
    fleet: Arc<Fleet>,
    board: &str,
    records: &[String],
    seconds: u64,
    report: &mut Report,
) -> anyhow::Result<()> {
    // Miro's budget would allow 16 PATCHes a second; this measures the
    // app, so the sandbox's budget is lifted.
    fleet.set_rate_limit(1_000_000_000, 60).await?;
    let items = add_cards(&fleet, board, &records[..CARDS]).await?;
    let token = fleet.id_token(board).await?;
    let mut views = Vec::new();
    for item in &items {
        views.push(fleet.open_view(&token, board, item).await?);
    }
    fleet.take_requests().await?;
    let start = Instant::now() + Duration::from_millis(200);
    let until = start + Duration::from_secs(seconds);
    let workers: Vec<_> = views
        .into_iter()
        .enumerate()
        .map(|(slot, view)| tokio::spawn(saver(fleet.clone(), view, slot, start, until)))
        .collect();
    let (mut saves, mut late) = (Vec::new(), 0);
    for worker in workers {
        let (done, behind) = worker.await??;
        saves.extend(done);
        late += behind;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let log = fleet.take_requests().await?;
    let patches: Vec<&Value> = log.iter().filter(|r| r["method"] == "PATCH").collect();

    let mut added = Vec::new();
    for save in &saves {
        let miro_us: u64 = patches
            .iter()
            .filter(|r| {
                r["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(&save.item_id))
            })
            .filter(|r| {
                r["received_us"]
                    .as_u64()
                    .is_some_and(|t| t >= save.started_us && t <= save.ended_us)
            })
            .filter_map(|r| r["micros"].as_u64())
            .sum();
        let total_us = save.ended_us - save.started_us;
        added.push(total_us.saturating_sub(miro_us) as f64 / 1000.0);
    }
    added.sort_by(f64::total_cmp);
    let flush = disk_flush_ms(&fleet.folder)?;
    let rate = saves.len() as f64 / elapsed;
    let unsynced = saves.iter().filter(|s| !s.synced).count();
    report.info("2", "saves acknowledged, steady over 50 cards", rate, "/s");
    report.note(format!(
        "{} saves in {elapsed:.1} s; {late} started late; {unsynced} answered `syncing`",
        saves.len()
    ));
    report.at_most(
        "2",
        "save: time our server adds around the PATCH, p50",
        quantile(&added, 0.5),
        "ms",
        1.0,
    );
    report.at_most(
        "2",
        "save: time our server adds around the PATCH, p99",
        quantile(&added, 0.99),
        "ms",
        5.0,
    );
    // The floor under a save: its commit waits for the disk (SQLite's
    // `synchronous = FULL`), whatever the app does around it.
    report.info(
        "2",
        "  the disk's flush (4 KiB write + fdatasync), p50",
        quantile(&flush, 0.5),
        "ms",
    );
    report.info(
        "2",
        "  the disk's flush (4 KiB write + fdatasync), p99",
        quantile(&flush, 0.99),
        "ms",
    );
    let lost = lost(&fleet, board, &saves).await?;
    report.at_most(
        "2",
        "saves lost (not in history, or not on the board)",
        lost as f64,
        "",
        0.0,
    );
    Ok(())
}

/// How long the disk takes to make a small write durable, sorted: 200
/// times a 4 KiB write and `fdatasync`, in the folder the database is in
/// (a durable save's commit does the same to SQLite's WAL).
fn disk_flush_ms(folder: &std::path::Path) -> anyhow::Result<Vec<f64>> {
    use std::io::Write as _;
    let path = folder.join("flush-probe");
    let mut file = std::fs::File::create(&path)?;
    let page = [0u8; 4096];
    let mut times = Vec::with_capacity(200);
    for _ in 0..200 {
        let started = Instant::now();
        file.write_all(&page)?;
        file.sync_data()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    std::fs::remove_file(&path)?;
    times.sort_by(f64::total_cmp);
    Ok(times)
}

/// Acknowledged saves that are not in their record's history, plus cards
/// whose board title is not their last acknowledged one (after waiting for
/// the outbox to drain).
async fn lost(fleet: &Fleet, board: &str, saves: &[Save]) -> anyhow::Result<usize> {
    let store = crate::store(fleet).await?;
    let mut missing = 0;
    let mut last: std::collections::BTreeMap<&str, &str> = Default::default();
    for save in saves {
        last.insert(&save.item_id, &save.title);
    }
    for item in last.keys() {
        let card = server::store::CardKey::new(board, *item);
        let record_id = store
            .link(&card)
            .await?
            .and_then(|l| l.record_id)
            .context("an unlinked card")?;
        let version = store
            .record(&record_id)
            .await?
            .context("a missing record")?
            .snapshot
            .version;
        let mut history = std::collections::HashSet::new();
        for v in 1..=version {
            if let Some(fields) = store.record_version(&record_id, v).await? {
                history.insert(fields.title);
            }
        }
        missing += saves
            .iter()
            .filter(|s| s.item_id == *item && !history.contains(&s.title))
            .count();
    }
    store.close().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut behind = 0;
        for (item, title) in &last {
            let shown = fleet.sdk(board, "board.getById", json!([item])).await?;
            let text =
                app::cards::markdown::html_to_text(shown["title"].as_str().unwrap_or_default())
                    .unwrap_or_default();
            behind += usize::from(text != *title);
        }
        if behind == 0 || Instant::now() > deadline {
            return Ok(missing + behind);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
