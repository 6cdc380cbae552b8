//! The parts of GitHub's REST objects the connector reads and writes
//! (issue, label, user, milestone), as GitHub documents them. Reading is
//! lenient: fields the connector does not use are ignored, and optional
//! ones may be missing or null.

use serde::{Deserialize, Serialize};

/// An issue (or a pull request: the issues list returns both).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Issue {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`.
    #[serde(default)]
    pub state: String,
    /// `completed`, `not_planned`, `reopened`, `duplicate` or null.
    #[serde(default)]
    pub state_reason: Option<String>,
    #[serde(default)]
    pub labels: Vec<LabelRef>,
    #[serde(default)]
    pub assignee: Option<User>,
    #[serde(default)]
    pub assignees: Vec<User>,
    #[serde(default)]
    pub milestone: Option<Milestone>,
    #[serde(default)]
    pub html_url: String,
    /// When the issue last changed (RFC 3339).
    #[serde(default)]
    pub updated_at: String,
    /// The API address of the issue's repository; after a transfer it
    /// names the new one.
    #[serde(default)]
    pub repository_url: Option<String>,
    /// Present on pull requests only.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl Issue {
    pub fn label_names(&self) -> Vec<String> {
        self.labels
            .iter()
            .map(|label| match label {
                LabelRef::Object { name, .. } => name.clone(),
                LabelRef::Name(name) => name.clone(),
            })
            .collect()
    }

    /// Each label's colour as `#RRGGBB`, for labels that carry a valid one.
    pub fn label_colors(&self) -> Vec<(String, String)> {
        self.labels
            .iter()
            .filter_map(|label| match label {
                LabelRef::Object {
                    name,
                    color: Some(color),
                } if color.len() == 6 && color.chars().all(|c| c.is_ascii_hexdigit()) => {
                    Some((name.clone(), format!("#{}", color.to_ascii_uppercase())))
                }
                _ => None,
            })
            .collect()
    }

    /// `owner/name` of the issue's repository, from its API address.
    pub fn repository(&self) -> Option<&str> {
        let url = self.repository_url.as_deref()?;
        let (_, tail) = url.rsplit_once("/repos/")?;
        Some(tail.trim_end_matches('/'))
    }
}

/// A label as an issue carries it: an object, or (in some answers) only
/// its name.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum LabelRef {
    Object {
        name: String,
        /// Six hex digits, no `#`.
        #[serde(default)]
        color: Option<String>,
    },
    Name(String),
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct User {
    pub login: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Milestone {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    /// A date-time, or null for a milestone without a due date.
    #[serde(default)]
    pub due_on: Option<String>,
}

/// The body of `POST /repos/{owner}/{repo}/issues` and of
/// `PATCH …/issues/{number}`; a field left `None` is not sent.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IssueWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignees: Option<Vec<String>>,
    /// `Some(None)` is sent as null: no milestone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<Option<u64>>,
}
