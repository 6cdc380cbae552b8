//! The one state value every handler and server function can reach. Axum
//! hands it to handlers; leptos_axum also provides it as Leptos context.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use app::cards::{template::DEFAULT_TEMPLATE_TOML, CardTemplate};

use crate::{
    board_access::BoardAccess,
    config::{Config, Mode},
    error::ServerError,
    log_throttle::RefusalLogs,
    miro::{ClientConfig, MiroClient, OAuthClient, RetryPolicy, Secret},
    rate_limit::RateLimits,
    site::HashedAssets,
    store::{self, SecretKey, SqlStore, Store},
    sync::{connector::github::GitHub, SyncEngine},
    teams::Teams,
};

/// Shared, cheaply cloned application state.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// The built-in stand-in for Miro, in sandbox mode.
    #[cfg(feature = "sandbox")]
    pub sandbox: Option<sandbox::Sandbox>,
    /// The Miro client (pointed at the sandbox in sandbox mode) with its
    /// OAuth side.
    pub oauth: OAuthClient,
    /// The store and the sync engine around it.
    pub sync: SyncEngine,
    /// Seals stored tokens; signs detail-view sessions (a derived key).
    pub secret_key: SecretKey,
    /// Recent confirmations that a user's Miro connection reaches a board.
    pub board_access: BoardAccess,
    /// The site's files with content-hashed names, cached for a year.
    pub hashed_assets: HashedAssets,
    /// What the detail page and the panel link (names read once, here).
    pub card_files: app::PageFiles,
    pub panel_files: app::PageFiles,
    /// Leptos's settings for the panel's page: its bundle is a site of its
    /// own (see [`crate::site::panel_options`]).
    pub panel_leptos: LeptosOptions,
    /// Per-user limits on the calls that cost Miro calls.
    pub rate_limits: RateLimits,
    /// The GitHub Issues connector, when `GITHUB_*` configure it.
    pub github: Option<GitHub>,
    /// Which teams may use the app, and which records each reaches.
    pub teams: Teams,
    /// Refusals logged at most once a minute per client address.
    pub refusal_logs: RefusalLogs,
}

impl AppState {
    /// Whether a sandbox (built in, or its own process) stands in for Miro.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox_board_origin().is_some()
    }

    /// In sandbox mode, the origin of the sandbox's board page, which
    /// frames our pages: `'self'` for the built-in sandbox.
    pub fn sandbox_board_origin(&self) -> Option<String> {
        match &self.config.mode {
            #[cfg(feature = "sandbox")]
            Mode::Sandbox(_) => Some("'self'".to_owned()),
            #[cfg(feature = "sandbox")]
            Mode::RemoteSandbox { url } => url::Url::parse(url)
                .ok()
                .map(|url| url.origin().ascii_serialization()),
            Mode::Miro { .. } => None,
        }
    }

    /// Builds the state from a loaded configuration: opens (and migrates)
    /// the store and loads the card template.
    pub async fn new(config: Config) -> Result<Self, ServerError> {
        let (sandbox, oauth) = match &config.mode {
            #[cfg(feature = "sandbox")]
            Mode::Sandbox(settings) => {
                let sandbox = sandbox::Sandbox::new(settings.clone());
                let app = sandbox.app_client().clone();
                let oauth = oauth_client(
                    sandbox.rest_base(),
                    format!("{}/sandbox/oauth/authorize", config.public_url),
                    app.client_id,
                    Secret::new(app.client_secret),
                );
                (Some(sandbox), oauth)
            }
            #[cfg(feature = "sandbox")]
            Mode::RemoteSandbox { url } => {
                let app = remote_sandbox_app(url).await?;
                (
                    None,
                    oauth_client(
                        app.rest_base,
                        app.authorize_url,
                        app.client_id,
                        Secret::new(app.client_secret),
                    ),
                )
            }
            Mode::Miro {
                client_id,
                client_secret,
            } => {
                let oauth = oauth_client(
                    config.miro_api_base.clone(),
                    crate::config::MIRO_AUTHORIZE_URL.to_owned(),
                    client_id.clone(),
                    client_secret.clone(),
                );
                (None, oauth)
            }
        };
        #[cfg(not(feature = "sandbox"))]
        let _: Option<()> = sandbox;
        let (store, secret_key) = open_store(&config).await?;
        let template = load_template(config.card_template.as_deref())?;
        let github = config
            .github
            .as_ref()
            .map(|github| {
                let statuses = template.statuses.iter().map(|s| s.key.clone()).collect();
                GitHub::new(github, statuses)
                    .map_err(|e| ServerError::Config(format!("the GitHub connector: {e}")))
            })
            .transpose()?;
        let sync = SyncEngine::new(
            store,
            oauth.clone(),
            Arc::new(template),
            config.sync.clone(),
        );
        let teams = teams_of(&config);
        let panel_leptos = crate::site::panel_options(&config.leptos);
        let hashed_assets =
            HashedAssets::load(&config.leptos).with(&HashedAssets::load(&panel_leptos));
        let card_files = crate::site::page_files(&config.leptos);
        let panel_files =
            crate::site::page_files(&panel_leptos).with_stylesheet(card_files.stylesheet.clone());
        Ok(Self {
            hashed_assets,
            card_files,
            panel_files,
            panel_leptos,
            rate_limits: RateLimits::new(config.rate_limits),
            config: Arc::new(config),
            #[cfg(feature = "sandbox")]
            sandbox,
            oauth,
            sync,
            secret_key,
            board_access: BoardAccess::default(),
            github,
            teams,
            refusal_logs: RefusalLogs::default(),
        })
    }
}

/// The allowed teams and the GitHub repositories' teams, as configured.
fn teams_of(config: &Config) -> Teams {
    let repositories: Vec<(String, Option<Vec<String>>)> = config
        .github
        .iter()
        .flat_map(|github| {
            github.repositories.iter().map(|repo| {
                let assigned = github
                    .repository_teams
                    .iter()
                    .find(|(name, _)| repo.is(name))
                    .map(|(_, teams)| teams.clone());
                (repo.full_name(), assigned)
            })
        })
        .collect();
    Teams::new(config.allowed_teams.clone(), &repositories)
}

/// Reads the discovery document of the sandbox at `url`, waiting up to
/// 15 s for it to answer (it may be starting beside us).
#[cfg(feature = "sandbox")]
async fn remote_sandbox_app(url: &str) -> Result<crate::discovery::SandboxDiscovery, ServerError> {
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let error = match crate::discovery::read(&http, url).await {
            Ok(app) => return Ok(app),
            Err(error) => error,
        };
        if std::time::Instant::now() > deadline {
            return Err(ServerError::Config(format!(
                "MIRO_SANDBOX_URL {url}: {error} (start one with `server sandbox`)"
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Opens the store `DATABASE_URL` names, with the key that seals tokens.
async fn open_store(config: &Config) -> Result<(Arc<dyn Store>, SecretKey), ServerError> {
    open_store_at(&config.database_url, config.secret_key.as_ref()).await
}

/// Opens (and migrates) the store at `url`, with the key that seals its
/// tokens: `secret_key`, or (SQLite only) the one generated beside the
/// database.
pub async fn open_store_at(
    url: &str,
    secret_key: Option<&Secret>,
) -> Result<(Arc<dyn Store>, SecretKey), ServerError> {
    let given_key = secret_key
        .map(|text| {
            SecretKey::from_base64(text.expose()).map_err(|e| ServerError::Config(e.to_string()))
        })
        .transpose()?;
    if store::is_postgres(url) {
        // A network database has no folder of ours to keep a generated key
        // in, and every instance on it must seal with the same key.
        let key = given_key.ok_or_else(|| {
            ServerError::Config(
                "with DATABASE_URL naming a PostgreSQL database, also set APP_SECRET_KEY \
                 (32 random bytes in base64, e.g. `openssl rand -base64 32`): it seals the \
                 stored Miro tokens and signs sessions, and every instance on the database \
                 must use the same one"
                    .to_owned(),
            )
        })?;
        let store = SqlStore::open(url, key.clone())
            .await
            .map_err(|e| ServerError::Store(e.to_string()))?;
        return Ok((Arc::new(store), key));
    }
    let Some(path) = sqlite_path(url) else {
        return Err(ServerError::Config(format!(
            "DATABASE_URL '{}' is not supported: use sqlite://path/to/app.db or \
             postgres://user:password@host/database",
            redact_password(url)
        )));
    };
    let key = match given_key {
        Some(key) => key,
        None => {
            let folder = std::path::Path::new(path)
                .parent()
                .unwrap_or(std::path::Path::new("."));
            SecretKey::load_or_create(&folder.join("secret.key"))
                .map_err(|e| ServerError::Config(e.to_string()))?
        }
    };
    let store = SqlStore::open(url, key.clone())
        .await
        .map_err(|e| ServerError::Store(e.to_string()))?;
    Ok((Arc::new(store), key))
}

/// `url` with any password replaced, for messages: a URL that is not
/// supported may still carry one.
fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.into()
        }
        _ => url.to_owned(),
    }
}

/// The file of a `sqlite:` URL, without its query.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// The card template: the file `CARD_TEMPLATE` names, or the default.
pub fn load_template(path: Option<&std::path::Path>) -> Result<CardTemplate, ServerError> {
    let (text, source) = match path {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| {
                ServerError::Config(format!("CARD_TEMPLATE {}: {e}", path.display()))
            })?,
            path.display().to_string(),
        ),
        None => (
            DEFAULT_TEMPLATE_TOML.to_owned(),
            "the default card template".to_owned(),
        ),
    };
    let template: CardTemplate =
        toml::from_str(&text).map_err(|e| ServerError::Config(format!("{source}: {e}")))?;
    template
        .check()
        .map_err(|problems| ServerError::Config(format!("{source}: {}", problems.join("; "))))?;
    Ok(template)
}

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
