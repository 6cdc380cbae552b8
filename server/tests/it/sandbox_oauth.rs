//! The sandbox's OAuth over real HTTP: the authorize redirect, both grants
//! in form and query style, single-use and expiring codes, rotating
//! refresh tokens, token expiry, token info and revoke.

use crate::support::sandbox::{status_and_json, TestServer};
use reqwest::Method;
use serde_json::Value;

async fn exchange(server: &TestServer, params: &[(&str, &str)]) -> (u16, Value) {
    status_and_json(
        server
            .client
            .post(server.str("token_url"))
            .form(params)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn boards_status(server: &TestServer, token: &str) -> u16 {
    server
        .rest(Method::GET, "/v2/boards", token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_code_flow_returns_miros_token_json() {
    let server = TestServer::start().await;
    let grant = server.grant().await;
    for key in [
        "access_token",
        "refresh_token",
        "user_id",
        "team_id",
        "scope",
    ] {
        assert!(
            grant[key].is_string(),
            "{key} missing or not a string: {grant}"
        );
    }
    assert_eq!(grant["token_type"], "bearer");
    assert_eq!(grant["expires_in"], 3599);
    assert_eq!(grant["team_id"], server.str("team_id"));
    assert_eq!(grant["user_id"], server.str("user_id"));
    let token = grant["access_token"].as_str().unwrap();
    assert_eq!(boards_status(&server, token).await, 200);
}

#[tokio::test]
async fn a_code_works_once_and_only_for_its_client_and_redirect() {
    let server = TestServer::start().await;
    let (id, secret, redirect) = (
        server.str("client_id"),
        server.str("client_secret"),
        server.str("redirect_uri"),
    );
    let code = server.code_for(&id, &redirect).await;
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", &id),
        ("client_secret", &secret),
        ("redirect_uri", &redirect),
    ];

    let wrong_redirect = [
        ("redirect_uri", "http://127.0.0.1:1/elsewhere"),
        params[0],
        params[1],
        params[2],
        params[3],
    ];
    let (status, body) = exchange(&server, &wrong_redirect).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalidGrant")),
        "{body}"
    );

    // The failed attempt used the code up: Miro's codes are single-use.
    let (status, _) = exchange(&server, &params).await;
    assert_eq!(status, 400);

    let code = server.code_for(&id, &redirect).await;
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", &id),
        ("client_secret", &secret),
        ("redirect_uri", &redirect),
    ];
    let (status, _) = exchange(&server, &params).await;
    assert_eq!(status, 200);
    let (status, body) = exchange(&server, &params).await;
    assert_eq!(status, 400, "a second exchange of the same code: {body}");
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes() {
    let server = TestServer::start().await;
    let (id, secret, redirect) = (
        server.str("client_id"),
        server.str("client_secret"),
        server.str("redirect_uri"),
    );
    let code = server.code_for(&id, &redirect).await;
    server.advance_clock(601).await;
    let (status, body) = exchange(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            ("client_secret", &secret),
            ("redirect_uri", &redirect),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_401() {
    let server = TestServer::start().await;
    let (id, redirect) = (server.str("client_id"), server.str("redirect_uri"));
    let code = server.code_for(&id, &redirect).await;
    let (status, body) = exchange(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            ("client_secret", "nope"),
            ("redirect_uri", &redirect),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["type"], "error");
}

#[tokio::test]
async fn parameters_in_the_query_work_like_the_official_clients_send_them() {
    let server = TestServer::start().await;
    let (id, secret, redirect) = (
        server.str("client_id"),
        server.str("client_secret"),
        server.str("redirect_uri"),
    );
    let code = server.code_for(&id, &redirect).await;
    let response = server
        .client
        .post(server.str("token_url"))
        .query(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            ("client_secret", &secret),
            ("redirect_uri", &redirect),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn a_refresh_rotates_both_tokens_and_kills_the_old_pair() {
    let server = TestServer::start().await;
    let first = server.grant().await;
    let (id, secret) = (server.str("client_id"), server.str("client_secret"));
    let old_refresh = first["refresh_token"].as_str().unwrap();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", old_refresh),
        ("client_id", &id),
        ("client_secret", &secret),
    ];
    let (status, second) = exchange(&server, &refresh).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);

    assert_eq!(
        boards_status(&server, first["access_token"].as_str().unwrap()).await,
        401
    );
    assert_eq!(
        boards_status(&server, second["access_token"].as_str().unwrap()).await,
        200
    );
    // A second refresh with the old token (what a racing refresher would
    // send) is refused.
    let (status, body) = exchange(&server, &refresh).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalidGrant")));
}

#[tokio::test]
async fn an_access_token_expires_after_an_hour_and_refreshing_brings_it_back() {
    let server = TestServer::start().await;
    let grant = server.grant().await;
    let token = grant["access_token"].as_str().unwrap();
    server.advance_clock(3_601).await;
    let (status, body) = status_and_json(
        server
            .rest(Method::GET, "/v2/boards", token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("tokenNotValid"))
    );
    let (id, secret) = (server.str("client_id"), server.str("client_secret"));
    let (status, fresh) = exchange(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", grant["refresh_token"].as_str().unwrap()),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        boards_status(&server, fresh["access_token"].as_str().unwrap()).await,
        200
    );
}

#[tokio::test]
async fn token_info_names_user_team_and_scopes() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let (status, body) = status_and_json(
        server
            .rest(Method::GET, "/v1/oauth-token", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["user"]["id"], server.str("user_id"));
    assert_eq!(body["team"]["id"], server.str("team_id"));
    assert_eq!(
        body["scopes"],
        serde_json::json!(["boards:read", "boards:write"])
    );
    let (status, _) = status_and_json(
        server
            .rest(Method::GET, "/v1/oauth-token", "not-a-token")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        status, 400,
        "the spec gives token info a 400 for a bad token"
    );
}

#[tokio::test]
async fn revoke_kills_the_token_and_its_refresh_token() {
    let server = TestServer::start().await;
    let grant = server.grant().await;
    let token = grant["access_token"].as_str().unwrap();
    let body = serde_json::json!({ "accessToken": token, "clientId": server.str("client_id"), "clientSecret": server.str("client_secret") });
    let revoke = || {
        server
            .client
            .post(format!("{}/v2/oauth/revoke", server.rest_base()))
            .json(&body)
            .send()
    };
    let (status, body_json) = status_and_json(revoke().await.unwrap()).await;
    assert_eq!((status, body_json), (204, Value::Null));
    assert_eq!(boards_status(&server, token).await, 401);
    let (id, secret) = (server.str("client_id"), server.str("client_secret"));
    let (status, _) = exchange(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", grant["refresh_token"].as_str().unwrap()),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(status, 400);
    let (status, again) = status_and_json(revoke().await.unwrap()).await;
    assert_eq!((status, again["code"].as_str()), (404, Some("notFound")));
}

#[tokio::test]
async fn authorize_refuses_unknown_clients_and_foreign_redirects_without_redirecting() {
    let server = TestServer::start().await;
    let authorize = |query: Vec<(&'static str, String)>| {
        server
            .client
            .get(server.str("authorize_url"))
            .query(&query)
            .send()
    };
    let response = authorize(vec![
        ("response_type", "code".into()),
        ("client_id", "999".into()),
        ("redirect_uri", server.str("redirect_uri")),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let response = authorize(vec![
        ("response_type", "code".into()),
        ("client_id", server.str("client_id")),
        ("redirect_uri", "https://evil.test/cb".into()),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(response.text().await.unwrap().contains("redirect_uri"));
    let response = authorize(vec![
        ("response_type", "code".into()),
        ("client_id", server.str("client_id")),
        ("redirect_uri", server.str("redirect_uri")),
        ("team_id", "1".into()),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn rest_calls_without_or_with_a_bad_token_get_401() {
    let server = TestServer::start().await;
    let (status, body) = status_and_json(
        server
            .client
            .get(format!("{}/v2/boards", server.rest_base()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str(), body["type"].as_str()),
        (401, Some("tokenNotProvided"), Some("error"))
    );
    let (status, body) = status_and_json(
        server
            .rest(Method::GET, "/v2/boards", "sbx_at_forged")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("tokenNotValid"))
    );
}
