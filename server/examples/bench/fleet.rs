//! The processes under test, as production runs them: `server sandbox` (the
//! stand-in for Miro) and the app (`server`, release build) on loopback,
//! with a throwaway SQLite database; and the calls Miro's pages make to
//! them (an ID token from the sandbox's SDK, tickets, the detail page and
//! the panel page with their sessions), as the integration tests make them.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context as _};
use reqwest::Client;
use serde_json::{json, Value};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(0, |a| a.port())
}

pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A child process, killed when dropped.
pub struct Process(pub Child);

impl Process {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Resident memory of `pid` now (`VmRSS`) and at its peak (`VmHWM`), in MB.
pub fn rss_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|r| r.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

pub struct Fleet {
    pub server: PathBuf,
    pub folder: PathBuf,
    pub site_root: PathBuf,
    pub sandbox_url: String,
    pub app_port: u16,
    pub http: Client,
    _sandbox: Process,
}

impl Fleet {
    /// Starts the sandbox; the app is started by [`Fleet::start_app`].
    pub async fn new(server: PathBuf, folder: PathBuf, site_root: PathBuf) -> anyhow::Result<Self> {
        let sandbox_port = free_port();
        let app_port = free_port();
        let log = std::fs::File::create(folder.join("sandbox.log"))?;
        let sandbox = Command::new(&server)
            .args(["sandbox", "--addr", &format!("127.0.0.1:{sandbox_port}")])
            .args(["--app-url", &format!("http://127.0.0.1:{app_port}")])
            .current_dir(&folder)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting `server sandbox`")?;
        let fleet = Self {
            server,
            folder,
            site_root,
            sandbox_url: format!("http://127.0.0.1:{sandbox_port}"),
            app_port,
            http: Client::builder().timeout(Duration::from_secs(30)).build()?,
            _sandbox: Process(sandbox),
        };
        let discovery = format!("{}/.well-known/miro-sandbox", fleet.sandbox_url);
        fleet
            .wait_until_up(&discovery, Duration::from_secs(30))
            .await?;
        Ok(fleet)
    }

    pub fn app_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.app_port)
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.folder.join("app.db").display())
    }

    /// Starts the app and waits for `/healthz`; answers the process and
    /// how long that took.
    pub async fn start_app(&self) -> anyhow::Result<(Process, Duration)> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.folder.join("app.log"))?;
        let started = Instant::now();
        let child = Command::new(&self.server)
            .current_dir(&self.folder)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MIRO_SANDBOX_URL", &self.sandbox_url)
            .env("APP_PUBLIC_URL", self.app_url())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.app_port))
            .env("LEPTOS_SITE_ROOT", &self.site_root)
            .env("LEPTOS_OUTPUT_NAME", "miro-cards")
            .env("DATABASE_URL", self.database_url())
            // The per-user limits would refuse a benchmark's load by design.
            .env("RATE_LIMITS", "off")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting the app")?;
        let process = Process(child);
        let health = format!("{}/healthz", self.app_url());
        // A tight poll: start-up is measured to the millisecond.
        let deadline = started + Duration::from_secs(30);
        loop {
            if let Ok(answer) = self.http.get(&health).send().await {
                if answer.status().is_success() {
                    return Ok((process, started.elapsed()));
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "the app did not come up; see {}",
                    self.folder.join("app.log").display()
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    pub async fn wait_until_up(&self, url: &str, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        while self.http.get(url).send().await.is_err() {
            if Instant::now() > deadline {
                bail!("{url} did not come up");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// A Web SDK call as a page on `board` makes it.
    pub async fn sdk(&self, board: &str, method: &str, args: Value) -> anyhow::Result<Value> {
        let url = format!(
            "{}/sandbox/host/boards/{}/sdk",
            self.sandbox_url,
            encode(board)
        );
        let answer: Value = self
            .http
            .post(url)
            .json(&json!({"method": method, "args": args}))
            .send()
            .await?
            .json()
            .await?;
        Ok(answer["result"].clone())
    }

    pub async fn id_token(&self, board: &str) -> anyhow::Result<String> {
        let token = self.sdk(board, "board.getIdToken", json!([])).await?;
        token
            .as_str()
            .map(str::to_owned)
            .context("no ID token from the sandbox")
    }

    pub async fn admin_put(&self, what: &str, body: Value) -> anyhow::Result<()> {
        let answer = self
            .http
            .put(format!("{}/sandbox/admin/{what}", self.sandbox_url))
            .json(&body)
            .send()
            .await?;
        if !answer.status().is_success() {
            bail!("sandbox admin {what}: {}", answer.text().await?);
        }
        Ok(())
    }

    /// Miro's budget per (user, app): `credits` every `window_seconds`.
    pub async fn set_rate_limit(&self, credits: u64, window_seconds: u64) -> anyhow::Result<()> {
        let body = json!({"credits_per_window": credits, "window_seconds": window_seconds});
        self.admin_put("rate-limit", body).await
    }

    /// The sandbox's REST request log (and forgets it).
    pub async fn take_requests(&self) -> anyhow::Result<Vec<Value>> {
        let url = format!("{}/sandbox/admin/requests", self.sandbox_url);
        let log: Value = self.http.get(&url).send().await?.json().await?;
        self.http.delete(&url).send().await?;
        Ok(log["requests"].as_array().cloned().unwrap_or_default())
    }

    /// A ticket for a card, bought as the headless page buys it.
    pub async fn ticket(&self, token: &str, board: &str, item: &str) -> anyhow::Result<String> {
        let answer: Value = self
            .http
            .post(format!("{}/miro/tickets", self.app_url()))
            .bearer_auth(token)
            .json(&json!({"board_id": board, "item_id": item}))
            .send()
            .await?
            .json()
            .await?;
        answer["ticket"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no ticket: {answer}"))
    }

    /// The path Miro's modal opens with a ticket.
    pub fn card_path(board: &str, item: &str, ticket: &str) -> String {
        format!(
            "/cards/{}/{}?ticket={}",
            encode(board),
            item,
            encode(ticket)
        )
    }

    /// The detail view's data from its page's head.
    pub async fn open_view(
        &self,
        token: &str,
        board: &str,
        item: &str,
    ) -> anyhow::Result<app::detail::CardViewData> {
        let ticket = self.ticket(token, board, item).await?;
        let url = format!(
            "{}{}",
            self.app_url(),
            Self::card_path(board, item, &ticket)
        );
        let page = self.http.get(url).send().await?.text().await?;
        let marker = "id=\"card-view-data\">";
        let start = page.find(marker).context("no view data in the page")? + marker.len();
        let end = start
            + page[start..]
                .find("</script>")
                .context("unterminated view data")?;
        let opened: app::detail::OpenedCard = serde_json::from_str(&page[start..end])?;
        opened
            .result
            .map_err(|e| anyhow::anyhow!("the view did not open: {e}"))
    }

    /// Saves `view`'s record with its title changed to `title`, through the
    /// detail view's `save_card`, against the version the view holds.
    pub async fn save_title(
        &self,
        view: &app::detail::CardViewData,
        title: &str,
    ) -> anyhow::Result<reqwest::Response> {
        let mut fields = view.record.fields.clone();
        fields.title = title.to_owned();
        let body = serde_json::json!({"request": {
            "board_id": view.board_id, "item_id": view.item_id, "session": view.session,
            "base_version": view.record.version, "fields": fields,
        }});
        Ok(self
            .http
            .post(format!("{}/api/save_card", self.app_url()))
            .json(&body)
            .send()
            .await?)
    }

    /// A panel session on `board`, as the toolbar icon opens the panel.
    pub async fn panel_session(&self, board: &str) -> anyhow::Result<String> {
        let token = self.id_token(board).await?;
        let answer: Value = self
            .http
            .post(format!("{}/miro/panel/tickets", self.app_url()))
            .bearer_auth(&token)
            .json(&json!({"board_id": board}))
            .send()
            .await?
            .json()
            .await?;
        let ticket = answer["ticket"]
            .as_str()
            .with_context(|| format!("no panel ticket: {answer}"))?;
        let url = format!(
            "{}/panel/{}?ticket={}",
            self.app_url(),
            encode(board),
            encode(ticket)
        );
        let html = self.http.get(url).send().await?.text().await?;
        session_of(&html).context("no session in the panel page")
    }

    /// The sandbox's discovery document.
    async fn discovery(&self) -> anyhow::Result<Value> {
        Ok(self
            .http
            .get(format!("{}/.well-known/miro-sandbox", self.sandbox_url))
            .send()
            .await?
            .json()
            .await?)
    }

    /// The sandbox's first team: the one the benchmark's user is in.
    pub async fn team_id(&self) -> anyhow::Result<String> {
        self.discovery().await?["team_id"]
            .as_str()
            .map(str::to_owned)
            .context("no team_id in the sandbox's discovery document")
    }

    /// The seeded boards' ids.
    pub async fn boards(&self) -> anyhow::Result<Vec<String>> {
        Ok(self.discovery().await?["board_ids"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// The session in a page's hydration data (escaped or not).
fn session_of(html: &str) -> Option<String> {
    let start = html
        .find("\\\"session\\\":\\\"")
        .or_else(|| html.find("\"session\":\""))?;
    let rest = &html[start..];
    let rest = &rest[rest.find(':')? + 1..];
    let rest = rest.trim_start_matches('\\').trim_start_matches('"');
    Some(
        rest.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
            .collect(),
    )
}
