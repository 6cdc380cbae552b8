//! GitHub's primary rate limit for the REST API: a budget of requests per
//! window (5,000 an hour for a token), starting with the window's first
//! request. Every answer carries `x-ratelimit-limit`, `-remaining`,
//! `-used`, `-reset` (UNIX seconds when the window ends) and
//! `-resource: core`. A request is charged when it comes in and refunded
//! when it is answered 304, since GitHub documents that a conditional
//! request answered 304 does not count.

use std::{
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

/// The budget, as `POST /_standin/rate-limit` takes it.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub limit: u32,
    /// GitHub's window is an hour; tests shorten it to wait one out.
    #[serde(default = "an_hour")]
    pub window_seconds: u64,
}

fn an_hour() -> u64 {
    3600
}

/// Where the budget stands, for the headers.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Budget {
    pub limit: u32,
    pub remaining: u32,
    pub used: u32,
    /// UNIX seconds.
    pub reset: u64,
}

impl Budget {
    pub fn write(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-used", HeaderValue::from(self.used));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
        headers.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
    }

    /// Seconds until the window ends, at least 1.
    pub fn seconds_to_reset(&self) -> u64 {
        self.reset.saturating_sub(unix_now()).max(1)
    }
}

#[derive(Debug)]
struct Window {
    settings: LimitSettings,
    /// When the current window began (UNIX seconds); none before the first
    /// request.
    start: Option<u64>,
    used: u32,
}

#[derive(Debug)]
pub struct Limiter(Mutex<Window>);

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Window {
    /// Starts a new window if the last one is over.
    fn roll(&mut self, now: u64) {
        if self
            .start
            .is_some_and(|start| now >= start + self.settings.window_seconds)
        {
            self.start = None;
            self.used = 0;
        }
    }

    fn budget(&self, now: u64) -> Budget {
        let start = self.start.unwrap_or(now);
        Budget {
            limit: self.settings.limit,
            remaining: self.settings.limit.saturating_sub(self.used),
            used: self.used,
            reset: start + self.settings.window_seconds,
        }
    }
}

impl Limiter {
    pub fn new(settings: LimitSettings) -> Self {
        Self(Mutex::new(Window {
            settings,
            start: None,
            used: 0,
        }))
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Charges one request, or refuses it with the spent budget.
    pub fn charge(&self) -> Result<Budget, Budget> {
        let now = unix_now();
        let mut window = self.window();
        window.roll(now);
        if window.used >= window.settings.limit {
            return Err(window.budget(now));
        }
        window.start.get_or_insert(now);
        window.used += 1;
        Ok(window.budget(now))
    }

    /// Gives back one request's charge (it was answered 304).
    pub fn refund(&self) -> Budget {
        let now = unix_now();
        let mut window = self.window();
        window.used = window.used.saturating_sub(1);
        window.budget(now)
    }

    /// The budget as it stands, charging nothing.
    pub fn peek(&self) -> Budget {
        let now = unix_now();
        let mut window = self.window();
        window.roll(now);
        window.budget(now)
    }

    /// A new budget, starting a fresh window.
    pub fn set(&self, settings: LimitSettings) {
        *self.window() = Window {
            settings,
            start: None,
            used: 0,
        };
    }

    pub fn settings(&self) -> LimitSettings {
        self.window().settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_runs_out_and_a_refund_gives_one_back() {
        let limiter = Limiter::new(LimitSettings {
            limit: 2,
            window_seconds: 3600,
        });
        assert_eq!(limiter.charge().unwrap().remaining, 1);
        assert_eq!(limiter.charge().unwrap().remaining, 0);
        let spent = limiter.charge().unwrap_err();
        assert_eq!((spent.remaining, spent.used), (0, 2));
        assert!(spent.reset >= unix_now() + 3599);
        assert_eq!(limiter.refund().remaining, 1);
        assert!(limiter.charge().is_ok());
    }
}
