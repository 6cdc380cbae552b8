//! Floods of installs over real HTTP, with the TCP peer 127.0.0.1 as it is
//! behind the documented reverse proxy: one client's flood of
//! `/oauth/callback` and `/oauth/install` costs that client, not everyone.
//! Behind a trusted proxy clients are told apart by the forwarding header;
//! a forwarding header from a peer that is not a trusted proxy is ignored;
//! and even from one address, bad callbacks never stop an install that
//! browser started.

use reqwest::header::{LOCATION, RETRY_AFTER, SET_COOKIE};
use server::{client_address::TrustedProxies, rate_limit::Action};

use crate::support::sandbox::TestServer;

async fn behind(trusted: &str) -> TestServer {
    let trusted = TrustedProxies::parse(trusted).unwrap();
    TestServer::start_configured(Default::default(), |config| {
        config.trusted_proxies = trusted;
    })
    .await
}

/// A GET with `X-Forwarded-For` (when given) and a cookie (when given):
/// the status, and `Location` or the page.
async fn get(
    server: &TestServer,
    path_or_url: &str,
    forwarded_for: Option<&str>,
    cookie: Option<&str>,
) -> (u16, String, reqwest::header::HeaderMap) {
    let url = if path_or_url.starts_with("http") {
        path_or_url.to_owned()
    } else {
        format!("{}{path_or_url}", server.base)
    };
    let mut request = server.client.get(url);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = match headers.get(LOCATION) {
        Some(location) => location.to_str().unwrap().to_owned(),
        None => response.text().await.unwrap(),
    };
    (status, text, headers)
}

/// An install as a browser at `client` makes it: started here, allowed at
/// Miro (the sandbox), back at the callback with its cookie. The
/// callback's answer.
async fn install_from(server: &TestServer, client: Option<&str>) -> (u16, String) {
    let (status, authorize, headers) = get(server, "/oauth/install", client, None).await;
    assert_eq!(status, 303, "the start: {authorize}");
    let cookie = headers[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (status, callback, _) = get(server, &authorize, None, None).await;
    assert_eq!(status, 302, "Miro's authorize page sends the browser back");
    let (status, page, _) = get(server, &callback, client, Some(&cookie)).await;
    (status, page)
}

/// What a flood of `count` requests to `path` from `client` got.
async fn flood(server: &TestServer, path: &str, client: Option<&str>, count: u32) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..count {
        let (status, page, headers) = get(server, path, client, None).await;
        if status == 429 {
            assert!(headers.contains_key(RETRY_AFTER));
            assert!(page.contains("Too many install attempts"), "{page}");
        }
        statuses.push(status);
    }
    statuses
}

fn installed(server: &TestServer, (status, page): &(u16, String)) -> bool {
    *status == 303 && page.starts_with(&format!("{}/sandbox/app-install-completed?", server.base))
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_clients_flood_leaves_another_clients_install_working() {
    let server = behind("127.0.0.1").await;
    let flooder = Some("198.51.100.7");
    let burst = Action::Install.rule().burst;
    let callbacks = flood(
        &server,
        "/oauth/callback?code=stolen&state=forged",
        flooder,
        burst + 10,
    )
    .await;
    assert!(callbacks.ends_with(&[429; 10]), "{callbacks:?}");
    let starts = flood(&server, "/oauth/install", flooder, burst + 10).await;
    assert!(starts.ends_with(&[429; 10]), "{starts:?}");

    // Another browser behind the same proxy installs as if nothing happened.
    let other = install_from(&server, Some("203.0.113.9")).await;
    assert!(installed(&server, &other), "{other:?}");
    // A client's own header entries stand left of the proxy's: the flooder
    // naming someone else is still the flooder.
    let (status, _, _) = get(
        &server,
        "/oauth/install",
        Some("203.0.113.50, 198.51.100.7"),
        None,
    )
    .await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn a_forwarding_header_from_a_peer_that_is_no_trusted_proxy_is_ignored() {
    // No TRUSTED_PROXIES (as before), and a list that does not name the
    // peer: either way the peer is the client, whatever the header says.
    for trusted in ["", "10.0.0.0/8, ::1"] {
        let server = behind(trusted).await;
        let burst = Action::Install.rule().burst;
        let mut statuses = Vec::new();
        for n in 0..burst + 5 {
            let forged = format!("198.51.100.{n}");
            let (status, _, _) = get(&server, "/oauth/install", Some(&forged), None).await;
            statuses.push(status);
        }
        assert!(
            statuses[..burst as usize].iter().all(|s| *s == 303),
            "{trusted:?}: {statuses:?}"
        );
        assert_eq!(statuses[burst as usize..], [429; 5], "{trusted:?}");
    }
}

#[tokio::test]
async fn bad_callbacks_from_one_address_never_stop_an_install_that_browser_started() {
    // No proxy configured: everyone shares the peer's address.
    let server = TestServer::start().await;
    let burst = Action::Callback.rule().burst;
    let callbacks = flood(
        &server,
        "/oauth/callback?code=x&state=forged",
        None,
        burst + 10,
    )
    .await;
    assert!(callbacks.ends_with(&[429; 10]), "{callbacks:?}");
    // Callbacks with no state at all (as Miro sends when it starts the
    // install) count against the address too.
    let (status, _, _) = get(&server, "/oauth/callback?code=x", None, None).await;
    assert_eq!(status, 429);

    // An install started here carries its own signed state: it goes
    // through, from the same address, right after the flood.
    let (status, authorize, headers) = get(&server, "/oauth/install", None, None).await;
    assert_eq!(status, 303);
    let cookie = headers[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (_, callback, _) = get(&server, &authorize, None, None).await;
    let answer = get(&server, &callback, None, Some(&cookie)).await;
    assert!(
        installed(&server, &(answer.0, answer.1.clone())),
        "{answer:?}"
    );
    // Replaying it is no way around the limit: spent, then refused.
    let (status, page, _) = get(&server, &callback, None, Some(&cookie)).await;
    assert_eq!(status, 400, "{page}");
    let (status, _, _) = get(&server, &callback, None, Some(&cookie)).await;
    assert_eq!(status, 429);
}
