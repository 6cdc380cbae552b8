//! Configuration from flags or the environment (a `.env` file is read
//! too), declared with clap in `Settings`. Nothing is required: with no Miro credentials the app runs in sandbox mode on
//! `127.0.0.1:3000`. `.env.sample` lists every variable.

use leptos::config::{get_configuration, LeptosOptions};

#[cfg(feature = "sandbox")]
use sandbox::{FaultPlan, LimitSettings, SandboxSettings};

use crate::{
    miro::Secret,
    sync::connector::github::{GitHubConfig, Repo, DEFAULT_API_URL as GITHUB_API_URL},
    ServerError,
};

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
    /// No Miro credentials, and `MIRO_SANDBOX_URL` names a sandbox running
    /// as its own process (`server sandbox`), which stands in for Miro for
    /// this app (and others beside it).
    #[cfg(feature = "sandbox")]
    RemoteSandbox { url: String },
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
            #[cfg(feature = "sandbox")]
            Mode::RemoteSandbox { url } => write!(f, "RemoteSandbox({url})"),
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
    /// The Miro teams that may install and use the app
    /// (`MIRO_ALLOWED_TEAMS`); `None` in sandbox mode when unset: every
    /// team of the sandbox.
    pub allowed_teams: Option<Vec<String>>,
    /// The store (`DATABASE_URL`): `sqlite://path` (created on first start).
    pub database_url: String,
    /// The key that seals stored tokens (`APP_SECRET_KEY`, base64 of 32
    /// bytes). Unset: a key generated into the database's folder.
    pub secret_key: Option<Secret>,
    /// A card template file (`CARD_TEMPLATE`, TOML); unset: the default.
    pub card_template: Option<std::path::PathBuf>,
    /// Outbox and reconciliation pacing.
    pub sync: crate::sync::SyncSettings,
    /// Per-user limits on calls that cost Miro calls (`RATE_LIMITS`).
    pub rate_limits: bool,
    /// Reverse proxies whose forwarding headers name the client
    /// (`TRUSTED_PROXIES`); none: the TCP peer is the client.
    pub trusted_proxies: crate::client_address::TrustedProxies,
    /// Sandbox mode may listen beyond loopback (`SANDBOX_PUBLIC`).
    #[cfg(feature = "sandbox")]
    pub sandbox_public: bool,
    /// The GitHub Issues connector (`GITHUB_*`); `None`: off.
    pub github: Option<GitHubConfig>,
}

/// The sandbox's Web SDK stand-in, for a sandbox served at `base`.
fn sandbox_sdk_url(base: &str) -> String {
    format!("{base}/sandbox/sdk/v2/miro.js")
}

/// The sandbox's "installed" page, for a sandbox served at `base`.
fn sandbox_install_completed_url(base: &str) -> String {
    format!("{base}/sandbox/app-install-completed")
}

/// Where the store lives unless `DATABASE_URL` says otherwise.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/app.db";

/// The server's settings as an operator gives them: each a flag or an
/// environment variable (a flag wins). A variable set to nothing counts as
/// unset, as in `.env.sample`. `Config::from_settings` checks them.
#[derive(clap::Args, Clone, Debug, Default)]
#[command(next_help_heading = "Settings (a flag or its environment variable)")]
pub struct Settings {
    /// Where browsers and Miro reach this server [default: http://SITE_ADDR]
    #[arg(long, global = true, env = "APP_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Where the server listens (cargo-leptos sets it from Cargo.toml)
    #[arg(long, global = true, env = "LEPTOS_SITE_ADDR", value_name = "ADDR")]
    pub site_addr: Option<std::net::SocketAddr>,
    /// The built site: WASM, JS, CSS and public files
    #[arg(long, global = true, env = "LEPTOS_SITE_ROOT", value_name = "DIR")]
    pub site_root: Option<String>,
    /// Whether the bundle has content-hashed names [default: whether the build left hash.txt beside the binary]
    #[arg(long, global = true, env = "LEPTOS_HASH_FILES", value_name = "BOOL", value_parser = boolean)]
    pub hash_files: Option<Blankable<bool>>,
    /// A real Miro app's client id (unset with the secret: sandbox mode)
    #[arg(long, global = true, env = "MIRO_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// The Miro teams that may install and use the app: team ids, comma-separated (required with Miro credentials; in sandbox mode, unset allows the sandbox's teams)
    #[arg(
        long,
        global = true,
        env = "MIRO_ALLOWED_TEAMS",
        value_name = "TEAM_ID,..."
    )]
    pub allowed_teams: Option<String>,
    /// A real Miro app's client secret
    #[arg(
        long,
        global = true,
        env = "MIRO_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub client_secret: Option<String>,
    /// Miro's REST base; clients append /v2/...
    #[arg(long, global = true, env = "MIRO_API_BASE", value_name = "URL")]
    pub api_base: Option<String>,
    /// The Web SDK script the app's pages load [default: Miro's, or the sandbox's]
    #[arg(long, global = true, env = "MIRO_SDK_URL", value_name = "URL")]
    pub sdk_url: Option<String>,
    /// The store, `sqlite://path` (created on first start) or `postgres://user:password@host/database` [default: sqlite://data/app.db]
    #[arg(long, global = true, env = "DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Seals stored tokens and signs sessions: 32 random bytes in base64 (required with Miro credentials)
    #[arg(
        long,
        global = true,
        env = "APP_SECRET_KEY",
        hide_env_values = true,
        value_name = "BASE64"
    )]
    pub secret_key: Option<String>,
    /// The card template file (TOML) [default: the built-in template]
    #[arg(long, global = true, env = "CARD_TEMPLATE", value_name = "FILE")]
    pub card_template: Option<String>,
    /// How often each board with linked cards is compared with the store [default: 600]
    #[arg(long, global = true, env = "RECONCILE_INTERVAL_SECONDS", value_name = "SECONDS", value_parser = whole_number)]
    pub reconcile_interval_seconds: Option<Blankable<u64>>,
    /// REST credits one reconciliation pass may spend per board [default: 2000]
    #[arg(long, global = true, env = "RECONCILE_CREDITS", value_name = "CREDITS", value_parser = whole_number)]
    pub reconcile_credits: Option<Blankable<u64>>,
    /// How long one process may hold a card's write lease; a process that dies holding it delays that card this long [default: 60]
    #[arg(long, global = true, env = "WRITE_LEASE_SECONDS", value_name = "SECONDS", value_parser = whole_number)]
    pub write_lease_seconds: Option<Blankable<u64>>,
    /// A sandbox running as its own process (`server sandbox`): the app uses it instead of the built-in one; the command line signs in to it [default for the command line: http://127.0.0.1:3000]
    #[arg(long, global = true, env = "MIRO_SANDBOX_URL", value_name = "URL")]
    pub sandbox_url: Option<String>,
    /// Limits per user on calls that cost Miro calls: on, or off for load benchmarks only [default: on]
    #[arg(long, global = true, env = "RATE_LIMITS", value_name = "on|off")]
    pub rate_limits: Option<String>,
    /// Reverse proxies in front of the server, comma-separated addresses or CIDRs: a request from one of them is counted against the client its X-Forwarded-For (or Forwarded) header names [default: none; the TCP peer is the client]
    #[arg(long, global = true, env = "TRUSTED_PROXIES", value_name = "CIDR,...")]
    pub trusted_proxies: Option<String>,
    /// GitHub repositories whose issues are records, comma-separated owner/name (unset: the GitHub connector is off)
    #[arg(
        long,
        global = true,
        env = "GITHUB_REPOSITORIES",
        value_name = "OWNER/NAME,..."
    )]
    pub github_repositories: Option<String>,
    /// A GitHub token that can read and write those repositories' issues (fine-grained personal token or GitHub App installation token)
    #[arg(
        long,
        global = true,
        env = "GITHUB_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        value_parser = secret
    )]
    pub github_token: Option<Secret>,
    /// The secret GitHub signs webhook deliveries with (at least 16 characters)
    #[arg(
        long,
        global = true,
        env = "GITHUB_WEBHOOK_SECRET",
        hide_env_values = true,
        value_name = "SECRET",
        value_parser = secret
    )]
    pub github_webhook_secret: Option<Secret>,
    /// Which teams see each repository's issues: owner/name=TEAM_ID+TEAM_ID, comma-separated [default: a repository not named is seen by every allowed team]
    #[arg(
        long,
        global = true,
        env = "GITHUB_REPOSITORY_TEAMS",
        value_name = "OWNER/NAME=TEAM+TEAM,..."
    )]
    pub github_repository_teams: Option<String>,
    /// GitHub's REST API (GitHub Enterprise: `https://HOST/api/v3`) [default: `https://api.github.com`]
    #[arg(long, global = true, env = "GITHUB_API_URL", value_name = "URL")]
    pub github_api_url: Option<String>,
    /// How often the GitHub connector polls for changes whose webhook was missed; 0 turns polling off [default: 300]
    #[arg(long, global = true, env = "GITHUB_POLL_SECONDS", value_name = "SECONDS", value_parser = whole_number)]
    pub github_poll_seconds: Option<Blankable<u64>>,
    /// Sandbox mode: listen beyond loopback too (anyone who reaches it can use its admin endpoints)
    #[cfg(feature = "sandbox")]
    #[arg(long, global = true, env = "SANDBOX_PUBLIC", value_parser = clap::builder::FalseyValueParser::new())]
    pub sandbox_public: bool,
    /// Sandbox mode: fault injection, e.g. 429=0.1,500=0.1,drop=0.05,latency_ms=50,seed=7
    #[cfg(feature = "sandbox")]
    #[arg(long, global = true, env = "SANDBOX_FAULTS", value_name = "PLAN")]
    pub sandbox_faults: Option<String>,
    /// Sandbox mode: REST credits per user and app per minute [default: 100000]
    #[cfg(feature = "sandbox")]
    #[arg(long, global = true, env = "SANDBOX_CREDITS_PER_MINUTE", value_name = "CREDITS", value_parser = whole_number)]
    pub sandbox_credits_per_minute: Option<Blankable<u64>>,
    /// Sandbox mode: a fixed client secret [default: random per start]
    #[cfg(feature = "sandbox")]
    #[arg(
        long,
        global = true,
        env = "SANDBOX_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub sandbox_client_secret: Option<String>,
}

/// A typed setting whose variable may be set to nothing, which counts as
/// unset (clap hands a blank variable to the parser as a value).
#[derive(Clone, Copy, Debug)]
pub struct Blankable<T>(Option<T>);

impl<T: Copy> Blankable<T> {
    /// The value, unless it was not given or given blank.
    pub fn of(setting: Option<Self>) -> Option<T> {
        setting.and_then(|value| value.0)
    }
}

fn whole_number(text: &str) -> Result<Blankable<u64>, String> {
    match text.trim() {
        "" => Ok(Blankable(None)),
        digits => digits
            .parse()
            .map(|n| Blankable(Some(n)))
            .map_err(|_| format!("'{text}' is not a whole number")),
    }
}

fn boolean(text: &str) -> Result<Blankable<bool>, String> {
    match text.trim() {
        "" => Ok(Blankable(None)),
        "true" => Ok(Blankable(Some(true))),
        "false" => Ok(Blankable(Some(false))),
        _ => Err(format!("'{text}' is neither true nor false")),
    }
}

/// A secret setting: printed as `<redacted>`, even in `Settings`' Debug.
fn secret(text: &str) -> Result<Secret, String> {
    Ok(Secret::new(text))
}

/// A secret setting, trimmed, unless it is blank.
fn given_secret(value: &Option<Secret>) -> Option<Secret> {
    value
        .as_ref()
        .map(|s| s.expose().trim())
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

/// The shortest webhook secret taken: a short one can be guessed from a
/// signed delivery.
const MIN_WEBHOOK_SECRET_CHARS: usize = 16;

/// The GitHub connector's settings: all of them or none (off). Teams that
/// repositories are assigned to must be among `allowed` (when listed).
pub(crate) fn github_config(
    settings: &Settings,
    allowed: Option<&[String]>,
) -> Result<Option<GitHubConfig>, ServerError> {
    let repositories = given(&settings.github_repositories);
    let repository_teams = given(&settings.github_repository_teams);
    let token = given_secret(&settings.github_token);
    let webhook_secret = given_secret(&settings.github_webhook_secret);
    let api_url = given(&settings.github_api_url);
    let set = [
        ("GITHUB_REPOSITORIES", repositories.is_some()),
        ("GITHUB_TOKEN", token.is_some()),
        ("GITHUB_WEBHOOK_SECRET", webhook_secret.is_some()),
        ("GITHUB_API_URL", api_url.is_some()),
        ("GITHUB_REPOSITORY_TEAMS", repository_teams.is_some()),
    ];
    if set.iter().all(|(_, is_set)| !is_set) {
        return Ok(None);
    }
    let missing: Vec<&str> = set[..3]
        .iter()
        .filter(|(_, is_set)| !is_set)
        .map(|(name, _)| *name)
        .collect();
    let (Some(repositories), Some(token), Some(webhook_secret)) =
        (repositories, token, webhook_secret)
    else {
        let named: Vec<&str> = set.iter().filter(|(_, s)| *s).map(|(n, _)| *n).collect();
        return Err(ServerError::Config(format!(
            "the GitHub connector is half-configured: {} set, {} missing. Set \
             GITHUB_REPOSITORIES (owner/name, comma-separated), GITHUB_TOKEN and \
             GITHUB_WEBHOOK_SECRET together, or none of them to leave the connector off",
            named.join(", "),
            missing.join(", ")
        )));
    };
    let mut repos: Vec<Repo> = Vec::new();
    for entry in repositories
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let repo = Repo::parse(entry)
            .map_err(|e| ServerError::Config(format!("GITHUB_REPOSITORIES: {e}")))?;
        if !repos.iter().any(|r| r.is(&repo.full_name())) {
            repos.push(repo);
        }
    }
    if repos.is_empty() {
        return Err(ServerError::Config(
            "GITHUB_REPOSITORIES names no repository: give owner/name, comma-separated".to_owned(),
        ));
    }
    if webhook_secret.expose().chars().count() < MIN_WEBHOOK_SECRET_CHARS {
        return Err(ServerError::Config(format!(
            "GITHUB_WEBHOOK_SECRET is too short: use at least {MIN_WEBHOOK_SECRET_CHARS} \
             random characters (e.g. `openssl rand -hex 32`), and the same in the webhook's \
             settings on GitHub"
        )));
    }
    let api_url = api_url.unwrap_or_else(|| GITHUB_API_URL.to_owned());
    let parsed = url::Url::parse(&api_url).map_err(|e| {
        ServerError::Config(format!("GITHUB_API_URL '{api_url}' is not a URL: {e}"))
    })?;
    let loopback = matches!(
        parsed.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || matches!(parsed.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || parsed.host_str() == Some("localhost");
    // The token goes to this address with every call.
    if !(parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback)) {
        return Err(ServerError::Config(format!(
            "GITHUB_API_URL '{api_url}' must be https (http only on this machine, for a \
             stand-in): the token is sent with every request"
        )));
    }
    let repository_teams = match repository_teams {
        Some(text) => parse_repository_teams(&text, &repos, allowed)?,
        None => Vec::new(),
    };
    Ok(Some(GitHubConfig {
        repository_teams,
        repositories: repos,
        token,
        webhook_secret,
        api_url: api_url.trim_end_matches('/').to_owned(),
        poll_interval: match Blankable::of(settings.github_poll_seconds).unwrap_or(300) {
            0 => None,
            seconds => Some(std::time::Duration::from_secs(seconds)),
        },
    }))
}

/// Team ids as `MIRO_ALLOWED_TEAMS` lists them: comma-separated, each
/// one or more letters or digits (Miro's are long numbers).
fn parse_team_ids(text: &str, setting: &str) -> Result<Vec<String>, ServerError> {
    let mut teams: Vec<String> = Vec::new();
    for team in text
        .split([',', '+'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if team.len() > 64 || !team.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ServerError::Config(format!(
                "{setting}: '{team}' is not a Miro team id (the long number in the team's \
                 settings URL, or on the page an install from that team ends on)"
            )));
        }
        if !teams.iter().any(|t| t == team) {
            teams.push(team.to_owned());
        }
    }
    Ok(teams)
}

/// `GITHUB_REPOSITORY_TEAMS`: `owner/name=TEAM+TEAM`, comma-separated; each
/// repository one of `repos`, each team one of `allowed` (when listed).
fn parse_repository_teams(
    text: &str,
    repos: &[Repo],
    allowed: Option<&[String]>,
) -> Result<Vec<(String, Vec<String>)>, ServerError> {
    const SETTING: &str = "GITHUB_REPOSITORY_TEAMS";
    let mut assigned: Vec<(String, Vec<String>)> = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((name, teams)) = entry.split_once('=') else {
            return Err(ServerError::Config(format!(
                "{SETTING}: '{entry}' is not owner/name=TEAM_ID (several teams joined with +)"
            )));
        };
        let Some(repo) = repos.iter().find(|r| r.is(name.trim())) else {
            return Err(ServerError::Config(format!(
                "{SETTING}: '{}' is not one of GITHUB_REPOSITORIES",
                name.trim()
            )));
        };
        let teams = parse_team_ids(teams, SETTING)?;
        if teams.is_empty() {
            return Err(ServerError::Config(format!(
                "{SETTING}: '{entry}' names no team"
            )));
        }
        if let Some(team) = teams
            .iter()
            .find(|team| allowed.is_some_and(|allowed| !allowed.contains(team)))
        {
            return Err(ServerError::Config(format!(
                "{SETTING}: team {team} is not in MIRO_ALLOWED_TEAMS"
            )));
        }
        if assigned.iter().any(|(n, _)| repo.is(n)) {
            return Err(ServerError::Config(format!(
                "{SETTING}: {} is assigned twice",
                repo.full_name()
            )));
        }
        assigned.push((repo.full_name(), teams));
    }
    Ok(assigned)
}

/// Refuses to run the sandbox where the settings say this is a production
/// set-up: an https public URL (Miro's pages are served over https only),
/// or a secret key for sealing real tokens. The sandbox hands its client
/// secret (so ID tokens for any user) and its admin routes to whoever
/// reaches it, and a production store would be served to them. A sandbox
/// run as its own process (`MIRO_SANDBOX_URL`) is chosen by name, and
/// several instances on one PostgreSQL share a key, so it may have one.
#[cfg(feature = "sandbox")]
fn refuse_production_sandbox(
    settings: &Settings,
    public_url: &str,
    remote: bool,
) -> Result<(), ServerError> {
    let mut signs = Vec::new();
    if public_url.starts_with("https://") {
        signs.push(format!("APP_PUBLIC_URL is https ({public_url})"));
    }
    if given(&settings.secret_key).is_some() && !remote {
        signs.push("APP_SECRET_KEY is set".to_owned());
    }
    if signs.is_empty() {
        return Ok(());
    }
    Err(ServerError::Config(format!(
        "MIRO_CLIENT_ID and MIRO_CLIENT_SECRET are not set, so this would run the sandbox (a \
         stand-in for Miro whose client secret and admin routes are open to anyone who reaches \
         it), but {} says this is a production set-up. Set MIRO_CLIENT_ID, MIRO_CLIENT_SECRET \
         and MIRO_ALLOWED_TEAMS (README: \"Install into your Miro team\"); to run the sandbox \
         instead, unset {}",
        signs.join(" and "),
        if signs.len() == 2 {
            "both"
        } else if public_url.starts_with("https://") {
            "APP_PUBLIC_URL"
        } else {
            "APP_SECRET_KEY"
        }
    )))
}

/// The value, trimmed, unless it is blank.
fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl Config {
    /// Checks `settings` and turns them into a configuration; Leptos's
    /// own (`LEPTOS_*`) come from the environment first.
    pub fn from_settings(settings: &Settings) -> Result<Self, ServerError> {
        let mut leptos = get_configuration(None)
            .map_err(|err| ServerError::Config(err.to_string()))?
            .leptos_options;
        if let Some(addr) = settings.site_addr {
            leptos.site_addr = addr;
        }
        if let Some(root) = given(&settings.site_root) {
            leptos.site_root = root.into();
        }
        // cargo-leptos sets LEPTOS_HASH_FILES when it runs the server; a
        // server started by hand uses hashed asset names when the build
        // left their hash file beside it.
        let hash_file = crate::site::hash_file_path(&leptos);
        let have_hashes = hash_file.as_ref().is_some_and(|path| path.is_file());
        leptos.hash_files = Blankable::of(settings.hash_files).unwrap_or(have_hashes);
        if leptos.hash_files && !have_hashes {
            // Leptos would fail every page it renders.
            return Err(ServerError::Config(format!(
                "LEPTOS_HASH_FILES is true, but there is no hash file at {}: build the site \
                 with cargo-leptos (it writes the file beside the server binary)",
                hash_file.map_or_else(|| "?".to_owned(), |p| p.display().to_string())
            )));
        }
        let public_url = match given(&settings.public_url) {
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
        let mode = match (given(&settings.client_id), given(&settings.client_secret)) {
            (Some(client_id), Some(secret)) => Mode::Miro {
                client_id,
                client_secret: Secret::new(secret),
            },
            #[cfg(feature = "sandbox")]
            (None, None) => {
                let remote = given(&settings.sandbox_url);
                refuse_production_sandbox(settings, &public_url, remote.is_some())?;
                match remote {
                    Some(url) => Mode::RemoteSandbox {
                        url: url.trim_end_matches('/').to_owned(),
                    },
                    None => Mode::Sandbox(sandbox_settings(settings, &public_url, &public_url)?),
                }
            }
            #[cfg(not(feature = "sandbox"))]
            (None, None) => {
                return Err(ServerError::Config(
                    "set MIRO_CLIENT_ID and MIRO_CLIENT_SECRET: this build has no sandbox \
                     (it was built without the `sandbox` feature)"
                        .to_owned(),
                ))
            }
            _ => {
                return Err(ServerError::Config(
                    "set both MIRO_CLIENT_ID and MIRO_CLIENT_SECRET, or neither to run the sandbox"
                        .to_owned(),
                ))
            }
        };
        let secret_key = given(&settings.secret_key);
        if matches!(mode, Mode::Miro { .. }) && secret_key.is_none() {
            // A generated key would be lost with the data folder, and every
            // stored token with it; several processes must share one too.
            return Err(ServerError::Config(
                "with MIRO_CLIENT_ID and MIRO_CLIENT_SECRET set, also set APP_SECRET_KEY \
                 (32 random bytes in base64, e.g. `openssl rand -base64 32`): it seals the \
                 stored Miro tokens and signs sessions"
                    .to_owned(),
            ));
        }
        let allowed_teams = given(&settings.allowed_teams)
            .map(|text| parse_team_ids(&text, "MIRO_ALLOWED_TEAMS"))
            .transpose()?
            .filter(|teams| !teams.is_empty());
        if matches!(mode, Mode::Miro { .. }) && allowed_teams.is_none() {
            // Any Miro team can run an app's install; without a list, the
            // first stranger to find the server would be let in.
            return Err(ServerError::Config(
                "with MIRO_CLIENT_ID and MIRO_CLIENT_SECRET set, also set MIRO_ALLOWED_TEAMS: \
                 the ids of the Miro teams that may install and use the app, comma-separated \
                 (an install from any other team ends on a page that names its id)"
                    .to_owned(),
            ));
        }
        // Where the sandbox that stands in for Miro is served, if one does.
        let sandbox_base = match &mode {
            #[cfg(feature = "sandbox")]
            Mode::Sandbox(_) => Some(public_url.as_str()),
            #[cfg(feature = "sandbox")]
            Mode::RemoteSandbox { url } => Some(url.as_str()),
            Mode::Miro { .. } => None,
        };
        let install_completed_url = sandbox_base.map_or_else(
            || MIRO_INSTALL_COMPLETED_URL.to_owned(),
            sandbox_install_completed_url,
        );
        let sdk_url = given(&settings.sdk_url).unwrap_or_else(|| {
            sandbox_base.map_or_else(|| MIRO_SDK_URL.to_owned(), sandbox_sdk_url)
        });
        let mut sync = crate::sync::SyncSettings::default();
        if let Some(seconds) = Blankable::of(settings.reconcile_interval_seconds) {
            sync.reconcile_interval = std::time::Duration::from_secs(seconds);
        }
        if let Some(credits) = Blankable::of(settings.reconcile_credits) {
            sync.reconcile_credits = credits;
        }
        if let Some(seconds) = Blankable::of(settings.write_lease_seconds) {
            sync.write_lease = std::time::Duration::from_secs(seconds.max(1));
        }
        let rate_limits = match given(&settings.rate_limits).as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => {
                return Err(ServerError::Config(format!(
                    "RATE_LIMITS '{other}' must be on or off"
                )))
            }
        };
        let trusted_proxies = crate::client_address::TrustedProxies::parse(
            settings.trusted_proxies.as_deref().unwrap_or(""),
        )
        .map_err(|e| ServerError::Config(format!("TRUSTED_PROXIES: {e}")))?;
        let github = github_config(settings, allowed_teams.as_deref())?;
        Ok(Self {
            leptos,
            public_url,
            rate_limits,
            trusted_proxies,
            github,
            sdk_url,
            miro_api_base: given(&settings.api_base).unwrap_or_else(|| MIRO_API_BASE.to_owned()),
            install_completed_url,
            mode,
            allowed_teams,
            database_url: given(&settings.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            secret_key: secret_key.map(Secret::new),
            card_template: given(&settings.card_template).map(std::path::PathBuf::from),
            sync,
            #[cfg(feature = "sandbox")]
            sandbox_public: settings.sandbox_public,
        })
    }

    /// A sandbox-mode configuration for `leptos` options, as tests use it:
    /// its store is a new database in the system's temporary folder.
    #[cfg(feature = "sandbox")]
    pub fn sandbox(leptos: LeptosOptions, public_url: &str) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        let folder = std::env::temp_dir().join(crate::ids::new_id("miro-cards-test"));
        Self {
            database_url: format!("sqlite://{}", folder.join("app.db").display()),
            secret_key: None,
            card_template: None,
            sync: crate::sync::SyncSettings::default(),
            rate_limits: true,
            trusted_proxies: Default::default(),
            sandbox_public: false,
            github: None,
            leptos,
            sdk_url: sandbox_sdk_url(&public_url),
            miro_api_base: MIRO_API_BASE.to_owned(),
            install_completed_url: sandbox_install_completed_url(&public_url),
            allowed_teams: None,
            mode: Mode::Sandbox(
                sandbox_settings(&Settings::default(), &public_url, &public_url)
                    .expect("no setting given, none wrong"),
            ),
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
            Mode::Sandbox(_) | Mode::RemoteSandbox { .. }
                if !self.leptos.site_addr.ip().is_loopback() && !self.sandbox_public =>
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

/// The sandbox's settings: served at `public_url`, standing in for Miro for
/// the app at `app_url` (the same address when it is built in), with the
/// fault plan, credit budget and client secret `settings` give.
#[cfg(feature = "sandbox")]
pub(crate) fn sandbox_settings(
    settings: &Settings,
    public_url: &str,
    app_url: &str,
) -> Result<SandboxSettings, ServerError> {
    let faults = match given(&settings.sandbox_faults) {
        Some(text) => text
            .parse()
            .map_err(|e| ServerError::Config(format!("SANDBOX_FAULTS: {e}")))?,
        None => FaultPlan::default(),
    };
    let mut limits = LimitSettings::default();
    if let Some(credits) = Blankable::of(settings.sandbox_credits_per_minute) {
        limits.credits_per_window = u32::try_from(credits).map_err(|_| {
            ServerError::Config(format!(
                "SANDBOX_CREDITS_PER_MINUTE {credits} is more than {}",
                u32::MAX
            ))
        })?;
    }
    Ok(SandboxSettings {
        public_url: public_url.to_owned(),
        app_sdk_uri: format!("{app_url}/miro/headless"),
        app_redirect_uri: format!("{app_url}{OAUTH_CALLBACK_PATH}"),
        app_client_secret: given(&settings.sandbox_client_secret),
        limits,
        faults,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github(pairs: &[(&str, &str)]) -> Result<Option<GitHubConfig>, String> {
        let mut settings = Settings::default();
        for (name, value) in pairs {
            let value = (*value).to_owned();
            match *name {
                "GITHUB_REPOSITORIES" => settings.github_repositories = Some(value),
                "GITHUB_TOKEN" => settings.github_token = Some(Secret::new(value)),
                "GITHUB_WEBHOOK_SECRET" => {
                    settings.github_webhook_secret = Some(Secret::new(value));
                }
                "GITHUB_API_URL" => settings.github_api_url = Some(value),
                other => panic!("{other}"),
            }
        }
        github_config(&settings, None).map_err(|e| e.to_string())
    }

    const FULL: [(&str, &str); 3] = [
        ("GITHUB_REPOSITORIES", "octo/one, octo/two,Octo/One"),
        ("GITHUB_TOKEN", "ghp_secret_token"),
        ("GITHUB_WEBHOOK_SECRET", "0123456789abcdef0123"),
    ];

    #[test]
    fn github_is_off_unless_configured_and_then_complete() {
        assert!(github(&[]).unwrap().is_none());
        assert!(
            github(&[("GITHUB_TOKEN", "  ")]).unwrap().is_none(),
            "blank is unset"
        );
        let config = github(&FULL).unwrap().unwrap();
        let names: Vec<String> = config.repositories.iter().map(Repo::full_name).collect();
        assert_eq!(names, ["octo/one", "octo/two"]);
        assert_eq!(config.api_url, "https://api.github.com");
        let printed = format!("{config:?}");
        assert!(!printed.contains("ghp_secret_token"), "{printed}");
        assert!(!printed.contains("0123456789abcdef"), "{printed}");
    }

    #[test]
    fn a_half_configured_github_is_refused_with_what_is_missing() {
        let error = github(&FULL[..1]).unwrap_err();
        assert!(error.contains("half-configured"), "{error}");
        assert!(
            error.contains("GITHUB_TOKEN, GITHUB_WEBHOOK_SECRET missing"),
            "{error}"
        );
        let error = github(&FULL[..2]).unwrap_err();
        assert!(error.contains("GITHUB_WEBHOOK_SECRET missing"), "{error}");
        assert!(!error.contains("ghp_secret_token"), "{error}");
        let error = github(&[("GITHUB_API_URL", "https://ghe.example.com/api/v3")]).unwrap_err();
        assert!(error.contains("GITHUB_API_URL set"), "{error}");
    }

    #[test]
    fn bad_github_values_are_refused() {
        let with = |name: &str, value: &str| {
            let mut pairs = FULL.to_vec();
            pairs.retain(|(n, _)| *n != name);
            pairs.push((name, value));
            github(&pairs).unwrap_err()
        };
        assert!(with("GITHUB_REPOSITORIES", "octo").contains("not owner/name"));
        assert!(with("GITHUB_REPOSITORIES", "a/b/../c").contains("not a GitHub repository"));
        assert!(with("GITHUB_REPOSITORIES", " , ").contains("names no repository"));
        assert!(with("GITHUB_WEBHOOK_SECRET", "short").contains("too short"));
        assert!(with("GITHUB_API_URL", "http://ghe.example.com").contains("must be https"));
        assert!(with("GITHUB_API_URL", "nonsense").contains("not a URL"));
        let mut pairs = FULL.to_vec();
        pairs.push(("GITHUB_API_URL", "http://127.0.0.1:4000/"));
        assert_eq!(
            github(&pairs).unwrap().unwrap().api_url,
            "http://127.0.0.1:4000"
        );
    }
}
