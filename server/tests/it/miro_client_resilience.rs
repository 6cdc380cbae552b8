//! How the Miro client behaves when Miro is slow, failing or rationing:
//! it waits for the rate-limit reset instead of hammering, retries what is
//! safe to retry, never retries a create whose outcome is unknown, and
//! keeps every call within its deadline. All against the sandbox's fault
//! injection over real HTTP; the sandbox's request log counts what was sent.

use std::time::{Duration, Instant};

use crate::support::sandbox::{titled, TestServer};
use serde_json::json;
use server::miro::MiroError;

#[tokio::test]
async fn a_spent_budget_is_waited_out_without_sending_requests_miro_would_refuse() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(10)),
        server.access().await,
        server.board(),
    );
    // Three level-1 calls fit in 150 credits; the fourth must wait for the
    // 2-second window to reset.
    server.set_rate_limit(150, 2).await;
    server.clear_request_log().await;
    let started = Instant::now();
    for _ in 0..4 {
        client.board(&access, &board).await.unwrap();
    }
    let log = server.request_log().await;
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(
        log.iter().all(|(_, _, status)| *status == 200),
        "the client sent a request Miro refused: {log:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the fourth call did not wait for the reset"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_until_the_reset_then_the_call_succeeds() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(10)),
        server.access().await,
        server.board(),
    );
    server.set_faults(json!({"rate_429": 1.0})).await;
    let call = tokio::spawn({
        let (client, access, board) = (client.clone(), access.clone(), board.clone());
        async move {
            client
                .update_app_card(
                    &access,
                    &board,
                    "3458764517517852418",
                    &titled("after the wait"),
                )
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.set_faults(json!({})).await;
    let card = call.await.unwrap().unwrap();
    assert_eq!(card.data.title, "after the wait");
    let log = server.request_log().await;
    let refused = log.iter().filter(|(_, _, s)| *s == 429).count();
    // Each 429 says "reset in 1 s": about one request a second, not a storm.
    assert!(
        (1..=4).contains(&refused),
        "{refused} requests in 1.5 s of 429s: {log:?}"
    );
}

#[tokio::test]
async fn a_429_whose_reset_is_past_the_deadline_fails_fast_as_rate_limited() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_millis(800)),
        server.access().await,
        server.board(),
    );
    server.set_rate_limit(50, 30).await;
    client.board(&access, &board).await.unwrap();
    server.clear_request_log().await;
    let error = client.board(&access, &board).await.unwrap_err();
    let MiroError::RateLimited { reset_at, .. } = error else {
        panic!("{error:?}")
    };
    // It did not wait for the reset (still 20 s away)...
    assert!(reset_at > crate::support::unix_now() + 20);
    // ...and spent nothing on a request Miro would refuse.
    let log = server.request_log().await;
    assert!(log.is_empty(), "{log:?}");
}

#[tokio::test]
async fn transient_failures_are_retried_for_reads_and_updates() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(10)),
        server.access().await,
        server.board(),
    );
    // Reads through anything; updates through 5xx answers.
    for (plan, update) in [
        (
            json!({"rate_503": 0.15, "rate_500": 0.1, "drop_before": 0.05, "seed": 5}),
            false,
        ),
        (json!({"rate_503": 0.15, "rate_500": 0.1, "seed": 5}), true),
    ] {
        server.set_faults(plan.clone()).await;
        server.clear_request_log().await;
        for i in 0..10 {
            if update {
                client
                    .update_app_card(
                        &access,
                        &board,
                        "3458764517517852417",
                        &titled(&format!("try {i}")),
                    )
                    .await
                    .unwrap();
            } else {
                client.board(&access, &board).await.unwrap();
            }
        }
        let log = server.request_log().await;
        let failed = log.iter().filter(|(_, _, s)| *s >= 500).count();
        assert!(failed > 0, "{plan} injected nothing: {log:?}");
    }
    server.set_faults(json!({})).await;
    assert_eq!(
        client
            .app_card(&access, &board, "3458764517517852417")
            .await
            .unwrap()
            .data
            .title,
        "try 9"
    );
}

#[tokio::test]
async fn an_update_sent_and_unanswered_is_not_sent_again() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
        server.board(),
    );
    server.set_faults(json!({"drop_after": 1.0})).await;
    server.clear_request_log().await;
    let error = client
        .update_app_card(&access, &board, "3458764517517852417", &titled("once"))
        .await
        .unwrap_err();
    server.set_faults(json!({})).await;
    assert!(
        matches!(
            error,
            MiroError::Transient {
                maybe_applied: true,
                ..
            }
        ),
        "{error:?}"
    );
    let patches = server
        .request_log()
        .await
        .iter()
        .filter(|(method, _, _)| method == "PATCH")
        .count();
    assert_eq!(
        patches, 1,
        "sent once; the caller reads to see if it landed"
    );
    let card = client
        .app_card(&access, &board, "3458764517517852417")
        .await
        .unwrap();
    assert_eq!(card.data.title, "once", "it did land");
}

#[tokio::test]
async fn a_create_whose_outcome_is_unknown_is_not_retried() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_secs(5)),
        server.access().await,
        server.board(),
    );
    for plan in [json!({"rate_503": 1.0}), json!({"drop_after": 1.0})] {
        server.set_faults(plan.clone()).await;
        server.clear_request_log().await;
        let error = client
            .create_app_card(&access, &board, &titled("once"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                MiroError::Transient {
                    maybe_applied: true,
                    ..
                }
            ),
            "{plan}: {error:?}"
        );
        let posts = server
            .request_log()
            .await
            .into_iter()
            .filter(|(m, _, _)| m == "POST")
            .count();
        assert_eq!(posts, 1, "{plan}: a create was sent more than once");
    }
}

#[tokio::test]
async fn every_call_ends_within_its_deadline() {
    let server = TestServer::start().await;
    let (client, access, board) = (
        server.miro_client(Duration::from_millis(500)),
        server.access().await,
        server.board(),
    );
    server.set_faults(json!({"latency_ms": 3000})).await;
    server.clear_request_log().await;
    let error = client.board(&access, &board).await.unwrap_err();
    assert!(matches!(error, MiroError::Transient { .. }), "{error:?}");
    // Told by the sandbox, not by a stopwatch: the client hung up on every
    // attempt before Miro answered (499), rather than waiting the 3 s out.
    // The sandbox logs a hang-up once it notices the closed connection.
    let mut log = server.request_log().await;
    for _ in 0..50 {
        if !log.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        log = server.request_log().await;
    }
    assert!(!log.is_empty(), "no attempt reached the sandbox");
    assert!(
        log.iter().all(|(_, _, status)| *status == 499),
        "an attempt outlived the deadline: {log:?}"
    );
}

#[tokio::test]
async fn a_429_that_never_ends_is_reported_as_rate_limited() {
    let server = TestServer::start().await;
    // Two attempts, well within the deadline: the attempts run out first.
    let client = server.miro_client_with(server::miro::RetryPolicy {
        max_attempts: 2,
        backoff_base: Duration::from_millis(10),
        ..Default::default()
    });
    let (access, board) = (server.access().await, server.board());
    server.set_faults(json!({"rate_429": 1.0})).await;
    let error = client.board(&access, &board).await.unwrap_err();
    let MiroError::RateLimited { reset_at, detail } = error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (detail.status, detail.code.as_deref()),
        (Some(429), Some("tooManyRequests")),
        "Miro's own answer is reported"
    );
    assert!(reset_at >= crate::support::unix_now());
}
