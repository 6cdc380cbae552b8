//! The panel's server functions (declared in `app::panel`) as the
//! [`PanelService`] of [`Panel`]: each checks the caller's session, then
//! reads through the service (`service.rs`), or puts cards on the board
//! (`cards.rs`).

use crate::clock::now;
use app::panel::{
    AddCardsRequest, BoardHealth, CreatedRecord, Facets, ItemResult, NewRecordRequest, PanelData,
    PanelError, PanelService, RecordPage, RecordQuery, StickyNotesRequest,
};
use async_trait::async_trait;

use super::{
    cards,
    service::{check_query, Panel},
    session::{self, PANEL_ITEM},
};
use crate::{
    detail::session::ticket_hash,
    store::{origin, CardKey},
};

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
        let reach = self.state.teams.reach(&grant.user);
        let (labels, assignees) = store
            .record_facets(&reach.scopes)
            .await
            .map_err(Self::unavailable)?;
        Ok(PanelData {
            board_id: board_id.to_owned(),
            session,
            template: (**self.state.sync.template()).clone(),
            facets: Facets { labels, assignees },
            records: self
                .page(&grant.user, &RecordQuery::default(), None)
                .await?,
            health: self.health_of(board_id).await?,
        })
    }

    async fn search(
        &self,
        token: &str,
        query: &RecordQuery,
        after: Option<&str>,
    ) -> Result<RecordPage, PanelError> {
        let session = self.session(token)?;
        check_query(query)?;
        self.page(&session.user(), query, after).await
    }

    async fn health(&self, token: &str) -> Result<BoardHealth, PanelError> {
        let session = self.session(token)?;
        self.health_of(&session.board_id).await
    }

    async fn add_cards(&self, request: AddCardsRequest) -> Result<Vec<ItemResult>, PanelError> {
        cards::add(self, request).await
    }

    async fn create_record(&self, request: NewRecordRequest) -> Result<CreatedRecord, PanelError> {
        cards::create(self, request).await
    }

    async fn convert_sticky_notes(
        &self,
        request: StickyNotesRequest,
    ) -> Result<Vec<ItemResult>, PanelError> {
        cards::convert(self, request).await
    }

    async fn retry_failed(&self, token: &str) -> Result<BoardHealth, PanelError> {
        let session = self.session(token)?;
        let (user, board_id) = (session.user(), session.board_id.as_str());
        self.board_access(&user, board_id).await?;
        let store = self.state.sync.store();
        let failed = self
            .cards_of(board_id, |card| card.pending > 0 && card.attempts > 0)
            .await?;
        self.charged(&user, failed, |pacing| {
            store.retry_board_now(board_id, pacing)
        })
        .await?;
        self.state.sync.wake();
        self.health_of(board_id).await
    }

    async fn resync_board(&self, token: &str) -> Result<BoardHealth, PanelError> {
        let session = self.session(token)?;
        let (user, board_id) = (session.user(), session.board_id.as_str());
        self.board_access(&user, board_id).await?;
        let store = self.state.sync.store();
        let linked = self
            .cards_of(board_id, |card| card.record_id.is_some())
            .await?;
        self.charged(&user, linked, |pacing| {
            store.rewrite_board(board_id, origin::PANEL, pacing)
        })
        .await?;
        self.state.sync.wake();
        self.health_of(board_id).await
    }
}
