//! Webhook deliveries: what each change sends, signed, in order, in
//! GitHub's payload shapes; admin edits, deletes and transfers; and
//! redelivery under the same id.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::{
    schema::Schemas,
    support::{header, receiver, settings, start, Received, Running, OTHER_REPO, REPO, SECRET},
};

/// Checks a delivery's headers and signature, validates its payload
/// against its event's schema, and returns `(event, payload)`.
fn check(schemas: &Schemas, received: &Received) -> (String, Value) {
    let headers = &received.headers;
    assert_eq!(header(headers, "content-type"), "application/json");
    assert!(header(headers, "user-agent").starts_with("GitHub-Hookshot/"));
    assert!(!header(headers, "x-github-hook-id").is_empty());
    let id = header(headers, "x-github-delivery");
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");

    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&received.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        header(headers, "x-hub-signature-256"),
        format!("sha256={expected}")
    );

    let event = header(headers, "x-github-event").to_owned();
    let payload: Value = serde_json::from_slice(&received.body).unwrap();
    let action = payload["action"].as_str().unwrap();
    schemas.assert_valid(&format!("{event}/{action}.schema.json"), &payload);
    (event, payload)
}

async fn with_app() -> (Running, crate::support::Receiver) {
    let app = receiver().await;
    let mut settings = settings();
    settings.webhook_url = Some(app.url.clone());
    let running = start(settings).await;
    running.standin.seed_issues(REPO, 12);
    (running, app)
}

fn actions(schemas: &Schemas, app: &crate::support::Receiver) -> Vec<String> {
    app.received()
        .iter()
        .map(|r| {
            let (event, payload) = check(schemas, r);
            format!("{event}.{}", payload["action"].as_str().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn rest_changes_deliver_signed_events_in_order_that_match_the_schemas() {
    let (running, app) = with_app().await;
    let schemas = Schemas::load();
    // Seeded issue 1 has one label, one assignee and milestone 1.
    let before: Value = running
        .get(&format!("/repos/{REPO}/issues/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before["milestone"]["number"], 1);
    let edit = json!({
        "title": "Renamed", "body": "New body", "state": "closed", "state_reason": "not_planned",
        "labels": ["question"], "assignees": ["monalisa"], "milestone": 2,
    });
    let response = running
        .patch(&format!("/repos/{REPO}/issues/1"), &edit)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let after: Value = response.json().await.unwrap();
    assert_eq!(
        (after["state"].as_str(), after["state_reason"].as_str()),
        (Some("closed"), Some("not_planned"))
    );

    let deliveries = running.settled_deliveries().await;
    assert!(
        deliveries.iter().all(|d| d["status"] == 200),
        "{deliveries:?}"
    );
    assert_eq!(
        actions(&schemas, &app),
        [
            "issues.edited",
            "issues.closed",
            "issues.unlabeled",
            "issues.labeled",
            "issues.unassigned",
            "issues.assigned",
            "issues.demilestoned",
            "issues.milestoned",
        ]
    );
    let edited: Value = serde_json::from_slice(&app.received()[0].body).unwrap();
    assert_eq!(edited["changes"]["title"]["from"], before["title"]);
    assert_eq!(
        edited["sender"]["login"], "octocat",
        "REST changes are the token owner's"
    );
    assert_eq!(edited["repository"]["full_name"], REPO);
    let last: Value = serde_json::from_slice(&app.received()[7].body).unwrap();
    assert_eq!(
        last["issue"], after,
        "the last event carries the issue as answered"
    );

    // Reopening, creating, and labels.
    running
        .patch(
            &format!("/repos/{REPO}/issues/1"),
            &json!({"state": "open"}),
        )
        .send()
        .await
        .unwrap();
    running
        .post(&format!("/repos/{REPO}/issues"), &json!({"title": "Fresh"}))
        .send()
        .await
        .unwrap();
    running
        .post(
            &format!("/repos/{REPO}/labels"),
            &json!({"name": "triage", "color": "#C0FFEE"}),
        )
        .send()
        .await
        .unwrap();
    let renamed = running
        .patch(
            &format!("/repos/{REPO}/labels/triage"),
            &json!({"new_name": "triaged", "color": "00ff00"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    // An edit that changes nothing sends nothing.
    running
        .patch(
            &format!("/repos/{REPO}/issues/1"),
            &json!({"title": "Renamed"}),
        )
        .send()
        .await
        .unwrap();
    running.settled_deliveries().await;
    let all = actions(&schemas, &app);
    assert_eq!(
        all[8..],
        [
            "issues.reopened",
            "issues.opened",
            "label.created",
            "label.edited"
        ]
    );
    let label_edit: Value = serde_json::from_slice(&app.received()[11].body).unwrap();
    assert_eq!(label_edit["changes"]["name"]["from"], "triage");
    assert_eq!(label_edit["label"]["color"], "00ff00");
}

#[tokio::test]
async fn deliveries_never_hold_up_the_request_that_caused_them() {
    // An app that takes two seconds to answer.
    let slow = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", slow.local_addr().unwrap());
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            "late"
        }),
    );
    tokio::spawn(async move { axum::serve(slow, router).await.unwrap() });
    let running = start(settings()).await;
    running.standin.seed_issues(REPO, 2);
    running.standin.set_webhook_url(Some(url));
    let started = Instant::now();
    let response = running
        .patch(
            &format!("/repos/{REPO}/issues/1"),
            &json!({"title": "Quick"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    let deliveries = running.settled_deliveries().await;
    assert_eq!(deliveries[0]["status"], 200);
}

#[tokio::test]
async fn admin_edits_deletes_and_transfers_deliver_and_change_the_api() {
    let (running, app) = with_app().await;
    let schemas = Schemas::load();
    let edited = running
        .admin(
            &format!("/_standin/issues/{REPO}/4/edit"),
            &json!({"title": "Edited on GitHub", "assignees": []}),
        )
        .await;
    assert_eq!(edited["title"], "Edited on GitHub");
    running
        .admin(&format!("/_standin/issues/{REPO}/5/delete"), &json!({}))
        .await;
    running
        .admin(
            &format!("/_standin/issues/{REPO}/6/transfer"),
            &json!({"new_repository": OTHER_REPO}),
        )
        .await;
    running.settled_deliveries().await;
    let all = actions(&schemas, &app);
    assert_eq!(all.first().map(String::as_str), Some("issues.edited"));
    assert!(
        all.ends_with(&["issues.deleted".to_owned(), "issues.transferred".to_owned()]),
        "{all:?}"
    );
    let first: Value = serde_json::from_slice(&app.received()[0].body).unwrap();
    assert_eq!(first["sender"]["login"], "monalisa", "someone else made it");

    let fetched: Value = running
        .get(&format!("/repos/{REPO}/issues/4"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["title"], "Edited on GitHub");
    let deleted = running
        .get(&format!("/repos/{REPO}/issues/5"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 404);
    let moved = running
        .get(&format!("/repos/{REPO}/issues/6"))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 301);
    let location = header(moved.headers(), "location").to_owned();
    assert!(location.starts_with(&running.base), "{location}");
    let body: Value = moved.json().await.unwrap();
    assert_eq!(body["message"], "Moved Permanently");
    let followed: Value = running
        .get(&location)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        followed["repository_url"],
        format!("https://api.github.com/repos/{OTHER_REPO}")
    );
    let listed: Vec<Value> = running
        .get(&format!("/repos/{REPO}/issues?state=all&per_page=100"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed.len(),
        10,
        "deleted and transferred issues are not listed"
    );
    let patched = running
        .patch(&format!("/repos/{REPO}/issues/5"), &json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 404);
}

#[tokio::test]
async fn a_redelivery_sends_the_same_bytes_under_the_same_id() {
    let (running, app) = with_app().await;
    let schemas = Schemas::load();
    running
        .patch(&format!("/repos/{REPO}/issues/2"), &json!({"body": "once"}))
        .send()
        .await
        .unwrap();
    let deliveries = running.settled_deliveries().await;
    let id = deliveries[0]["id"].as_str().unwrap().to_owned();
    running
        .admin(&format!("/_standin/redeliver/{id}"), &json!({}))
        .await;
    let deliveries = running.settled_deliveries().await;
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[1]["redelivery"], true);
    let received = app.received();
    assert_eq!(received.len(), 2);
    check(&schemas, &received[1]);
    assert_eq!(
        header(&received[0].headers, "x-github-delivery"),
        header(&received[1].headers, "x-github-delivery")
    );
    assert_eq!(received[0].body, received[1].body);
    assert_eq!(
        header(&received[0].headers, "x-hub-signature-256"),
        header(&received[1].headers, "x-hub-signature-256")
    );
    let unknown = running
        .http
        .post(format!("{}/_standin/redeliver/nope", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn without_a_webhook_url_deliveries_are_logged_but_not_sent() {
    let running = start(settings()).await;
    running.standin.seed_issues(REPO, 1);
    running
        .patch(
            &format!("/repos/{REPO}/issues/1"),
            &json!({"state": "closed"}),
        )
        .send()
        .await
        .unwrap();
    let deliveries = running.settled_deliveries().await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0]["action"], "closed");
    assert!(deliveries[0]["status"].is_null());
    assert_eq!(deliveries[0]["error"], "no webhook_url");
}

#[tokio::test]
async fn the_rust_api_edits_as_someone_else_and_waits_for_deliveries() {
    let (running, app) = with_app().await;
    let schemas = Schemas::load();
    let standin = &running.standin;
    let edited = standin
        .edit_issue(REPO, 3, &json!({"labels": ["bug"]}), "hubot")
        .unwrap();
    assert_eq!(edited["labels"][0]["name"], "bug");
    let refused = standin.edit_issue(REPO, 3, &json!({"state": "sideways"}), "hubot");
    assert!(refused.unwrap_err().starts_with("422"));
    assert!(standin
        .edit_issue(REPO, 99, &json!({}), "hubot")
        .unwrap_err()
        .starts_with("404"));
    let log = standin
        .settled_deliveries(Duration::from_secs(5))
        .await
        .unwrap();
    assert!(!log.is_empty() && log.iter().all(|d| d.status == Some(200)));
    assert!(log.iter().all(|d| d.payload["sender"]["login"] == "hubot"));
    assert_eq!(actions(&schemas, &app).len(), log.len());
}
