//! Starts the server: reads the configuration, builds the router, serves it
//! until Ctrl-C or SIGTERM. With arguments it runs the command line instead
//! (`server --help`). Everything else lives in the library so tests can
//! build the same router without a socket.

use clap::Parser as _;
use server::{
    cli::{Cli, Command},
    config::Config,
    run::serve,
};

// The allocator: see docs/benchmarks.md ("What changed").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() {
    // A `.env` file is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    server::telemetry::init();

    // `--help`, `--version` and unknown flags end here, with clap's message.
    let cli = Cli::parse();
    if !matches!(cli.command, None | Some(Command::Serve)) {
        std::process::exit(server::cli::run(cli).await);
    }

    // A setting that is wrong stops the start with a message naming it,
    // rather than serving something other than what was configured.
    let started = match Config::from_settings(&cli.settings) {
        Ok(config) => serve(config).await,
        Err(error) => Err(error),
    };
    if let Err(error) = started {
        eprintln!("server: {error}");
        std::process::exit(1);
    }
}
