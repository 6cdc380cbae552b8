//! The store's contract, written once and run on both backends: every
//! check below takes a fresh store as `Arc<SqlStore>` and runs as
//! `store_suite::sqlite::<name>` on a new SQLite file and as
//! `store_suite::postgres::<name>` on a new PostgreSQL database.
//!
//! The PostgreSQL tests need a server: `DATABASE_URL_PG` names one
//! (`scripts/postgres start` starts a throwaway one and prints its URL;
//! `scripts/test` does that itself). Each test creates its own database
//! `test_<random>` on it and drops it when done, so the tests run in
//! parallel (both from `support::postgres`). Without `DATABASE_URL_PG` each PostgreSQL test says loudly on
//! stderr that it was skipped, and fails instead when `REQUIRE_POSTGRES=1`.
//!
//! `store_suite::postgres_instances::*` run two stores on one PostgreSQL
//! database at once, as two server instances would: a race that must have
//! one winner has exactly one.

use server::clock::now;
use std::{collections::HashSet, sync::Arc};

use app::{
    cards::{CardStatus, RecordFields, SourceDetails},
    panel::RecordQuery,
};
use server::{
    miro::{Secret, StoredTokens, TokenKey},
    store::{
        arrival, origin, CardKey, LogEntry, NewLink, NewRecord, Pacing, RecordRow, RecordSave,
        SecretKey, SqlStore, Store, StoreError, TicketGrant, Unlink,
    },
};

use crate::support::postgres::{postgres_server, PgDatabase};

// --- the two backends ------------------------------------------------------

/// A fresh store, and the database under it (removed when dropped).
struct TestDb {
    store: Arc<SqlStore>,
    /// The key `store` seals tokens with.
    key: SecretKey,
    backend: Backend,
}

enum Backend {
    Sqlite {
        url: String,
        _folder: tempfile::TempDir,
    },
    Postgres(PgDatabase),
}

impl TestDb {
    async fn sqlite() -> Self {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("app.db").display());
        let key = SecretKey::generate();
        let store = SqlStore::open(&url, key.clone()).await.unwrap();
        Self {
            store: Arc::new(store),
            key,
            backend: Backend::Sqlite {
                url,
                _folder: folder,
            },
        }
    }

    /// A store on a new database of the server `DATABASE_URL_PG` names, or
    /// `None` (said loudly) when it is unset.
    async fn postgres(test: &str) -> Option<Self> {
        let server = postgres_server(test)?;
        let database = PgDatabase::create(&server).await;
        let key = SecretKey::generate();
        let store = SqlStore::open(&database.url, key.clone()).await.unwrap();
        Some(Self {
            store: Arc::new(store),
            key,
            backend: Backend::Postgres(database),
        })
    }

    /// Another store on the same database, sealing with `key`.
    async fn open(&self, key: SecretKey) -> Arc<SqlStore> {
        match &self.backend {
            Backend::Sqlite { url, .. } => Arc::new(SqlStore::open(url, key).await.unwrap()),
            Backend::Postgres(database) => {
                Arc::new(SqlStore::open(&database.url, key).await.unwrap())
            }
        }
    }
}

/// Each check, as a SQLite test and a PostgreSQL test.
macro_rules! on_both_backends {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $check() {
                    let db = super::TestDb::sqlite().await;
                    super::$check(&db).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $check() {
                    let test = concat!("store_suite::postgres::", stringify!($check));
                    let Some(db) = super::TestDb::postgres(test).await else {
                        return;
                    };
                    super::$check(&db).await;
                }
            )*
        }
    };
}

on_both_backends!(
    records_are_created_read_and_found_by_their_external_id,
    a_save_makes_the_next_version_and_a_stale_save_is_a_conflict,
    a_save_queues_a_write_for_every_linked_card,
    a_deleted_source_disables_its_cards_and_a_restored_one_connects_them,
    a_tools_details_are_set_without_a_new_version,
    a_card_is_linked_by_one_owner_until_it_is_disconnected,
    cards_the_app_wrote_are_linked_without_a_write,
    the_outbox_queues_retries_and_finishes_writes,
    tickets_work_once_and_expire,
    oauth_states_work_once_and_expire,
    github_deliveries_are_handled_once_until_given_back,
    tokens_are_sealed_listed_and_forgotten,
    find_records_filters_by_text_status_label_and_assignee,
    find_records_pages_to_the_end_without_repeats,
    facets_are_the_labels_and_assignees_sorted,
    search_records_matches_titles,
    boards_are_listed_per_record_and_per_installation,
    records_are_found_only_within_their_scopes,
    card_states_retry_and_rewrite_a_board,
    a_resync_asked_again_and_again_queues_one_check_per_card_paced,
    settled_writes_are_deleted_and_dropped_ones_pruned_in_batches,
    the_sync_log_lists_newest_first,
    a_closed_store_leaves_everything_it_wrote_in_the_database,
    the_sync_log_counts_what_arrived_and_was_not_all_taken,
    leases_are_held_by_one_holder_until_they_end,
    a_push_claims_its_card_and_reads_its_writes_and_link,
    source_writes_are_queued_with_saves_leased_retried_and_finished,
    writes_on_their_way_to_a_tool_are_counted,
);

// --- writes to records' tools ----------------------------------------------

async fn source_writes_are_queued_with_saves_leased_retried_and_finished(db: &TestDb) {
    let store = &db.store;
    // A built-in record is its own source: no state, nothing queued.
    let builtin = create(store, &fields("Built in")).await;
    save(store, &builtin.snapshot.id, 1, &fields("Built in, edited"))
        .await
        .unwrap();
    assert_eq!(
        store.source_state(&builtin.snapshot.id).await.unwrap(),
        None
    );

    // A tool's record starts with its fields as the base.
    let first = fields("From the tool");
    let record = store
        .create_record(NewRecord {
            connector: "github",
            external_id: Some("octo/one#1"),
            fields: &first,
            origin: "github",
            actor: "tester",
            scope: "github:octo/one",
        })
        .await
        .unwrap();
    let id = &record.snapshot.id;
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!(state.base.as_ref(), Some(&first));
    assert_eq!(state.pending_version, None);
    let later = now() + 1_000;
    assert!(store
        .due_source_writes("github", later, 10)
        .await
        .unwrap()
        .is_empty());

    // A change from the tool moves the base and queues nothing.
    let from_tool = fields("Changed in the tool");
    store
        .save_record(RecordSave {
            source_base: None,
            record_id: id,
            base_version: 1,
            fields: &from_tool,
            origin: "github",
            actor: "github",
        })
        .await
        .unwrap();
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!(
        (state.base.as_ref(), state.pending_version),
        (Some(&from_tool), None)
    );

    // A save from Miro queues the write in its transaction.
    let ours = fields("Edited in Miro");
    save(store, id, 2, &ours).await.unwrap();
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!(state.pending_version, Some(3));
    assert_eq!(
        store.due_source_writes("github", later, 10).await.unwrap(),
        vec![id.clone()]
    );
    assert!(store
        .due_source_writes("builtin", later, 10)
        .await
        .unwrap()
        .is_empty());

    // One writer at a time until its lease ends.
    let at = now();
    assert!(store
        .claim_source_write(id, "a", at, at + 60)
        .await
        .unwrap());
    assert!(!store
        .claim_source_write(id, "b", at, at + 60)
        .await
        .unwrap());
    assert!(store
        .claim_source_write(id, "b", at + 61, at + 120)
        .await
        .unwrap());
    store.release_source_write(id, "a").await.unwrap();
    assert!(!store
        .claim_source_write(id, "a", at + 61, at + 120)
        .await
        .unwrap());
    store.release_source_write(id, "b").await.unwrap();

    // A retry counts and waits.
    store.retry_source_write(id, later, "down").await.unwrap();
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!(
        (state.attempts, state.last_error.as_deref()),
        (1, Some("down"))
    );
    assert!(store
        .due_source_writes("github", later - 1, 10)
        .await
        .unwrap()
        .is_empty());

    // A save during the write stays queued after it finishes.
    let newer = fields("Edited again");
    save(store, id, 3, &newer).await.unwrap();
    let log = LogEntry::record(
        id,
        origin::WORKER,
        "github",
        "source write",
        "version 3 written",
    );
    store.finish_source_write(id, 3, &ours, &log).await.unwrap();
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!(
        (state.base.as_ref(), state.pending_version),
        (Some(&ours), Some(4))
    );
    assert_eq!(state.attempts, 0);
    store
        .finish_source_write(id, 4, &newer, &log)
        .await
        .unwrap();
    assert_eq!(
        store
            .source_state(id)
            .await
            .unwrap()
            .unwrap()
            .pending_version,
        None
    );

    // A conflict holds the write back until a save resolves it.
    save(store, id, 4, &ours).await.unwrap();
    let theirs = fields("Changed in the tool meanwhile");
    store
        .set_source_conflict(id, &theirs, 5, &log)
        .await
        .unwrap();
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!(state.conflict, Some((theirs.clone(), 5)));
    assert!(store
        .due_source_writes("github", later, 10)
        .await
        .unwrap()
        .is_empty());
    // Resolved keeping every field of ours: still settled and queued.
    store
        .save_record(RecordSave {
            source_base: Some(&theirs),
            record_id: id,
            base_version: 5,
            fields: &ours,
            origin: origin::MIRO,
            actor: "tester",
        })
        .await
        .unwrap();
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!(state.conflict, None);
    assert_eq!(state.base.as_ref(), Some(&theirs));
    assert_eq!(state.pending_version, Some(5));
    assert_eq!(
        store.due_source_writes("github", later, 10).await.unwrap(),
        vec![id.clone()]
    );

    // A refusal drops the write, logged.
    let refused = LogEntry::record(id, origin::WORKER, "github", "source write", "refused: no");
    store.drop_source_write(id, &refused).await.unwrap();
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!(state.pending_version, None);
    assert!(store
        .due_source_writes("github", later, 10)
        .await
        .unwrap()
        .is_empty());
    let recent = store.recent_log(5).await.unwrap();
    assert!(
        recent.iter().any(|e| e.result == "refused: no"),
        "{recent:#?}"
    );
}

/// The panel's counts of edits on their way to a tool follow each state
/// of a write: waiting, sending, retrying, held back by a conflict.
async fn writes_on_their_way_to_a_tool_are_counted(db: &TestDb) {
    let store = &db.store;
    let issue = |number: u32| {
        let external_id = format!("octo/two#{number}");
        async move {
            store
                .create_record(NewRecord {
                    connector: "github",
                    external_id: Some(&external_id),
                    fields: &fields(&format!("Issue {number}")),
                    origin: "github",
                    actor: "github",
                    scope: "github:octo/two",
                })
                .await
                .unwrap()
        }
    };
    let record = issue(7).await;
    let id = &record.snapshot.id;
    let counts = store.source_writes("github").await.unwrap();
    assert_eq!(
        (
            counts.waiting,
            counts.retrying,
            counts.conflicts,
            counts.refused
        ),
        (0, 0, 0, 0)
    );
    let ours = RecordFields {
        labels: vec!["bug".to_owned()],
        ..fields("Edited in Miro")
    };
    save(store, id, 1, &ours).await.unwrap();
    assert_eq!(store.source_writes("github").await.unwrap().waiting, 1);
    assert_eq!(store.source_writes("builtin").await.unwrap().waiting, 0);
    // What a write is sending is noted before it is sent.
    store.mark_source_sending(id, &ours).await.unwrap();
    let state = store.source_state(id).await.unwrap().unwrap();
    assert_eq!(state.sending.as_ref(), Some(&ours));
    store
        .retry_source_write(id, now() + 60, "down")
        .await
        .unwrap();
    let counts = store.source_writes("github").await.unwrap();
    assert_eq!((counts.waiting, counts.retrying), (1, 1));
    assert_eq!(counts.last_error.as_deref(), Some("down"));
    // A conflict is counted as one, not as waiting.
    let log = LogEntry::record(id, origin::WORKER, "github", "source write", "conflict");
    store
        .set_source_conflict(id, &fields("Theirs"), 2, &log)
        .await
        .unwrap();
    let counts = store.source_writes("github").await.unwrap();
    assert_eq!((counts.waiting, counts.conflicts), (0, 1));
    // A refused write is counted as refused once dropped.
    let other = issue(8).await;
    save(store, &other.snapshot.id, 1, &fields("Edited too"))
        .await
        .unwrap();
    store
        .retry_source_write(&other.snapshot.id, now(), "422: no")
        .await
        .unwrap();
    let refused = LogEntry::record(
        &other.snapshot.id,
        origin::WORKER,
        "github",
        "source write",
        "refused",
    );
    store
        .drop_source_write(&other.snapshot.id, &refused)
        .await
        .unwrap();
    let counts = store.source_writes("github").await.unwrap();
    assert_eq!((counts.waiting, counts.refused), (0, 1));
}

/// Closing waits for nothing to be lost: what was written is there when
/// the database is opened again, and on SQLite the write-ahead log has
/// been checkpointed into the file (the file alone is a whole copy).
async fn a_closed_store_leaves_everything_it_wrote_in_the_database(db: &TestDb) {
    let store = &db.store;
    let id = create(store, &fields("Kept")).await.snapshot.id;
    save(store, &id, 1, &fields("Kept, edited")).await.unwrap();
    store.close().await;
    assert!(store.record(&id).await.is_err(), "a closed store refuses");
    if let Backend::Sqlite { url, .. } = &db.backend {
        let wal = format!("{}-wal", url.trim_start_matches("sqlite://"));
        let left = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert_eq!(left, 0, "the write-ahead log was checkpointed");
    }
    let reopened = db.open(db.key.clone()).await;
    let record = reopened.record(&id).await.unwrap().unwrap();
    assert_eq!(
        (
            record.snapshot.version,
            record.snapshot.fields.title.as_str()
        ),
        (2, "Kept, edited")
    );
}

// --- helpers ---------------------------------------------------------------

fn fields(title: &str) -> RecordFields {
    RecordFields {
        title: title.to_owned(),
        description: format!("About {title}"),
        status: "todo".to_owned(),
        ..RecordFields::default()
    }
}

fn user(n: u32) -> TokenKey {
    TokenKey {
        user_id: format!("user-{n}"),
        team_id: "team-1".to_owned(),
    }
}

/// The scope of the records `create` makes: team-1's, `user(n)`'s team.
const SCOPE: &str = "team:team-1";

fn scopes() -> Vec<String> {
    vec![SCOPE.to_owned()]
}

async fn create(store: &Arc<SqlStore>, fields: &RecordFields) -> RecordRow {
    store
        .create_record(NewRecord {
            connector: "builtin",
            external_id: None,
            fields,
            origin: origin::MIRO,
            actor: "tester",
            scope: SCOPE,
        })
        .await
        .unwrap()
}

async fn save(
    store: &Arc<SqlStore>,
    record_id: &str,
    base_version: i64,
    fields: &RecordFields,
) -> Result<server::store::Saved, StoreError> {
    store
        .save_record(RecordSave {
            source_base: None,
            record_id,
            base_version,
            fields,
            origin: origin::MIRO,
            actor: "tester",
        })
        .await
}

async fn link(
    store: &Arc<SqlStore>,
    card: &CardKey,
    record_id: &str,
    owner: &TokenKey,
) -> Result<(), StoreError> {
    store
        .link_card(NewLink {
            card,
            record_id,
            owner,
            origin: origin::PANEL,
            actor: "tester",
        })
        .await
}

async fn pending(store: &Arc<SqlStore>, card: &CardKey) -> usize {
    store.pending_writes(card).await.unwrap().len()
}

/// Settles every pending write of `card`, as if `hash` was written.
async fn settle(store: &Arc<SqlStore>, card: &CardKey, hash: &str) {
    let writes = store.pending_writes(card).await.unwrap();
    let last = writes.last().expect("a pending write").id;
    store
        .finish_writes(
            card,
            last,
            Some(hash),
            &LogEntry::card(card, origin::WORKER, "write", "ok"),
        )
        .await
        .unwrap();
}

async fn titles_found(store: &Arc<SqlStore>, query: RecordQuery) -> Vec<String> {
    let found = store
        .find_records(&scopes(), &query, None, 50)
        .await
        .unwrap();
    let mut titles: Vec<String> = found
        .records
        .iter()
        .map(|r| r.snapshot.fields.title.clone())
        .collect();
    assert_eq!(found.total as usize, titles.len(), "{query:?}");
    titles.sort();
    titles
}

fn text(words: &str) -> RecordQuery {
    RecordQuery {
        text: words.to_owned(),
        ..RecordQuery::default()
    }
}

// --- records ---------------------------------------------------------------

async fn records_are_created_read_and_found_by_their_external_id(db: &TestDb) {
    let store = &db.store;
    let first = fields("First");
    let record = create(store, &first).await;
    assert_eq!(record.snapshot.version, 1);
    assert_eq!(record.snapshot.fields, first);
    assert_eq!(record.connector, "builtin");
    assert_eq!(record.external_id, record.snapshot.id, "its own item");
    assert!(!record.source_deleted);
    let id = record.snapshot.id.clone();
    assert_eq!(store.record(&id).await.unwrap(), Some(record.clone()));
    assert_eq!(store.record("rec_missing").await.unwrap(), None);
    assert_eq!(
        store.record_by_external("builtin", &id).await.unwrap(),
        Some(record.clone())
    );

    let issue = fields("An issue");
    let new = NewRecord {
        connector: "github",
        external_id: Some("owner/repo#42"),
        fields: &issue,
        origin: "github",
        actor: "webhook",
        scope: "github:owner/repo",
    };
    let from_github = store.create_record(new.clone()).await.unwrap();
    assert_eq!(from_github.external_id, "owner/repo#42");
    assert_eq!(
        store
            .record_by_external("github", "owner/repo#42")
            .await
            .unwrap(),
        Some(from_github)
    );
    assert_eq!(
        store
            .record_by_external("github", "owner/repo#43")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .record_by_external("builtin", "owner/repo#42")
            .await
            .unwrap(),
        None,
        "the connector is part of the key"
    );
    match store.create_record(new).await {
        Err(StoreError::Duplicate {
            connector,
            external_id,
        }) => assert_eq!(
            (connector.as_str(), external_id.as_str()),
            ("github", "owner/repo#42")
        ),
        other => panic!("a second record for one item: {other:?}"),
    }

    assert_eq!(store.record_version(&id, 1).await.unwrap(), Some(first));
    assert_eq!(store.record_version(&id, 2).await.unwrap(), None);
    let log = store.recent_log(10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.record_id.as_deref() == Some(id.as_str())
                && e.action == "create"
                && e.result == "version 1"),
        "{log:?}"
    );
}

async fn a_save_makes_the_next_version_and_a_stale_save_is_a_conflict(db: &TestDb) {
    let store = &db.store;
    let (v1, v2, theirs) = (fields("One"), fields("Two"), fields("Theirs"));
    let id = create(store, &v1).await.snapshot.id;

    let saved = save(store, &id, 1, &v2).await.unwrap();
    assert_eq!((saved.record.version, &saved.record.fields), (2, &v2));
    assert!(saved.cards.is_empty(), "no linked cards");
    let stored = store.record(&id).await.unwrap().unwrap();
    assert_eq!(
        (stored.snapshot.version, stored.snapshot.fields),
        (2, v2.clone())
    );
    assert_eq!(store.record_version(&id, 1).await.unwrap(), Some(v1));
    assert_eq!(
        store.record_version(&id, 2).await.unwrap(),
        Some(v2.clone())
    );
    let logged = &store.recent_log(1).await.unwrap()[0];
    assert_eq!(
        (
            logged.record_id.as_deref(),
            logged.origin.as_str(),
            logged.actor.as_str(),
            logged.action.as_str(),
            logged.result.as_str()
        ),
        (
            Some(id.as_str()),
            origin::MIRO,
            "tester",
            "save",
            "version 2"
        )
    );

    // Based on version 1, which is no longer current: refused, unchanged.
    match save(store, &id, 1, &theirs).await {
        Err(StoreError::Conflict { current }) => {
            assert_eq!((current.version, &current.fields), (2, &v2));
        }
        other => panic!("a stale save: {other:?}"),
    }
    let stored = store.record(&id).await.unwrap().unwrap();
    assert_eq!(
        (stored.snapshot.version, stored.snapshot.fields),
        (2, v2.clone())
    );
    let newest = &store.recent_log(1).await.unwrap()[0];
    assert_eq!(newest.record_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        newest.result,
        "conflict: based on version 1, record is at 2"
    );

    // The same fields again: nothing to save, no new version.
    let again = save(store, &id, 2, &v2).await.unwrap();
    assert_eq!(again.record.version, 2);
    assert_eq!(store.record_version(&id, 3).await.unwrap(), None);

    assert!(matches!(
        save(store, "rec_missing", 1, &v2).await,
        Err(StoreError::NoRecord(missing)) if missing == "rec_missing"
    ));
}

async fn a_save_queues_a_write_for_every_linked_card(db: &TestDb) {
    let store = &db.store;
    let id = create(store, &fields("Linked")).await.snapshot.id;
    let cards = [CardKey::new("board-b", "2"), CardKey::new("board-a", "1")];
    for card in &cards {
        link(store, card, &id, &user(1)).await.unwrap();
        settle(store, card, "h0").await;
    }
    let saved = save(store, &id, 1, &fields("Linked, changed"))
        .await
        .unwrap();
    assert_eq!(
        saved.cards,
        vec![CardKey::new("board-a", "1"), CardKey::new("board-b", "2")],
        "by board, then item"
    );
    for card in &cards {
        let writes = store.pending_writes(card).await.unwrap();
        assert_eq!(writes.len(), 1, "{card:?}");
        assert_eq!(writes[0].origin, origin::MIRO);
        assert_eq!(writes[0].attempts, 0);
    }
    // A conflict queues nothing.
    assert!(save(store, &id, 1, &fields("Stale")).await.is_err());
    assert_eq!(store.pending_count().await.unwrap(), 2);
}

async fn a_deleted_source_disables_its_cards_and_a_restored_one_connects_them(db: &TestDb) {
    let store = &db.store;
    let id = create(store, &fields("From a tool")).await.snapshot.id;
    let cards = [CardKey::new("b1", "1"), CardKey::new("b2", "2")];
    for card in &cards {
        link(store, card, &id, &user(1)).await.unwrap();
        settle(store, card, "h").await;
    }

    let disabled = store
        .set_source_deleted(&id, true, origin::RECONCILE)
        .await
        .unwrap();
    assert_eq!(disabled, cards.to_vec());
    assert!(store.record(&id).await.unwrap().unwrap().source_deleted);
    for card in &cards {
        let link = store.link(card).await.unwrap().unwrap();
        assert_eq!(link.status, CardStatus::Disabled);
        assert_eq!(pending(store, card).await, 1, "each card is rewritten");
    }
    // Already deleted: nothing changes, nothing is queued.
    assert!(store
        .set_source_deleted(&id, true, origin::RECONCILE)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.pending_count().await.unwrap(), 2);

    let restored = store
        .set_source_deleted(&id, false, origin::RECONCILE)
        .await
        .unwrap();
    assert_eq!(restored, cards.to_vec());
    for card in &cards {
        assert_eq!(
            store.link(card).await.unwrap().unwrap().status,
            CardStatus::Connected
        );
    }
    assert!(!store.record(&id).await.unwrap().unwrap().source_deleted);
    assert!(matches!(
        store
            .set_source_deleted("rec_missing", true, origin::RECONCILE)
            .await,
        Err(StoreError::NoRecord(_))
    ));
}

async fn a_tools_details_are_set_without_a_new_version(db: &TestDb) {
    let store = &db.store;
    let id = create(store, &fields("From a tool")).await.snapshot.id;
    let cards = [CardKey::new("b1", "1"), CardKey::new("b2", "2")];
    for card in &cards {
        link(store, card, &id, &user(1)).await.unwrap();
        settle(store, card, "h").await;
    }
    let details = SourceDetails {
        tool: "GitHub".to_owned(),
        reference: "#42".to_owned(),
        location: "acme/roadmap".to_owned(),
        url: "https://github.com/acme/roadmap/issues/42".to_owned(),
        ..SourceDetails::default()
    };

    let queued = store
        .set_source_details(&id, 1, &details, origin::RECONCILE)
        .await
        .unwrap();
    assert_eq!(queued, cards.to_vec());
    let record = store.record(&id).await.unwrap().unwrap();
    assert_eq!(record.snapshot.version, 1, "details are not an edit");
    assert_eq!(record.snapshot.fields.source, details);
    assert_eq!(record.snapshot.fields.title, "From a tool");
    for card in &cards {
        assert_eq!(pending(store, card).await, 1, "each card is rewritten");
    }

    // The same details again, or at a version the record has moved past:
    // nothing changes, nothing is queued.
    assert!(store
        .set_source_details(&id, 1, &details, origin::RECONCILE)
        .await
        .unwrap()
        .is_empty());
    save(store, &id, 1, &fields("Edited")).await.unwrap();
    let newer = SourceDetails {
        reference: "#43".to_owned(),
        ..details.clone()
    };
    assert!(store
        .set_source_details(&id, 1, &newer, origin::RECONCILE)
        .await
        .unwrap()
        .is_empty());
    let record = store.record(&id).await.unwrap().unwrap();
    assert_eq!(record.snapshot.version, 2);
    assert_eq!(
        record.snapshot.fields.source, details,
        "a save from Miro keeps them"
    );
    assert!(store
        .set_source_details("rec_missing", 1, &details, origin::RECONCILE)
        .await
        .unwrap()
        .is_empty());
}

// --- card links ------------------------------------------------------------

async fn a_card_is_linked_by_one_owner_until_it_is_disconnected(db: &TestDb) {
    let store = &db.store;
    let a = create(store, &fields("A")).await.snapshot.id;
    let b = create(store, &fields("B")).await.snapshot.id;
    let card = CardKey::new("board-1", "100");

    link(store, &card, &a, &user(1)).await.unwrap();
    let linked = store.link(&card).await.unwrap().unwrap();
    assert_eq!(linked.card, card);
    assert_eq!(linked.record_id.as_deref(), Some(a.as_str()));
    assert_eq!(linked.owner, user(1));
    assert_eq!(linked.status, CardStatus::Connected);
    assert_eq!(linked.last_hash, None);
    assert_eq!(pending(store, &card).await, 1, "linking queues a write");
    settle(store, &card, "written-a").await;
    assert_eq!(
        store
            .link(&card)
            .await
            .unwrap()
            .unwrap()
            .last_hash
            .as_deref(),
        Some("written-a")
    );

    // Its owner links it again, to another record: the hash is forgotten.
    link(store, &card, &b, &user(1)).await.unwrap();
    let relinked = store.link(&card).await.unwrap().unwrap();
    // The link and its record in one read, as the detail view opens them.
    let b_row = store.record(&b).await.unwrap().unwrap();
    assert_eq!(
        store.link_with_record(&card).await.unwrap(),
        Some((relinked.clone(), Some(b_row)))
    );
    assert_eq!(relinked.record_id.as_deref(), Some(b.as_str()));
    assert_eq!(relinked.last_hash, None);
    assert_eq!(pending(store, &card).await, 1);

    // Someone else may not take it over; nothing changes.
    match link(store, &card, &a, &user(2)).await {
        Err(StoreError::LinkedByOther { owner }) => assert_eq!(owner, user(1)),
        other => panic!("linked by another user: {other:?}"),
    }
    assert_eq!(store.link(&card).await.unwrap().unwrap(), relinked);
    assert_eq!(pending(store, &card).await, 1);

    // Disconnected, the card stays on its board, and anyone may link it.
    store
        .unlink_card(&card, Unlink::Disconnect, origin::MIRO)
        .await
        .unwrap();
    let disconnected = store.link(&card).await.unwrap().unwrap();
    assert_eq!(disconnected.record_id, None);
    assert_eq!(disconnected.status, CardStatus::Disconnected);
    assert_eq!(
        store.link_with_record(&card).await.unwrap(),
        Some((disconnected.clone(), None)),
        "a disconnected card has no record to read with it"
    );
    assert_eq!(pending(store, &card).await, 2, "the card is rewritten");
    link(store, &card, &a, &user(2)).await.unwrap();
    assert_eq!(store.link(&card).await.unwrap().unwrap().owner, user(2));

    assert!(matches!(
        link(
            store,
            &CardKey::new("board-1", "101"),
            "rec_missing",
            &user(1)
        )
        .await,
        Err(StoreError::NoRecord(_))
    ));
    assert_eq!(
        store.link(&CardKey::new("board-1", "101")).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .link_with_record(&CardKey::new("board-1", "101"))
            .await
            .unwrap(),
        None
    );

    // A card linked to a record whose source is deleted starts disabled.
    let gone = create(store, &fields("Gone")).await.snapshot.id;
    store
        .set_source_deleted(&gone, true, origin::RECONCILE)
        .await
        .unwrap();
    let other = CardKey::new("board-1", "099");
    link(store, &other, &gone, &user(1)).await.unwrap();
    assert_eq!(
        store.link(&other).await.unwrap().unwrap().status,
        CardStatus::Disabled
    );

    let for_a: Vec<CardKey> = (store.links_for_record(&a).await.unwrap())
        .into_iter()
        .map(|l| l.card)
        .collect();
    assert_eq!(for_a, vec![card.clone()]);
    let on_board: Vec<String> = (store.links_on_board("board-1").await.unwrap())
        .into_iter()
        .map(|l| l.card.item_id)
        .collect();
    assert_eq!(on_board, vec!["099", "100"], "by item id");
    assert!(store.links_on_board("board-2").await.unwrap().is_empty());

    // Gone from the board: forgotten, and its queued writes dropped.
    store
        .unlink_card(&card, Unlink::Gone, origin::RECONCILE)
        .await
        .unwrap();
    assert_eq!(store.link(&card).await.unwrap(), None);
    assert_eq!(pending(store, &card).await, 0);
    assert!(store.links_for_record(&a).await.unwrap().is_empty());
    let newest = &store.recent_log(1).await.unwrap()[0];
    assert_eq!(newest.action, "unlink: card deleted on the board");
    assert_eq!(newest.record_id.as_deref(), Some(a.as_str()));
    assert_eq!(newest.item_id.as_deref(), Some("100"));
}

async fn cards_the_app_wrote_are_linked_without_a_write(db: &TestDb) {
    let store = &db.store;
    let a = create(store, &fields("A")).await.snapshot.id;
    let owner = user(1);
    let (one, two) = (CardKey::new("b", "1"), CardKey::new("b", "2"));
    let links = [
        (
            NewLink {
                card: &one,
                record_id: &a,
                owner: &owner,
                origin: origin::PANEL,
                actor: "tester",
            },
            "hash-1".to_owned(),
        ),
        (
            NewLink {
                card: &two,
                record_id: &a,
                owner: &owner,
                origin: origin::PANEL,
                actor: "tester",
            },
            "hash-2".to_owned(),
        ),
    ];
    store.link_written_cards(&links).await.unwrap();
    for (card, hash) in [(&one, "hash-1"), (&two, "hash-2")] {
        let link = store.link(card).await.unwrap().unwrap();
        assert_eq!(link.last_hash.as_deref(), Some(hash));
        assert_eq!(link.status, CardStatus::Connected);
        assert_eq!(link.owner, owner);
    }
    assert_eq!(store.pending_count().await.unwrap(), 0, "nothing to write");

    // All or nothing: a card linked already fails the whole batch.
    let three = CardKey::new("b", "3");
    let batch = [
        (
            NewLink {
                card: &three,
                record_id: &a,
                owner: &owner,
                origin: origin::PANEL,
                actor: "tester",
            },
            "hash-3".to_owned(),
        ),
        (
            NewLink {
                card: &one,
                record_id: &a,
                owner: &owner,
                origin: origin::PANEL,
                actor: "tester",
            },
            "hash-1".to_owned(),
        ),
    ];
    assert!(store.link_written_cards(&batch).await.is_err());
    assert_eq!(store.link(&three).await.unwrap(), None);

    let created_for = CardKey::new("b", "4");
    let note = fields("From a sticky note");
    let record = store
        .create_linked_record(
            NewRecord {
                connector: "builtin",
                external_id: None,
                fields: &note,
                origin: origin::PANEL,
                actor: "tester",
                scope: SCOPE,
            },
            &created_for,
            &owner,
            "hash-4",
        )
        .await
        .unwrap();
    assert_eq!(
        (record.snapshot.version, &record.snapshot.fields),
        (1, &note)
    );
    let link = store.link(&created_for).await.unwrap().unwrap();
    assert_eq!(link.record_id.as_deref(), Some(record.snapshot.id.as_str()));
    assert_eq!(link.last_hash.as_deref(), Some("hash-4"));
    assert_eq!(store.pending_count().await.unwrap(), 0);

    // Both or neither: a card linked already leaves no record behind.
    let orphan = fields("Never stored");
    assert!(store
        .create_linked_record(
            NewRecord {
                connector: "test",
                external_id: Some("orphan"),
                fields: &orphan,
                origin: origin::PANEL,
                actor: "tester",
                scope: SCOPE,
            },
            &created_for,
            &owner,
            "hash-5",
        )
        .await
        .is_err());
    assert_eq!(
        store.record_by_external("test", "orphan").await.unwrap(),
        None
    );
}

// --- the outbox ------------------------------------------------------------

async fn the_outbox_queues_retries_and_finishes_writes(db: &TestDb) {
    let store = &db.store;
    let id = create(store, &fields("Queued")).await.snapshot.id;
    let (first, second) = (CardKey::new("b", "first"), CardKey::new("b", "second"));
    link(store, &first, &id, &user(1)).await.unwrap();
    link(store, &second, &id, &user(1)).await.unwrap();
    assert_eq!(store.pending_count().await.unwrap(), 2);
    let soon = now() + 1;
    assert_eq!(
        store.due_cards(soon, 10).await.unwrap(),
        vec![first.clone(), second.clone()],
        "oldest first"
    );
    assert_eq!(store.due_cards(soon, 1).await.unwrap(), vec![first.clone()]);
    assert!(store.due_cards(now() - 60, 10).await.unwrap().is_empty());

    settle(store, &first, "shown").await;
    assert_eq!(pending(store, &first).await, 0);
    assert_eq!(
        store
            .link(&first)
            .await
            .unwrap()
            .unwrap()
            .last_hash
            .as_deref(),
        Some("shown")
    );
    assert_eq!(
        store.due_cards(soon, 10).await.unwrap(),
        vec![second.clone()]
    );

    // A checked rewrite keeps what was written and asks its writer to
    // read the card first (the board may differ from it).
    let shown_before = store.link(&first).await.unwrap().unwrap().last_hash;
    store
        .enqueue_write(&first, origin::RECONCILE)
        .await
        .unwrap();
    assert_eq!(
        store.link(&first).await.unwrap().unwrap().last_hash,
        shown_before
    );
    let writes = store.pending_writes(&first).await.unwrap();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        (
            writes[0].card.clone(),
            writes[0].origin.as_str(),
            writes[0].attempts,
            writes[0].in_flight
        ),
        (first.clone(), origin::RECONCILE, 0, true)
    );
    let earlier = writes[0].id;

    // Being sent, then failed: counted and put off, and still marked in
    // flight (whether the PATCH landed is unknown) until it is finished.
    store.mark_in_flight(&first, earlier).await.unwrap();
    assert!(store.pending_writes(&first).await.unwrap()[0].in_flight);
    store
        .retry_writes(&first, earlier, now() + 3600, "Miro said 503")
        .await
        .unwrap();
    let retried = &store.pending_writes(&first).await.unwrap()[0];
    assert_eq!((retried.attempts, retried.in_flight), (1, true));
    assert_eq!(
        store.due_cards(soon, 10).await.unwrap(),
        vec![second.clone()]
    );

    // A check asked for again while one waits is not queued twice: the
    // waiting one reads the card first anyway.
    store
        .enqueue_write(&first, origin::RECONCILE)
        .await
        .unwrap();
    assert_eq!(
        pending(store, &first).await,
        1,
        "merged into the waiting one"
    );

    // While a writer holds the card, it may have read its rows already:
    // one check more is queued, and no third.
    assert!(store
        .claim_card(&first, "writer", now(), now() + 60)
        .await
        .unwrap());
    store.enqueue_write(&first, origin::MIRO).await.unwrap();
    store.enqueue_write(&first, origin::MIRO).await.unwrap();
    store.release_card(&first, "writer").await.unwrap();
    let writes = store.pending_writes(&first).await.unwrap();
    assert_eq!(writes.len(), 2);
    assert!(writes[0].id < writes[1].id, "oldest first");

    // A write queued after the one sent stays pending when that one is
    // settled.
    let log = LogEntry::card(&first, origin::WORKER, "write", "ok after a retry");
    store
        .finish_writes(&first, earlier, Some("shown again"), &log)
        .await
        .unwrap();
    let left = store.pending_writes(&first).await.unwrap();
    assert_eq!(left.len(), 1);
    // (A checked rewrite: queued to read the card first.)
    assert_eq!((left[0].id, left[0].in_flight), (writes[1].id, true));
    assert_eq!(
        store
            .link(&first)
            .await
            .unwrap()
            .unwrap()
            .last_hash
            .as_deref(),
        Some("shown again")
    );
    assert_eq!(store.recent_log(1).await.unwrap(), vec![log]);

    // Finishing without a write (nothing changed) keeps the hash.
    let last = left[0].id;
    store
        .finish_writes(
            &first,
            last,
            None,
            &LogEntry::card(&first, origin::WORKER, "write", "unchanged"),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .link(&first)
            .await
            .unwrap()
            .unwrap()
            .last_hash
            .as_deref(),
        Some("shown again")
    );
    assert_eq!(store.pending_count().await.unwrap(), 1, "the second card's");
}

// --- tickets and OAuth states ----------------------------------------------

async fn tickets_work_once_and_expire(db: &TestDb) {
    let store = &db.store;
    let grant = TicketGrant {
        user: user(1),
        card: CardKey::new("board=", "3458764600000000001"),
    };
    let at = now();
    store
        .create_ticket("hash-1", &grant, at + 60)
        .await
        .unwrap();
    assert_eq!(
        store.redeem_ticket("hash-1", at).await.unwrap(),
        Some(grant.clone())
    );
    assert_eq!(
        store.redeem_ticket("hash-1", at).await.unwrap(),
        None,
        "once"
    );
    assert_eq!(store.redeem_ticket("hash-unknown", at).await.unwrap(), None);

    // Expired: refused, and gone (it would be good earlier).
    store
        .create_ticket("hash-2", &grant, at + 60)
        .await
        .unwrap();
    assert_eq!(store.redeem_ticket("hash-2", at + 61).await.unwrap(), None);
    assert_eq!(store.redeem_ticket("hash-2", at).await.unwrap(), None);

    // A ticket made expired never works; one made beside it does. (How
    // expired tickets are cleared out is each store's own: on SQLite they
    // are in memory, `store/sql/tickets.rs`.)
    store
        .create_ticket("hash-3", &grant, at - 10)
        .await
        .unwrap();
    store
        .create_ticket("hash-4", &grant, at + 60)
        .await
        .unwrap();
    assert_eq!(store.redeem_ticket("hash-3", at).await.unwrap(), None);
    assert_eq!(
        store.redeem_ticket("hash-4", at).await.unwrap(),
        Some(grant)
    );
}

async fn oauth_states_work_once_and_expire(db: &TestDb) {
    let store = &db.store;
    let at = now();
    store.create_oauth_state("state-1", at + 600).await.unwrap();
    assert!(store.take_oauth_state("state-1", at).await.unwrap());
    assert!(
        !store.take_oauth_state("state-1", at).await.unwrap(),
        "once"
    );
    assert!(!store.take_oauth_state("state-unknown", at).await.unwrap());

    store.create_oauth_state("state-2", at + 600).await.unwrap();
    assert!(!store.take_oauth_state("state-2", at + 601).await.unwrap());
    assert!(
        !store.take_oauth_state("state-2", at).await.unwrap(),
        "gone"
    );

    store.create_oauth_state("state-3", at - 10).await.unwrap();
    store.create_oauth_state("state-4", at + 600).await.unwrap();
    assert!(!store.take_oauth_state("state-3", at - 20).await.unwrap());
    assert!(store.take_oauth_state("state-4", at).await.unwrap());
}

async fn github_deliveries_are_handled_once_until_given_back(db: &TestDb) {
    let store = &db.store;
    let at = now();
    assert!(store.claim_github_delivery("d-1", at).await.unwrap());
    assert!(
        !store.claim_github_delivery("d-1", at).await.unwrap(),
        "a repeat"
    );
    assert!(store.claim_github_delivery("d-2", at).await.unwrap());
    // Handling failed: given back, the redelivery is handled.
    store.release_github_delivery("d-2").await.unwrap();
    assert!(store.claim_github_delivery("d-2", at).await.unwrap());
    // Forgotten once older than the memory: a claim that late is new.
    let later = at + server::store::DELIVERY_MEMORY_SECONDS + 1;
    assert!(store.claim_github_delivery("d-3", later).await.unwrap());
    assert!(store.claim_github_delivery("d-1", later).await.unwrap());
    assert!(!store.claim_github_delivery("d-3", later).await.unwrap());
}

// --- installations ---------------------------------------------------------

async fn tokens_are_sealed_listed_and_forgotten(db: &TestDb) {
    let store = &db.store;
    let (one, two) = (user(1), user(2));
    assert!(store.load_tokens(&one).await.unwrap().is_none());
    let expires = now().max(0) as u64 + 3600;
    let tokens = StoredTokens {
        access_token: Secret::new("access-1"),
        refresh_token: Some(Secret::new("refresh-1")),
        expires_at: Some(expires),
        scopes: "boards:read boards:write".to_owned(),
        issuer: Some("3458764600000000009@https://api.miro.com".to_owned()),
    };
    store.save_tokens(&one, &tokens).await.unwrap();
    let loaded = store.load_tokens(&one).await.unwrap().unwrap();
    assert_eq!(loaded.access_token.expose(), "access-1");
    assert_eq!(loaded.refresh_token.unwrap().expose(), "refresh-1");
    assert_eq!(loaded.expires_at, Some(expires));
    assert_eq!(loaded.scopes, "boards:read boards:write");
    assert_eq!(loaded.issuer, tokens.issuer, "who issued them is kept too");

    let lasting = StoredTokens {
        access_token: Secret::new("access-2"),
        refresh_token: None,
        expires_at: None,
        scopes: "boards:read".to_owned(),
        issuer: None,
    };
    store.save_tokens(&two, &lasting).await.unwrap();
    assert_eq!(
        store.installations().await.unwrap(),
        vec![one.clone(), two.clone()]
    );

    // A refresh replaces the tokens; the installation stays one.
    let refreshed = StoredTokens {
        access_token: Secret::new("access-1b"),
        refresh_token: Some(Secret::new("refresh-1b")),
        expires_at: Some(expires + 60),
        scopes: tokens.scopes.clone(),
        issuer: tokens.issuer.clone(),
    };
    store.save_tokens(&one, &refreshed).await.unwrap();
    let loaded = store.load_tokens(&one).await.unwrap().unwrap();
    assert_eq!(
        (
            loaded.access_token.expose(),
            loaded.refresh_token.unwrap().expose()
        ),
        ("access-1b", "refresh-1b")
    );
    let listed = store.installation_list().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!((&listed[0].key, listed[0].refreshable), (&one, true));
    assert_eq!(listed[0].expires_at, Some(expires as i64 + 60));
    assert!(listed[0].installed_at <= listed[0].updated_at);
    assert_eq!((&listed[1].key, listed[1].refreshable), (&two, false));
    assert_eq!(listed[1].expires_at, None);

    // Sealed: another key opens nothing, though it still lists who.
    let other_key = db.open(SecretKey::generate()).await;
    assert!(matches!(
        other_key.load_tokens(&one).await,
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(other_key.installations().await.unwrap().len(), 2);
    let same_key = db.open(db.key.clone()).await;
    assert!(same_key.load_tokens(&two).await.unwrap().is_some());

    store.forget_tokens(&one).await.unwrap();
    assert!(store.load_tokens(&one).await.unwrap().is_none());
    assert_eq!(store.installations().await.unwrap(), vec![two]);
    store.forget_tokens(&one).await.unwrap();
}

// --- finding records -------------------------------------------------------

async fn find_records_filters_by_text_status_label_and_assignee(db: &TestDb) {
    let store = &db.store;
    let login = RecordFields {
        description: "Users cannot sign in".to_owned(),
        labels: vec!["bug".to_owned(), "web".to_owned()],
        assignee: "ada".to_owned(),
        ..fields("Fix the login page")
    };
    let docs = RecordFields {
        description: "Explain the LOGIN flow".to_owned(),
        status: "doing".to_owned(),
        labels: vec!["docs".to_owned()],
        assignee: "bob".to_owned(),
        ..fields("Write docs")
    };
    let odd = RecordFields {
        description: String::new(),
        labels: vec!["test".to_owned()],
        ..fields("100% coverage_goal")
    };
    let deleted = RecordFields {
        labels: vec!["bug".to_owned()],
        assignee: "ada".to_owned(),
        ..fields("Login, deleted")
    };
    for f in [&login, &docs, &odd] {
        create(store, f).await;
    }
    let gone = create(store, &deleted).await.snapshot.id;
    store
        .set_source_deleted(&gone, true, origin::RECONCILE)
        .await
        .unwrap();

    let all = ["100% coverage_goal", "Fix the login page", "Write docs"];
    assert_eq!(titles_found(store, RecordQuery::default()).await, all);
    // Case-insensitive, in the title or the description, every word.
    assert_eq!(
        titles_found(store, text("login")).await,
        ["Fix the login page", "Write docs"]
    );
    assert_eq!(
        titles_found(store, text("  LOGIN   sign ")).await,
        ["Fix the login page"]
    );
    assert!(titles_found(store, text("login nowhere")).await.is_empty());
    // `%`, `_` and `\` are plain characters.
    assert_eq!(titles_found(store, text("%")).await, ["100% coverage_goal"]);
    assert_eq!(titles_found(store, text("_")).await, ["100% coverage_goal"]);
    assert!(titles_found(store, text("\\")).await.is_empty());

    let status = RecordQuery {
        status: "doing".to_owned(),
        ..RecordQuery::default()
    };
    assert_eq!(titles_found(store, status).await, ["Write docs"]);
    let label = RecordQuery {
        label: "bug".to_owned(),
        ..RecordQuery::default()
    };
    assert_eq!(titles_found(store, label).await, ["Fix the login page"]);
    let part_of_a_label = RecordQuery {
        label: "bu".to_owned(),
        ..RecordQuery::default()
    };
    assert!(titles_found(store, part_of_a_label).await.is_empty());
    let assignee = RecordQuery {
        assignee: "ada".to_owned(),
        ..RecordQuery::default()
    };
    assert_eq!(titles_found(store, assignee).await, ["Fix the login page"]);
    let together = RecordQuery {
        text: "login".to_owned(),
        status: "todo".to_owned(),
        label: "web".to_owned(),
        assignee: "ada".to_owned(),
    };
    assert_eq!(titles_found(store, together).await, ["Fix the login page"]);
    let nobody = RecordQuery {
        text: "login".to_owned(),
        assignee: "bob".to_owned(),
        status: "todo".to_owned(),
        ..RecordQuery::default()
    };
    assert!(titles_found(store, nobody).await.is_empty());
}

async fn find_records_pages_to_the_end_without_repeats(db: &TestDb) {
    let store = &db.store;
    let mut ids = HashSet::new();
    let mut rows = Vec::new();
    for n in 0..25 {
        let row = create(store, &fields(&format!("Paged {n:02}"))).await;
        ids.insert(row.snapshot.id.clone());
        rows.push(row);
    }
    let query = RecordQuery::default();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut after: Option<String> = None;
    let mut changed = None;
    loop {
        let page = store
            .find_records(&scopes(), &query, after.as_deref(), 7)
            .await
            .unwrap();
        assert_eq!(page.total, 25);
        sizes.push(page.records.len());
        seen.extend(page.records.iter().map(|r| r.snapshot.id.clone()));
        if seen.len() == 7 {
            // A record not seen yet changes while the user pages: it is
            // the newest now (a second later: times are in seconds), ahead
            // of the cursor, so it is not shown twice.
            let later = rows
                .iter()
                .find(|r| !seen.contains(&r.snapshot.id))
                .unwrap();
            changed = Some(later.snapshot.id.clone());
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            save(store, &later.snapshot.id, 1, &fields("Paged, changed"))
                .await
                .unwrap();
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(
        sizes,
        [7, 7, 7, 3],
        "the changed record moved behind the cursor"
    );
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no record twice: {seen:?}");
    let changed = changed.unwrap();
    assert!(!unique.contains(&changed));
    ids.remove(&changed);
    assert_eq!(unique, ids, "every other record once");

    // Newest change first: a fresh search starts with the changed record.
    let first = store
        .find_records(&scopes(), &query, None, 25)
        .await
        .unwrap();
    assert_eq!(first.records[0].snapshot.id, changed);
    assert_eq!(first.records.len(), 25);
    assert_eq!(first.next, None, "exactly a page: no next");

    // An unreadable cursor starts from the beginning.
    let restart = store
        .find_records(&scopes(), &query, Some("not-a-cursor"), 7)
        .await
        .unwrap();
    let again = store
        .find_records(&scopes(), &query, None, 7)
        .await
        .unwrap();
    assert_eq!(restart, again);
}

async fn facets_are_the_labels_and_assignees_sorted(db: &TestDb) {
    let store = &db.store;
    let records = [
        (vec!["bug", "alpha"], "ada"),
        (vec!["Zed", "bug", ""], "Bob"),
        (vec![], ""),
        (vec!["alpha"], "ada"),
    ];
    for (n, (labels, assignee)) in records.iter().enumerate() {
        let f = RecordFields {
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            assignee: (*assignee).to_owned(),
            ..fields(&format!("Faceted {n}"))
        };
        create(store, &f).await;
    }
    let gone = RecordFields {
        labels: vec!["gone".to_owned()],
        assignee: "ghost".to_owned(),
        ..fields("Deleted")
    };
    let gone = create(store, &gone).await.snapshot.id;
    store
        .set_source_deleted(&gone, true, origin::RECONCILE)
        .await
        .unwrap();

    let (labels, assignees) = store.record_facets(&scopes()).await.unwrap();
    // Distinct, no empty value, none from a deleted source, and sorted by
    // code point (upper case first) on both backends.
    assert_eq!(labels, ["Zed", "alpha", "bug"]);
    assert_eq!(assignees, ["Bob", "ada"]);
}

async fn search_records_matches_titles(db: &TestDb) {
    let store = &db.store;
    for title in ["Fix the login page", "LOGIN again", "Unrelated", "50% done"] {
        create(store, &fields(title)).await;
    }
    let titles = |rows: Vec<RecordRow>| -> Vec<String> {
        let mut titles: Vec<String> = rows.into_iter().map(|r| r.snapshot.fields.title).collect();
        titles.sort();
        titles
    };
    assert_eq!(
        titles(store.search_records("Login", 10).await.unwrap()),
        ["Fix the login page", "LOGIN again"]
    );
    assert_eq!(store.search_records("login", 1).await.unwrap().len(), 1);
    assert_eq!(
        titles(store.search_records("%", 10).await.unwrap()),
        ["50% done"]
    );
    // Titles only: every description says "About …".
    assert!(store.search_records("About", 10).await.unwrap().is_empty());
}

async fn records_are_found_only_within_their_scopes(db: &TestDb) {
    let store = &db.store;
    let made = |title: &'static str, label: &'static str, scope: &'static str| async move {
        let fields = RecordFields {
            labels: vec![label.to_owned()],
            assignee: format!("{label}-person"),
            ..fields(title)
        };
        store
            .create_record(NewRecord {
                connector: "builtin",
                external_id: None,
                fields: &fields,
                origin: origin::PANEL,
                actor: "tester",
                scope,
            })
            .await
            .unwrap()
    };
    let ours = made("Scoped ours", "mine", "team:team-1").await;
    let theirs = made("Scoped theirs", "yours", "team:team-2").await;
    let shared = made("Scoped shared", "shared", "github:octo/one").await;
    assert_eq!(ours.scope, "team:team-1", "a record carries its scope");

    let found = |scopes: &[&str]| {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        async move {
            let page = store
                .find_records(&scopes, &text("Scoped"), None, 50)
                .await
                .unwrap();
            let mut titles: Vec<String> = page
                .records
                .iter()
                .map(|r| r.snapshot.fields.title.clone())
                .collect();
            titles.sort();
            (titles, page.total)
        }
    };
    assert_eq!(
        found(&["team:team-1"]).await,
        (vec!["Scoped ours".to_owned()], 1)
    );
    assert_eq!(
        found(&["team:team-1", "github:octo/one"]).await,
        (
            vec!["Scoped ours".to_owned(), "Scoped shared".to_owned()],
            2
        )
    );
    assert_eq!(found(&[]).await, (vec![], 0), "no scope, nothing found");

    let one = vec!["team:team-1".to_owned(), "github:octo/one".to_owned()];
    let (labels, assignees) = store.record_facets(&one).await.unwrap();
    assert_eq!(labels, ["mine", "shared"]);
    assert_eq!(assignees, ["mine-person", "shared-person"]);
    let (labels, _) = store.record_facets(&[]).await.unwrap();
    assert!(labels.is_empty());

    // Cards of the shared record on both teams' boards: each team is told
    // only of its own boards.
    let other = TokenKey {
        user_id: "user-9".to_owned(),
        team_id: "team-2".to_owned(),
    };
    link(
        store,
        &CardKey::new("board-a", "1"),
        &shared.snapshot.id,
        &user(1),
    )
    .await
    .unwrap();
    link(
        store,
        &CardKey::new("board-b", "2"),
        &shared.snapshot.id,
        &other,
    )
    .await
    .unwrap();
    let ids = [shared.snapshot.id.clone(), theirs.snapshot.id.clone()];
    let boards = store.boards_of_records(&ids, "team-1").await.unwrap();
    assert_eq!(boards[&shared.snapshot.id], ["board-a"]);
    let boards = store.boards_of_records(&ids, "team-2").await.unwrap();
    assert_eq!(boards[&shared.snapshot.id], ["board-b"]);
    // A card's link and its record, read together, carry the scope too.
    let (_, record) = store
        .link_with_record(&CardKey::new("board-b", "2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.unwrap().scope, "github:octo/one");
}

async fn boards_are_listed_per_record_and_per_installation(db: &TestDb) {
    let store = &db.store;
    let a = create(store, &fields("A")).await.snapshot.id;
    let b = create(store, &fields("B")).await.snapshot.id;
    let c = create(store, &fields("C")).await.snapshot.id;
    link(store, &CardKey::new("board-2", "7"), &a, &user(2))
        .await
        .unwrap();
    link(store, &CardKey::new("board-1", "2"), &a, &user(2))
        .await
        .unwrap();
    link(store, &CardKey::new("board-1", "1"), &a, &user(1))
        .await
        .unwrap();
    link(store, &CardKey::new("board-2", "8"), &b, &user(1))
        .await
        .unwrap();

    let boards = store
        .boards_of_records(&[a.clone(), b.clone(), c.clone()], "team-1")
        .await
        .unwrap();
    assert_eq!(boards.len(), 2, "{boards:?}");
    assert_eq!(
        boards[&a],
        ["board-1", "board-2"],
        "each board once, sorted"
    );
    assert_eq!(boards[&b], ["board-2"]);
    assert!(!boards.contains_key(&c));
    assert!(store
        .boards_of_records(&[], "team-1")
        .await
        .unwrap()
        .is_empty());

    // Per board, the installation that linked its first card (by item id).
    assert_eq!(
        store.linked_boards().await.unwrap(),
        vec![
            ("board-1".to_owned(), user(1)),
            ("board-2".to_owned(), user(2))
        ]
    );
}

async fn card_states_retry_and_rewrite_a_board(db: &TestDb) {
    let store = &db.store;
    let a = create(store, &fields("Alpha")).await.snapshot.id;
    let b = create(store, &fields("Beta")).await.snapshot.id;
    let cards = [
        CardKey::new("board", "i1"),
        CardKey::new("board", "i2"),
        CardKey::new("board", "i3"),
    ];
    link(store, &cards[0], &a, &user(1)).await.unwrap();
    link(store, &cards[1], &b, &user(1)).await.unwrap();
    link(store, &cards[2], &b, &user(1)).await.unwrap();
    link(store, &CardKey::new("elsewhere", "x"), &a, &user(1))
        .await
        .unwrap();
    settle(store, &cards[1], "h").await;
    settle(store, &cards[2], "h").await;
    store
        .unlink_card(&cards[2], Unlink::Disconnect, origin::MIRO)
        .await
        .unwrap();
    settle(store, &cards[2], "blank").await;
    let first = store.pending_writes(&cards[0]).await.unwrap()[0].id;
    store
        .retry_writes(&cards[0], first, now() + 3600, "Miro said 500")
        .await
        .unwrap();
    store
        .retry_writes(&cards[0], first, now() + 3600, "Miro said 503")
        .await
        .unwrap();

    let states = store.card_states("board").await.unwrap();
    assert_eq!(states.len(), 3);
    assert_eq!(
        states.iter().map(|s| s.card.clone()).collect::<Vec<_>>(),
        cards.to_vec()
    );
    assert_eq!(
        (states[0].title.as_str(), states[0].record_id.as_deref()),
        ("Alpha", Some(a.as_str()))
    );
    assert_eq!(
        (
            states[0].pending,
            states[0].attempts,
            states[0].last_error.as_deref()
        ),
        (1, 2, Some("Miro said 503"))
    );
    assert_eq!(states[0].status, CardStatus::Connected);
    assert_eq!(
        (
            states[1].title.as_str(),
            states[1].pending,
            states[1].attempts
        ),
        ("Beta", 0, 0)
    );
    assert_eq!(states[1].last_error, None);
    assert_eq!(
        (states[2].title.as_str(), states[2].record_id.as_deref()),
        ("", None)
    );
    assert_eq!(states[2].status, CardStatus::Disconnected);
    assert!(store.card_states("no-such-board").await.unwrap().is_empty());

    // Failed writes are due now; writes not tried yet are left alone.
    assert_eq!(
        store.due_cards(now() + 1, 10).await.unwrap(),
        vec![CardKey::new("elsewhere", "x")]
    );
    let at_once = Pacing::at_once(now());
    assert_eq!(store.retry_board_now("board", at_once).await.unwrap(), 1);
    assert_eq!(
        store.retry_board_now("elsewhere", at_once).await.unwrap(),
        0
    );
    // Due already: a second retry changes nothing, and counts nothing.
    assert_eq!(store.retry_board_now("board", at_once).await.unwrap(), 0);
    assert!(store
        .due_cards(now() + 1, 10)
        .await
        .unwrap()
        .contains(&cards[0]));

    // A re-sync queues a checked rewrite of every linked card on the board
    // (not the disconnected one): each is read, and written if it differs.
    assert_eq!(
        store
            .rewrite_board("board", origin::PANEL, at_once)
            .await
            .unwrap(),
        2
    );
    assert_eq!(pending(store, &cards[0]).await, 2);
    assert_eq!(pending(store, &cards[1]).await, 1);
    assert_eq!(pending(store, &cards[2]).await, 0);
    assert!(store.pending_writes(&cards[1]).await.unwrap()[0].in_flight);
    assert_eq!(
        store
            .link(&cards[2])
            .await
            .unwrap()
            .unwrap()
            .last_hash
            .as_deref(),
        Some("blank")
    );
    let newest = &store.recent_log(1).await.unwrap()[0];
    assert_eq!(
        (
            newest.board_id.as_deref(),
            newest.action.as_str(),
            newest.result.as_str()
        ),
        (Some("board"), "re-sync", "2 cards")
    );
    assert_eq!(
        store
            .rewrite_board("no-such-board", origin::PANEL, at_once)
            .await
            .unwrap(),
        0
    );
    // Asked again, every linked card has its check waiting: nothing more
    // is queued, nor logged.
    assert_eq!(
        store
            .rewrite_board("board", origin::PANEL, at_once)
            .await
            .unwrap(),
        0
    );
    assert_eq!(pending(store, &cards[0]).await, 2);
    assert_eq!(pending(store, &cards[1]).await, 1);
    assert_eq!(store.recent_log(1).await.unwrap()[0], *newest);
}

async fn a_resync_asked_again_and_again_queues_one_check_per_card_paced(db: &TestDb) {
    let store = &db.store;
    let id = create(store, &fields("Paced")).await.snapshot.id;
    let cards: Vec<CardKey> = (1..=5)
        .map(|n| CardKey::new("big", format!("item-{n}")))
        .collect();
    for card in &cards {
        link(store, card, &id, &user(1)).await.unwrap();
        settle(store, card, "h").await;
    }
    // Two cards due now, then one every 1.5 s.
    let at = now() + 100;
    let pacing = Pacing {
        now: at,
        due_now: 2,
        spacing_ms: 1_500,
    };
    assert_eq!(
        store
            .rewrite_board("big", origin::PANEL, pacing)
            .await
            .unwrap(),
        5
    );
    let due = |t: i64| async move { store.due_cards(t, 100).await.unwrap() };
    assert_eq!(due(at).await, cards[..2]);
    assert_eq!(due(at + 1).await, cards[..3], "1.5 s on, in whole seconds");
    assert_eq!(due(at + 2).await, cards[..3]);
    assert_eq!(due(at + 3).await, cards[..4]);
    assert_eq!(due(at + 4).await, cards[..5]);
    let due_at: Vec<i64> = (1..=5).map(|n| pacing.due_at(n)).collect();
    assert_eq!(due_at, [at, at, at + 1, at + 3, at + 4]);
    for card in &cards {
        let writes = store.pending_writes(card).await.unwrap();
        assert_eq!(writes.len(), 1, "{card:?}");
        assert!(writes[0].in_flight, "read before it is written");
    }
    // However often it is asked, and by reconciliation too, no card gets
    // a second check.
    for _ in 0..10 {
        assert_eq!(
            store
                .rewrite_board("big", origin::PANEL, Pacing::at_once(now()))
                .await
                .unwrap(),
            0
        );
        store
            .enqueue_write(&cards[0], origin::RECONCILE)
            .await
            .unwrap();
    }
    for card in &cards {
        assert_eq!(pending(store, card).await, 1, "{card:?}");
    }
    // A card whose check was done gets one again.
    settle(store, &cards[4], "h").await;
    assert_eq!(
        store
            .rewrite_board("big", origin::PANEL, Pacing::at_once(now()))
            .await
            .unwrap(),
        1
    );
    settle(store, &cards[4], "h").await;

    // Failed writes retried are paced the same way, and never put off.
    for card in &cards[..3] {
        let write = store.pending_writes(card).await.unwrap()[0].id;
        store
            .retry_writes(card, write, at + 3_600, "Miro said 503")
            .await
            .unwrap();
    }
    let write = store.pending_writes(&cards[2]).await.unwrap()[0].id;
    store
        .retry_writes(&cards[2], write, at + 1, "Miro said 429")
        .await
        .unwrap();
    let pacing = Pacing {
        now: at,
        due_now: 1,
        spacing_ms: 10_000,
    };
    assert_eq!(store.retry_board_now("big", pacing).await.unwrap(), 3);
    assert_eq!(due(at).await, cards[..1]);
    let (first, third, fourth) = (cards[0].clone(), cards[2].clone(), cards[3].clone());
    assert_eq!(
        due(at + 1).await,
        [first.clone(), third.clone()],
        "due sooner"
    );
    assert_eq!(due(at + 9).await, [first, third, fourth]);
    assert_eq!(due(at + 10).await, cards[..4]);
}

async fn settled_writes_are_deleted_and_dropped_ones_pruned_in_batches(db: &TestDb) {
    let store = &db.store;
    let id = create(store, &fields("Pruned")).await.snapshot.id;
    let cards: Vec<CardKey> = (1..=3).map(|n| CardKey::new("b", format!("{n}"))).collect();
    for card in &cards {
        link(store, card, &id, &user(1)).await.unwrap();
    }
    assert_eq!(outbox_rows(db).await, 3);
    // Written: the rows go, what was written stays on the link.
    settle(store, &cards[0], "written").await;
    assert_eq!(outbox_rows(db).await, 2);
    assert_eq!(
        store
            .link(&cards[0])
            .await
            .unwrap()
            .unwrap()
            .last_hash
            .as_deref(),
        Some("written")
    );
    assert_eq!(store.prune_settled_writes(100).await.unwrap(), 0);
    // Gone from the board: its writes are dropped, and pruned later, a
    // bounded batch at a time.
    for card in &cards[1..] {
        store
            .unlink_card(card, Unlink::Gone, origin::RECONCILE)
            .await
            .unwrap();
    }
    assert_eq!(store.pending_count().await.unwrap(), 0);
    assert_eq!(store.prune_settled_writes(1).await.unwrap(), 1);
    assert_eq!(store.prune_settled_writes(100).await.unwrap(), 1);
    assert_eq!(store.prune_settled_writes(100).await.unwrap(), 0);
    assert_eq!(outbox_rows(db).await, 0);
}

/// Every row in the outbox table, settled or not, read past the store.
async fn outbox_rows(db: &TestDb) -> i64 {
    let query = "select count(*) from outbox";
    match &db.backend {
        Backend::Sqlite { url, .. } => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query_scalar(query).fetch_one(&pool).await.unwrap()
        }
        Backend::Postgres(database) => {
            let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
            sqlx::query_scalar(query).fetch_one(&pool).await.unwrap()
        }
    }
}

async fn the_sync_log_lists_newest_first(db: &TestDb) {
    let store = &db.store;
    let entries = [
        LogEntry::record("rec_1", origin::MIRO, "ada", "save", "version 2"),
        LogEntry::board("board", origin::RECONCILE, "reconcile", "3 cards"),
        LogEntry::card(&CardKey::new("board", "1"), origin::WORKER, "write", "ok"),
    ];
    for entry in &entries {
        store.append_log(entry).await.unwrap();
    }
    assert_eq!(
        store.recent_log(2).await.unwrap(),
        vec![entries[2].clone(), entries[1].clone()]
    );
    assert_eq!(store.recent_log(10).await.unwrap().len(), 3);
    assert!(store.recent_log(0).await.unwrap().is_empty());
}

async fn the_sync_log_counts_what_arrived_and_was_not_all_taken(db: &TestDb) {
    let store = &db.store;
    let at = |entry: LogEntry, at: i64| LogEntry { at, ..entry };
    let now = now();
    let on_board = |board: &str, action: &str, result: &str| LogEntry {
        board_id: Some(board.to_owned()),
        ..LogEntry::record("rec_1", origin::MIRO, "ada", action, result)
    };
    let entries = [
        at(
            LogEntry::record("rec_1", "github", "github", arrival::DROPPED, "old"),
            now - 7200,
        ),
        LogEntry::record("rec_1", "github", "github", arrival::DROPPED, "first"),
        LogEntry::record("rec_2", "github", "github", arrival::REFUSED, "second"),
        LogEntry::record("rec_2", "github", "github", "source change", "echo skipped"),
        on_board("b1", arrival::DROPPED, "on b1"),
        on_board("b2", arrival::DROPPED, "on b2"),
    ];
    for entry in &entries {
        store.append_log(entry).await.unwrap();
    }
    let github = store
        .arrival_checks("github", None, now - 3600)
        .await
        .unwrap();
    assert_eq!((github.dropped, github.refused), (1, 1));
    assert_eq!(github.latest.as_deref(), Some("second"));
    let all = store.arrival_checks("github", None, 0).await.unwrap();
    assert_eq!(all.dropped, 2);
    let b1 = store
        .arrival_checks(origin::MIRO, Some("b1"), now - 3600)
        .await
        .unwrap();
    assert_eq!(
        (b1.dropped, b1.refused, b1.latest.as_deref()),
        (1, 0, Some("on b1"))
    );
    let none = store
        .arrival_checks(origin::MIRO, Some("b3"), 0)
        .await
        .unwrap();
    assert_eq!(none, Default::default());
}

async fn a_push_claims_its_card_and_reads_its_writes_and_link(db: &TestDb) {
    let store = &db.store;
    let id = create(store, &fields("Pushed")).await.snapshot.id;
    let card = CardKey::new("board", "1");
    link(store, &card, &id, &user(1)).await.unwrap();
    save(store, &id, 1, &fields("Pushed, changed"))
        .await
        .unwrap();
    let at = now();
    let found = store
        .claim_card_to_push(&card, "a", at, at + 30)
        .await
        .unwrap()
        .expect("a free card is claimed");
    assert_eq!(found.pending.len(), 2, "the link's write and the save's");
    assert_eq!(found.pending, store.pending_writes(&card).await.unwrap());
    let (link, record) = found.link.expect("the card is linked");
    assert_eq!(
        (link.card, link.record_id.as_deref()),
        (card.clone(), Some(id.as_str()))
    );
    let record = record.expect("with its record");
    assert_eq!(
        (record.snapshot.version, record.snapshot.fields),
        (2, fields("Pushed, changed"))
    );

    // Held by another: refused, whatever is queued.
    assert!(store
        .claim_card_to_push(&card, "b", at, at + 30)
        .await
        .unwrap()
        .is_none());
    // A card with nothing queued and no link is claimed, with nothing.
    let bare = store
        .claim_card_to_push(&CardKey::new("board", "2"), "b", at, at + 30)
        .await
        .unwrap()
        .expect("claimed");
    assert!(bare.pending.is_empty() && bare.link.is_none());
    // Given up, the card is the next holder's.
    store.release_card(&card, "a").await.unwrap();
    let next = store
        .claim_card_to_push(&card, "b", at, at + 30)
        .await
        .unwrap()
        .expect("released");
    assert_eq!(next.pending.len(), 2);
}

async fn leases_are_held_by_one_holder_until_they_end(db: &TestDb) {
    let store = &db.store;
    let card = CardKey::new("board", "1");
    let at = now();
    assert!(store.claim_card(&card, "a", at, at + 30).await.unwrap());
    assert!(!store.claim_card(&card, "b", at, at + 30).await.unwrap());
    assert!(
        store.claim_card(&card, "a", at + 1, at + 31).await.unwrap(),
        "renewed"
    );
    assert!(
        store
            .claim_card(&CardKey::new("board", "2"), "b", at, at + 30)
            .await
            .unwrap(),
        "another card's lease is another lease"
    );
    // Past its end, the lease is taken over (its holder died).
    assert!(store
        .claim_card(&card, "b", at + 32, at + 62)
        .await
        .unwrap());
    store.release_card(&card, "a").await.unwrap();
    assert!(
        !store
            .claim_card(&card, "a", at + 33, at + 63)
            .await
            .unwrap(),
        "not a's to give up"
    );
    store.release_card(&card, "b").await.unwrap();
    assert!(store
        .claim_card(&card, "a", at + 33, at + 63)
        .await
        .unwrap());

    let key = user(1);
    assert!(store.claim_refresh(&key, "a", at, at + 30).await.unwrap());
    assert!(!store.claim_refresh(&key, "b", at, at + 30).await.unwrap());
    assert!(store
        .claim_refresh(&user(2), "b", at, at + 30)
        .await
        .unwrap());
    store.release_refresh(&key, "a").await.unwrap();
    assert!(store.claim_refresh(&key, "b", at, at + 30).await.unwrap());
}

// --- several instances on one PostgreSQL database --------------------------

mod postgres_instances {
    use super::*;

    /// Two stores on one fresh database, as two server instances.
    async fn two_instances(test: &str) -> Option<(TestDb, Arc<SqlStore>)> {
        let db = TestDb::postgres(test).await?;
        let other = db.open(db.key.clone()).await;
        Some((db, other))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn saving_one_record_at_once_gives_one_success_and_one_conflict() {
        let test = "store_suite::postgres_instances::saving_one_record_at_once_gives_one_success_and_one_conflict";
        let Some((db, other)) = two_instances(test).await else {
            return;
        };
        for round in 0..20 {
            let id = create(&db.store, &fields(&format!("Raced {round}")))
                .await
                .snapshot
                .id;
            link(&db.store, &CardKey::new("board", &id), &id, &user(1))
                .await
                .unwrap();
            settle(&db.store, &CardKey::new("board", &id), "h").await;
            let saves =
                [("first", db.store.clone()), ("second", other.clone())].map(|(who, store)| {
                    let id = id.clone();
                    tokio::spawn(async move {
                        let mine = fields(&format!("Saved by the {who}"));
                        (who, save(&store, &id, 1, &mine).await)
                    })
                });
            let mut winners = Vec::new();
            let mut conflicts = 0;
            for handle in saves {
                match handle.await.unwrap() {
                    (who, Ok(saved)) => {
                        assert_eq!(saved.record.version, 2);
                        assert_eq!(saved.cards.len(), 1);
                        winners.push(who);
                    }
                    (_, Err(StoreError::Conflict { current })) => {
                        assert_eq!(
                            current.version, 2,
                            "the conflict shows the winner's version"
                        );
                        conflicts += 1;
                    }
                    (_, Err(error)) => panic!("round {round}: {error}"),
                }
            }
            assert_eq!((winners.len(), conflicts), (1, 1), "round {round}");
            let stored = db.store.record(&id).await.unwrap().unwrap();
            assert_eq!(stored.snapshot.version, 2);
            assert_eq!(
                stored.snapshot.fields.title,
                format!("Saved by the {}", winners[0])
            );
            assert_eq!(db.store.record_version(&id, 3).await.unwrap(), None);
            assert_eq!(
                pending(&db.store, &CardKey::new("board", &id)).await,
                1,
                "one write queued, by the one save"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_ticket_redeemed_at_once_works_once() {
        let test = "store_suite::postgres_instances::a_ticket_redeemed_at_once_works_once";
        let Some((db, other)) = two_instances(test).await else {
            return;
        };
        let grant = TicketGrant {
            user: user(1),
            card: CardKey::new("board", "1"),
        };
        for round in 0..20 {
            let hash = format!("hash-{round}");
            db.store
                .create_ticket(&hash, &grant, now() + 60)
                .await
                .unwrap();
            let redeemed = [db.store.clone(), other.clone()].map(|store| {
                let hash = hash.clone();
                tokio::spawn(async move { store.redeem_ticket(&hash, now()).await.unwrap() })
            });
            let mut granted = 0;
            for redeem in redeemed {
                granted += usize::from(redeem.await.unwrap().is_some());
            }
            assert_eq!(granted, 1, "round {round}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_card_claimed_or_linked_at_once_has_one_holder() {
        let test =
            "store_suite::postgres_instances::a_card_claimed_or_linked_at_once_has_one_holder";
        let Some((db, other)) = two_instances(test).await else {
            return;
        };
        let record = create(&db.store, &fields("Contested")).await.snapshot.id;
        for round in 0..20 {
            let card = CardKey::new("board", format!("{round}"));
            let at = now();
            let claims = [("a", db.store.clone()), ("b", other.clone())].map(|(holder, store)| {
                let card = card.clone();
                tokio::spawn(async move { store.claim_card(&card, holder, at, at + 30).await })
            });
            let mut held = 0;
            for claim in claims {
                held += usize::from(claim.await.unwrap().unwrap());
            }
            assert_eq!(held, 1, "round {round}: one lease holder");

            let links = [(1, db.store.clone()), (2, other.clone())].map(|(n, store)| {
                let (card, record) = (card.clone(), record.clone());
                tokio::spawn(async move { link(&store, &card, &record, &user(n)).await })
            });
            let mut linked = 0;
            for result in links {
                match result.await.unwrap() {
                    Ok(()) => linked += 1,
                    Err(StoreError::LinkedByOther { .. }) => {}
                    Err(error) => panic!("round {round}: {error}"),
                }
            }
            assert_eq!(linked, 1, "round {round}: one owner");
            assert_eq!(pending(&db.store, &card).await, 1, "one write queued");
        }
    }

    /// One instance links cards to a record while another deletes the
    /// record's source and restores it: whichever commits last, every card
    /// ends with the status the record's source says.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn cards_linked_while_the_source_is_deleted_follow_it() {
        let test =
            "store_suite::postgres_instances::cards_linked_while_the_source_is_deleted_follow_it";
        let Some((db, other)) = two_instances(test).await else {
            return;
        };
        for round in 0..30 {
            let record = create(&db.store, &fields(&format!("Flipped {round}")))
                .await
                .snapshot
                .id;
            let linking = {
                let (store, record) = (db.store.clone(), record.clone());
                tokio::spawn(async move {
                    for n in 0..6 {
                        let card = CardKey::new(format!("board-{round}"), format!("{n}"));
                        link(&store, &card, &record, &user(1)).await.unwrap();
                    }
                })
            };
            let flipping = {
                let (store, record) = (other.clone(), record.clone());
                tokio::spawn(async move {
                    for deleted in [true, false, true] {
                        store
                            .set_source_deleted(&record, deleted, origin::RECONCILE)
                            .await
                            .unwrap();
                    }
                })
            };
            linking.await.unwrap();
            flipping.await.unwrap();
            let links = db.store.links_for_record(&record).await.unwrap();
            assert_eq!(links.len(), 6);
            for link in links {
                assert_eq!(link.status, CardStatus::Disabled, "round {round}: {link:?}");
            }
        }
    }

    /// Every kind of write, from two instances at once on one board's
    /// cards and records: each either succeeds or is refused as the
    /// contract says (a conflict), never with a database error such as a
    /// deadlock; and afterwards every linked card's status agrees with its
    /// record's source.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn mixed_writes_from_two_instances_never_deadlock() {
        let test =
            "store_suite::postgres_instances::mixed_writes_from_two_instances_never_deadlock";
        let Some((db, other)) = two_instances(test).await else {
            return;
        };
        let mut records = Vec::new();
        for n in 0..3 {
            records.push(
                create(&db.store, &fields(&format!("Mixed {n}")))
                    .await
                    .snapshot
                    .id,
            );
        }
        let records = Arc::new(records);
        let mut tasks = Vec::new();
        for task in 0..8u64 {
            let store = if task % 2 == 0 {
                db.store.clone()
            } else {
                other.clone()
            };
            let records = records.clone();
            tasks.push(tokio::spawn(async move {
                // A small deterministic generator: the same interleaving
                // of kinds of writes on every run, timing aside.
                let mut seed = task
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let mut next = move |n: u64| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) % n
                };
                for step in 0..60 {
                    let card = CardKey::new("board", format!("{}", next(6)));
                    let record = &records[next(3) as usize];
                    let outcome = match next(9) {
                        0 => {
                            let current = store.record(record).await.unwrap().unwrap();
                            let changed = fields(&format!("Task {task} step {step}"));
                            match save(&store, record, current.snapshot.version, &changed).await {
                                Err(StoreError::Conflict { .. }) => Ok(()),
                                other => other.map(drop),
                            }
                        }
                        1 | 2 => link(&store, &card, record, &user(1)).await,
                        3 => {
                            store
                                .unlink_card(&card, Unlink::Disconnect, origin::MIRO)
                                .await
                        }
                        4 => {
                            store
                                .unlink_card(&card, Unlink::Gone, origin::RECONCILE)
                                .await
                        }
                        5 => store
                            .set_source_deleted(record, next(2) == 0, origin::RECONCILE)
                            .await
                            .map(drop),
                        6 => match store
                            .rewrite_board("board", origin::PANEL, Pacing::at_once(now()))
                            .await
                        {
                            Ok(_) => store.prune_settled_writes(10).await.map(drop),
                            Err(error) => Err(error),
                        },
                        7 => store.enqueue_write(&card, origin::RECONCILE).await,
                        _ => match store.pending_writes(&card).await.unwrap().last() {
                            Some(write) if next(2) == 0 => {
                                let log = LogEntry::card(&card, origin::WORKER, "write", "ok");
                                store.finish_writes(&card, write.id, Some("h"), &log).await
                            }
                            Some(write) => store.retry_writes(&card, write.id, now(), "busy").await,
                            None => Ok(()),
                        },
                    };
                    if let Err(error) = outcome {
                        panic!("task {task} step {step}: {error}");
                    }
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        for record in records.iter() {
            let deleted = db
                .store
                .record(record)
                .await
                .unwrap()
                .unwrap()
                .source_deleted;
            let expected = if deleted {
                CardStatus::Disabled
            } else {
                CardStatus::Connected
            };
            for link in db.store.links_for_record(record).await.unwrap() {
                assert_eq!(link.status, expected, "{link:?}");
            }
        }
    }
}

// --- choosing the backend from DATABASE_URL --------------------------------

/// `server installations` opens the store the way the server does
/// (`DATABASE_URL`, `APP_SECRET_KEY`).
async fn installations_cli(database_url: &str, key: Option<&str>) -> (i32, String) {
    let mut args = vec!["--database-url".to_owned(), database_url.to_owned()];
    if let Some(key) = key {
        args.extend(["--secret-key".to_owned(), key.to_owned()]);
    }
    args.push("installations".to_owned());
    let mut out = Vec::new();
    let code = server::cli::run_with(&args, &mut out).await;
    (code, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn an_unsupported_database_url_names_both_schemes_and_hides_its_password() {
    let (code, out) = installations_cli("mysql://app:hunter2@db/app", None).await;
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("sqlite://") && out.contains("postgres://"),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "{out}");
}

#[tokio::test]
async fn a_postgres_store_needs_app_secret_key() {
    // Refused before connecting: nothing listens at this address.
    for url in [
        "postgres://app@127.0.0.1:9/app",
        "postgresql://app@127.0.0.1:9/app",
    ] {
        let (code, out) = installations_cli(url, None).await;
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("APP_SECRET_KEY"), "{out}");
        assert!(out.contains("PostgreSQL"), "{out}");
    }
}

#[tokio::test]
async fn database_url_postgres_opens_and_migrates_a_postgres_store() {
    let Some(server) =
        postgres_server("store_suite::database_url_postgres_opens_and_migrates_a_postgres_store")
    else {
        return;
    };
    let database = PgDatabase::create(&server).await;
    let key = SecretKey::generate().to_base64();
    let (code, out) = installations_cli(&database.url, Some(&key)).await;
    assert_eq!((code, out.trim()), (0, "no installations"));
    // A second start finds the schema up to date.
    let url = format!("{}?max_connections=2", database.url);
    let (code, out) = installations_cli(&url, Some(&key)).await;
    assert_eq!((code, out.trim()), (0, "no installations"));
}
