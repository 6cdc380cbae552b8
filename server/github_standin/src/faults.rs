//! Fault injection for tests, off by default. A plan has two parts:
//!
//! - **random shares** of REST requests answered 500, 502 or 503, or 403
//!   as a secondary rate limit (with `retry-after`), plus `latency_ms`
//!   added to every request; `seed` makes the sequence repeatable;
//! - a **script** of one-shot faults: `{"method": "PATCH", "path_suffix":
//!   "/issues/3", "nth": 1, "status": 500}` answers the nth request with
//!   that method whose path ends with `path_suffix` (counted from when the
//!   plan was set), then is spent. Statuses: 403 and 429 (secondary rate
//!   limit), 500, 502, 503.
//!
//! An injected answer is GitHub's error shape and the request is never
//! applied: nothing changes and no webhook goes out.

use std::{sync::Mutex, time::Duration};

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    pub rate_500: f64,
    pub rate_502: f64,
    pub rate_503: f64,
    /// A 403 secondary rate limit, as GitHub sends when a client is too
    /// quick, with `retry-after`.
    pub rate_403_rate_limit: f64,
    pub latency_ms: u64,
    /// The `retry-after` of injected rate limits; 1 when unset, so tests
    /// wait a second rather than GitHub's minute.
    pub retry_after_seconds: Option<u64>,
    pub seed: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<ScriptedFault>,
}

/// One scripted fault; `nth` counts from 1.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ScriptedFault {
    pub method: String,
    pub path_suffix: String,
    #[serde(default = "first")]
    pub nth: u32,
    pub status: u16,
}

fn first() -> u32 {
    1
}

const SCRIPTED_STATUSES: &[u16] = &[403, 429, 500, 502, 503];

impl FaultPlan {
    /// Refuses shares outside 0..=1 or adding up to more than 1, and
    /// scripted entries with `nth` 0 or a status not listed above.
    pub fn validate(&self) -> Result<(), String> {
        let shares = [
            ("rate_500", self.rate_500),
            ("rate_502", self.rate_502),
            ("rate_503", self.rate_503),
            ("rate_403_rate_limit", self.rate_403_rate_limit),
        ];
        for (name, share) in shares {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!("{name} must be between 0 and 1, not {share}"));
            }
        }
        let total: f64 = shares.iter().map(|(_, s)| s).sum();
        if total > 1.0 + 1e-9 {
            return Err(format!("the shares add up to {total}, more than 1"));
        }
        for (index, entry) in self.script.iter().enumerate() {
            if entry.nth == 0 {
                return Err(format!("script.{index}.nth: counts from 1"));
            }
            if !SCRIPTED_STATUSES.contains(&entry.status) {
                return Err(format!(
                    "script.{index}.status: {} is not one of {SCRIPTED_STATUSES:?}",
                    entry.status
                ));
            }
        }
        Ok(())
    }

    pub fn retry_after(&self) -> u64 {
        self.retry_after_seconds.unwrap_or(1)
    }
}

/// What happens to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    /// 403 or 429 with `retry-after`.
    SecondaryRateLimit(u16),
    /// 500, 502 or 503.
    ServerError(u16),
}

impl Fault {
    fn from_status(status: u16) -> Self {
        match status {
            403 | 429 => Fault::SecondaryRateLimit(status),
            other => Fault::ServerError(other),
        }
    }
}

#[derive(Debug)]
struct State {
    plan: FaultPlan,
    rng: StdRng,
    /// Per script entry: matching requests seen, and whether it fired.
    progress: Vec<(u32, bool)>,
}

impl State {
    fn new(plan: FaultPlan) -> Self {
        let rng = plan
            .seed
            .map_or_else(StdRng::from_entropy, StdRng::seed_from_u64);
        let progress = vec![(0, false); plan.script.len()];
        Self {
            plan,
            rng,
            progress,
        }
    }
}

/// The plan in force and how far its script has got.
#[derive(Debug)]
pub struct Faults(Mutex<State>);

impl Faults {
    pub fn new(plan: FaultPlan) -> Self {
        Self(Mutex::new(State::new(plan)))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn plan(&self) -> FaultPlan {
        self.state().plan.clone()
    }

    /// Replaces the plan (already validated); script counts start afresh.
    pub fn set(&self, plan: FaultPlan) {
        *self.state() = State::new(plan);
    }

    /// The fate of one request, and the latency to add before it.
    pub fn decide(&self, method: &str, path: &str) -> (Fault, Duration) {
        let mut state = self.state();
        let State {
            plan,
            rng,
            progress,
        } = &mut *state;
        // Rolled for every request, scripted or not, so a seeded sequence
        // does not depend on the script.
        let roll: f64 = rng.gen();
        let latency = Duration::from_millis(plan.latency_ms);
        let mut due = None;
        for (index, entry) in plan.script.iter().enumerate() {
            let (seen, fired) = &mut progress[index];
            if *fired
                || !entry.method.eq_ignore_ascii_case(method)
                || !path.ends_with(&entry.path_suffix)
            {
                continue;
            }
            *seen += 1;
            if due.is_none() && *seen >= entry.nth {
                due = Some(index);
            }
        }
        if let Some(index) = due {
            progress[index].1 = true;
            return (Fault::from_status(plan.script[index].status), latency);
        }
        let table = [
            (plan.rate_500, Fault::ServerError(500)),
            (plan.rate_502, Fault::ServerError(502)),
            (plan.rate_503, Fault::ServerError(503)),
            (plan.rate_403_rate_limit, Fault::SecondaryRateLimit(403)),
        ];
        let mut edge = 0.0;
        for (share, fault) in table {
            edge += share;
            if roll < edge {
                return (fault, latency);
            }
        }
        (Fault::None, latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(json: serde_json::Value) -> FaultPlan {
        let plan: FaultPlan = serde_json::from_value(json).unwrap();
        plan.validate().unwrap();
        plan
    }

    #[test]
    fn a_scripted_fault_answers_the_nth_match_once() {
        let faults = Faults::new(plan(serde_json::json!({
            "script": [{"method": "patch", "path_suffix": "/issues/3", "nth": 2, "status": 502}]
        })));
        let patch = |path: &str| faults.decide("PATCH", path).0;
        assert_eq!(faults.decide("GET", "/repos/o/r/issues/3").0, Fault::None);
        assert_eq!(patch("/repos/o/r/issues/3"), Fault::None);
        assert_eq!(patch("/repos/o/r/issues/4"), Fault::None);
        assert_eq!(patch("/repos/o/r/issues/3"), Fault::ServerError(502));
        assert_eq!(patch("/repos/o/r/issues/3"), Fault::None);
    }

    #[test]
    fn shares_are_honoured_and_bad_plans_refused() {
        let faults = Faults::new(plan(serde_json::json!({"rate_500": 0.3, "seed": 5})));
        let hits = (0..10_000)
            .filter(|_| faults.decide("GET", "/x").0 == Fault::ServerError(500))
            .count();
        assert!((2_700..3_300).contains(&hits), "{hits}");
        let refused = |json| {
            serde_json::from_value::<FaultPlan>(json)
                .unwrap()
                .validate()
        };
        assert!(refused(serde_json::json!({"rate_500": 0.6, "rate_502": 0.6})).is_err());
        assert!(refused(
            serde_json::json!({"script": [{"method": "GET", "path_suffix": "/x", "status": 418}]})
        )
        .is_err());
        assert!(serde_json::from_value::<FaultPlan>(serde_json::json!({"rate_404": 0.1})).is_err());
    }
}
