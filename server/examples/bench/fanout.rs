//! Item 4, fan-out: one record on 200 app cards, 20 on each of 10 boards
//! made with Miro's create-board call, each card put there through the
//! panel; then, with the sandbox's budget set to Miro's, one save in the
//! detail view, and the time until every card on the boards shows the new
//! title (as the board page draws them). The floor is what Miro's budget
//! takes for the credits the app spent meanwhile (100,000 a minute); the
//! sandbox's request log counts the PATCHes, the 429s and the credits.
//! Then the same with Miro answering after 100 ms, for context.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use app::detail::{CardViewData, SaveOutcome};
use serde_json::{json, Value};

use crate::{
    fleet::{encode, Fleet},
    report::Report,
};

const BOARDS: usize = 10;
const PER_BOARD: usize = 20;
const CREDITS_PER_MINUTE: u64 = 100_000;

pub async fn run(fleet: &Fleet, record: &str, report: &mut Report) -> anyhow::Result<()> {
    // Setting up is not measured: the budget is lifted for it.
    fleet.set_rate_limit(1_000_000_000, 60).await?;
    let mut cards = Vec::new();
    for board in create_boards(fleet).await? {
        let session = fleet.panel_session(&board).await?;
        for i in 0..PER_BOARD {
            let at = json!({"x": (i % 5 * 360) as f64, "y": (i / 5 * 200) as f64});
            cards.push((board.clone(), add_card(fleet, &session, record, at).await?));
        }
    }
    let (board, item) = &cards[0];
    let token = fleet.id_token(board).await?;
    let mut view = fleet.open_view(&token, board, item).await?;
    let boards: Vec<&str> = cards
        .iter()
        .step_by(PER_BOARD)
        .map(|c| c.0.as_str())
        .collect();

    fleet.set_rate_limit(CREDITS_PER_MINUTE, 60).await?;
    fleet.take_requests().await?;
    let elapsed = edit_and_wait(fleet, &mut view, &boards, "Fan-out edit 1").await?;
    let log = fleet.take_requests().await?;
    let patches: Vec<&Value> = log.iter().filter(|r| r["method"] == "PATCH").collect();
    let written = patches.iter().filter(|r| r["status"] == 200).count();
    let refused = patches.iter().filter(|r| r["status"] == 429).count();
    let credits: u64 = log.iter().filter_map(|r| r["credits"].as_u64()).sum();
    let floor = credits as f64 * 60.0 / CREDITS_PER_MINUTE as f64;
    report.info(
        "4",
        "fan-out to 200 cards on 10 boards: time to all 200",
        elapsed,
        "s",
    );
    report.at_most(
        "4",
        "fan-out: card writes Miro took (PATCH 200)",
        written as f64,
        "calls",
        (BOARDS * PER_BOARD) as f64,
    );
    report.note(format!(
        "{} REST calls in all, {credits} credits",
        log.len()
    ));
    report.at_most(
        "4",
        "fan-out: 429 answers (budget: only the first)",
        refused as f64,
        "",
        1.0,
    );
    report.at_most(
        "4",
        "fan-out: time to all 200 / the rate budget's floor",
        elapsed / floor,
        "×",
        1.10,
    );
    report.note(format!(
        "floor {floor:.1} s: {credits} credits at {CREDITS_PER_MINUTE} a minute"
    ));

    // Context: Miro's real latency, within the same budget window.
    fleet
        .admin_put("faults", json!({"latency_ms": 100}))
        .await?;
    let slow = edit_and_wait(fleet, &mut view, &boards, "Fan-out edit 2").await;
    fleet.admin_put("faults", json!({})).await?;
    let slow = slow?;
    report.info(
        "4",
        "fan-out with Miro at 100 ms: time to all 200",
        slow,
        "s",
    );
    // The outbox writes IN_FLIGHT (4) cards at a time.
    report.note(format!(
        "{:.2} × the floor; 200 writes 4 at a time at 100 ms: 5.0 s at the least",
        slow / floor
    ));
    fleet.take_requests().await?;
    Ok(())
}

/// Ten boards in the sandbox's team, made as a person makes them: through
/// another app's token, so our app's credit budget is not touched.
async fn create_boards(fleet: &Fleet) -> anyhow::Result<Vec<String>> {
    let discovery: Value = fleet
        .http
        .get(format!("{}/.well-known/miro-sandbox", fleet.sandbox_url))
        .send()
        .await?
        .json()
        .await?;
    let field = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let other = &discovery["other_apps"][0];
    let (client_id, redirect) = (field(other, "client_id"), field(other, "redirect_uri"));
    // The sandbox's user always consents: authorize redirects at once.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = no_redirects
        .get(field(&discovery, "authorize_url"))
        .query(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", &redirect),
        ])
        .send()
        .await?;
    let location = answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .context("the sandbox's authorize did not redirect")?;
    let code = url::Url::parse(location)?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .context("no code in the redirect")?;
    let grant: Value = fleet
        .http
        .post(field(&discovery, "token_url"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("client_secret", &field(other, "client_secret")),
            ("redirect_uri", &redirect),
        ])
        .send()
        .await?
        .json()
        .await?;
    let token = field(&grant, "access_token");
    let mut boards = Vec::new();
    for number in 1..=BOARDS {
        let answer = fleet
            .http
            .post(format!("{}/v2/boards", field(&discovery, "rest_base")))
            .bearer_auth(&token)
            .json(&json!({"name": format!("Fan-out {number}")}))
            .send()
            .await?;
        if answer.status() != 201 {
            bail!("create board answered {}", answer.text().await?);
        }
        let board: Value = answer.json().await?;
        boards.push(field(&board, "id"));
    }
    Ok(boards)
}

/// One card of `record` at `at`, through the panel's bulk add (a record
/// goes in a request once, so each card is a request of its own).
async fn add_card(fleet: &Fleet, session: &str, record: &str, at: Value) -> anyhow::Result<String> {
    let answer: Value = fleet
        .http
        .post(format!("{}/api/panel/add_cards", fleet.app_url()))
        .json(&json!({"request": {"session": session, "cards": [{"record_id": record, "at": at}]}}))
        .send()
        .await?
        .json()
        .await?;
    answer[0]["outcome"]["Added"]["item_id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("the card was not added: {answer}"))
}

/// Saves `title` in the view and waits until every card of the record on
/// `boards` shows it; answers the seconds from the save to then.
async fn edit_and_wait(
    fleet: &Fleet,
    view: &mut CardViewData,
    boards: &[&str],
    title: &str,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let answer = fleet.save_title(view, title).await?;
    if !answer.status().is_success() {
        bail!("the save answered {}", answer.text().await?);
    }
    let outcome: SaveOutcome = answer.json().await?;
    view.record = outcome.record;
    loop {
        let mut showing = 0;
        for board in boards {
            showing += showing_title(fleet, board, title).await?;
        }
        if showing == boards.len() * PER_BOARD {
            return Ok(started.elapsed().as_secs_f64());
        }
        if started.elapsed() > Duration::from_secs(180) {
            bail!("{showing} of 200 cards showed the edit after 3 minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// App cards on `board` showing `title`, as the board page draws them
/// (the sandbox's host endpoint: no credits, not in the request log).
async fn showing_title(fleet: &Fleet, board: &str, title: &str) -> anyhow::Result<usize> {
    let url = format!(
        "{}/sandbox/host/boards/{}/items",
        fleet.sandbox_url,
        encode(board)
    );
    let page: Value = fleet.http.get(url).send().await?.json().await?;
    let items = page["items"].as_array().context("no items")?;
    Ok(items
        .iter()
        .filter(|i| {
            let shown = i["data"]["title"].as_str().unwrap_or_default();
            app::cards::markdown::html_to_text(shown).unwrap_or_default() == title
        })
        .count())
}
