//! A stand-in for GitHub, so the app's GitHub connector runs and is tested
//! with no GitHub account. It serves, at the root of whatever origin it is
//! mounted on (as `api.github.com` does):
//! - GitHub's REST API for issues, labels, milestones and assignees of the
//!   configured repositories, with GitHub's shapes, status codes, errors,
//!   paging (`Link`), conditional requests (`ETag`, 304) and primary rate
//!   limit (`x-ratelimit-*`);
//! - signed webhook deliveries (`issues` and `label` events) to the app,
//!   from a background task;
//! - admin routes under `/_standin/` for tests: fault injection, the
//!   request log, edits "made by someone on GitHub", deletes, transfers,
//!   the delivery log and redelivery.
//!
//! It shares no code with the connector: the two are independent readings
//! of GitHub's documentation, and this one is tested against the webhook
//! schemas in `shared/github/`.
//!
//! In a test, serve it on a listener of its own and point the connector's
//! API base at it:
//!
//! ```ignore
//! let standin = GitHubStandIn::new(Settings {
//!     token: "ghp_test".into(),
//!     webhook_url: Some(format!("{app}/github/webhook")),
//!     webhook_secret: "secret".into(),
//!     repositories: vec!["octo-org/hello-world".into()],
//!     per_page_max: 100,
//!     rate_limit: 5000,
//! });
//! standin.seed_issues("octo-org/hello-world", 250);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let api_base = format!("http://{}", listener.local_addr()?);
//! tokio::spawn(axum::serve(listener, standin.router()).into_future());
//! ```
//!
//! Its router has a fallback (GitHub's 404 JSON), so an app that mounts
//! it beside its own routes nests it (`Router::nest("/github", …)`);
//! `Link` and `Location` URLs then keep the prefix.

// `json!` of a whole repository object nests deeper than the default.
#![recursion_limit = "256"]

mod admin;
mod edit;
mod errors;
mod faults;
mod gate;
mod input;
mod limits;
mod paging;
mod render;
mod rest;
mod seed;
mod webhooks;
mod world;

use std::{
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{middleware, Router};
use serde_json::Value;

pub use faults::{FaultPlan, ScriptedFault};
pub use gate::LoggedRequest;
pub use limits::LimitSettings;
pub use webhooks::{signature, Delivery};
pub use world::{COLLABORATORS, SOMEONE_ELSE, TOKEN_OWNER};

use self::{errors::ApiError, faults::Faults, limits::Limiter, webhooks::Hooks, world::World};

/// How the stand-in is set up.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The one token the REST API accepts.
    pub token: String,
    /// Where webhook deliveries go; none sends nothing (they are still
    /// logged).
    pub webhook_url: Option<String>,
    /// Signs every delivery (`X-Hub-Signature-256`).
    pub webhook_secret: String,
    /// `owner/name`; every other repository is a 404.
    pub repositories: Vec<String>,
    /// GitHub's is 100.
    pub per_page_max: u32,
    /// Requests per hour; GitHub's is 5,000 for a token.
    pub rate_limit: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token: "ghp_standin".to_owned(),
            webhook_url: None,
            webhook_secret: "standin-webhook-secret".to_owned(),
            repositories: vec!["octo-org/hello-world".to_owned()],
            per_page_max: 100,
            rate_limit: 5000,
        }
    }
}

/// The stand-in: cheap to clone, shared by all its handlers.
#[derive(Clone)]
pub struct GitHubStandIn(Arc<Inner>);

struct Inner {
    settings: Settings,
    world: Mutex<World>,
    limiter: Limiter,
    faults: Faults,
    hooks: Hooks,
    requests: Mutex<Vec<LoggedRequest>>,
}

impl GitHubStandIn {
    /// A stand-in whose repositories are empty (see [`Self::seed_issues`]).
    ///
    /// # Panics
    /// When a repository is not `owner/name`.
    pub fn new(settings: Settings) -> Self {
        for full_name in &settings.repositories {
            let parts: Vec<&str> = full_name.split('/').collect();
            assert!(
                parts.len() == 2 && parts.iter().all(|p| !p.is_empty()),
                "repository '{full_name}' is not owner/name"
            );
        }
        Self(Arc::new(Inner {
            world: Mutex::new(World::new(&settings.repositories, world::now())),
            limiter: Limiter::new(LimitSettings {
                limit: settings.rate_limit,
                window_seconds: 3600,
            }),
            faults: Faults::new(FaultPlan::default()),
            hooks: Hooks::new(settings.webhook_url.clone(), &settings.webhook_secret),
            requests: Mutex::default(),
            settings,
        }))
    }

    /// The REST API at the root and the admin routes under `/_standin/`.
    pub fn router(&self) -> Router {
        let api = rest::router()
            .layer(middleware::from_fn(gate::conditional))
            .fallback(rest::unknown)
            .layer(middleware::from_fn_with_state(
                self.clone(),
                gate::authenticate,
            ))
            .layer(middleware::from_fn_with_state(
                self.clone(),
                gate::faults_and_log,
            ));
        admin::router().merge(api).with_state(self.clone())
    }

    /// Adds `count` sample issues to `repo` (`owner/name`), the same every
    /// run: GitHub's default labels, assignees, milestones (two with due
    /// dates), every fifth issue closed (`completed` or `not_planned`).
    /// Sends no webhooks.
    ///
    /// # Panics
    /// When `repo` is not one of the configured repositories.
    pub fn seed_issues(&self, repo: &str, count: usize) {
        let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
        let mut world = self.world();
        let at = world
            .repo_index(owner, name)
            .unwrap_or_else(|| panic!("'{repo}' is not a configured repository"));
        seed::seed(&mut world, at, count);
    }

    /// Where webhook deliveries go from now on (queued ones included).
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.0.hooks.set_url(url);
    }

    /// Replaces the fault plan.
    ///
    /// # Errors
    /// When the plan is not valid (see [`FaultPlan::validate`]).
    pub fn set_faults(&self, plan: FaultPlan) -> Result<(), String> {
        plan.validate()?;
        self.0.faults.set(plan);
        Ok(())
    }

    /// A new rate-limit budget, starting a fresh window.
    pub fn set_rate_limit(&self, settings: LimitSettings) {
        self.0.limiter.set(settings);
    }

    /// The REST requests so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.requests_mut().clone()
    }

    /// Deliveries still queued, and every delivery so far, oldest first.
    pub fn deliveries(&self) -> (usize, Vec<Delivery>) {
        self.0.hooks.deliveries()
    }

    /// Waits until no delivery is queued (at most `timeout`) and returns
    /// the delivery log; none if deliveries were still queued by then.
    pub async fn settled_deliveries(&self, timeout: Duration) -> Option<Vec<Delivery>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let (pending, deliveries) = self.deliveries();
            if pending == 0 {
                return Some(deliveries);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// An edit "made by someone on GitHub" (`sender`), as
    /// `POST /_standin/issues/{owner}/{repo}/{number}/edit` makes it: `edit`
    /// takes what a PATCH takes. Sends its webhooks; call it inside a tokio
    /// runtime. Answers the issue as the REST API would.
    ///
    /// # Errors
    /// GitHub's error message when the edit is refused (404, 422...).
    pub fn edit_issue(
        &self,
        repo: &str,
        number: u64,
        edit: &Value,
        sender: &str,
    ) -> Result<Value, String> {
        let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
        let fields = match edit {
            Value::Object(map) => map.clone(),
            _ => serde_json::Map::new(),
        };
        input::issue(&fields, false)
            .and_then(|input| {
                self.apply(owner, name, |world, at| {
                    edit::update_issue(world, at, number, input, sender)
                })
            })
            .map_err(|error| format!("{} {}", error.status.as_u16(), error.message))
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.0.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn requests_mut(&self) -> MutexGuard<'_, Vec<LoggedRequest>> {
        self.0.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn log(&self, request: LoggedRequest) {
        self.requests_mut().push(request);
    }

    /// Runs a change on a configured repository and queues its webhooks,
    /// under the world's lock so deliveries keep the changes' order.
    fn apply(
        &self,
        owner: &str,
        repo: &str,
        change: impl FnOnce(&mut World, usize) -> Result<edit::Outcome, ApiError>,
    ) -> Result<Value, ApiError> {
        let mut world = self.world();
        let at = world
            .repo_index(owner, repo)
            .ok_or_else(ApiError::not_found)?;
        let outcome = change(&mut world, at)?;
        let repo = &world.repos[at];
        for event in outcome.events {
            self.0
                .hooks
                .send(event.name, (repo.full_name(), repo.id), event.payload);
        }
        Ok(outcome.body)
    }
}
