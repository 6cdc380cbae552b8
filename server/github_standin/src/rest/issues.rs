//! `/repos/{owner}/{repo}/issues`: list (filtered, sorted, paged), get,
//! create and update.

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse, Response},
    Extension, Json,
};
use http::{header, HeaderValue, StatusCode, Uri};
use serde_json::Value;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{number, repo_at};
use crate::{
    edit,
    errors::{ApiError, FieldError},
    gate::ApiBase,
    input,
    paging::{self, param, Paging},
    render,
    world::{Issue, State as IssueState, TOKEN_OWNER},
    GitHubStandIn,
};

/// What a list asks for, read from the query string.
struct Filter {
    state: Option<IssueState>,
    labels: Vec<String>,
    assignee: Option<String>,
    since: Option<OffsetDateTime>,
    sort: String,
    ascending: bool,
}

fn filter(pairs: &[(String, String)]) -> Result<Filter, ApiError> {
    let invalid = |field: &str, value: &str| {
        ApiError::validation_failed(vec![FieldError::invalid(
            "Issue",
            field,
            Value::from(value),
        )])
    };
    let state = match param(pairs, "state").unwrap_or("open") {
        "open" => Some(IssueState::Open),
        "closed" => Some(IssueState::Closed),
        "all" => None,
        other => return Err(invalid("state", other)),
    };
    let since = match param(pairs, "since") {
        None => None,
        Some(text) => {
            Some(OffsetDateTime::parse(text, &Rfc3339).map_err(|_| invalid("since", text))?)
        }
    };
    let sort = param(pairs, "sort").unwrap_or("created").to_owned();
    if !["created", "updated", "comments"].contains(&sort.as_str()) {
        return Err(invalid("sort", &sort));
    }
    let ascending = match param(pairs, "direction").unwrap_or("desc") {
        "asc" => true,
        "desc" => false,
        other => return Err(invalid("direction", other)),
    };
    Ok(Filter {
        state,
        labels: param(pairs, "labels")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        assignee: param(pairs, "assignee").map(str::to_owned),
        since,
        sort,
        ascending,
    })
}

impl Filter {
    fn keeps(&self, issue: &Issue, label_names: &[String]) -> bool {
        let state = self.state.as_ref().is_none_or(|s| *s == issue.state);
        let labels = self
            .labels
            .iter()
            .all(|wanted| label_names.iter().any(|n| n.eq_ignore_ascii_case(wanted)));
        let assignee = match self.assignee.as_deref() {
            None => true,
            Some("none") => issue.assignees.is_empty(),
            Some("*") => !issue.assignees.is_empty(),
            Some(login) => issue
                .assignees
                .iter()
                .any(|a| a.eq_ignore_ascii_case(login)),
        };
        let since = self.since.is_none_or(|since| issue.updated_at >= since);
        state && labels && assignee && since
    }
}

pub async fn list(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo)): Path<(String, String)>,
    Extension(base): Extension<ApiBase>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let pairs = paging::query_pairs(uri.query());
    let filter = filter(&pairs)?;
    let paging = Paging::from_query(&pairs, standin.0.settings.per_page_max);
    let world = standin.world();
    let repo = &world.repos[repo_at(&world, &owner, &repo)?];
    let mut matching: Vec<&Issue> = repo
        .issues
        .values()
        .filter(|issue| {
            let names: Vec<String> = issue
                .labels
                .iter()
                .filter_map(|id| repo.label(*id).map(|l| l.name.clone()))
                .collect();
            filter.keeps(issue, &names)
        })
        .collect();
    // The number breaks ties, so pages never overlap.
    matching.sort_by_key(|issue| {
        let key = match filter.sort.as_str() {
            "updated" => issue.updated_at.unix_timestamp(),
            "comments" => i64::from(issue.comments),
            _ => issue.created_at.unix_timestamp(),
        };
        (key, issue.number)
    });
    if !filter.ascending {
        matching.reverse();
    }
    let total = matching.len();
    let items = matching[paging.range(total)]
        .iter()
        .map(|issue| render::issue(repo, issue))
        .collect();
    let link = paging.link(&base.0, uri.path(), &pairs, total);
    Ok(paging::answer(items, link))
}

pub async fn get_one(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo, issue)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let number = number(&issue)?;
    let world = standin.world();
    let repo = &world.repos[repo_at(&world, &owner, &repo)?];
    Ok(Json(render::issue(repo, edit::find_issue(repo, number)?)))
}

/// Where a 301 for a transferred issue points.
pub async fn get_by_repository_id(
    State(standin): State<GitHubStandIn>,
    Path((id, issue)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let number = number(&issue)?;
    let id: u64 = id.parse().map_err(|_| ApiError::not_found())?;
    let world = standin.world();
    let repo = world.repo_by_id(id).ok_or_else(ApiError::not_found)?;
    Ok(Json(render::issue(repo, edit::find_issue(repo, number)?)))
}

pub async fn create(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input = input::issue(&input::object(&body)?, true)?;
    let created = standin.apply(&owner, &repo, |world, at| {
        edit::create_issue(world, at, input, TOKEN_OWNER)
    })?;
    let mut response = (StatusCode::CREATED, Json(&created)).into_response();
    let location = format!("/repos/{owner}/{repo}/issues/{}", created["number"]);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

pub async fn update(
    State(standin): State<GitHubStandIn>,
    Path((owner, repo, issue)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let number = number(&issue)?;
    let input = input::issue(&input::object(&body)?, false)?;
    let updated = standin.apply(&owner, &repo, |world, at| {
        edit::update_issue(world, at, number, input, TOKEN_OWNER)
    })?;
    Ok(Json(updated))
}
