//! Errors that stop the server from starting or serving. Request-level
//! errors get their own types next to the code that raises them.

use std::net::SocketAddr;

/// Why the server could not start or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A setting is missing or malformed; the message names the variable.
    #[error("configuration: {0}")]
    Config(String),
    /// The store could not be opened or migrated.
    #[error("store: {0}")]
    Store(String),
    /// The listening socket could not be opened (port taken, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}
