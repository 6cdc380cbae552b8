//! The work that runs beside request handling: the outbox worker, the
//! reconciliation pass, the GitHub connector's source writes and poll,
//! and, in sandbox mode, the app's own installation into the sandbox.

use crate::state::AppState;

/// Starts the background tasks; they run until the process ends.
pub fn start(state: &AppState) {
    let engine = state.sync.clone();
    tokio::spawn(engine.clone().run_worker());
    tokio::spawn(engine.clone().run_reconciler());
    if let Some(github) = &state.github {
        // Edits saved in Miro go to the issues through the source outbox.
        tokio::spawn(engine.clone().run_source_worker(github.connector.clone()));
        if let Some(interval) = github.poll_interval {
            let poll = crate::sync::connector::github::poll::run(
                engine,
                github.connector.clone(),
                interval,
            );
            tokio::spawn(poll);
        }
    }
    #[cfg(feature = "sandbox")]
    if state.is_sandbox() {
        let state = state.clone();
        tokio::spawn(async move {
            match crate::sandbox_install::install_and_link(&state).await {
                Ok(report) => tracing::info!(
                    linked = report.linked,
                    rewritten = report.rewritten,
                    "sandbox: the app is installed and the seeded cards are linked"
                ),
                Err(error) => tracing::error!(%error, "sandbox: installing the app failed"),
            }
        });
    }
}
