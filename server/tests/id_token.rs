//! The client's ID-token check against tokens the sandbox's Web SDK issues
//! (`miro.board.getIdToken()`), over real HTTP.

mod support;

use serde_json::json;
use server::miro::id_token::{verify, IdTokenError};
use support::sandbox::{encode, TestServer};

async fn sdk_id_token(server: &TestServer) -> String {
    let url = format!(
        "{}/sandbox/host/boards/{}/sdk",
        server.base,
        encode(&server.board())
    );
    let body: serde_json::Value = server
        .client
        .post(url)
        .json(&json!({"method": "board.getIdToken", "args": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["result"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_token_from_the_sdk_names_the_boards_user_and_team() {
    let server = TestServer::start().await;
    let token = sdk_id_token(&server).await;
    let now = i64::try_from(server::miro::unix_now_for_tests()).unwrap();
    let identity = verify(
        &token,
        &server.str("client_id"),
        &server.str("client_secret"),
        now,
    )
    .unwrap();
    assert_eq!(
        (identity.user_id, identity.team_id),
        (server.str("user_id"), server.str("team_id"))
    );
    assert!(identity.expires_at > now);

    let other = &server.discovery["other_apps"][0];
    let other_id = other["client_id"].as_str().unwrap();
    let other_secret = other["client_secret"].as_str().unwrap();
    assert_eq!(
        verify(&token, other_id, &server.str("client_secret"), now),
        Err(IdTokenError::WrongAudience)
    );
    assert_eq!(
        verify(&token, &server.str("client_id"), other_secret, now),
        Err(IdTokenError::BadSignature)
    );
    assert_eq!(
        verify(
            &token,
            &server.str("client_id"),
            &server.str("client_secret"),
            identity.expires_at + 61
        ),
        Err(IdTokenError::Expired)
    );
}
