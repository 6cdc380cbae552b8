//! Starts the server: reads the configuration, builds the router, serves it
//! until Ctrl-C or SIGTERM. With arguments it runs the command line instead
//! (`server --help`). Everything else lives in the library so tests can
//! build the same router without a socket.

use server::{config::Config, serve, ServerError};

#[tokio::main]
async fn main() -> Result<(), ServerError> {
    // A `.env` file is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    server::telemetry::init();

    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        std::process::exit(server::cli::run(args).await);
    }

    let config = Config::from_env()?;
    serve(config).await
}
