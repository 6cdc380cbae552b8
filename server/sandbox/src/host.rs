//! The board page's back end, standing in for Miro's own plumbing between
//! a board and the app iframes on it. Everything here acts as the sandbox
//! user and our app, is not rate limited, and is served only in sandbox
//! mode on the app's own (by default loopback) address:
//! - `GET  /sandbox/host/boards/{b}/items`: the board's items (REST shape);
//! - `GET  /sandbox/host/boards/{b}/events`: server-sent `upsert` (a REST
//!   item) and `delete` (`{"id"}`) events, so a REST write redraws the
//!   board at once;
//! - `POST /sandbox/host/boards/{b}/sdk`: `{method, args}` for the Web SDK
//!   calls that need the board's data (`board.getInfo`, `getUserInfo`,
//!   `getIdToken`, `getById`, `get`, `createAppCard`, `createStickyNote`,
//!   `remove`, `sync`); answers `{result}` or `{error}`. What only the page
//!   knows (selection, viewport, zoom, modals, panels) the page answers
//!   itself.

use std::{convert::Infallible, time::Duration};

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    routing::{get, post},
    Json, Router,
};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::{
    errors::{parse_body, ApiError, ApiResult},
    id_token,
    input::{AppCardInput, Author, CardInput, StickyNoteInput},
    render,
    sdk_shape::{sdk_item, SdkProps},
    world::{Content, MAX_TAGS_PER_ITEM},
    Change, Sandbox,
};

pub fn router() -> Router<Sandbox> {
    Router::new()
        .route("/sandbox/host/boards/{board_id}/items", get(items))
        .route("/sandbox/host/boards/{board_id}/events", get(events))
        .route("/sandbox/host/boards/{board_id}/sdk", post(sdk_call))
}

async fn items(
    State(sandbox): State<Sandbox>,
    Path(board_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let client = sandbox.app_client().client_id.clone();
    let world = sandbox.world();
    let board = world.board(&board_id)?;
    let rest_base = sandbox.rest_base();
    let items: Vec<Value> = board
        .items
        .iter()
        .map(|i| render::typed_item(i, &board_id, &client, &rest_base))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn events(State(sandbox): State<Sandbox>, Path(board_id): Path<String>) -> Response {
    if let Err(error) = sandbox.world().board(&board_id) {
        return error.into_response();
    }
    let receiver = sandbox.0.changes.subscribe();
    let stream = futures_util::stream::unfold(
        (receiver, board_id),
        |(mut receiver, board_id)| async move {
            loop {
                let event = match receiver.recv().await {
                    Ok(Change::Upsert { board_id: b, item }) if b == board_id => {
                        Event::default().event("upsert").data(item.to_string())
                    }
                    Ok(Change::Removed {
                        board_id: b,
                        item_id,
                    }) if b == board_id => Event::default()
                        .event("delete")
                        .data(json!({ "id": item_id }).to_string()),
                    Ok(_) => continue,
                    // A slow page missed changes: tell it to reload the board.
                    Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
                    Err(RecvError::Closed) => return None,
                };
                return Some((Ok::<Event, Infallible>(event), (receiver, board_id)));
            }
        },
    );
    sse(stream).into_response()
}

fn sse(
    stream: impl Stream<Item = Result<Event, Infallible>> + Send + 'static,
) -> impl IntoResponse {
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[derive(Deserialize)]
struct SdkCall {
    method: String,
    #[serde(default)]
    args: Vec<Value>,
}

async fn sdk_call(
    State(sandbox): State<Sandbox>,
    Path(board_id): Path<String>,
    body: Bytes,
) -> Response {
    let result = parse_body::<SdkCall>(&body)
        .and_then(|call| run(&sandbox, &board_id, &call.method, &call.args));
    match result {
        Ok(result) => Json(json!({ "result": result })).into_response(),
        Err(error) => (
            error.status,
            Json(json!({ "error": { "message": error.message, "code": error.code } })),
        )
            .into_response(),
    }
}

fn arg<T: serde::de::DeserializeOwned + Default>(args: &[Value], index: usize) -> ApiResult<T> {
    match args.get(index) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| ApiError::bad_request(format!("argument {index}: {e}"))),
    }
}

/// One of the `{"id": ...}` / `["a","b"]` / `"a"` forms filters take.
fn one_or_many(value: Option<&Value>) -> Option<Vec<String>> {
    match value? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(list) => Some(
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

fn run(sandbox: &Sandbox, board_id: &str, method: &str, args: &[Value]) -> ApiResult<Value> {
    let app = sandbox.app_client().clone();
    let now = sandbox.now();
    let mut world = sandbox.world();
    // The board page is used by its team's first user.
    let team_id = world.board(board_id)?.team_id.clone();
    let user_id = world
        .first_user_of(&team_id)
        .map_or_else(String::new, |u| u.id.clone());
    let board = world.board(board_id)?;
    match method {
        "board.getInfo" => Ok(json!({
            "id": board.id,
            "locale": "en",
            "createdAt": render::timestamp(board.created_at),
            "updatedAt": render::timestamp(board.modified_at),
        })),
        "board.getUserInfo" => {
            let name = world
                .user(&user_id)
                .map_or(String::new(), |u| u.name.clone());
            Ok(json!({ "id": user_id, "name": name }))
        }
        "board.getIdToken" => Ok(json!(id_token::issue(
            &app.client_id,
            &app.client_secret,
            &team_id,
            &user_id,
            now
        ))),
        "board.getById" => {
            let id: String = arg(args, 0)?;
            Ok(sdk_item(board.item(&id)?, &app.client_id))
        }
        "board.get" => {
            let filter: Value = arg(args, 0)?;
            let ids = one_or_many(filter.get("id"));
            let types = one_or_many(filter.get("type"));
            let tags = one_or_many(filter.get("tags"));
            let found: Vec<Value> = board
                .items
                .iter()
                .filter(|i| ids.as_ref().is_none_or(|ids| ids.contains(&i.id)))
                .filter(|i| {
                    types
                        .as_ref()
                        .is_none_or(|t| t.iter().any(|t| t == i.type_name()))
                })
                .filter(|i| {
                    tags.as_ref()
                        .is_none_or(|t| t.iter().any(|t| i.tag_ids.contains(t)))
                })
                .map(|i| sdk_item(i, &app.client_id))
                .collect();
            Ok(json!(found))
        }
        "board.createAppCard" => {
            let props: SdkProps = arg(args, 0)?;
            let input = props.app_card();
            let errors = input.validate("");
            if !errors.is_empty() {
                return Err(ApiError::invalid_fields(errors));
            }
            check_tags(board, props.tag_ids.as_deref())?;
            let id = world.next_id();
            let author = Author {
                user_id: &user_id,
                client_id: &app.client_id,
                now,
            };
            let mut item = input.create(id, &author);
            item.tag_ids = props.tag_ids.unwrap_or_default();
            let result = sdk_item(&item, &app.client_id);
            sandbox.publish_item(board_id, &item);
            world.board_mut(board_id)?.items.push(item);
            Ok(result)
        }
        "board.createStickyNote" => {
            let props: SdkProps = arg(args, 0)?;
            let input = props.sticky_note(None);
            let errors = input.validate("");
            if !errors.is_empty() {
                return Err(ApiError::invalid_fields(errors));
            }
            check_tags(board, props.tag_ids.as_deref())?;
            let id = world.next_id();
            let author = Author {
                user_id: &user_id,
                client_id: &app.client_id,
                now,
            };
            // The Web SDK documents `middle` as its default vertical
            // alignment, where REST says `top`.
            let mut item = input.create_with(id, &author, "middle");
            item.tag_ids = props.tag_ids.unwrap_or_default();
            let result = sdk_item(&item, &app.client_id);
            sandbox.publish_item(board_id, &item);
            world.board_mut(board_id)?.items.push(item);
            Ok(result)
        }
        "board.remove" => {
            let target: SdkProps = arg(args, 0)?;
            let id = target
                .id
                .ok_or_else(|| ApiError::bad_request("remove() needs an item with an id"))?;
            let board = world.board_mut(board_id)?;
            board.item(&id)?.check_writable_by(&app.client_id)?;
            board.remove_item(&id)?;
            sandbox.publish(Change::Removed {
                board_id: board_id.to_owned(),
                item_id: id,
            });
            Ok(Value::Null)
        }
        "board.sync" => {
            let props: SdkProps = arg(args, 0)?;
            let id = props
                .id
                .clone()
                .ok_or_else(|| ApiError::bad_request("sync() needs an item with an id"))?;
            check_tags(board, props.tag_ids.as_deref())?;
            let is_member = |uid: &str| world.user(uid).is_some();
            let item = board.item(&id)?;
            let change = match item.content {
                Content::AppCard(_) => SdkChange::AppCard(props.app_card()),
                Content::Card(_) => SdkChange::Card(props.card()),
                Content::StickyNote(_) => SdkChange::StickyNote(props.sticky_note(Some(item))),
            };
            let errors = match &change {
                SdkChange::AppCard(input) => input.validate(""),
                SdkChange::Card(input) => input.validate("", is_member),
                SdkChange::StickyNote(input) => input.validate(""),
            };
            if !errors.is_empty() {
                return Err(ApiError::invalid_fields(errors));
            }
            let item = world.board_mut(board_id)?.item_mut(&id)?;
            item.check_writable_by(&app.client_id)?;
            let author = Author {
                user_id: &user_id,
                client_id: &app.client_id,
                now,
            };
            match change {
                SdkChange::AppCard(input) => input.apply(item, &author),
                SdkChange::Card(input) => input.apply(item, &author),
                SdkChange::StickyNote(input) => input.apply(item, &author),
            }
            if let Some(tags) = &props.tag_ids {
                item.tag_ids.clone_from(tags);
            }
            sandbox.publish_item(board_id, item);
            Ok(sdk_item(item, &app.client_id))
        }
        other => Err(ApiError::bad_request(format!(
            "the sandbox's SDK has no method {other}"
        ))),
    }
}

fn check_tags(board: &super::world::Board, tag_ids: Option<&[String]>) -> ApiResult<()> {
    let Some(tag_ids) = tag_ids else {
        return Ok(());
    };
    if tag_ids.len() > MAX_TAGS_PER_ITEM {
        return Err(ApiError::invalid_field(
            "tagIds",
            format!("an item can have at most {MAX_TAGS_PER_ITEM} tags"),
        ));
    }
    for id in tag_ids {
        board.tag(id)?;
    }
    Ok(())
}

/// What a `sync` changes, as the REST body of the item's type.
enum SdkChange {
    AppCard(AppCardInput),
    Card(CardInput),
    StickyNote(StickyNoteInput),
}
