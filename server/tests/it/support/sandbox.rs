//! A real server in sandbox mode on a loopback port, and a client that
//! talks to it as an app would: discovery, the OAuth code flow over plain
//! HTTP, and bearer-authenticated REST calls.

use leptos::config::LeptosOptions;
use reqwest::{redirect::Policy, Client, Method, RequestBuilder, Response};
use serde_json::Value;
use server::{config::Config, state::AppState, web::app_router};

/// A running sandbox-mode server; stops when the test's runtime ends.
pub struct TestServer {
    /// The state the server was built from (its store and sync engine).
    pub state: AppState,
    pub base: String,
    pub client: Client,
    pub discovery: Value,
}

impl TestServer {
    /// Binds 127.0.0.1 on a free port and serves the app there.
    pub async fn start() -> Self {
        Self::start_with(server::web::serving::ConnectionLimits::default()).await
    }

    /// The same, with these connection limits.
    pub async fn start_with(limits: server::web::serving::ConnectionLimits) -> Self {
        Self::start_configured(limits, |_| {}).await
    }

    /// The same, with the configuration changed by `adjust` first.
    pub async fn start_configured(
        limits: server::web::serving::ConnectionLimits,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let leptos = LeptosOptions::builder().output_name("miro-cards").build();
        let mut config = Config::sandbox(leptos, &base);
        adjust(&mut config);
        let state = AppState::new(config).await.unwrap();
        let router = app_router(state.clone());
        tokio::spawn(server::web::serving::serve(
            listener,
            router,
            limits,
            std::future::pending(),
        ));
        let client = Client::builder()
            .redirect(Policy::none())
            // A request that hangs fails its test instead of holding up the run.
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        let discovery = client
            .get(format!("{base}/.well-known/miro-sandbox"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            state,
            base,
            client,
            discovery,
        }
    }

    pub fn str(&self, key: &str) -> String {
        self.discovery[key]
            .as_str()
            .unwrap_or_else(|| panic!("discovery has no {key}"))
            .to_owned()
    }

    pub fn rest_base(&self) -> String {
        self.str("rest_base")
    }

    /// The first seeded board's id.
    pub fn board(&self) -> String {
        self.discovery["board_ids"][0].as_str().unwrap().to_owned()
    }

    /// Runs authorize → token for our app; returns the token JSON.
    pub async fn grant(&self) -> Value {
        let (id, secret, redirect) = (
            self.str("client_id"),
            self.str("client_secret"),
            self.str("redirect_uri"),
        );
        self.grant_for(&id, &secret, &redirect).await
    }

    /// The same for the second registered app, which owns none of our cards.
    pub async fn grant_other_app(&self) -> Value {
        let other = &self.discovery["other_apps"][0];
        let field = |k: &str| other[k].as_str().unwrap().to_owned();
        self.grant_for(
            &field("client_id"),
            &field("client_secret"),
            &field("redirect_uri"),
        )
        .await
    }

    /// An access token for our app.
    pub async fn token(&self) -> String {
        self.grant().await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An access token for our app, of the first user of `team_id`.
    pub async fn token_of_team(&self, team_id: &str) -> String {
        let (id, secret, redirect) = (
            self.str("client_id"),
            self.str("client_secret"),
            self.str("redirect_uri"),
        );
        let code = self.code_in(&id, &redirect, Some(team_id)).await;
        self.exchange(&code, &id, &secret, &redirect).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn code_for(&self, client_id: &str, redirect_uri: &str) -> String {
        self.code_in(client_id, redirect_uri, None).await
    }

    /// A code from the authorize page, for `team` (`None`: the first).
    async fn code_in(&self, client_id: &str, redirect_uri: &str, team: Option<&str>) -> String {
        let mut query = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", "s1"),
        ];
        query.extend(team.map(|team| ("team_id", team)));
        let response = self
            .client
            .get(self.str("authorize_url"))
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302, "authorize should redirect back");
        let location = response.headers()["location"].to_str().unwrap();
        let url = reqwest::Url::parse(location).unwrap();
        assert!(
            location.starts_with(redirect_uri),
            "redirected to {location}"
        );
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["state"], "s1");
        pairs["code"].clone()
    }

    async fn grant_for(&self, client_id: &str, secret: &str, redirect_uri: &str) -> Value {
        let code = self.code_for(client_id, redirect_uri).await;
        self.exchange(&code, client_id, secret, redirect_uri).await
    }

    async fn exchange(
        &self,
        code: &str,
        client_id: &str,
        secret: &str,
        redirect_uri: &str,
    ) -> Value {
        let response = self
            .client
            .post(self.str("token_url"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("client_id", client_id),
                ("client_secret", secret),
                ("redirect_uri", redirect_uri),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// A request to `{rest_base}{path}` with the bearer token.
    pub fn rest(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.rest_base()))
            .bearer_auth(token)
    }

    /// Sets the sandbox's fault plan.
    pub async fn set_faults(&self, plan: Value) {
        let response = self
            .client
            .put(format!("{}/sandbox/admin/faults", self.base))
            .json(&plan)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    /// Sets the rate-limit budget.
    pub async fn set_rate_limit(&self, credits: u32, window_seconds: u64) {
        let body =
            serde_json::json!({ "credits_per_window": credits, "window_seconds": window_seconds });
        let response = self
            .client
            .put(format!("{}/sandbox/admin/rate-limit", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    /// Moves the sandbox's clock forward.
    pub async fn advance_clock(&self, seconds: u32) {
        let body = serde_json::json!({ "advance_seconds": seconds });
        let response = self
            .client
            .post(format!("{}/sandbox/admin/clock", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
}

/// Percent-encodes a path segment.
pub fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

/// Status and JSON body (`Value::Null` when empty).
pub async fn status_and_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, body)
}

impl TestServer {
    /// A Miro client pointed at this sandbox, with a short deadline.
    pub fn miro_client(&self, deadline: std::time::Duration) -> server::miro::MiroClient {
        self.miro_client_with(server::miro::RetryPolicy {
            deadline,
            attempt_timeout: deadline,
            backoff_base: std::time::Duration::from_millis(20),
            ..Default::default()
        })
    }

    /// A client of our app at this sandbox with `policy`: the one way the
    /// tests build Miro clients.
    pub fn miro_client_with(&self, policy: server::miro::RetryPolicy) -> server::miro::MiroClient {
        self.miro_client_of(&self.str("client_id"), policy)
    }

    /// A client of the app `client_id` (ours or another registered one).
    pub fn miro_client_of(
        &self,
        client_id: &str,
        policy: server::miro::RetryPolicy,
    ) -> server::miro::MiroClient {
        server::miro::MiroClient::new(server::miro::ClientConfig {
            rest_base: self.rest_base(),
            client_id: client_id.to_owned(),
            policy,
        })
    }

    /// Our app's access for the seed user.
    /// The first team's user, as the store keys their installation.
    pub fn access_key(&self) -> server::miro::TokenKey {
        server::miro::TokenKey {
            user_id: self.str("user_id"),
            team_id: self.str("team_id"),
        }
    }

    pub async fn access(&self) -> server::miro::Access {
        server::miro::Access {
            user_id: self.str("user_id"),
            token: server::miro::Secret::new(self.token().await),
        }
    }

    /// The REST requests the sandbox served, as its log's JSON entries
    /// (method, path, status, fault, credits).
    pub async fn request_entries(&self) -> Vec<Value> {
        sandbox_requests(&self.client, &self.base).await
    }

    /// The REST requests the sandbox served, as `(method, path, status)`.
    pub async fn request_log(&self) -> Vec<(String, String, u16)> {
        self.request_entries()
            .await
            .iter()
            .map(|r| {
                (
                    r["method"].as_str().unwrap().to_owned(),
                    r["path"].as_str().unwrap().to_owned(),
                    r["status"].as_u64().unwrap() as u16,
                )
            })
            .collect()
    }

    /// How many PATCHes of `card` the sandbox served (any status but a
    /// hung-up client's 499: that PATCH was never applied).
    pub async fn patches(&self, card: &server::store::CardKey) -> usize {
        let path = format!(
            "/v2/boards/{}/app_cards/{}",
            encode(&card.board_id),
            card.item_id
        );
        self.request_log()
            .await
            .iter()
            .filter(|(method, p, status)| method == "PATCH" && p.ends_with(&path) && *status != 499)
            .count()
    }

    /// Forgets the request log.
    pub async fn clear_request_log(&self) {
        self.client
            .delete(format!("{}/sandbox/admin/requests", self.base))
            .send()
            .await
            .unwrap();
    }
}

/// The request log of the sandbox served at `base`, as JSON entries.
pub async fn sandbox_requests(client: &Client, base: &str) -> Vec<Value> {
    let log: Value = client
        .get(format!("{base}/sandbox/admin/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log["requests"].as_array().cloned().unwrap_or_default()
}

/// An app card body that sets only the title.
pub fn titled(title: &str) -> server::miro::AppCardWrite {
    server::miro::AppCardWrite {
        data: Some(server::miro::AppCardChanges {
            title: Some(title.to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The sandbox's second team: its id, its user and its board.
pub struct OtherTeam {
    pub team_id: String,
    pub user_id: String,
    pub board: String,
}

impl TestServer {
    /// What `miro.board.getIdToken()` resolves to on the first seeded
    /// board, asked through the sandbox's board host as the SDK asks it.
    pub async fn sdk_id_token(&self) -> String {
        self.sdk_id_token_on(&self.board()).await
    }

    /// The second team of the sandbox, from its discovery document.
    pub fn other_team(&self) -> OtherTeam {
        let team = &self.discovery["teams"][1];
        let field = |key: &str| team[key].as_str().unwrap().to_owned();
        OtherTeam {
            team_id: field("team_id"),
            user_id: field("user_id"),
            board: team["board_ids"][0].as_str().unwrap().to_owned(),
        }
    }

    /// The same on `board_id`: the ID token of that board's team's user.
    pub async fn sdk_id_token_on(&self, board_id: &str) -> String {
        let url = format!("{}/sandbox/host/boards/{}/sdk", self.base, encode(board_id));
        let response = self
            .client
            .post(url)
            .json(&serde_json::json!({"method": "board.getIdToken", "args": []}))
            .send()
            .await
            .unwrap();
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, 200, "{body}");
        body["result"].as_str().expect("a JWT string").to_owned()
    }
}

/// Held by tests that render pages. Leptos's server rendering keeps
/// process-wide state, and two tokio runtimes rendering at once (parallel
/// tests in one binary, each with its own runtime) were seen to leave a
/// render waiting forever, about once in 50 runs. A server process has one
/// runtime and does not do this: 600 concurrent renders of the detail view
/// against the built server all answered.
pub async fn render_lock() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}
