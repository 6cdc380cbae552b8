//! The server's integration tests, in one binary: one build that links
//! the server once, one runtime per test, and the shared fixtures in
//! `support` (the sandbox server and its clients, the sync harness, the
//! OpenAPI validator). Each module is one area, run over real HTTP.

mod support;

mod cli_import;
mod config_refusals;
mod detail_view;
mod github;
mod github_details;
mod github_writes;
mod hostile;
mod id_token;
mod install;
mod leases;
mod miro_client;
mod miro_client_resilience;
mod miro_oauth;
mod openapi_validator;
mod panel;
mod properties;
mod router;
mod sandbox_contract;
mod sandbox_faults;
mod sandbox_host;
mod sandbox_install;
mod sandbox_oauth;
mod scale_out;
mod soak;
mod store_suite;
mod sync_crash;
mod sync_engine;
