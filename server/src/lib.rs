//! The server side of the app: configuration, the HTTP router (pages, server
//! functions, assets, health), and the services behind them.

// The detail view's component tree is deep; release builds (without
// `erase_components`) need more than the default type depth for it.
#![recursion_limit = "256"]

pub mod assets;
mod background;
mod body;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod detail;
mod discovery;
mod error;
mod headless;
mod health;
mod html;
pub mod install;
pub mod log_throttle;
pub mod panel;
mod query;
pub mod rate_limit;
mod router;
#[cfg(feature = "sandbox")]
pub mod sandbox_install;
mod security;
pub mod serving;
mod signed;
mod state;
pub mod store;
pub mod sync;
pub mod teams;
pub mod telemetry;

pub use error::ServerError;
/// The Miro client (its own crate: it shares nothing with the sandbox).
pub use miro;
pub use router::app_router;
/// The stand-in for Miro, in builds with the `sandbox` feature (the
/// default).
#[cfg(feature = "sandbox")]
pub use sandbox;
pub use state::AppState;

use config::Config;

/// Binds the configured address and serves the app until a shutdown signal.
pub async fn serve(config: Config) -> Result<(), ServerError> {
    config.refuse_unsafe_serving()?;
    let addr = config.leptos.site_addr;
    let state = AppState::new(config).await?;
    #[cfg(feature = "sandbox")]
    if let Some(sandbox) = &state.sandbox {
        tracing::info!(
            "sandbox mode: no Miro credentials set; boards at {}/sandbox/boards/{}",
            state.config.public_url,
            sandbox::first_board_path(sandbox)
        );
    }
    if let Some(github) = &state.config.github {
        let names: Vec<String> = github.repositories.iter().map(|r| r.full_name()).collect();
        tracing::info!(
            "GitHub connector on for {}; webhooks to {}{}",
            names.join(", "),
            state.config.public_url,
            sync::connector::github::webhook::WEBHOOK_PATH
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    // The end-to-end harness and the quick-start script wait for this line.
    tracing::info!("listening on http://{addr}");
    background::start(&state);
    let store = state.sync.store().clone();
    serving::serve(
        listener,
        app_router(state),
        serving::ConnectionLimits::default(),
        shutdown_signal(),
    )
    .await;
    // Requests have finished: close the store, so that on SQLite the
    // write-ahead log is checkpointed into the database file and the file
    // alone holds everything (what a backup copies).
    store.close().await;
    tracing::info!("store closed");
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM (what test harnesses and process
/// managers send), so in-flight requests finish before the process exits.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
