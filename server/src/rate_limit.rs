//! Limits on the calls that cost Miro calls (tickets, connects, saves) and
//! on starting installs, per user in a team (an installation's tokens) or,
//! where nobody is signed in yet, per client address. Beyond a limit the
//! answer is `429 Too Many Requests` with `Retry-After`.
//!
//! Each limit is a token bucket: a burst, then a steady rate. They are
//! sized so that a person never meets them (opening a card a second, in
//! bursts of dozens) while one user flooding spends at most a few per cent
//! of the Miro budget their token shares with the sync worker: Miro gives
//! 100,000 credits a minute per user and app, and a ticket's board check
//! costs at most one level-1 call (50 credits), so 60 tickets a minute
//! cost 3 %. The buckets live in this process: several instances each
//! allow their share (the limits stay far below Miro's either way).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    http::{header::RETRY_AFTER, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

use crate::miro::TokenKey;

/// What is being limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `POST /miro/tickets`: a board check at Miro, then a ticket.
    Ticket,
    /// `POST /miro/cards/connect`: reads the card, makes a record, writes
    /// the card.
    Connect,
    /// `save_card`: a store write and a card PATCH.
    Save,
    /// `/oauth/install` and its callback: a code exchange at Miro.
    Install,
    /// The panel's calls: searches, and writes that cost Miro calls (one
    /// bulk create is one call however many cards it adds).
    Panel,
}

/// A bucket's size and how fast it refills.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    pub burst: u32,
    pub per_second: f64,
}

impl Action {
    /// The default rule: see the module's note on sizing.
    pub fn rule(self) -> Rule {
        match self {
            Action::Ticket => Rule {
                burst: 60,
                per_second: 1.0,
            },
            Action::Connect => Rule {
                burst: 20,
                per_second: 0.2,
            },
            Action::Save => Rule {
                burst: 60,
                per_second: 2.0,
            },
            Action::Install => Rule {
                burst: 20,
                per_second: 0.2,
            },
            Action::Panel => Rule {
                burst: 120,
                per_second: 2.0,
            },
        }
    }
}

/// Buckets beyond this many are pruned of full (idle) ones, so a flood
/// from many addresses cannot grow the map without end.
const PRUNE_AT: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The limits of one process. Cheap to clone; clones share buckets.
#[derive(Clone, Default)]
pub struct RateLimits {
    buckets: Arc<Mutex<HashMap<(Action, String), Bucket>>>,
    /// Off (`RATE_LIMITS=off`): for load benchmarks only.
    disabled: bool,
}

/// Refused: try again after this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, at least 1, as `Retry-After` wants them.
    pub fn seconds(self) -> u64 {
        self.0.as_secs_f64().ceil().max(1.0) as u64
    }
}

/// 429 with `Retry-After`, and a message in the app's JSON shape.
impl IntoResponse for RetryAfter {
    fn into_response(self) -> Response {
        let seconds = self.seconds();
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, seconds.to_string())],
            Json(serde_json::json!({
                "error": format!("Too many requests from you just now; try again in {seconds} s."),
                "retry_after": seconds,
            })),
        )
            .into_response()
    }
}

impl From<RetryAfter> for Response {
    fn from(limited: RetryAfter) -> Self {
        limited.into_response()
    }
}

impl RateLimits {
    pub fn new(enabled: bool) -> Self {
        Self {
            buckets: Arc::default(),
            disabled: !enabled,
        }
    }

    /// Takes one call of `action` for a signed-in user, now.
    pub fn take_for(&self, action: Action, user: &TokenKey) -> Result<(), RetryAfter> {
        self.take(action, &format!("{}/{}", user.team_id, user.user_id))
    }

    /// Takes one call of `action` for `who`, now.
    pub fn take(&self, action: Action, who: &str) -> Result<(), RetryAfter> {
        self.take_at(action, who, Instant::now())
    }

    /// Takes one call of `action` for `who` at `now` (tests pass their own
    /// instants).
    pub fn take_at(&self, action: Action, who: &str, now: Instant) -> Result<(), RetryAfter> {
        if self.disabled {
            return Ok(());
        }
        let rule = action.rule();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|(action, _), bucket| {
                let rule = action.rule();
                refilled(*bucket, rule, now) < f64::from(rule.burst)
            });
        }
        let bucket = buckets.entry((action, who.to_owned())).or_insert(Bucket {
            tokens: f64::from(rule.burst),
            at: now,
        });
        let tokens = refilled(*bucket, rule, now);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(RetryAfter(Duration::from_secs_f64(
                (1.0 - tokens) / rule.per_second,
            )))
        }
    }
}

fn refilled(bucket: Bucket, rule: Rule, now: Instant) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
    (bucket.tokens + elapsed * rule.per_second).min(f64::from(rule.burst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_served_then_refused_with_the_wait_until_the_next_call() {
        let limits = RateLimits::new(true);
        let start = Instant::now();
        let burst = Action::Ticket.rule().burst;
        for _ in 0..burst {
            limits.take_at(Action::Ticket, "u", start).unwrap();
        }
        let wait = limits.take_at(Action::Ticket, "u", start).unwrap_err();
        assert_eq!(wait.seconds(), 1);
        // Someone else, or another action, has their own bucket.
        limits.take_at(Action::Ticket, "v", start).unwrap();
        limits.take_at(Action::Save, "u", start).unwrap();
        // A second later one more is allowed, and only one.
        let later = start + Duration::from_secs(1);
        limits.take_at(Action::Ticket, "u", later).unwrap();
        assert!(limits.take_at(Action::Ticket, "u", later).is_err());
    }

    #[test]
    fn a_person_opening_and_saving_briskly_never_meets_a_limit() {
        // A card opened every 2 s and saved every 3 s for an hour, with a
        // burst of 40 quick opens at the start.
        let limits = RateLimits::new(true);
        let start = Instant::now();
        for _ in 0..40 {
            limits.take_at(Action::Ticket, "u", start).unwrap();
        }
        for second in 0..3600u64 {
            let now = start + Duration::from_secs(second);
            if second % 2 == 0 {
                limits.take_at(Action::Ticket, "u", now).unwrap();
            }
            if second % 3 == 0 {
                limits.take_at(Action::Save, "u", now).unwrap();
            }
        }
    }

    #[test]
    fn a_flood_gets_the_burst_and_then_the_steady_rate_only() {
        let limits = RateLimits::new(true);
        let start = Instant::now();
        let rule = Action::Ticket.rule();
        let mut served = 0;
        // 800 calls over 10 s.
        for i in 0..800u64 {
            let now = start + Duration::from_millis(i * 10_000 / 800);
            served += u32::from(limits.take_at(Action::Ticket, "u", now).is_ok());
        }
        let most = rule.burst + (10.0 * rule.per_second) as u32;
        assert!(served <= most, "{served} served, at most {most}");
        assert!(served >= rule.burst, "{served} served");
    }

    #[test]
    fn idle_buckets_are_pruned_when_many_accumulate() {
        let limits = RateLimits::new(true);
        let start = Instant::now();
        for i in 0..PRUNE_AT {
            limits
                .take_at(
                    Action::Install,
                    &format!("10.0.{}.{}", i / 256, i % 256),
                    start,
                )
                .unwrap();
        }
        // An hour on, every bucket is full again and goes at the next call.
        let later = start + Duration::from_secs(3600);
        limits.take_at(Action::Install, "10.9.9.9", later).unwrap();
        assert_eq!(limits.buckets.lock().unwrap().len(), 1);
    }

    #[test]
    fn off_allows_everything() {
        let limits = RateLimits::new(false);
        let now = Instant::now();
        for _ in 0..10_000 {
            limits.take_at(Action::Save, "u", now).unwrap();
        }
    }
}
