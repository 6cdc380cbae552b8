//! The typed item endpoints, `/app_cards`, `/cards` and `/sticky_notes`:
//! create, get, update (partial), delete. One set of handlers serves all
//! three through [`ItemType`]. Writes go through
//! [`Item::check_writable_by`] (which only restricts app cards).

use axum::{
    body::Bytes,
    extract::{Path, State},
    Extension, Json,
};
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{
    errors::{parse_body, ApiError, ApiResult, FieldError},
    input::{AppCardInput, Author, CardInput, StickyNoteInput},
    render,
    world::{Content, Item, World},
    Caller, Sandbox,
};

/// What differs between app cards, cards and sticky notes.
pub trait ItemType: Send + Sync + 'static {
    type Input: DeserializeOwned + Send;
    /// For messages: "App card", "Card", "Sticky note".
    const NAME: &'static str;
    fn is(item: &Item) -> bool;
    fn validate(input: &Self::Input, world: &World, prefix: &str) -> Vec<FieldError>;
    fn create(input: Self::Input, id: String, author: &Author<'_>) -> Item;
    fn apply(input: Self::Input, item: &mut Item, author: &Author<'_>);
}

pub struct AppCards;
pub struct Cards;
pub struct StickyNotes;

impl ItemType for AppCards {
    type Input = AppCardInput;
    const NAME: &'static str = "App card";
    fn is(item: &Item) -> bool {
        matches!(item.content, Content::AppCard(_))
    }
    fn validate(input: &AppCardInput, _: &World, prefix: &str) -> Vec<FieldError> {
        input.validate(prefix)
    }
    fn create(input: AppCardInput, id: String, author: &Author<'_>) -> Item {
        input.create(id, author)
    }
    fn apply(input: AppCardInput, item: &mut Item, author: &Author<'_>) {
        input.apply(item, author);
    }
}

impl ItemType for Cards {
    type Input = CardInput;
    const NAME: &'static str = "Card";
    fn is(item: &Item) -> bool {
        matches!(item.content, Content::Card(_))
    }
    fn validate(input: &CardInput, world: &World, prefix: &str) -> Vec<FieldError> {
        input.validate(prefix, |id| world.user(id).is_some())
    }
    fn create(input: CardInput, id: String, author: &Author<'_>) -> Item {
        input.create(id, author)
    }
    fn apply(input: CardInput, item: &mut Item, author: &Author<'_>) {
        input.apply(item, author);
    }
}

impl ItemType for StickyNotes {
    type Input = StickyNoteInput;
    const NAME: &'static str = "Sticky note";
    fn is(item: &Item) -> bool {
        matches!(item.content, Content::StickyNote(_))
    }
    fn validate(input: &StickyNoteInput, _: &World, prefix: &str) -> Vec<FieldError> {
        input.validate(prefix)
    }
    fn create(input: StickyNoteInput, id: String, author: &Author<'_>) -> Item {
        input.create(id, author)
    }
    fn apply(input: StickyNoteInput, item: &mut Item, author: &Author<'_>) {
        input.apply(item, author);
    }
}

fn validated<K: ItemType>(body: &[u8], world: &World) -> ApiResult<K::Input> {
    let input: K::Input = parse_body(body)?;
    let errors = K::validate(&input, world, "");
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(ApiError::invalid_fields(errors))
    }
}

fn find<'a, K: ItemType>(
    world: &'a mut World,
    board_id: &str,
    item_id: &str,
) -> ApiResult<&'a mut Item> {
    let item = world.board_mut(board_id)?.item_mut(item_id)?;
    if K::is(item) {
        Ok(item)
    } else {
        Err(ApiError::not_found(format!(
            "{} {item_id} not found",
            K::NAME
        )))
    }
}

pub async fn create<K: ItemType>(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Path(board_id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let now = sandbox.now();
    let mut world = sandbox.world();
    world.board(&board_id)?;
    let input = validated::<K>(&body, &world)?;
    let id = world.next_id();
    let author = Author {
        user_id: &caller.user_id,
        client_id: &caller.client_id,
        now,
    };
    let item = K::create(input, id, &author);
    let json = render::typed_item(&item, &board_id, &caller.client_id, &sandbox.rest_base());
    sandbox.publish_item(&board_id, &item);
    world.board_mut(&board_id)?.items.push(item);
    Ok((StatusCode::CREATED, Json(json)))
}

pub async fn get<K: ItemType>(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Path((board_id, item_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let mut world = sandbox.world();
    let item = find::<K>(&mut world, &board_id, &item_id)?;
    Ok(Json(render::typed_item(
        item,
        &board_id,
        &caller.client_id,
        &sandbox.rest_base(),
    )))
}

pub async fn update<K: ItemType>(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Path((board_id, item_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let now = sandbox.now();
    let mut world = sandbox.world();
    let input = validated::<K>(&body, &world)?;
    let item = find::<K>(&mut world, &board_id, &item_id)?;
    item.check_writable_by(&caller.client_id)?;
    let author = Author {
        user_id: &caller.user_id,
        client_id: &caller.client_id,
        now,
    };
    K::apply(input, item, &author);
    sandbox.publish_item(&board_id, item);
    Ok(Json(render::typed_item(
        item,
        &board_id,
        &caller.client_id,
        &sandbox.rest_base(),
    )))
}

pub async fn delete<K: ItemType>(
    State(sandbox): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    Path((board_id, item_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut world = sandbox.world();
    let item = find::<K>(&mut world, &board_id, &item_id)?;
    item.check_writable_by(&caller.client_id)?;
    world.board_mut(&board_id)?.remove_item(&item_id)?;
    sandbox.publish(crate::Change::Removed { board_id, item_id });
    Ok(StatusCode::NO_CONTENT)
}
