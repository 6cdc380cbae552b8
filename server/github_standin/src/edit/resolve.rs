//! What an issue edit's names stand for, checked before anything changes:
//! assignees must be collaborators, a milestone must exist, and label
//! names become label ids (unknown names become new labels, as on GitHub).

use serde_json::{json, Value};

use super::{payload, Event};
use crate::{
    errors::{ApiError, FieldError},
    input::IssueInput,
    render,
    world::{Label, Repo, World, COLLABORATORS},
};

/// Assignees as GitHub spells them; unknown logins are a 422.
fn resolve_assignees(logins: &[String]) -> Result<Vec<String>, ApiError> {
    let mut resolved: Vec<String> = Vec::new();
    let mut invalid = Vec::new();
    for login in logins {
        match COLLABORATORS.iter().find(|c| c.eq_ignore_ascii_case(login)) {
            Some(known) if !resolved.iter().any(|r| r == known) => {
                resolved.push((*known).to_owned());
            }
            Some(_) => {}
            None => invalid.push(FieldError::invalid(
                "Issue",
                "assignees",
                Value::String(login.clone()),
            )),
        }
    }
    if invalid.is_empty() {
        Ok(resolved)
    } else {
        Err(ApiError::validation_failed(invalid))
    }
}

/// Checks what can be checked before anything changes.
pub fn check(repo: &Repo, input: &IssueInput) -> Result<Option<Vec<String>>, ApiError> {
    if let Some(Some(number)) = input.milestone {
        if repo.milestone(number).is_none() {
            return Err(ApiError::validation_failed(vec![FieldError::invalid(
                "Issue",
                "milestone",
                Value::from(number),
            )]));
        }
    }
    input
        .assignees
        .as_deref()
        .map(resolve_assignees)
        .transpose()
}

/// Label ids for names, creating the labels that do not exist yet (as
/// GitHub does, in its default grey) with a `label` `created` event each.
pub fn label_ids(
    world: &mut World,
    at: usize,
    names: &[String],
    sender: &str,
    events: &mut Vec<Event>,
) -> Vec<u64> {
    let mut ids = Vec::new();
    for name in names {
        let id = match world.repos[at].label_named(name) {
            Some(label) => label.id,
            None => {
                let label = Label {
                    id: world.next_id(),
                    name: name.clone(),
                    color: "ededed".to_owned(),
                    description: None,
                    default: false,
                };
                let repo = &mut world.repos[at];
                repo.labels.push(label.clone());
                let members = json!({"label": render::label(repo, &label)});
                events.push(Event {
                    name: "label",
                    payload: payload(repo, "created", sender, members),
                });
                label.id
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}
