//! Writing one card: settles all of a card's queued writes with one PATCH
//! of its record's newest rendering, or none when the card already shows
//! it. Used by the worker for every card, and by a save for the card the
//! user is looking at.

use crate::clock::now;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use app::cards::{render_card, CardPreview};

use super::{card, needs_reconnect, SyncEngine, SyncError};
use crate::{
    miro::{AppCardWrite, MiroError},
    store::{origin, CardKey, CardLink, CardToPush, LogEntry, RecordRow, StoreError, Unlink},
};

/// Why a save's push returned before its write ended.
pub const STILL_WRITING: &str = "Miro is slow; the card follows when it answers";

/// Why a push left a card to another writer.
pub const BUSY: &str = "another process is writing this card";

/// Why a write was given up on at its lease's end, its PATCH unanswered.
const GIVEN_UP: &str = "Miro did not answer in time; the outbox retries";

/// Where a push tells its outcome early (see [`SyncEngine::push`]).
type Tell = oneshot::Sender<Result<PushOutcome, SyncError>>;

/// How a claimed push ended.
enum Pushed {
    Done(PushOutcome),
    /// The PATCH was sent and given up on at the lease's end: it may land.
    GivenUp(PushOutcome),
}

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
    /// Another writer holds the card's lease ([`BUSY`]): it writes the
    /// card, or its lease runs out and the outbox does.
    Busy,
    /// Miro refused the write for good (e.g. another app's card); logged.
    Refused(String),
}

impl PushOutcome {
    /// Whether nothing is left queued for the card by this push.
    fn is_settled(&self) -> bool {
        !matches!(self, Self::Deferred { .. } | Self::Busy)
    }
}

impl SyncEngine {
    /// Writes the card if writes are queued for it. With a `deadline` (a
    /// save waits a short while for its card) the write goes on in the
    /// background past it, and this returns `Deferred`: a PATCH is never
    /// dropped half-way because someone stopped waiting, since one given up
    /// on may still land while the next writer sends the same content.
    pub async fn push(
        &self,
        card: &CardKey,
        deadline: Option<Duration>,
    ) -> Result<PushOutcome, SyncError> {
        let Some(limit) = deadline else {
            return self.push_now(card, &mut None).await;
        };
        let engine = self.clone();
        let key = card.clone();
        // The outcome is told as soon as it is known: once Miro confirmed
        // the PATCH, the store's bookkeeping (the rows settled, the lease
        // released) goes on in the task, still holding the card, so the
        // card's next push waits for it. Lost to a crash, that bookkeeping
        // leaves the rows in flight, and the next writer finds the board
        // showing them (it reads the card first).
        let (tell, told) = oneshot::channel();
        tokio::spawn(async move {
            let mut tell = Some(tell);
            let outcome = engine.push_now(&key, &mut tell).await;
            // Whoever waited did not wake the worker for this card (see
            // `save_pushing`): a write left for later is its to retry.
            if !matches!(outcome, Ok(ref done) if done.is_settled()) {
                engine.inner.wake.notify_one();
            }
            if let Some(tell) = tell {
                let _ = tell.send(outcome);
            }
        });
        match tokio::time::timeout(limit, told).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => {
                // The task ended without telling: it panicked.
                self.inner.wake.notify_one();
                Err(SyncError::Task("a card's push stopped".to_owned()))
            }
            Err(_) => Ok(PushOutcome::Deferred {
                retry_at: now(),
                reason: STILL_WRITING.to_owned(),
            }),
        }
    }

    /// Writes the card, waiting for any other push of it in this process.
    /// `tell`, if given, hears a written card's outcome before the store
    /// has settled its rows (and is taken then).
    async fn push_now(
        &self,
        card: &CardKey,
        tell: &mut Option<Tell>,
    ) -> Result<PushOutcome, SyncError> {
        let lock = self.card_lock(card);
        let _one_push_per_card = lock.lock().await;
        // Across processes, and across pushes of this one: one writer per
        // card at a time. Each claim has its own holder name, so a lease
        // kept for a write that may still land (below) keeps this process's
        // next push off the card as well.
        let store = &self.inner.store;
        let holder = format!("{}.{}", self.inner.holder, crate::ids::new_id("push"));
        let at = now();
        let lease = self.inner.settings.write_lease.as_secs() as i64;
        // The lease, then the card's writes and its link with its record:
        // one store call, as a save waits for it.
        let Some(found) = store
            .claim_card_to_push(card, &holder, at, at + lease)
            .await?
        else {
            return Ok(PushOutcome::Busy);
        };
        // The write must end while the lease holds: past it another process
        // may take the card and send the same content again.
        let lease_left = self
            .inner
            .settings
            .write_lease
            .saturating_sub(Duration::from_secs(1))
            .max(Duration::from_millis(500));
        let (outcome, may_still_land) = match self
            .push_claimed(card, found, Instant::now() + lease_left, tell)
            .await
        {
            Ok(Pushed::Done(outcome)) => (Ok(outcome), false),
            Ok(Pushed::GivenUp(outcome)) => (Ok(outcome), true),
            Err(error) => (Err(error), false),
        };
        // A PATCH given up on may still land at Miro: the lease is kept until
        // it ends, so no writer reads the card before it has.
        if !may_still_land {
            if let Err(error) = store.release_card(card, &holder).await {
                tracing::warn!(%error, board = %card.board_id, item = %card.item_id, "could not release a card's lease; it ends by itself");
            }
        }
        outcome
    }

    /// [`SyncEngine::push`] once this process holds the card's lease.
    async fn push_claimed(
        &self,
        card: &CardKey,
        CardToPush { pending, link }: CardToPush,
        deadline: Instant,
        tell: &mut Option<Tell>,
    ) -> Result<Pushed, SyncError> {
        let store = &self.inner.store;
        let Some(last) = pending.last() else {
            return Ok(Pushed::Done(PushOutcome::NothingQueued));
        };
        let upto = last.id;
        let Some((link, record)) = link else {
            store
                .finish_writes(card, upto, None, &log(card, "skip", "card not linked"))
                .await?;
            return Ok(Pushed::Done(PushOutcome::Unchanged));
        };
        let Some(Rendering {
            write,
            hash,
            preview,
        }) = self.rendering(&link, record)
        else {
            store
                .finish_writes(card, upto, None, &log(card, "skip", "record missing"))
                .await?;
            return Ok(Pushed::Done(PushOutcome::Unchanged));
        };
        // Unless the board may differ from what was last written, a write
        // of the same content is not worth a call.
        let check_first = pending.iter().any(|e| e.in_flight);
        if !check_first && link.last_hash.as_deref() == Some(hash.as_str()) {
            store
                .finish_writes(card, upto, None, &log(card, "skip", "unchanged"))
                .await?;
            return Ok(Pushed::Done(PushOutcome::Unchanged));
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
                return self
                    .defer(card, upto, delay, &error.to_string())
                    .await
                    .map(Pushed::Done);
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
                Ok(on_board) if shows(&on_board, preview.as_ref()) => {
                    store
                        .finish_writes(
                            card,
                            upto,
                            Some(&hash),
                            &log(card, "skip", "the board shows it"),
                        )
                        .await?;
                    return Ok(Pushed::Done(PushOutcome::Unchanged));
                }
                Ok(_) => {}
                Err(MiroError::NotFound(_)) => {
                    store
                        .unlink_card(card, Unlink::Gone, origin::WORKER)
                        .await?;
                    return Ok(Pushed::Done(PushOutcome::CardGone));
                }
                Err(error) => {
                    return self
                        .defer(card, upto, self.backoff(attempts), &error.to_string())
                        .await
                        .map(Pushed::Done);
                }
            }
        }
        if Instant::now() >= deadline {
            // No time left under the lease: a PATCH started now could land
            // after another process took the card.
            return self
                .defer(
                    card,
                    upto,
                    Duration::ZERO,
                    "out of time for this write; the outbox retries",
                )
                .await
                .map(Pushed::Done);
        }
        store.mark_in_flight(card, upto).await?;
        let call = self
            .inner
            .miro
            .update_app_card(&access, &card.board_id, &card.item_id, &write);
        let Ok(result) = tokio::time::timeout_at(deadline.into(), call).await else {
            // The write may still land: its rows stay in flight, so the
            // next writer reads the card before writing again.
            let outcome = self.defer(card, upto, Duration::ZERO, GIVEN_UP).await?;
            return Ok(Pushed::GivenUp(outcome));
        };
        match result {
            Ok(_) => {
                if let Some(tell) = tell.take() {
                    let _ = tell.send(Ok(PushOutcome::Written));
                }
                store
                    .finish_writes(card, upto, Some(&hash), &log(card, "write", "ok"))
                    .await?;
                Ok(Pushed::Done(PushOutcome::Written))
            }
            Err(MiroError::NotFound(_)) => {
                store
                    .unlink_card(card, Unlink::Gone, origin::WORKER)
                    .await?;
                Ok(Pushed::Done(PushOutcome::CardGone))
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
                Ok(Pushed::Done(PushOutcome::Refused(reason)))
            }
            Err(MiroError::RateLimited { reset_at, .. }) => {
                let wait = (reset_at as i64 - now()).max(1) as u64;
                self.defer(card, upto, Duration::from_secs(wait), "rate limited")
                    .await
                    .map(Pushed::Done)
            }
            Err(error) => self
                .defer(card, upto, self.backoff(attempts), &error.to_string())
                .await
                .map(Pushed::Done),
        }
    }

    /// The write that makes the card show its link's state now, from the
    /// link and its record as read once: the check before a write compares
    /// the board with this same rendering, never with a newer one (a save
    /// landing in between would make the card look out of date and the
    /// older content be sent again). `None` when the record behind the link
    /// is gone.
    fn rendering(&self, link: &CardLink, record: Option<RecordRow>) -> Option<Rendering> {
        if link.record_id.is_none() {
            return Some(Rendering {
                write: card::disconnect_write(),
                hash: card::DISCONNECTED_HASH.to_owned(),
                preview: None,
            });
        }
        record.map(|record| {
            let preview = render_card(&record.snapshot.fields, link.status, &self.inner.template);
            Rendering {
                write: card::write_for(&preview),
                hash: card::hash(&preview),
                preview: Some(preview),
            }
        })
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

/// A card's content as one push writes it.
struct Rendering {
    write: AppCardWrite,
    hash: String,
    /// What the write shows; `None` for a disconnected card.
    preview: Option<CardPreview>,
}

/// Whether the card on the board shows `preview` (`None`: disconnected).
fn shows(on_board: &crate::miro::AppCard, preview: Option<&CardPreview>) -> bool {
    match preview {
        None => on_board.data.status == Some(crate::miro::AppCardStatus::Disconnected),
        Some(preview) => !card::drifted(on_board, preview),
    }
}

fn log(card: &CardKey, action: &str, result: &str) -> LogEntry {
    LogEntry::card(card, origin::WORKER, action, result)
}
