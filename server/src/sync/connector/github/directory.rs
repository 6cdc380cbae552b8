//! What a repository allows the connector to place on an issue: the users
//! who can be assigned and the milestones that have a due date, listed at
//! most once a minute per repository (two list calls, conditional, so
//! mostly free). See [`super::mapping`] for why: an assignee or a due
//! date GitHub cannot hold goes to the hidden block instead.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use app::cards::RecordFields;

use super::{
    connector_error,
    mapping::{self, Placement},
    types::{Milestone, User},
    GitHubConnector, Repo,
};
use crate::sync::connector::ConnectorError;

/// How long a repository's assignees and milestones are taken as listed.
const DIRECTORY_TTL: Duration = Duration::from_secs(60);

/// A repository's assignable users and its milestones with a due date.
#[derive(Clone, Debug)]
pub(super) struct Directory {
    listed: Instant,
    assignees: Vec<String>,
    /// `(YYYY-MM-DD, number)`, in GitHub's order.
    milestones: Vec<(String, u64)>,
}

impl GitHubConnector {
    /// The repository's assignable users and dated milestones, listed at
    /// most once a minute.
    async fn directory(&self, repo: &Repo) -> Result<Directory, ConnectorError> {
        let key = repo.full_name().to_ascii_lowercase();
        if let Some(known) = self.directory_cache().get(&key) {
            if known.listed.elapsed() < DIRECTORY_TTL {
                return Ok(known.clone());
            }
        }
        let users: Vec<User> = self
            .client
            .list(&format!("{}/assignees?per_page=100", repo.path()))
            .await
            .map_err(connector_error)?;
        let milestones: Vec<Milestone> = self
            .client
            .list(&format!(
                "{}/milestones?state=all&per_page=100",
                repo.path()
            ))
            .await
            .map_err(connector_error)?;
        let directory = Directory {
            listed: Instant::now(),
            assignees: users.into_iter().map(|u| u.login).collect(),
            milestones: milestones
                .into_iter()
                .filter_map(|m| Some((m.due_on.as_deref().and_then(mapping::date_part)?, m.number)))
                .collect(),
        };
        self.directory_cache().insert(key, directory.clone());
        Ok(directory)
    }

    pub(super) fn directory_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Directory>> {
        self.directories.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the fields' assignee and due date go on `repo`: the fields
    /// with the assignee spelled as GitHub spells the login, the
    /// placement, and the milestone due on the due date.
    pub(super) async fn place(
        &self,
        repo: &Repo,
        fields: &RecordFields,
    ) -> Result<(RecordFields, Placement, Option<u64>), ConnectorError> {
        let mut fields = fields.clone();
        if fields.assignee.is_empty() && fields.due_date.is_empty() {
            return Ok((fields, Placement::default(), None));
        }
        let directory = self.directory(repo).await?;
        let login = directory
            .assignees
            .iter()
            .find(|login| login.eq_ignore_ascii_case(&fields.assignee));
        if let Some(login) = login {
            fields.assignee.clone_from(login);
        }
        let milestone = directory
            .milestones
            .iter()
            .find(|(due, _)| *due == fields.due_date)
            .map(|(_, number)| *number);
        let placement = Placement {
            assignee_on_github: login.is_some(),
            due_on_github: milestone.is_some(),
        };
        Ok((fields, placement, milestone))
    }
}
