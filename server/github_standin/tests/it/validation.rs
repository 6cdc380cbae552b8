//! Refused input: GitHub's 400 and 422 answers, and nothing changed.

use serde_json::{json, Value};

use crate::support::{receiver, settings, start, REPO};

async fn refused(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

#[tokio::test]
async fn bad_input_is_refused_422_with_githubs_errors_and_changes_nothing() {
    let app = receiver().await;
    let mut settings = settings();
    settings.webhook_url = Some(app.url.clone());
    let running = start(settings).await;
    running.standin.seed_issues(REPO, 3);
    let issue = format!("/repos/{REPO}/issues/3");
    let before: Value = running
        .get(&issue)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let body = refused(
        running
            .post(
                &format!("/repos/{REPO}/issues"),
                &json!({"body": "no title"}),
            )
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["message"], "Validation Failed");
    assert_eq!(
        body["errors"],
        json!([{"resource": "Issue", "field": "title", "code": "missing_field"}])
    );

    let body = refused(
        running
            .patch(&issue, &json!({"state": "done"}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(
        body["errors"][0],
        json!({"resource": "Issue", "field": "state", "code": "invalid", "value": "done"})
    );
    let body = refused(
        running
            .patch(&issue, &json!({"title": "x", "assignees": ["nobody-here"]}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "assignees");
    let body = refused(
        running
            .patch(&issue, &json!({"labels": ["new label"], "milestone": 99}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "milestone");
    let body = refused(
        running
            .patch(&issue, &json!({"title": 5}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid request."),
        "{body}"
    );
    let body = refused(
        running
            .get(&format!("/repos/{REPO}/issues?state=sideways"))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "state");
    let not_json = running
        .patch(&issue, &json!(null))
        .body("{not json")
        .send()
        .await
        .unwrap();
    let body = refused(not_json, 400).await;
    assert_eq!(body["message"], "Problems parsing JSON");

    let labels = format!("/repos/{REPO}/labels");
    let body = refused(
        running
            .post(&labels, &json!({"name": "BUG"}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "already_exists");
    let body = refused(
        running
            .post(&labels, &json!({"name": "grey", "color": "grey"}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "color");

    let after: Value = running
        .get(&issue)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before, after);
    let names: Vec<Value> = running
        .get(&labels)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !names.iter().any(|l| l["name"] == "new label"),
        "a refused edit creates no label"
    );
    assert!(running.settled_deliveries().await.is_empty());
    assert!(app.received().is_empty());
}
