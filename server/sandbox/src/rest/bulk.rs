//! `POST /v2/boards/{board_id}/items/bulk`: 1 to 20 items in one
//! transaction. Every item is checked first; one bad item fails the whole
//! request with a `BulkOperationError` naming `index.field` for each
//! problem, and nothing is created. The sandbox creates the types it holds:
//! `app_card`, `card` and `sticky_note`.

use axum::{
    body::Bytes,
    extract::{Path, State},
    Extension, Json,
};
use http::StatusCode;
use serde_json::{json, Value};

use crate::{
    errors::{parse_body, ApiError, ApiResult, FieldError},
    input::{AppCardInput, Author, CardInput, StickyNoteInput},
    render,
    world::Item,
    Caller, Sandbox,
};

const CREATABLE: &[&str] = &[
    "app_card",
    "text",
    "shape",
    "sticky_note",
    "image",
    "document",
    "card",
    "frame",
    "embed",
];

/// One parsed entry of the array.
enum Entry {
    AppCard(AppCardInput),
    Card(CardInput),
    StickyNote(StickyNoteInput),
}

fn parse_entry<T: serde::de::DeserializeOwned>(
    index: usize,
    value: Value,
) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|err| FieldError {
        field: format!("{index}.{}", err.path()),
        message: err.into_inner().to_string(),
    })
}

pub async fn create(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Path(board_id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let values: Vec<Value> = parse_body(&body)?;
    if values.is_empty() || values.len() > 20 {
        return Err(ApiError::bad_request(format!(
            "A bulk request creates 1 to 20 items, not {}",
            values.len()
        )));
    }
    let now = sandbox.now();
    let mut world = sandbox.world();
    world.board(&board_id)?;
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for (index, mut value) in values.into_iter().enumerate() {
        let kind = value.get("type").and_then(Value::as_str).map(str::to_owned);
        if let Some(object) = value.as_object_mut() {
            object.remove("type");
        }
        let prefix = format!("{index}.");
        let entry = match kind.as_deref() {
            Some("app_card") => parse_entry::<AppCardInput>(index, value).map(|input| {
                errors.extend(input.validate(&prefix));
                Entry::AppCard(input)
            }),
            Some("card") => parse_entry::<CardInput>(index, value).map(|input| {
                errors.extend(input.validate(&prefix, |id| world.user(id).is_some()));
                Entry::Card(input)
            }),
            Some("sticky_note") => parse_entry::<StickyNoteInput>(index, value).map(|input| {
                errors.extend(input.validate(&prefix));
                Entry::StickyNote(input)
            }),
            Some(other) if CREATABLE.contains(&other) => Err(FieldError {
                field: format!("{index}.type"),
                message: format!(
                    "the sandbox creates app_card, card and sticky_note items only, not {other}"
                ),
            }),
            Some(other) => Err(FieldError {
                field: format!("{index}.type"),
                message: format!("'{other}' is not one of {CREATABLE:?}"),
            }),
            None => Err(FieldError {
                field: format!("{index}.type"),
                message: "is required".to_owned(),
            }),
        };
        match entry {
            Ok(entry) => entries.push(entry),
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let author = Author {
        user_id: &caller.user_id,
        client_id: &caller.client_id,
        now,
    };
    let items: Vec<Item> = entries
        .into_iter()
        .map(|entry| {
            let id = world.next_id();
            match entry {
                Entry::AppCard(input) => input.create(id, &author),
                Entry::Card(input) => input.create(id, &author),
                Entry::StickyNote(input) => input.create(id, &author),
            }
        })
        .collect();
    let rest_base = sandbox.rest_base();
    let data: Vec<Value> = items
        .iter()
        .map(|i| render::bulk_item(i, &board_id, &caller.client_id, &rest_base))
        .collect();
    for item in &items {
        sandbox.publish_item(&board_id, item);
    }
    world.board_mut(&board_id)?.items.extend(items);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "type": "bulk-list", "data": data })),
    ))
}
