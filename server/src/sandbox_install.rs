//! Sandbox mode only: the app installs itself into the sandbox (the OAuth
//! code flow, over HTTP, as a user's browser would run it) and links the
//! seeded app cards it owns to built-in records, so a fresh start shows a
//! working board. The sandbox starts from its seed data on every start
//! while the store keeps its records, so on later starts the links exist
//! already and one reconciliation pass rewrites the seeded cards from
//! their records.

use crate::{
    miro::{AppCardStatus, ItemFilter, TokenKey},
    store::CardKey,
    sync::connector::BUILTIN,
    AppState,
};

/// What the installation did.
#[derive(Debug, Default)]
pub struct InstallReport {
    pub linked: usize,
    pub rewritten: usize,
}

/// Installs the app for the sandbox user and links the seeded cards.
pub async fn install_and_link(state: &AppState) -> Result<InstallReport, String> {
    let key = install(state).await?;
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
