//! The ID-token check against a token the sandbox's Web SDK issues for
//! `miro.board.getIdToken()`, fetched over real HTTP. The verifier shares no
//! code with the sandbox's signer, so agreement here means both follow the
//! same format.

use crate::support::sandbox::TestServer;
use serde_json::Value;
use server::miro::id_token::{verify, IdTokenError};

async fn sdk_id_token(server: &TestServer) -> String {
    server.sdk_id_token().await
}

#[tokio::test]
async fn a_sandbox_token_names_the_discovery_user_and_team_for_our_app_only() {
    let server = TestServer::start().await;
    let token = sdk_id_token(&server).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (client_id, secret) = (server.str("client_id"), server.str("client_secret"));

    let identity = verify(&token, &client_id, &secret, now).expect("our app's token verifies");
    assert_eq!(identity.user_id, server.str("user_id"));
    assert_eq!(identity.team_id, server.str("team_id"));
    assert!(identity.expires_at > now, "expires in the future");

    let other: &Value = &server.discovery["other_apps"][0];
    let other_id = other["client_id"].as_str().unwrap();
    let other_secret = other["client_secret"].as_str().unwrap();
    assert_ne!(other_id, client_id);
    assert_eq!(
        verify(&token, other_id, &secret, now),
        Err(IdTokenError::WrongAudience),
        "another app must not accept our app's token"
    );
    assert_eq!(
        verify(&token, &client_id, other_secret, now),
        Err(IdTokenError::BadSignature),
        "the token is signed with our secret, not the other app's"
    );
    assert_eq!(
        verify(&token, &client_id, &secret, identity.expires_at + 61),
        Err(IdTokenError::Expired)
    );
}
