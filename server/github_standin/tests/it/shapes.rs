//! Every object the REST API answers has the shape GitHub documents: each
//! is validated against the webhook schemas' `common/` objects (issue,
//! label, milestone, user), which are the REST API's objects too.

use serde_json::{json, Value};

use crate::{
    schema::{root, Schemas},
    support::{settings, start, REPO},
};

#[test]
fn the_validator_passes_githubs_own_examples_and_fails_broken_ones() {
    let schemas = Schemas::load();
    let examples = root().join("../examples/issues");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        let payload: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let action = payload["action"].as_str().unwrap();
        schemas.assert_valid(&format!("issues/{action}.schema.json"), &payload);
        checked += 1;
    }
    assert!(
        checked >= 20,
        "only {checked} examples found in {}",
        examples.display()
    );

    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(examples.join("opened.payload.json")).unwrap(),
    )
    .unwrap();
    let mut missing = example["issue"].clone();
    missing.as_object_mut().unwrap().remove("user");
    assert!(!schemas
        .errors("common/issue.schema.json", &missing)
        .is_empty());
    let mut extra = example["issue"].clone();
    extra["sub_issues"] = json!([]);
    assert!(!schemas
        .errors("common/issue.schema.json", &extra)
        .is_empty());
    let mut nested = example["issue"].clone();
    nested["user"]["type"] = json!("Robot");
    assert!(
        !schemas
            .errors("common/issue.schema.json", &nested)
            .is_empty(),
        "a $ref'd user is checked"
    );
    let mut closed_opened = example.clone();
    closed_opened["issue"]["state"] = json!("closed");
    assert!(!schemas
        .errors("issues/opened.schema.json", &closed_opened)
        .is_empty());
    let mut bad_time = example["issue"].clone();
    bad_time["created_at"] = json!("yesterday");
    assert!(!schemas
        .errors("common/issue.schema.json", &bad_time)
        .is_empty());
}

async fn list(running: &crate::support::Running, path: &str) -> Vec<Value> {
    let response = running.get(path).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn issues_labels_milestones_and_users_have_githubs_shapes() {
    let running = start(settings()).await;
    running.standin.seed_issues(REPO, 60);
    let schemas = Schemas::load();

    let issues = list(
        &running,
        &format!("/repos/{REPO}/issues?state=all&per_page=100"),
    )
    .await;
    assert_eq!(issues.len(), 60);
    for issue in &issues {
        schemas.assert_valid("common/issue.schema.json", issue);
    }
    // The seed covers what the connector maps.
    let count = |pred: &dyn Fn(&Value) -> bool| issues.iter().filter(|i| pred(i)).count();
    assert!(count(&|i| i["state_reason"] == "completed") > 0);
    assert!(count(&|i| i["state_reason"] == "not_planned") > 0);
    assert!(count(&|i| i["state"] == "closed" && i["closed_at"].is_string()) > 0);
    assert!(count(&|i| i["milestone"]["due_on"].is_string()) > 0);
    assert!(count(&|i| i["milestone"].is_object() && i["milestone"]["due_on"].is_null()) > 0);
    assert!(count(&|i| i["assignees"].as_array().unwrap().len() == 2) > 0);
    assert!(count(&|i| i["labels"].as_array().unwrap().len() == 2) > 0);
    assert!(count(&|i| i["body"].is_null()) > 0);
    assert!(count(&|i| i["assignee"] == i["assignees"][0]) == 60);

    let one = running
        .get(&format!("/repos/{REPO}/issues/7"))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    schemas.assert_valid("common/issue.schema.json", &one);
    assert_eq!(one["number"], 7);
    assert_eq!(
        one["html_url"],
        format!("https://github.com/{REPO}/issues/7")
    );

    for label in list(&running, &format!("/repos/{REPO}/labels")).await {
        schemas.assert_valid("common/label.schema.json", &label);
    }
    let milestones = list(&running, &format!("/repos/{REPO}/milestones?state=all")).await;
    assert_eq!(milestones.len(), 3);
    for milestone in &milestones {
        schemas.assert_valid("common/milestone.schema.json", milestone);
    }
    assert_eq!(milestones[0]["title"], "v1.0", "earliest due date first");
    let users = list(&running, &format!("/repos/{REPO}/assignees")).await;
    assert!(users.len() >= 3);
    for user in &users {
        schemas.assert_valid("common/user.schema.json", user);
    }
    let me: Value = running
        .get("/user")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    schemas.assert_valid("common/user.schema.json", &me);

    let created = running
        .post(&format!("/repos/{REPO}/issues"), &json!({"title": "New", "labels": ["bug", "brand new"], "assignees": ["hubot"], "milestone": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/repos/{REPO}/issues/61", running.base));
    let created: Value = created.json().await.unwrap();
    schemas.assert_valid("common/issue.schema.json", &created);
    assert_eq!(
        created["labels"][1]["name"], "brand new",
        "an unknown label is created"
    );
    assert_eq!(created["milestone"]["number"], 2);
}
