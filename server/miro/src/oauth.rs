//! OAuth 2.0 with Miro: the authorize URL (with a `state` from the OS's
//! CSPRNG), the code exchange and the refresh (form body, as Miro's docs
//! recommend), token info, and revoke (v2, JSON body, so the token never
//! sits in a URL).
//!
//! A refresh rotates both tokens and is never retried once sent: if its
//! answer is lost, the old refresh token is already dead and the user must
//! reconnect (the token manager reports exactly that).

use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore;
use reqwest::Method;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use super::{api, error::ErrorDetail, Access, MiroClient, MiroError, Secret};

/// The app's OAuth side: the REST client plus what only OAuth needs.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    pub client: MiroClient,
    /// `https://miro.com/oauth/authorize`, or the sandbox's.
    pub authorize_url: String,
    pub client_secret: Secret,
}

/// Where to send the user, and the `state` to expect back.
#[derive(Clone, Debug)]
pub struct AuthorizeRequest {
    pub url: String,
    pub state: String,
}

/// What the token endpoint grants.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenGrant {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Seconds; absent for non-expiring tokens.
    pub expires_in: Option<u64>,
    #[serde(deserialize_with = "id_string")]
    pub user_id: String,
    #[serde(deserialize_with = "id_string")]
    pub team_id: String,
    #[serde(default)]
    pub scope: String,
}

/// Ids Miro may send as strings or as (large) integers; never via `f64`.
fn id_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(s) => Ok(s),
        Value::Number(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, got {other}"
        ))),
    }
}

/// Who a token belongs to (`GET /v1/oauth-token`).
#[derive(Clone, Debug, Deserialize)]
pub struct TokenInfo {
    pub user: NamedRef,
    pub team: NamedRef,
    pub organization: Option<NamedRef>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// `{id, name}` as token info reports them.
#[derive(Clone, Debug, Deserialize)]
pub struct NamedRef {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

impl OAuthClient {
    /// The authorize URL for `redirect_uri`, optionally preselecting a team.
    pub fn authorize_url(&self, redirect_uri: &str, team_id: Option<&str>) -> AuthorizeRequest {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let state = URL_SAFE_NO_PAD.encode(bytes);
        let mut url =
            url::Url::parse(&self.authorize_url).expect("the authorize URL is configured as a URL");
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("response_type", "code");
            query.append_pair("client_id", self.client.client_id());
            query.append_pair("redirect_uri", redirect_uri);
            query.append_pair("state", &state);
            if let Some(team) = team_id {
                query.append_pair("team_id", team);
            }
        }
        AuthorizeRequest {
            url: url.into(),
            state,
        }
    }

    /// Exchanges the code Miro redirected back with.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<TokenGrant, MiroError> {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ])
        .await
    }

    /// Trades a refresh token for a new pair (the old pair dies).
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenGrant, MiroError> {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ])
        .await
    }

    async fn token_request(&self, params: &[(&str, &str)]) -> Result<TokenGrant, MiroError> {
        let mut form: Vec<(&str, &str)> = params.to_vec();
        form.push(("client_id", self.client.client_id()));
        form.push(("client_secret", self.client_secret.expose()));
        let response = self
            .client
            .inner
            .http
            .post(format!("{}/v1/oauth/token", self.client.inner.rest_base))
            .form(&form)
            .timeout(
                self.client
                    .inner
                    .policy
                    .deadline
                    .min(Duration::from_secs(30)),
            )
            .send()
            .await
            .map_err(|e| {
                MiroError::transient(format!("token request failed: {e}"), None, !e.is_connect())
            })?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| {
            MiroError::transient(format!("token answer lost: {e}"), Some(status), true)
        })?;
        if !(200..300).contains(&status) {
            return Err(MiroError::from_answer(status, &body, 0));
        }
        serde_json::from_str(&body).map_err(|e| {
            MiroError::Other(ErrorDetail {
                status: Some(status),
                message: format!("unreadable token answer: {e}"),
                ..Default::default()
            })
        })
    }

    /// Who the token belongs to, and its scopes.
    pub async fn token_info(&self, access: &Access) -> Result<TokenInfo, MiroError> {
        self.client
            .json(
                access,
                api::call(Method::GET, "/v1/oauth-token".to_owned(), api::LEVEL_1),
            )
            .await
    }

    /// Revokes an access token (and with it its refresh token). The app
    /// stays installed.
    pub async fn revoke(&self, access_token: &Secret) -> Result<(), MiroError> {
        let body = json!({
            "accessToken": access_token.expose(),
            "clientId": self.client.client_id(),
            "clientSecret": self.client_secret.expose(),
        });
        let response = self
            .client
            .inner
            .http
            .post(format!("{}/v2/oauth/revoke", self.client.inner.rest_base))
            .json(&body)
            .timeout(self.client.inner.policy.deadline)
            .send()
            .await
            .map_err(|e| {
                MiroError::transient(format!("revoke failed: {e}"), None, !e.is_connect())
            })?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(MiroError::from_answer(status, &body, 0))
    }
}
