//! The panel's service: opening the panel with a ticket (for the page), and
//! what its read server functions (search, health) and board-wide writes
//! (retry, re-sync) do. Writes that put cards on the board are in `cards`.

use std::{sync::Arc, time::Duration};

use app::panel::{
    AddCardsRequest, BoardHealth, CreatedRecord, Facets, ItemResult, NewRecordRequest, PanelData,
    PanelError, PanelService, RecordPage, RecordQuery, RecordRow, StickyNotesRequest, PAGE_SIZE,
};
use async_trait::async_trait;

use super::{board::summarize, session, tickets::PANEL_ITEM};
use crate::sync::connector::github::client::TokenAccess;
use crate::{
    detail::{
        access::{board_access, Denied},
        tickets::ticket_hash,
    },
    miro::{Access, TokenKey},
    rate_limit::Action,
    store::{now, origin, CardKey},
    sync::needs_reconnect,
    AppState,
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

    async fn page(
        &self,
        query: &RecordQuery,
        after: Option<&str>,
    ) -> Result<RecordPage, PanelError> {
        let store = self.state.sync.store();
        let found = store
            .find_records(query, after, PAGE_SIZE)
            .await
            .map_err(Self::unavailable)?;
        let ids: Vec<String> = found
            .records
            .iter()
            .map(|r| r.snapshot.id.clone())
            .collect();
        let mut boards = store
            .boards_of_records(&ids)
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

    async fn health_of(&self, board_id: &str) -> Result<BoardHealth, PanelError> {
        let states = self
            .state
            .sync
            .store()
            .card_states(board_id)
            .await
            .map_err(Self::unavailable)?;
        let mut health = summarize(&states);
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
            health.sources.push(super::board::github_health(
                &github.connector.token_access(),
                writes,
            ));
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
fn check_query(query: &RecordQuery) -> Result<(), PanelError> {
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

#[async_trait]
impl PanelService for Panel {
    async fn open(&self, board_id: &str, ticket: &str) -> Result<PanelData, PanelError> {
        let store = self.state.sync.store();
        let grant = store
            .redeem_ticket(&ticket_hash(ticket), now())
            .await
            .map_err(Self::unavailable)?
            .ok_or(PanelError::TicketRefused)?;
        if grant.card != CardKey::new(board_id, PANEL_ITEM) {
            return Err(PanelError::TicketRefused);
        }
        let session = session::sign(
            &session::PanelSession::new(&grant.user, board_id, now()),
            &self.state.secret_key,
        );
        let (labels, assignees) = store.record_facets().await.map_err(Self::unavailable)?;
        Ok(PanelData {
            board_id: board_id.to_owned(),
            session,
            template: (**self.state.sync.template()).clone(),
            facets: Facets { labels, assignees },
            records: self.page(&RecordQuery::default(), None).await?,
            health: self.health_of(board_id).await?,
        })
    }

    async fn search(
        &self,
        token: &str,
        query: &RecordQuery,
        after: Option<&str>,
    ) -> Result<RecordPage, PanelError> {
        self.session(token)?;
        check_query(query)?;
        self.page(query, after).await
    }

    async fn health(&self, token: &str) -> Result<BoardHealth, PanelError> {
        let session = self.session(token)?;
        self.health_of(&session.board_id).await
    }

    async fn add_cards(&self, request: AddCardsRequest) -> Result<Vec<ItemResult>, PanelError> {
        super::cards::add(self, request).await
    }

    async fn create_record(&self, request: NewRecordRequest) -> Result<CreatedRecord, PanelError> {
        super::cards::create(self, request).await
    }

    async fn convert_sticky_notes(
        &self,
        request: StickyNotesRequest,
    ) -> Result<Vec<ItemResult>, PanelError> {
        super::cards::convert(self, request).await
    }

    async fn retry_failed(&self, token: &str) -> Result<BoardHealth, PanelError> {
        let session = self.session(token)?;
        self.board_access(&session.user(), &session.board_id)
            .await?;
        self.state
            .sync
            .store()
            .retry_board_now(&session.board_id)
            .await
            .map_err(Self::unavailable)?;
        self.state.sync.wake();
        self.health_of(&session.board_id).await
    }

    async fn resync_board(&self, token: &str) -> Result<BoardHealth, PanelError> {
        let session = self.session(token)?;
        self.board_access(&session.user(), &session.board_id)
            .await?;
        self.state
            .sync
            .store()
            .rewrite_board(&session.board_id, origin::PANEL)
            .await
            .map_err(Self::unavailable)?;
        self.state.sync.wake();
        self.health_of(&session.board_id).await
    }
}
