//! What the stand-in knows: its repositories, with their issues, labels and
//! milestones, and what became of issues that were deleted or transferred.
//! Plain data, no HTTP: the REST handlers, the admin routes and the seed
//! all change it under one lock.

use std::collections::BTreeMap;

use time::OffsetDateTime;

/// The user the configured token belongs to: REST changes are made by them.
pub const TOKEN_OWNER: &str = "octocat";

/// Who else works on the repositories: assignable, and the default author
/// of admin edits ("someone on GitHub").
pub const COLLABORATORS: &[&str] = &["octocat", "hubot", "monalisa", "codertocat"];

/// The default sender of an admin edit.
pub const SOMEONE_ELSE: &str = "monalisa";

/// Where objects say they live. GitHub's own hosts: clients must not follow
/// these to the stand-in (they build request URLs from their configured
/// API base; the `Link` header, which they do follow, names the stand-in).
pub const API_URL: &str = "https://api.github.com";
pub const WEB_URL: &str = "https://github.com";

/// A user's id: GitHub's ids are stable numbers, so the stand-in derives
/// one from the login (FNV-1a), and any login gets the same id everywhere.
pub fn user_id(login: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in login.to_ascii_lowercase().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    1_000_000 + hash % 90_000_000
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Open,
    Closed,
}

impl State {
    pub fn as_str(&self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    /// The author's login.
    pub author: String,
    /// Label ids, in the order they were added.
    pub labels: Vec<u64>,
    /// Logins.
    pub assignees: Vec<String>,
    /// A milestone's number.
    pub milestone: Option<u64>,
    pub state: State,
    /// `completed`, `not_planned`, `reopened` or none.
    pub state_reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub closed_at: Option<OffsetDateTime>,
    pub comments: u32,
}

#[derive(Clone, Debug)]
pub struct Label {
    pub id: u64,
    pub name: String,
    /// Six hex digits, no `#`.
    pub color: String,
    pub description: Option<String>,
    /// One of GitHub's default labels.
    pub default: bool,
}

#[derive(Clone, Debug)]
pub struct Milestone {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub description: Option<String>,
    pub open: bool,
    pub due_on: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub creator: String,
}

/// What the REST API answers for an issue that is no longer there.
#[derive(Clone, Debug)]
pub enum Gone {
    /// 404, as for an issue that never existed.
    Deleted,
    /// 301 to the issue in its new repository.
    Transferred { repository_id: u64, number: u64 },
}

#[derive(Clone, Debug)]
pub struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub issues: BTreeMap<u64, Issue>,
    pub labels: Vec<Label>,
    pub milestones: Vec<Milestone>,
    pub gone: BTreeMap<u64, Gone>,
    /// Issue numbers are never reused, deleted or not.
    pub next_number: u64,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Label names compare without regard to case, as on GitHub.
    pub fn label_named(&self, name: &str) -> Option<&Label> {
        self.labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    pub fn label(&self, id: u64) -> Option<&Label> {
        self.labels.iter().find(|l| l.id == id)
    }

    pub fn milestone(&self, number: u64) -> Option<&Milestone> {
        self.milestones.iter().find(|m| m.number == number)
    }

    /// Open and closed issues in a milestone (its `open_issues` and
    /// `closed_issues`).
    pub fn milestone_counts(&self, number: u64) -> (usize, usize) {
        let mut counts = (0, 0);
        for issue in self.issues.values().filter(|i| i.milestone == Some(number)) {
            match issue.state {
                State::Open => counts.0 += 1,
                State::Closed => counts.1 += 1,
            }
        }
        counts
    }
}

/// Every repository, and the counter all ids come from.
#[derive(Debug)]
pub struct World {
    pub repos: Vec<Repo>,
    next_id: u64,
}

impl World {
    /// One empty repository per `owner/name` (the caller checked the form).
    pub fn new(full_names: &[String], now: OffsetDateTime) -> Self {
        let mut world = Self {
            repos: Vec::new(),
            next_id: 5_000_000,
        };
        for full_name in full_names {
            let (owner, name) = full_name.split_once('/').unwrap_or((full_name, ""));
            let id = 700_000 + world.repos.len() as u64;
            world.repos.push(Repo {
                id,
                owner: owner.to_owned(),
                name: name.to_owned(),
                created_at: now,
                issues: BTreeMap::new(),
                labels: Vec::new(),
                milestones: Vec::new(),
                gone: BTreeMap::new(),
                next_number: 1,
            });
        }
        world
    }

    /// A fresh id for an issue, label or milestone.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Repository names compare without regard to case, as on GitHub.
    pub fn repo_index(&self, owner: &str, name: &str) -> Option<usize> {
        self.repos
            .iter()
            .position(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    pub fn repo_by_id(&self, id: u64) -> Option<&Repo> {
        self.repos.iter().find(|r| r.id == id)
    }
}

/// Now, to the second (GitHub's timestamps have no fractions).
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}
