//! Starts the server: reads the configuration, builds the router, serves it
//! until Ctrl-C or SIGTERM. Everything else lives in the library so tests
//! can build the same router without a socket.

use server::{config::Config, serve, ServerError};

#[tokio::main]
async fn main() -> Result<(), ServerError> {
    // A `.env` file is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    server::telemetry::init();

    let config = Config::from_env()?;
    serve(config).await
}
