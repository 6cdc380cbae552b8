//! Item 3, bulk import: 1,000 records put on one board as app cards
//! through the panel (20 per call, one bulk create each, as the panel
//! sends them), with the sandbox's budget set to Miro's: 100,000 credits a
//! minute per user and app, 100 credits per item created. When Miro says
//! the budget is spent, the client waits as long as the panel tells the
//! user to, then sends the chunk again. The floor is the time the credits
//! spent take at Miro's rate; the sandbox's request log counts the calls,
//! the credits and the 429s.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use crate::{fleet::Fleet, report::Report};

const CREDITS_PER_MINUTE: u64 = 100_000;

/// Seconds the panel asks the user to wait, if the chunk was refused for
/// Miro's rate limit.
fn retry_after(results: &[Value]) -> Option<u64> {
    let reason = results
        .iter()
        .find_map(|r| r["outcome"]["Failed"]["reason"].as_str())?;
    let rest = reason.split("try again in ").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

pub async fn run(
    fleet: &Fleet,
    board: &str,
    records: &[String],
    report: &mut Report,
) -> anyhow::Result<()> {
    fleet.set_rate_limit(CREDITS_PER_MINUTE, 60).await?;
    fleet.take_requests().await?;
    let session = fleet.panel_session(board).await?;
    let started = Instant::now();
    for (chunk_index, chunk) in records.chunks(20).enumerate() {
        let cards: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| json!({"record_id": id, "at": {"x": (i * 320) as f64, "y": (chunk_index * 200 + 2000) as f64}}))
            .collect();
        let body = json!({"request": {"session": session, "cards": cards}});
        loop {
            let answer: Value = fleet
                .http
                .post(format!("{}/api/panel/add_cards", fleet.app_url()))
                .json(&body)
                .send()
                .await?
                .json()
                .await?;
            let results = answer
                .as_array()
                .with_context(|| format!("add_cards: {answer}"))?;
            if results.iter().all(|r| r["outcome"]["Added"].is_object()) {
                break;
            }
            let Some(wait) = retry_after(results) else {
                bail!("the import failed: {answer}");
            };
            if started.elapsed() > Duration::from_secs(600) {
                bail!("the import did not finish in 10 minutes");
            }
            tokio::time::sleep(Duration::from_secs(wait.max(1))).await;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let log = fleet.take_requests().await?;
    let bulk: Vec<&Value> = log
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/items/bulk"))
        })
        .collect();
    let created = bulk.iter().filter(|r| r["status"] == 201).count();
    let refused = bulk.iter().filter(|r| r["status"] == 429).count();
    let credits: u64 = log.iter().filter_map(|r| r["credits"].as_u64()).sum();
    let floor = credits as f64 * 60.0 / CREDITS_PER_MINUTE as f64;
    report.at_most(
        "3",
        "import of 1,000 records: bulk creates Miro took",
        created as f64,
        "calls",
        50.0,
    );
    report.note(format!(
        "{} REST calls in all, {credits} credits",
        log.len()
    ));
    report.at_most(
        "3",
        "import: 429 answers (budget: only the first)",
        refused as f64,
        "",
        1.0,
    );
    report.info("3", "import: elapsed", elapsed, "s");
    report.at_most(
        "3",
        "import: elapsed / the rate budget's floor",
        elapsed / floor,
        "×",
        1.10,
    );
    report.note(format!(
        "floor {floor:.1} s: {credits} credits at {CREDITS_PER_MINUTE} a minute"
    ));
    Ok(())
}
