//! The command line of the server binary, for everyday use against Miro or
//! the sandbox: `server boards` lists boards, `server import` creates or
//! updates cards from a JSON or CSV file, `server sync` drains the outbox,
//! `server manifest` prints the app manifest, `server installations` lists
//! and revokes installations. With no arguments the binary serves the app
//! instead.

mod connect;
mod csv;
mod import;
mod installations;
mod manifest;
mod rows;
mod state;

use std::{collections::HashMap, io::Write, path::PathBuf};

use anyhow::{anyhow, bail, Context as _};

use crate::miro::BoardQuery;

const USAGE: &str = "\
usage:
  server                      serve the app (sandbox mode without Miro credentials)
  server boards [--query TEXT]
                              list the boards the token can see
  server import FILE --board BOARD_ID [--kind app_card|card] [--key COLUMN]
                [--state STATE_FILE] [--tags TAG1,TAG2] [--dry-run]
                              create or update one card per row of FILE
                              (.json: an array of objects; otherwise CSV with a header)
  server sync [--for SECONDS] drain the outbox of card writes (DATABASE_URL, with the
                              Miro credentials the app uses) until it is empty, then exit
  server manifest --public-url URL [--name NAME]
                              print the app-manifest.yaml for a server reachable at URL
  server installations        list who installed the app (team, user, when, token state)
  server installations revoke TEAM_ID USER_ID
                              revoke that user's token at Miro and delete the installation

import columns: title, description, color (#rrggbb), x, y; app cards: status
  (connected, disconnected, disabled) and any other column as a preview field;
  cards: assignee_id, due_date; tags (separated by ;). The key column (default
  `key`) ties each row to the card made for it, recorded in STATE_FILE
  (default FILE.state.json), so running the import again updates those cards.

connection: MIRO_ACCESS_TOKEN, MIRO_USER_ID, MIRO_CLIENT_ID [, MIRO_API_BASE] for
  Miro; otherwise the sandbox at MIRO_SANDBOX_URL (default http://127.0.0.1:3000).";

/// Runs the CLI with the process's environment, printing to stdout.
pub async fn run(args: Vec<String>) -> i32 {
    let env: HashMap<String, String> = std::env::vars().collect();
    run_with(&args, &env, &mut std::io::stdout()).await
}

/// Runs the CLI; returns the exit code.
pub async fn run_with(args: &[String], env: &HashMap<String, String>, out: &mut dyn Write) -> i32 {
    match dispatch(args, env, out).await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(error) => {
            // `{:#}`: the error with its causes, on one line.
            let _ = writeln!(out, "error: {error:#}");
            2
        }
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

async fn dispatch(
    args: &[String],
    env: &HashMap<String, String>,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let Some(command) = args.first() else {
        bail!("{USAGE}");
    };
    if args.iter().any(|a| a == "--help" || a == "-h") || command == "help" {
        let _ = writeln!(out, "{USAGE}");
        return Ok(true);
    }
    match command.as_str() {
        "sync" => {
            let seconds = match flag(args, "--for") {
                Some(text) => text
                    .parse()
                    .map_err(|_| anyhow!("--for '{text}' is not a whole number of seconds"))?,
                None => 600,
            };
            let config = crate::config::Config::from_env()?;
            let state = crate::AppState::new(config).await?;
            let empty = state
                .sync
                .drain_until_empty(std::time::Duration::from_secs(seconds))
                .await?;
            let pending = state.sync.store().pending_count().await?;
            let _ = writeln!(out, "outbox: {pending} card writes pending");
            Ok(empty)
        }
        "boards" => {
            let connection = connect::connect(env).await?;
            eprintln!("talking to {}", connection.description);
            let query = BoardQuery {
                query: flag(args, "--query"),
                ..BoardQuery::default()
            };
            let boards = connection
                .client
                .all_boards(&connection.access, &query)
                .await?;
            let width = boards.iter().map(|b| b.id.len()).max().unwrap_or(0);
            for board in boards {
                let _ = writeln!(
                    out,
                    "{:width$}  {}  {}",
                    board.id,
                    board.name,
                    board.view_link.unwrap_or_default()
                );
            }
            Ok(true)
        }
        "import" => {
            let file = args
                .get(1)
                .filter(|f| !f.starts_with("--"))
                .map(PathBuf::from)
                .context("import needs a FILE")?;
            let board = flag(args, "--board").context("import needs --board BOARD_ID")?;
            let app_cards = match flag(args, "--kind").as_deref() {
                None | Some("app_card") => true,
                Some("card") => false,
                Some(other) => bail!("--kind must be app_card or card, not {other}"),
            };
            let state = flag(args, "--state").map_or_else(
                || PathBuf::from(format!("{}.state.json", file.display())),
                PathBuf::from,
            );
            let tags = flag(args, "--tags")
                .map(|t| {
                    t.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let import_args = import::ImportArgs {
                file,
                board,
                app_cards,
                key: flag(args, "--key").unwrap_or_else(|| "key".to_owned()),
                state,
                tags,
                dry_run: args.iter().any(|a| a == "--dry-run"),
            };
            let connection = connect::connect(env).await?;
            eprintln!("talking to {}", connection.description);
            // Row and file problems are messages for the user, as written.
            import::run(&import_args, &connection, out)
                .await
                .map_err(anyhow::Error::msg)
        }
        "manifest" => {
            let url = flag(args, "--public-url")
                .context("manifest needs --public-url URL (where Miro reaches this server)")?;
            let name = flag(args, "--name").unwrap_or_else(|| "Miro Cards".to_owned());
            let _ = write!(
                out,
                "{}",
                manifest::render(&url, &name).map_err(anyhow::Error::msg)?
            );
            Ok(true)
        }
        "installations" => match (args.get(1).map(String::as_str), args.get(2), args.get(3)) {
            (None, _, _) => installations::list(env, out).await,
            (Some("revoke"), Some(team), Some(user)) => {
                installations::revoke(env, team, user, out).await
            }
            _ => Err(anyhow!(
                "usage: server installations [revoke TEAM_ID USER_ID]\n{USAGE}"
            )),
        },
        other => bail!("unknown command '{other}'\n{USAGE}"),
    }
}
