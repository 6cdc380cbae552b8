//! Creating and editing issues. An edit that touches several things
//! sends one `issues` event per thing, in a fixed order (`edited`,
//! `closed`/`reopened`, `unlabeled`, `labeled`, `unassigned`, `assigned`,
//! `demilestoned`, `milestoned`), and each event's `issue` is the issue as
//! it stood after that step, so every payload is one GitHub could have
//! sent (a `demilestoned` issue has no milestone even when another
//! milestone follows).

use serde_json::{json, Map, Value};

use super::{
    find_issue, payload,
    resolve::{check, label_ids},
    Event, Outcome,
};
use crate::{
    errors::ApiError,
    input::IssueInput,
    render,
    world::{self, Issue, Repo, State, World},
};

pub fn create_issue(
    world: &mut World,
    at: usize,
    input: IssueInput,
    sender: &str,
) -> Result<Outcome, ApiError> {
    let assignees = check(&world.repos[at], &input)?;
    let mut events = Vec::new();
    let labels = label_ids(
        world,
        at,
        input.labels.as_deref().unwrap_or_default(),
        sender,
        &mut events,
    );
    let now = world::now();
    let id = world.next_id();
    let repo = &mut world.repos[at];
    let issue = Issue {
        id,
        number: repo.next_number,
        title: input.title.unwrap_or_default(),
        body: input.body.flatten(),
        author: sender.to_owned(),
        labels,
        assignees: assignees.unwrap_or_default(),
        milestone: input.milestone.flatten(),
        state: State::Open,
        state_reason: None,
        created_at: now,
        updated_at: now,
        closed_at: None,
        comments: 0,
    };
    repo.next_number += 1;
    repo.issues.insert(issue.number, issue.clone());
    let body = render::issue(repo, &issue);
    events.push(Event {
        name: "issues",
        payload: payload(repo, "opened", sender, json!({"issue": body})),
    });
    Ok(Outcome { body, events })
}

pub fn update_issue(
    world: &mut World,
    at: usize,
    number: u64,
    input: IssueInput,
    sender: &str,
) -> Result<Outcome, ApiError> {
    let old = find_issue(&world.repos[at], number)?.clone();
    let assignees = check(&world.repos[at], &input)?;
    let mut events = Vec::new();
    let labels = input
        .labels
        .as_deref()
        .map(|names| label_ids(world, at, names, sender, &mut events));
    let mut work = old.clone();
    work.updated_at = world::now();
    let mut steps = Steps {
        repo: &mut world.repos[at],
        work,
        sender,
        events,
    };
    steps.text(input.title, input.body);
    steps.state(input.state, input.state_reason.flatten());
    if let Some(new) = labels {
        steps.labels(new);
    }
    if let Some(new) = assignees {
        steps.assignees(new);
    }
    if let Some(new) = input.milestone {
        steps.milestone(new);
    }
    let Steps {
        repo,
        mut work,
        events,
        ..
    } = steps;
    if work.state_reason == old.state_reason && events.is_empty() {
        // Nothing changed: the issue keeps its `updated_at`, as on GitHub.
        work = old;
    }
    repo.issues.insert(number, work.clone());
    Ok(Outcome {
        body: render::issue(repo, &work),
        events,
    })
}

/// An issue being edited one step at a time, and the events so far.
struct Steps<'a> {
    repo: &'a mut Repo,
    work: Issue,
    sender: &'a str,
    events: Vec<Event>,
}

impl Steps<'_> {
    /// Keeps the issue as it now stands, and sends `action` about it.
    fn record(&mut self, action: &str, mut members: Value) {
        self.repo.issues.insert(self.work.number, self.work.clone());
        members["issue"] = render::issue(self.repo, &self.work);
        self.events.push(Event {
            name: "issues",
            payload: payload(self.repo, action, self.sender, members),
        });
    }

    fn text(&mut self, title: Option<String>, body: Option<Option<String>>) {
        let mut changes = Map::new();
        if let Some(title) = title.filter(|t| *t != self.work.title) {
            changes.insert("title".into(), json!({"from": self.work.title}));
            self.work.title = title;
        }
        if let Some(body) = body.filter(|b| *b != self.work.body) {
            let from = self.work.body.clone().unwrap_or_default();
            changes.insert("body".into(), json!({ "from": from }));
            self.work.body = body;
        }
        if !changes.is_empty() {
            self.record("edited", json!({ "changes": changes }));
        }
    }

    fn state(&mut self, state: Option<State>, reason: Option<String>) {
        match (state, &self.work.state) {
            (Some(State::Closed), State::Open) => {
                self.work.state = State::Closed;
                self.work.closed_at = Some(self.work.updated_at);
                let reason = reason.filter(|r| r != "reopened");
                self.work.state_reason = Some(reason.unwrap_or_else(|| "completed".to_owned()));
                self.record("closed", json!({}));
            }
            (Some(State::Open), State::Closed) => {
                self.work.state = State::Open;
                self.work.closed_at = None;
                self.work.state_reason = Some("reopened".to_owned());
                self.record("reopened", json!({}));
            }
            // A new reason for a closed issue changes it without an event.
            (_, State::Closed) if reason.is_some() && reason != self.work.state_reason => {
                self.work.state_reason = reason;
            }
            _ => {}
        }
    }

    fn labels(&mut self, new: Vec<u64>) {
        let removed: Vec<u64> = self
            .work
            .labels
            .iter()
            .copied()
            .filter(|id| !new.contains(id))
            .collect();
        for id in removed {
            self.work.labels.retain(|l| *l != id);
            let label = self.repo.label(id).map(|l| render::label(self.repo, l));
            self.record("unlabeled", json!({ "label": label }));
        }
        let added: Vec<u64> = new
            .into_iter()
            .filter(|id| !self.work.labels.contains(id))
            .collect();
        for id in added {
            self.work.labels.push(id);
            let label = self.repo.label(id).map(|l| render::label(self.repo, l));
            self.record("labeled", json!({ "label": label }));
        }
    }

    fn assignees(&mut self, new: Vec<String>) {
        let removed: Vec<String> = self
            .work
            .assignees
            .iter()
            .filter(|a| !new.contains(a))
            .cloned()
            .collect();
        for login in removed {
            self.work.assignees.retain(|a| *a != login);
            self.record("unassigned", json!({"assignee": render::user(&login)}));
        }
        let added: Vec<String> = new
            .into_iter()
            .filter(|a| !self.work.assignees.contains(a))
            .collect();
        for login in added {
            self.work.assignees.push(login.clone());
            self.record("assigned", json!({"assignee": render::user(&login)}));
        }
    }

    /// A change of milestone is a `demilestoned` and a `milestoned`.
    fn milestone(&mut self, new: Option<u64>) {
        if new == self.work.milestone {
            return;
        }
        if let Some(old) = self.work.milestone.take() {
            let milestone = self
                .repo
                .milestone(old)
                .map(|m| render::milestone(self.repo, m));
            self.record("demilestoned", json!({ "milestone": milestone }));
        }
        if let Some(number) = new {
            self.work.milestone = Some(number);
            let milestone = self
                .repo
                .milestone(number)
                .map(|m| render::milestone(self.repo, m));
            self.record("milestoned", json!({ "milestone": milestone }));
        }
    }
}
