//! Sandbox mode only: the app installs itself into each of the sandbox's
//! teams (the OAuth code flow, over HTTP, as a user's browser would run
//! it) and links the seeded app cards it owns to built-in records of that
//! team, so a fresh start shows a working board for each. The sandbox starts from its seed data on every start
//! while the store keeps its records, so on later starts the links exist
//! already and one reconciliation pass rewrites the seeded cards from
//! their records.
//!
//! The store also gets sample records of the sandbox's first team that are
//! on no board yet ([`SAMPLE_RECORDS`] of them, once), so the panel has
//! records to find and put on a board.

use app::cards::RecordFields;

use crate::{
    miro::{AppCardStatus, ItemFilter, TokenKey},
    state::AppState,
    store::{origin, CardKey, NewRecord, StoreError},
    sync::connector::BUILTIN,
    teams::team_scope,
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
/// by its number, so a restart adds none twice), for `owner`'s team; how
/// many were made.
pub async fn seed_sample_records(state: &AppState, owner: &TokenKey) -> Result<usize, String> {
    let actor = owner.user_id.as_str();
    let scope = team_scope(&owner.team_id);
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
                scope: &scope,
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

/// Installs the app for each of the sandbox's teams and links their
/// seeded cards.
pub async fn install_and_link(state: &AppState) -> Result<InstallReport, String> {
    let teams = sandbox_teams(state).await?;
    let mut report = InstallReport::default();
    for (index, team) in teams.iter().enumerate() {
        let key = install(state, team.as_deref()).await?;
        if index == 0 {
            seed_sample_records(state, &key).await?;
        }
        report.linked += link_seeded_cards(state, &key).await?;
    }
    let engine = &state.sync;
    for (_, board) in engine.reconcile_all().await.map_err(|e| e.to_string())? {
        report.rewritten += board.rewritten;
    }
    engine.wake();
    Ok(report)
}

/// The sandbox's teams, from its discovery document: `None` for its
/// first (the one it signs in by default); just that for a sandbox that
/// lists none.
async fn sandbox_teams(state: &AppState) -> Result<Vec<Option<String>>, String> {
    let base = match &state.config.mode {
        crate::config::Mode::RemoteSandbox { url } => url.clone(),
        _ => state.config.public_url.clone(),
    };
    let http = reqwest::Client::new();
    let teams = crate::discovery::read(&http, &base)
        .await
        .map(|found| found.teams)
        .unwrap_or_default();
    let mut all = vec![None];
    all.extend(
        teams
            .into_iter()
            .skip(1)
            .map(|team| Some(team.team_id))
            .filter(|team| team.as_deref().is_some_and(|t| state.teams.allows(t))),
    );
    Ok(all)
}

/// Links the app cards of ours on `key`'s boards that no link names yet
/// to new records of `key`'s team; how many.
async fn link_seeded_cards(state: &AppState, key: &TokenKey) -> Result<usize, String> {
    let engine = &state.sync;
    let access = engine
        .tokens()
        .access(key)
        .await
        .map_err(|e| e.to_string())?;
    let boards = state
        .oauth
        .client
        .boards(&access, &Default::default())
        .await
        .map_err(|e| e.to_string())?;
    let mut linked = 0;
    let scope = team_scope(&key.team_id);
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
            let card = CardKey::new(board.id.as_str(), item.id.as_str());
            let record = match engine
                .record_from_card(&card, &data, &key.user_id, &scope)
                .await
            {
                Ok(record) => record,
                // Logged; the card stays as it is.
                Err(crate::sync::SyncError::NotARecord(_)) => continue,
                Err(error) => return Err(error.to_string()),
            };
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
                    key,
                    &key.user_id,
                )
                .await
                .map_err(|e| e.to_string())?;
            linked += 1;
        }
    }
    Ok(linked)
}

/// Runs authorize → token against the sandbox, for `team` (`None`: the
/// sandbox's first). Every start does: the sandbox forgets its grants when
/// it stops, so tokens stored by an earlier run no longer work.
async fn install(state: &AppState, team: Option<&str>) -> Result<TokenKey, String> {
    if !state.is_sandbox() {
        return Err("not in sandbox mode".to_owned());
    }
    // The sandbox registered our app with this redirect URI, built the
    // same way from the public URL.
    let redirect_uri = crate::web::install::redirect_uri(state);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let request = state.oauth.authorize_url(&redirect_uri, team);
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
