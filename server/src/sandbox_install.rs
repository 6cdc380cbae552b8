//! Sandbox mode only: the app installs itself into the sandbox (the OAuth
//! code flow, over HTTP, as a user's browser would run it) and links the
//! seeded app cards it owns to built-in records, so a fresh start shows a
//! working board. The sandbox starts from its seed data on every start
//! while the store keeps its records, so on later starts the links exist
//! already and one reconciliation pass rewrites the seeded cards from
//! their records.
//!
//! The store also gets sample records that are on no board yet
//! ([`SAMPLE_RECORDS`] of them, once), so the panel has records to find
//! and put on a board.

use app::cards::RecordFields;

use crate::{
    miro::{AppCardStatus, ItemFilter, TokenKey},
    store::{origin, CardKey, NewRecord, StoreError},
    sync::connector::BUILTIN,
    AppState,
};

/// How many sample records a sandbox store gets.
pub const SAMPLE_RECORDS: usize = 60;
/// How many of them carry the label `roadmap` (the others: `support`).
pub const SAMPLE_ROADMAP: usize = 45;

/// The sample records' fields: varied titles, statuses, labels and
/// assignees, the same on every start.
fn sample_fields(number: usize, statuses: &[String]) -> RecordFields {
    const TOPICS: [&str; 12] = [
        "Onboarding checklist",
        "Billing export",
        "Search speed",
        "Dark mode",
        "Invite flow",
        "Audit log",
        "Mobile layout",
        "Webhook retries",
        "Data import",
        "Usage report",
        "Access roles",
        "Offline drafts",
    ];
    const PEOPLE: [&str; 3] = ["Ada", "Grace", "Linus"];
    // Every fourth is a support request; the rest are on the roadmap.
    let support = number.is_multiple_of(4);
    let label = if support { "support" } else { "roadmap" };
    RecordFields {
        title: format!("{} #{number}", TOPICS[number % TOPICS.len()]),
        description: format!("Sample record {number} of the sandbox: a **{label}** item."),
        status: statuses[number % statuses.len().max(1)].clone(),
        assignee: PEOPLE[number % PEOPLE.len()].to_owned(),
        labels: vec![label.to_owned()],
        ..RecordFields::default()
    }
}

/// Creates the sample records the store does not have yet (each is keyed
/// by its number, so a restart adds none twice); how many were made.
pub async fn seed_sample_records(state: &AppState, actor: &str) -> Result<usize, String> {
    let statuses: Vec<String> = state
        .sync
        .template()
        .statuses
        .iter()
        .map(|s| s.key.clone())
        .collect();
    let statuses = if statuses.is_empty() {
        vec![String::new()]
    } else {
        statuses
    };
    let mut made = 0;
    for number in 1..=SAMPLE_RECORDS {
        let fields = sample_fields(number, &statuses);
        let external_id = format!("sample-{number:02}");
        let created = state
            .sync
            .store()
            .create_record(NewRecord {
                connector: BUILTIN,
                external_id: Some(&external_id),
                fields: &fields,
                origin: origin::MIRO,
                actor,
            })
            .await;
        match created {
            Ok(_) => made += 1,
            Err(StoreError::Duplicate { .. }) => {}
            Err(error) => return Err(error.to_string()),
        }
    }
    Ok(made)
}

/// What the installation did.
#[derive(Debug, Default)]
pub struct InstallReport {
    pub linked: usize,
    pub rewritten: usize,
}

/// Installs the app for the sandbox user and links the seeded cards.
pub async fn install_and_link(state: &AppState) -> Result<InstallReport, String> {
    let key = install(state).await?;
    seed_sample_records(state, &key.user_id).await?;
    let engine = &state.sync;
    let access = engine
        .tokens()
        .access(&key)
        .await
        .map_err(|e| e.to_string())?;
    let boards = state
        .oauth
        .client
        .boards(&access, &Default::default())
        .await
        .map_err(|e| e.to_string())?;
    let mut report = InstallReport::default();
    for board in boards.data {
        let store = engine.store();
        if !store
            .links_on_board(&board.id)
            .await
            .map_err(|e| e.to_string())?
            .is_empty()
        {
            continue;
        }
        let cards = state
            .oauth
            .client
            .items(
                &access,
                &board.id,
                ItemFilter {
                    kind: Some("app_card".to_owned()),
                    limit: Some(50),
                },
            )
            .collect_all()
            .await
            .map_err(|e| e.to_string())?;
        for item in cards {
            let Some(data) = item.app_card_data() else {
                continue;
            };
            if data.owned != Some(true) || data.status == Some(AppCardStatus::Disconnected) {
                continue;
            }
            let record = engine
                .record_from_card(&data, &key.user_id)
                .await
                .map_err(|e| e.to_string())?;
            if data.status == Some(AppCardStatus::Disabled) {
                engine
                    .set_source_deleted(&record.snapshot.id, true, BUILTIN)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            engine
                .link(
                    &CardKey::new(&board.id, &item.id),
                    &record.snapshot.id,
                    &key,
                    &key.user_id,
                )
                .await
                .map_err(|e| e.to_string())?;
            report.linked += 1;
        }
    }
    for (_, board) in engine.reconcile_all().await.map_err(|e| e.to_string())? {
        report.rewritten += board.rewritten;
    }
    engine.wake();
    Ok(report)
}

/// Runs authorize → token against the sandbox. Every start does: the
/// sandbox forgets its grants when it stops, so tokens stored by an
/// earlier run no longer work.
async fn install(state: &AppState) -> Result<TokenKey, String> {
    if !state.is_sandbox() {
        return Err("not in sandbox mode".to_owned());
    }
    // The sandbox registered our app with this redirect URI, built the
    // same way from the public URL.
    let redirect_uri = crate::install::redirect_uri(state);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let request = state.oauth.authorize_url(&redirect_uri, None);
    let answer = http
        .get(&request.url)
        .send()
        .await
        .map_err(|e| format!("authorize: {e}"))?;
    let location = answer
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("authorize did not redirect")?;
    let url = url::Url::parse(location).map_err(|e| e.to_string())?;
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or("authorize gave no code")?;
    state
        .sync
        .tokens()
        .connect(&code, &redirect_uri)
        .await
        .map_err(|e| e.to_string())
}
