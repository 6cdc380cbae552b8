//! Runs the app: builds the state from the configuration, starts the work
//! beside the requests, and serves the router on the configured address
//! until a shutdown signal.

use crate::{
    background,
    config::Config,
    error::ServerError,
    state::AppState,
    web::{app_router, github_webhook::WEBHOOK_PATH, serving},
};

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
            WEBHOOK_PATH
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
