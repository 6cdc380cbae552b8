//! The detail view's service: opening a card with a ticket (for the page)
//! and what `save_card` (declared in `app`) does on the server.

use crate::clock::now;
use std::{sync::Arc, time::Duration};

use app::{
    cards::{limits::TextLimits, validate::validate_record_within, RecordFields},
    detail::{
        BoardSync, CardViewData, DetailService, SaveOutcome, SaveRequest, SourceConflict, ViewError,
    },
};
use async_trait::async_trait;

use super::{
    access::{card_access, check_link, Denied},
    session::{self, ticket_hash},
};
use crate::{
    rate_limit::Action,
    state::AppState,
    store::{origin, CardKey, RecordRow, RecordSave, StoreError},
    sync::{
        connector::{github::GITHUB, save_limits, BUILTIN},
        PushOutcome, SyncError, BUSY,
    },
};

/// How long a save waits for Miro before leaving the card to the outbox.
pub const PUSH_DEADLINE: Duration = Duration::from_secs(3);

/// How long a save trusts Miro's last word that the user reaches the board.
const BOARD_ACCESS_TTL: Duration = Duration::from_secs(300);

pub struct Detail {
    state: AppState,
}

impl Detail {
    /// The service, as the server functions find it in context.
    pub fn service(state: AppState) -> Arc<dyn DetailService> {
        Arc::new(Self { state })
    }

    fn unavailable(error: impl std::fmt::Display) -> ViewError {
        // The details go to the log, never to the page.
        tracing::error!(%error, "detail view");
        ViewError::Unavailable("the store or Miro did not answer".to_owned())
    }
}

impl Detail {
    /// The open conflict between the record and its tool, if any (the
    /// built-in connector's records have none: they are their own source).
    async fn source_conflict(
        &self,
        record: &RecordRow,
    ) -> Result<Option<SourceConflict>, ViewError> {
        if record.connector == BUILTIN {
            return Ok(None);
        }
        let state = self
            .state
            .sync
            .store()
            .source_state(&record.snapshot.id)
            .await
            .map_err(Self::unavailable)?;
        Ok(state.and_then(|state| {
            let (theirs, _) = state.conflict?;
            Some(SourceConflict {
                tool: tool_name(&record.connector),
                theirs,
                base: state.base,
            })
        }))
    }
}

impl Detail {
    /// The title and description limits a save of `fields` to the record
    /// is checked against: those of the stored record's tool, whatever the
    /// browser says about the record. Read only for text longer than a
    /// record kept here may hold: other saves need no extra store call.
    async fn limits_for(
        &self,
        record_id: &str,
        fields: &RecordFields,
    ) -> Result<TextLimits, ViewError> {
        let built_in = TextLimits::BUILT_IN;
        if fields.title.trim().chars().count() <= built_in.title
            && fields.description.chars().count() <= built_in.description
        {
            return Ok(built_in);
        }
        let stored = self
            .state
            .sync
            .store()
            .record(record_id)
            .await
            .map_err(Self::unavailable)?;
        Ok(stored.map_or(built_in, |row| save_limits(&row.connector, fields)))
    }
}

/// A connector's name as its users know it.
fn tool_name(connector: &str) -> String {
    match connector {
        GITHUB => "GitHub".to_owned(),
        other => other.to_owned(),
    }
}

/// What a refused view is told.
fn refusal(denied: Denied) -> ViewError {
    match denied {
        Denied::NotLinked => ViewError::NotLinked,
        Denied::OtherTeam | Denied::NoBoardAccess => ViewError::NotAuthorized,
        Denied::ReconnectNeeded | Denied::TokenRefused => ViewError::ReconnectNeeded,
        Denied::Unavailable => {
            ViewError::Unavailable("the store or Miro did not answer".to_owned())
        }
    }
}

#[async_trait]
impl DetailService for Detail {
    async fn open(
        &self,
        board_id: &str,
        item_id: &str,
        ticket: &str,
    ) -> Result<CardViewData, ViewError> {
        let store = self.state.sync.store();
        let grant = store
            .redeem_ticket(&ticket_hash(ticket), now())
            .await
            .map_err(Self::unavailable)?
            .ok_or(ViewError::TicketRefused)?;
        let card = CardKey::new(board_id, item_id);
        if grant.card != card {
            return Err(ViewError::TicketRefused);
        }
        // One read for the link and its record: an open is on every
        // click, and each store call is a round trip to its thread.
        let (link, record) = store
            .link_with_record(&card)
            .await
            .map_err(Self::unavailable)?
            .ok_or(ViewError::NotLinked)?;
        let record = record.ok_or(ViewError::NotLinked)?;
        check_link(&self.state, &link, &record, &grant.user).map_err(refusal)?;
        let source_conflict = self.source_conflict(&record).await?;
        let limits = save_limits(&record.connector, &record.snapshot.fields);
        let session = session::sign(
            &session::ViewSession::new(&grant.user, &card, now()),
            &self.state.secret_key,
        );
        Ok(CardViewData {
            board_id: card.board_id,
            item_id: card.item_id,
            session,
            card_status: link.status,
            record: record.snapshot,
            template: (**self.state.sync.template()).clone(),
            source_conflict,
            limits,
        })
    }

    async fn save(&self, request: SaveRequest) -> Result<SaveOutcome, ViewError> {
        let card = CardKey::new(&request.board_id, &request.item_id);
        let view = session::verify(&request.session, &self.state.secret_key, &card, now())
            .ok_or(ViewError::SessionExpired)?;
        let user = view.user();
        if let Err(wait) = self.state.rate_limits.take_for(Action::Save, &user) {
            if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                response.insert_header(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(wait.seconds()),
                );
            }
            return Err(ViewError::TooManyRequests {
                retry_after: wait.seconds(),
            });
        }
        let (_, record_id) = card_access(&self.state, &user, &card, BOARD_ACCESS_TTL)
            .await
            .map_err(refusal)?;
        let limits = self.limits_for(&record_id, &request.fields).await?;
        let errors = validate_record_within(&request.fields, self.state.sync.template(), limits);
        if !errors.is_empty() {
            return Err(ViewError::Invalid(errors));
        }
        let saved = self
            .state
            .sync
            .save_pushing(
                RecordSave {
                    source_base: request.source_theirs.as_ref(),
                    record_id: &record_id,
                    base_version: request.base_version,
                    fields: &request.fields,
                    origin: origin::MIRO,
                    actor: &user.user_id,
                },
                Some(&card),
            )
            .await;
        let saved = match saved {
            Ok(saved) => saved,
            Err(SyncError::Store(StoreError::Conflict { current })) => {
                let base = self
                    .state
                    .sync
                    .store()
                    .record_version(&record_id, request.base_version)
                    .await
                    .map_err(Self::unavailable)?;
                return Err(ViewError::Conflict {
                    theirs: current,
                    base: base.map(Box::new),
                });
            }
            Err(error) => return Err(Self::unavailable(error)),
        };
        // The card the user is looking at goes now; the others follow
        // through the worker, which the save woke.
        let board = match self.state.sync.push(&card, Some(PUSH_DEADLINE)).await {
            Ok(PushOutcome::Written | PushOutcome::Unchanged | PushOutcome::NothingQueued) => {
                BoardSync::Synced
            }
            Ok(PushOutcome::Deferred { reason, .. }) => BoardSync::Syncing { reason },
            Ok(PushOutcome::Busy) => BoardSync::Syncing {
                reason: BUSY.to_owned(),
            },
            Ok(PushOutcome::CardGone) => BoardSync::Syncing {
                reason: "the card was deleted from the board".to_owned(),
            },
            Ok(PushOutcome::Refused(reason)) => BoardSync::Syncing { reason },
            Err(error) => {
                tracing::error!(%error, "pushing a saved card failed");
                BoardSync::Syncing {
                    reason: "the outbox will write the card".to_owned(),
                }
            }
        };
        Ok(SaveOutcome {
            record: saved.record,
            board,
        })
    }
}
