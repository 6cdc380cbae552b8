//! What a GitHub webhook delivery does once it is read and its signature
//! checked (that is `web::github_webhook`, `POST /github/webhook`): a
//! delivery id seen before is answered 200 "already handled" and not
//! applied again (the ids are kept in the store, so this holds across
//! restarts and instances); the body is only a hint: the issue it names is
//! read again through the REST API, and what GitHub says now is applied
//! (see `import.rs`). A failure gives the delivery id back, so redelivering
//! it from GitHub's settings applies it.

use crate::clock::now;
use app::panel::RecordQuery;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;

use super::{
    import::{apply, import_or_apply, Imported, Refresh},
    GitHubConnector, Repo, GITHUB,
};
use crate::{
    store::{RecordRow, StoreError},
    sync::{connector::Connector, SyncEngine, SyncError},
    teams::repository_scope,
};

/// The most records one `label` event re-reads (each is a REST call).
const LABEL_EVENT_RECORDS: usize = 200;

/// A JSON answer: `{"result": …}` or `{"error": …}`.
pub(crate) fn answer(status: StatusCode, key: &str, text: impl Into<String>) -> Response {
    (status, Json(json!({ key: text.into() }))).into_response()
}

pub(crate) fn unavailable() -> Response {
    answer(
        StatusCode::SERVICE_UNAVAILABLE,
        "error",
        "The change could not be applied now; redeliver it later.",
    )
}

/// Claims the delivery, applies it, and gives the claim back on failure.
pub(crate) async fn deliver(
    engine: &SyncEngine,
    connector: &GitHubConnector,
    delivery: &str,
    event: &str,
    body: &[u8],
) -> Response {
    let store = engine.store();
    match store.claim_github_delivery(delivery, now()).await {
        Ok(true) => {}
        Ok(false) => return answer(StatusCode::OK, "result", "already handled"),
        Err(error) => {
            tracing::error!("GitHub delivery {delivery}: {error}");
            return unavailable();
        }
    }
    match handle(engine, connector, event, body).await {
        Ok(response) => response,
        Err(error) => {
            tracing::warn!("GitHub delivery {delivery} ({event}) not applied: {error}");
            if let Err(error) = store.release_github_delivery(delivery).await {
                tracing::error!("GitHub delivery {delivery}: {error}");
            }
            unavailable()
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum HandleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Connector(#[from] crate::sync::connector::ConnectorError),
}

#[derive(Deserialize)]
struct RepositoryHint {
    full_name: String,
}

#[derive(Deserialize)]
struct NumberHint {
    number: u64,
}

#[derive(Deserialize)]
struct IssuesHint {
    issue: NumberHint,
    repository: RepositoryHint,
}

#[derive(Deserialize)]
struct NameHint {
    name: String,
}

#[derive(Deserialize)]
struct FromHint {
    from: String,
}

#[derive(Deserialize, Default)]
struct LabelChanges {
    name: Option<FromHint>,
}

#[derive(Deserialize)]
struct LabelHint {
    label: NameHint,
    #[serde(default)]
    changes: Option<LabelChanges>,
    repository: RepositoryHint,
}

fn malformed(event: &str, error: &serde_json::Error) -> Response {
    answer(
        StatusCode::BAD_REQUEST,
        "error",
        format!("The body does not read as GitHub's `{event}` event: {error}"),
    )
}

async fn handle(
    engine: &SyncEngine,
    connector: &GitHubConnector,
    event: &str,
    body: &[u8],
) -> Result<Response, HandleError> {
    match event {
        "ping" => Ok(answer(StatusCode::OK, "result", "pong")),
        "issues" => {
            let hint: IssuesHint = match serde_json::from_slice(body) {
                Ok(hint) => hint,
                Err(error) => return Ok(malformed(event, &error)),
            };
            let Some(repo) = connector.repository(&hint.repository.full_name) else {
                return Ok(ignored("the repository is not one the app syncs"));
            };
            let external_id = GitHubConnector::external_id(repo, hint.issue.number);
            let Some(record) = engine
                .store()
                .record_by_external(GITHUB, &external_id)
                .await?
            else {
                // An issue no record shows yet becomes one (read, as
                // always, from GitHub: the body is only a hint).
                let item = connector.fetch(&external_id).await?;
                let done = import_or_apply(engine, &external_id, item.as_ref()).await?;
                let result = match done {
                    Imported::Created => "imported",
                    Imported::Applied => Refresh::Applied.as_str(),
                    Imported::Unchanged => Refresh::NotImported.as_str(),
                    Imported::Refused => Refresh::Refused.as_str(),
                };
                return Ok(answer(StatusCode::OK, "result", result));
            };
            let done = refresh(engine, connector, &record).await?;
            Ok(answer(StatusCode::OK, "result", done.as_str()))
        }
        "label" => {
            let hint: LabelHint = match serde_json::from_slice(body) {
                Ok(hint) => hint,
                Err(error) => return Ok(malformed(event, &error)),
            };
            let Some(repo) = connector.repository(&hint.repository.full_name) else {
                return Ok(ignored("the repository is not one the app syncs"));
            };
            let mut names = vec![hint.label.name];
            names.extend(hint.changes.unwrap_or_default().name.map(|n| n.from));
            let records = records_with_labels(engine, repo, &names).await?;
            let mut applied = 0;
            for record in &records {
                let done = refresh(engine, connector, record).await?;
                if matches!(done, Refresh::Applied | Refresh::Disabled) {
                    applied += 1;
                }
            }
            Ok(answer(
                StatusCode::OK,
                "result",
                format!("{} record(s) re-read, {applied} changed", records.len()),
            ))
        }
        _ => Ok(ignored("the app does not use this event")),
    }
}

fn ignored(why: &str) -> Response {
    answer(StatusCode::ACCEPTED, "result", why)
}

/// Reads the record's issue again and applies what GitHub says now.
async fn refresh(
    engine: &SyncEngine,
    connector: &GitHubConnector,
    record: &RecordRow,
) -> Result<Refresh, HandleError> {
    let item = connector.fetch(&record.external_id).await?;
    Ok(apply(engine, record, item.as_ref()).await?)
}

/// The imported records of `repo` that carry one of `labels`.
async fn records_with_labels(
    engine: &SyncEngine,
    repo: &Repo,
    labels: &[String],
) -> Result<Vec<RecordRow>, HandleError> {
    let prefix = format!("{}#", repo.full_name()).to_ascii_lowercase();
    // The repository's records, whichever teams it is assigned to.
    let scopes = [repository_scope(&repo.full_name())];
    let mut found: Vec<RecordRow> = Vec::new();
    for label in labels {
        let query = RecordQuery {
            label: label.clone(),
            ..RecordQuery::default()
        };
        let mut after = None;
        loop {
            let page = engine
                .store()
                .find_records(&scopes, &query, after.as_deref(), 100)
                .await?;
            found.extend(page.records.into_iter().filter(|row| {
                row.connector == GITHUB && row.external_id.to_ascii_lowercase().starts_with(&prefix)
            }));
            after = page.next;
            if after.is_none() || found.len() >= LABEL_EVENT_RECORDS {
                break;
            }
        }
    }
    found.sort_by(|a, b| a.snapshot.id.cmp(&b.snapshot.id));
    found.dedup_by(|a, b| a.snapshot.id == b.snapshot.id);
    found.truncate(LABEL_EVENT_RECORDS);
    Ok(found)
}
