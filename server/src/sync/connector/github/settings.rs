//! The connector's settings: the repositories it syncs (checked, so a
//! name can go into a URL path as it is), the token and the webhook
//! secret (never printed), and where GitHub's API is.

use crate::miro::Secret;

/// GitHub's REST API, unless `GITHUB_API_URL` says otherwise.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// A repository, `owner/name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    pub owner: String,
    pub name: String,
}

impl Repo {
    /// Reads `owner/name`, allowing only the characters GitHub allows (so
    /// a repository can go into a URL path as it is).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (owner, name) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("'{text}' is not owner/name"))?;
        let owner_ok = !owner.is_empty()
            && owner.len() <= 39
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let name_ok = !name.is_empty()
            && name.len() <= 100
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if owner_ok && name_ok {
            Ok(Self {
                owner: owner.to_owned(),
                name: name.to_owned(),
            })
        } else {
            Err(format!("'{text}' is not a GitHub repository (owner/name)"))
        }
    }

    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Whether `full_name` names this repository (GitHub ignores case).
    pub fn is(&self, full_name: &str) -> bool {
        full_name.eq_ignore_ascii_case(&self.full_name())
    }

    /// The repository's REST path, `/repos/{owner}/{name}`.
    pub(super) fn path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }
}

/// The connector's settings (`GITHUB_*`). Prints without its secrets.
#[derive(Clone)]
pub struct GitHubConfig {
    pub repositories: Vec<Repo>,
    /// Repositories (`owner/name`) assigned to teams
    /// (`GITHUB_REPOSITORY_TEAMS`); one not listed is every allowed team's.
    pub repository_teams: Vec<(String, Vec<String>)>,
    pub token: Secret,
    pub webhook_secret: Secret,
    /// No trailing slash.
    pub api_url: String,
    /// How often the poll (`poll.rs`) looks for missed changes; `None`: never.
    pub poll_interval: Option<std::time::Duration>,
}

impl std::fmt::Debug for GitHubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubConfig")
            .field("repositories", &self.repositories)
            .field("repository_teams", &self.repository_teams)
            .field("token", &self.token)
            .field("webhook_secret", &self.webhook_secret)
            .field("api_url", &self.api_url)
            .field("poll_interval", &self.poll_interval)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_checked_before_they_reach_a_url() {
        assert_eq!(
            Repo::parse(" octo-org/hello.world_2 ").unwrap().full_name(),
            "octo-org/hello.world_2"
        );
        for bad in [
            "octo", "/x", "x/", "a/b/c", "a/..", "a b/c", "a/b?x", "a_b/c", "a/%2e",
        ] {
            assert!(Repo::parse(bad).is_err(), "{bad}");
        }
        assert!(Repo::parse("Octo/Repo").unwrap().is("octo/repo"));
    }
}
