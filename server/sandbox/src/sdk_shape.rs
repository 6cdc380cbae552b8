//! Items as the Web SDK sees them (`AppCard`, `Card`, `StickyNote` in
//! `@mirohq/websdk-types`): flat properties (`title`, `content`, `x`,
//! `width`...), `style.cardTheme` where REST says `style.fillColor` for
//! app cards, `createdBy` as a plain user id, no `rotation` on sticky notes
//! (the SDK's `StickyNote` has none). Also the SDK's property bags for
//! `createAppCard`, `createStickyNote` and `sync`, turned into the REST
//! inputs the sandbox already validates.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    input::{
        AppCardDataInput, AppCardInput, AppCardStyleInput, CardDataInput, CardInput,
        CardStyleInput, GeometryInput, PositionInput, StickyNoteDataInput, StickyNoteInput,
        StickyNoteStyleInput,
    },
    render::timestamp,
    world::{Content, Item},
};

/// An item in the SDK's shape, as seen by the app `viewer_client`.
pub fn sdk_item(item: &Item, viewer_client: &str) -> Value {
    let mut out = json!({
        "id": item.id,
        "type": item.type_name(),
        "x": item.x,
        "y": item.y,
        "width": item.width,
        "height": item.height,
        "origin": "center",
        "relativeTo": if item.parent_id.is_some() { "parent_top_left" } else { "canvas_center" },
        "parentId": item.parent_id,
        "tagIds": item.tag_ids,
        "createdAt": timestamp(item.created_at),
        "createdBy": item.created_by,
        "modifiedAt": timestamp(item.modified_at),
        "modifiedBy": item.modified_by,
    });
    if !matches!(item.content, Content::StickyNote(_)) {
        out["rotation"] = json!(item.rotation);
    }
    match &item.content {
        Content::AppCard(card) => {
            out["title"] = json!(card.title);
            out["description"] = json!(card.description);
            out["status"] = json!(card.status);
            out["owned"] = json!(item.creator_client_id == viewer_client);
            out["style"] = json!({ "cardTheme": card.fill_color, "fillBackground": false });
            out["fields"] = card
                .fields
                .iter()
                .map(|f| {
                    let mut field = json!({});
                    for (name, value) in [
                        ("value", &f.value),
                        ("tooltip", &f.tooltip),
                        ("fillColor", &f.fill_color),
                        ("textColor", &f.text_color),
                        ("iconUrl", &f.icon_url),
                        ("iconShape", &f.icon_shape),
                    ] {
                        if let Some(value) = value {
                            field[name] = json!(value);
                        }
                    }
                    field
                })
                .collect();
        }
        Content::Card(card) => {
            out["title"] = json!(card.title);
            out["description"] = json!(card.description);
            out["style"] = json!({ "cardTheme": card.card_theme, "fillBackground": false });
            out["fields"] = json!([]);
            out["taskStatus"] = json!("none");
            if let Some(due) = &card.due_date {
                out["dueDate"] = json!(due);
            }
            if let Some(assignee) = &card.assignee_id {
                out["assignee"] = json!({ "userId": assignee });
            }
        }
        Content::StickyNote(note) => {
            out["content"] = json!(note.content);
            out["shape"] = json!(note.shape);
            out["style"] = json!({
                "fillColor": note.fill_color,
                "textAlign": note.text_align,
                "textAlignVertical": note.text_align_vertical,
            });
        }
    }
    out
}

/// The SDK's `style` bag: `cardTheme` for app cards and cards; the rest
/// for sticky notes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SdkStyle {
    pub card_theme: Option<String>,
    pub fill_color: Option<String>,
    pub text_align: Option<String>,
    pub text_align_vertical: Option<String>,
}

/// The SDK's `assignee` bag.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SdkAssignee {
    pub user_id: Option<String>,
}

/// Properties an app may set through `createAppCard`, `createStickyNote`
/// or `sync`. Read-only ones (`owned`, `createdAt`...; `height` of cards)
/// are ignored, as the SDK does.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SdkProps {
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub fields: Option<Vec<super::world::Field>>,
    pub style: Option<SdkStyle>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub width: Option<f64>,
    /// Only sticky notes take a height (cards compute theirs).
    pub height: Option<f64>,
    pub rotation: Option<f64>,
    pub tag_ids: Option<Vec<String>>,
    pub due_date: Option<String>,
    pub assignee: Option<SdkAssignee>,
    pub content: Option<String>,
    pub shape: Option<String>,
}

impl SdkProps {
    fn layout(&self) -> (Option<PositionInput>, Option<GeometryInput>) {
        (
            Some(PositionInput {
                x: self.x,
                y: self.y,
            }),
            Some(GeometryInput {
                width: self.width,
                height: None,
                rotation: self.rotation,
            }),
        )
    }

    /// As a REST app card body.
    pub fn app_card(&self) -> AppCardInput {
        let (position, geometry) = self.layout();
        AppCardInput {
            data: Some(AppCardDataInput {
                title: self.title.clone(),
                description: self.description.clone(),
                status: self.status.clone(),
                fields: self.fields.clone(),
            }),
            style: Some(AppCardStyleInput {
                fill_color: self.style.as_ref().and_then(|s| s.card_theme.clone()),
            }),
            position,
            geometry,
            parent: None,
        }
    }

    /// As a REST sticky note body. `stored` is the note a `sync` changes:
    /// `sync` sends every property back, both sides included, so only a
    /// side that differs from the stored one counts as set (the width if
    /// both do). On create both go through, and validation refuses both.
    pub fn sticky_note(&self, stored: Option<&Item>) -> StickyNoteInput {
        let (width, height) = match stored {
            None => (self.width, self.height),
            Some(item) => {
                let width = self.width.filter(|w| *w != item.width);
                let height = self.height.filter(|h| *h != item.height);
                (width, if width.is_some() { None } else { height })
            }
        };
        let style = self.style.as_ref();
        StickyNoteInput {
            data: Some(StickyNoteDataInput {
                content: self.content.clone(),
                shape: self.shape.clone(),
            }),
            style: Some(StickyNoteStyleInput {
                fill_color: style.and_then(|s| s.fill_color.clone()),
                text_align: style.and_then(|s| s.text_align.clone()),
                text_align_vertical: style.and_then(|s| s.text_align_vertical.clone()),
            }),
            position: Some(PositionInput {
                x: self.x,
                y: self.y,
            }),
            geometry: (width.is_some() || height.is_some()).then_some(GeometryInput {
                width,
                height,
                rotation: None,
            }),
            parent: None,
        }
    }

    /// As a REST card body.
    pub fn card(&self) -> CardInput {
        let (position, geometry) = self.layout();
        CardInput {
            data: Some(CardDataInput {
                title: self.title.clone(),
                description: self.description.clone(),
                assignee_id: self.assignee.as_ref().and_then(|a| a.user_id.clone()),
                due_date: self.due_date.clone(),
            }),
            style: Some(CardStyleInput {
                card_theme: self.style.as_ref().and_then(|s| s.card_theme.clone()),
            }),
            position,
            geometry,
            parent: None,
        }
    }
}
