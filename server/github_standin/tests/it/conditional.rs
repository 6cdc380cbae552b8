//! Conditional requests, the rate limit and authentication.

use std::time::{SystemTime, UNIX_EPOCH};

use github_standin::LimitSettings;
use serde_json::{json, Value};

use crate::support::{header, settings, start, REPO, TOKEN};

fn number(response: &reqwest::Response, name: &str) -> u64 {
    header(response.headers(), name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} missing"))
}

#[tokio::test]
async fn a_matching_etag_is_answered_304_without_spending_the_rate_limit() {
    let running = start(settings()).await;
    running.standin.seed_issues(REPO, 5);
    let path = format!("/repos/{REPO}/issues?state=all");
    let first = running.get(&path).send().await.unwrap();
    let etag = header(first.headers(), "etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let remaining = number(&first, "x-ratelimit-remaining");
    assert_eq!(number(&first, "x-ratelimit-limit"), 5000);
    assert_eq!(number(&first, "x-ratelimit-used"), 1);
    assert_eq!(header(first.headers(), "x-ratelimit-resource"), "core");

    for _ in 0..3 {
        let again = running
            .get(&path)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
        assert_eq!(header(again.headers(), "etag"), etag);
        assert_eq!(
            number(&again, "x-ratelimit-remaining"),
            remaining,
            "a 304 is free"
        );
        assert!(again.bytes().await.unwrap().is_empty());
    }
    let unconditional = running.get(&path).send().await.unwrap();
    assert_eq!(unconditional.status(), 200);
    assert_eq!(
        number(&unconditional, "x-ratelimit-remaining"),
        remaining - 1
    );

    // A change makes the old tag stale.
    running
        .patch(
            &format!("/repos/{REPO}/issues/2"),
            &json!({"title": "Changed"}),
        )
        .send()
        .await
        .unwrap();
    let changed = running
        .get(&path)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(header(changed.headers(), "etag"), etag);

    let log = running.requests().await;
    assert_eq!(
        log.iter()
            .filter(|r| r["not_modified"] == true && r["status"] == 304)
            .count(),
        3
    );
}

#[tokio::test]
async fn a_spent_rate_limit_is_answered_403_with_retry_after_until_the_reset() {
    let running = start(settings()).await;
    running.standin.seed_issues(REPO, 3);
    running.standin.set_rate_limit(LimitSettings {
        limit: 3,
        window_seconds: 2,
    });
    let path = format!("/repos/{REPO}/issues/1");
    for left in (0..3).rev() {
        let ok = running.get(&path).send().await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(number(&ok, "x-ratelimit-remaining"), left);
    }
    let refused = running.get(&path).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(number(&refused, "x-ratelimit-remaining"), 0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = number(&refused, "x-ratelimit-reset");
    assert!(reset >= now && reset <= now + 2, "reset {reset}, now {now}");
    let retry_after = number(&refused, "retry-after");
    assert!((1..=2).contains(&retry_after));
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("API rate limit exceeded"),
        "{body}"
    );
    assert!(body["documentation_url"]
        .as_str()
        .unwrap()
        .contains("rate-limit"));

    // A refused request does not count; after the reset the budget is back.
    tokio::time::sleep(std::time::Duration::from_millis(retry_after * 1000 + 200)).await;
    let back = running.get(&path).send().await.unwrap();
    assert_eq!(back.status(), 200);
    assert_eq!(number(&back, "x-ratelimit-remaining"), 2);
}

#[tokio::test]
async fn tokens_are_checked_and_unknown_repositories_are_not_found() {
    let running = start(settings()).await;
    running.standin.seed_issues(REPO, 1);
    let url = format!("{}/repos/{REPO}/issues", running.base);
    let missing = running.http.get(&url).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["message"], "Requires authentication");

    let wrong = running
        .http
        .get(&url)
        .bearer_auth("ghp_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().contains_key("x-ratelimit-limit"));
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["message"], "Bad credentials");
    assert!(body["documentation_url"]
        .as_str()
        .unwrap()
        .starts_with("https://docs.github.com/"));

    let classic = running
        .http
        .get(&url)
        .header("Authorization", format!("token {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(classic.status(), 200, "the `token` scheme works too");

    let elsewhere = running
        .get("/repos/someone/else/issues")
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 404);
    let body: Value = elsewhere.json().await.unwrap();
    assert_eq!(body["message"], "Not Found");
    assert_eq!(
        running
            .get(&format!("/repos/{REPO}/issues/999"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        running
            .get(&format!("/repos/{REPO}/pulls"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
