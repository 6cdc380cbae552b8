//! Injected faults: GitHub's error shapes, and never applied.

use serde_json::{json, Value};

use crate::support::{header, receiver, settings, start, REPO};

#[tokio::test]
async fn a_scripted_fault_answers_once_and_is_not_applied() {
    let app = receiver().await;
    let mut settings = settings();
    settings.webhook_url = Some(app.url.clone());
    let running = start(settings).await;
    running.standin.seed_issues(REPO, 3);
    running
        .admin("/_standin/faults", &json!({"script": [{"method": "PATCH", "path_suffix": "/issues/3", "nth": 1, "status": 500}]}))
        .await;
    let issue = format!("/repos/{REPO}/issues/3");
    let failed = running
        .patch(&issue, &json!({"title": "First try"}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 500);
    assert!(failed.headers().contains_key("x-ratelimit-remaining"));
    let body: Value = failed.json().await.unwrap();
    assert!(
        body["message"].is_string() && body["documentation_url"].is_string(),
        "{body}"
    );
    let unchanged: Value = running
        .get(&issue)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(
        unchanged["title"], "First try",
        "an injected fault is not applied"
    );
    assert!(running.settled_deliveries().await.is_empty());

    let retried = running
        .patch(&issue, &json!({"title": "Second try"}))
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 200);
    assert_eq!(running.settled_deliveries().await.len(), 1);
    assert_eq!(app.received().len(), 1);
    let log = running.requests().await;
    let patches: Vec<&Value> = log.iter().filter(|r| r["method"] == "PATCH").collect();
    assert_eq!(patches.len(), 2);
    assert_eq!(
        (patches[0]["status"].clone(), patches[0]["fault"].clone()),
        (json!(500), json!("500"))
    );
    assert!(patches[1]["fault"].is_null());
}

#[tokio::test]
async fn random_faults_answer_githubs_errors_and_a_bad_plan_is_refused() {
    let running = start(settings()).await;
    running.standin.seed_issues(REPO, 2);
    let path = format!("/repos/{REPO}/issues/1");
    running
        .admin(
            "/_standin/faults",
            &json!({"rate_403_rate_limit": 1.0, "retry_after_seconds": 3}),
        )
        .await;
    let limited = running.get(&path).send().await.unwrap();
    assert_eq!(limited.status(), 403);
    assert_eq!(header(limited.headers(), "retry-after"), "3");
    let body: Value = limited.json().await.unwrap();
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("secondary rate limit"));

    running
        .admin("/_standin/faults", &json!({"rate_502": 1.0}))
        .await;
    assert_eq!(running.get(&path).send().await.unwrap().status(), 502);
    running
        .admin(
            "/_standin/faults",
            &json!({"script": [{"method": "GET", "path_suffix": "/issues/1", "status": 429}]}),
        )
        .await;
    let secondary = running.get(&path).send().await.unwrap();
    assert_eq!(secondary.status(), 429);
    assert!(secondary.headers().contains_key("retry-after"));
    assert_eq!(
        running.get(&path).send().await.unwrap().status(),
        200,
        "the plan was replaced"
    );

    let bad = running
        .http
        .post(format!("{}/_standin/faults", running.base))
        .json(&json!({"rate_500": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let unknown = running
        .http
        .post(format!("{}/_standin/faults", running.base))
        .json(&json!({"rate_404": 0.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn with_thirty_percent_faults_every_edit_lands_once_retried() {
    let app = receiver().await;
    let mut settings = settings();
    settings.webhook_url = Some(app.url.clone());
    let running = start(settings).await;
    running.standin.seed_issues(REPO, 10);
    running
        .admin("/_standin/faults", &json!({"rate_500": 0.1, "rate_502": 0.1, "rate_403_rate_limit": 0.1, "seed": 1, "retry_after_seconds": 0}))
        .await;
    let mut failures = 0;
    for number in 1..=10 {
        let path = format!("/repos/{REPO}/issues/{number}");
        loop {
            let response = running
                .patch(&path, &json!({"title": format!("Edit {number}")}))
                .send()
                .await
                .unwrap();
            if response.status() == 200 {
                break;
            }
            assert!([403, 500, 502].contains(&response.status().as_u16()));
            failures += 1;
        }
    }
    assert!(failures > 0, "a 30 % plan injected nothing");
    running.admin("/_standin/faults", &json!({})).await;
    let issues: Vec<Value> = running
        .get(&format!("/repos/{REPO}/issues?state=all"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(issues
        .iter()
        .all(|i| i["title"] == format!("Edit {}", i["number"])));
    assert_eq!(
        running.settled_deliveries().await.len(),
        10,
        "one delivery per applied edit"
    );
}
