//! The sync engine: keeps every card linked to a record showing that
//! record, durably.
//!
//! - A save ([`SyncEngine::save`]) stores the new version and queues a
//!   write for each linked card in one transaction; the caller may then
//!   push the card it is looking at at once ([`SyncEngine::push`]).
//! - The outbox worker ([`worker`]) drains the queue: a card's queued rows
//!   collapse into one write of the record's newest rendering, a write
//!   whose hash equals the card's last one is not sent, failures are
//!   retried with backoff, and every outcome goes to the sync log.
//! - Reconciliation ([`reconcile`]) compares boards with the store:
//!   cards gone from a board are unlinked, drifted cards rewritten.
//!
//! Crash safety comes from the order of things: the outbox row commits
//! with the save, and is marked done only after Miro confirmed the write.
//! A crash in between repeats the write after a restart; a write is a
//! PATCH of the whole preview, so repeating it changes nothing a user can
//! see.

pub mod admit;
pub mod card;
pub mod connector;
mod import;
mod push;
pub mod reconcile;
pub mod source;
pub mod worker;

use crate::clock::now;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use app::cards::{CardTemplate, RecordFields};

pub use push::{PushOutcome, BUSY, STILL_WRITING};

use crate::{
    miro::{MiroClient, OAuthClient, StoredTokens, TokenError, TokenKey, TokenManager, TokenStore},
    store::{
        origin, CardKey, LogEntry, NewLink, NewRecord, RecordRow, RecordSave, Saved, Store,
        StoreError, Unlink,
    },
};

/// How the engine paces itself.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// The first retry's delay; each further one doubles, up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// How long to wait before retrying a card whose owner must reconnect.
    pub reconnect_delay: Duration,
    /// How often the worker looks for due writes when nothing woke it.
    pub poll_interval: Duration,
    /// Cards the worker takes per round.
    pub batch: u32,
    /// Reconciliation: how often, and the credits one pass may spend per
    /// board (listing a page of items costs 100).
    pub reconcile_interval: Duration,
    pub reconcile_credits: u64,
    /// How long a process may hold a card's write lease: longer than any
    /// one write takes (the Miro client's deadline); a process that died
    /// holding it is waited for this long.
    pub write_lease: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(300),
            reconnect_delay: Duration::from_secs(600),
            poll_interval: Duration::from_secs(5),
            batch: 50,
            reconcile_interval: Duration::from_secs(600),
            reconcile_credits: 2_000,
            write_lease: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A card's content the app cannot read (its HTML nests too deep).
    #[error("the card's {field} cannot be read: {error}")]
    Unreadable {
        field: &'static str,
        error: app::cards::markdown::HtmlTooDeep,
    },
    /// What arrived cannot be a record (its title or description is not
    /// valid); nothing was stored, and the sync log says why.
    #[error("it cannot be a record: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    NotARecord(Vec<app::cards::FieldError>),
    /// A write running in the background ended abnormally (it panicked).
    #[error("a card write failed: {0}")]
    Task(String),
}

/// The engine. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct SyncEngine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    miro: MiroClient,
    tokens: TokenManager<StoreTokens>,
    template: Arc<CardTemplate>,
    settings: SyncSettings,
    /// Names this engine's card leases in the store.
    holder: String,
    /// One push per card at a time, so two pushes never send the same
    /// write twice.
    card_locks: Mutex<HashMap<CardKey, Arc<tokio::sync::Mutex<()>>>>,
    wake: tokio::sync::Notify,
    /// Wakes the source worker (a save may have queued a write to a tool).
    source_wake: tokio::sync::Notify,
}

impl SyncEngine {
    pub fn new(
        store: Arc<dyn Store>,
        oauth: OAuthClient,
        template: Arc<CardTemplate>,
        settings: SyncSettings,
    ) -> Self {
        let miro = oauth.client.clone();
        Self {
            inner: Arc::new(Inner {
                tokens: TokenManager::new(oauth, StoreTokens(store.clone())),
                store,
                miro,
                template,
                settings,
                holder: crate::ids::new_id("writer"),
                card_locks: Mutex::default(),
                wake: tokio::sync::Notify::new(),
                source_wake: tokio::sync::Notify::new(),
            }),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn template(&self) -> &Arc<CardTemplate> {
        &self.inner.template
    }

    pub fn tokens(&self) -> &TokenManager<StoreTokens> {
        &self.inner.tokens
    }

    pub fn settings(&self) -> &SyncSettings {
        &self.inner.settings
    }

    /// Creates a record.
    pub async fn create(&self, new: NewRecord<'_>) -> Result<RecordRow, SyncError> {
        Ok(self.inner.store.create_record(new).await?)
    }

    /// Saves a record against the version the editor saw and queues a
    /// write for every card that shows it (the worker is woken for them).
    /// A stale save is refused with [`StoreError::Conflict`].
    pub async fn save(&self, save: RecordSave<'_>) -> Result<Saved, SyncError> {
        self.save_pushing(save, None).await
    }

    /// [`SyncEngine::save`] from the detail view of `card`, which the caller
    /// writes itself right after ([`SyncEngine::push`] with a deadline): the
    /// worker is woken for the record's other cards only. Woken for this
    /// one too, it would wait for the caller's write and then find nothing
    /// left, which costs a save at load several store calls for nothing.
    pub async fn save_pushing(
        &self,
        save: RecordSave<'_>,
        card: Option<&CardKey>,
    ) -> Result<Saved, SyncError> {
        let saved = self.inner.store.save_record(save).await?;
        if saved.cards.iter().any(|queued| Some(queued) != card) {
            self.inner.wake.notify_one();
        }
        // Cheap, and the only way a save's write to its tool is sent soon.
        self.inner.source_wake.notify_one();
        Ok(saved)
    }

    /// A change that arrived from the record's tool. The same fields as
    /// now (our own write coming back), or as the source base (nothing
    /// changed in the tool since it was last read or written), change
    /// nothing and are logged. A change arriving while an edit from Miro
    /// waits to be sent, or while a conflict is open, is stored as a
    /// conflict for the detail view, and overwrites nothing.
    pub async fn apply_source_change(
        &self,
        record_id: &str,
        fields: &RecordFields,
        connector: &str,
    ) -> Result<Saved, SyncError> {
        let store = &self.inner.store;
        let current = store
            .record(record_id)
            .await?
            .ok_or_else(|| StoreError::NoRecord(record_id.to_owned()))?;
        let unchanged = |result: &str| {
            LogEntry::record(record_id, connector, connector, "source change", result)
        };
        let unchanged_saved = Saved {
            record: current.snapshot.clone(),
            cards: Vec::new(),
        };
        let source = store.source_state(record_id).await?;
        if current.snapshot.fields.same_content(fields) {
            let details_changed = current.snapshot.fields.source != fields.source;
            match source {
                // The tool came to hold what the record holds while a
                // conflict was open: both sides agree, nothing to choose.
                Some(state) if state.conflict.is_some() => {
                    store
                        .finish_source_write(
                            record_id,
                            current.snapshot.version,
                            fields,
                            &unchanged("both sides agree now: conflict closed"),
                        )
                        .await?;
                }
                _ if details_changed => {}
                _ => store.append_log(&unchanged("echo skipped")).await?,
            }
            if !details_changed {
                return Ok(unchanged_saved);
            }
            // Only the tool's details changed (a label's colour, or those
            // of a label our write just added): the card shows them.
            let cards = self
                .refresh_source_details(&current, fields, connector)
                .await?;
            let record = store
                .record(record_id)
                .await?
                .map_or(current.snapshot, |row| row.snapshot);
            return Ok(Saved { record, cards });
        }
        if let Some(state) = source {
            if state
                .sending
                .as_ref()
                .is_some_and(|s| s.same_content(fields))
            {
                // Our write in flight coming back before its answer (a
                // newer edit from Miro may be queued behind it).
                store
                    .append_log(&unchanged("echo of the write being sent: skipped"))
                    .await?;
                return Ok(unchanged_saved);
            }
            if state.base.as_ref().is_some_and(|b| b.same_content(fields)) {
                store
                    .append_log(&unchanged("unchanged in the tool since last read"))
                    .await?;
                return Ok(unchanged_saved);
            }
            if state.pending_version.is_some() || state.conflict.is_some() {
                let version = current.snapshot.version;
                store
                    .set_source_conflict(
                        record_id,
                        fields,
                        version,
                        &unchanged(&format!(
                            "conflict: changed in {connector} while version {version} from Miro \
                             waits to be sent; kept for the detail view"
                        )),
                    )
                    .await?;
                return Ok(unchanged_saved);
            }
        }
        self.save(RecordSave {
            source_base: None,
            record_id,
            base_version: current.snapshot.version,
            fields,
            origin: connector,
            actor: connector,
        })
        .await
    }

    /// Takes the tool's details ([`RecordFields::source`]) from `tool`,
    /// fields the tool holds, into `current` (the record as the caller
    /// read it) when its content equals them, and queues its cards, since
    /// chips show them; answers the cards queued. No new version: they are
    /// not an edit, so an open detail view still saves. A record saved
    /// since `current` was read is left alone (the store checks the
    /// version); its next read from the tool brings them.
    pub async fn refresh_source_details(
        &self,
        current: &RecordRow,
        tool: &RecordFields,
        connector: &str,
    ) -> Result<Vec<CardKey>, SyncError> {
        let fields = &current.snapshot.fields;
        if !fields.same_content(tool) || fields.source == tool.source {
            return Ok(Vec::new());
        }
        let cards = self
            .inner
            .store
            .set_source_details(
                &current.snapshot.id,
                current.snapshot.version,
                &tool.source,
                connector,
            )
            .await?;
        if !cards.is_empty() {
            self.inner.wake.notify_one();
        }
        Ok(cards)
    }

    /// The record's item was deleted in its tool (or restored): its cards
    /// turn `disabled` (or `connected` again).
    pub async fn set_source_deleted(
        &self,
        record_id: &str,
        deleted: bool,
        connector: &str,
    ) -> Result<Vec<CardKey>, SyncError> {
        let cards = self
            .inner
            .store
            .set_source_deleted(record_id, deleted, connector)
            .await?;
        self.inner.wake.notify_one();
        Ok(cards)
    }

    /// Links a card to a record (the SDK's `app_card:connect`): the card
    /// turns `connected` and shows the record.
    pub async fn link(
        &self,
        card: &CardKey,
        record_id: &str,
        owner: &TokenKey,
        actor: &str,
    ) -> Result<(), SyncError> {
        self.inner
            .store
            .link_card(NewLink {
                card,
                record_id,
                owner,
                origin: origin::MIRO,
                actor,
            })
            .await?;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Disconnects a card from its record; it stays on its board, marked
    /// `disconnected`.
    pub async fn disconnect(&self, card: &CardKey) -> Result<(), SyncError> {
        self.inner
            .store
            .unlink_card(card, Unlink::Disconnect, origin::MIRO)
            .await?;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Wakes the worker (new writes are queued).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    fn card_lock(&self, card: &CardKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .card_locks
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        Arc::clone(locks.entry(card.clone()).or_default())
    }

    /// The delay before retry number `attempts + 1`.
    fn backoff(&self, attempts: i64) -> Duration {
        let settings = &self.inner.settings;
        let factor = 1u32 << attempts.clamp(0, 16);
        settings
            .backoff_base
            .saturating_mul(factor)
            .min(settings.backoff_cap)
    }
}

/// The store's installations, as the token manager reads and writes them.
#[derive(Clone)]
pub struct StoreTokens(pub Arc<dyn Store>);

impl TokenStore for StoreTokens {
    async fn load(&self, key: &TokenKey) -> Result<Option<StoredTokens>, String> {
        self.0.load_tokens(key).await.map_err(|e| e.to_string())
    }

    async fn save(&self, key: &TokenKey, tokens: &StoredTokens) -> Result<(), String> {
        self.0
            .save_tokens(key, tokens)
            .await
            .map_err(|e| e.to_string())
    }

    async fn forget(&self, key: &TokenKey) -> Result<(), String> {
        self.0.forget_tokens(key).await.map_err(|e| e.to_string())
    }

    async fn claim_refresh(
        &self,
        key: &TokenKey,
        holder: &str,
        lease: Duration,
    ) -> Result<bool, String> {
        let now = now();
        self.0
            .claim_refresh(key, holder, now, now + lease.as_secs() as i64)
            .await
            .map_err(|e| e.to_string())
    }

    async fn release_refresh(&self, key: &TokenKey, holder: &str) -> Result<(), String> {
        self.0
            .release_refresh(key, holder)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Whether a token error means the user must connect the app again.
pub fn needs_reconnect(error: &TokenError) -> bool {
    matches!(
        error,
        TokenError::NotConnected | TokenError::ReconnectNeeded | TokenError::OtherIssuer
    )
}
