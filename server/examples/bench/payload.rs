//! Item 5, payload: what a browser that accepts brotli downloads to make
//! the detail view interactive, as the app serves it: the page opened with
//! a ticket, then every `/pkg/` file the page names (the view's JS, WASM
//! and CSS), each fetched with `Accept-Encoding: br` and counted as it
//! came over the wire (the client does not decompress). The budget is the
//! shipped-view issue's, as `scripts/size` checks it on the files: 200,000
//! B of JS + WASM.

use std::collections::BTreeSet;

use anyhow::bail;

use crate::{fleet::Fleet, report::Report};

const BUDGET_JS_WASM: f64 = 200_000.0;

async fn served_bytes(fleet: &Fleet, path: &str) -> anyhow::Result<usize> {
    let answer = fleet
        .http
        .get(format!("{}{path}", fleet.app_url()))
        .header("accept-encoding", "br")
        .send()
        .await?;
    if !answer.status().is_success() {
        bail!("{path} answered {}", answer.status());
    }
    Ok(answer.bytes().await?.len())
}

pub async fn run(
    fleet: &Fleet,
    card: &(String, String),
    report: &mut Report,
) -> anyhow::Result<()> {
    let (board, item) = card;
    let token = fleet.id_token(board).await?;
    let ticket = fleet.ticket(&token, board, item).await?;
    let page_path = Fleet::card_path(board, item, &ticket);
    let html = fleet
        .http
        .get(format!("{}{page_path}", fleet.app_url()))
        .send()
        .await?
        .text()
        .await?;
    // The page again, as sent compressed (a second ticket: each opens once).
    let ticket = fleet.ticket(&token, board, item).await?;
    let page = served_bytes(fleet, &Fleet::card_path(board, item, &ticket)).await?;
    let files: BTreeSet<String> = html
        .match_indices("/pkg/")
        .map(|(at, _)| {
            html[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "/._-".contains(*c))
                .collect()
        })
        .collect();
    let (mut code, mut other) = (0, 0);
    for file in &files {
        let bytes = served_bytes(fleet, file).await?;
        if file.ends_with(".js") || file.ends_with(".wasm") {
            code += bytes;
        } else {
            other += bytes;
        }
    }
    if !files.iter().any(|f| f.ends_with(".wasm")) {
        bail!("the page names no WASM: {files:?}");
    }
    report.at_most(
        "5",
        "detail view's JS + WASM as served (brotli)",
        code as f64,
        "B",
        BUDGET_JS_WASM,
    );
    report.info(
        "5",
        "  with the page and its CSS (brotli)",
        (code + other + page) as f64,
        "B",
    );
    report.note(format!("page {page} B, CSS {other} B"));
    Ok(())
}
