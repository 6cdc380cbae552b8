//! The server's integration tests, in one binary: one build that links
//! the server once, one runtime per test, and the shared fixtures in
//! `support` (the sandbox server and its clients, the sync harness, the
//! OpenAPI validator). Each module is one area, run over real HTTP.

mod support;

mod board_costs;
mod cli_import;
mod config_refusals;
mod detail_view;
mod github;
mod github_details;
mod github_hostile;
mod github_writes;
mod hostile;
mod id_token;
mod install;
mod install_floods;
mod leases;
mod miro_client;
mod miro_client_resilience;
mod miro_oauth;
mod openapi_validator;
mod panel;
mod properties;
mod record_text;
mod refusal_logs;
mod router;
mod sandbox_contract;
mod sandbox_faults;
mod sandbox_guard;
mod sandbox_host;
mod sandbox_install;
mod sandbox_oauth;
mod scale_out;
mod soak;
mod store_contract;
mod store_migrations;
mod store_suite;
mod sync_crash;
mod sync_engine;
mod teams;
mod webhook_bound;
