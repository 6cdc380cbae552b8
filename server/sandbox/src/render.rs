//! The sandbox's JSON, one function per response schema of the official
//! spec: `AppCardItem`, `CardItem`, `StickyNoteItem`, `GenericItem`, bulk
//! `Item`, `Board`, `Tag`. Field names and shapes follow `openapi.json`; the contract tests
//! validate every answer against it.

use serde_json::{json, Map, Value};
use time::{format_description::BorrowedFormatItem, macros::format_description, OffsetDateTime};

use super::world::{Board, Content, Field, Item, Tag, User, World};

const TIMESTAMP: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// ISO 8601 in UTC with milliseconds and a trailing `Z`, as Miro writes it.
pub fn timestamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(TIMESTAMP)
        .unwrap_or_default()
}

/// Where links point: `{rest_base}/v2/boards/{board}`.
pub fn board_link(rest_base: &str, board_id: &str) -> String {
    format!("{rest_base}/v2/boards/{}", urlencode(board_id))
}

/// Percent-encodes a path segment (board ids contain `=`).
pub fn urlencode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

fn user_ref(id: &str) -> Value {
    json!({ "id": id, "type": "user" })
}

fn field_json(field: &Field) -> Value {
    let mut out = Map::new();
    let members = [
        ("value", &field.value),
        ("tooltip", &field.tooltip),
        ("fillColor", &field.fill_color),
        ("textColor", &field.text_color),
        ("iconUrl", &field.icon_url),
        ("iconShape", &field.icon_shape),
    ];
    for (name, value) in members {
        if let Some(value) = value {
            out.insert(name.to_owned(), json!(value));
        }
    }
    Value::Object(out)
}

/// The item's `data`, with `owned` for app cards seen by `viewer_client`.
fn data_json(item: &Item, viewer_client: &str) -> Value {
    match &item.content {
        Content::AppCard(card) => json!({
            "title": card.title,
            "description": card.description,
            "status": card.status,
            "owned": item.creator_client_id == viewer_client,
            "fields": card.fields.iter().map(field_json).collect::<Vec<_>>(),
        }),
        Content::Card(card) => {
            let mut data = json!({ "title": card.title, "description": card.description });
            if let Some(assignee) = &card.assignee_id {
                data["assigneeId"] = json!(assignee);
            }
            if let Some(due) = &card.due_date {
                data["dueDate"] = json!(due);
            }
            data
        }
        Content::StickyNote(note) => json!({ "content": note.content, "shape": note.shape }),
    }
}

fn style_json(item: &Item) -> Value {
    match &item.content {
        Content::AppCard(card) => json!({ "fillColor": card.fill_color }),
        Content::Card(card) => json!({ "cardTheme": card.card_theme }),
        Content::StickyNote(note) => json!({
            "fillColor": note.fill_color,
            "textAlign": note.text_align,
            "textAlignVertical": note.text_align_vertical,
        }),
    }
}

fn position_json(item: &Item) -> Value {
    json!({
        "x": item.x,
        "y": item.y,
        "origin": "center",
        "relativeTo": if item.parent_id.is_some() { "parent_top_left" } else { "canvas_center" },
    })
}

fn geometry_json(item: &Item) -> Value {
    match item.content {
        // Sticky notes cannot be rotated: Miro gives them no rotation.
        Content::StickyNote(_) => json!({ "width": item.width, "height": item.height }),
        _ => json!({ "width": item.width, "height": item.height, "rotation": item.rotation }),
    }
}

fn item_path(item: &Item) -> &'static str {
    match item.content {
        Content::AppCard(_) => "app_cards",
        Content::Card(_) => "cards",
        Content::StickyNote(_) => "sticky_notes",
    }
}

/// `AppCardItem`, `CardItem` or `StickyNoteItem`: what the typed
/// endpoints answer.
pub fn typed_item(item: &Item, board_id: &str, viewer_client: &str, rest_base: &str) -> Value {
    let board = board_link(rest_base, board_id);
    let mut out = json!({
        "id": item.id,
        "type": item.type_name(),
        "data": data_json(item, viewer_client),
        "style": style_json(item),
        "position": position_json(item),
        "geometry": geometry_json(item),
        "createdAt": timestamp(item.created_at),
        "createdBy": user_ref(&item.created_by),
        "modifiedAt": timestamp(item.modified_at),
        "modifiedBy": user_ref(&item.modified_by),
        "links": { "self": format!("{board}/{}/{}", item_path(item), item.id) },
    });
    if let Some(parent) = &item.parent_id {
        out["parent"] =
            json!({ "id": parent, "links": { "self": format!("{board}/frames/{parent}") } });
    }
    out
}

/// `GenericItem`: what the items endpoints answer (no style, no links).
pub fn generic_item(item: &Item, viewer_client: &str) -> Value {
    let mut out = json!({
        "id": item.id,
        "type": item.type_name(),
        "data": data_json(item, viewer_client),
        "position": position_json(item),
        "geometry": geometry_json(item),
        "createdAt": timestamp(item.created_at),
        "createdBy": user_ref(&item.created_by),
        "modifiedAt": timestamp(item.modified_at),
        "modifiedBy": user_ref(&item.modified_by),
    });
    if let Some(parent) = &item.parent_id {
        out["parent"] = json!({ "id": parent });
    }
    out
}

/// `Item`: one entry of a bulk create's answer.
pub fn bulk_item(item: &Item, board_id: &str, viewer_client: &str, rest_base: &str) -> Value {
    let board = board_link(rest_base, board_id);
    let mut out = generic_item(item, viewer_client);
    out["links"] = json!({ "self": format!("{board}/{}/{}", item_path(item), item.id) });
    if let Some(parent) = &item.parent_id {
        out["parent"] =
            json!({ "id": parent, "links": { "self": format!("{board}/frames/{parent}") } });
    }
    out
}

fn user_info(user: Option<&User>, id: &str) -> Value {
    json!({ "id": id, "name": user.map_or("", |u| u.name.as_str()), "type": "user" })
}

/// `Board`, and with `links` `BoardWithLinksAndLastOpened`; with no
/// `lastOpened*` members that is also `BoardWithLinks`, what create answers.
pub fn board(
    board: &Board,
    world: &World,
    viewer: &str,
    rest_base: &str,
    public_base: &str,
    with_links: bool,
) -> Value {
    let owner = user_info(world.user(&board.owner_id), &board.owner_id);
    let role = if viewer == board.owner_id {
        "owner"
    } else {
        "editor"
    };
    let mut out = json!({
        "id": board.id,
        "type": "board",
        "name": board.name,
        "description": board.description,
        "team": {
            "id": board.team_id,
            "name": world.team(&board.team_id).map_or("", |t| t.name.as_str()),
            "type": "team"
        },
        "viewLink": format!("{public_base}/sandbox/boards/{}", urlencode(&board.id)),
        "owner": owner,
        "currentUserMembership": {
            "id": viewer,
            "name": world.user(viewer).map_or("", |u| u.name.as_str()),
            "role": role,
            "type": "board_member",
        },
        "createdAt": timestamp(board.created_at),
        "createdBy": owner,
        "modifiedAt": timestamp(board.modified_at),
        "modifiedBy": owner,
    });
    if with_links {
        let link = board_link(rest_base, &board.id);
        out["links"] =
            json!({ "self": link, "related": format!("{link}/members?limit=20&offset=0") });
    }
    out
}

/// `Tag`, and with `links` `TagWithLinks`.
pub fn tag(tag: &Tag, board_id: &str, rest_base: &str, with_links: bool) -> Value {
    let mut out =
        json!({ "id": tag.id, "type": "tag", "title": tag.title, "fillColor": tag.fill_color });
    if with_links {
        out["links"] =
            json!({ "self": format!("{}/tags/{}", board_link(rest_base, board_id), tag.id) });
    }
    out
}

/// `PageLinks` for offset paging.
pub fn page_links(base: &str, offset: usize, limit: usize, total: usize) -> Value {
    let page = |at: usize| {
        format!(
            "{base}{}limit={limit}&offset={at}",
            if base.contains('?') { "&" } else { "?" }
        )
    };
    let last = if total == 0 {
        0
    } else {
        (total - 1) / limit * limit
    };
    let mut links = json!({ "self": page(offset), "first": page(0), "last": page(last) });
    if offset + limit < total {
        links["next"] = json!(page(offset + limit));
    }
    if offset > 0 {
        links["prev"] = json!(page(offset.saturating_sub(limit)));
    }
    links
}
