//! Request bodies read as GitHub reads them: a body that is not JSON is a
//! 400 "Problems parsing JSON"; JSON of the wrong type is a 422 "Invalid
//! request." saying which property; a value GitHub cannot use (an unknown
//! state, a missing title) is a 422 "Validation Failed" with `errors`.
//! Members GitHub does not know are ignored, as GitHub ignores them.

use serde_json::{Map, Value};

use super::{
    errors::{ApiError, FieldError},
    world::State,
};

/// The JSON object a body holds.
pub fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| ApiError::problems_parsing_json())?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(ApiError::invalid_request(&format!(
            "{other} is not an object."
        ))),
    }
}

fn wrong_type(name: &str, value: &Value, expected: &str) -> ApiError {
    ApiError::invalid_request(&format!(
        "For 'properties/{name}', {value} is not {expected}."
    ))
}

/// A string member; `Some(None)` for an explicit null when `nullable`.
fn string(
    map: &Map<String, Value>,
    name: &str,
    nullable: bool,
) -> Result<Option<Option<String>>, ApiError> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::Null) if nullable => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(other) => Err(wrong_type(name, other, "a string")),
    }
}

/// What a create, a PATCH or an admin edit asks of an issue. `None` leaves
/// a field as it is.
#[derive(Debug, Default)]
pub struct IssueInput {
    pub title: Option<String>,
    pub body: Option<Option<String>>,
    pub state: Option<State>,
    pub state_reason: Option<Option<String>>,
    /// Label names: the whole new set.
    pub labels: Option<Vec<String>>,
    /// Logins: the whole new set.
    pub assignees: Option<Vec<String>>,
    /// A milestone number, or none to clear it.
    pub milestone: Option<Option<u64>>,
}

const STATE_REASONS: &[&str] = &["completed", "not_planned", "reopened"];

pub fn issue(map: &Map<String, Value>, creating: bool) -> Result<IssueInput, ApiError> {
    let mut input = IssueInput {
        title: string(map, "title", false)?.flatten(),
        body: string(map, "body", true)?,
        ..IssueInput::default()
    };
    let mut invalid = Vec::new();
    match &input.title {
        None if creating => invalid.push(FieldError::missing("Issue", "title")),
        Some(title) if title.trim().is_empty() => {
            invalid.push(FieldError::missing("Issue", "title"));
        }
        _ => {}
    }
    if let Some(state) = string(map, "state", false)?.flatten() {
        match state.as_str() {
            "open" => input.state = Some(State::Open),
            "closed" => input.state = Some(State::Closed),
            _ => invalid.push(FieldError::invalid("Issue", "state", Value::String(state))),
        }
    }
    input.state_reason = string(map, "state_reason", true)?;
    if let Some(Some(reason)) = &input.state_reason {
        if !STATE_REASONS.contains(&reason.as_str()) {
            invalid.push(FieldError::invalid(
                "Issue",
                "state_reason",
                Value::String(reason.clone()),
            ));
        }
    }
    input.labels = names(map, "labels")?;
    input.assignees = names(map, "assignees")?;
    // The older single `assignee` still works when `assignees` is absent.
    if input.assignees.is_none() {
        if let Some(one) = string(map, "assignee", true)? {
            input.assignees = Some(one.into_iter().collect());
        }
    }
    input.milestone = match map.get("milestone") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(number) => Some(Some(number)),
            None => {
                invalid.push(FieldError::invalid(
                    "Issue",
                    "milestone",
                    Value::Number(n.clone()),
                ));
                None
            }
        },
        // GitHub takes the number as a string too.
        Some(Value::String(s)) => match s.parse() {
            Ok(number) => Some(Some(number)),
            Err(_) => {
                invalid.push(FieldError::invalid(
                    "Issue",
                    "milestone",
                    Value::String(s.clone()),
                ));
                None
            }
        },
        Some(other) => return Err(wrong_type("milestone", other, "an integer or null")),
    };
    if invalid.is_empty() {
        Ok(input)
    } else {
        Err(ApiError::validation_failed(invalid))
    }
}

/// An array of names: strings, or objects with a `name` (labels allow both).
fn names(map: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    let Some(value) = map.get(name) else {
        return Ok(None);
    };
    let Value::Array(items) = value else {
        return Err(wrong_type(name, value, "an array"));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            Value::Object(o) => match o.get("name") {
                Some(Value::String(s)) => Ok(s.clone()),
                _ => Err(wrong_type(name, item, "a string")),
            },
            other => Err(wrong_type(name, other, "a string")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A label's fields, for a create (`name` required) or an edit (`new_name`).
#[derive(Debug, Default)]
pub struct LabelInput {
    pub name: Option<String>,
    pub color: Option<String>,
    pub description: Option<Option<String>>,
}

pub fn label(map: &Map<String, Value>, creating: bool) -> Result<LabelInput, ApiError> {
    let name_member = if creating { "name" } else { "new_name" };
    let input = LabelInput {
        name: string(map, name_member, false)?.flatten(),
        // GitHub takes the colour with or without a leading `#`.
        color: string(map, "color", false)?
            .flatten()
            .map(|c| c.trim_start_matches('#').to_ascii_lowercase()),
        description: string(map, "description", true)?,
    };
    let mut invalid = Vec::new();
    match &input.name {
        None if creating => invalid.push(FieldError::missing("Label", "name")),
        Some(name) if name.trim().is_empty() => invalid.push(FieldError::missing("Label", "name")),
        _ => {}
    }
    if let Some(color) = &input.color {
        if color.len() != 6 || !color.chars().all(|c| c.is_ascii_hexdigit()) {
            invalid.push(FieldError::invalid(
                "Label",
                "color",
                Value::String(color.clone()),
            ));
        }
    }
    if invalid.is_empty() {
        Ok(input)
    } else {
        Err(ApiError::validation_failed(invalid))
    }
}
