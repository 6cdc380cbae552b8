//! Configuration from the environment (a `.env` file is read too). Nothing
//! is required: with no variables set the app starts in sandbox mode on
//! `127.0.0.1:3000`. `.env.sample` lists every variable.

use leptos::config::{get_configuration, LeptosOptions};

use crate::ServerError;

/// Everything the server needs to know at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Leptos's own settings (`LEPTOS_*`): site address, asset folder,
    /// output name. cargo-leptos sets them when it runs the server.
    pub leptos: LeptosOptions,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ServerError> {
        let leptos = get_configuration(None)
            .map_err(|err| ServerError::Config(err.to_string()))?
            .leptos_options;
        Ok(Self { leptos })
    }
}
