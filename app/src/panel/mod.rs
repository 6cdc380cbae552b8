//! The app's panel: what opens beside the board when a user clicks the
//! app's icon in Miro's toolbar. From it a user finds records and puts them
//! on the board as app cards (in bulk), creates a record with its card,
//! turns sticky notes into records, and sees how the board's cards stand
//! with their records.
//!
//! This module owns the contract between the panel page and the server
//! (the data the panel opens with, each request and its outcome, the errors
//! a user can meet), the card layout and the cost of an import, and one
//! server function per file. The page is in `view/`; the browser bundle
//! that hydrates it is the `panel` crate, separate from the detail view's.
//!
//! As for the detail view, server functions stay thin: they hand their
//! arguments to a [`PanelService`] the `server` crate provides as context.

mod add_cards;
mod board_health;
mod convert_sticky_notes;
mod create_record;
pub mod layout;
mod opened;
pub mod plan;
mod resync_board;
mod retry_failed;
mod search_records;
pub mod view;

use serde::{Deserialize, Serialize};

pub use add_cards::{add_cards, AddCards};
pub use board_health::{board_health, BoardHealthOf};
pub use convert_sticky_notes::{convert_sticky_notes, ConvertStickyNotes};
pub use create_record::{create_record, CreateRecord};
pub use opened::{OpenedPanel, ELEMENT_ID as OPENED_PANEL_ELEMENT};
pub use resync_board::{resync_board, ResyncBoard};
pub use retry_failed::{retry_failed, RetryFailed};
pub use search_records::{search_records, SearchRecords};

use crate::cards::{CardTemplate, FieldError, RecordFields, RecordSnapshot};

/// Records shown per page of search results.
pub const PAGE_SIZE: u32 = 25;

/// Everything the panel opens with, rendered into the page's HTML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanelData {
    pub board_id: String,
    /// Authorizes the panel's calls: bound to the user, the board and a
    /// lifetime, signed by the server. Never put in a URL.
    pub session: String,
    pub template: CardTemplate,
    /// The labels and assignees records have, for the filters.
    pub facets: Facets,
    /// The first page of all records.
    pub records: RecordPage,
    pub health: BoardHealth,
}

/// The values the filters offer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
}

/// What to look for. Empty (or absent) strings filter nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordQuery {
    /// Words in the title or description (case-insensitive).
    pub text: String,
    /// A status key of the template.
    pub status: String,
    pub label: String,
    pub assignee: String,
}

/// One page of records matching a query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPage {
    pub rows: Vec<RecordRow>,
    /// How many records match in all.
    pub total: u64,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<String>,
}

/// A record in the results, with the boards its cards are on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRow {
    pub record: RecordSnapshot,
    /// Ids of the boards that show a card of this record.
    pub boards: Vec<String>,
}

/// A point on the board (Miro's coordinates: the centre is 0, 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// A record to put on the board, and where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub record_id: String,
    pub at: Point,
}

/// What happened to one item of a bulk action (a record added, a sticky
/// note converted), keyed by what the user picked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The record id (adding) or the sticky note's id (converting).
    pub key: String,
    pub outcome: ItemOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemOutcome {
    /// The card is on the board.
    Added { item_id: String },
    /// Nothing changed for this item; trying again may work when
    /// `retryable`.
    Failed { reason: String, retryable: bool },
    /// The card is on the board, but a later step failed (the sticky note
    /// could not be removed): nothing was lost.
    Partly { item_id: String, warning: String },
}

/// A new record and its card, from the panel's form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewRecordRequest {
    pub session: String,
    pub fields: RecordFields,
    pub at: Point,
}

/// The record made, and its card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedRecord {
    pub record: RecordSnapshot,
    pub item_id: String,
}

/// Sticky notes to turn into records with cards where the notes are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StickyNotesRequest {
    pub session: String,
    pub sticky_note_ids: Vec<String>,
}

/// Records to put on the board: one bulk call to Miro, so at most
/// [`plan::BULK_CHUNK`] of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddCardsRequest {
    pub session: String,
    pub cards: Vec<Placement>,
}

/// How the board's cards stand with their records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardHealth {
    /// Showing their record as it is now.
    pub in_sync: u64,
    /// A write is queued and has not failed yet.
    pub syncing: u64,
    /// Writes that failed and wait for their next attempt.
    pub failed: Vec<FailedCard>,
    /// Cards no longer linked to a record.
    pub disconnected: u64,
    /// Cards whose record's source item was deleted.
    pub disabled: u64,
    /// The tools records come from besides the built-in store (GitHub),
    /// and whether the app can still reach them.
    #[serde(default)]
    pub sources: Vec<SourceHealth>,
    /// What cards connected on this board brought that a card cannot show
    /// (see [`ArrivalChecks`]).
    #[serde(default)]
    pub connected: ArrivalChecks,
}

/// How the app stands with one tool records come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHealth {
    /// The tool's name as users know it ("GitHub").
    pub name: String,
    pub access: SourceAccess,
    /// How the edits made in Miro stand on their way to the tool.
    #[serde(default)]
    pub writes: SourceWrites,
    /// What the tool's items brought that a record cannot hold.
    #[serde(default)]
    pub arrivals: ArrivalChecks,
}

/// What arrived from outside (a tool's items, or cards connected from a
/// board) in the last [`ARRIVALS_WINDOW_HOURS`] hours and was not all
/// taken: the parts a card cannot show (a bad colour, icon or tooltip,
/// chips past the cap) are left out, the rest kept; an item that cannot
/// be a record at all (no title) is not taken. The sync log has each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrivalChecks {
    /// Arrivals taken with parts left out.
    pub dropped: u64,
    /// Arrivals not taken.
    pub refused: u64,
    /// The newest of them: the item, and what was left out and why.
    pub latest: Option<String>,
}

/// How far back the health view's [`ArrivalChecks`] look.
pub const ARRIVALS_WINDOW_HOURS: i64 = 24;

/// Edits saved in Miro to records of one tool, on their way there (all
/// boards: a record may be on several).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceWrites {
    /// Edits not yet sent (retrying ones included).
    pub waiting: u64,
    /// Of those, edits whose last attempt failed and that wait for a retry.
    pub retrying: u64,
    /// Records changed in the tool and in Miro: nothing is written until a
    /// user chooses in the record's detail view.
    pub conflicts: u64,
    /// Edits the tool refused for good: the record keeps them, the tool
    /// does not have them.
    pub refused: u64,
    /// Why the latest retrying or refused edit failed.
    pub last_error: Option<String>,
}

/// Whether the app's credentials for a tool still work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceAccess {
    /// No call made yet since the server started.
    Unknown,
    /// The last call was answered.
    Working,
    /// The tool refused the app's token: someone must give it a new one.
    Reconnect { reason: String },
}

/// A card whose write failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedCard {
    pub item_id: String,
    pub title: String,
    pub reason: String,
    pub attempts: i64,
}

/// What can go wrong, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PanelError {
    /// The ticket in the URL expired, was used already, or is not ours.
    #[error("This link to the panel has expired or was already used. Open the panel again from the toolbar.")]
    TicketRefused,
    #[error("The panel has been open too long. Close it and open it again from the toolbar.")]
    SessionExpired,
    #[error("Your Miro account cannot add items to this board.")]
    NotAuthorized,
    #[error("Miro no longer accepts the app's connection. Reconnect the app, then try again.")]
    ReconnectNeeded,
    /// The request itself is wrong: nothing was changed.
    #[error("{0}")]
    BadRequest(String),
    #[error("Some fields need attention.")]
    Invalid(Vec<FieldError>),
    #[error("Miro is rate-limiting the app. Nothing more was sent; try again in {retry_after} s.")]
    TooManyRequests { retry_after: u64 },
    #[error("Something went wrong on our side ({0}); try again.")]
    Unavailable(String),
    #[error("Could not reach the server ({0}); try again.")]
    Transport(String),
}

impl PanelError {
    /// The HTTP status the server answers with.
    pub fn status(&self) -> u16 {
        match self {
            PanelError::TicketRefused
            | PanelError::SessionExpired
            | PanelError::ReconnectNeeded => 401,
            PanelError::NotAuthorized => 403,
            PanelError::BadRequest(_) => 400,
            PanelError::Invalid(_) => 422,
            PanelError::TooManyRequests { .. } => 429,
            PanelError::Transport(_) => 502,
            PanelError::Unavailable(_) => 503,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for PanelError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        PanelError::Transport(value.to_string())
    }
}

/// What the panel and its server functions need from the server. The
/// `server` crate implements it and provides an `Arc<dyn PanelService>`.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait PanelService: Send + Sync {
    /// Redeems a panel ticket and returns what the panel opens with.
    async fn open(&self, board_id: &str, ticket: &str) -> Result<PanelData, PanelError>;
    async fn search(
        &self,
        session: &str,
        query: &RecordQuery,
        after: Option<&str>,
    ) -> Result<RecordPage, PanelError>;
    async fn health(&self, session: &str) -> Result<BoardHealth, PanelError>;
    /// One bulk create on the board, then the new cards linked.
    async fn add_cards(&self, request: AddCardsRequest) -> Result<Vec<ItemResult>, PanelError>;
    async fn create_record(&self, request: NewRecordRequest) -> Result<CreatedRecord, PanelError>;
    async fn convert_sticky_notes(
        &self,
        request: StickyNotesRequest,
    ) -> Result<Vec<ItemResult>, PanelError>;
    /// Failed writes of the board's cards are tried again now.
    async fn retry_failed(&self, session: &str) -> Result<BoardHealth, PanelError>;
    /// Every card of the board is written again from its record.
    async fn resync_board(&self, session: &str) -> Result<BoardHealth, PanelError>;
}

/// The service from context, or `Unavailable` when the server did not
/// provide one.
#[cfg(feature = "ssr")]
fn service() -> Result<std::sync::Arc<dyn PanelService>, PanelError> {
    leptos::prelude::use_context::<std::sync::Arc<dyn PanelService>>()
        .ok_or_else(|| PanelError::Unavailable("the panel service is not set up".to_owned()))
}

/// Answers a refusal with its own status.
#[cfg(feature = "ssr")]
fn with_status<T>(result: Result<T, PanelError>) -> Result<T, PanelError> {
    if let Err(error) = &result {
        crate::HttpStatus::set_current(error.status());
    }
    result
}
