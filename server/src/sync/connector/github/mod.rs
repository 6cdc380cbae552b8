//! The GitHub Issues connector: records whose items are issues in the
//! configured repositories (`GITHUB_REPOSITORIES`), read and written over
//! GitHub's REST API ([`client`]) with the mapping in [`mapping`]; changes
//! made on GitHub arrive as signed webhooks ([`webhook`]).
//!
//! A record's `external_id` is `owner/name#number` (the repository as
//! configured), so the issue's number and repository are on the record,
//! and [`GitHubConnector::issue_url`] gives the link back.
//!
//! **New issues** are created in the first configured repository.
//!
//! **Deleting.** GitHub's REST API cannot delete an issue (only an admin,
//! through GraphQL, can; a token that could would be far too strong for
//! this app). [`Connector::delete`] therefore closes the issue as *not
//! planned* and marks it deleted in its hidden block (see [`mapping`]):
//! the issue stays on GitHub, readable by people, and the connector treats
//! it as gone (fetch gives `None`, search leaves it out) until someone
//! reopens it, which brings it back. Nothing the app does deletes
//! anything on GitHub.
//!
//! **Gone issues.** An issue that answers 404 or 410 (deleted), 301
//! (transferred elsewhere), that is a pull request, or that names another
//! repository, is not fetched.

pub mod client;
mod directory;
pub mod import;
pub mod mapping;
pub mod poll;
mod settings;
mod signature;
mod types;
pub mod webhook;

use std::{collections::HashMap, sync::Mutex};

use app::cards::RecordFields;
use async_trait::async_trait;

use self::{
    client::{ClientError, ClientSettings, GitHubClient},
    mapping::{split_body, Mapping},
    types::{Issue, IssueWrite},
};
use super::{Connector, ConnectorError, SourceItem};
use crate::miro::Secret;

pub use self::settings::{GitHubConfig, Repo, DEFAULT_API_URL};
pub use self::signature::{verify_signature, SignatureError};

/// The name GitHub records carry.
pub const GITHUB: &str = "github";

/// The largest body taken. `issues` and `label` payloads are a few KiB;
/// an issue body at GitHub's limit (65,536 characters) stays well under.
pub const WEBHOOK_LIMIT: usize = 1024 * 1024;
/// Bodies read at once before their signature is checked, in the app's
/// process: at most this many times [`WEBHOOK_LIMIT`] is held for them.
pub const UNSIGNED_BODIES: usize = 8;

/// The connector as the app holds it: the connector, the secret its
/// webhooks are signed with, and the bound on webhook bodies read before
/// their signature is checked (`web/github_webhook.rs`).
#[derive(Clone, Debug)]
pub struct GitHub {
    pub connector: std::sync::Arc<GitHubConnector>,
    pub webhook_secret: Secret,
    pub poll_interval: Option<std::time::Duration>,
    pub unsigned_bodies: std::sync::Arc<tokio::sync::Semaphore>,
}

impl GitHub {
    /// The connector for `config`, with the template's status keys.
    pub fn new(config: &GitHubConfig, statuses: Vec<String>) -> Result<Self, String> {
        Ok(Self {
            connector: std::sync::Arc::new(GitHubConnector::new(
                config,
                statuses,
                ClientSettings::default(),
            )?),
            webhook_secret: config.webhook_secret.clone(),
            poll_interval: config.poll_interval,
            unsigned_bodies: std::sync::Arc::new(tokio::sync::Semaphore::new(UNSIGNED_BODIES)),
        })
    }
}

/// Issues in the configured repositories.
pub struct GitHubConnector {
    client: GitHubClient,
    repositories: Vec<Repo>,
    mapping: Mapping,
    /// What each repository allows, by lower-case full name.
    directories: Mutex<HashMap<String, directory::Directory>>,
    /// Configured repositories GitHub answered 404 for: the token cannot
    /// see them (GitHub hides what a token may not read), or they were
    /// renamed or deleted.
    unseen: Mutex<std::collections::BTreeSet<String>>,
}

impl std::fmt::Debug for GitHubConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubConnector")
            .field("client", &self.client)
            .field("repositories", &self.repositories)
            .finish_non_exhaustive()
    }
}

impl GitHubConnector {
    /// A connector for `config`'s repositories (at least one), with the
    /// template's status keys.
    pub fn new(
        config: &GitHubConfig,
        statuses: Vec<String>,
        settings: ClientSettings,
    ) -> Result<Self, String> {
        if config.repositories.is_empty() {
            return Err("no repository to sync".to_owned());
        }
        Ok(Self {
            client: GitHubClient::new(&config.api_url, config.token.clone(), settings)?,
            repositories: config.repositories.clone(),
            mapping: Mapping::for_statuses(statuses),
            directories: Mutex::default(),
            unseen: Mutex::default(),
        })
    }

    /// What GitHub made of the token (the panel's health view shows
    /// "reconnect" when it was refused): refused at its last answer, or
    /// unable to see a configured repository, or else its last answer.
    pub fn token_access(&self) -> client::TokenAccess {
        let access = self.client.token_access();
        if matches!(access, client::TokenAccess::Refused(_)) {
            return access;
        }
        let unseen = self.unseen.lock().unwrap_or_else(|e| e.into_inner());
        if unseen.is_empty() {
            return access;
        }
        let names: Vec<&str> = unseen.iter().map(String::as_str).collect();
        client::TokenAccess::Refused(unseen_reason(&names.join(", ")))
    }

    /// Asks GitHub for each configured repository (a conditional GET, free
    /// when nothing changed), so [`Self::token_access`] tells a token that
    /// lost a repository from one that works.
    pub async fn check_access(&self) {
        for repo in &self.repositories {
            let answer = self.client.get::<serde_json::Value>(&repo.path()).await;
            self.note_seen(repo, &answer);
        }
    }

    /// Notes whether GitHub showed `repo` in an answer about it.
    fn note_seen<T>(&self, repo: &Repo, answer: &Result<T, ClientError>) {
        let mut unseen = self.unseen.lock().unwrap_or_else(|e| e.into_inner());
        match answer {
            Ok(_) => {
                unseen.remove(&repo.full_name());
            }
            Err(ClientError::NotFound) => {
                unseen.insert(repo.full_name());
            }
            Err(_) => {}
        }
    }

    /// The configured repositories.
    pub fn repositories(&self) -> &[Repo] {
        &self.repositories
    }

    /// The issues of `repo` changed at or after `since` (RFC 3339; `None`:
    /// every issue), the least recently changed first, paged to the end;
    /// each as its item, or `None` when it counts as gone (see the module
    /// docs).
    pub async fn changed_since(
        &self,
        repo: &Repo,
        since: Option<&str>,
    ) -> Result<Vec<Change>, ConnectorError> {
        let since: String = since
            .map(|since| {
                let since: String =
                    url::form_urlencoded::byte_serialize(since.as_bytes()).collect();
                format!("&since={since}")
            })
            .unwrap_or_default();
        let issues = self
            .client
            .list::<Issue>(&format!(
                "{}/issues?state=all&sort=updated&direction=asc&per_page=100{since}",
                repo.path()
            ))
            .await;
        self.note_seen(repo, &issues);
        let issues = issues.map_err(|error| match error {
            ClientError::NotFound => ConnectorError::Unavailable(unseen_reason(&repo.full_name())),
            other => connector_error(other),
        })?;
        Ok(issues
            .iter()
            .filter(|issue| issue.pull_request.is_none())
            .map(|issue| Change {
                external_id: Self::external_id(repo, issue.number),
                updated_at: issue.updated_at.clone(),
                item: is_live(repo, issue).then(|| self.item(repo, issue)),
            })
            .collect())
    }

    /// The configured repository `full_name` names, if any.
    pub fn repository(&self, full_name: &str) -> Option<&Repo> {
        self.repositories.iter().find(|repo| repo.is(full_name))
    }

    /// The external id of issue `number` of `repo`.
    pub fn external_id(repo: &Repo, number: u64) -> String {
        format!("{}#{number}", repo.full_name())
    }

    /// The repository and number of an external id, if it is one of ours.
    fn issue_ref(&self, external_id: &str) -> Option<(&Repo, u64)> {
        let (full_name, number) = external_id.rsplit_once('#')?;
        let number = number.parse().ok().filter(|n| *n > 0)?;
        Some((self.repository(full_name)?, number))
    }

    /// The issue's page on GitHub, from the API's own answer.
    pub async fn issue_url(&self, external_id: &str) -> Result<Option<String>, ConnectorError> {
        let Some((repo, number)) = self.issue_ref(external_id) else {
            return Ok(None);
        };
        Ok(self
            .live(repo, number)
            .await?
            .map(|issue| issue.html_url)
            .filter(|url| !url.is_empty()))
    }

    fn item(&self, repo: &Repo, issue: &Issue) -> SourceItem {
        SourceItem {
            external_id: Self::external_id(repo, issue.number),
            fields: self.mapping.fields(issue),
        }
    }

    fn issue_path(repo: &Repo, number: u64) -> String {
        format!("{}/issues/{number}", repo.path())
    }

    /// The issue, unless it is gone (see the module docs).
    async fn live(&self, repo: &Repo, number: u64) -> Result<Option<Issue>, ConnectorError> {
        let issue: Issue = match self.client.get(&Self::issue_path(repo, number)).await {
            Ok(issue) => issue,
            Err(ClientError::NotFound | ClientError::Moved) => return Ok(None),
            Err(error) => return Err(connector_error(error)),
        };
        Ok(is_live(repo, &issue).then_some(issue))
    }

    /// Sends a PATCH; a refusal forgets the repositories' users and
    /// milestones (one may be gone on GitHub), so the next attempt lists
    /// them again.
    async fn patch(
        &self,
        repo: &Repo,
        number: u64,
        write: &IssueWrite,
    ) -> Result<Issue, ConnectorError> {
        match self
            .client
            .patch(&Self::issue_path(repo, number), write)
            .await
        {
            Ok(issue) => Ok(issue),
            Err(ClientError::NotFound | ClientError::Moved) => {
                Err(ConnectorError::NotFound(Self::external_id(repo, number)))
            }
            Err(error) => {
                if matches!(error, ClientError::Invalid(_)) {
                    self.directory_cache().clear();
                }
                Err(connector_error(error))
            }
        }
    }
}

/// An issue that changed, as [`GitHubConnector::changed_since`] lists it.
#[derive(Clone, Debug)]
pub struct Change {
    pub external_id: String,
    /// GitHub's `updated_at` (RFC 3339).
    pub updated_at: String,
    /// `None` when the issue counts as gone.
    pub item: Option<SourceItem>,
}

/// Whether an issue counts as there (see the module docs).
fn is_live(repo: &Repo, issue: &Issue) -> bool {
    if issue.pull_request.is_some() {
        return false;
    }
    if let Some(url) = &issue.repository_url {
        let suffix = format!("/repos/{}", repo.full_name()).to_ascii_lowercase();
        if !url.to_ascii_lowercase().ends_with(&suffix) {
            return false;
        }
    }
    let deleted =
        issue.state == "closed" && split_body(issue.body.as_deref().unwrap_or("")).1.deleted;
    !deleted
}

/// Why repositories GitHub answers 404 for (`names`) cannot be synced.
fn unseen_reason(names: &str) -> String {
    format!("GitHub answers 404 for {names}: the token cannot see it, or it was renamed or deleted")
}

fn connector_error(error: ClientError) -> ConnectorError {
    match error {
        ClientError::NotFound | ClientError::Moved => {
            ConnectorError::NotFound("the issue is not on GitHub".to_owned())
        }
        ClientError::Invalid(message) => ConnectorError::Refused(message),
        ClientError::Unauthorized(_) | ClientError::Forbidden(_) => ConnectorError::Unavailable(
            "GitHub refused the app's token (GITHUB_TOKEN): it may have expired or lost access to \
             the repository"
                .to_owned(),
        ),
        other => ConnectorError::Unavailable(other.to_string()),
    }
}

#[async_trait]
impl Connector for GitHubConnector {
    fn name(&self) -> &str {
        GITHUB
    }

    async fn create(
        &self,
        fields: &RecordFields,
        _actor: &str,
    ) -> Result<SourceItem, ConnectorError> {
        let repo = &self.repositories[0];
        let (fields, placement, milestone) = self.place(repo, fields).await?;
        let desired = self
            .mapping
            .desired(&fields, placement)
            .map_err(|e| ConnectorError::Refused(e.to_string()))?;
        let write = IssueWrite {
            title: Some(desired.title),
            body: Some(desired.body),
            labels: Some(desired.labels),
            assignees: Some(desired.assignees),
            milestone: milestone.map(Some),
            ..IssueWrite::default()
        };
        let path = format!("{}/issues", repo.path());
        let mut issue: Issue = self
            .client
            .post(&path, &write)
            .await
            .map_err(connector_error)?;
        // An issue is created open; closing it is a second call.
        if !desired.open {
            let close = IssueWrite {
                state: Some("closed"),
                state_reason: desired.state_reason,
                ..IssueWrite::default()
            };
            issue = self.patch(repo, issue.number, &close).await?;
        }
        Ok(self.item(repo, &issue))
    }

    async fn fetch(&self, external_id: &str) -> Result<Option<SourceItem>, ConnectorError> {
        let Some((repo, number)) = self.issue_ref(external_id) else {
            return Ok(None);
        };
        Ok(self
            .live(repo, number)
            .await?
            .map(|issue| self.item(repo, &issue)))
    }

    async fn update(
        &self,
        external_id: &str,
        fields: &RecordFields,
        _actor: &str,
    ) -> Result<SourceItem, ConnectorError> {
        let not_found = || ConnectorError::NotFound(external_id.to_owned());
        let (repo, number) = self.issue_ref(external_id).ok_or_else(not_found)?;
        let current = self.live(repo, number).await?.ok_or_else(not_found)?;
        if self.mapping.fields(&current).same_content(fields) {
            // Nothing to change: no write, and no webhook echo.
            return Ok(self.item(repo, &current));
        }
        let (fields, placement, wanted) = self.place(repo, fields).await?;
        let mut desired = self
            .mapping
            .desired(&fields, placement)
            .map_err(|e| ConnectorError::Refused(e.to_string()))?;
        // Labels the record could not hold when the issue arrived (too
        // long, or past the most a record keeps) were never the record's
        // to remove: they stay on the issue.
        let labels = self.mapping.fields(&current).labels;
        let held = crate::sync::admit::held_labels(&labels);
        let kept: Vec<String> = labels
            .into_iter()
            .filter(|label| !held.contains(label) && !desired.labels.contains(label))
            .collect();
        desired.labels.splice(0..0, kept);
        let current_number = current.milestone.as_ref().map(|m| m.number);
        let milestone = match wanted {
            // The issue stays in its milestone when that is the one wanted.
            Some(number) if current_number == Some(number) => None,
            Some(number) => Some(Some(number)),
            // A dated milestone contradicts the record; an undated one stays.
            None if mapping::milestone_due(&current).is_some() => Some(None),
            None => None,
        };
        let write = IssueWrite {
            title: Some(desired.title),
            body: Some(desired.body),
            state: Some(if desired.open { "open" } else { "closed" }),
            state_reason: desired.state_reason,
            labels: Some(desired.labels),
            assignees: Some(desired.assignees),
            milestone,
        };
        let issue = self.patch(repo, number, &write).await?;
        Ok(self.item(repo, &issue))
    }

    async fn delete(&self, external_id: &str, _actor: &str) -> Result<(), ConnectorError> {
        let not_found = || ConnectorError::NotFound(external_id.to_owned());
        let (repo, number) = self.issue_ref(external_id).ok_or_else(not_found)?;
        let current = self.live(repo, number).await?.ok_or_else(not_found)?;
        let (description, mut hidden) = split_body(current.body.as_deref().unwrap_or(""));
        hidden.deleted = true;
        let write = IssueWrite {
            body: Some(mapping::join_body(&description, &hidden)),
            state: Some("closed"),
            state_reason: Some("not_planned"),
            ..IssueWrite::default()
        };
        self.patch(repo, number, &write).await?;
        Ok(())
    }

    async fn search(&self, query: &str, limit: u32) -> Result<Vec<SourceItem>, ConnectorError> {
        let query = query.to_lowercase();
        let mut found = Vec::new();
        for repo in &self.repositories {
            let issues: Vec<Issue> = self
                .client
                .list(&format!("{}/issues?state=all&per_page=100", repo.path()))
                .await
                .map_err(connector_error)?;
            found.extend(
                issues
                    .iter()
                    .filter(|issue| is_live(repo, issue))
                    .filter(|issue| issue.title.to_lowercase().contains(&query))
                    .map(|issue| self.item(repo, issue)),
            );
            if found.len() >= limit as usize {
                break;
            }
        }
        found.truncate(limit as usize);
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_name_a_configured_repository_and_a_number() {
        let config = GitHubConfig {
            repository_teams: Vec::new(),
            repositories: vec![Repo::parse("octo/one").unwrap()],
            token: Secret::new("t"),
            webhook_secret: Secret::new("s"),
            api_url: DEFAULT_API_URL.to_owned(),
            poll_interval: None,
        };
        let connector =
            GitHubConnector::new(&config, vec!["todo".to_owned()], ClientSettings::default())
                .unwrap();
        assert_eq!(
            connector
                .issue_ref("Octo/One#12")
                .map(|(r, n)| (r.full_name(), n)),
            Some(("octo/one".to_owned(), 12))
        );
        for bad in [
            "octo/one",
            "octo/one#",
            "octo/one#0",
            "octo/one#x",
            "other/repo#1",
            "",
        ] {
            assert!(connector.issue_ref(bad).is_none(), "{bad}");
        }
        let text = format!("{config:?}");
        assert!(!text.contains("\"t\"") && !text.contains("\"s\""), "{text}");
    }
}
