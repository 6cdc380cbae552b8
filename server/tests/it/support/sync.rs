//! A sync engine on a fresh SQLite file, installed into a sandbox served
//! over HTTP: the engine talks to the sandbox exactly as it talks to Miro.

use std::{sync::Arc, time::Duration};

use app::cards::{template::DEFAULT_TEMPLATE_TOML, CardTemplate, RecordFields};
use server::{
    miro::{Access, AppCard, AppCardWrite, MiroClient, OAuthClient, RetryPolicy, Secret, TokenKey},
    store::{CardKey, NewRecord, RecordRow, SecretKey, SqlStore, Store},
    sync::{SyncEngine, SyncSettings},
};

use super::sandbox::TestServer;

pub struct SyncHarness {
    pub server: TestServer,
    pub engine: SyncEngine,
    pub store: SqlStore,
    pub owner: TokenKey,
    pub access: Access,
    /// The database's folder, removed when the harness is dropped.
    pub folder: tempfile::TempDir,
    pub key: SecretKey,
}

/// Retries quickly, so fault tests finish in seconds.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        deadline: Duration::from_secs(3),
        attempt_timeout: Duration::from_secs(2),
        max_attempts: 4,
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(100),
    }
}

pub fn fast_settings() -> SyncSettings {
    SyncSettings {
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(200),
        reconnect_delay: Duration::from_secs(1),
        poll_interval: Duration::from_millis(50),
        ..SyncSettings::default()
    }
}

pub fn template() -> CardTemplate {
    toml::from_str(DEFAULT_TEMPLATE_TOML).unwrap()
}

/// Fields with a title and the template's first status.
pub fn fields(title: &str) -> RecordFields {
    RecordFields {
        title: title.to_owned(),
        description: format!("About **{title}**"),
        status: template().statuses[0].key.clone(),
        ..RecordFields::default()
    }
}

impl SyncHarness {
    pub async fn start() -> Self {
        let server = TestServer::start().await;
        let folder = tempfile::tempdir().unwrap();
        let key = SecretKey::generate();
        let url = format!("sqlite://{}", folder.path().join("app.db").display());
        let store = SqlStore::open(&url, key.clone()).await.unwrap();
        let engine = Self::engine_on(&server, Arc::new(store.clone()));
        let code = server
            .code_for(&server.str("client_id"), &server.str("redirect_uri"))
            .await;
        let owner = engine
            .tokens()
            .connect(&code, &server.str("redirect_uri"))
            .await
            .unwrap();
        let access = engine.tokens().access(&owner).await.unwrap();
        Self {
            server,
            engine,
            store,
            owner,
            access,
            folder,
            key,
        }
    }

    /// An engine on `store` that talks to `server`'s sandbox.
    pub fn engine_on(server: &TestServer, store: Arc<dyn Store>) -> SyncEngine {
        let client = server.miro_client_with(fast_policy());
        let oauth = OAuthClient {
            client,
            authorize_url: server.str("authorize_url"),
            client_secret: Secret::new(server.str("client_secret")),
        };
        SyncEngine::new(store, oauth, Arc::new(template()), fast_settings())
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.folder.path().join("app.db").display())
    }

    pub fn boards(&self) -> Vec<String> {
        self.server.discovery["board_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap().to_owned())
            .collect()
    }

    /// A client without retries, for the test's own look at the board.
    pub fn reader(&self) -> MiroClient {
        self.server.miro_client(Duration::from_secs(5))
    }

    /// A new app card of ours on `board`.
    pub async fn new_card(&self, board: &str) -> CardKey {
        let card = self
            .reader()
            .create_app_card(&self.access, board, &AppCardWrite::default())
            .await
            .unwrap();
        CardKey::new(board, card.id)
    }

    pub async fn card(&self, key: &CardKey) -> AppCard {
        self.reader()
            .app_card(&self.access, &key.board_id, &key.item_id)
            .await
            .unwrap()
    }

    /// A built-in record linked to a new card on each of `boards`.
    pub async fn record_on(&self, title: &str, boards: &[String]) -> (RecordRow, Vec<CardKey>) {
        let record = self
            .engine
            .create(NewRecord {
                connector: "builtin",
                external_id: None,
                fields: &fields(title),
                origin: "test",
                actor: "tester",
                scope: &server::teams::team_scope(&self.server.str("team_id")),
            })
            .await
            .unwrap();
        let mut cards = Vec::new();
        for board in boards {
            let card = self.new_card(board).await;
            self.engine
                .link(&card, &record.snapshot.id, &self.owner, "tester")
                .await
                .unwrap();
            cards.push(card);
        }
        (record, cards)
    }

    /// How many PATCHes of `card` the sandbox served.
    pub async fn patches(&self, card: &CardKey) -> usize {
        self.server.patches(card).await
    }

    pub async fn drain(&self) {
        assert!(
            self.engine
                .drain_until_empty(Duration::from_secs(30))
                .await
                .unwrap(),
            "the outbox should empty"
        );
    }
}

/// Whether `holder` takes the card's lease within 2 s. A push releases its
/// lease in its own task, after the card's rows are settled and often after
/// its save was answered, so a test polls for it rather than reading once.
pub async fn lease_taken_within_2s(
    store: &server::store::SqlStore,
    card: &CardKey,
    holder: &str,
) -> bool {
    for _ in 0..100 {
        let now = super::unix_now() as i64;
        if store.claim_card(card, holder, now, now + 60).await.unwrap() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
