//! Lists page with `Link` headers to the end, and filter as GitHub's do.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{settings, start, start_at, REPO};

/// The URL of a `Link` relation.
fn link(header: &str, rel: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        (params.trim() == format!("rel=\"{rel}\"")).then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

#[tokio::test]
async fn two_hundred_fifty_issues_page_to_the_end_without_repeats() {
    let running = start(settings()).await;
    running.standin.seed_issues(REPO, 250);
    let mut next = Some(format!("/repos/{REPO}/issues?state=all&per_page=100"));
    let mut seen = BTreeSet::new();
    let mut pages = Vec::new();
    while let Some(url) = next {
        let response = running.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let links = response
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let issues: Vec<Value> = response.json().await.unwrap();
        for issue in &issues {
            assert!(
                seen.insert(issue["number"].as_u64().unwrap()),
                "{} repeated",
                issue["number"]
            );
        }
        pages.push((issues.len(), links.clone()));
        next = link(&links, "next");
    }
    assert_eq!(seen.len(), 250);
    assert_eq!(
        seen.iter().copied().collect::<Vec<_>>(),
        (1..=250).collect::<Vec<u64>>()
    );
    assert_eq!(
        pages.iter().map(|p| p.0).collect::<Vec<_>>(),
        [100, 100, 50]
    );
    let first = &pages[0].1;
    assert!(link(first, "last").unwrap().ends_with("page=3"), "{first}");
    assert!(link(first, "last").unwrap().starts_with(&running.base));
    assert!(link(first, "prev").is_none());
    let middle = &pages[1].1;
    assert!(link(middle, "prev").unwrap().ends_with("page=1"));
    assert!(link(middle, "first").unwrap().contains("state=all"));
    assert!(link(&pages[2].1, "next").is_none());
}

#[tokio::test]
async fn lists_filter_by_state_label_assignee_and_since_and_cap_per_page() {
    let running = start(settings()).await;
    running.standin.seed_issues(REPO, 120);
    let get = |query: String| {
        let request = running.get(&format!("/repos/{REPO}/issues?{query}"));
        async move {
            request
                .send()
                .await
                .unwrap()
                .json::<Vec<Value>>()
                .await
                .unwrap()
        }
    };
    let capped = get("state=all&per_page=500".into()).await;
    assert_eq!(capped.len(), 100, "per_page is capped at 100");
    let default = get(String::new()).await;
    assert_eq!(default.len(), 30, "30 by default");
    assert!(
        default.iter().all(|i| i["state"] == "open"),
        "open by default"
    );
    assert!(
        default
            .windows(2)
            .all(|w| w[0]["created_at"].as_str() >= w[1]["created_at"].as_str()),
        "newest first"
    );

    let closed = get("state=closed&per_page=100".into()).await;
    assert_eq!(closed.len(), 24);
    let bugs = get("state=all&labels=bug&per_page=100".into()).await;
    assert!(!bugs.is_empty());
    assert!(bugs.iter().all(|i| i["labels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["name"] == "bug")));
    let both = get("state=all&labels=bug,enhancement&per_page=100".into()).await;
    assert!(both.len() < bugs.len());
    let hubot = get("state=all&assignee=hubot&per_page=100".into()).await;
    assert!(!hubot.is_empty());
    assert!(hubot.iter().all(|i| i["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["login"] == "hubot")));
    let nobody = get("state=all&assignee=none&per_page=100".into()).await;
    assert!(
        nobody
            .iter()
            .all(|i| i["assignees"].as_array().unwrap().is_empty())
            && !nobody.is_empty()
    );

    let since = "2025-02-01T00:00:00Z";
    let recent = get(format!("state=all&per_page=100&since={since}")).await;
    assert!(!recent.is_empty() && recent.len() < 100);
    assert!(recent
        .iter()
        .all(|i| i["updated_at"].as_str().unwrap() >= since));
}

#[tokio::test]
async fn links_and_locations_keep_the_prefix_the_stand_in_is_mounted_at() {
    let running = start_at("/github", settings()).await;
    assert!(running.base.ends_with("/github"));
    running.standin.seed_issues(REPO, 40);
    let first = running
        .get(&format!("/repos/{REPO}/issues"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let links = first.headers()["link"].to_str().unwrap().to_owned();
    let next = link(&links, "next").unwrap();
    assert!(
        next.starts_with(&format!("{}/repos/", running.base)),
        "{next}"
    );
    let second: Vec<Value> = running
        .get(&next)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second.len(), 2, "32 of the 40 are open");
    running
        .admin(
            &format!("/_standin/issues/{REPO}/3/transfer"),
            &serde_json::json!({}),
        )
        .await;
    let moved = running
        .get(&format!("/repos/{REPO}/issues/3"))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 301);
    let location = moved.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{}/repositories/", running.base)),
        "{location}"
    );
}
