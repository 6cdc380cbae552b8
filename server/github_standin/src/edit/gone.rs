//! What only someone on GitHub does to an issue here (through the admin
//! routes): deleting it (later requests get 404) and transferring it to
//! another repository (later requests get 301 to its new place).

use serde_json::{json, Value};

use super::{find_issue, payload, Event, Outcome};
use crate::{
    errors::{ApiError, FieldError},
    render,
    world::{self, user_id, Gone, Issue, World},
};

/// Deletes an issue: later requests for it are answered 404.
pub fn delete_issue(
    world: &mut World,
    at: usize,
    number: u64,
    sender: &str,
) -> Result<Outcome, ApiError> {
    let repo = &mut world.repos[at];
    let body = render::issue(repo, find_issue(repo, number)?);
    repo.issues.remove(&number);
    repo.gone.insert(number, Gone::Deleted);
    let event = Event {
        name: "issues",
        payload: payload(repo, "deleted", sender, json!({"issue": body})),
    };
    Ok(Outcome {
        body,
        events: vec![event],
    })
}

/// Moves an issue to `target` (`owner/name`): into that repository when
/// the stand-in holds it, otherwise to a repository elsewhere. Later
/// requests for the old number are answered 301.
pub fn transfer_issue(
    world: &mut World,
    at: usize,
    number: u64,
    target: &str,
    sender: &str,
) -> Result<Outcome, ApiError> {
    let issue = find_issue(&world.repos[at], number)?.clone();
    let Some((owner, name)) = target
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty())
    else {
        return Err(ApiError::validation_failed(vec![FieldError::invalid(
            "Issue",
            "new_repository",
            Value::from(target),
        )]));
    };
    // Labels that exist in the new repository stay, by name.
    let label_names: Vec<String> = issue
        .labels
        .iter()
        .filter_map(|id| world.repos[at].label(*id).map(|l| l.name.clone()))
        .collect();
    let id = world.next_id();
    let target_at = world.repo_index(owner, name).filter(|t| *t != at);
    // A repository elsewhere is rendered from a stand-in that is not kept.
    let mut elsewhere = World::new(&[target.to_owned()], world::now());
    elsewhere.repos[0].id = user_id(target);
    let new_repo = match target_at {
        Some(t) => &mut world.repos[t],
        None => &mut elsewhere.repos[0],
    };
    let moved = Issue {
        id,
        number: new_repo.next_number,
        milestone: None,
        updated_at: world::now(),
        labels: label_names
            .iter()
            .filter_map(|n| new_repo.label_named(n).map(|l| l.id))
            .collect(),
        ..issue.clone()
    };
    new_repo.next_number += 1;
    new_repo.issues.insert(moved.number, moved.clone());
    let changes = json!({
        "new_issue": render::issue(new_repo, &moved),
        "new_repository": render::repository(new_repo),
    });
    let gone = Gone::Transferred {
        repository_id: new_repo.id,
        number: moved.number,
    };
    let repo = &mut world.repos[at];
    let body = render::issue(repo, &issue);
    repo.issues.remove(&number);
    repo.gone.insert(number, gone);
    let members = json!({"issue": body, "changes": changes});
    let event = Event {
        name: "issues",
        payload: payload(repo, "transferred", sender, members),
    };
    Ok(Outcome {
        body,
        events: vec![event],
    })
}
