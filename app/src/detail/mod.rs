//! The app card detail view: what Miro shows in its modal when a user
//! opens one of our cards. This module owns the contract between the page
//! and the server (the data a view opens with, a save and its outcomes,
//! the errors a user can meet), the card a page opened with ([`OpenedCard`])
//! and the `save_card` server function. The page itself is in `view/`.
//!
//! The server function stays thin: it hands its arguments to a
//! [`DetailService`] that the `server` crate implements and provides as
//! Leptos context, so this crate compiles to WASM without server crates.

pub mod merge;
mod opened;
mod save_card;
pub mod view;

use serde::{Deserialize, Serialize};

pub use opened::{OpenedCard, ELEMENT_ID as OPENED_CARD_ELEMENT};
pub use save_card::{save_card, SaveCard};

use crate::cards::{
    limits::TextLimits, CardStatus, CardTemplate, FieldError, RecordFields, RecordSnapshot,
};

/// Everything the view opens with, rendered into the page's HTML.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardViewData {
    pub board_id: String,
    pub item_id: String,
    /// Authorizes saves from this view: bound to the user, the card and a
    /// lifetime, signed by the server. Never put in a URL.
    pub session: String,
    pub record: RecordSnapshot,
    /// The card's status on the board.
    pub card_status: CardStatus,
    pub template: CardTemplate,
    /// The record's item was changed in its tool while an edit from Miro
    /// waited to be sent there: the view opens on the choice.
    #[serde(default)]
    pub source_conflict: Option<SourceConflict>,
    /// How long the record's title and description may be: the server's
    /// choice from where the record's item lives (a GitHub issue holds
    /// more than a record kept here); the server checks saves against the
    /// same.
    #[serde(default)]
    pub limits: TextLimits,
}

/// A conflict between the record and its item in another tool: both were
/// changed, and nothing was overwritten on either side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceConflict {
    /// The tool's name as users know it (`GitHub`).
    pub tool: String,
    /// The item's fields in the tool now.
    pub theirs: RecordFields,
    /// The fields the tool held when the two sides last agreed, if known.
    pub base: Option<RecordFields>,
}

/// A save from the view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveRequest {
    pub board_id: String,
    pub item_id: String,
    pub session: String,
    /// The version the user started editing from.
    pub base_version: i64,
    pub fields: RecordFields,
    /// Set when the save resolves a [`SourceConflict`]: the tool's fields
    /// the user chose against, sent back so the server writes to the
    /// tool only while it still holds them.
    #[serde(default)]
    pub source_theirs: Option<RecordFields>,
}

/// Whether the board shows a save yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BoardSync {
    /// Miro confirmed the write: the board shows it now.
    Synced,
    /// Saved; Miro was slow or failing, so the card follows shortly.
    Syncing { reason: String },
}

/// A successful save.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveOutcome {
    pub record: RecordSnapshot,
    pub board: BoardSync,
}

/// What can go wrong, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ViewError {
    /// The ticket in the URL expired, was used already, or is not ours.
    #[error("This link to the card has expired or was already used. Open the card again from the board.")]
    TicketRefused,
    /// The view's session expired or does not match the card.
    #[error("This view has been open too long to save. Reopen the card to keep editing.")]
    SessionExpired,
    #[error("You are not allowed to edit cards on this board.")]
    NotAuthorized,
    #[error("Miro no longer accepts the app's connection. Reconnect the app, then try again.")]
    ReconnectNeeded,
    #[error("This card is not connected to a record.")]
    NotLinked,
    #[error("Some fields need attention.")]
    Invalid(Vec<FieldError>),
    /// Someone else saved first.
    #[error("Someone else saved this card while you were editing.")]
    Conflict {
        /// The record as it is now.
        theirs: Box<RecordSnapshot>,
        /// What the user started from, if still known.
        base: Option<Box<RecordFields>>,
    },
    /// Saves came faster than the app allows one user.
    #[error("You are saving faster than the app allows. Your edits are still here; try again in {retry_after} s.")]
    TooManyRequests { retry_after: u64 },
    #[error("Something went wrong on our side ({0}). Your edits are still here; try again.")]
    Unavailable(String),
    /// The request did not reach the server or its answer was unreadable.
    #[error("Could not reach the server ({0}). Your edits are still here; try again.")]
    Transport(String),
}

impl ViewError {
    /// The HTTP status the server answers with.
    pub fn status(&self) -> u16 {
        match self {
            ViewError::TicketRefused | ViewError::SessionExpired | ViewError::ReconnectNeeded => {
                401
            }
            ViewError::NotAuthorized => 403,
            ViewError::NotLinked => 404,
            ViewError::Conflict { .. } => 409,
            ViewError::Invalid(_) => 422,
            ViewError::TooManyRequests { .. } => 429,
            ViewError::Transport(_) => 502,
            ViewError::Unavailable(_) => 503,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for ViewError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        ViewError::Transport(value.to_string())
    }
}

/// What the detail page and its server function need from the server. The `server` crate
/// implements it and provides an `Arc<dyn DetailService>` as context.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait DetailService: Send + Sync {
    /// Redeems a ticket and returns the view's data.
    async fn open(
        &self,
        board_id: &str,
        item_id: &str,
        ticket: &str,
    ) -> Result<CardViewData, ViewError>;
    /// Checks, validates and saves; pushes the card within a short deadline.
    async fn save(&self, request: SaveRequest) -> Result<SaveOutcome, ViewError>;
}

/// The service from context, or `Unavailable` when the server did not
/// provide one.
#[cfg(feature = "ssr")]
fn service() -> Result<std::sync::Arc<dyn DetailService>, ViewError> {
    leptos::prelude::use_context::<std::sync::Arc<dyn DetailService>>()
        .ok_or_else(|| ViewError::Unavailable("the detail service is not set up".to_owned()))
}

/// Answers a refusal with its own status (a conflict is a 409, not the
/// 500 server functions send by default).
#[cfg(feature = "ssr")]
fn with_status<T>(result: Result<T, ViewError>) -> Result<T, ViewError> {
    if let Err(error) = &result {
        crate::HttpStatus::set_current(error.status());
    }
    result
}
