//! Creating and editing labels, with `label` `created` and `edited`
//! events. Names are unique without regard to case, as on GitHub.

use serde_json::{json, Map};

use super::{payload, Event, Outcome};
use crate::{
    errors::{ApiError, FieldError},
    input::LabelInput,
    render,
    world::{Label, World},
};

pub fn create_label(
    world: &mut World,
    at: usize,
    input: LabelInput,
    sender: &str,
) -> Result<Outcome, ApiError> {
    let name = input.name.unwrap_or_default();
    if world.repos[at].label_named(&name).is_some() {
        return Err(ApiError::validation_failed(vec![FieldError {
            code: "already_exists",
            ..FieldError::missing("Label", "name")
        }]));
    }
    let label = Label {
        id: world.next_id(),
        name,
        color: input.color.unwrap_or_else(|| "ededed".to_owned()),
        description: input.description.flatten(),
        default: false,
    };
    let repo = &mut world.repos[at];
    repo.labels.push(label.clone());
    let body = render::label(repo, &label);
    let event = Event {
        name: "label",
        payload: payload(repo, "created", sender, json!({"label": body})),
    };
    Ok(Outcome {
        body,
        events: vec![event],
    })
}

pub fn update_label(
    world: &mut World,
    at: usize,
    name: &str,
    input: LabelInput,
    sender: &str,
) -> Result<Outcome, ApiError> {
    let repo = &mut world.repos[at];
    let Some(old) = repo.label_named(name).cloned() else {
        return Err(ApiError::not_found());
    };
    if let Some(new_name) = &input.name {
        if !new_name.eq_ignore_ascii_case(&old.name) && repo.label_named(new_name).is_some() {
            return Err(ApiError::validation_failed(vec![FieldError {
                code: "already_exists",
                ..FieldError::missing("Label", "name")
            }]));
        }
    }
    let mut label = old.clone();
    let mut changes = Map::new();
    if let Some(new_name) = input.name.filter(|n| *n != old.name) {
        changes.insert("name".into(), json!({"from": old.name}));
        label.name = new_name;
    }
    if let Some(color) = input.color.filter(|c| *c != old.color) {
        changes.insert("color".into(), json!({"from": old.color}));
        label.color = color;
    }
    if let Some(description) = input.description.filter(|d| *d != old.description) {
        changes.insert(
            "description".into(),
            json!({"from": old.description.clone().unwrap_or_default()}),
        );
        label.description = description;
    }
    if let Some(slot) = repo.labels.iter_mut().find(|l| l.id == label.id) {
        *slot = label.clone();
    }
    let body = render::label(repo, &label);
    let mut events = Vec::new();
    if !changes.is_empty() {
        let members = json!({"label": body, "changes": changes});
        events.push(Event {
            name: "label",
            payload: payload(repo, "edited", sender, members),
        });
    }
    Ok(Outcome { body, events })
}
