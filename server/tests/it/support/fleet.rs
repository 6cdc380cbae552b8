//! Real processes, as production runs them: the sandbox on its own
//! (`server sandbox`) and one or more app instances (`server`) on one
//! database, each started, killed and restarted by the test, with the
//! calls a user's browser makes (an ID token from the sandbox's SDK, a
//! ticket, the detail page, `save_card`) sent to whichever instance the
//! test picks, as a load balancer would.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use app::detail::{CardViewData, OpenedCard};
use reqwest::Client;
use serde_json::{json, Value};
use server::store::CardKey;

pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process, killed when dropped (also when the test fails).
pub struct Process(Child);

impl From<Child> for Process {
    fn from(child: Child) -> Self {
        Self(child)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The sandbox process and the app instances' addresses and settings.
pub struct Fleet {
    pub folder: tempfile::TempDir,
    _sandbox: Process,
    pub sandbox_url: String,
    /// Each instance's port; instance 0's address is the app's public URL
    /// (what Miro redirects to), shared by all, as behind a load balancer.
    pub ports: Vec<u16>,
    pub database_url: String,
    /// Extra environment every instance gets.
    env: Vec<(String, String)>,
    pub http: Client,
}

impl Fleet {
    /// Starts the sandbox for `instances` app instances on `database_url`
    /// (`None`: a SQLite file in the fleet's folder). No instance runs yet.
    pub async fn new(instances: usize, database_url: Option<String>, env: &[(&str, &str)]) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let sandbox_port = free_port();
        let ports: Vec<u16> = (0..instances).map(|_| free_port()).collect();
        let sandbox_url = format!("http://127.0.0.1:{sandbox_port}");
        let sandbox = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["sandbox", "--addr", &format!("127.0.0.1:{sandbox_port}")])
            .args(["--app-url", &format!("http://127.0.0.1:{}", ports[0])])
            .current_dir(folder.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let database_url = database_url
            .unwrap_or_else(|| format!("sqlite://{}", folder.path().join("app.db").display()));
        let fleet = Self {
            folder,
            _sandbox: Process(sandbox),
            sandbox_url,
            ports,
            database_url,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            http: Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        };
        fleet
            .wait_until_up(&format!("{}/.well-known/miro-sandbox", fleet.sandbox_url))
            .await;
        fleet
    }

    pub fn app_url(&self, instance: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[instance])
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        self.folder.path().join(name)
    }

    fn log(&self, name: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(name))
            .unwrap()
    }

    /// The server binary with the fleet's settings, its output appended to
    /// `log`.
    pub fn command(&self, log: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .current_dir(self.folder.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MIRO_SANDBOX_URL", &self.sandbox_url)
            .env("APP_PUBLIC_URL", self.app_url(0))
            .env("LEPTOS_OUTPUT_NAME", "miro-cards")
            .env("DATABASE_URL", &self.database_url)
            // Durability is under test here, not the per-user limits.
            .env("RATE_LIMITS", "off")
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(self.log(log))
            .stderr(self.log(log));
        command
    }

    /// Starts app instance `instance` and waits until it answers.
    pub async fn start_app(&self, instance: usize) -> Process {
        let child = self
            .command(&format!("app-{instance}.log"))
            .env(
                "LEPTOS_SITE_ADDR",
                format!("127.0.0.1:{}", self.ports[instance]),
            )
            .spawn()
            .unwrap();
        let process = Process(child);
        self.wait_until_up(&format!("{}/healthz", self.app_url(instance)))
            .await;
        process
    }

    pub async fn wait_until_up(&self, url: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.http.get(url).send().await.is_err() {
            assert!(Instant::now() < deadline, "{url} did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything the instances logged, for a failing assertion.
    pub fn logs(&self) -> String {
        (0..self.ports.len())
            .map(|i| {
                std::fs::read_to_string(self.log_path(&format!("app-{i}.log"))).unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A Web SDK call as a page on `board` makes it.
    pub async fn sdk(&self, board: &str, method: &str, args: Value) -> Value {
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
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["result"].clone()
    }

    /// The sandbox's request log.
    pub async fn requests(&self) -> Vec<Value> {
        super::sandbox::sandbox_requests(&self.http, &self.sandbox_url).await
    }

    /// Forgets the sandbox's request log.
    pub async fn clear_requests(&self) {
        self.http
            .delete(format!("{}/sandbox/admin/requests", self.sandbox_url))
            .send()
            .await
            .unwrap();
    }

    pub async fn set_faults(&self, plan: Value) {
        let answer = self
            .http
            .put(format!("{}/sandbox/admin/faults", self.sandbox_url))
            .json(&plan)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }

    /// Opens `card` the way Miro's modal does, the ticket bought at
    /// instance `ticket_at` and the page loaded from instance `page_at`:
    /// the view's data from the page's head.
    pub async fn open_view(
        &self,
        card: &CardKey,
        ticket_at: usize,
        page_at: usize,
    ) -> Option<CardViewData> {
        let token = self
            .sdk(&card.board_id, "board.getIdToken", json!([]))
            .await;
        let ticket: Value = self
            .http
            .post(format!("{}/miro/tickets", self.app_url(ticket_at)))
            .bearer_auth(token.as_str()?)
            .json(&json!({"board_id": card.board_id, "item_id": card.item_id}))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let page = self
            .http
            .get(format!(
                "{}/cards/{}/{}?ticket={}",
                self.app_url(page_at),
                encode(&card.board_id),
                card.item_id,
                ticket["ticket"].as_str()?
            ))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let start = page.find("id=\"card-view-data\">")? + "id=\"card-view-data\">".len();
        let end = start + page[start..].find("</script>")?;
        let opened: OpenedCard = serde_json::from_str(&page[start..end]).ok()?;
        opened.result.ok()
    }
}
