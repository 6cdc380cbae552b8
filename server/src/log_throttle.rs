//! Refusals logged at most once a minute per source, so a flood of bad
//! requests (forged ID tokens, mis-signed webhook deliveries) cannot fill
//! the log: [`LogThrottle::admit`] says whether this refusal gets its line
//! and, when it does, how many from the same source went unlogged since the
//! last one. A source is the client's address ([`ClientAddress`]).
//!
//! Memory stays bounded under a flood from many addresses: at most
//! [`SOURCES`] addresses are remembered, those whose minute is over are
//! forgotten first (what they had left unlogged joins the count of the
//! "other sources"), and past that every further address shares that one
//! "other sources" line a minute. So however many addresses send, one kind
//! of refusal logs at most `SOURCES + 1` lines a minute.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::client_address::ClientAddress;

/// How many addresses one throttle remembers.
pub const SOURCES: usize = 256;

/// How often one source's refusals are logged.
pub const EVERY: Duration = Duration::from_secs(60);

/// One kind of refusal's log lines, limited per source (cheap to clone:
/// clones share their memory).
#[derive(Clone, Default)]
pub struct LogThrottle(Arc<Mutex<Sources>>);

#[derive(Default)]
struct Sources {
    known: HashMap<IpAddr, Quiet>,
    /// Addresses past [`SOURCES`], and no address at all.
    others: Quiet,
}

/// When a source's line was last logged and what it has had unlogged since.
#[derive(Clone, Copy, Default)]
struct Quiet {
    logged_at: Option<Instant>,
    unlogged: u64,
}

impl Quiet {
    /// `Some(unlogged)` if a line may be logged at `now` (and it counts as
    /// logged), else `None` (and this one counts as unlogged).
    fn admit(&mut self, now: Instant) -> Option<u64> {
        if self.logged_at.is_some_and(|at| now < at + EVERY) {
            self.unlogged += 1;
            return None;
        }
        self.logged_at = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }
}

impl LogThrottle {
    /// Whether a refusal from `source` at `now` gets its log line: `Some(n)`
    /// with the `n` refusals from that source left unlogged since its last
    /// line, or `None` to log nothing.
    pub fn admit(&self, source: Option<IpAddr>, now: Instant) -> Option<u64> {
        let mut sources = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Sources { known, others } = &mut *sources;
        let Some(address) = source else {
            return others.admit(now);
        };
        if !known.contains_key(&address) && known.len() >= SOURCES {
            // Forget the addresses whose minute is over; what they left
            // unlogged is reported with the other sources' next line.
            known.retain(|_, quiet| {
                let current = quiet.logged_at.is_some_and(|at| now < at + EVERY);
                if !current {
                    others.unlogged += quiet.unlogged;
                }
                current
            });
            if known.len() >= SOURCES {
                return others.admit(now);
            }
        }
        known.entry(address).or_default().admit(now)
    }

    /// [`admit`](Self::admit) now.
    pub fn admit_now(&self, source: ClientAddress) -> Option<u64> {
        self.admit(source.0, Instant::now())
    }

    /// How many addresses it remembers.
    pub fn remembered(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).known.len()
    }
}

/// The refusals whose log lines are throttled.
#[derive(Clone, Default)]
pub struct RefusalLogs {
    /// ID tokens that do not verify (`POST /miro/tickets` and friends).
    pub id_tokens: LogThrottle,
    /// Webhook deliveries without a valid signature.
    pub webhook_signatures: LogThrottle,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(n: u32) -> Option<IpAddr> {
        Some(IpAddr::from(n.to_be_bytes()))
    }

    #[test]
    fn one_line_a_minute_per_source_then_the_count_left_unlogged() {
        let throttle = LogThrottle::default();
        let start = Instant::now();
        assert_eq!(throttle.admit(address(1), start), Some(0));
        for second in 1..60 {
            let at = start + Duration::from_secs(second);
            assert_eq!(throttle.admit(address(1), at), None, "{second} s");
        }
        // Another source has a minute of its own.
        assert_eq!(throttle.admit(address(2), start + EVERY / 2), Some(0));
        assert_eq!(throttle.admit(address(1), start + EVERY), Some(59));
        assert_eq!(throttle.admit(address(1), start + EVERY), None);
        assert_eq!(throttle.admit(address(1), start + EVERY * 3), Some(1));
    }

    #[test]
    fn a_flood_from_many_addresses_stays_within_its_memory_and_lines() {
        let throttle = LogThrottle::default();
        let start = Instant::now();
        let lines = (0..100_000)
            .filter(|&n| throttle.admit(address(n), start).is_some())
            .count();
        assert_eq!(throttle.remembered(), SOURCES);
        assert_eq!(
            lines,
            SOURCES + 1,
            "one line per remembered address, one for the rest"
        );
        // A minute on, the old addresses are forgotten to make room.
        let later = start + EVERY;
        assert_eq!(throttle.admit(address(200_000), later), Some(0));
        assert_eq!(throttle.remembered(), 1);
        // What the addresses past the table left unlogged was counted: it
        // comes with the other sources' next line.
        for n in 1..SOURCES as u32 {
            assert_eq!(throttle.admit(address(200_000 + n), later), Some(0));
        }
        let others_unlogged = 100_000 - SOURCES as u64 - 1;
        assert_eq!(
            throttle.admit(address(300_000), later),
            Some(others_unlogged)
        );
    }

    #[test]
    fn requests_without_an_address_share_one_line() {
        let throttle = LogThrottle::default();
        let now = Instant::now();
        assert_eq!(throttle.admit(None, now), Some(0));
        assert_eq!(throttle.admit(None, now), None);
        assert_eq!(throttle.admit(address(7), now), Some(0));
    }
}
