//! Shared test support for the integration tests (`tests/it`).

pub mod openapi;
pub mod sandbox;
pub mod sync;
