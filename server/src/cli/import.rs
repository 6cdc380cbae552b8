//! `server import`: creates or updates the cards a file describes, keyed
//! so that running it again updates instead of duplicating.

use std::{collections::HashSet, io::Write, path::PathBuf};

use super::{connect::Connection, rows, state::ImportState};
use crate::miro::{MiroError, NewItem, TagOnItem, TagWrite};

/// What `import` was asked to do.
pub struct ImportArgs {
    pub file: PathBuf,
    pub board: String,
    pub app_cards: bool,
    pub key: String,
    pub state: PathBuf,
    pub tags: Vec<String>,
    pub dry_run: bool,
}

/// One row ready to send.
struct Planned {
    number: usize,
    key: String,
    item: NewItem,
    tags: Vec<String>,
}

/// Runs the import; returns whether every row succeeded.
pub async fn run(
    args: &ImportArgs,
    connection: &Connection,
    out: &mut dyn Write,
) -> Result<bool, String> {
    let mut ok = true;
    let mut planned = Vec::new();
    let mut keys = HashSet::new();
    for row in rows::read(&args.file)? {
        let Some(key) = row.get(&args.key).map(str::to_owned) else {
            ok = false;
            let _ = writeln!(
                out,
                "row {}: no value in the key column '{}'; skipped",
                row.number, args.key
            );
            continue;
        };
        if !keys.insert(key.clone()) {
            ok = false;
            let _ = writeln!(
                out,
                "row {}: key '{key}' appears twice; skipped",
                row.number
            );
            continue;
        }
        match rows::to_item(&row, args.app_cards, &args.key) {
            Ok(item) => {
                let mut tags = args.tags.clone();
                tags.extend(
                    row.get("tags")
                        .into_iter()
                        .flat_map(|t| t.split(';'))
                        .map(|t| t.trim().to_owned())
                        .filter(|t| !t.is_empty()),
                );
                planned.push(Planned {
                    number: row.number,
                    key,
                    item,
                    tags,
                });
            }
            Err(message) => {
                ok = false;
                let _ = writeln!(out, "{message}; nothing sent for this row");
            }
        }
    }
    let mut state = ImportState::load(args.state.clone())?;
    let (fresh, known): (Vec<Planned>, Vec<Planned>) = planned
        .into_iter()
        .partition(|p| state.item(&args.board, &p.key).is_none());
    if args.dry_run {
        for p in &fresh {
            let _ = writeln!(out, "would create {}", p.key);
        }
        for p in &known {
            let _ = writeln!(out, "would update {}", p.key);
        }
        return Ok(ok);
    }
    let (client, access, board) = (&connection.client, &connection.access, args.board.as_str());
    let mut tagged = Vec::new();

    let items: Vec<NewItem> = fresh.iter().map(|p| p.item.clone()).collect();
    let (created, failure) = match client.bulk_create(access, board, &items).await {
        Ok(created) => (created, None),
        Err(failure) => (failure.created, Some((failure.failed_from, failure.error))),
    };
    for (p, item) in fresh.iter().zip(&created) {
        state.set(board, &p.key, &item.id)?;
        let _ = writeln!(out, "created {} -> {}", p.key, item.id);
        tagged.push((item.id.clone(), &p.tags, p.number));
    }
    if let Some((failed_from, error)) = failure {
        ok = false;
        report_bulk_failure(&fresh[failed_from..], failed_from, &error, out);
    }

    for p in &known {
        let id = state.item(board, &p.key).cloned().unwrap_or_default();
        let result = match &p.item {
            NewItem::AppCard(write) => client
                .update_app_card(access, board, &id, write)
                .await
                .map(|c| c.id),
            NewItem::Card(write) => client
                .update_card(access, board, &id, write)
                .await
                .map(|c| c.id),
        };
        let result = match result {
            // Deleted on the board since the last import: create it again.
            Err(MiroError::NotFound(_)) => match &p.item {
                NewItem::AppCard(write) => client
                    .create_app_card(access, board, write)
                    .await
                    .map(|c| c.id),
                NewItem::Card(write) => {
                    client.create_card(access, board, write).await.map(|c| c.id)
                }
            }
            .map(|new_id| (new_id, true)),
            other => other.map(|id| (id, false)),
        };
        match result {
            Ok((new_id, recreated)) => {
                state.set(board, &p.key, &new_id)?;
                let verb = if recreated { "recreated" } else { "updated" };
                let _ = writeln!(out, "{verb} {} ({new_id})", p.key);
                tagged.push((new_id, &p.tags, p.number));
            }
            Err(error) => {
                ok = false;
                let _ = writeln!(out, "row {} ({}): {error}", p.number, p.key);
            }
        }
    }
    ok &= attach_tags(connection, board, args.app_cards, &tagged, out).await;
    Ok(ok)
}

fn report_bulk_failure(
    rows: &[Planned],
    failed_from: usize,
    error: &MiroError,
    out: &mut dyn Write,
) {
    if let MiroError::InvalidInput { fields, .. } = error {
        for field in fields {
            let row = field
                .index
                .and_then(|i| rows.get(i.wrapping_sub(failed_from)));
            let _ = writeln!(
                out,
                "row {}: {}: {}",
                row.map_or(0, |r| r.number),
                field.field,
                field.message
            );
        }
    }
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    let _ = writeln!(out, "not created ({error}): {}", keys.join(", "));
}

/// Creates missing tags on the board and attaches them. REST tags cards
/// only, so app cards are reported and skipped.
async fn attach_tags(
    connection: &Connection,
    board: &str,
    app_cards: bool,
    items: &[(String, &Vec<String>, usize)],
    out: &mut dyn Write,
) -> bool {
    if items.iter().all(|(_, tags, _)| tags.is_empty()) {
        return true;
    }
    if app_cards {
        for (_, _, number) in items.iter().filter(|(_, tags, _)| !tags.is_empty()) {
            let _ = writeln!(out, "row {number}: warning: Miro's REST API tags cards only; tags skipped for this app card");
        }
        return true;
    }
    let (client, access) = (&connection.client, &connection.access);
    let mut existing = match client.tags(access, board).await {
        Ok(tags) => tags,
        Err(error) => {
            let _ = writeln!(out, "cannot read the board's tags: {error}");
            return false;
        }
    };
    let mut ok = true;
    for (item_id, tags, number) in items {
        for title in tags.iter() {
            let tag_id = match existing.iter().find(|t| &t.title == title) {
                Some(tag) => tag.id.clone(),
                None => match client
                    .create_tag(
                        access,
                        board,
                        &TagWrite {
                            title: Some(title.clone()),
                            fill_color: None,
                        },
                    )
                    .await
                {
                    Ok(tag) => {
                        let id = tag.id.clone();
                        existing.push(tag);
                        id
                    }
                    Err(error) => {
                        ok = false;
                        let _ = writeln!(out, "row {number}: cannot create tag '{title}': {error}");
                        continue;
                    }
                },
            };
            let on_item = TagOnItem {
                board_id: board.to_owned(),
                item_id: item_id.clone(),
                tag_id,
            };
            if let Err(error) = client.attach_tag(access, &on_item).await {
                ok = false;
                let _ = writeln!(out, "row {number}: cannot attach tag '{title}': {error}");
            }
        }
    }
    ok
}
