//! Rate limiting and fault injection, over real HTTP: the `X-RateLimit-*`
//! headers' values, 429 once the budget is spent and again after the
//! window, per-app budgets, injected 429/500/503/409, dropped connections
//! before and after the write, latency, scripted one-shot faults (the nth
//! matching request answered 403/429/500/503, unapplied), and the request
//! log.

use std::time::{Duration, Instant};

use crate::support::{
    openapi::assert_response,
    sandbox::{encode, status_and_json, TestServer},
    unix_now,
};
use reqwest::{Method, Response};
use serde_json::{json, Value};

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
    // Sticky notes' PATCH lists 409 too.
    server.set_faults(json!({})).await;
    let (_, note) = status_and_json(
        server
            .rest(Method::POST, &format!("{board}/sticky_notes"), &token)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    server.set_faults(json!({"rate_409": 1.0})).await;
    let note_path = format!("{board}/sticky_notes/{}", note["id"].as_str().unwrap());
    let (status, _) = status_and_json(
        server
            .rest(Method::PATCH, &note_path, &token)
            .json(&json!({"data": {"content": "x"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 409);
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

async fn create_app_card(server: &TestServer, token: &str, board: &str) -> Response {
    server
        .rest(Method::POST, &format!("{board}/app_cards"), token)
        .json(&json!({"data": {"title": "scripted"}}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_scripted_fault_answers_the_nth_matching_request_once_without_applying_it() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let board = format!("/v2/boards/{}", encode(&server.board()));
    let before = app_card_count(&server, &token).await;
    server
        .set_faults(json!({"script": [
            {"method": "POST", "path": "/v2/boards/{board_id}/app_cards", "nth": 2, "status": 500}
        ]}))
        .await;
    server.clear_request_log().await;

    // Requests to other endpoints, or with another method, do not count.
    let response = server
        .rest(Method::GET, &board, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = server
        .rest(Method::POST, &format!("{board}/cards"), &token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let first = create_app_card(&server, &token, &board).await;
    assert_eq!(first.status(), 201);
    let (status, body) = status_and_json(create_app_card(&server, &token, &board).await).await;
    assert_response("POST", "/v2/boards/{board_id}/app_cards", status, &body);
    assert_eq!(
        (status, body["code"].as_str(), body["type"].as_str()),
        (500, Some("internalError"), Some("error"))
    );
    assert_eq!(
        app_card_count(&server, &token).await,
        before + 1,
        "the failed request was not applied"
    );
    let third = create_app_card(&server, &token, &board).await;
    assert_eq!(third.status(), 201, "each scripted fault fires once");
    assert_eq!(app_card_count(&server, &token).await, before + 2);

    // The log records it like any injected fault, and says which entry.
    let log = server.request_entries().await;
    let injected: Vec<&Value> = log.iter().filter(|r| !r["fault"].is_null()).collect();
    assert_eq!(injected.len(), 1, "{log:?}");
    assert_eq!(
        (
            injected[0]["method"].as_str(),
            injected[0]["status"].as_u64(),
            injected[0]["fault"].as_str(),
            injected[0]["script_entry"].as_u64()
        ),
        (Some("POST"), Some(500), Some("500"), Some(0))
    );
    assert!(injected[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("/app_cards"));

    // Putting the plan again starts the count afresh.
    let plan: Value = server
        .client
        .get(format!("{}/sandbox/admin/faults", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plan["script"][0]["nth"], 2);
    server.set_faults(plan).await;
    assert_eq!(create_app_card(&server, &token, &board).await.status(), 201);
    assert_eq!(create_app_card(&server, &token, &board).await.status(), 500);
}

#[tokio::test]
async fn scripted_faults_answer_403_429_and_503_in_miros_shape() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let board_id = server.board();
    let board = format!("/v2/boards/{}", encode(&board_id));
    let (_, card) = status_and_json(create_app_card(&server, &token, &board).await).await;
    let card_path = format!("{board}/app_cards/{}", card["id"].as_str().unwrap());
    // A literal board id matches its percent-encoded form in the request.
    server
        .set_faults(json!({"script": [
            {"method": "patch", "path": format!("/v2/boards/{board_id}/app_cards/{{item_id}}"), "status": 403},
            {"method": "GET", "path": "/v2/boards/{board_id}/app_cards/{item_id}", "status": 429},
            {"method": "GET", "path": "/sandbox/api/v2/boards/{board_id}", "nth": 1, "status": 503},
        ]}))
        .await;

    let (status, body) = status_and_json(
        server
            .rest(Method::PATCH, &card_path, &token)
            .json(&json!({"data": {"title": "refused"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_response(
        "PATCH",
        "/v2/boards/{board_id}/app_cards/{item_id}",
        status,
        &body,
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbiddenAccess"))
    );

    let response = server
        .rest(Method::GET, &card_path, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "x-ratelimit-remaining"), 0);
    assert!(header(&response, "x-ratelimit-limit") > 0);
    assert!(header(&response, "x-ratelimit-reset") >= unix_now());
    let (status, body) = status_and_json(response).await;
    assert_response(
        "GET",
        "/v2/boards/{board_id}/app_cards/{item_id}",
        status,
        &body,
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("tooManyRequests"))
    );

    let (status, body) = status_and_json(
        server
            .rest(Method::GET, &board, &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_response("GET", "/v2/boards/{board_id}", status, &body);
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("serviceUnavailable"))
    );

    // All spent: the card was never changed, and now answers normally.
    let (status, got) = status_and_json(
        server
            .rest(Method::GET, &card_path, &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, got["data"]["title"].as_str()),
        (200, Some("scripted"))
    );
}

#[tokio::test]
async fn a_script_that_cannot_be_followed_is_refused() {
    let server = TestServer::start().await;
    let put = |plan: Value| {
        server
            .client
            .put(format!("{}/sandbox/admin/faults", server.base))
            .json(&plan)
            .send()
    };
    let entry = |extra: Value| {
        let mut entry = json!({"method": "GET", "path": "/v2/boards", "status": 500});
        entry
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "script": [entry] })
    };
    for (plan, why) in [
        (entry(json!({"status": 404})), "status"),
        (entry(json!({"nth": 0})), "nth"),
        (entry(json!({"method": "FETCH"})), "method"),
        (entry(json!({"path": "v2/boards"})), "path"),
        (entry(json!({"times": 3})), "times"),
        (
            json!({"script": [{"path": "/v2/boards", "status": 500}]}),
            "method",
        ),
    ] {
        let (status, body) = status_and_json(put(plan).await.unwrap()).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(why),
            "{why}: {body}"
        );
    }
    let (status, plan) = status_and_json(
        server
            .client
            .get(format!("{}/sandbox/admin/faults", server.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(plan.get("script").is_none(), "nothing was set: {plan}");
}
