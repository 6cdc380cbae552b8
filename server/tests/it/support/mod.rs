//! Shared test support for the integration tests (`tests/it`).

pub mod detail;
pub mod fleet;
pub mod html;
pub mod logs;
pub mod openapi;
pub mod panel;
pub mod postgres;
pub mod sandbox;
pub mod sync;

/// The one clock the tests read: UNIX seconds as the Miro client and the
/// sandbox's rate-limit headers count them.
pub fn unix_now() -> u64 {
    server::miro::unix_now_for_tests()
}

/// The running app's database, opened beside it, for what tests read that
/// the server itself does not (`SqlStore`'s own methods: the sync log,
/// a card's pending writes, the installations).
pub async fn store_of(state: &server::state::AppState) -> server::store::SqlStore {
    server::store::SqlStore::open(
        &state.config.database_url,
        server::store::SecretKey::generate(),
    )
    .await
    .expect("the app's database opens beside it")
}
