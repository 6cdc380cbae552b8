//! The command line of the server binary, for everyday use against Miro or
//! the sandbox: `server boards` lists boards, `server import` creates or
//! updates cards from a JSON or CSV file, `server sync` drains the outbox,
//! `server manifest` prints the app manifest, `server installations` lists
//! and revokes installations. With no arguments the binary serves the app
//! instead. The commands, flags and variables are declared with clap, so
//! `server --help` lists them all.

mod connect;
mod csv;
#[cfg(feature = "sandbox")]
mod github_standin;
mod import;
mod installations;
mod manifest;
mod rows;
#[cfg(feature = "sandbox")]
mod sandbox;
mod state;

use std::{io::Write, path::PathBuf};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

pub use connect::MiroAccess;

use crate::{
    config::{Config, Settings},
    miro::BoardQuery,
    sync::connector::github::GITHUB,
};

/// The server binary's command line: with no command it serves the app.
#[derive(Parser, Debug)]
#[command(
    name = "server",
    version,
    about = "Miro Cards: serves the app (sandbox mode without Miro credentials), \
             or runs one of the commands below against Miro or the sandbox."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
    #[command(flatten)]
    pub access: MiroAccess,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the app (what `server` with no command does)
    Serve,
    /// List the boards the token can see
    Boards {
        /// Only boards whose name contains TEXT
        #[arg(long, value_name = "TEXT")]
        query: Option<String>,
    },
    /// Create or update one card per row of FILE (.json: an array of
    /// objects; otherwise CSV with a header)
    #[command(after_help = IMPORT_COLUMNS)]
    Import(ImportCommand),
    /// Send the queued edits to GitHub (when configured) and drain the
    /// outbox of card writes (the store and credentials the app uses) until
    /// both are empty, then exit
    Sync {
        /// Give up after this long
        #[arg(long = "for", value_name = "SECONDS", default_value_t = 600)]
        seconds: u64,
    },
    /// Print the app-manifest.yaml for a server reachable at --public-url
    Manifest {
        /// The app's name in Miro
        #[arg(long, default_value = "Miro Cards")]
        name: String,
    },
    /// Run the stand-in for Miro on its own, for apps started with
    /// MIRO_SANDBOX_URL pointing at it
    #[cfg(feature = "sandbox")]
    Sandbox {
        /// Where the sandbox listens
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3100")]
        addr: std::net::SocketAddr,
        /// Where the app it stands in for is reached (its headless page and
        /// OAuth callback are registered there)
        #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:3000")]
        app_url: String,
    },
    /// Run a stand-in for GitHub on its own (the app's GITHUB_REPOSITORIES,
    /// GITHUB_TOKEN and GITHUB_WEBHOOK_SECRET), for an app started with
    /// GITHUB_API_URL pointing at it
    #[cfg(feature = "sandbox")]
    GithubStandin {
        /// Where the stand-in listens
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3200")]
        addr: std::net::SocketAddr,
        /// Where the app is reached (webhooks go to its /github/webhook)
        #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:3000")]
        app_url: String,
        /// Sample issues in each repository
        #[arg(long, value_name = "COUNT", default_value_t = 60)]
        seed: usize,
    },
    /// List who installed the app (team, user, when, token state)
    Installations {
        #[command(subcommand)]
        action: Option<InstallationsAction>,
    },
}

#[derive(Subcommand, Debug)]
pub enum InstallationsAction {
    /// Revoke that user's token at Miro and delete the installation
    Revoke {
        #[arg(value_name = "TEAM_ID")]
        team: String,
        #[arg(value_name = "USER_ID")]
        user: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct ImportCommand {
    /// The rows: .json or CSV
    file: PathBuf,
    /// The board the cards go on
    #[arg(long, value_name = "BOARD_ID")]
    board: String,
    /// app_card or card
    #[arg(long, default_value = "app_card", value_parser = ["app_card", "card"])]
    kind: String,
    /// The column that ties each row to its card
    #[arg(long, value_name = "COLUMN", default_value = "key")]
    key: String,
    /// Where the row → card links are kept [default: FILE.state.json]
    #[arg(long, value_name = "STATE_FILE")]
    state: Option<PathBuf>,
    /// Tags for every card, separated by commas
    #[arg(long, value_name = "TAG1,TAG2")]
    tags: Option<String>,
    /// Say what would change, change nothing
    #[arg(long)]
    dry_run: bool,
}

const IMPORT_COLUMNS: &str = "\
Columns: title, description, color (#rrggbb), x, y; app cards: status
(connected, disconnected, disabled) and any other column as a preview field;
cards: assignee_id, due_date; tags (separated by ;). The key column ties each
row to the card made for it, recorded in STATE_FILE, so running the import
again updates those cards.";

/// Runs a command (not `serve`) with the process's flags and environment,
/// printing to stdout; returns the exit code.
pub async fn run(cli: Cli) -> i32 {
    finish(
        dispatch(cli, &mut std::io::stdout()).await,
        &mut std::io::stdout(),
    )
}

/// Parses `args` (without the program's name) and the process environment
/// as the binary would, runs the command and returns the exit code: 0 done,
/// 1 done with failures (rows that failed, a non-empty outbox), 2 refused.
pub async fn run_with(args: &[String], out: &mut dyn Write) -> i32 {
    let argv = std::iter::once("server".to_owned()).chain(args.iter().cloned());
    match Cli::try_parse_from(argv) {
        Ok(cli) => finish(dispatch(cli, out).await, out),
        Err(error) => {
            let _ = write!(out, "{}", error.render());
            if error.use_stderr() {
                2
            } else {
                0
            }
        }
    }
}

fn finish(outcome: anyhow::Result<bool>, out: &mut dyn Write) -> i32 {
    match outcome {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(error) => {
            // `{:#}`: the error with its causes, on one line.
            let _ = writeln!(out, "error: {error:#}");
            2
        }
    }
}

async fn dispatch(cli: Cli, out: &mut dyn Write) -> anyhow::Result<bool> {
    let Cli {
        command,
        settings,
        access,
    } = cli;
    match command.context("no command: the binary serves the app without one")? {
        Command::Serve => anyhow::bail!("`serve` runs from main, not here"),
        Command::Sync { seconds } => {
            let config = Config::from_settings(&settings)?;
            let state = crate::state::AppState::new(config).await?;
            let limit = std::time::Duration::from_secs(seconds);
            let started = std::time::Instant::now();
            // Edits to GitHub first: a write that lands may refresh the
            // issue's details on cards, which the card outbox then sends.
            let mut sources_empty = true;
            if let Some(github) = &state.github {
                sources_empty = state
                    .sync
                    .drain_sources_until_empty(github.connector.as_ref(), limit)
                    .await?;
                let writes = state.sync.store().source_writes(GITHUB).await?;
                let _ = writeln!(
                    out,
                    "GitHub: {} edits waiting, {} conflicts, {} refused",
                    writes.waiting, writes.conflicts, writes.refused
                );
            }
            let empty = state
                .sync
                .drain_until_empty(limit.saturating_sub(started.elapsed()))
                .await?;
            let pending = state.sync.store().pending_count().await?;
            let _ = writeln!(out, "outbox: {pending} card writes pending");
            Ok(empty && sources_empty)
        }
        Command::Boards { query } => {
            let connection = connect::connect(&settings, &access).await?;
            eprintln!("talking to {}", connection.description);
            let query = BoardQuery {
                query,
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
        Command::Import(import) => {
            let state = import
                .state
                .unwrap_or_else(|| PathBuf::from(format!("{}.state.json", import.file.display())));
            let tags = import
                .tags
                .map(|t| {
                    t.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let import_args = import::ImportArgs {
                file: import.file,
                board: import.board,
                app_cards: import.kind == "app_card",
                key: import.key,
                state,
                tags,
                dry_run: import.dry_run,
            };
            let connection = connect::connect(&settings, &access).await?;
            eprintln!("talking to {}", connection.description);
            // Row and file problems are messages for the user, as written.
            import::run(&import_args, &connection, out)
                .await
                .map_err(anyhow::Error::msg)
        }
        Command::Manifest { name } => {
            let url = settings
                .public_url
                .as_deref()
                .filter(|url| !url.trim().is_empty())
                .context(
                "manifest needs --public-url URL or APP_PUBLIC_URL (where Miro reaches this server)",
            )?;
            let _ = write!(
                out,
                "{}",
                manifest::render(url, &name).map_err(anyhow::Error::msg)?
            );
            Ok(true)
        }
        #[cfg(feature = "sandbox")]
        Command::Sandbox { addr, app_url } => sandbox::run(&settings, addr, &app_url).await,
        #[cfg(feature = "sandbox")]
        Command::GithubStandin {
            addr,
            app_url,
            seed,
        } => github_standin::run(&settings, addr, &app_url, seed).await,
        Command::Installations { action: None } => installations::list(&settings, out).await,
        Command::Installations {
            action: Some(InstallationsAction::Revoke { team, user }),
        } => installations::revoke(&settings, &team, &user, out).await,
    }
}
