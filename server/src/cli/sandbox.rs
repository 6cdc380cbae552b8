//! `server sandbox`: the stand-in for Miro as a process of its own (REST,
//! OAuth, board pages, the Web SDK), for apps started with
//! `MIRO_SANDBOX_URL` pointing at it. Several app processes can then share
//! one "Miro", and a test can kill an app without killing Miro. Its fault
//! plan, credit budget and client secret come from the same settings as
//! the built-in sandbox's (`SANDBOX_FAULTS`, ...).

use std::net::SocketAddr;

use anyhow::Context as _;
use sandbox::Sandbox;

use crate::config::{sandbox_settings, Settings};

/// Serves the sandbox on `addr` for the app at `app_url` until Ctrl-C or
/// SIGTERM.
pub async fn run(settings: &Settings, addr: SocketAddr, app_url: &str) -> anyhow::Result<bool> {
    let public = settings.sandbox_public;
    anyhow::ensure!(
        addr.ip().is_loopback() || public,
        "the sandbox would listen on {addr}, which is not a loopback address: anyone who can \
         reach it could use its admin endpoints. Use 127.0.0.1, or set SANDBOX_PUBLIC=1 if \
         that is really meant"
    );
    let app_url = app_url.trim_end_matches('/');
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let public_url = format!("http://{}", listener.local_addr()?);
    let sandbox = Sandbox::new(sandbox_settings(settings, &public_url, app_url)?);
    // Tools and tests wait for this line.
    tracing::info!(
        "sandbox listening on {public_url} for the app at {app_url}; boards at \
         {public_url}/sandbox/boards/{}",
        sandbox::first_board_path(&sandbox)
    );
    crate::web::serving::serve(
        listener,
        sandbox.router(),
        crate::web::serving::ConnectionLimits::default(),
        crate::run::shutdown_signal(),
    )
    .await;
    Ok(true)
}
