//! `server github-standin`: the stand-in for GitHub as a process of its
//! own, so the GitHub connector can be tried with no GitHub account. It
//! takes the same `GITHUB_REPOSITORIES`, `GITHUB_TOKEN` and
//! `GITHUB_WEBHOOK_SECRET` as the app (the token it accepts, the secret it
//! signs deliveries with), seeds each repository with sample issues, and
//! delivers webhooks to the app's `/github/webhook`. Start the app with
//! `GITHUB_API_URL` set to the address it prints.

use std::net::SocketAddr;

use anyhow::Context as _;
use github_standin::{GitHubStandIn, Settings as StandInSettings};

use crate::config::{github_config, Settings};

/// Serves the stand-in on `addr` for the app at `app_url`, with `seed`
/// sample issues in each repository, until Ctrl-C or SIGTERM.
pub async fn run(
    settings: &Settings,
    addr: SocketAddr,
    app_url: &str,
    seed: usize,
) -> anyhow::Result<bool> {
    anyhow::ensure!(
        addr.ip().is_loopback() || settings.sandbox_public,
        "the GitHub stand-in would listen on {addr}, which is not a loopback address: anyone \
         who can reach it could use its admin endpoints. Use 127.0.0.1, or set \
         SANDBOX_PUBLIC=1 if that is really meant"
    );
    let config = github_config(settings, None)?.context(
        "the GitHub stand-in takes the app's GITHUB_REPOSITORIES, GITHUB_TOKEN and \
         GITHUB_WEBHOOK_SECRET; set them (the same for both processes)",
    )?;
    let repositories: Vec<String> = config.repositories.iter().map(|r| r.full_name()).collect();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let public_url = format!("http://{}", listener.local_addr()?);
    let webhook_url = format!("{}/github/webhook", app_url.trim_end_matches('/'));
    let standin = GitHubStandIn::new(StandInSettings {
        token: config.token.expose().to_owned(),
        webhook_url: Some(webhook_url.clone()),
        webhook_secret: config.webhook_secret.expose().to_owned(),
        repositories: repositories.clone(),
        per_page_max: 100,
        // GitHub's primary limit for a token.
        rate_limit: 5000,
    });
    for repository in &repositories {
        standin.seed_issues(repository, seed);
    }
    // Tools wait for this line.
    tracing::info!(
        "GitHub stand-in listening on {public_url} ({} with {seed} issues each), delivering \
         to {webhook_url}; start the app with GITHUB_API_URL={public_url}",
        repositories.join(", ")
    );
    crate::web::serving::serve(
        listener,
        standin.router(),
        crate::web::serving::ConnectionLimits::default(),
        crate::run::shutdown_signal(),
    )
    .await;
    Ok(true)
}
