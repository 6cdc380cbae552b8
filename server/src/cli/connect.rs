//! Which Miro the CLI talks to, and with which token. Real Miro:
//! `MIRO_ACCESS_TOKEN`, `MIRO_USER_ID`, `MIRO_CLIENT_ID` and optionally
//! `MIRO_API_BASE`. Otherwise a sandbox (`MIRO_SANDBOX_URL`, by default
//! `http://127.0.0.1:3000`): the CLI reads its discovery document and runs
//! the OAuth code flow itself over plain HTTP.

use std::time::Duration;

use anyhow::Context as _;

use crate::config::{Settings, MIRO_API_BASE, MIRO_AUTHORIZE_URL};
use crate::discovery::DiscoveryError;
use crate::miro::{Access, ClientConfig, MiroClient, OAuthClient, RetryPolicy, Secret};

/// Whose token the command line acts with, or which sandbox it signs in
/// to; the app's client id and Miro's REST base come from `Settings`.
#[derive(clap::Args, Clone, Debug, Default)]
#[command(next_help_heading = "Command line access to Miro (boards, import, installations)")]
pub struct MiroAccess {
    /// A user's access token for real Miro (with --user-id and --client-id)
    #[arg(
        long,
        global = true,
        env = "MIRO_ACCESS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub access_token: Option<String>,
    /// The user the access token belongs to
    #[arg(long, global = true, env = "MIRO_USER_ID", value_name = "ID")]
    pub user_id: Option<String>,
    /// In the sandbox: sign in as this team's user (a team id from its discovery document) [default: its first team]
    #[arg(long, global = true, value_name = "TEAM_ID")]
    pub team: Option<String>,
}

/// The value, unless it is blank (a variable set to nothing is unset).
pub(super) fn given(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.trim().is_empty())
}

/// A client and the access it acts with, and a description for the user.
pub struct Connection {
    pub client: MiroClient,
    pub access: Access,
    pub description: String,
}

fn client(rest_base: String, client_id: String) -> MiroClient {
    MiroClient::new(ClientConfig {
        rest_base,
        client_id,
        policy: RetryPolicy {
            deadline: Duration::from_secs(60),
            ..RetryPolicy::default()
        },
    })
}

pub async fn connect(settings: &Settings, access: &MiroAccess) -> anyhow::Result<Connection> {
    if let Some(token) = given(&access.access_token) {
        let user_id = given(&access.user_id)
            .context("MIRO_USER_ID (--user-id) is required with MIRO_ACCESS_TOKEN")?;
        let client_id = given(&settings.client_id)
            .context("MIRO_CLIENT_ID (--client-id) is required with MIRO_ACCESS_TOKEN")?;
        anyhow::ensure!(
            given(&access.team).is_none(),
            "--team picks a team of the sandbox; a Miro access token is one team's already"
        );
        let base = given(&settings.api_base).unwrap_or_else(|| MIRO_API_BASE.to_owned());
        return Ok(Connection {
            client: client(base.clone(), client_id),
            access: Access {
                user_id,
                token: Secret::new(token),
            },
            description: format!("Miro at {base}"),
        });
    }
    let sandbox = sandbox_app(settings).await?;
    let (oauth, redirect_uri, http) = (sandbox.oauth, sandbox.redirect_uri, sandbox.http);
    let team = given(&access.team);
    let request = oauth.authorize_url(&redirect_uri, team.as_deref());
    let redirect = http
        .get(&request.url)
        .send()
        .await
        .context("the sandbox's authorize page did not answer")?;
    let code = redirect
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .and_then(|l| url::Url::parse(l).ok())
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
        })
        .with_context(|| match &team {
            Some(team) => {
                format!("the sandbox signed nobody in for team {team}: is it one of its teams?")
            }
            None => "the sandbox's authorize page did not redirect with a code".to_owned(),
        })?;
    let grant = oauth
        .exchange_code(&code, &redirect_uri)
        .await
        .context("the sandbox refused the code")?;
    Ok(Connection {
        client: oauth.client,
        access: Access {
            user_id: grant.user_id,
            token: grant.access_token,
        },
        description: format!("the sandbox at {}", sandbox.url),
    })
}

/// The app as the sandbox at `--sandbox-url` (default: the one a local
/// `server` carries) registered it.
pub struct SandboxApp {
    pub oauth: OAuthClient,
    pub redirect_uri: String,
    pub url: String,
    /// A client that does not follow redirects (to read OAuth's).
    pub http: reqwest::Client,
}

/// Reads the sandbox's discovery document: the app's credentials there.
pub async fn sandbox_app(settings: &Settings) -> anyhow::Result<SandboxApp> {
    let sandbox = given(&settings.sandbox_url)
        .map(|url| url.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| "http://127.0.0.1:3000".to_owned());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let app = crate::discovery::read(&http, &sandbox)
        .await
        .map_err(|error| match error {
            DiscoveryError::Unreachable(_) => anyhow::Error::new(error).context(format!(
                "no Miro credentials set, and no sandbox answers at {sandbox}; start one with \
                 scripts/run"
            )),
            DiscoveryError::Unreadable(_) => anyhow::Error::new(error),
        })?;
    Ok(SandboxApp {
        oauth: OAuthClient {
            client: client(app.rest_base, app.client_id),
            authorize_url: app.authorize_url,
            client_secret: Secret::new(app.client_secret),
        },
        redirect_uri: app.redirect_uri,
        url: sandbox,
        http,
    })
}

/// The app's OAuth side: Miro's with `MIRO_CLIENT_ID` and
/// `MIRO_CLIENT_SECRET` (and `MIRO_API_BASE`), else the sandbox's.
pub async fn app_oauth(settings: &Settings) -> anyhow::Result<(OAuthClient, String)> {
    if let (Some(id), Some(secret)) = (given(&settings.client_id), given(&settings.client_secret)) {
        let base = given(&settings.api_base).unwrap_or_else(|| MIRO_API_BASE.to_owned());
        return Ok((
            OAuthClient {
                client: client(base.clone(), id),
                authorize_url: MIRO_AUTHORIZE_URL.to_owned(),
                client_secret: Secret::new(secret),
            },
            format!("Miro at {base}"),
        ));
    }
    let sandbox = sandbox_app(settings).await?;
    Ok((sandbox.oauth, format!("the sandbox at {}", sandbox.url)))
}
