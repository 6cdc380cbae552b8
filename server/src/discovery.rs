//! Reading a sandbox's discovery document (`/.well-known/miro-sandbox`):
//! how the sandbox registered our app. The command line reads it to sign in
//! to a sandbox; an app that uses a sandbox in its own process
//! (`MIRO_SANDBOX_URL`) reads it at start.

use serde::Deserialize;

/// Our app as the sandbox registered it.
#[derive(Deserialize)]
pub struct SandboxDiscovery {
    pub rest_base: String,
    pub authorize_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// The sandbox's teams, its first (the one it signs in by default)
    /// first. Older sandboxes list none.
    #[cfg(feature = "sandbox")]
    #[serde(default)]
    pub teams: Vec<SandboxTeam>,
}

/// One of the sandbox's teams.
#[cfg(feature = "sandbox")]
#[derive(Deserialize)]
pub struct SandboxTeam {
    pub team_id: String,
}

/// Why the document could not be had.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// Nothing answered, or not with a success.
    #[error("no sandbox answers: {0}")]
    Unreachable(reqwest::Error),
    /// An answer that is not the document.
    #[error("the sandbox's discovery document is unreadable: {0}")]
    Unreadable(reqwest::Error),
}

/// The discovery document of the sandbox at `sandbox_url` (no trailing
/// slash), fetched with `http`.
pub async fn read(
    http: &reqwest::Client,
    sandbox_url: &str,
) -> Result<SandboxDiscovery, DiscoveryError> {
    http.get(format!("{sandbox_url}/.well-known/miro-sandbox"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(DiscoveryError::Unreachable)?
        .json()
        .await
        .map_err(DiscoveryError::Unreadable)
}
