//! Miro's rate limiting: each (user, app) pair has a budget of credits per
//! minute; each request costs the credits of its endpoint's level (1 = 50,
//! 2 = 100, 3 = 500, 4 = 2000; bulk create costs level 2 per item). Every
//! answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset` (UNIX seconds when the budget refills); a request
//! the budget cannot pay is answered 429 `tooManyRequests`.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use http::{HeaderMap, HeaderValue, Method};
use serde::{Deserialize, Serialize};

/// Credits of each level.
pub const LEVEL_1: u32 = 50;
pub const LEVEL_2: u32 = 100;
pub const LEVEL_3: u32 = 500;
// Level 4 (2000 credits) has no endpoint among those the app uses.

/// The budget: how many credits per window, and how long a window is.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub credits_per_window: u32,
    pub window_seconds: u64,
}

impl Default for LimitSettings {
    /// Miro does not publish the global budget; 100,000 credits a minute
    /// is the figure third parties report.
    fn default() -> Self {
        Self {
            credits_per_window: 100_000,
            window_seconds: 60,
        }
    }
}

/// What the rate-limit headers say after a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub limit: u32,
    pub remaining: u32,
    pub reset: u64,
}

impl Budget {
    /// Writes the three `X-RateLimit-*` headers.
    pub fn write(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
    }
}

#[derive(Debug)]
struct Window {
    ends_at: u64,
    used: u32,
}

/// Per-(user, app) credit windows.
#[derive(Debug, Default)]
pub struct Limiter {
    settings: Mutex<LimitSettings>,
    windows: Mutex<HashMap<(String, String), Window>>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Limiter {
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            settings: Mutex::new(settings),
            windows: Mutex::default(),
        }
    }

    pub fn settings(&self) -> LimitSettings {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the budget and starts every window afresh.
    pub fn set_settings(&self, settings: LimitSettings) {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = settings;
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Charges `cost` credits to (user, app): `Ok` with the budget left, or
    /// `Err` with the exhausted budget (nothing charged).
    pub fn charge(&self, user_id: &str, client_id: &str, cost: u32) -> Result<Budget, Budget> {
        let settings = self.settings();
        let now = unix_now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows
            .entry((user_id.to_owned(), client_id.to_owned()))
            .or_insert(Window {
                ends_at: 0,
                used: 0,
            });
        if now >= window.ends_at {
            *window = Window {
                ends_at: now + settings.window_seconds.max(1),
                used: 0,
            };
        }
        let left = settings.credits_per_window.saturating_sub(window.used);
        let budget = |remaining| Budget {
            limit: settings.credits_per_window,
            remaining,
            reset: window.ends_at,
        };
        if cost > left {
            return Err(budget(left));
        }
        window.used += cost;
        Ok(budget(left - cost))
    }
}

/// The credits one request costs, by endpoint (path relative to the REST
/// base, e.g. `/v2/boards/b/app_cards`). Bulk create is charged per item
/// by the caller of this function.
pub fn cost(method: &Method, path: &str, has_tag_id: bool) -> u32 {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["v1", ..] => LEVEL_1,
        ["v2", "boards"] if *method == Method::POST => LEVEL_3,
        ["v2", "boards", _, "items", "bulk"] => LEVEL_2,
        ["v2", "boards", _, "items"] if has_tag_id => LEVEL_1,
        ["v2", "boards", _, "items", _] if has_tag_id => LEVEL_1,
        ["v2", "boards", _, "tags", ..] | ["v2", "boards", _, "items", _, "tags"] => LEVEL_1,
        ["v2", "boards", _, "items"] => LEVEL_2,
        ["v2", "boards", _, _, _] if *method == Method::DELETE => LEVEL_3,
        ["v2", "boards", _, _, ..] if *method == Method::GET => LEVEL_1,
        ["v2", "boards", _, _, ..] => LEVEL_2,
        _ => LEVEL_1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_the_endpoint_levels() {
        let b = "/v2/boards/uXjV=";
        assert_eq!(cost(&Method::GET, "/v2/boards", false), LEVEL_1);
        assert_eq!(cost(&Method::POST, "/v2/boards", false), LEVEL_3);
        assert_eq!(
            cost(&Method::GET, &format!("{b}/app_cards/1"), false),
            LEVEL_1
        );
        assert_eq!(
            cost(&Method::POST, &format!("{b}/app_cards"), false),
            LEVEL_2
        );
        assert_eq!(
            cost(&Method::PATCH, &format!("{b}/cards/1"), false),
            LEVEL_2
        );
        assert_eq!(
            cost(&Method::DELETE, &format!("{b}/app_cards/1"), false),
            LEVEL_3
        );
        assert_eq!(cost(&Method::GET, &format!("{b}/items"), false), LEVEL_2);
        assert_eq!(cost(&Method::GET, &format!("{b}/items"), true), LEVEL_1);
        assert_eq!(
            cost(&Method::DELETE, &format!("{b}/items/1"), false),
            LEVEL_3
        );
        assert_eq!(
            cost(&Method::DELETE, &format!("{b}/items/1"), true),
            LEVEL_1
        );
        assert_eq!(
            cost(&Method::PATCH, &format!("{b}/items/1"), false),
            LEVEL_2
        );
        assert_eq!(cost(&Method::POST, &format!("{b}/tags"), false), LEVEL_1);
    }

    #[test]
    fn a_window_refuses_what_it_cannot_pay_and_says_when_it_refills() {
        let limiter = Limiter::new(LimitSettings {
            credits_per_window: 120,
            window_seconds: 60,
        });
        let first = limiter.charge("u", "app", LEVEL_2).unwrap();
        assert_eq!((first.limit, first.remaining), (120, 20));
        assert!(first.reset >= unix_now() + 59);
        let refused = limiter.charge("u", "app", LEVEL_1).unwrap_err();
        assert_eq!(refused.remaining, 20);
        // Another app of the same user has its own budget.
        assert_eq!(limiter.charge("u", "other", LEVEL_1).unwrap().remaining, 70);
    }
}
