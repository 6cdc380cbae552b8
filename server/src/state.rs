//! The one state value every handler and server function can reach. Axum
//! hands it to handlers; leptos_axum also provides it as Leptos context.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    config::{Config, Mode},
    miro::{ClientConfig, MiroClient, OAuthClient, RetryPolicy, Secret},
    sandbox::Sandbox,
};

/// Shared, cheaply cloned application state.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// The built-in stand-in for Miro, in sandbox mode.
    pub sandbox: Option<Sandbox>,
    /// The Miro client (pointed at the sandbox in sandbox mode) with its
    /// OAuth side.
    pub oauth: OAuthClient,
}

impl AppState {
    /// Builds the state from a loaded configuration.
    pub fn new(config: Config) -> Self {
        let (sandbox, oauth) = match &config.mode {
            Mode::Sandbox(settings) => {
                let sandbox = Sandbox::new(settings.clone());
                let app = sandbox.app_client().clone();
                let oauth = oauth_client(
                    sandbox.rest_base(),
                    format!("{}/sandbox/oauth/authorize", config.public_url),
                    app.client_id,
                    Secret::new(app.client_secret),
                );
                (Some(sandbox), oauth)
            }
            Mode::Miro {
                client_id,
                client_secret,
            } => {
                let oauth = oauth_client(
                    config.miro_api_base.clone(),
                    MIRO_AUTHORIZE_URL.to_owned(),
                    client_id.clone(),
                    client_secret.clone(),
                );
                (None, oauth)
            }
        };
        Self {
            config: Arc::new(config),
            sandbox,
            oauth,
        }
    }
}

/// Miro's authorize page.
const MIRO_AUTHORIZE_URL: &str = "https://miro.com/oauth/authorize";

fn oauth_client(
    rest_base: String,
    authorize_url: String,
    client_id: String,
    client_secret: Secret,
) -> OAuthClient {
    let client = MiroClient::new(ClientConfig {
        rest_base,
        client_id,
        policy: RetryPolicy::default(),
    });
    OAuthClient {
        client,
        authorize_url,
        client_secret,
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.config.leptos.clone()
    }
}
