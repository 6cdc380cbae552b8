//! Rate limiting and fault injection, over real HTTP: the `X-RateLimit-*`
//! headers' values, 429 once the budget is spent and again after the
//! window, per-app budgets, injected 429/500/503/409, dropped connections
//! before and after the write, latency, and the request log.

use std::time::{Duration, Instant};

use crate::support::{
    sandbox::{status_and_json, TestServer},
    unix_now,
};
use reqwest::{Method, Response};
use serde_json::json;

fn header(response: &Response, name: &str) -> u64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn every_answer_carries_the_budget_and_a_spent_budget_gets_429_until_reset() {
    let server = TestServer::start().await;
    let token = server.token().await;
    server.set_rate_limit(250, 2).await;
    let board = format!(
        "/v2/boards/{}",
        crate::support::sandbox::encode(&server.board())
    );
    let mut remaining = Vec::new();
    for _ in 0..5 {
        // GET a board is level 1: 50 credits.
        let response = server
            .rest(Method::GET, &board, &token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-limit"), 250);
        let reset = header(&response, "x-ratelimit-reset");
        assert!(
            reset > unix_now() - 1 && reset <= unix_now() + 2,
            "reset {reset} is not within the 2 s window"
        );
        remaining.push(header(&response, "x-ratelimit-remaining"));
    }
    assert_eq!(remaining, [200, 150, 100, 50, 0]);

    let response = server
        .rest(Method::GET, &board, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "x-ratelimit-remaining"), 0);
    let reset = header(&response, "x-ratelimit-reset");
    let (status, body) = status_and_json(response).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("tooManyRequests"))
    );

    // Another app of the same user has a budget of its own.
    let other = server.grant_other_app().await;
    let response = server
        .rest(Method::GET, &board, other["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // After the reset time the budget is whole again.
    while unix_now() < reset {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let response = server
        .rest(Method::GET, &board, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-remaining"), 200);
}

#[tokio::test]
async fn bulk_create_costs_level_two_per_item_and_delete_costs_level_three() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let board = format!(
        "/v2/boards/{}",
        crate::support::sandbox::encode(&server.board())
    );
    let items: Vec<_> = (0..3)
        .map(|i| json!({"type": "app_card", "data": {"title": format!("bulk {i}")}}))
        .collect();
    let response = server
        .rest(Method::POST, &format!("{board}/items/bulk"), &token)
        .json(&items)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "x-ratelimit-remaining"), 100_000 - 300);
    let (_, created) = status_and_json(response).await;
    let id = created["data"][0]["id"].as_str().unwrap();
    let response = server
        .rest(Method::DELETE, &format!("{board}/app_cards/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        header(&response, "x-ratelimit-remaining"),
        100_000 - 300 - 500
    );
}

#[tokio::test]
async fn injected_errors_use_miros_error_shape() {
    let server = TestServer::start().await;
    let token = server.token().await;
    for (plan, status, code) in [
        (json!({"rate_500": 1.0}), 500, "internalError"),
        (json!({"rate_503": 1.0}), 503, "serviceUnavailable"),
        (json!({"rate_429": 1.0}), 429, "tooManyRequests"),
    ] {
        server.set_faults(plan).await;
        let response = server
            .rest(Method::GET, "/v2/boards", &token)
            .send()
            .await
            .unwrap();
        if status == 429 {
            assert_eq!(header(&response, "x-ratelimit-remaining"), 0);
            assert!(header(&response, "x-ratelimit-reset") >= unix_now());
        }
        let (got, body) = status_and_json(response).await;
        assert_eq!(
            (
                got,
                body["code"].as_str(),
                body["status"].as_u64(),
                body["type"].as_str()
            ),
            (status, Some(code), Some(u64::from(status)), Some("error"))
        );
    }
}

#[tokio::test]
async fn conflicts_are_injected_only_where_the_spec_lists_409() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let board = format!(
        "/v2/boards/{}",
        crate::support::sandbox::encode(&server.board())
    );
    let (_, card) = status_and_json(
        server
            .rest(Method::POST, &format!("{board}/app_cards"), &token)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let path = format!("{board}/app_cards/{}", card["id"].as_str().unwrap());
    server.set_faults(json!({"rate_409": 1.0})).await;
    let (status, body) = status_and_json(
        server
            .rest(Method::PATCH, &path, &token)
            .json(&json!({"data": {"title": "x"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")));
    let (status, _) = status_and_json(
        server
            .rest(Method::GET, &path, &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
}

async fn app_card_count(server: &TestServer, token: &str) -> u64 {
    let board = format!(
        "/v2/boards/{}",
        crate::support::sandbox::encode(&server.board())
    );
    let (_, page) = status_and_json(
        server
            .rest(Method::GET, &format!("{board}/items?type=app_card"), token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    page["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_connection_dropped_before_the_write_changes_nothing_and_after_it_keeps_the_write() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let board = format!(
        "/v2/boards/{}",
        crate::support::sandbox::encode(&server.board())
    );
    let before = app_card_count(&server, &token).await;

    server.set_faults(json!({"drop_before": 1.0})).await;
    let result = server
        .rest(Method::POST, &format!("{board}/app_cards"), &token)
        .json(&json!({}))
        .send()
        .await;
    assert!(
        result.is_err(),
        "the client should see a broken connection, got {result:?}"
    );
    server.set_faults(json!({})).await;
    assert_eq!(app_card_count(&server, &token).await, before);

    server.set_faults(json!({"drop_after": 1.0})).await;
    let result = server
        .rest(Method::POST, &format!("{board}/app_cards"), &token)
        .json(&json!({}))
        .send()
        .await;
    assert!(
        result.is_err(),
        "the client should see a broken connection, got {result:?}"
    );
    server.set_faults(json!({})).await;
    assert_eq!(
        app_card_count(&server, &token).await,
        before + 1,
        "the write was applied before the drop"
    );
}

#[tokio::test]
async fn latency_is_added_to_every_request() {
    let server = TestServer::start().await;
    let token = server.token().await;
    server.set_faults(json!({"latency_ms": 300})).await;
    let started = Instant::now();
    let response = server
        .rest(Method::GET, "/v2/boards", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "answered after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_seeded_plan_repeats_the_same_faults_and_the_log_counts_them() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        server
            .set_faults(json!({"rate_503": 0.3, "seed": 42}))
            .await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(
                server
                    .rest(Method::GET, "/v2/boards", &token)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
            );
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    let failures = runs[0].iter().filter(|s| **s == 503).count();
    assert!(
        (4..=20).contains(&failures),
        "{failures} of 40 failed with a 30 % plan"
    );

    let log: serde_json::Value = server
        .client
        .get(format!("{}/sandbox/admin/requests", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let injected = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["fault"] == "503")
        .count();
    assert_eq!(injected, failures * 2);
}

#[tokio::test]
async fn a_plan_with_impossible_shares_is_refused() {
    let server = TestServer::start().await;
    let response = server
        .client
        .put(format!("{}/sandbox/admin/faults", server.base))
        .json(&json!({"rate_500": 0.7, "rate_503": 0.7}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = server
        .client
        .put(format!("{}/sandbox/admin/faults", server.base))
        .json(&json!({"rate_teapot": 0.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}
