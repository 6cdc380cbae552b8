//! Item 1, opening the detail view: tickets issued beforehand (each open
//! has its own, as Miro's modal does), then `wrk` (a load generator that
//! is not the server) opens pages with them at fixed concurrency. For
//! context, `/healthz` and an open refused for a bad ticket under the same
//! load; then, with the sandbox answering after Miro's real 100 ms, what a
//! user waits between click and first paint, and how much of it is the
//! ticket's board check at Miro.

use std::{path::Path, process::Command, time::Instant};

use anyhow::{bail, Context as _};
use futures_util::{stream, StreamExt as _};
use serde_json::json;

use crate::{
    fleet::{rss_mb, Fleet},
    report::{quantile, Report},
};

/// What `wrk --latency` printed.
pub struct WrkRun {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    pub non_2xx: u64,
}

impl WrkRun {
    /// Answers a second that were 2xx or 3xx.
    pub fn ok_per_second(&self) -> f64 {
        let ok = self.requests.saturating_sub(self.non_2xx) as f64;
        self.per_second * ok / (self.requests.max(1) as f64)
    }
}

/// Runs wrk for `seconds` against `url`, with `script` and its arguments.
pub fn wrk(
    url: &str,
    seconds: u64,
    connections: u32,
    script: Option<(&Path, &[String])>,
) -> anyhow::Result<WrkRun> {
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
    ]);
    if let Some((path, _)) = script {
        command.arg("-s").arg(path);
    }
    command.arg(url);
    if let Some((_, args)) = script {
        command.arg("--").args(args);
    }
    let output = command
        .output()
        .context("running wrk (scripts/bench installs it)")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "wrk failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let line_value = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|r| r.trim().to_owned()))
    };
    let per_second = line_value("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .context("no Requests/sec")?;
    let p50_ms = line_value("50%")
        .and_then(|v| millis(&v))
        .context("no p50")?;
    let p99_ms = line_value("99%")
        .and_then(|v| millis(&v))
        .context("no p99")?;
    let non_2xx = line_value("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // "  12345 requests in 5.00s, 170.95MB read"
    let requests = text
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .context("no request count")?;
    Ok(WrkRun {
        per_second,
        p50_ms,
        p99_ms,
        requests,
        non_2xx,
    })
}

/// wrk's durations (`812.00us`, `9.01ms`, `1.20s`) in milliseconds.
fn millis(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(number / 1000.0),
        "ms" => Some(number),
        "s" => Some(number * 1000.0),
        "m" => Some(number * 60_000.0),
        _ => None,
    }
}

/// Issues `count` tickets for `cards`, `concurrency` at a time: the
/// request paths and the rate they were issued at.
async fn issue(
    fleet: &Fleet,
    token: &str,
    cards: &[(String, String)],
    count: usize,
    concurrency: usize,
) -> anyhow::Result<(Vec<String>, f64)> {
    let started = Instant::now();
    let paths: Vec<anyhow::Result<String>> = stream::iter(0..count)
        .map(|n| {
            let (board, item) = &cards[n % cards.len()];
            async move {
                Ok(Fleet::card_path(
                    board,
                    item,
                    &fleet.ticket(token, board, item).await?,
                ))
            }
        })
        .buffered(concurrency)
        .collect()
        .await;
    let rate = count as f64 / started.elapsed().as_secs_f64();
    Ok((paths.into_iter().collect::<anyhow::Result<_>>()?, rate))
}

pub struct OpenSettings {
    pub seconds: u64,
    pub connections: u32,
    pub app_pid: u32,
}

pub async fn run(
    fleet: &Fleet,
    cards: &[(String, String)],
    settings: &OpenSettings,
    report: &mut Report,
    out: &Path,
) -> anyhow::Result<()> {
    let OpenSettings {
        seconds,
        connections,
        app_pid,
    } = *settings;
    let token = fleet.id_token(&cards[0].0).await?;
    // Each ticket costs a board check at Miro; the benchmark measures the
    // app, so the sandbox's budget must not be what limits it here.
    fleet.set_rate_limit(1_000_000_000, 60).await?;
    let (_, sequential) = issue(fleet, &token, cards, 300, 1).await?;
    report.info(
        "1",
        "tickets issued by one sequential client",
        sequential,
        "/s",
    );
    // Enough tickets for 6,000 opens a second, within what the app keeps
    // waiting at once (50,000 on SQLite); more opens than that use a spent
    // ticket, which wrk reports as non-2xx: they are left out of pages/s,
    // and the row says so.
    let wanted = (6_000 * seconds as usize).min(45_000);
    let (paths, _) = issue(fleet, &token, cards, wanted, 8).await?;
    let tickets = out.join("tickets.txt");
    std::fs::write(&tickets, paths.join("\n") + "\n")?;
    let script = out.join("open.lua");
    std::fs::write(&script, include_str!("open.lua"))?;
    let args = [tickets.display().to_string(), "2".to_owned()];
    let run = wrk(
        &fleet.app_url(),
        seconds,
        connections,
        Some((&script, &args)),
    )?;
    let label = format!("detail view opens, {connections} connections");
    report.at_least(
        "1",
        &format!("{label}: pages/s"),
        run.ok_per_second(),
        "/s",
        3000.0,
    );
    if run.non_2xx > 0 {
        report.note(format!(
            "{} answers were not 200: ran out of tickets or failed",
            run.non_2xx
        ));
    }
    report.info("1", &format!("{label}: p50"), run.p50_ms, "ms");
    report.at_most("1", &format!("{label}: p99"), run.p99_ms, "ms", 5.0);
    let (_, peak) = rss_mb(app_pid);
    report.at_most(
        "6",
        "resident memory, peak under the load of item 1",
        peak,
        "MB",
        150.0,
    );

    // Context: the cheapest answer, and an open refused before any work.
    let health = wrk(
        &format!("{}/healthz", fleet.app_url()),
        3,
        connections,
        None,
    )?;
    report.info(
        "1",
        "context: /healthz under the same load",
        health.per_second,
        "/s",
    );
    let (board, item) = &cards[0];
    let refused_url = format!(
        "{}{}",
        fleet.app_url(),
        Fleet::card_path(board, item, "not-a-ticket")
    );
    let refused = wrk(&refused_url, 3, connections, None)?;
    report.info(
        "1",
        "context: opens refused for a bad ticket (401)",
        refused.per_second,
        "/s",
    );

    latency(fleet, &token, cards, report).await
}

/// With Miro answering after 100 ms: click (ticket request) to the page's
/// last byte, sequentially, as one user sees it.
async fn latency(
    fleet: &Fleet,
    token: &str,
    cards: &[(String, String)],
    report: &mut Report,
) -> anyhow::Result<()> {
    fleet
        .admin_put("faults", json!({"latency_ms": 100}))
        .await?;
    fleet.take_requests().await?;
    let (mut waits, mut ticket_ms, mut page_ms) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..20 {
        let (board, item) = &cards[n % cards.len()];
        let started = Instant::now();
        let ticket = fleet.ticket(token, board, item).await?;
        let ticketed = started.elapsed();
        let url = format!(
            "{}{}",
            fleet.app_url(),
            Fleet::card_path(board, item, &ticket)
        );
        let answer = fleet.http.get(url).send().await?;
        if !answer.status().is_success() {
            bail!("an open with Miro's latency answered {}", answer.status());
        }
        answer.bytes().await?;
        let total = started.elapsed();
        waits.push(total.as_secs_f64() * 1000.0);
        ticket_ms.push(ticketed.as_secs_f64() * 1000.0);
        page_ms.push((total - ticketed).as_secs_f64() * 1000.0);
    }
    fleet.admin_put("faults", json!({})).await?;
    let miro: Vec<f64> = fleet
        .take_requests()
        .await?
        .iter()
        .filter_map(|r| r["micros"].as_f64())
        .map(|us| us / 1000.0)
        .collect();
    let per_open = miro.iter().sum::<f64>() / 20.0;
    for values in [&mut waits, &mut ticket_ms, &mut page_ms] {
        values.sort_by(f64::total_cmp);
    }
    report.info(
        "1",
        "Miro at 100 ms: click to page loaded, p50",
        quantile(&waits, 0.5),
        "ms",
    );
    report.info(
        "1",
        "  of which the ticket, p50",
        quantile(&ticket_ms, 0.5),
        "ms",
    );
    report.info(
        "1",
        "  of which the page, p50",
        quantile(&page_ms, 0.5),
        "ms",
    );
    report.info(
        "1",
        "  Miro's time per open (the ticket's board check)",
        per_open,
        "ms",
    );
    report.note(format!("{} REST calls for 20 opens", miro.len()));
    Ok(())
}
