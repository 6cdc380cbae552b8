//! The sandbox: a local stand-in for Miro, carried by the server binary so
//! the app runs (and its tests drive a real board) with no Miro account.
//!
//! It serves, from the app's own origin:
//! - Miro's REST API v2 under `/sandbox/api` (the `rest_base`), for the
//!   endpoints this app uses, with Miro's JSON shapes, errors, ownership
//!   rule and rate limits, plus fault injection (random shares and scripted
//!   one-shot faults) for tests;
//! - OAuth: `/sandbox/oauth/authorize` and `{rest_base}/v1/oauth/token`;
//! - a board page per board (`/sandbox/boards/{id}`) that draws app cards,
//!   cards and sticky notes as Miro does, selects and zooms, and hosts the
//!   app's iframes, with a stand-in for the Web SDK
//!   (`/sandbox/sdk/v2/miro.js`);
//! - discovery for tools and tests at `/.well-known/miro-sandbox`, and
//!   admin endpoints (faults, rate limits, clock, request log), answered
//!   only to requests addressed to the sandbox itself (`guard.rs`).
//!
//! It shares no code with the Miro client: the two are independent
//! readings of the official spec and each is tested against it.

mod admin;
mod discovery;
mod errors;
mod faults;
mod gate;
mod guard;
mod host;
mod id_token;
mod input;
mod limits;
mod oauth;
mod page;
mod render;
mod rest;
mod sdk_shape;
mod seed;
mod world;

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc, Mutex, MutexGuard,
};

use axum::{
    middleware,
    routing::{get, post},
    Router,
};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::broadcast;

pub use faults::FaultPlan;
pub use limits::LimitSettings;
pub use oauth::html_escape;
pub use world::RegisteredApp;

use self::{faults::Faults, limits::Limiter, oauth::Grants, world::World};

/// Path of the REST API below the public origin.
pub const REST_PREFIX: &str = "/sandbox/api";

/// How the sandbox is set up.
#[derive(Clone, Debug)]
pub struct SandboxSettings {
    /// The origin everything is served from, e.g. `http://127.0.0.1:3000`.
    pub public_url: String,
    /// The app's headless page (its `sdkUri`), loaded by every board.
    pub app_sdk_uri: String,
    /// Where the app receives the OAuth redirect.
    pub app_redirect_uri: String,
    /// The app's client secret; random when unset.
    pub app_client_secret: Option<String>,
    pub limits: LimitSettings,
    pub faults: FaultPlan,
}

/// Who is calling the REST API, from their bearer token.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: String,
    pub team_id: String,
    pub client_id: String,
}

/// A change to a board, for the board pages' live feed.
#[derive(Clone, Debug)]
pub enum Change {
    /// The item as the sandbox's own app sees it (`AppCardItem`,
    /// `CardItem` or `StickyNoteItem`).
    Upsert {
        board_id: String,
        item: Value,
    },
    Removed {
        board_id: String,
        item_id: String,
    },
}

/// The sandbox: cheap to clone, shared by all its handlers.
#[derive(Clone)]
pub struct Sandbox(Arc<Inner>);

struct Inner {
    settings: SandboxSettings,
    apps: Vec<RegisteredApp>,
    world: Mutex<World>,
    grants: Mutex<Grants>,
    /// Seconds added to the wall clock (tests move time forward).
    clock_offset: AtomicI64,
    limiter: Limiter,
    faults: Faults,
    changes: broadcast::Sender<Change>,
    requests: Mutex<Vec<gate::LoggedRequest>>,
}

impl Sandbox {
    /// A sandbox with its seed data: two teams, a user each, three boards.
    pub fn new(settings: SandboxSettings) -> Self {
        let (world, apps) = seed::seed(&settings);
        let (changes, _) = broadcast::channel(256);
        Self(Arc::new(Inner {
            limiter: Limiter::new(settings.limits),
            faults: Faults::new(settings.faults.clone()),
            settings,
            apps,
            world: Mutex::new(world),
            grants: Mutex::default(),
            clock_offset: AtomicI64::new(0),
            changes,
            requests: Mutex::default(),
        }))
    }

    /// The app this server is: the first registered app.
    pub fn app_client(&self) -> &RegisteredApp {
        &self.0.apps[0]
    }

    /// `{public_url}/sandbox/api`: where a Miro client sends `/v2/...`.
    pub fn rest_base(&self) -> String {
        format!("{}{REST_PREFIX}", self.0.settings.public_url)
    }

    fn settings(&self) -> &SandboxSettings {
        &self.0.settings
    }

    fn app(&self, client_id: &str) -> Option<RegisteredApp> {
        self.0
            .apps
            .iter()
            .find(|a| a.client_id == client_id)
            .cloned()
    }

    /// The sandbox's time: the wall clock plus any offset set by tests.
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
            + time::Duration::seconds(self.0.clock_offset.load(Ordering::Relaxed))
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.0.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn grants(&self) -> MutexGuard<'_, Grants> {
        self.0.grants.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The seed team's id.
    fn team_id(&self) -> String {
        self.world().teams[0].id.clone()
    }

    /// Tells open board pages about a change. Nobody listening is fine.
    fn publish(&self, change: Change) {
        let _ = self.0.changes.send(change);
    }

    /// Publishes the current state of an item to the board pages.
    fn publish_item(&self, board_id: &str, item: &world::Item) {
        let json = render::typed_item(
            item,
            board_id,
            &self.app_client().client_id,
            &self.rest_base(),
        );
        self.publish(Change::Upsert {
            board_id: board_id.to_owned(),
            item: json,
        });
    }

    /// Every route of the sandbox, ready to be merged into the app's router.
    pub fn router(&self) -> Router {
        let rest = rest::router()
            .route("/v1/oauth-token", get(oauth::token_info))
            .route_layer(middleware::from_fn_with_state(
                self.clone(),
                gate::authenticate,
            ))
            .route("/v1/oauth/token", post(oauth::token))
            .route("/v2/oauth/revoke", post(oauth::revoke))
            .fallback(rest::unknown_endpoint)
            .layer(middleware::from_fn_with_state(
                self.clone(),
                gate::faults_and_log,
            ));

        // No sign-in guards the discovery document (the client secret)
        // or the admin routes: only requests addressed to the sandbox
        // itself reach them, and the admin routes take JSON only.
        let local = Router::new()
            .route("/.well-known/miro-sandbox", get(discovery::discovery))
            .merge(admin::router().route_layer(middleware::from_fn(guard::json_bodies)))
            .route_layer(middleware::from_fn_with_state(
                self.clone(),
                guard::own_address,
            ));

        Router::new()
            .nest(REST_PREFIX, rest)
            .route("/sandbox/oauth/authorize", get(oauth::authorize))
            .route(
                "/sandbox/app-install-completed",
                get(oauth::install_completed),
            )
            .merge(local)
            .merge(host::router())
            .merge(page::router())
            .with_state(self.clone())
    }
}

/// The first seeded board's id, URL-encoded, for the start-up message.
pub fn first_board_path(sandbox: &Sandbox) -> String {
    sandbox
        .world()
        .boards
        .first()
        .map(|b| render::urlencode(&b.id))
        .unwrap_or_default()
}
