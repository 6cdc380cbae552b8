//! The one state value every handler and server function can reach. Axum
//! hands it to handlers; leptos_axum also provides it as Leptos context.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{
    config::{Config, Mode},
    sandbox::Sandbox,
};

/// Shared, cheaply cloned application state.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// The built-in stand-in for Miro, in sandbox mode.
    pub sandbox: Option<Sandbox>,
}

impl AppState {
    /// Builds the state from a loaded configuration.
    pub fn new(config: Config) -> Self {
        let sandbox = match &config.mode {
            Mode::Sandbox(settings) => Some(Sandbox::new(settings.clone())),
            Mode::Miro { .. } => None,
        };
        Self {
            config: Arc::new(config),
            sandbox,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.config.leptos.clone()
    }
}
