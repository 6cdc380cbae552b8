//! The benchmark driver behind `scripts/bench` (issue 17): starts the
//! sandbox and the release app as separate processes on loopback with a
//! throwaway SQLite database, measures each item, and prints one table
//! (each figure with its budget, met or missed, under the machine's
//! description), also written as JSON. A missed budget is reported, never
//! an error: the exit code is non-zero only when the driver itself fails.
//! `docs/benchmarks.md` says how each figure is measured.
//!
//! cargo run --release -p server --example bench -- --server PATH --site DIR --out DIR
//!   [--open-seconds 5] [--save-seconds 5] [--connections 16] [--skip-import]

mod fanout;
mod fleet;
mod import;
mod open;
mod payload;
mod report;
mod save;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use app::cards::{CardStatus, RecordFields};
use server::store::{origin, NewRecord, SecretKey, SqlStore, Store as _};

use fleet::{rss_mb, Fleet};
use report::{quantile, Report};

/// Records made before the app starts: 50 for the saves, 1,000 for the
/// import, then the one the fan-out puts on 200 cards.
const SAVE_RECORDS: usize = 50;
const IMPORT_RECORDS: usize = 1000;
const FANOUT_RECORD: usize = SAVE_RECORDS + IMPORT_RECORDS;

/// The app's store, opened beside it as the soak test opens it.
pub async fn store(fleet: &Fleet) -> anyhow::Result<SqlStore> {
    let key = SecretKey::load_or_create(&fleet.folder.join("secret.key"))?;
    Ok(SqlStore::open(&fleet.database_url(), key).await?)
}

struct Args {
    values: HashMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    fn parse() -> Self {
        let mut values = HashMap::new();
        let mut flags = Vec::new();
        let mut args = std::env::args().skip(1).peekable();
        while let Some(arg) = args.next() {
            match args.peek() {
                Some(next) if !next.starts_with("--") => {
                    values.insert(arg, args.next().unwrap_or_default());
                }
                _ => flags.push(arg),
            }
        }
        Self { values, flags }
    }

    fn path(&self, name: &str, default: &str) -> PathBuf {
        let path = PathBuf::from(self.values.get(name).map_or(default, String::as_str));
        std::path::absolute(&path).unwrap_or(path)
    }

    fn number(&self, name: &str, default: u64) -> u64 {
        self.values
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let out = args.path("--out", "target/bench");
    let folder = out.join("run");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder)?;
    let machine = report::machine();
    let mut report = Report::default();

    let fleet = Fleet::new(
        args.path("--server", "target/release/server"),
        folder,
        args.path("--site", "target/site-release"),
    )
    .await?;
    let records = make_records(&fleet).await?;
    let (app, first_start) = fleet.start_app().await?;
    report.info(
        "6",
        "first start to /healthz (new installation)",
        first_start.as_secs_f64() * 1000.0,
        "ms",
    );
    let cards = connected_cards(&fleet).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (idle, _) = rss_mb(app.pid());
    report.at_most("6", "resident memory, idle after start", idle, "MB", 40.0);

    let settings = open::OpenSettings {
        seconds: args.number("--open-seconds", 5),
        connections: args.number("--connections", 16) as u32,
        app_pid: app.pid(),
    };
    if let Err(error) = open::run(&fleet, &cards, &settings, &mut report, &out).await {
        report.failed("1", "opening the detail view", &format!("{error:#}"));
    }
    let fleet = Arc::new(fleet);
    let boards = fleet.boards().await?;
    let saves = save::run(
        fleet.clone(),
        &boards[0],
        &records[..SAVE_RECORDS],
        args.number("--save-seconds", 5),
        &mut report,
    )
    .await;
    if let Err(error) = saves {
        report.failed("2", "saving", &format!("{error:#}"));
    }
    if args.flags.iter().any(|f| f == "--skip-import") {
        report.failed("3", "bulk import", "skipped (--skip-import)");
    } else if let Err(error) = import::run(
        &fleet,
        &boards[1],
        &records[SAVE_RECORDS..FANOUT_RECORD],
        &mut report,
    )
    .await
    {
        report.failed("3", "bulk import", &format!("{error:#}"));
    }
    if let Err(error) = fanout::run(&fleet, &records[FANOUT_RECORD], &mut report).await {
        report.failed(
            "4",
            "fan-out to 200 cards on 10 boards",
            &format!("{error:#}"),
        );
    }
    if let Err(error) = payload::run(&fleet, &cards[0], &mut report).await {
        report.failed("5", "payload", &format!("{error:#}"));
    }
    drop(app);
    restarts(&fleet, &mut report).await?;

    report.print(&machine);
    let json = serde_json::to_string_pretty(&report.json(&machine))?;
    std::fs::write(out.join("results.json"), json + "\n")?;
    println!("\nwritten to {}", out.join("results.json").display());
    Ok(())
}

/// The records the saves and the import put on boards, made in the store
/// before the app starts (the app's sandbox start adds its own samples).
async fn make_records(fleet: &Fleet) -> anyhow::Result<Vec<String>> {
    let store = store(fleet).await?;
    // The sandbox's first team, whose user the benchmark acts as.
    let scope = server::teams::team_scope(&fleet.team_id().await?);
    let mut ids = Vec::new();
    for number in 1..=FANOUT_RECORD + 1 {
        let fields = RecordFields {
            title: format!("Benchmark record {number}"),
            description: "Made by scripts/bench.".to_owned(),
            // A status of the default card template (saves validate it).
            status: "todo".to_owned(),
            ..RecordFields::default()
        };
        let external_id = format!("bench-{number:04}");
        let row = store
            .create_record(NewRecord {
                connector: server::sync::connector::BUILTIN,
                external_id: Some(&external_id),
                fields: &fields,
                origin: origin::MIRO,
                actor: "bench",
                scope: &scope,
            })
            .await?;
        ids.push(row.snapshot.id);
    }
    store.close().await;
    Ok(ids)
}

/// The seeded cards the app linked at its start, once their count holds.
async fn connected_cards(fleet: &Fleet) -> anyhow::Result<Vec<(String, String)>> {
    // Only the cards of the team the benchmark's user is in: the sandbox's
    // other team has boards of its own, which that user cannot open.
    let team = fleet.team_id().await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut seen, mut since) = (0, Instant::now());
    loop {
        let store = store(fleet).await?;
        let mut cards = Vec::new();
        for (board, _) in store.linked_boards().await? {
            for link in store.links_on_board(&board).await? {
                if link.status == CardStatus::Connected && link.owner.team_id == team {
                    cards.push((link.card.board_id, link.card.item_id));
                }
            }
        }
        store.close().await;
        if cards.len() != seen {
            (seen, since) = (cards.len(), Instant::now());
        } else if seen > 0 && since.elapsed() > Duration::from_secs(1) {
            return Ok(cards);
        }
        anyhow::ensure!(Instant::now() < deadline, "the app linked no seeded card");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Item 6's start-up: the app started again on its existing database,
/// five times; the median.
async fn restarts(fleet: &Fleet, report: &mut Report) -> anyhow::Result<()> {
    let mut times = Vec::new();
    for _ in 0..5 {
        let (app, took) = fleet.start_app().await.context("restarting the app")?;
        times.push(took.as_secs_f64() * 1000.0);
        drop(app);
    }
    times.sort_by(f64::total_cmp);
    report.at_most(
        "6",
        "start to /healthz on an existing database, median of 5",
        quantile(&times, 0.5),
        "ms",
        300.0,
    );
    Ok(())
}
