//! Configuration from the environment (a `.env` file is read too). Nothing
//! is required: with no Miro credentials the app runs in sandbox mode on
//! `127.0.0.1:3000`. `.env.sample` lists every variable.

use leptos::config::{get_configuration, LeptosOptions};

use crate::{
    miro::Secret,
    sandbox::{FaultPlan, LimitSettings, SandboxSettings},
    ServerError,
};

/// Miro's Web SDK script.
const MIRO_SDK_URL: &str = "https://miro.com/app/static/sdk/v2/miro.js";

/// Whether the app talks to Miro or to the sandbox it carries.
#[derive(Clone)]
pub enum Mode {
    /// No Miro credentials: the built-in sandbox stands in for Miro.
    Sandbox(SandboxSettings),
    /// A real Miro app's credentials.
    Miro {
        client_id: String,
        client_secret: Secret,
    },
}

impl std::fmt::Debug for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mode::Sandbox(_) => f.write_str("Sandbox"),
            Mode::Miro {
                client_id,
                client_secret,
            } => f
                .debug_struct("Miro")
                .field("client_id", client_id)
                .field("client_secret", client_secret)
                .finish(),
        }
    }
}

/// Everything the server needs to know at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Leptos's own settings (`LEPTOS_*`): site address, asset folder,
    /// output name. cargo-leptos sets them when it runs the server.
    pub leptos: LeptosOptions,
    /// Where browsers and Miro reach this server (`APP_PUBLIC_URL`), no
    /// trailing slash.
    pub public_url: String,
    /// The Web SDK script the app's pages load (`MIRO_SDK_URL`).
    pub sdk_url: String,
    /// Miro's REST base (`MIRO_API_BASE`); unused in sandbox mode.
    pub miro_api_base: String,
    pub mode: Mode,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ServerError> {
        let leptos = get_configuration(None)
            .map_err(|err| ServerError::Config(err.to_string()))?
            .leptos_options;
        let public_url = match var("APP_PUBLIC_URL") {
            Some(url) => {
                let parsed = url::Url::parse(&url).map_err(|e| {
                    ServerError::Config(format!("APP_PUBLIC_URL '{url}' is not a URL: {e}"))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ServerError::Config(format!(
                        "APP_PUBLIC_URL '{url}' must be http or https"
                    )));
                }
                url.trim_end_matches('/').to_owned()
            }
            None => format!("http://{}", leptos.site_addr),
        };
        let mode =
            match (var("MIRO_CLIENT_ID"), var("MIRO_CLIENT_SECRET")) {
                (Some(client_id), Some(secret)) => Mode::Miro {
                    client_id,
                    client_secret: Secret::new(secret),
                },
                (None, None) => Mode::Sandbox(sandbox_settings(&public_url)?),
                _ => return Err(ServerError::Config(
                    "set both MIRO_CLIENT_ID and MIRO_CLIENT_SECRET, or neither to run the sandbox"
                        .to_owned(),
                )),
            };
        let sdk_url = var("MIRO_SDK_URL").unwrap_or_else(|| match mode {
            Mode::Sandbox(_) => format!("{public_url}/sandbox/sdk/v2/miro.js"),
            Mode::Miro { .. } => MIRO_SDK_URL.to_owned(),
        });
        let miro_api_base =
            var("MIRO_API_BASE").unwrap_or_else(|| "https://api.miro.com".to_owned());
        Ok(Self {
            leptos,
            public_url,
            sdk_url,
            miro_api_base,
            mode,
        })
    }

    /// A sandbox-mode configuration for `leptos` options, as tests use it.
    pub fn sandbox(leptos: LeptosOptions, public_url: &str) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        Self {
            leptos,
            sdk_url: format!("{public_url}/sandbox/sdk/v2/miro.js"),
            miro_api_base: "https://api.miro.com".to_owned(),
            mode: Mode::Sandbox(SandboxSettings {
                public_url: public_url.clone(),
                app_sdk_uri: format!("{public_url}/miro/headless"),
                app_redirect_uri: format!("{public_url}/auth/miro/callback"),
                app_client_secret: None,
                limits: LimitSettings::default(),
                faults: FaultPlan::default(),
            }),
            public_url,
        }
    }
}

fn sandbox_settings(public_url: &str) -> Result<SandboxSettings, ServerError> {
    let faults = match var("SANDBOX_FAULTS") {
        Some(text) => text
            .parse()
            .map_err(|e| ServerError::Config(format!("SANDBOX_FAULTS: {e}")))?,
        None => FaultPlan::default(),
    };
    let mut limits = LimitSettings::default();
    if let Some(credits) = var("SANDBOX_CREDITS_PER_MINUTE") {
        limits.credits_per_window = credits.parse().map_err(|_| {
            ServerError::Config(format!(
                "SANDBOX_CREDITS_PER_MINUTE '{credits}' is not a whole number"
            ))
        })?;
    }
    Ok(SandboxSettings {
        public_url: public_url.to_owned(),
        app_sdk_uri: format!("{public_url}/miro/headless"),
        app_redirect_uri: format!("{public_url}/auth/miro/callback"),
        app_client_secret: var("SANDBOX_CLIENT_SECRET"),
        limits,
        faults,
    })
}
