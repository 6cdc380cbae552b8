//! The rate-limit budget of each (user, app) pair, as Miro last reported it
//! in `X-RateLimit-Remaining` / `X-RateLimit-Reset`. Before a call the
//! client asks whether the budget can pay for it; if not, it waits until
//! the reset instead of sending a request Miro would refuse.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use http::HeaderMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    remaining: u64,
    reset_at: u64,
}

/// Budgets by (user id, client id).
#[derive(Debug, Default)]
pub struct Budgets {
    windows: Mutex<HashMap<(String, String), Window>>,
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn header(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl Budgets {
    /// Remembers what an answer's headers say about the budget.
    pub fn record(&self, key: &(String, String), headers: &HeaderMap) {
        if let (Some(remaining), Some(reset_at)) = (
            header(headers, "x-ratelimit-remaining"),
            header(headers, "x-ratelimit-reset"),
        ) {
            self.set(
                key,
                Window {
                    remaining,
                    reset_at,
                },
            );
        }
    }

    /// Marks the budget spent until `reset_at` (after a 429).
    pub fn exhaust(&self, key: &(String, String), reset_at: u64) {
        self.set(
            key,
            Window {
                remaining: 0,
                reset_at,
            },
        );
    }

    fn set(&self, key: &(String, String), window: Window) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), window);
    }

    /// How long to wait before a call costing `credits` may go out.
    pub fn wait_for(&self, key: &(String, String), credits: u64) -> Option<Duration> {
        let window = *self
            .windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)?;
        let now = unix_now();
        if window.remaining >= credits || window.reset_at < now {
            return None;
        }
        // The reset second itself may still belong to the old window.
        Some(Duration::from_secs(window.reset_at + 1 - now))
    }

    /// The reset time to report when a wait would pass a deadline.
    pub fn reset_at(&self, key: &(String, String)) -> u64 {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .map_or(0, |w| w.reset_at)
    }
}

/// The reset time a 429 reports, or one second from now if it has none.
pub fn reset_from(headers: &HeaderMap) -> u64 {
    header(headers, "x-ratelimit-reset").unwrap_or_else(|| unix_now() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_only_while_the_budget_cannot_pay() {
        let budgets = Budgets::default();
        let key = ("user".to_owned(), "app".to_owned());
        assert_eq!(budgets.wait_for(&key, 50), None, "unknown budget: go");
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", "40".parse().unwrap());
        headers.insert(
            "x-ratelimit-reset",
            (unix_now() + 5).to_string().parse().unwrap(),
        );
        budgets.record(&key, &headers);
        assert!(budgets.wait_for(&key, 50).unwrap() >= Duration::from_secs(5));
        assert_eq!(budgets.wait_for(&key, 40), None);
        budgets.exhaust(&key, unix_now() - 1);
        assert_eq!(budgets.wait_for(&key, 50), None, "the window has passed");
    }
}
