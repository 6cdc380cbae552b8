//! How a GitHub issue and a record's fields stand for each other, as data
//! ([`Mapping`]) and two pure functions ([`Mapping::fields`] and
//! [`Mapping::desired`]), so the rules can be read in one place and
//! round-tripped in tests without a network.
//!
//! | record field  | GitHub                                                          |
//! |---------------|-----------------------------------------------------------------|
//! | `title`       | `title`                                                         |
//! | `description` | `body` (Markdown), without the hidden block below               |
//! | `status`      | `state` + `state_reason`, refined by a `status:<key>` label     |
//! | `labels`      | label names (status labels left out)                            |
//! | `assignee`    | the first of `assignees` (login), else the hidden block         |
//! | `due_date`    | the milestone's `due_on` as `YYYY-MM-DD`, else the hidden block |
//! | `custom`, `preview` | the hidden block (see below)                              |
//! | `source` (read-only) | `#number`, the repository, `html_url`, each label's `color` |
//!
//! **GitHub first.** An assignee who can be assigned in the repository
//! goes to `assignees`; a due date some milestone of the repository has
//! puts the issue in that milestone. A record's assignee that is not a
//! GitHub user of the repository ("sam from sales"), or a due date no
//! milestone has, is kept in the hidden block instead, so nothing typed on
//! a card is lost and the app never creates milestones or invites users.
//! Read back, what GitHub holds wins: an assignee or a dated milestone set
//! on GitHub replaces the hidden value. A milestone whose date contradicts
//! the record's due date is taken off the issue; one without a due date
//! stays.
//!
//! **Status.** GitHub has two states; the template has more statuses. The
//! rule, in order:
//! - a closed issue is [`Mapping::closed_status`] (`done`), or
//!   [`Mapping::not_planned_status`] when closed as `not_planned` (also
//!   `done` by default: the default template has no "won't do" status, and
//!   our writes never change the reason GitHub keeps, see below);
//! - an open issue with a label `status:<key>` naming one of the template's
//!   other statuses is that status (the first such label wins);
//! - any other open issue is [`Mapping::open_status`] (`todo`).
//!
//! Written back: the closed status closes the issue (no `state_reason` is
//! sent, so GitHub keeps the one it has, or sets `completed`); a distinct
//! not-planned status closes it as `not_planned`; the open status opens it
//! with no status label; any other status opens it with its
//! `status:<key>` label. A record label that starts with `status:` is
//! refused, since it would read back as a status.
//!
//! **Hidden block.** Custom fields and the card's own preview fields have
//! no home on GitHub. They travel at the very end of the body in an HTML
//! comment, `<!-- miro-cards:{json} -->`, which GitHub does not render and
//! the record's description never shows. `<`, `>` and `&` are written as
//! JSON `\u` escapes, so no value can close the comment early. The block is
//! left out when there is nothing to keep, so an issue the app never wrote
//! to keeps its body as it is.

use app::cards::{
    limits::TextLimits, CustomField, LabelColor, PreviewField, RecordFields, SourceDetails,
};
use serde::{Deserialize, Serialize};

use super::types::Issue;

/// Where the hidden block starts. Found at the end of the body only.
pub const HIDDEN_START: &str = "<!-- miro-cards:";
/// Where it ends.
pub const HIDDEN_END: &str = " -->";
/// GitHub's limit on an issue body, in characters.
pub const MAX_BODY_CHARS: usize = 65_536;
/// GitHub's limit on an issue title, in characters (its API refuses a
/// longer one: "title is too long (maximum is 256 characters)").
pub const MAX_TITLE_CHARS: usize = 256;

/// What an issue's record may hold as it comes from GitHub: all of what
/// GitHub holds.
pub const ARRIVAL_LIMITS: TextLimits = TextLimits {
    title: MAX_TITLE_CHARS,
    description: MAX_BODY_CHARS,
};

/// What an issue's record may hold when it is saved with `fields`, so that
/// writing it never needs a cut: GitHub's title limit, and the body's room
/// left by the hidden block its custom and preview fields need. (An
/// assignee or due date GitHub cannot hold goes there too; they are short,
/// and a body they would push past the limit is refused when written,
/// never cut.) Linear in the fields' length: one serialization.
pub fn save_limits(fields: &RecordFields) -> TextLimits {
    let hidden = Hidden {
        custom: fields.custom.clone(),
        preview: fields.preview.clone(),
        ..Hidden::default()
    };
    let block = if hidden.is_empty() {
        0
    } else {
        join_body("", &hidden).chars().count() + "\n\n".len()
    };
    TextLimits {
        title: MAX_TITLE_CHARS,
        description: MAX_BODY_CHARS.saturating_sub(block),
    }
}

/// The mapping's settings (what the module docs describe).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// An open issue without a status label.
    pub open_status: String,
    /// A closed issue.
    pub closed_status: String,
    /// An issue closed as `not_planned`.
    pub not_planned_status: String,
    /// Labels that name a status: this prefix and the status key.
    pub status_label_prefix: String,
    /// The template's status keys: only these are read from labels.
    pub statuses: Vec<String>,
}

impl Mapping {
    /// The default mapping for a template with these status keys: `todo`
    /// and `done`, or the template's first and last status when it has no
    /// such keys.
    pub fn for_statuses(statuses: Vec<String>) -> Self {
        let pick = |key: &str, fallback: Option<&String>| {
            if statuses.iter().any(|s| s == key) {
                key.to_owned()
            } else {
                fallback.cloned().unwrap_or_else(|| key.to_owned())
            }
        };
        let open_status = pick("todo", statuses.first());
        let closed_status = pick("done", statuses.last());
        Self {
            open_status,
            not_planned_status: closed_status.clone(),
            closed_status,
            status_label_prefix: "status:".to_owned(),
            statuses,
        }
    }
}

/// What the app keeps in the hidden block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hidden {
    /// An assignee GitHub cannot hold (see the module docs).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub assignee: String,
    /// A due date no milestone has.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub due_date: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomField>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preview: Vec<PreviewField>,
    /// The app deleted the item: the issue was closed as not planned and
    /// counts as gone until someone reopens it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl Hidden {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// An issue as the record's fields want it, before the milestone is
/// looked up (the connector turns `due_date` into a milestone number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desired {
    pub title: String,
    pub body: String,
    pub open: bool,
    /// `Some("not_planned")` when the status says so; otherwise nothing is
    /// sent and GitHub keeps (or picks) the reason.
    pub state_reason: Option<&'static str>,
    /// Label names, the status label last.
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    /// The due date a milestone should carry: `YYYY-MM-DD`, or "" for
    /// none (then a dated milestone is taken off).
    pub milestone_due: String,
}

/// Where the record's assignee and due date can go on GitHub (the
/// connector asks the repository).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// The assignee is a login that can be assigned in the repository.
    pub assignee_on_github: bool,
    /// A milestone of the repository is due on the due date.
    pub due_on_github: bool,
}

/// Fields GitHub cannot hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MappingError {
    #[error("a GitHub issue needs a title")]
    NoTitle,
    #[error("the label “{0}” looks like a status label (status:…); rename it")]
    StatusLikeLabel(String),
    #[error("the due date “{0}” is not a date (YYYY-MM-DD)")]
    BadDate(String),
    #[error(
        "the description is too long for a GitHub issue ({MAX_BODY_CHARS} characters at most)"
    )]
    TooLong,
}

impl Mapping {
    fn is_status_label(&self, name: &str) -> bool {
        name.len() >= self.status_label_prefix.len()
            && name.is_char_boundary(self.status_label_prefix.len())
            && name[..self.status_label_prefix.len()]
                .eq_ignore_ascii_case(&self.status_label_prefix)
    }

    /// The record's fields for an issue.
    pub fn fields(&self, issue: &Issue) -> RecordFields {
        let (description, hidden) = split_body(issue.body.as_deref().unwrap_or(""));
        let names = issue.label_names();
        let status = if issue.state == "closed" {
            if issue.state_reason.as_deref() == Some("not_planned") {
                self.not_planned_status.clone()
            } else {
                self.closed_status.clone()
            }
        } else {
            names
                .iter()
                .filter(|name| self.is_status_label(name))
                .map(|name| &name[self.status_label_prefix.len()..])
                .find(|key| {
                    self.statuses.iter().any(|s| s == key)
                        && *key != self.closed_status
                        && *key != self.not_planned_status
                })
                .map_or_else(|| self.open_status.clone(), str::to_owned)
        };
        let assignee = issue
            .assignees
            .first()
            .or(issue.assignee.as_ref())
            .map_or(hidden.assignee, |user| user.login.clone());
        let due_date = milestone_due(issue).unwrap_or(hidden.due_date);
        let labels: Vec<String> = names
            .into_iter()
            .filter(|name| !self.is_status_label(name))
            .collect();
        let label_colors = issue
            .label_colors()
            .into_iter()
            .filter(|(name, _)| labels.contains(name))
            .map(|(name, color)| LabelColor { name, color })
            .collect();
        let source = SourceDetails {
            tool: "GitHub".to_owned(),
            reference: format!("#{}", issue.number),
            location: issue.repository().unwrap_or_default().to_owned(),
            url: issue.html_url.clone(),
            label_colors,
        };
        RecordFields {
            title: issue.title.clone(),
            description,
            status,
            assignee,
            due_date,
            labels,
            custom: hidden.custom,
            preview: hidden.preview,
            source,
        }
    }

    /// The issue the record's fields want, with the assignee and due date
    /// placed as `placement` says.
    pub fn desired(
        &self,
        fields: &RecordFields,
        placement: Placement,
    ) -> Result<Desired, MappingError> {
        if fields.title.trim().is_empty() {
            return Err(MappingError::NoTitle);
        }
        if let Some(label) = fields.labels.iter().find(|l| self.is_status_label(l)) {
            return Err(MappingError::StatusLikeLabel(label.clone()));
        }
        if !fields.due_date.is_empty() && date_part(&fields.due_date).is_none() {
            return Err(MappingError::BadDate(fields.due_date.clone()));
        }
        let on_github = |value: &String, placed: bool| {
            if placed || value.is_empty() {
                (value.clone(), String::new())
            } else {
                (String::new(), value.clone())
            }
        };
        let (assignee, hidden_assignee) = on_github(&fields.assignee, placement.assignee_on_github);
        let (milestone_due, hidden_due) = on_github(&fields.due_date, placement.due_on_github);
        let hidden = Hidden {
            assignee: hidden_assignee,
            due_date: hidden_due,
            custom: fields.custom.clone(),
            preview: fields.preview.clone(),
            deleted: false,
        };
        let body = join_body(&fields.description, &hidden);
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(MappingError::TooLong);
        }
        let mut labels = fields.labels.clone();
        let (open, state_reason) = if fields.status == self.closed_status {
            (false, None)
        } else if fields.status == self.not_planned_status {
            (false, Some("not_planned"))
        } else {
            if fields.status != self.open_status {
                labels.push(format!("{}{}", self.status_label_prefix, fields.status));
            }
            (true, None)
        };
        Ok(Desired {
            title: fields.title.clone(),
            body,
            open,
            state_reason,
            labels,
            assignees: if assignee.is_empty() {
                Vec::new()
            } else {
                vec![assignee]
            },
            milestone_due,
        })
    }
}

/// The due date of the issue's milestone, if it has one with a date.
pub fn milestone_due(issue: &Issue) -> Option<String> {
    issue
        .milestone
        .as_ref()
        .and_then(|m| m.due_on.as_deref())
        .and_then(date_part)
}

/// `YYYY-MM-DD` from a date or a date-time that starts with one.
pub fn date_part(text: &str) -> Option<String> {
    let date = text.get(..10)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, format).ok()?;
    let rest = &text[10..];
    (rest.is_empty() || rest.starts_with('T')).then(|| date.to_owned())
}

/// The body for a description and what the hidden block keeps.
pub fn join_body(description: &str, hidden: &Hidden) -> String {
    if hidden.is_empty() {
        return description.to_owned();
    }
    let json = serde_json::to_string(hidden).expect("the hidden block always serializes");
    // In JSON these characters occur only inside strings, where the \u
    // escapes mean the same; escaped, no value can end the comment.
    let json = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let block = format!("{HIDDEN_START}{json}{HIDDEN_END}");
    if description.is_empty() {
        block
    } else {
        format!("{description}\n\n{block}")
    }
}

/// The description and the hidden block of a body. A block that does not
/// parse is left in the description, where a person can see it.
pub fn split_body(body: &str) -> (String, Hidden) {
    let trimmed = body.trim_end();
    let Some(start) = trimmed.rfind(HIDDEN_START) else {
        return (body.to_owned(), Hidden::default());
    };
    let Some(json) = trimmed[start + HIDDEN_START.len()..].strip_suffix(HIDDEN_END) else {
        return (body.to_owned(), Hidden::default());
    };
    let Ok(hidden) = serde_json::from_str::<Hidden>(json) else {
        return (body.to_owned(), Hidden::default());
    };
    let before = &body[..start];
    // The separator we write; GitHub's web editor may turn it into CRLFs.
    let description = before
        .strip_suffix("\n\n")
        .or_else(|| before.strip_suffix("\r\n\r\n"))
        .unwrap_or(before);
    (description.to_owned(), hidden)
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
