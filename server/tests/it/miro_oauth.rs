//! The client's OAuth and token handling against the sandbox over real
//! HTTP: the authorize URL, code exchange, token info, revoke, refresh
//! before expiry, one refresh for many concurrent callers, and a rejected
//! refresh turning into "reconnect needed".

use std::{collections::HashMap, sync::Arc, time::Duration};

use crate::support::sandbox::TestServer;
use server::miro::{
    MemoryTokenStore, MiroError, OAuthClient, Secret, StoredTokens, TokenError, TokenKey,
    TokenManager, TokenStore,
};

fn oauth(server: &TestServer) -> OAuthClient {
    OAuthClient {
        client: server.miro_client(Duration::from_secs(5)),
        authorize_url: server.str("authorize_url"),
        client_secret: Secret::new(server.str("client_secret")),
    }
}

/// Follows the authorize URL like a browser would, up to the redirect.
async fn code_from(server: &TestServer, url: &str, state: &str) -> String {
    let response = server.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let location = reqwest::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let query: HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["state"], state, "state comes back unchanged");
    query["code"].clone()
}

#[tokio::test]
async fn the_authorize_url_carries_a_fresh_unguessable_state() {
    let server = TestServer::start().await;
    let oauth = oauth(&server);
    let first = oauth.authorize_url("https://app.test/cb", Some("42"));
    let second = oauth.authorize_url("https://app.test/cb", None);
    assert_ne!(first.state, second.state);
    assert!(first.state.len() >= 43, "32 random bytes, base64url");
    let url = reqwest::Url::parse(&first.url).unwrap();
    let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], server.str("client_id"));
    assert_eq!(query["redirect_uri"], "https://app.test/cb");
    assert_eq!(query["team_id"], "42");
    assert!(!second.url.contains("team_id"));
}

#[tokio::test]
async fn connecting_stores_tokens_that_work_and_revoke_ends_them() {
    let server = TestServer::start().await;
    let oauth = oauth(&server);
    let redirect = server.str("redirect_uri");
    let request = oauth.authorize_url(&redirect, None);
    let code = code_from(&server, &request.url, &request.state).await;
    let tokens = TokenManager::new(oauth.clone(), MemoryTokenStore::default());
    let key = tokens.connect(&code, &redirect).await.unwrap();
    assert_eq!(
        key,
        TokenKey {
            user_id: server.str("user_id"),
            team_id: server.str("team_id")
        }
    );

    let access = tokens.access(&key).await.unwrap();
    let info = oauth.token_info(&access).await.unwrap();
    assert_eq!(
        (info.user.id.as_str(), info.team.id.as_str()),
        (key.user_id.as_str(), key.team_id.as_str())
    );
    assert!(info.scopes.contains(&"boards:write".to_owned()));
    oauth.client.board(&access, &server.board()).await.unwrap();

    oauth.revoke(&access.token).await.unwrap();
    assert!(matches!(
        oauth.client.board(&access, &server.board()).await,
        Err(MiroError::Unauthorized(_))
    ));
    assert!(matches!(
        oauth.revoke(&access.token).await,
        Err(MiroError::NotFound(_))
    ));

    // A code works once.
    assert!(matches!(
        oauth.exchange_code(&code, &redirect).await,
        Err(MiroError::InvalidInput { .. })
    ));
}

/// Connects, then marks the stored access token as expiring in `seconds`.
async fn connected_expiring(
    server: &TestServer,
    seconds: u64,
) -> (Arc<TokenManager<MemoryTokenStore>>, TokenKey, StoredTokens) {
    let oauth = oauth(server);
    let redirect = server.str("redirect_uri");
    let request = oauth.authorize_url(&redirect, None);
    let code = code_from(server, &request.url, &request.state).await;
    let tokens = TokenManager::new(oauth, MemoryTokenStore::default());
    let key = tokens.connect(&code, &redirect).await.unwrap();
    let mut stored = tokens.store().load(&key).await.unwrap().unwrap();
    stored.expires_at = Some(crate::support::unix_now() + seconds);
    tokens.store().save(&key, &stored).await.unwrap();
    (Arc::new(tokens), key, stored)
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_first() {
    let server = TestServer::start().await;
    let (tokens, key, old) = connected_expiring(&server, 30).await;
    let access = tokens.access(&key).await.unwrap();
    assert_ne!(
        access.token, old.access_token,
        "refreshed within the 120 s margin"
    );
    let client = server.miro_client(Duration::from_secs(5));
    client.board(&access, &server.board()).await.unwrap();
    let stale = server::miro::Access {
        user_id: key.user_id.clone(),
        token: old.access_token,
    };
    assert!(
        matches!(
            client.board(&stale, &server.board()).await,
            Err(MiroError::Unauthorized(_))
        ),
        "rotation killed the old token"
    );

    // A token far from expiry is used as it is: no token request.
    let (tokens, key, fresh) = connected_expiring(&server, 3_000).await;
    server.clear_request_log().await;
    assert_eq!(tokens.access(&key).await.unwrap().token, fresh.access_token);
    assert!(server.request_log().await.is_empty());
}

#[tokio::test]
async fn many_callers_at_once_cause_exactly_one_refresh() {
    let server = TestServer::start().await;
    let (tokens, key, _) = connected_expiring(&server, 10).await;
    server.clear_request_log().await;
    let callers: Vec<_> = (0..12)
        .map(|_| {
            let (tokens, key) = (Arc::clone(&tokens), key.clone());
            tokio::spawn(async move { tokens.access(&key).await.unwrap().token })
        })
        .collect();
    let mut handed_out = Vec::new();
    for caller in callers {
        handed_out.push(caller.await.unwrap());
    }
    assert!(
        handed_out.windows(2).all(|w| w[0] == w[1]),
        "every caller got the one new token"
    );
    let refreshes = server
        .request_log()
        .await
        .into_iter()
        .filter(|(m, p, _)| m == "POST" && p == "/v1/oauth/token")
        .count();
    assert_eq!(refreshes, 1);
    server
        .miro_client(Duration::from_secs(5))
        .board(&tokens.access(&key).await.unwrap(), &server.board())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_rejected_refresh_means_reconnect_and_forgets_the_tokens() {
    let server = TestServer::start().await;
    let (tokens, key, mut stored) = connected_expiring(&server, 10).await;
    stored.refresh_token = Some(Secret::new("sbx_rt_revoked"));
    tokens.store().save(&key, &stored).await.unwrap();
    assert!(matches!(
        tokens.access(&key).await,
        Err(TokenError::ReconnectNeeded)
    ));
    assert!(tokens.store().load(&key).await.unwrap().is_none());
    assert!(matches!(
        tokens.access(&key).await,
        Err(TokenError::NotConnected)
    ));
}

#[tokio::test]
async fn tokens_another_authority_issued_are_neither_sent_nor_forgotten() {
    // Real Miro's tokens in the store of a server that talks to the
    // sandbox (or the other way round): never sent there, never deleted.
    let server = TestServer::start().await;
    let (tokens, key, mut stored) = connected_expiring(&server, 10).await;
    stored.issuer = Some("3458764600000000009@https://api.miro.com".to_owned());
    tokens.store().save(&key, &stored).await.unwrap();
    server.clear_request_log().await;
    assert!(matches!(
        tokens.access(&key).await,
        Err(TokenError::OtherIssuer)
    ));
    assert!(
        server.request_log().await.is_empty(),
        "no refresh (nor anything else) went to the sandbox"
    );
    let kept = tokens.store().load(&key).await.unwrap().unwrap();
    assert_eq!(
        kept.refresh_token, stored.refresh_token,
        "kept as they were"
    );
}

#[tokio::test]
async fn a_refused_refresh_of_tokens_of_unknown_origin_forgets_nothing() {
    let server = TestServer::start().await;
    let (tokens, key, mut stored) = connected_expiring(&server, 10).await;
    // Kept before the issuer was recorded, and not the sandbox's.
    stored.issuer = None;
    stored.refresh_token = Some(Secret::new("a-real-miro-refresh-token"));
    tokens.store().save(&key, &stored).await.unwrap();
    assert!(matches!(
        tokens.access(&key).await,
        Err(TokenError::ReconnectNeeded)
    ));
    assert!(
        tokens.store().load(&key).await.unwrap().is_some(),
        "a refusal by an authority that may not have issued them deletes nothing"
    );
}

#[tokio::test]
async fn no_token_or_secret_shows_in_debug_output() {
    let server = TestServer::start().await;
    let (tokens, key, stored) = connected_expiring(&server, 3_000).await;
    let access = tokens.access(&key).await.unwrap();
    let oauth = oauth(&server);
    let secrets = [
        stored.access_token.expose().to_owned(),
        stored.refresh_token.clone().unwrap().expose().to_owned(),
        server.str("client_secret"),
    ];
    let printed = [
        format!("{stored:?}"),
        format!("{access:?}"),
        format!("{oauth:?}"),
        format!("{}", access.token),
    ];
    for text in &printed {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret leaked into: {text}"
            );
        }
        assert!(text.contains("redacted"), "{text}");
    }
}
