//! Connectors: where records' items live. The built-in connector keeps
//! them in our own database; the [`github`] connector keeps them as issues
//! in GitHub repositories. Every connector must pass the shared
//! [`conformance`] suite.
//!
//! A connector speaks in [`RecordFields`]: it maps its tool's items to
//! them and back. The sync engine calls it for edits made in Miro and
//! feeds what the tool reports through
//! [`SyncEngine::apply_source_change`](super::SyncEngine::apply_source_change),
//! which drops echoes of our own writes.

mod builtin;
pub mod conformance;
pub mod github;

use app::cards::{limits::TextLimits, RecordFields};
use async_trait::async_trait;

pub use builtin::{BuiltinConnector, BUILTIN};

/// How long the title and description of a record of `connector` may be
/// when it is saved with `fields`: what its tool holds (a GitHub issue
/// holds more than a record kept here). Decided from the stored record's
/// connector, never from what a browser says about the record.
pub fn save_limits(connector: &str, fields: &RecordFields) -> TextLimits {
    if connector == github::GITHUB {
        github::mapping::save_limits(fields)
    } else {
        TextLimits::BUILT_IN
    }
}

/// How long the title and description of an item of `connector`'s tool
/// may be as it arrives: what the tool holds.
pub fn arrival_limits(connector: &str) -> TextLimits {
    if connector == github::GITHUB {
        github::mapping::ARRIVAL_LIMITS
    } else {
        TextLimits::BUILT_IN
    }
}

/// An item in a connector's tool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceItem {
    pub external_id: String,
    pub fields: RecordFields,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("no item {0} in the tool")]
    NotFound(String),
    /// The tool refused the change (e.g. a field it cannot hold).
    #[error("the tool refused the change: {0}")]
    Refused(String),
    /// Worth retrying later.
    #[error("the tool is unavailable: {0}")]
    Unavailable(String),
}

/// A tool that holds records' items.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The name records of this connector carry (`builtin`, `github`).
    fn name(&self) -> &str;
    /// Creates an item; returns it as the tool keeps it.
    async fn create(
        &self,
        fields: &RecordFields,
        actor: &str,
    ) -> Result<SourceItem, ConnectorError>;
    /// The item, or `None` when it does not exist (any more).
    async fn fetch(&self, external_id: &str) -> Result<Option<SourceItem>, ConnectorError>;
    /// Replaces the item's fields; returns it as the tool keeps it.
    async fn update(
        &self,
        external_id: &str,
        fields: &RecordFields,
        actor: &str,
    ) -> Result<SourceItem, ConnectorError>;
    /// Deletes the item (its cards turn `disabled`).
    async fn delete(&self, external_id: &str, actor: &str) -> Result<(), ConnectorError>;
    /// Items whose title contains `query` (case-insensitive), at most `limit`.
    async fn search(&self, query: &str, limit: u32) -> Result<Vec<SourceItem>, ConnectorError>;
}
