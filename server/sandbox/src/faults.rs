//! Fault injection for tests, off by default. Two kinds, which can be
//! combined:
//!
//! - **Random shares**: a share of REST requests answered 429, 500 or 503,
//!   connections dropped before or after the request took effect, added
//!   latency for every request, and slow answers for a share of them.
//!   `rate_409` answers a share of the operations whose spec lists 409
//!   (PATCH of an app card, a card or a sticky note) with `conflict`: the
//!   spec does not say when Miro sends it, so clients are tested against it
//!   by injection rather than by invented rules. `seed` makes the sequence
//!   repeatable.
//! - **Scripted one-shot faults** (`script`), for deterministic tests: each
//!   entry names a method, a path template and `nth`; the nth request
//!   matching both, counted from when the plan was set, is answered with
//!   the entry's status (403, 429, 500 or 503) in Miro's error shape
//!   without being applied, and the entry is spent. See [`ScriptedFault`].
//!
//! Set per run with `SANDBOX_FAULTS`, either compact
//! (`429=0.1,500=0.1,503=0.05,drop=0.05,drop_after=0.05,latency_ms=50,seed=7`)
//! or the plan as JSON (`{"script": [...]}`), or with
//! `PUT /sandbox/admin/faults` and the plan as JSON. Unknown members are
//! refused.

use std::{str::FromStr, sync::Mutex, time::Duration};

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// How often each fault happens (shares between 0 and 1, summing to at
/// most 1), how much latency every request gets, and the scripted faults.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    pub rate_429: f64,
    pub rate_500: f64,
    pub rate_503: f64,
    /// Only PATCH of app cards, cards and sticky notes; other requests
    /// ignore it.
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
    /// One-shot faults for given requests, checked before the shares: a
    /// request a scripted entry answers gets no random fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<ScriptedFault>,
}

/// One scripted fault, e.g.
/// `{"method": "POST", "path": "/v2/boards/{board_id}/app_cards", "nth": 2, "status": 500}`.
///
/// - `method`: the HTTP method, any case.
/// - `path`: a spec-style template relative to the REST base (`/v2/...`,
///   as the request log shows paths): each `{name}` matches exactly one
///   non-empty path segment, every other segment must equal the request's
///   (as sent, or percent-decoded, so `uXjVSandbox1=` matches
///   `uXjVSandbox1%3D`). The query string is not compared. A template
///   starting with `/sandbox/api` has that prefix dropped.
/// - `nth`: which matching request to answer (1, the default, is the
///   first), counting from when the plan was set. Every matching request
///   counts, whatever else happens to it.
/// - `status`: 403 (`forbiddenAccess`, e.g. "cannot write to this board"),
///   429 (`tooManyRequests`, with `X-RateLimit-Limit`,
///   `X-RateLimit-Remaining: 0` and a reset one second ahead), 500
///   (`internalError`) or 503 (`serviceUnavailable`).
///
/// Each entry fires once. When two entries are due on the same request,
/// the first in the list answers it; the other stays due and answers the
/// next request it matches.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ScriptedFault {
    pub method: String,
    pub path: String,
    #[serde(default = "first")]
    pub nth: u32,
    pub status: u16,
}

fn first() -> u32 {
    1
}

/// The statuses a scripted fault may answer with.
pub const SCRIPTED_STATUSES: &[u16] = &[403, 429, 500, 503];
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

impl ScriptedFault {
    fn validate(&self, index: usize) -> Result<(), String> {
        let at = format!("script.{index}");
        if !METHODS.contains(&self.method.to_ascii_uppercase().as_str()) {
            return Err(format!(
                "{at}.method: '{}' is not one of {METHODS:?}",
                self.method
            ));
        }
        if !self.path.starts_with('/') {
            return Err(format!(
                "{at}.path: '{}' must start with / (e.g. /v2/boards/{{board_id}}/app_cards)",
                self.path
            ));
        }
        if let Some(bad) = self
            .path
            .split('/')
            .find(|s| (s.contains('{') || s.contains('}')) && !is_placeholder(s))
        {
            return Err(format!(
                "{at}.path: '{bad}' is not a whole-segment placeholder such as {{item_id}}"
            ));
        }
        if self.nth == 0 {
            return Err(format!("{at}.nth: counts from 1"));
        }
        if !SCRIPTED_STATUSES.contains(&self.status) {
            return Err(format!(
                "{at}.status: {} is not one of {SCRIPTED_STATUSES:?}",
                self.status
            ));
        }
        Ok(())
    }

    /// Whether a request (`path` relative to the REST base) matches.
    fn matches(&self, method: &str, path: &str) -> bool {
        if !self.method.eq_ignore_ascii_case(method) {
            return false;
        }
        let template = self
            .path
            .strip_prefix(crate::REST_PREFIX)
            .unwrap_or(&self.path);
        let template: Vec<&str> = template.trim_end_matches('/').split('/').collect();
        let path: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        template.len() == path.len()
            && template.iter().zip(&path).all(|(want, got)| {
                if is_placeholder(want) {
                    !got.is_empty()
                } else {
                    want == got || *want == percent_decode(got)
                }
            })
    }

    fn fault(&self) -> Fault {
        match self.status {
            403 => Fault::Forbidden,
            429 => Fault::TooManyRequests,
            503 => Fault::Unavailable,
            // Validation lets only 500 through here.
            _ => Fault::ServerError,
        }
    }
}

/// `{name}`: a placeholder for one path segment.
fn is_placeholder(segment: &str) -> bool {
    segment.len() > 2
        && segment.starts_with('{')
        && segment.ends_with('}')
        && !segment[1..segment.len() - 1].contains(['{', '}'])
}

/// `%XX` escapes decoded (a malformed escape stays as it is).
pub(crate) fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What happens to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    Conflict,
    /// Only from a script: 403 `forbiddenAccess`.
    Forbidden,
    TooManyRequests,
    ServerError,
    Unavailable,
    DropBefore,
    DropAfter,
}

impl FaultPlan {
    /// Refuses shares outside 0..=1 or adding up to more than 1, and
    /// scripted entries with an unknown method or status, a path that is
    /// not a template, or `nth` 0.
    pub fn validate(&self) -> Result<(), String> {
        for (index, entry) in self.script.iter().enumerate() {
            entry.validate(index)?;
        }
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

    /// Parses `key=value` pairs separated by commas, or the plan as JSON
    /// (the only way to give a `script` here).
    fn from_str(text: &str) -> Result<Self, String> {
        if text.trim_start().starts_with('{') {
            let plan: FaultPlan =
                serde_json::from_str(text).map_err(|e| format!("not a fault plan: {e}"))?;
            plan.validate()?;
            return Ok(plan);
        }
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

/// The plan in force, its random source, and how far each scripted entry
/// has got.
#[derive(Debug)]
pub struct Faults {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    plan: FaultPlan,
    rng: StdRng,
    /// One per `plan.script` entry.
    script: Vec<Progress>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Progress {
    /// Matching requests seen since the plan was set.
    seen: u32,
    fired: bool,
}

/// The fate of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub fault: Fault,
    /// Added before the request is answered.
    pub latency: Duration,
    /// The index of the scripted entry that decided `fault`, if one did.
    pub script_entry: Option<usize>,
}

impl State {
    fn new(plan: FaultPlan) -> Self {
        let rng = plan
            .seed
            .map_or_else(StdRng::from_entropy, StdRng::seed_from_u64);
        let script = vec![Progress::default(); plan.script.len()];
        Self { plan, rng, script }
    }
}

impl Faults {
    pub fn new(plan: FaultPlan) -> Self {
        Self {
            state: Mutex::new(State::new(plan)),
        }
    }

    pub fn plan(&self) -> FaultPlan {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .plan
            .clone()
    }

    /// Replaces the plan (already validated); scripted counts start afresh.
    pub fn set(&self, plan: FaultPlan) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = State::new(plan);
    }

    /// Decides the fate of one request (`path` relative to the REST base)
    /// and its added latency; `can_conflict` says whether the request may
    /// be answered 409.
    pub fn decide(&self, method: &str, path: &str, can_conflict: bool) -> Decision {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let State { plan, rng, script } = &mut *state;
        // The dice are rolled for every request, scripted or not, so that a
        // seeded sequence stays the same whatever the script does.
        let roll: f64 = rng.gen();
        let slow = plan.rate_slow > 0.0 && rng.gen::<f64>() < plan.rate_slow;
        let extra = if slow { plan.slow_ms } else { 0 };
        let latency = Duration::from_millis(plan.latency_ms + extra);

        let mut due = None;
        for (index, (entry, progress)) in plan.script.iter().zip(script.iter_mut()).enumerate() {
            if progress.fired || !entry.matches(method, path) {
                continue;
            }
            progress.seen = progress.seen.saturating_add(1);
            if due.is_none() && progress.seen >= entry.nth {
                due = Some(index);
            }
        }
        if let Some(index) = due {
            script[index].fired = true;
            return Decision {
                fault: plan.script[index].fault(),
                latency,
                script_entry: Some(index),
            };
        }
        Decision {
            fault: plan.pick(roll, can_conflict),
            latency,
            script_entry: None,
        }
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
        let rolls: Vec<Fault> = (0..10_000)
            .map(|_| faults.decide("GET", "/v2/boards", false).fault)
            .collect();
        let share = |f| rolls.iter().filter(|r| **r == f).count() as f64 / 10_000.0;
        assert!((share(Fault::TooManyRequests) - 0.2).abs() < 0.02);
        assert!((share(Fault::Unavailable) - 0.1).abs() < 0.02);
        assert_eq!(share(Fault::DropAfter), 0.0);
    }

    #[test]
    fn conflicts_only_hit_requests_that_can_conflict() {
        let faults = Faults::new("409=1,seed=3".parse().unwrap());
        assert_eq!(faults.decide("GET", "/v2/boards", false).fault, Fault::None);
        assert_eq!(
            faults.decide("GET", "/v2/boards", true).fault,
            Fault::Conflict
        );
    }

    fn scripted(entries: &serde_json::Value) -> FaultPlan {
        let plan: FaultPlan = serde_json::from_value(serde_json::json!({ "script": entries }))
            .expect("a plan with a script");
        plan.validate().expect("a valid script");
        plan
    }

    #[test]
    fn a_scripted_entry_answers_the_nth_matching_request_once() {
        let faults = Faults::new(scripted(&serde_json::json!([
            {"method": "post", "path": "/v2/boards/{board_id}/app_cards", "nth": 2, "status": 500}
        ])));
        let create = |faults: &Faults, board: &str| {
            faults
                .decide("POST", &format!("/v2/boards/{board}/app_cards"), false)
                .fault
        };
        // Other methods and paths do not count.
        assert_eq!(
            faults
                .decide("GET", "/v2/boards/b1/app_cards/1", false)
                .fault,
            Fault::None
        );
        assert_eq!(
            faults.decide("POST", "/v2/boards/b1/cards", false).fault,
            Fault::None
        );
        assert_eq!(create(&faults, "b1"), Fault::None);
        let second = faults.decide("POST", "/v2/boards/b2/app_cards", false);
        assert_eq!(
            (second.fault, second.script_entry),
            (Fault::ServerError, Some(0))
        );
        assert_eq!(create(&faults, "b1"), Fault::None, "each entry fires once");
    }

    #[test]
    fn entries_due_together_fire_one_per_request_in_list_order() {
        let faults = Faults::new(scripted(&serde_json::json!([
            {"method": "PATCH", "path": "/v2/boards/{b}/items/{i}", "status": 429},
            {"method": "PATCH", "path": "/v2/boards/uXjV=/items/{i}", "status": 403},
        ])));
        let patch = |path: &str| faults.decide("PATCH", path, false);
        let first = patch("/v2/boards/uXjV%3D/items/7");
        assert_eq!(
            (first.fault, first.script_entry),
            (Fault::TooManyRequests, Some(0))
        );
        let second = patch("/v2/boards/uXjV%3D/items/7");
        assert_eq!(
            (second.fault, second.script_entry),
            (Fault::Forbidden, Some(1))
        );
        assert_eq!(patch("/v2/boards/uXjV%3D/items/7").fault, Fault::None);
    }

    #[test]
    fn setting_the_plan_again_restarts_the_counts() {
        let plan = scripted(&serde_json::json!([
            {"method": "GET", "path": "/sandbox/api/v2/boards", "status": 503}
        ]));
        let faults = Faults::new(plan.clone());
        assert_eq!(
            faults.decide("GET", "/v2/boards", false).fault,
            Fault::Unavailable
        );
        assert_eq!(faults.decide("GET", "/v2/boards", false).fault, Fault::None);
        faults.set(plan);
        assert_eq!(
            faults.decide("GET", "/v2/boards", false).fault,
            Fault::Unavailable
        );
    }

    #[test]
    fn bad_script_entries_are_refused_with_their_index() {
        let refused = |entry: serde_json::Value| {
            let plan: FaultPlan =
                serde_json::from_value(serde_json::json!({ "script": [entry] })).unwrap();
            plan.validate().unwrap_err()
        };
        let path = "/v2/boards";
        assert!(
            refused(serde_json::json!({"method": "GET", "path": path, "status": 418}))
                .starts_with("script.0.status")
        );
        assert!(
            refused(serde_json::json!({"method": "BREW", "path": path, "status": 500}))
                .starts_with("script.0.method")
        );
        assert!(
            refused(serde_json::json!({"method": "GET", "path": "v2/boards", "status": 500}))
                .starts_with("script.0.path")
        );
        assert!(refused(
            serde_json::json!({"method": "GET", "path": "/v2/boards/x{id}", "status": 500})
        )
        .starts_with("script.0.path"));
        assert!(refused(
            serde_json::json!({"method": "GET", "path": path, "nth": 0, "status": 500})
        )
        .starts_with("script.0.nth"));
        let unknown = serde_json::from_value::<FaultPlan>(serde_json::json!({
            "script": [{"method": "GET", "path": path, "status": 500, "times": 2}]
        }));
        assert!(unknown.is_err(), "unknown members are refused");
    }

    #[test]
    fn the_environment_takes_a_plan_as_json_too() {
        let plan: FaultPlan =
            r#"{"rate_500": 0.1, "script": [{"method": "GET", "path": "/v2/boards", "status": 429}]}"#
                .parse()
                .unwrap();
        assert_eq!((plan.rate_500, plan.script.len()), (0.1, 1));
        assert!(
            r#"{"script": [{"method": "GET", "path": "/v2/boards", "status": 200}]}"#
                .parse::<FaultPlan>()
                .is_err()
        );
    }
}
