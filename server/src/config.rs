//! Configuration from the environment (a `.env` file is read too). Nothing
//! is required: with no Miro credentials the app runs in sandbox mode on
//! `127.0.0.1:3000`. `.env.sample` lists every variable.

use leptos::config::{get_configuration, LeptosOptions};

#[cfg(feature = "sandbox")]
use sandbox::{FaultPlan, LimitSettings, SandboxSettings};

use crate::{miro::Secret, ServerError};

/// Miro's Web SDK script.
const MIRO_SDK_URL: &str = "https://miro.com/app/static/sdk/v2/miro.js";
/// Where Miro sends the browser back after an install (the app's
/// registered redirect URI is the public URL plus this).
pub const OAUTH_CALLBACK_PATH: &str = "/oauth/callback";
/// Miro's REST base (`MIRO_API_BASE` changes it).
pub const MIRO_API_BASE: &str = "https://api.miro.com";
/// Miro's authorize page, where an install starts.
pub const MIRO_AUTHORIZE_URL: &str = "https://miro.com/oauth/authorize";
/// Miro's page that tells the user the app is installed.
const MIRO_INSTALL_COMPLETED_URL: &str = "https://miro.com/app-install-completed/";

/// Whether the app talks to Miro or to the sandbox it carries.
#[derive(Clone)]
pub enum Mode {
    /// No Miro credentials: the built-in sandbox stands in for Miro.
    #[cfg(feature = "sandbox")]
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
            #[cfg(feature = "sandbox")]
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
    /// The page an install ends on (Miro's, or the sandbox's).
    pub install_completed_url: String,
    pub mode: Mode,
    /// The store (`DATABASE_URL`): `sqlite://path` (created on first start).
    pub database_url: String,
    /// The key that seals stored tokens (`APP_SECRET_KEY`, base64 of 32
    /// bytes). Unset: a key generated into the database's folder.
    pub secret_key: Option<Secret>,
    /// A card template file (`CARD_TEMPLATE`, TOML); unset: the default.
    pub card_template: Option<std::path::PathBuf>,
    /// Outbox and reconciliation pacing.
    pub sync: crate::sync::SyncSettings,
}

/// Where the store lives unless `DATABASE_URL` says otherwise.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/app.db";

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ServerError> {
        let mut leptos = get_configuration(None)
            .map_err(|err| ServerError::Config(err.to_string()))?
            .leptos_options;
        // cargo-leptos sets LEPTOS_HASH_FILES when it runs the server; a
        // server started by hand uses hashed asset names when the build
        // left their hash file beside it.
        let hash_file = crate::assets::hash_file_path(&leptos);
        let have_hashes = hash_file.as_ref().is_some_and(|path| path.is_file());
        if var("LEPTOS_HASH_FILES").is_none() {
            leptos.hash_files = have_hashes;
        } else if leptos.hash_files && !have_hashes {
            // Leptos would fail every page it renders.
            return Err(ServerError::Config(format!(
                "LEPTOS_HASH_FILES is true, but there is no hash file at {}: build the site \
                 with cargo-leptos (it writes the file beside the server binary)",
                hash_file.map_or_else(|| "?".to_owned(), |p| p.display().to_string())
            )));
        }
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
                #[cfg(feature = "sandbox")]
                (None, None) => Mode::Sandbox(sandbox_settings(&public_url)?),
                #[cfg(not(feature = "sandbox"))]
                (None, None) => {
                    return Err(ServerError::Config(
                        "set MIRO_CLIENT_ID and MIRO_CLIENT_SECRET: this build has no sandbox \
                     (it was built without the `sandbox` feature)"
                            .to_owned(),
                    ))
                }
                _ => return Err(ServerError::Config(
                    "set both MIRO_CLIENT_ID and MIRO_CLIENT_SECRET, or neither to run the sandbox"
                        .to_owned(),
                )),
            };
        if matches!(mode, Mode::Miro { .. }) && var("APP_SECRET_KEY").is_none() {
            // A generated key would be lost with the data folder, and every
            // stored token with it; several processes must share one too.
            return Err(ServerError::Config(
                "with MIRO_CLIENT_ID and MIRO_CLIENT_SECRET set, also set APP_SECRET_KEY \
                 (32 random bytes in base64, e.g. `openssl rand -base64 32`): it seals the \
                 stored Miro tokens and signs sessions"
                    .to_owned(),
            ));
        }
        let install_completed_url = match mode {
            #[cfg(feature = "sandbox")]
            Mode::Sandbox(_) => format!("{public_url}/sandbox/app-install-completed"),
            Mode::Miro { .. } => MIRO_INSTALL_COMPLETED_URL.to_owned(),
        };
        let sdk_url = var("MIRO_SDK_URL").unwrap_or_else(|| match mode {
            #[cfg(feature = "sandbox")]
            Mode::Sandbox(_) => format!("{public_url}/sandbox/sdk/v2/miro.js"),
            Mode::Miro { .. } => MIRO_SDK_URL.to_owned(),
        });
        let miro_api_base = var("MIRO_API_BASE").unwrap_or_else(|| MIRO_API_BASE.to_owned());
        let mut sync = crate::sync::SyncSettings::default();
        if let Some(seconds) = var("RECONCILE_INTERVAL_SECONDS") {
            sync.reconcile_interval =
                std::time::Duration::from_secs(seconds.parse().map_err(|_| {
                    ServerError::Config(format!(
                        "RECONCILE_INTERVAL_SECONDS '{seconds}' is not a whole number"
                    ))
                })?);
        }
        if let Some(credits) = var("RECONCILE_CREDITS") {
            sync.reconcile_credits = credits.parse().map_err(|_| {
                ServerError::Config(format!(
                    "RECONCILE_CREDITS '{credits}' is not a whole number"
                ))
            })?;
        }
        Ok(Self {
            leptos,
            public_url,
            sdk_url,
            miro_api_base,
            install_completed_url,
            mode,
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            secret_key: var("APP_SECRET_KEY").map(Secret::new),
            card_template: var("CARD_TEMPLATE").map(std::path::PathBuf::from),
            sync,
        })
    }

    /// A sandbox-mode configuration for `leptos` options, as tests use it:
    /// its store is a new database in the system's temporary folder.
    #[cfg(feature = "sandbox")]
    pub fn sandbox(leptos: LeptosOptions, public_url: &str) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        let folder = std::env::temp_dir().join(crate::store::new_id("miro-cards-test"));
        Self {
            database_url: format!("sqlite://{}", folder.join("app.db").display()),
            secret_key: None,
            card_template: None,
            sync: crate::sync::SyncSettings::default(),
            leptos,
            sdk_url: format!("{public_url}/sandbox/sdk/v2/miro.js"),
            miro_api_base: MIRO_API_BASE.to_owned(),
            install_completed_url: format!("{public_url}/sandbox/app-install-completed"),
            mode: Mode::Sandbox(SandboxSettings {
                public_url: public_url.clone(),
                app_sdk_uri: format!("{public_url}/miro/headless"),
                app_redirect_uri: format!("{public_url}{OAUTH_CALLBACK_PATH}"),
                app_client_secret: None,
                limits: LimitSettings::default(),
                faults: FaultPlan::default(),
            }),
            public_url,
        }
    }
}

impl Config {
    /// Refuses to serve what would be unsafe to serve: a sandbox (whose
    /// admin endpoints, client secret and board pages need no sign-in)
    /// beyond loopback unless `SANDBOX_PUBLIC=1` says that is meant, and a
    /// real Miro app at an address that is not https (Miro loads app pages
    /// over https only).
    pub fn refuse_unsafe_serving(&self) -> Result<(), ServerError> {
        match &self.mode {
            #[cfg(feature = "sandbox")]
            Mode::Sandbox(_)
                if !self.leptos.site_addr.ip().is_loopback()
                    && var("SANDBOX_PUBLIC").as_deref() != Some("1") =>
            {
                let addr = self.leptos.site_addr;
                Err(ServerError::Config(format!(
                    "sandbox mode (no MIRO_CLIENT_ID/MIRO_CLIENT_SECRET) would listen on {addr}, \
                     which is not a loopback address: anyone who can reach it could use the \
                     sandbox's admin endpoints and client secret. Listen on 127.0.0.1 \
                     (LEPTOS_SITE_ADDR), set the Miro credentials, or set SANDBOX_PUBLIC=1 if \
                     exposing the sandbox is really meant"
                )))
            }
            Mode::Miro { .. } if !self.public_url.starts_with("https://") => {
                Err(ServerError::Config(format!(
                    "APP_PUBLIC_URL must be set to the https address Miro reaches this server at \
                     (now {}): Miro loads app pages over https only",
                    self.public_url
                )))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(feature = "sandbox")]
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
        app_redirect_uri: format!("{public_url}{OAUTH_CALLBACK_PATH}"),
        app_client_secret: var("SANDBOX_CLIENT_SECRET"),
        limits,
        faults,
    })
}
