//! `POST /github/webhook`: GitHub's deliveries of `issues` and `label`
//! events (and `ping`).
//!
//! In order, and nothing is applied before every check passed:
//! 1. the connector must be on (404 otherwise);
//! 2. the body is read, at most [`WEBHOOK_LIMIT`] bytes (413), and at most
//!    [`UNSIGNED_BODIES`] at once in the process (503 with `Retry-After`
//!    beyond: until its signature is checked, a body is anyone's);
//! 3. `X-Hub-Signature-256` must be the HMAC-SHA256 of those exact bytes
//!    under `GITHUB_WEBHOOK_SECRET`, compared in constant time
//!    (`signature.rs`; 401 when missing or wrong);
//! 4. a delivery id (`X-GitHub-Delivery`) seen before is answered 200
//!    "already handled" and not applied again (the ids are kept in the
//!    store, so this holds across restarts and instances);
//! 5. the body is only a hint: the issue it names is read again through
//!    the REST API, and what GitHub says now is applied with
//!    [`SyncEngine::apply_source_change`], which drops our own writes
//!    coming back (no new version, no card write, no Miro call).
//!
//! An event about an issue no record shows yet imports it (see `import.rs`),
//! unless the issue is gone. An issue that is gone (deleted, transferred,
//! or deleted by the app, see [`super`]) disables its record's cards; one
//! that comes back enables them again. Nothing is ever deleted on Miro.
//!
//! The work runs in a task of its own, so GitHub hanging up (it waits
//! 10 s) never stops a change half-applied; a failure gives the delivery
//! id back, so redelivering it from GitHub's settings applies it.

use std::time::Duration;

use app::panel::RecordQuery;
use axum::{
    body::{to_bytes, Body},
    extract::State,
    http::{
        header::{CONTENT_LENGTH, RETRY_AFTER},
        HeaderMap, HeaderValue, StatusCode,
    },
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;

use super::{
    import::{import_or_apply, Imported},
    mapping::ARRIVAL_LIMITS,
    signature::verify_signature,
    GitHubConnector, Repo, GITHUB,
};
use crate::{
    client_address::ClientAddress,
    state::AppState,
    store::{now, RecordRow, StoreError},
    sync::{
        admit::{Admission, Arrival},
        connector::{Connector, SourceItem},
        SyncEngine, SyncError,
    },
    teams::repository_scope,
};

/// Where GitHub delivers.
pub const WEBHOOK_PATH: &str = "/github/webhook";
/// The largest body taken. `issues` and `label` payloads are a few KiB;
/// an issue body at GitHub's limit (65,536 characters) stays well under.
pub const WEBHOOK_LIMIT: usize = 1024 * 1024;
/// Bodies read at once before their signature is checked, in the app's
/// process: at most this many times [`WEBHOOK_LIMIT`] is held for them.
pub const UNSIGNED_BODIES: usize = 8;
/// How long a body may take to arrive (GitHub sends it at once).
const BODY_SECONDS: Duration = Duration::from_secs(10);
/// What a delivery turned away for [`UNSIGNED_BODIES`] is told to wait.
const BUSY_RETRY_SECONDS: u64 = 5;
/// The most records one `label` event re-reads (each is a REST call).
const LABEL_EVENT_RECORDS: usize = 200;

const SIGNATURE: &str = "x-hub-signature-256";
const DELIVERY: &str = "x-github-delivery";
const EVENT: &str = "x-github-event";

/// A JSON answer: `{"result": …}` or `{"error": …}`.
fn answer(status: StatusCode, key: &str, text: impl Into<String>) -> Response {
    (status, Json(json!({ key: text.into() }))).into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The handler (see the module docs).
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddress,
    body: Body,
) -> Response {
    let Some(github) = state.github.clone() else {
        return answer(
            StatusCode::NOT_FOUND,
            "error",
            "The GitHub connector is off: set GITHUB_REPOSITORIES, GITHUB_TOKEN and \
             GITHUB_WEBHOOK_SECRET.",
        );
    };
    let bytes = match read_unsigned_body(&github.unsigned_bodies, &headers, body).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    let signature = headers.get(SIGNATURE).map(|v| v.as_bytes());
    if let Err(error) =
        verify_signature(github.webhook_secret.expose().as_bytes(), &bytes, signature)
    {
        if let Some(unlogged) = state.refusal_logs.webhook_signatures.admit_now(client) {
            tracing::warn!(%client, unlogged_since_last_line = unlogged, "GitHub webhook refused: {error}");
        }
        return answer(StatusCode::UNAUTHORIZED, "error", error.to_string());
    }
    let (Some(delivery), Some(event)) = (header(&headers, DELIVERY), header(&headers, EVENT))
    else {
        return answer(
            StatusCode::BAD_REQUEST,
            "error",
            "X-GitHub-Delivery and X-GitHub-Event are required.",
        );
    };
    if delivery.len() > 100 {
        return answer(
            StatusCode::BAD_REQUEST,
            "error",
            "X-GitHub-Delivery is too long.",
        );
    }
    let (delivery, event) = (delivery.to_owned(), event.to_owned());
    let engine = state.sync.clone();
    let connector = github.connector.clone();
    // A task of its own: see the module docs.
    let task =
        tokio::spawn(async move { deliver(&engine, &connector, &delivery, &event, &bytes).await });
    task.await.unwrap_or_else(|error| {
        tracing::error!("a GitHub delivery's task failed: {error}");
        unavailable()
    })
}

/// Reads a body not yet known to be GitHub's: at most [`WEBHOOK_LIMIT`]
/// bytes (413), within [`BODY_SECONDS`] (408), and only while fewer than
/// [`UNSIGNED_BODIES`] are being read (`reading` holds their permits, one
/// set for the app's process); past that a quick 503 with `Retry-After`,
/// so a flood of large unsigned bodies holds a few MiB at most. (GitHub
/// does not resend a failed delivery by itself; the poll catches up what
/// it missed, or it can be redelivered from the webhook's settings.)
async fn read_unsigned_body(
    reading: &Semaphore,
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::body::Bytes, Response> {
    let too_large = || {
        answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            "error",
            format!("The body is larger than {} KiB.", WEBHOOK_LIMIT / 1024),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > WEBHOOK_LIMIT as u64) {
        return Err(too_large());
    }
    let Ok(_reading) = reading.try_acquire() else {
        let mut busy = answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "error",
            "Too many deliveries are being received at once; try again in a moment.",
        );
        busy.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(BUSY_RETRY_SECONDS));
        return Err(busy);
    };
    match tokio::time::timeout(BODY_SECONDS, to_bytes(body, WEBHOOK_LIMIT)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(too_large()),
        Err(_) => Err(answer(
            StatusCode::REQUEST_TIMEOUT,
            "error",
            "The body did not arrive in time.",
        )),
    }
}

fn unavailable() -> Response {
    answer(
        StatusCode::SERVICE_UNAVAILABLE,
        "error",
        "The change could not be applied now; redeliver it later.",
    )
}

/// Claims the delivery, applies it, and gives the claim back on failure.
async fn deliver(
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

/// What one refresh of a record did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refresh {
    NotImported,
    Unchanged,
    Applied,
    Disabled,
    /// What GitHub holds cannot be a record: the record is left as it is.
    Refused,
}

impl Refresh {
    fn as_str(&self) -> &'static str {
        match self {
            Refresh::NotImported => "not imported: ignored",
            Refresh::Unchanged => "unchanged",
            Refresh::Applied => "applied",
            Refresh::Disabled => "gone: its cards are disabled",
            Refresh::Refused => "cannot be a record: nothing applied (see the sync log)",
        }
    }
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

/// Applies what GitHub holds for a record's issue (`None`: it is gone),
/// checked as a save is (see `import.rs`).
pub(super) async fn apply(
    engine: &SyncEngine,
    record: &RecordRow,
    item: Option<&SourceItem>,
) -> Result<Refresh, SyncError> {
    let id = &record.snapshot.id;
    let Some(item) = item else {
        if record.source_deleted {
            return Ok(Refresh::Unchanged);
        }
        engine.set_source_deleted(id, true, GITHUB).await?;
        return Ok(Refresh::Disabled);
    };
    let arrival = Arrival {
        origin: GITHUB,
        actor: GITHUB,
        item: &record.external_id,
        record_id: Some(id),
        card: None,
    };
    let fields = match engine
        .admit_logged(&item.fields, ARRIVAL_LIMITS, arrival)
        .await?
    {
        Admission::Taken(fields) => *fields,
        Admission::Refused(_) => return Ok(Refresh::Refused),
    };
    let mut changed = false;
    if record.source_deleted {
        engine.set_source_deleted(id, false, GITHUB).await?;
        changed = true;
    }
    // A save landing between our read and our write makes this a
    // conflict; the issue is still the truth, so apply it once more.
    let mut tries = 0;
    let saved = loop {
        tries += 1;
        match engine.apply_source_change(id, &fields, GITHUB).await {
            Err(SyncError::Store(StoreError::Conflict { .. })) if tries < 3 => continue,
            other => break other?,
        }
    };
    changed |= saved.record.version != record.snapshot.version;
    Ok(if changed {
        Refresh::Applied
    } else {
        Refresh::Unchanged
    })
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
