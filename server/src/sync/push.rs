//! Writing one card: settles all of a card's queued writes with one PATCH
//! of its record's newest rendering, or none when the card already shows
//! it. Used by the worker for every card, and by a save for the card the
//! user is looking at.

use std::time::{Duration, Instant};

use app::cards::{render_card, CardPreview};

use super::{card, needs_reconnect, SyncEngine, SyncError};
use crate::{
    miro::{AppCardWrite, MiroError},
    store::{now, origin, CardKey, CardLink, LogEntry, StoreError, Unlink},
};

/// Why a write was given up on while its PATCH was under way.
const ABANDONED: &str = "Miro is slow; the outbox retries";

/// What pushing a card did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    /// Nothing was queued for the card.
    NothingQueued,
    /// Miro confirmed the write: the board shows the record now.
    Written,
    /// The card already showed this content: nothing was sent.
    Unchanged,
    /// The card is gone from its board: it was unlinked (the record stays).
    CardGone,
    /// Not written yet; the outbox retries at `retry_at` (UNIX seconds).
    Deferred { retry_at: i64, reason: String },
    /// Miro refused the write for good (e.g. another app's card); logged.
    Refused(String),
}

impl SyncEngine {
    /// Writes the card if writes are queued for it, within `deadline` if
    /// one is given (a save pushes with a short one; past it the write is
    /// left to the worker and this returns `Deferred`).
    pub async fn push(
        &self,
        card: &CardKey,
        deadline: Option<Duration>,
    ) -> Result<PushOutcome, SyncError> {
        // The deadline covers waiting for another push of this card too
        // (the worker may be writing it): past it, that push finishes the job.
        let deadline = deadline.map(|limit| Instant::now() + limit);
        let lock = self.card_lock(card);
        let _one_push_per_card = match deadline {
            Some(at) => match tokio::time::timeout_at(at.into(), lock.lock()).await {
                Ok(guard) => guard,
                Err(_) => {
                    return Ok(PushOutcome::Deferred {
                        retry_at: now(),
                        reason: "another write of this card is under way".to_owned(),
                    })
                }
            },
            None => lock.lock().await,
        };
        // Across processes: one writer per card at a time.
        let store = &self.inner.store;
        let at = now();
        let lease = self.inner.settings.write_lease.as_secs() as i64;
        if !store
            .claim_card(card, &self.inner.holder, at, at + lease)
            .await?
        {
            return Ok(PushOutcome::Deferred {
                retry_at: at,
                reason: "another process is writing this card".to_owned(),
            });
        }
        // The write must end while the lease holds: past it another process
        // may take the card and send the same content again.
        let lease_left = self
            .inner
            .settings
            .write_lease
            .saturating_sub(Duration::from_secs(1))
            .max(Duration::from_millis(500));
        let lease_end = Instant::now() + lease_left;
        let deadline = Some(deadline.map_or(lease_end, |at| at.min(lease_end)));
        let outcome = self.push_claimed(card, deadline).await;
        // A PATCH given up on may still land at Miro: the lease is kept until
        // it ends, so no other process reads the card before it has.
        if matches!(&outcome, Ok(PushOutcome::Deferred { reason, .. }) if reason == ABANDONED) {
            return outcome;
        }
        if let Err(error) = store.release_card(card, &self.inner.holder).await {
            tracing::warn!(%error, board = %card.board_id, item = %card.item_id, "could not release a card's lease; it ends by itself");
        }
        outcome
    }

    /// [`SyncEngine::push`] once this process holds the card's lease.
    async fn push_claimed(
        &self,
        card: &CardKey,
        deadline: Option<Instant>,
    ) -> Result<PushOutcome, SyncError> {
        let store = &self.inner.store;
        let pending = store.pending_writes(card).await?;
        let Some(last) = pending.last() else {
            return Ok(PushOutcome::NothingQueued);
        };
        let upto = last.id;
        let Some(link) = store.link(card).await? else {
            store
                .finish_writes(card, upto, None, &log(card, "skip", "card not linked"))
                .await?;
            return Ok(PushOutcome::Unchanged);
        };
        let Some((write, hash)) = self.rendering(&link).await? else {
            store
                .finish_writes(card, upto, None, &log(card, "skip", "record missing"))
                .await?;
            return Ok(PushOutcome::Unchanged);
        };
        // Unless the board may differ from what was last written, a write
        // of the same content is not worth a call.
        let check_first = pending.iter().any(|e| e.in_flight);
        if !check_first && link.last_hash.as_deref() == Some(hash.as_str()) {
            store
                .finish_writes(card, upto, None, &log(card, "skip", "unchanged"))
                .await?;
            return Ok(PushOutcome::Unchanged);
        }
        let attempts = pending.iter().map(|e| e.attempts).max().unwrap_or(0);
        let access = match self.inner.tokens.access(&link.owner).await {
            Ok(access) => access,
            Err(error) => {
                let delay = if needs_reconnect(&error) {
                    self.inner.settings.reconnect_delay
                } else {
                    self.backoff(attempts)
                };
                return self.defer(card, upto, delay, &error.to_string()).await;
            }
        };
        // A PATCH that may have landed (it failed, went unanswered, or its
        // writer died), or a card that may have drifted: if the card shows
        // this content already, there is nothing to send.
        if check_first {
            match self
                .inner
                .miro
                .app_card(&access, &card.board_id, &card.item_id)
                .await
            {
                Ok(on_board) if self.already_shows(&on_board, &link).await? => {
                    store
                        .finish_writes(
                            card,
                            upto,
                            Some(&hash),
                            &log(card, "skip", "the board shows it"),
                        )
                        .await?;
                    return Ok(PushOutcome::Unchanged);
                }
                Ok(_) => {}
                Err(MiroError::NotFound(_)) => {
                    store
                        .unlink_card(card, Unlink::Gone, origin::WORKER)
                        .await?;
                    return Ok(PushOutcome::CardGone);
                }
                Err(error) => {
                    return self
                        .defer(card, upto, self.backoff(attempts), &error.to_string())
                        .await;
                }
            }
        }
        if deadline.is_some_and(|at| Instant::now() >= at) {
            // No time left under the lease (or the caller's deadline): a PATCH
            // started now could land after another process took the card.
            return self
                .defer(
                    card,
                    upto,
                    Duration::ZERO,
                    "out of time for this write; the outbox retries",
                )
                .await;
        }
        store.mark_in_flight(card, upto).await?;
        let call = self
            .inner
            .miro
            .update_app_card(&access, &card.board_id, &card.item_id, &write);
        let result = match deadline {
            Some(at) => match tokio::time::timeout_at(at.into(), call).await {
                Ok(result) => result,
                Err(_) => {
                    // The write may still land: its rows stay in flight, so
                    // the next writer reads the card before writing again.
                    return self.defer(card, upto, Duration::ZERO, ABANDONED).await;
                }
            },
            None => call.await,
        };
        match result {
            Ok(_) => {
                store
                    .finish_writes(card, upto, Some(&hash), &log(card, "write", "ok"))
                    .await?;
                Ok(PushOutcome::Written)
            }
            Err(MiroError::NotFound(_)) => {
                store
                    .unlink_card(card, Unlink::Gone, origin::WORKER)
                    .await?;
                Ok(PushOutcome::CardGone)
            }
            Err(error @ (MiroError::Forbidden(_) | MiroError::InvalidInput { .. })) => {
                let reason = error.to_string();
                tracing::warn!(board = %card.board_id, item = %card.item_id, %reason, "Miro refused a card write");
                store
                    .finish_writes(
                        card,
                        upto,
                        None,
                        &log(card, "write", &format!("refused: {reason}")),
                    )
                    .await?;
                Ok(PushOutcome::Refused(reason))
            }
            Err(MiroError::RateLimited { reset_at, .. }) => {
                let wait = (reset_at as i64 - now()).max(1) as u64;
                self.defer(card, upto, Duration::from_secs(wait), "rate limited")
                    .await
            }
            Err(error) => {
                self.defer(card, upto, self.backoff(attempts), &error.to_string())
                    .await
            }
        }
    }

    /// Whether the card on the board shows what `link` says it should.
    async fn already_shows(
        &self,
        on_board: &crate::miro::AppCard,
        link: &CardLink,
    ) -> Result<bool, StoreError> {
        if link.record_id.is_none() {
            return Ok(on_board.data.status == Some(crate::miro::AppCardStatus::Disconnected));
        }
        Ok(self
            .preview(link)
            .await?
            .is_some_and(|preview| !card::drifted(on_board, &preview)))
    }

    /// The write that makes the card show its link's state, and its hash.
    /// `None` when the record behind the link is gone.
    async fn rendering(
        &self,
        link: &CardLink,
    ) -> Result<Option<(AppCardWrite, String)>, StoreError> {
        if link.record_id.is_none() {
            return Ok(Some((
                card::disconnect_write(),
                card::DISCONNECTED_HASH.to_owned(),
            )));
        }
        Ok(self
            .preview(link)
            .await?
            .map(|preview| (card::write_for(&preview), card::hash(&preview))))
    }

    /// What the card of `link` should show: its record rendered in the
    /// link's status (which the store keeps `disabled` while the record's
    /// source is deleted). `None` for a disconnected card or a missing
    /// record.
    pub async fn preview(&self, link: &CardLink) -> Result<Option<CardPreview>, StoreError> {
        let Some(record_id) = &link.record_id else {
            return Ok(None);
        };
        Ok(self
            .inner
            .store
            .record(record_id)
            .await?
            .map(|record| render_card(&record.snapshot.fields, link.status, &self.inner.template)))
    }

    async fn defer(
        &self,
        card: &CardKey,
        upto: i64,
        delay: Duration,
        reason: &str,
    ) -> Result<PushOutcome, SyncError> {
        let retry_at = now() + delay.as_secs() as i64;
        self.inner
            .store
            .retry_writes(card, upto, retry_at, reason)
            .await?;
        tracing::debug!(board = %card.board_id, item = %card.item_id, %reason, "card write deferred");
        Ok(PushOutcome::Deferred {
            retry_at,
            reason: reason.to_owned(),
        })
    }
}

fn log(card: &CardKey, action: &str, result: &str) -> LogEntry {
    LogEntry::card(card, origin::WORKER, action, result)
}
