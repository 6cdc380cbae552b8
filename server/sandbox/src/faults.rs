//! Fault injection for tests: a share of REST requests answered 429, 500
//! or 503, connections dropped before or after the request took effect,
//! added latency for every request, and slow answers for a share of them. `rate_409` answers a share of the two operations
//! whose spec lists 409 (PATCH of an app card or a card) with `conflict`:
//! the spec does not say when Miro sends it, so clients are tested against
//! it by injection rather than by invented rules. Off by default; set per run with `SANDBOX_FAULTS`
//! (e.g. `429=0.1,500=0.1,503=0.05,drop=0.05,drop_after=0.05,latency_ms=50,seed=7`)
//! or `PUT /sandbox/admin/faults` with the same fields as JSON.

use std::{str::FromStr, sync::Mutex, time::Duration};

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// How often each fault happens (shares between 0 and 1, summing to at
/// most 1) and how much latency every request gets.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    pub rate_429: f64,
    pub rate_500: f64,
    pub rate_503: f64,
    /// Only PATCH of app cards and cards; other requests ignore it.
    pub rate_409: f64,
    /// The connection is closed before the request is applied.
    pub drop_before: f64,
    /// The request is applied, then the connection is closed unanswered.
    pub drop_after: f64,
    pub latency_ms: u64,
    /// A share of requests answered `slow_ms` late (on top of any other
    /// fault they get).
    pub rate_slow: f64,
    pub slow_ms: u64,
    /// Makes the sequence of faults repeatable.
    pub seed: Option<u64>,
}

/// What happens to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    Conflict,
    TooManyRequests,
    ServerError,
    Unavailable,
    DropBefore,
    DropAfter,
}

impl FaultPlan {
    /// Refuses shares outside 0..=1 or adding up to more than 1.
    pub fn validate(&self) -> Result<(), String> {
        let shares = [
            ("rate_429", self.rate_429),
            ("rate_500", self.rate_500),
            ("rate_503", self.rate_503),
            ("rate_409", self.rate_409),
            ("drop_before", self.drop_before),
            ("drop_after", self.drop_after),
        ];
        if !(0.0..=1.0).contains(&self.rate_slow) {
            return Err(format!(
                "slow must be between 0 and 1, not {}",
                self.rate_slow
            ));
        }
        for (name, share) in shares {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!("{name} must be between 0 and 1, not {share}"));
            }
        }
        let total: f64 = shares.iter().map(|(_, s)| s).sum();
        if total > 1.0 + 1e-9 {
            return Err(format!("the shares add up to {total}, more than 1"));
        }
        Ok(())
    }

    fn pick(&self, roll: f64, can_conflict: bool) -> Fault {
        let table = [
            (
                if can_conflict { self.rate_409 } else { 0.0 },
                Fault::Conflict,
            ),
            (self.rate_429, Fault::TooManyRequests),
            (self.rate_500, Fault::ServerError),
            (self.rate_503, Fault::Unavailable),
            (self.drop_before, Fault::DropBefore),
            (self.drop_after, Fault::DropAfter),
        ];
        let mut edge = 0.0;
        for (share, fault) in table {
            edge += share;
            if roll < edge {
                return fault;
            }
        }
        Fault::None
    }
}

impl FromStr for FaultPlan {
    type Err = String;

    /// Parses `key=value` pairs separated by commas.
    fn from_str(text: &str) -> Result<Self, String> {
        let mut plan = FaultPlan::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("'{pair}' is not key=value"))?;
            let share = || {
                value
                    .parse::<f64>()
                    .map_err(|_| format!("{key}: '{value}' is not a number"))
            };
            match key.trim() {
                "429" => plan.rate_429 = share()?,
                "500" => plan.rate_500 = share()?,
                "503" => plan.rate_503 = share()?,
                "409" => plan.rate_409 = share()?,
                "drop" | "drop_before" => plan.drop_before = share()?,
                "drop_after" => plan.drop_after = share()?,
                "slow" => plan.rate_slow = share()?,
                "slow_ms" => plan.slow_ms = value.parse().map_err(|_| format!("slow_ms: '{value}' is not a whole number"))?,
                "latency_ms" => plan.latency_ms = value.parse().map_err(|_| format!("latency_ms: '{value}' is not a whole number"))?,
                "seed" => plan.seed = Some(value.parse().map_err(|_| format!("seed: '{value}' is not a whole number"))?),
                other => return Err(format!("unknown fault '{other}' (known: 409, 429, 500, 503, drop, drop_after, slow, slow_ms, latency_ms, seed)")),
            }
        }
        plan.validate()?;
        Ok(plan)
    }
}

/// The plan in force and its random source.
#[derive(Debug)]
pub struct Faults {
    state: Mutex<(FaultPlan, StdRng)>,
}

impl Faults {
    pub fn new(plan: FaultPlan) -> Self {
        let rng = Self::rng(&plan);
        Self {
            state: Mutex::new((plan, rng)),
        }
    }

    fn rng(plan: &FaultPlan) -> StdRng {
        plan.seed
            .map_or_else(StdRng::from_entropy, StdRng::seed_from_u64)
    }

    pub fn plan(&self) -> FaultPlan {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// Replaces the plan (already validated).
    pub fn set(&self, plan: FaultPlan) {
        let rng = Self::rng(&plan);
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = (plan, rng);
    }

    /// Decides the fate of one request and its added latency;
    /// `can_conflict` says whether the request may be answered 409.
    pub fn roll(&self, can_conflict: bool) -> (Fault, Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (plan, rng) = &mut *state;
        let roll: f64 = rng.gen();
        let slow = plan.rate_slow > 0.0 && rng.gen::<f64>() < plan.rate_slow;
        let extra = if slow { plan.slow_ms } else { 0 };
        (
            plan.pick(roll, can_conflict),
            Duration::from_millis(plan.latency_ms + extra),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_compact_form_and_refuses_nonsense() {
        let plan: FaultPlan = "429=0.1, 500=0.2,drop=0.05,latency_ms=30,seed=4"
            .parse()
            .unwrap();
        assert_eq!(plan.rate_429, 0.1);
        assert_eq!(plan.rate_500, 0.2);
        assert_eq!(plan.drop_before, 0.05);
        assert_eq!(plan.latency_ms, 30);
        assert_eq!(plan.seed, Some(4));
        let slow: FaultPlan = "slow=0.25,slow_ms=1500".parse().unwrap();
        assert_eq!((slow.rate_slow, slow.slow_ms), (0.25, 1500));
        assert!("slow=2".parse::<FaultPlan>().is_err());
        assert!("429=1.5".parse::<FaultPlan>().is_err());
        assert!("429=0.6,500=0.6".parse::<FaultPlan>().is_err());
        assert!("teapot=0.1".parse::<FaultPlan>().is_err());
    }

    #[test]
    fn shares_are_honoured_over_many_requests() {
        let faults = Faults::new("429=0.2,503=0.1,seed=11".parse().unwrap());
        let rolls: Vec<Fault> = (0..10_000).map(|_| faults.roll(false).0).collect();
        let share = |f| rolls.iter().filter(|r| **r == f).count() as f64 / 10_000.0;
        assert!((share(Fault::TooManyRequests) - 0.2).abs() < 0.02);
        assert!((share(Fault::Unavailable) - 0.1).abs() < 0.02);
        assert_eq!(share(Fault::DropAfter), 0.0);
    }

    #[test]
    fn conflicts_only_hit_requests_that_can_conflict() {
        let faults = Faults::new("409=1,seed=3".parse().unwrap());
        assert_eq!(faults.roll(false).0, Fault::None);
        assert_eq!(faults.roll(true).0, Fault::Conflict);
    }
}
