//! The server's clock: UNIX seconds, as the store, tickets, sessions and
//! leases count time. One function, so every part reads the same clock.

/// UNIX seconds now.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
