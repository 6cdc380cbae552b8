//! Items as the Web SDK sees them (`AppCard`, `Card` in
//! `@mirohq/websdk-types`): flat properties (`title`, `x`, `width`...),
//! `style.cardTheme` where REST says `style.fillColor`, `createdBy` as a
//! plain user id. Also the SDK's property bags for `createAppCard` and
//! `sync`, turned into the REST inputs the sandbox already validates.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    input::{
        AppCardDataInput, AppCardInput, AppCardStyleInput, CardDataInput, CardInput,
        CardStyleInput, GeometryInput, PositionInput,
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
        "rotation": item.rotation,
        "origin": "center",
        "relativeTo": if item.parent_id.is_some() { "parent_top_left" } else { "canvas_center" },
        "parentId": item.parent_id,
        "tagIds": item.tag_ids,
        "createdAt": timestamp(item.created_at),
        "createdBy": item.created_by,
        "modifiedAt": timestamp(item.modified_at),
        "modifiedBy": item.modified_by,
    });
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
    }
    out
}

/// The SDK's `style` bag.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SdkStyle {
    pub card_theme: Option<String>,
}

/// The SDK's `assignee` bag.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SdkAssignee {
    pub user_id: Option<String>,
}

/// Properties an app may set through `createAppCard` or `sync`. Read-only
/// ones (`owned`, `height`, `createdAt`...) are ignored, as the SDK does.
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
    pub rotation: Option<f64>,
    pub tag_ids: Option<Vec<String>>,
    pub due_date: Option<String>,
    pub assignee: Option<SdkAssignee>,
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
