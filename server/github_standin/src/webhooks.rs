//! Webhook deliveries: every change becomes a payload, recorded in the
//! delivery log and queued; one background task POSTs them to the app, in
//! order, each with a timeout, and records the status the app answered.
//! Deliveries never happen inside the request that caused them, as on
//! GitHub, where the app's webhook may well arrive after the REST answer.
//!
//! Each delivery carries GitHub's headers: `X-GitHub-Event`,
//! `X-GitHub-Delivery` (a GUID), `X-GitHub-Hook-ID`, the installation
//! target, `User-Agent: GitHub-Hookshot/…`, and `X-Hub-Signature-256`:
//! `sha256=` and the hex HMAC-SHA256 of the exact body bytes under the
//! webhook secret. A redelivery sends the same bytes under the same GUID.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use hmac::{Hmac, Mac};
use rand::Rng;
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;

/// The hook's id, as GitHub numbers a repository's webhooks.
pub const HOOK_ID: u64 = 424_242;
/// GitHub gives the app ten seconds to answer a delivery.
const TIMEOUT: Duration = Duration::from_secs(10);
const USER_AGENT: &str = "GitHub-Hookshot/standin";

/// One delivery, as `GET /_standin/deliveries` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// The `X-GitHub-Delivery` GUID.
    pub id: String,
    /// `issues` or `label`.
    pub event: &'static str,
    pub action: String,
    pub repository: String,
    pub repository_id: u64,
    /// Sent again by `POST /_standin/redeliver/{id}`.
    pub redelivery: bool,
    /// What the app answered; none while queued, or when it never answered.
    pub status: Option<u16>,
    /// Why there is no status: no webhook URL, a timeout, a refused
    /// connection.
    pub error: Option<String>,
    pub payload: Value,
    #[serde(skip)]
    body: Arc<Vec<u8>>,
}

struct Shared {
    url: Mutex<Option<String>>,
    secret: Vec<u8>,
    log: Mutex<Vec<Delivery>>,
    /// The worker's queue of log indices; replaced if its task is gone (a
    /// test's runtime ended).
    queue: Mutex<Option<mpsc::UnboundedSender<usize>>>,
    pending: AtomicUsize,
    client: reqwest::Client,
}

/// The delivery log and its sender.
#[derive(Clone)]
pub struct Hooks(Arc<Shared>);

impl Hooks {
    pub fn new(url: Option<String>, secret: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self(Arc::new(Shared {
            url: Mutex::new(url),
            secret: secret.as_bytes().to_vec(),
            log: Mutex::default(),
            queue: Mutex::default(),
            pending: AtomicUsize::new(0),
            client,
        }))
    }

    pub fn set_url(&self, url: Option<String>) {
        *lock(&self.0.url) = url;
    }

    /// Records a delivery and queues it. Called with the world locked, so
    /// deliveries queue in the order the changes happened.
    pub fn send(&self, event: &'static str, repository: (String, u64), payload: Value) {
        let body = serde_json::to_vec(&payload).unwrap_or_default();
        let delivery = Delivery {
            id: guid(),
            event,
            action: payload["action"].as_str().unwrap_or_default().to_owned(),
            repository: repository.0,
            repository_id: repository.1,
            redelivery: false,
            status: None,
            error: None,
            payload,
            body: Arc::new(body),
        };
        self.enqueue(delivery);
    }

    /// Sends a past delivery again, byte for byte and under the same GUID.
    pub fn redeliver(&self, id: &str) -> bool {
        let again = lock(&self.0.log).iter().find(|d| d.id == id).cloned();
        let Some(mut again) = again else {
            return false;
        };
        again.redelivery = true;
        again.status = None;
        again.error = None;
        self.enqueue(again);
        true
    }

    /// Deliveries still queued, and the log.
    pub fn deliveries(&self) -> (usize, Vec<Delivery>) {
        (
            self.0.pending.load(Ordering::SeqCst),
            lock(&self.0.log).clone(),
        )
    }

    fn enqueue(&self, delivery: Delivery) {
        let index = {
            let mut log = lock(&self.0.log);
            log.push(delivery);
            log.len() - 1
        };
        self.0.pending.fetch_add(1, Ordering::SeqCst);
        let mut queue = lock(&self.0.queue);
        if let Some(sender) = queue.as_ref() {
            if sender.send(index).is_ok() {
                return;
            }
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.finish(
                index,
                None,
                Some("no tokio runtime to deliver from".to_owned()),
            );
            return;
        };
        let (sender, receiver) = mpsc::unbounded_channel();
        let _ = sender.send(index);
        *queue = Some(sender);
        runtime.spawn(worker(self.clone(), receiver));
    }

    fn finish(&self, index: usize, status: Option<u16>, error: Option<String>) {
        if let Some(delivery) = lock(&self.0.log).get_mut(index) {
            delivery.status = status;
            delivery.error = error;
        }
        self.0.pending.fetch_sub(1, Ordering::SeqCst);
    }

    async fn deliver(&self, index: usize) {
        let Some(delivery) = lock(&self.0.log).get(index).cloned() else {
            return;
        };
        let Some(url) = lock(&self.0.url).clone() else {
            self.finish(index, None, Some("no webhook_url".to_owned()));
            return;
        };
        let request = self
            .0
            .client
            .post(&url)
            .header("Content-Type", "application/json")
            .header("User-Agent", USER_AGENT)
            .header("X-GitHub-Event", delivery.event)
            .header("X-GitHub-Delivery", &delivery.id)
            .header("X-GitHub-Hook-ID", HOOK_ID.to_string())
            .header("X-GitHub-Hook-Installation-Target-Type", "repository")
            .header(
                "X-GitHub-Hook-Installation-Target-ID",
                delivery.repository_id.to_string(),
            )
            .header(
                "X-Hub-Signature-256",
                signature(&self.0.secret, &delivery.body),
            )
            .body(delivery.body.to_vec());
        match request.send().await {
            Ok(response) => self.finish(index, Some(response.status().as_u16()), None),
            Err(error) => {
                tracing::debug!(%error, id = delivery.id, "webhook delivery failed");
                self.finish(index, None, Some(error.to_string()));
            }
        }
    }
}

/// Delivers queued deliveries one at a time, so they arrive in order.
async fn worker(hooks: Hooks, mut queue: mpsc::UnboundedReceiver<usize>) {
    while let Some(index) = queue.recv().await {
        hooks.deliver(index).await;
    }
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// A random GUID in the 8-4-4-4-12 form GitHub's delivery ids have.
fn guid() -> String {
    let bytes: [u8; 16] = rand::thread_rng().gen();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
