//! The panel's service value ([`Panel`]) and what its calls share: the
//! caller's session and board access, the rate limits a call is charged,
//! the refusals, and the reads behind opening the panel, search and health.
//! The calls themselves are in `calls`; writes that put cards on the board
//! are in `cards`.

use crate::clock::now;
use std::{sync::Arc, time::Duration};

use app::panel::{
    BoardHealth, PanelError, PanelService, RecordPage, RecordQuery, RecordRow, PAGE_SIZE,
};

use super::{board::summarize, session};
use crate::sync::connector::github::client::TokenAccess;
use crate::{
    detail::access::{board_access, Denied},
    miro::{Access, TokenKey},
    rate_limit::{Action, CARD_CHECK_CREDITS},
    state::AppState,
    store::{CardState, Pacing, StoreResult},
    sync::needs_reconnect,
};

/// How long a write trusts Miro's last word that the user reaches the board.
const BOARD_ACCESS_TTL: Duration = Duration::from_secs(300);
/// The longest text a search or filter takes, in characters.
const MAX_QUERY_CHARS: usize = 200;

pub struct Panel {
    pub(super) state: AppState,
}

impl Panel {
    /// The service, as the server functions find it in context.
    pub fn service(state: AppState) -> Arc<dyn PanelService> {
        Arc::new(Self { state })
    }

    pub(super) fn unavailable(error: impl std::fmt::Display) -> PanelError {
        // The details go to the log, never to the page.
        tracing::error!(%error, "panel");
        PanelError::Unavailable("the store or Miro did not answer".to_owned())
    }

    /// The caller's session, checked, and one call taken from their
    /// allowance (a refusal carries `Retry-After`).
    pub(super) fn session(&self, token: &str) -> Result<session::PanelSession, PanelError> {
        let session = session::verify(token, &self.state.secret_key, now())
            .ok_or(PanelError::SessionExpired)?;
        // A team taken off MIRO_ALLOWED_TEAMS loses its open panels too.
        if !self.state.teams.allows(&session.team_id) {
            return Err(PanelError::NotAuthorized);
        }
        if let Err(wait) = self
            .state
            .rate_limits
            .take_for(Action::Panel, &session.user())
        {
            too_many(wait.seconds());
            return Err(PanelError::TooManyRequests {
                retry_after: wait.seconds(),
            });
        }
        Ok(session)
    }

    /// The user's Miro token, after checking (or recalling) that it
    /// reaches the board.
    pub(super) async fn board_access(
        &self,
        user: &TokenKey,
        board_id: &str,
    ) -> Result<Access, PanelError> {
        board_access(&self.state, user, board_id, BOARD_ACCESS_TTL)
            .await
            .map_err(refusal)?;
        match self.state.sync.tokens().access(user).await {
            Ok(access) => Ok(access),
            Err(error) if needs_reconnect(&error) => Err(PanelError::ReconnectNeeded),
            Err(error) => Err(Self::unavailable(error)),
        }
    }

    /// One page of the records `user`'s team reaches, each with the
    /// boards of that team showing it.
    pub(super) async fn page(
        &self,
        user: &TokenKey,
        query: &RecordQuery,
        after: Option<&str>,
    ) -> Result<RecordPage, PanelError> {
        let store = self.state.sync.store();
        let reach = self.state.teams.reach(user);
        let found = store
            .find_records(&reach.scopes, query, after, PAGE_SIZE)
            .await
            .map_err(Self::unavailable)?;
        let ids: Vec<String> = found
            .records
            .iter()
            .map(|r| r.snapshot.id.clone())
            .collect();
        let mut boards = store
            .boards_of_records(&ids, &user.team_id)
            .await
            .map_err(Self::unavailable)?;
        Ok(RecordPage {
            rows: found
                .records
                .into_iter()
                .map(|row| RecordRow {
                    boards: boards.remove(&row.snapshot.id).unwrap_or_default(),
                    record: row.snapshot,
                })
                .collect(),
            total: found.total,
            next: found.next,
        })
    }

    /// How many of the board's cards `which` picks.
    pub(super) async fn cards_of(
        &self,
        board_id: &str,
        which: impl Fn(&CardState) -> bool,
    ) -> Result<u64, PanelError> {
        let states = self
            .state
            .sync
            .store()
            .card_states(board_id)
            .await
            .map_err(Self::unavailable)?;
        Ok(states.iter().filter(|card| which(card)).count() as u64)
    }

    /// Board-wide work on up to `cards` cards, each a read and then maybe
    /// a write at Miro: reserved from `user`'s allowance (refused with
    /// `Retry-After` when it pays for none now), paced by it (`work` queues
    /// the cards as the [`Pacing`] says and answers how many it queued),
    /// and charged only for the cards queued: the others had their check
    /// waiting already.
    pub(super) async fn charged<Work>(
        &self,
        user: &TokenKey,
        cards: u64,
        work: impl FnOnce(Pacing) -> Work,
    ) -> Result<u64, PanelError>
    where
        Work: std::future::Future<Output = StoreResult<u64>>,
    {
        if cards == 0 {
            return Ok(0);
        }
        let limits = &self.state.rate_limits;
        let reserved = limits
            .reserve_credits(user, CARD_CHECK_CREDITS, cards)
            .map_err(|wait| {
                too_many(wait.seconds());
                PanelError::TooManyRequests {
                    retry_after: wait.seconds(),
                }
            })?;
        let pacing = Pacing {
            now: now(),
            due_now: i64::try_from(reserved.due_now).unwrap_or(i64::MAX),
            spacing_ms: i64::try_from(reserved.spacing.as_millis()).unwrap_or(i64::MAX),
        };
        let queued = work(pacing).await.map_err(|error| {
            limits.refund_credits(user, cards * u64::from(CARD_CHECK_CREDITS));
            Self::unavailable(error)
        })?;
        let unspent = cards.saturating_sub(queued);
        limits.refund_credits(user, unspent * u64::from(CARD_CHECK_CREDITS));
        Ok(queued)
    }

    pub(super) async fn health_of(&self, board_id: &str) -> Result<BoardHealth, PanelError> {
        let states = self
            .state
            .sync
            .store()
            .card_states(board_id)
            .await
            .map_err(Self::unavailable)?;
        let mut health = summarize(&states);
        let store = self.state.sync.store();
        let since = crate::clock::now() - app::panel::ARRIVALS_WINDOW_HOURS * 3600;
        health.connected = store
            .arrival_checks(crate::store::origin::MIRO, Some(board_id), since)
            .await
            .map_err(Self::unavailable)?;
        if let Some(github) = &self.state.github {
            if github.connector.token_access() == TokenAccess::Unknown {
                // Nothing asked GitHub since the start: ask now, so the
                // first look tells the truth.
                github.connector.check_access().await;
            }
            let writes = self
                .state
                .sync
                .store()
                .source_writes(crate::sync::connector::github::GITHUB)
                .await
                .map_err(Self::unavailable)?;
            let mut source = super::board::github_health(&github.connector.token_access(), writes);
            source.arrivals = store
                .arrival_checks(crate::sync::connector::github::GITHUB, None, since)
                .await
                .map_err(Self::unavailable)?;
            health.sources.push(source);
        }
        Ok(health)
    }
}

/// Tells the browser when to try again.
fn too_many(seconds: u64) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
    }
}

/// What a refused panel is told.
pub(super) fn refusal(denied: Denied) -> PanelError {
    match denied {
        Denied::NotLinked | Denied::OtherTeam | Denied::NoBoardAccess => PanelError::NotAuthorized,
        Denied::ReconnectNeeded | Denied::TokenRefused => PanelError::ReconnectNeeded,
        Denied::Unavailable => {
            PanelError::Unavailable("the store or Miro did not answer".to_owned())
        }
    }
}

/// A query a user could have typed: short fields, no control characters.
pub(super) fn check_query(query: &RecordQuery) -> Result<(), PanelError> {
    for (name, value) in [
        ("search text", &query.text),
        ("status", &query.status),
        ("label", &query.label),
        ("assignee", &query.assignee),
    ] {
        if value.chars().count() > MAX_QUERY_CHARS {
            return Err(PanelError::BadRequest(format!(
                "The {name} is longer than {MAX_QUERY_CHARS} characters."
            )));
        }
        if value.chars().any(char::is_control) {
            return Err(PanelError::BadRequest(format!(
                "The {name} holds characters that cannot be searched for."
            )));
        }
    }
    Ok(())
}
