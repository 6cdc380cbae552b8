//! The JSON GitHub answers and delivers: users, labels, milestones, issues
//! and repositories, with every member GitHub's documented objects require
//! (the schemas in `shared/github/webhooks/schemas/common/`), and nothing
//! they forbid. The REST API and the webhook payloads use the same
//! objects, so both render here.

use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::world::{user_id, Issue, Label, Milestone, Repo, API_URL, WEB_URL};

/// `2024-01-31T09:00:00Z`: GitHub's timestamps, UTC, no fractions.
pub fn timestamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn optional_timestamp(at: Option<OffsetDateTime>) -> Value {
    at.map_or(Value::Null, |at| Value::String(timestamp(at)))
}

/// A path segment escaped for a URL (label names have spaces).
pub fn escape_segment(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A user ("simple user").
pub fn user(login: &str) -> Value {
    let api = format!("{API_URL}/users/{login}");
    let id = user_id(login);
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_standin{id}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{WEB_URL}/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": if login.ends_with("[bot]") { "Bot" } else { "User" },
        "site_admin": false,
    })
}

pub fn label(repo: &Repo, label: &Label) -> Value {
    json!({
        "id": label.id,
        "node_id": format!("LA_standin{}", label.id),
        "url": format!("{}/labels/{}", repo_api(repo), escape_segment(&label.name)),
        "name": label.name,
        "color": label.color,
        "default": label.default,
        "description": label.description,
    })
}

pub fn milestone(repo: &Repo, milestone: &Milestone) -> Value {
    let api = format!("{}/milestones/{}", repo_api(repo), milestone.number);
    let (open, closed) = repo.milestone_counts(milestone.number);
    json!({
        "url": api,
        "html_url": format!("{}/milestone/{}", repo_web(repo), milestone.number),
        "labels_url": format!("{api}/labels"),
        "id": milestone.id,
        "node_id": format!("MI_standin{}", milestone.id),
        "number": milestone.number,
        "title": milestone.title,
        "description": milestone.description,
        "creator": user(&milestone.creator),
        "open_issues": open,
        "closed_issues": closed,
        "state": if milestone.open { "open" } else { "closed" },
        "created_at": timestamp(milestone.created_at),
        "updated_at": timestamp(milestone.created_at),
        "due_on": optional_timestamp(milestone.due_on),
        "closed_at": Value::Null,
    })
}

pub fn issue(repo: &Repo, issue: &Issue) -> Value {
    let api = format!("{}/issues/{}", repo_api(repo), issue.number);
    let assignees: Vec<Value> = issue.assignees.iter().map(|a| user(a)).collect();
    let labels: Vec<Value> = issue
        .labels
        .iter()
        .filter_map(|id| repo.label(*id))
        .map(|l| label(repo, l))
        .collect();
    let milestone_json = issue
        .milestone
        .and_then(|n| repo.milestone(n))
        .map_or(Value::Null, |m| milestone(repo, m));
    json!({
        "url": api,
        "repository_url": repo_api(repo),
        "labels_url": format!("{api}/labels{{/name}}"),
        "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"),
        "html_url": format!("{}/issues/{}", repo_web(repo), issue.number),
        "id": issue.id,
        "node_id": format!("I_standin{}", issue.id),
        "number": issue.number,
        "title": issue.title,
        "user": user(&issue.author),
        "labels": labels,
        "state": issue.state.as_str(),
        "locked": false,
        // `assignee` is the first of `assignees`, as GitHub keeps it.
        "assignee": assignees.first().cloned().unwrap_or(Value::Null),
        "assignees": assignees,
        "milestone": milestone_json,
        "comments": issue.comments,
        "created_at": timestamp(issue.created_at),
        "updated_at": timestamp(issue.updated_at),
        "closed_at": optional_timestamp(issue.closed_at),
        "author_association": if issue.author.eq_ignore_ascii_case(&repo.owner) { "OWNER" } else { "COLLABORATOR" },
        "active_lock_reason": Value::Null,
        "body": issue.body,
        "reactions": reactions(&api),
        "timeline_url": format!("{api}/timeline"),
        "performed_via_github_app": Value::Null,
        "state_reason": issue.state_reason,
    })
}

fn reactions(issue_api: &str) -> Value {
    json!({
        "url": format!("{issue_api}/reactions"),
        "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
        "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
    })
}

fn repo_api(repo: &Repo) -> String {
    format!("{API_URL}/repos/{}/{}", repo.owner, repo.name)
}

fn repo_web(repo: &Repo) -> String {
    format!("{WEB_URL}/{}/{}", repo.owner, repo.name)
}

/// A repository, as webhook payloads carry it.
pub fn repository(repo: &Repo) -> Value {
    repository_named(
        repo.id,
        &repo.owner,
        &repo.name,
        repo.created_at,
        repo.issues
            .values()
            .filter(|i| i.state == super::world::State::Open)
            .count(),
    )
}

/// A repository the stand-in may not hold (the target of a transfer).
pub fn repository_named(
    id: u64,
    owner: &str,
    name: &str,
    created_at: OffsetDateTime,
    open_issues: usize,
) -> Value {
    let api = format!("{API_URL}/repos/{owner}/{name}");
    let web = format!("{WEB_URL}/{owner}/{name}");
    let at = timestamp(created_at);
    let mut object = json!({
        "id": id,
        "node_id": format!("R_standin{id}"),
        "name": name,
        "full_name": format!("{owner}/{name}"),
        "private": true,
        "owner": user(owner),
        "html_url": web,
        "description": Value::Null,
        "fork": false,
        "url": api,
        "created_at": at, "updated_at": at, "pushed_at": at,
        "git_url": format!("git://github.com/{owner}/{name}.git"),
        "ssh_url": format!("git@github.com:{owner}/{name}.git"),
        "clone_url": format!("{web}.git"),
        "svn_url": web,
        "homepage": Value::Null,
        "size": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0,
        "language": Value::Null,
        "has_issues": true, "has_projects": true, "has_downloads": true,
        "has_wiki": true, "has_pages": false, "has_discussions": false,
        "forks_count": 0, "forks": 0,
        "mirror_url": Value::Null,
        "archived": false, "disabled": false,
        "open_issues_count": open_issues, "open_issues": open_issues,
        "license": Value::Null,
        "default_branch": "main",
        "is_template": false,
        "web_commit_signoff_required": false,
        "topics": [],
        "visibility": "private",
        "custom_properties": {},
    });
    // The API URLs of the repository's collections, as GitHub lists them.
    let urls = [
        ("forks_url", "/forks"),
        ("keys_url", "/keys{/key_id}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("teams_url", "/teams"),
        ("hooks_url", "/hooks"),
        ("issue_events_url", "/issues/events{/number}"),
        ("events_url", "/events"),
        ("assignees_url", "/assignees{/user}"),
        ("branches_url", "/branches{/branch}"),
        ("tags_url", "/tags"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("trees_url", "/git/trees{/sha}"),
        ("statuses_url", "/statuses/{sha}"),
        ("languages_url", "/languages"),
        ("stargazers_url", "/stargazers"),
        ("contributors_url", "/contributors"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("commits_url", "/commits{/sha}"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("comments_url", "/comments{/number}"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("contents_url", "/contents/{+path}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("merges_url", "/merges"),
        ("archive_url", "/{archive_format}{/ref}"),
        ("downloads_url", "/downloads"),
        ("issues_url", "/issues{/number}"),
        ("pulls_url", "/pulls{/number}"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("labels_url", "/labels{/name}"),
        ("releases_url", "/releases{/id}"),
        ("deployments_url", "/deployments"),
    ];
    for (key, suffix) in urls {
        object[key] = Value::String(format!("{api}{suffix}"));
    }
    object
}
