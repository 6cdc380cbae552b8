//! Requests an attacker would send, against the real server over HTTP:
//! malformed, oversized and wrongly typed bodies, floods from one user,
//! half-sent requests and more connections than the server takes. Each
//! gets a clear 4xx (or the connection closed), nothing is written, and
//! the server goes on answering.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::{
    detail::{linked_card, opened_view, record_of},
    sandbox::{status_and_json, TestServer},
};

async fn post_raw(
    server: &TestServer,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = server
        .client
        .post(format!("{}{path}", server.base))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    status_and_json(response).await
}

async fn healthy(server: &TestServer) {
    let response = server
        .client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn bad_save_bodies_get_clear_refusals_and_write_nothing() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let server = TestServer::start().await;
    let (card, session) = opened_view(&server).await;
    let before = record_of(&server, &card).await.snapshot;
    server.clear_request_log().await;

    let valid = |title: &str| {
        let mut fields = before.fields.clone();
        fields.title = title.to_owned();
        json!({"request": {
            "board_id": card.board_id, "item_id": card.item_id, "session": session,
            "base_version": before.version, "fields": fields,
        }})
    };
    let json_type = "application/json";
    let huge = {
        let mut body = valid("huge");
        body["request"]["fields"]["description"] = json!("x".repeat(5 * 1024 * 1024));
        serde_json::to_vec(&body).unwrap()
    };
    let missing_field = {
        let mut body = valid("no session");
        body["request"].as_object_mut().unwrap().remove("session");
        serde_json::to_vec(&body).unwrap()
    };
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        ("unclosed", json_type, b"{".to_vec(), 400),
        ("empty", json_type, Vec::new(), 400),
        (
            "a number for the request",
            json_type,
            br#"{"request": 7}"#.to_vec(),
            422,
        ),
        (
            "invalid UTF-8",
            json_type,
            b"{\"request\": \"\xff\xfe\"}".to_vec(),
            400,
        ),
        ("a missing field", json_type, missing_field, 422),
        // Parsed without recursing: refused for its shape, no stack spent.
        (
            "nested 100,000 deep",
            json_type,
            ("[".repeat(100_000) + &"]".repeat(100_000)).into_bytes(),
            422,
        ),
        ("5 MB", json_type, huge, 413),
        (
            "form-encoded",
            "application/x-www-form-urlencoded",
            b"request=1".to_vec(),
            415,
        ),
        (
            "text/plain",
            "text/plain",
            serde_json::to_vec(&valid("as text")).unwrap(),
            415,
        ),
    ];
    for (name, content_type, body, expected) in cases {
        let (status, answer) = post_raw(&server, "/api/save_card", content_type, body).await;
        assert_eq!(status, expected, "{name}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{name}: says what was wrong: {answer}");
    }

    let after = record_of(&server, &card).await.snapshot;
    assert_eq!(after.version, before.version, "nothing was saved");
    assert!(
        server
            .request_log()
            .await
            .iter()
            .all(|(m, _, _)| m == "GET"),
        "nothing was sent to Miro but reads"
    );
    // And a good save still goes through.
    let (status, answer) = post_raw(
        &server,
        "/api/save_card",
        json_type,
        serde_json::to_vec(&valid("Still saving")).unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    healthy(&server).await;
}

#[tokio::test]
async fn bad_bodies_to_the_headless_pages_calls_are_refused_by_kind() {
    let server = TestServer::start().await;
    for path in [
        "/miro/tickets",
        "/miro/cards/connect",
        "/miro/panel/tickets",
    ] {
        for (body, content_type, expected) in [
            (b"{".to_vec(), "application/json", 400),
            (br#"{"board_id": 7}"#.to_vec(), "application/json", 422),
            (
                br#"{"board_id":"b","item_id":"1"}"#.to_vec(),
                "text/plain",
                415,
            ),
            (vec![b' '; 64 * 1024], "application/json", 413),
        ] {
            let (status, answer) = post_raw(&server, path, content_type, body).await;
            assert_eq!(status, expected, "{path}: {answer}");
            assert!(answer["error"].is_string(), "{path}: {answer}");
        }
    }
    healthy(&server).await;
}

#[tokio::test]
async fn a_flood_of_tickets_from_one_user_is_held_to_the_limit() {
    let server = TestServer::start().await;
    let card = linked_card(&server).await;
    let token = server.sdk_id_token().await;
    server.clear_request_log().await;
    let mut served = 0;
    let mut limited = 0;
    let mut retry_after = None;
    for _ in 0..800 {
        let response = server
            .client
            .post(format!("{}/miro/tickets", server.base))
            .bearer_auth(&token)
            .json(&json!({"board_id": card.board_id, "item_id": card.item_id}))
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => served += 1,
            429 => {
                limited += 1;
                retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
                let body: Value = response.json().await.unwrap();
                assert!(body["error"].as_str().unwrap().contains("try again"));
            }
            other => panic!("unexpected {other}"),
        }
    }
    let rule = server::rate_limit::Action::Ticket.rule();
    assert!(served >= rule.burst, "{served} served");
    assert!(
        limited > 0 && served + limited == 800,
        "{served} + {limited}"
    );
    assert!(
        retry_after.is_some_and(|s| (1..=60).contains(&s)),
        "{retry_after:?}"
    );
    // What reached Miro is bounded by what was served, not by the flood.
    let miro_calls = server.request_log().await.len();
    assert!(
        miro_calls <= served as usize,
        "{miro_calls} Miro calls for {served} tickets"
    );
    healthy(&server).await;
}

#[tokio::test]
async fn saves_beyond_the_limit_get_429_with_retry_after_and_keep_nothing() {
    let _one_renderer = crate::support::sandbox::render_lock().await;
    let server = TestServer::start().await;
    let (card, session) = opened_view(&server).await;
    let before = record_of(&server, &card).await.snapshot;
    // Invalid saves (an empty title) are cheap and still count.
    let mut fields = before.fields.clone();
    fields.title = String::new();
    let body = json!({"request": {
        "board_id": card.board_id, "item_id": card.item_id, "session": session,
        "base_version": before.version, "fields": fields,
    }});
    let burst = server::rate_limit::Action::Save.rule().burst;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..burst + 10 {
        let response = server
            .client
            .post(format!("{}/api/save_card", server.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            retry_after = response.headers().get(RETRY_AFTER).cloned();
            let answer: Value = response.json().await.unwrap();
            assert!(answer.to_string().contains("TooManyRequests"), "{answer}");
        }
    }
    assert!(
        statuses[..burst as usize].iter().all(|s| *s == 422),
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(retry_after.is_some());
    assert_eq!(
        record_of(&server, &card).await.snapshot.version,
        before.version
    );
}

#[tokio::test]
async fn install_starts_from_one_address_are_limited() {
    let server = TestServer::start().await;
    let burst = server::rate_limit::Action::Install.rule().burst;
    let mut statuses = Vec::new();
    for _ in 0..burst + 5 {
        let response = server
            .client
            .get(format!("{}/oauth/install", server.base))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            assert!(response.headers().contains_key(RETRY_AFTER));
            assert!(response
                .text()
                .await
                .unwrap()
                .contains("Too many install attempts"));
            statuses.push(429);
        } else {
            statuses.push(response.status().as_u16());
        }
    }
    assert!(
        statuses[..burst as usize].iter().all(|s| *s == 303),
        "{statuses:?}"
    );
    assert_eq!(statuses[burst as usize..], [429; 5]);
}

/// Reads until the server closes the connection; what it sent.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut received));
    read.await.expect("the server closed the connection").ok();
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn a_half_sent_request_is_cut_off_and_others_are_served_meanwhile() {
    let server = TestServer::start_with(server::web::serving::ConnectionLimits {
        header_read_timeout: Duration::from_millis(500),
        ..Default::default()
    })
    .await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut silent = TcpStream::connect(&address).await.unwrap();
    // HTTP/2 without TLS (no header timeout in hyper for it) is not served.
    let mut h2c = TcpStream::connect(&address).await.unwrap();
    h2c.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    // Meanwhile others are served. Each check opens its own connection:
    // the 500 ms header timeout also ends idle kept-alive connections, and
    // a pooled one closing as a request goes out on it would fail the
    // request (which is why a proxy's upstream keep-alive must be shorter).
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let healthz = format!("{}/healthz", server.base);
    assert_eq!(fresh.get(&healthz).send().await.unwrap().status(), 200);
    let answer = read_to_close(&mut slow).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    read_to_close(&mut silent).await;
    read_to_close(&mut h2c).await;
    assert_eq!(fresh.get(&healthz).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    // Three: the harness's own client keeps one connection alive from
    // its discovery request, and the test takes the other two.
    let server = TestServer::start_with(server::web::serving::ConnectionLimits {
        max_connections: 3,
        header_read_timeout: Duration::from_secs(60),
        ..Default::default()
    })
    .await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let first = TcpStream::connect(&address).await.unwrap();
    let second = TcpStream::connect(&address).await.unwrap();
    // Both slots are taken by idle connections: a request waits.
    let client = reqwest::Client::new();
    let waiting = tokio::spawn({
        let url = format!("{}/healthz", server.base);
        async move { client.get(url).send().await.map(|r| r.status().as_u16()) }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "served past the cap");
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("served once a slot freed")
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
    drop(second);
}

#[tokio::test]
async fn bad_bodies_to_the_panels_functions_are_refused_by_kind_and_deep_json_too() {
    let server = TestServer::start().await;
    let functions = [
        "search_records",
        "board_health",
        "add_cards",
        "create_record",
        "convert_sticky_notes",
        "retry_failed",
        "resync_board",
    ];
    // JSON nested far deeper than any request: refused, and the process stays up.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for function in functions {
        let path = format!("/api/panel/{function}");
        for (body, content_type, expected) in [
            (b"{".to_vec(), "application/json", 400),
            (br#"{"session": 7}"#.to_vec(), "application/json", 422),
            (br#"{"session":"x"}"#.to_vec(), "text/plain", 415),
            (vec![b' '; 300 * 1024], "application/json", 413),
        ] {
            let (status, answer) = post_raw(&server, &path, content_type, body).await;
            assert_eq!(status, expected, "{path}: {answer}");
            assert!(answer["error"].is_string(), "{path}: {answer}");
        }
        let (status, _) = post_raw(
            &server,
            &path,
            "application/json",
            deep.clone().into_bytes(),
        )
        .await;
        assert!((400..500).contains(&status), "{path}: {status}");
    }
    // A panel page with a made-up ticket, or none: refused, rendered.
    for query in ["", "?ticket=", "?ticket=%00%ff", "?ticket=aaaa&ticket=bbbb"] {
        let response = server
            .client
            .get(format!("{}/panel/uXjVSandbox1%3D{query}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{query}");
    }
    healthy(&server).await;
}
