//! Which Miro teams may use this deployment, and which records each of
//! them reaches.
//!
//! Every record has a *scope* (the store's `records.scope`):
//! - `team:<team id>`: a record made here (in the panel, by connecting a
//!   card, the sandbox's samples) belongs to the team of the installation
//!   that made it;
//! - `github:<owner/name>`: an issue's record belongs to its repository,
//!   which the configuration assigns to teams (`GITHUB_REPOSITORY_TEAMS`);
//!   a repository it does not name is shared by every allowed team.
//!
//! A team reaches its own scope and the scopes of the repositories assigned
//! to it ([`Reach`]). The store answers searches only within a caller's
//! reach, and every use of a single record checks [`Reach::includes`], so
//! a user who can open one board finds and changes only their team's
//! records. Which teams may install the app at all is
//! `MIRO_ALLOWED_TEAMS` ([`Teams::allows`]).

use std::sync::Arc;

use crate::miro::TokenKey;

const TEAM_PREFIX: &str = "team:";
const GITHUB_PREFIX: &str = "github:";

/// The scope of the records `team_id` makes.
pub fn team_scope(team_id: &str) -> String {
    format!("{TEAM_PREFIX}{team_id}")
}

/// The scope of a GitHub repository's records (`owner/name`; GitHub
/// ignores case, so neither does the scope).
pub fn repository_scope(full_name: &str) -> String {
    format!("{GITHUB_PREFIX}{}", full_name.to_ascii_lowercase())
}

/// The scope of a GitHub record, from its external id `owner/name#number`;
/// "" (nobody's) for one that is not.
pub fn issue_scope(external_id: &str) -> String {
    match external_id.rsplit_once('#') {
        Some((full_name, _)) if !full_name.is_empty() => repository_scope(full_name),
        _ => String::new(),
    }
}

/// The teams of this deployment. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Teams(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// The teams that may install and use the app; `None`: any team (the
    /// sandbox only, where every team is the sandbox's own).
    allowed: Option<Vec<String>>,
    /// Each GitHub repository's scope and the teams it is assigned to
    /// (`None`: every allowed team).
    repositories: Vec<(String, Option<Vec<String>>)>,
}

impl Teams {
    /// `allowed` teams (`None`: any), and the GitHub repositories
    /// (`owner/name`) with the teams each is assigned to (`None`: all).
    pub fn new(
        allowed: Option<Vec<String>>,
        repositories: &[(String, Option<Vec<String>>)],
    ) -> Self {
        Self(Arc::new(Inner {
            allowed,
            repositories: repositories
                .iter()
                .map(|(name, teams)| (repository_scope(name), teams.clone()))
                .collect(),
        }))
    }

    /// Whether `team_id` may install and use the app.
    pub fn allows(&self, team_id: &str) -> bool {
        self.0
            .allowed
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|team| team == team_id))
    }

    /// The allowed teams, when they are listed.
    pub fn allowed(&self) -> Option<&[String]> {
        self.0.allowed.as_deref()
    }

    /// What `user`'s team reaches; nothing for a team that is not allowed.
    pub fn reach(&self, user: &TokenKey) -> Reach {
        let team_id = user.team_id.clone();
        if !self.allows(&team_id) {
            return Reach {
                team_id,
                scopes: Vec::new(),
            };
        }
        let mut scopes = vec![team_scope(&team_id)];
        scopes.extend(
            self.0
                .repositories
                .iter()
                .filter(|(_, teams)| teams.as_ref().is_none_or(|teams| teams.contains(&team_id)))
                .map(|(scope, _)| scope.clone()),
        );
        Reach { team_id, scopes }
    }
}

/// The records one team reaches: their scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reach {
    pub team_id: String,
    /// Never empty for an allowed team (its own scope comes first).
    pub scopes: Vec<String>,
}

impl Reach {
    /// Whether a record of `scope` is within reach.
    pub fn includes(&self, scope: &str) -> bool {
        self.scopes.iter().any(|mine| mine == scope)
    }

    /// The scope of the records this team makes.
    pub fn own_scope(&self) -> String {
        team_scope(&self.team_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(team: &str) -> TokenKey {
        TokenKey {
            user_id: "u".to_owned(),
            team_id: team.to_owned(),
        }
    }

    #[test]
    fn a_team_reaches_its_own_records_and_its_repositories_only() {
        let teams = Teams::new(
            Some(vec!["1".to_owned(), "2".to_owned()]),
            &[
                ("Octo/Roadmap".to_owned(), None),
                ("octo/payroll".to_owned(), Some(vec!["2".to_owned()])),
            ],
        );
        let one = teams.reach(&user("1"));
        assert_eq!(one.scopes, ["team:1", "github:octo/roadmap"]);
        assert!(one.includes(&issue_scope("octo/ROADMAP#4")));
        assert!(!one.includes(&issue_scope("octo/payroll#1")));
        assert!(!one.includes("team:2"));
        assert!(!one.includes(""), "a record of no team is nobody's");
        let two = teams.reach(&user("2"));
        assert!(two.includes("github:octo/payroll") && two.includes("github:octo/roadmap"));
        // A team that is not allowed reaches nothing at all.
        assert!(!teams.allows("3"));
        assert!(teams.reach(&user("3")).scopes.is_empty());
    }

    #[test]
    fn without_a_list_every_team_is_allowed_and_shares_the_repositories() {
        let teams = Teams::new(None, &[("octo/roadmap".to_owned(), None)]);
        assert!(teams.allows("anything"));
        assert_eq!(
            teams.reach(&user("9")).scopes,
            ["team:9", "github:octo/roadmap"]
        );
        assert_eq!(issue_scope("no-number"), "");
        assert_eq!(issue_scope("#1"), "");
    }
}
