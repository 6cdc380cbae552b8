//! Installing the app over real HTTP against the sandbox: the flow the app
//! starts (`/oauth/install` → Miro's authorize page → `/oauth/callback`),
//! the flow Miro starts itself (no `state`), and every way it can go wrong
//! ending on a page that says so with nothing stored. Then the command
//! line's `installations` and `revoke`, and `manifest`.

use crate::support::sandbox::TestServer;
use reqwest::header::{LOCATION, SET_COOKIE};
use server::miro::TokenKey;

/// What `GET /oauth/install` answered: where it sends the browser, with
/// which `state`, and the cookie it set.
struct Started {
    authorize: reqwest::Url,
    state: String,
    cookie: String,
}

async fn start_install(server: &TestServer) -> Started {
    let response = server
        .client
        .get(format!("{}/oauth/install", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let authorize = reqwest::Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap();
    let state = query(&authorize, "state").expect("a state");
    let set_cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    assert!(set_cookie.contains("Max-Age=600"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    // The state, signed by the server: a cookie that merely holds it is
    // not this browser's.
    assert!(cookie.starts_with("miro_cards_install="), "{cookie}");
    assert_ne!(cookie, format!("miro_cards_install={state}"));
    Started {
        authorize,
        state,
        cookie,
    }
}

fn query(url: &reqwest::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Follows Miro's authorize page: the callback URL it sends the browser to.
async fn authorize(server: &TestServer, url: &reqwest::Url) -> reqwest::Url {
    let response = server.client.get(url.clone()).send().await.unwrap();
    assert_eq!(response.status(), 302);
    reqwest::Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap()
}

/// `GET` of the callback with the browser's cookie: (status, Location or page).
async fn callback(server: &TestServer, url: &str, cookie: Option<&str>) -> (u16, String) {
    let mut request = server.client.get(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    match response.headers().get(LOCATION) {
        Some(location) => (status, location.to_str().unwrap().to_owned()),
        None => (status, response.text().await.unwrap()),
    }
}

async fn installations(server: &TestServer) -> Vec<TokenKey> {
    crate::support::store_of(&server.state)
        .await
        .installations()
        .await
        .unwrap()
}

fn sandbox_user(server: &TestServer) -> TokenKey {
    TokenKey {
        user_id: server.str("user_id"),
        team_id: server.str("team_id"),
    }
}

#[tokio::test]
async fn the_install_the_app_starts_ends_on_miros_installed_page_with_the_user_stored() {
    let server = TestServer::start().await;
    assert!(installations(&server).await.is_empty());
    let started = start_install(&server).await;
    assert_eq!(
        query(&started.authorize, "redirect_uri").as_deref(),
        Some(format!("{}/oauth/callback", server.base).as_str())
    );
    let back = authorize(&server, &started.authorize).await;
    assert_eq!(
        query(&back, "state").as_deref(),
        Some(started.state.as_str())
    );

    let (status, location) = callback(&server, back.as_str(), Some(&started.cookie)).await;
    assert_eq!(status, 303, "{location}");
    assert_eq!(
        location,
        format!(
            "{}/sandbox/app-install-completed?client_id={}&team_id={}",
            server.base,
            server.str("client_id"),
            server.str("team_id")
        )
    );
    assert_eq!(installations(&server).await, vec![sandbox_user(&server)]);
    // The stored token works: the app reaches the boards with it.
    let access = server
        .state
        .sync
        .tokens()
        .access(&sandbox_user(&server))
        .await
        .unwrap();
    assert!(!server
        .state
        .oauth
        .client
        .boards(&access, &Default::default())
        .await
        .unwrap()
        .data
        .is_empty());

    // The same answer again: its state is spent.
    let (status, page) = callback(&server, back.as_str(), Some(&started.cookie)).await;
    assert_eq!(status, 400);
    assert!(page.contains("not started here"), "{page}");
}

#[tokio::test]
async fn an_install_miro_starts_without_a_state_is_accepted() {
    let server = TestServer::start().await;
    let code = server
        .code_for(&server.str("client_id"), &server.str("redirect_uri"))
        .await;
    let url = format!(
        "{}/oauth/callback?code={code}&client_id={}&team_id={}",
        server.base,
        server.str("client_id"),
        server.str("team_id")
    );
    let (status, location) = callback(&server, &url, None).await;
    assert_eq!(status, 303, "{location}");
    assert!(location.contains("/sandbox/app-install-completed?"));
    assert_eq!(installations(&server).await, vec![sandbox_user(&server)]);
}

#[tokio::test]
async fn a_foreign_or_missing_state_installs_nothing_and_spends_no_code() {
    let server = TestServer::start().await;
    let started = start_install(&server).await;
    let back = authorize(&server, &started.authorize).await;
    // No cookie (another browser), another browser's cookie, or one that
    // holds the state without the server's signature.
    let unsigned = format!("miro_cards_install={}", started.state);
    for cookie in [
        None,
        Some("miro_cards_install=someone-elses"),
        Some(unsigned.as_str()),
    ] {
        let (status, page) = callback(&server, back.as_str(), cookie).await;
        assert_eq!(status, 400, "{cookie:?}");
        assert!(page.contains("This install was not started here"), "{page}");
        assert!(
            page.contains("href=\"/oauth/install\""),
            "offers to start again"
        );
    }
    assert!(installations(&server).await.is_empty());
    // No token request was made for them: the code is still good.
    assert!(!server
        .request_log()
        .await
        .iter()
        .any(|(method, path, _)| method == "POST" && path.ends_with("/v1/oauth/token")));
}

#[tokio::test]
async fn a_used_code_a_refusal_and_a_silent_miro_each_end_on_their_page_with_nothing_stored() {
    let server = TestServer::start().await;
    // A code used once already.
    let code = server
        .code_for(&server.str("client_id"), &server.str("redirect_uri"))
        .await;
    let url = format!("{}/oauth/callback?code={code}", server.base);
    assert_eq!(callback(&server, &url, None).await.0, 303);
    server
        .state
        .sync
        .store()
        .forget_tokens(&sandbox_user(&server))
        .await
        .unwrap();
    let (status, page) = callback(&server, &url, None).await;
    assert_eq!(status, 400);
    assert!(page.contains("already used or has expired"), "{page}");
    assert!(installations(&server).await.is_empty());

    // The user said no on Miro's page.
    let started = start_install(&server).await;
    let url = format!(
        "{}/oauth/callback?error=access_denied&state={}",
        server.base, started.state
    );
    let (status, page) = callback(&server, &url, Some(&started.cookie)).await;
    assert_eq!(status, 403);
    assert!(page.contains("chose not to allow"), "{page}");

    // Miro does not answer the code exchange.
    let started = start_install(&server).await;
    let back = authorize(&server, &started.authorize).await;
    server
        .set_faults(serde_json::json!({ "rate_503": 1.0 }))
        .await;
    let (status, page) = callback(&server, back.as_str(), Some(&started.cookie)).await;
    server.set_faults(serde_json::json!({})).await;
    assert_eq!(status, 502);
    assert!(page.contains("Miro did not answer"), "{page}");

    // No code at all, and another app's answer.
    let (status, page) = callback(&server, &format!("{}/oauth/callback", server.base), None).await;
    assert_eq!(status, 400);
    assert!(page.contains("has no code"), "{page}");
    let (status, _) = callback(
        &server,
        &format!("{}/oauth/callback?code=x&client_id=123", server.base),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(installations(&server).await.is_empty());
}

/// The flags that point the command line at this server's sandbox and store.
fn cli_env(server: &TestServer) -> Vec<String> {
    vec![
        "--sandbox-url".to_owned(),
        server.base.clone(),
        "--database-url".to_owned(),
        server.state.config.database_url.clone(),
    ]
}

async fn cli(args: &[&str], env: &[String]) -> (i32, String) {
    let args: Vec<String> = (env.iter().cloned())
        .chain(args.iter().map(|a| (*a).to_owned()))
        .collect();
    let mut out = Vec::new();
    let code = server::cli::run_with(&args, &mut out).await;
    (code, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn installations_are_listed_without_tokens_and_revoked_at_miro_and_here() {
    let server = TestServer::start().await;
    let env = cli_env(&server);
    let (code, out) = cli(&["installations"], &env).await;
    assert_eq!((code, out.trim()), (0, "no installations"));

    server::sandbox_install::install_and_link(&server.state)
        .await
        .unwrap();
    let user = sandbox_user(&server);
    let token = server
        .state
        .sync
        .tokens()
        .access(&user)
        .await
        .unwrap()
        .token;
    let (code, out) = cli(&["installations"], &env).await;
    assert_eq!(code, 0, "{out}");
    let line = out
        .lines()
        .find(|line| line.starts_with(&user.team_id))
        .expect("the seed team's installation");
    assert!(
        line.starts_with(&user.team_id) && line.contains(&user.user_id),
        "{out}"
    );
    assert!(line.contains("valid until"), "{out}");
    assert!(!out.contains(token.expose()), "no token is printed");

    let (code, out) = cli(&["installations", "revoke", "nope", "nobody"], &env).await;
    assert_eq!(code, 2);
    assert!(out.contains("no installation for team nope"), "{out}");

    let (code, out) = cli(
        &["installations", "revoke", &user.team_id, &user.user_id],
        &env,
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("revoked the token at the sandbox"), "{out}");
    assert!(
        installations(&server).await.iter().all(|key| *key != user),
        "the revoked installation is gone"
    );
    // The sandbox saw the revoke: the token no longer opens anything.
    assert!(server
        .request_log()
        .await
        .iter()
        .any(|(method, path, status)| method == "POST"
            && path.ends_with("/v2/oauth/revoke")
            && *status == 204));
    let after = server
        .rest(reqwest::Method::GET, "/v2/boards", token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}

#[tokio::test]
async fn the_manifest_command_prints_the_yaml_for_the_public_url() {
    let (code, out) = cli(
        &["manifest", "--public-url", "https://cards.example.org"],
        &[],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sdkVersion: SDK_V2\n"));
    assert!(out.contains("sdkUri: https://cards.example.org/miro/headless\n"));
    assert!(out.contains("redirectUris:\n  - https://cards.example.org/oauth/callback\n"));
    assert!(out.contains("scopes:\n  - boards:read\n  - boards:write\n"));
    let (code, out) = cli(
        &["manifest", "--public-url", "http://cards.example.org"],
        &[],
    )
    .await;
    assert_eq!(code, 2);
    assert!(out.contains("must be https"), "{out}");
}
