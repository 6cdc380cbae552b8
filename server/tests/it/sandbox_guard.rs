//! The sandbox's discovery document (it carries the client secret) and its
//! admin routes, against a web page on another site driving a developer's
//! browser: the admin routes take JSON bodies only (a cross-site `text/plain`
//! POST gets 415 and changes nothing), and both answer only requests
//! addressed to the sandbox itself (a rebound DNS name gets 403).

use reqwest::header::{CONTENT_TYPE, HOST};
use serde_json::{json, Value};

use crate::support::sandbox::{status_and_json, TestServer};

/// The sandbox's clock offset, read by moving it by nothing.
async fn clock_offset(server: &TestServer) -> i64 {
    let response = server
        .client
        .post(format!("{}/sandbox/admin/clock", server.base))
        .json(&json!({"advance_seconds": 0}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200, "{body}");
    body["offset_seconds"].as_i64().unwrap()
}

async fn fault_plan(server: &TestServer) -> Value {
    let response = server
        .client
        .get(format!("{}/sandbox/admin/faults", server.base))
        .send()
        .await
        .unwrap();
    status_and_json(response).await.1
}

#[tokio::test]
async fn admin_routes_refuse_bodies_not_sent_as_json_and_change_nothing() {
    let server = TestServer::start().await;
    let plan_before = fault_plan(&server).await;
    // What a form or `fetch(…, {mode: "no-cors"})` on another site can send
    // without asking first: text/plain, a form, or no type at all.
    let admin = |method: reqwest::Method, path: &str| {
        server
            .client
            .request(method, format!("{}/sandbox/admin/{path}", server.base))
    };
    for kind in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonp"),
        None,
    ] {
        let requests = [
            admin(reqwest::Method::POST, "clock").body(r#"{"advance_seconds": 86400}"#),
            admin(reqwest::Method::PUT, "faults").body(r#"{"rate_500": 1}"#),
            admin(reqwest::Method::PUT, "rate-limit")
                .body(r#"{"credits_per_window": 1, "window_seconds": 60}"#),
        ];
        for request in requests {
            let request = match kind {
                Some(kind) => request.header(CONTENT_TYPE, kind),
                None => request,
            };
            let (status, body) = status_and_json(request.send().await.unwrap()).await;
            assert_eq!(status, 415, "{kind:?}: {body}");
            assert_eq!(body["code"], "unsupportedMediaType", "{body}");
            assert!(
                body["message"]
                    .as_str()
                    .unwrap()
                    .contains("application/json"),
                "{body}"
            );
        }
    }
    assert_eq!(clock_offset(&server).await, 0, "the clock did not move");
    assert_eq!(fault_plan(&server).await, plan_before, "no faults were set");

    // JSON, with or without a charset, is taken.
    let response = admin(reqwest::Method::POST, "clock")
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(r#"{"advance_seconds": 5}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(clock_offset(&server).await, 5);
}

#[tokio::test]
async fn discovery_and_admin_answer_only_requests_addressed_to_the_sandbox() {
    let server = TestServer::start().await;
    let port = reqwest::Url::parse(&server.base).unwrap().port().unwrap();
    let get = |path: &str, host: String| {
        server
            .client
            .get(format!("{}{path}", server.base))
            .header(HOST, host)
            .send()
    };
    // A page on another site whose name was pointed at 127.0.0.1.
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1.evil.example:{port}"),
        "evil.example".to_owned(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
    ] {
        for path in [
            "/.well-known/miro-sandbox",
            "/sandbox/admin/requests",
            "/sandbox/admin/faults",
        ] {
            let response = get(path, host.clone()).await.unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert_eq!(status, 403, "{host}{path}: {text}");
            assert!(!text.contains(&server.str("client_secret")), "{text}");
            let body: Value = serde_json::from_str(&text).unwrap();
            assert!(
                body["message"].as_str().unwrap().contains(&server.base),
                "says where the sandbox answers: {body}"
            );
        }
        let response = server
            .client
            .post(format!("{}/sandbox/admin/clock", server.base))
            .header(HOST, host.clone())
            .json(&json!({"advance_seconds": 3600}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{host}");
    }
    assert_eq!(clock_offset(&server).await, 0, "the clock did not move");

    // Its own address, and loopback names at its port.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let response = get("/.well-known/miro-sandbox", host.clone())
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{host}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["client_secret"], server.str("client_secret"));
    }
}
