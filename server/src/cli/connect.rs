//! Which Miro the CLI talks to, and with which token. Real Miro:
//! `MIRO_ACCESS_TOKEN`, `MIRO_USER_ID`, `MIRO_CLIENT_ID` and optionally
//! `MIRO_API_BASE`. Otherwise a sandbox (`MIRO_SANDBOX_URL`, by default
//! `http://127.0.0.1:3000`): the CLI reads its discovery document and runs
//! the OAuth code flow itself over plain HTTP.

use std::{collections::HashMap, time::Duration};

use anyhow::Context as _;
use serde_json::Value;

use crate::config::{MIRO_API_BASE, MIRO_AUTHORIZE_URL};
use crate::miro::{Access, ClientConfig, MiroClient, OAuthClient, RetryPolicy, Secret};

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

pub async fn connect(env: &HashMap<String, String>) -> anyhow::Result<Connection> {
    let get = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
    if let Some(token) = get("MIRO_ACCESS_TOKEN") {
        let user_id =
            get("MIRO_USER_ID").context("MIRO_USER_ID is required with MIRO_ACCESS_TOKEN")?;
        let client_id =
            get("MIRO_CLIENT_ID").context("MIRO_CLIENT_ID is required with MIRO_ACCESS_TOKEN")?;
        let base = get("MIRO_API_BASE").unwrap_or_else(|| MIRO_API_BASE.to_owned());
        return Ok(Connection {
            client: client(base.clone(), client_id),
            access: Access {
                user_id,
                token: Secret::new(token),
            },
            description: format!("Miro at {base}"),
        });
    }
    let sandbox = sandbox_app(env).await?;
    let (oauth, redirect_uri, http) = (sandbox.oauth, sandbox.redirect_uri, sandbox.http);
    let request = oauth.authorize_url(&redirect_uri, None);
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
        .context("the sandbox's authorize page did not redirect with a code")?;
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

/// The app as the sandbox at `MIRO_SANDBOX_URL` registered it.
pub struct SandboxApp {
    pub oauth: OAuthClient,
    pub redirect_uri: String,
    pub url: String,
    /// A client that does not follow redirects (to read OAuth's).
    pub http: reqwest::Client,
}

/// Reads the sandbox's discovery document: the app's credentials there.
pub async fn sandbox_app(env: &HashMap<String, String>) -> anyhow::Result<SandboxApp> {
    let sandbox = env
        .get("MIRO_SANDBOX_URL")
        .filter(|v| !v.is_empty())
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:3000".to_owned());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let discovery: Value = http
        .get(format!("{}/.well-known/miro-sandbox", sandbox.trim_end_matches('/')))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("no Miro credentials set, and no sandbox answers at {sandbox}; start one with scripts/run"))?
        .json()
        .await
        .context("the sandbox's discovery document is unreadable")?;
    let field = |name: &str| {
        discovery[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("the sandbox's discovery lacks {name}"))
    };
    Ok(SandboxApp {
        oauth: OAuthClient {
            client: client(field("rest_base")?, field("client_id")?),
            authorize_url: field("authorize_url")?,
            client_secret: Secret::new(field("client_secret")?),
        },
        redirect_uri: field("redirect_uri")?,
        url: sandbox,
        http,
    })
}

/// The app's OAuth side: Miro's with `MIRO_CLIENT_ID` and
/// `MIRO_CLIENT_SECRET` (and `MIRO_API_BASE`), else the sandbox's.
pub async fn app_oauth(env: &HashMap<String, String>) -> anyhow::Result<(OAuthClient, String)> {
    let get = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
    if let (Some(id), Some(secret)) = (get("MIRO_CLIENT_ID"), get("MIRO_CLIENT_SECRET")) {
        let base = get("MIRO_API_BASE").unwrap_or_else(|| MIRO_API_BASE.to_owned());
        return Ok((
            OAuthClient {
                client: client(base.clone(), id),
                authorize_url: MIRO_AUTHORIZE_URL.to_owned(),
                client_secret: Secret::new(secret),
            },
            format!("Miro at {base}"),
        ));
    }
    let sandbox = sandbox_app(env).await?;
    Ok((sandbox.oauth, format!("the sandbox at {}", sandbox.url)))
}
