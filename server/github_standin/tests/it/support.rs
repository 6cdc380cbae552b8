//! Running the stand-in on a real listener, a client for it, and a
//! webhook receiver standing in for the app.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Router};
use github_standin::{GitHubStandIn, Settings};
use serde_json::Value;

pub const REPO: &str = "octo-org/hello-world";
pub const OTHER_REPO: &str = "octo-org/website";
pub const TOKEN: &str = "ghp_test_token";
pub const SECRET: &str = "It's a Secret to Everybody";

pub fn settings() -> Settings {
    Settings {
        token: TOKEN.to_owned(),
        webhook_url: None,
        webhook_secret: SECRET.to_owned(),
        repositories: vec![REPO.to_owned(), OTHER_REPO.to_owned()],
        per_page_max: 100,
        rate_limit: 5000,
    }
}

/// The stand-in, listening.
pub struct Running {
    pub base: String,
    pub standin: GitHubStandIn,
    pub http: reqwest::Client,
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

pub async fn start(settings: Settings) -> Running {
    start_at("", settings).await
}

/// The stand-in nested under `prefix` in an app's router, as a server
/// may mount it (`/github`); `base` then ends with the prefix.
pub async fn start_at(prefix: &str, settings: Settings) -> Running {
    let standin = GitHubStandIn::new(settings);
    let router = if prefix.is_empty() {
        standin.router()
    } else {
        Router::new().nest(prefix, standin.router())
    };
    let base = format!("{}{prefix}", serve(router).await);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Running {
        base,
        standin,
        http,
    }
}

impl Running {
    fn authed(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .header("Authorization", format!("Bearer {TOKEN}"))
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
    }

    /// `path` (from the root, with any query) or an absolute URL.
    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.authed(self.http.get(self.url(path)))
    }

    pub fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.authed(self.http.post(self.url(path)).json(body))
    }

    pub fn patch(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.authed(self.http.patch(self.url(path)).json(body))
    }

    /// An admin call; panics unless it succeeds.
    pub async fn admin(&self, path: &str, body: &Value) -> Value {
        let response = self
            .http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// The delivery log once nothing is queued.
    pub async fn settled_deliveries(&self) -> Vec<Value> {
        for _ in 0..200 {
            let log: Value = self
                .http
                .get(self.url("/_standin/deliveries"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if log["pending"] == 0 {
                return log["deliveries"].as_array().unwrap().clone();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("deliveries still pending after 5 s");
    }

    pub async fn requests(&self) -> Vec<Value> {
        self.http
            .get(self.url("/_standin/requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// One delivery as the app received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A webhook endpoint that records what arrives and answers 200.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

pub async fn receiver() -> Receiver {
    let received: Arc<Mutex<Vec<Received>>> = Arc::default();
    let record = |State(log): State<Arc<Mutex<Vec<Received>>>>, headers: HeaderMap, body: Bytes| async move {
        log.lock().unwrap().push(Received { headers, body });
        "ok"
    };
    let router = Router::new()
        .route("/webhook", post(record))
        .with_state(received.clone());
    let url = format!("{}/webhook", serve(router).await);
    Receiver { url, received }
}

impl Receiver {
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// A header as text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}
