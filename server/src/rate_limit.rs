//! Limits on the calls that cost Miro calls (tickets, connects, saves, the
//! panel's board-wide work) and on installs, per user in a team (an
//! installation's tokens) or, where nobody is signed in yet, per client
//! address. Beyond a limit the answer is `429 Too Many Requests` with
//! `Retry-After`.
//!
//! Each limit is a token bucket: a burst, then a steady rate. They are
//! sized in Miro credits, against Miro's budget of
//! [`MIRO_CREDITS_PER_MINUTE`] per user and app, which a user's token
//! shares with the sync worker: one user flooding spends at most a few per
//! cent of the budget of anyone whose cards the flood reaches, while a
//! person never meets a limit (opening a card a second, in bursts of
//! dozens; saving every few seconds).
//!
//! - Calls whose cost is fixed are counted per call, each priced by
//!   [`Action::credits`]: a ticket's board check is one level-1 read (50),
//!   so 60 tickets a minute cost 3 %; a save writes one card (100) and is
//!   counted once whatever its record's fan-out, so 30 saves a minute cost
//!   3 %.
//! - Board-wide work whose cost grows with the board (re-sync: a read of
//!   every linked card and the write it may cause; retrying failed writes
//!   likewise) is charged its credits from one allowance per user,
//!   [`BOARD_WORK_CREDITS_PER_MINUTE`] a minute. What the allowance holds
//!   now falls due at once; the rest is paced out at the allowance's rate
//!   ([`RateLimits::reserve_credits`]), so a board of a thousand cards is
//!   re-synced over minutes, never in one burst, and the next board-wide
//!   call waits until that is paid for.
//!
//! The buckets live in this process: several instances each allow their
//! share (the limits stay far below Miro's either way).

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
    /// `/oauth/install`: an install started, per client address.
    Install,
    /// `/oauth/callback` without this browser's own signed state (an
    /// install Miro started, someone else's answer, a forgery), per client
    /// address: a code exchange at Miro at most.
    Callback,
    /// `/oauth/callback` with this browser's own state, per state: its
    /// start was counted already, and a state works once.
    OwnCallback,
    /// The panel's calls: searches, and writes that cost Miro calls (one
    /// bulk create is one call however many cards it adds).
    Panel,
    /// The panel's board-wide work, in credits (see the module docs).
    BoardWork,
}

/// Miro's budget per user and app, a minute (the figure third parties
/// report; Miro calls its limits subject to change, and the client follows
/// its `X-RateLimit-*` headers whatever they say).
pub const MIRO_CREDITS_PER_MINUTE: u32 = 100_000;
/// What a read (level 1) and a write (level 2) cost at Miro.
pub const READ_CREDITS: u32 = 50;
pub const WRITE_CREDITS: u32 = 100;
/// What one user's board-wide work may spend a minute: 5 % of the budget.
pub const BOARD_WORK_CREDITS_PER_MINUTE: u32 = MIRO_CREDITS_PER_MINUTE / 20;
/// What one card of a re-sync or a retry may cost: a read (the board may
/// differ from what was written), then a write.
pub const CARD_CHECK_CREDITS: u32 = READ_CREDITS + WRITE_CREDITS;

/// A bucket's size and how fast it refills.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    pub burst: u32,
    pub per_second: f64,
}

impl Action {
    /// What one call costs at Miro at most, in credits (`BoardWork` is
    /// charged by the credit; the panel's writes that add cards are priced
    /// to the user before they are sent, and spend their own budget).
    pub fn credits(self) -> u32 {
        match self {
            Action::Ticket => READ_CREDITS,
            Action::Connect => READ_CREDITS + WRITE_CREDITS,
            Action::Save => WRITE_CREDITS,
            // The code exchange is OAuth, not REST; the token's owner is
            // one read.
            Action::Install | Action::Callback | Action::OwnCallback => READ_CREDITS,
            Action::Panel => 0,
            Action::BoardWork => 1,
        }
    }

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
                per_second: 0.5,
            },
            Action::Install | Action::Callback => Rule {
                burst: 20,
                per_second: 0.2,
            },
            // A state's answer, its reload, and then a minute's wait.
            Action::OwnCallback => Rule {
                burst: 2,
                per_second: 1.0 / 60.0,
            },
            Action::Panel => Rule {
                burst: 120,
                per_second: 2.0,
            },
            Action::BoardWork => Rule {
                burst: BOARD_WORK_CREDITS_PER_MINUTE,
                per_second: f64::from(BOARD_WORK_CREDITS_PER_MINUTE) / 60.0,
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
        self.take(action, &user_key(user))
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
        self.with_bucket(action, who, now, |tokens| {
            if tokens >= 1.0 {
                (tokens - 1.0, Ok(()))
            } else {
                let wait = Duration::from_secs_f64((1.0 - tokens) / rule.per_second);
                (tokens, Err(RetryAfter(wait)))
            }
        })
    }

    /// Reserves `count` items of board-wide work costing `each` credits
    /// from `user`'s allowance, now; see [`RateLimits::reserve_credits_at`].
    pub fn reserve_credits(
        &self,
        user: &TokenKey,
        each: u32,
        count: u64,
    ) -> Result<Reservation, RetryAfter> {
        self.reserve_credits_at(&user_key(user), each, count, Instant::now())
    }

    /// Reserves `count` items costing `each` credits from `who`'s
    /// board-wide allowance at `now`: refused unless it pays for one item
    /// now. The items the allowance holds fall due at once, the rest one
    /// every [`Reservation::spacing`]; all are charged, so the allowance
    /// may be left owing, and the next reservation waits until it is paid.
    /// Give back what was not spent with [`RateLimits::refund_credits`].
    pub fn reserve_credits_at(
        &self,
        who: &str,
        each: u32,
        count: u64,
        now: Instant,
    ) -> Result<Reservation, RetryAfter> {
        if self.disabled {
            return Ok(Reservation::AT_ONCE);
        }
        let per_second = Action::BoardWork.rule().per_second;
        let each = f64::from(each.max(1));
        self.with_bucket(Action::BoardWork, who, now, |tokens| {
            if tokens < each {
                let wait = Duration::from_secs_f64((each - tokens) / per_second);
                return (tokens, Err(RetryAfter(wait)));
            }
            let reservation = Reservation {
                due_now: (tokens / each).floor() as u64,
                spacing: Duration::from_secs_f64(each / per_second),
            };
            (tokens - each * count as f64, Ok(reservation))
        })
    }

    /// Gives `credits` reserved and not spent back to `user`'s allowance.
    pub fn refund_credits(&self, user: &TokenKey, credits: u64) {
        self.refund_credits_at(&user_key(user), credits, Instant::now());
    }

    pub fn refund_credits_at(&self, who: &str, credits: u64, now: Instant) {
        if self.disabled || credits == 0 {
            return;
        }
        let burst = f64::from(Action::BoardWork.rule().burst);
        self.with_bucket(Action::BoardWork, who, now, |tokens| {
            ((tokens + credits as f64).min(burst), ())
        });
    }

    /// Runs `change` on `who`'s bucket for `action`, refilled to `now`
    /// (full if new): it returns the bucket's new tokens and the answer.
    fn with_bucket<T>(
        &self,
        action: Action,
        who: &str,
        now: Instant,
        change: impl FnOnce(f64) -> (f64, T),
    ) -> T {
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
        let (tokens, answer) = change(refilled(*bucket, rule, now));
        *bucket = Bucket { tokens, at: now };
        answer
    }
}

/// A signed-in user's key in the buckets.
fn user_key(user: &TokenKey) -> String {
    format!("{}/{}", user.team_id, user.user_id)
}

/// Board-wide work reserved: how many of its items fall due at once, and
/// how far apart the others.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reservation {
    pub due_now: u64,
    pub spacing: Duration,
}

impl Reservation {
    /// Everything at once (limits off).
    pub const AT_ONCE: Self = Self {
        due_now: u64::MAX,
        spacing: Duration::ZERO,
    };
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
    fn a_flood_of_any_call_spends_at_most_a_few_per_cent_of_a_minutes_budget() {
        let few_per_cent = f64::from(MIRO_CREDITS_PER_MINUTE) * 0.05;
        for action in [Action::Ticket, Action::Connect, Action::Save] {
            let rule = action.rule();
            let a_minute = rule.per_second * 60.0 * f64::from(action.credits());
            assert!(a_minute <= few_per_cent, "{action:?}: {a_minute} a minute");
        }
        let rule = Action::BoardWork.rule();
        assert!(rule.per_second * 60.0 <= few_per_cent);
        assert!(f64::from(rule.burst) <= few_per_cent);
    }

    #[test]
    fn board_work_is_due_as_far_as_the_allowance_pays_and_the_rest_paced() {
        let limits = RateLimits::new(true);
        let start = Instant::now();
        // A re-sync of 300 cards: what 5 % of a minute pays is due now,
        // the rest one card per 150 credits of refill.
        let reserved = limits
            .reserve_credits_at("u", CARD_CHECK_CREDITS, 300, start)
            .unwrap();
        assert_eq!(reserved.due_now, 33);
        assert!(
            (reserved.spacing.as_secs_f64() - 1.8).abs() < 1e-9,
            "{reserved:?}"
        );
        // The next waits until all of it is paid for: 45,000 credits less
        // the 5,000 held, at 5,000 a minute, and one card more.
        let wait = limits
            .reserve_credits_at("u", CARD_CHECK_CREDITS, 1, start)
            .unwrap_err();
        assert_eq!(wait.seconds(), 482);
        // Someone else has their own allowance.
        assert_eq!(
            limits
                .reserve_credits_at("v", CARD_CHECK_CREDITS, 1, start)
                .unwrap()
                .due_now,
            33
        );
        // Cards that merged into writes already queued cost nothing: given
        // back, they shorten the wait.
        limits.refund_credits_at("u", 290 * u64::from(CARD_CHECK_CREDITS), start);
        let reserved = limits
            .reserve_credits_at("u", CARD_CHECK_CREDITS, 1, start)
            .unwrap();
        assert_eq!(reserved.due_now, 23);
        // Given back never holds more than the allowance.
        limits.refund_credits_at("v", 1_000_000, start);
        let full = limits
            .reserve_credits_at("v", CARD_CHECK_CREDITS, 0, start)
            .unwrap();
        assert_eq!(full.due_now, 33);
    }

    #[test]
    fn a_person_resyncing_and_retrying_a_board_never_meets_the_allowance() {
        // A board of 30 linked cards re-synced every minute, and its two
        // failed writes retried every minute, for an hour.
        let limits = RateLimits::new(true);
        let start = Instant::now();
        for minute in 0..60u64 {
            let now = start + Duration::from_secs(minute * 60);
            let resync = limits
                .reserve_credits_at("u", CARD_CHECK_CREDITS, 30, now)
                .unwrap();
            assert!(resync.due_now >= 30, "minute {minute}: {resync:?}");
            limits
                .reserve_credits_at("u", CARD_CHECK_CREDITS, 2, now + Duration::from_secs(30))
                .unwrap();
        }
    }

    #[test]
    fn off_allows_everything() {
        let limits = RateLimits::new(false);
        let now = Instant::now();
        for _ in 0..10_000 {
            limits.take_at(Action::Save, "u", now).unwrap();
        }
        let all = limits
            .reserve_credits_at("u", CARD_CHECK_CREDITS, 1_000_000, now)
            .unwrap();
        assert_eq!(all, Reservation::AT_ONCE);
    }
}
