//! Request bodies for creating and updating app cards, cards and sticky
//! notes, read the way Miro reads them: every member optional, PATCH as a
//! partial update (a `fields` array given replaces the previous one),
//! defaults on create (app cards: `status` `disconnected`,
//! `style.fillColor` `#2d9bf0`, width 320; sticky notes: `shape`
//! `square`, `fillColor` `light_yellow`, `textAlign` `center`,
//! `textAlignVertical` `top`, 199 × 228), and every invalid value reported
//! with its field path.

use serde::Deserialize;
use time::OffsetDateTime;

use super::errors::FieldError;
use super::world::{
    strip_tags, AppCard, Card, Content, Field, Item, StickyNote, CARD_HEIGHT, CARD_WIDTH,
    CONTENT_TAGS, DEFAULT_CARD_COLOR, DEFAULT_STICKY_NOTE_COLOR, DESCRIPTION_TAGS, STICKY_HEIGHT,
    STICKY_NOTE_COLORS, STICKY_NOTE_SHAPES, STICKY_SQUARE_WIDTH, TEXT_ALIGNS, TEXT_ALIGNS_VERTICAL,
    TITLE_TAGS,
};

/// `AppCardCreateRequest` / `AppCardUpdateRequest`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AppCardInput {
    pub data: Option<AppCardDataInput>,
    pub style: Option<AppCardStyleInput>,
    pub position: Option<PositionInput>,
    pub geometry: Option<GeometryInput>,
    pub parent: Option<ParentInput>,
}

/// `AppCardDataChanges`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AppCardDataInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub fields: Option<Vec<Field>>,
}

/// `AppCardStyle`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppCardStyleInput {
    pub fill_color: Option<String>,
}

/// `CardCreateRequest` / `CardUpdateRequest`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CardInput {
    pub data: Option<CardDataInput>,
    pub style: Option<CardStyleInput>,
    pub position: Option<PositionInput>,
    pub geometry: Option<GeometryInput>,
    pub parent: Option<ParentInput>,
}

/// `CardData`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardDataInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub assignee_id: Option<String>,
    pub due_date: Option<String>,
}

/// `CardStyle`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardStyleInput {
    pub card_theme: Option<String>,
}

/// `StickyNoteCreateRequest` / `StickyNoteUpdateRequest`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StickyNoteInput {
    pub data: Option<StickyNoteDataInput>,
    pub style: Option<StickyNoteStyleInput>,
    pub position: Option<PositionInput>,
    pub geometry: Option<GeometryInput>,
    pub parent: Option<ParentInput>,
}

/// `StickyNoteData`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StickyNoteDataInput {
    pub content: Option<String>,
    pub shape: Option<String>,
}

/// `StickyNoteStyle` / `UpdateStickyNoteStyle`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StickyNoteStyleInput {
    pub fill_color: Option<String>,
    pub text_align: Option<String>,
    pub text_align_vertical: Option<String>,
}

/// `PositionChange`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PositionInput {
    pub x: Option<f64>,
    pub y: Option<f64>,
}

/// `Geometry`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct GeometryInput {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub rotation: Option<f64>,
}

/// `Parent`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ParentInput {
    pub id: Option<String>,
}

/// Who is creating an item, and when.
pub struct Author<'a> {
    pub user_id: &'a str,
    pub client_id: &'a str,
    pub now: OffsetDateTime,
}

const STATUSES: &[&str] = &["disconnected", "connected", "disabled"];
const ICON_SHAPES: &[&str] = &["round", "square"];

pub fn push(errors: &mut Vec<FieldError>, prefix: &str, field: &str, message: impl Into<String>) {
    errors.push(FieldError {
        field: format!("{prefix}{field}"),
        message: message.into(),
    });
}

/// `#RRGGBB` or `#RGB`.
pub fn is_hex_color(value: &str) -> bool {
    value.strip_prefix('#').is_some_and(|hex| {
        (hex.len() == 6 || hex.len() == 3) && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

fn check_color(errors: &mut Vec<FieldError>, prefix: &str, field: &str, value: Option<&String>) {
    if let Some(value) = value {
        if !is_hex_color(value) {
            push(
                errors,
                prefix,
                field,
                format!("'{value}' is not a hex colour such as #2d9bf0"),
            );
        }
    }
}

/// `value`, if given, is one of `allowed`.
pub fn check_enum(
    errors: &mut Vec<FieldError>,
    prefix: &str,
    field: &str,
    value: Option<&String>,
    allowed: &[&str],
) {
    if let Some(value) = value {
        if !allowed.contains(&value.as_str()) {
            push(
                errors,
                prefix,
                field,
                format!("'{value}' is not one of {allowed:?}"),
            );
        }
    }
}

fn positive(errors: &mut Vec<FieldError>, prefix: &str, field: &str, value: Option<f64>) {
    if value.is_some_and(|v| !(v.is_finite() && v > 0.0)) {
        push(errors, prefix, field, "must be a positive number");
    }
}

fn check_geometry(errors: &mut Vec<FieldError>, prefix: &str, geometry: Option<&GeometryInput>) {
    let Some(geometry) = geometry else { return };
    positive(errors, prefix, "geometry.width", geometry.width);
    if geometry.height.is_some() {
        push(
            errors,
            prefix,
            "geometry.height",
            "is computed for cards and cannot be set",
        );
    }
    if geometry.rotation.is_some_and(|r| !r.is_finite()) {
        push(errors, prefix, "geometry.rotation", "must be a number");
    }
}

fn check_position(errors: &mut Vec<FieldError>, prefix: &str, position: Option<&PositionInput>) {
    let Some(position) = position else { return };
    for (name, value) in [("position.x", position.x), ("position.y", position.y)] {
        if value.is_some_and(|v| !v.is_finite()) {
            push(errors, prefix, name, "must be a number");
        }
    }
}

fn check_parent(errors: &mut Vec<FieldError>, prefix: &str, parent: Option<&ParentInput>) {
    // The sandbox has no frames, so no parent id can exist.
    if let Some(id) = parent.and_then(|p| p.id.as_ref()) {
        push(
            errors,
            prefix,
            "parent.id",
            format!("no frame with id {id} on this board"),
        );
    }
}

impl AppCardInput {
    /// Every problem with the body; `prefix` is `""` or `"3."` in bulk.
    pub fn validate(&self, prefix: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(data) = &self.data {
            if let Some(status) = &data.status {
                if !STATUSES.contains(&status.as_str()) {
                    push(
                        &mut errors,
                        prefix,
                        "data.status",
                        format!("'{status}' is not one of {STATUSES:?}"),
                    );
                }
            }
            for (i, field) in data.fields.iter().flatten().enumerate() {
                let at = format!("data.fields.{i}.");
                check_color(
                    &mut errors,
                    prefix,
                    &format!("{at}fillColor"),
                    field.fill_color.as_ref(),
                );
                check_color(
                    &mut errors,
                    prefix,
                    &format!("{at}textColor"),
                    field.text_color.as_ref(),
                );
                if let Some(shape) = &field.icon_shape {
                    if !ICON_SHAPES.contains(&shape.as_str()) {
                        push(
                            &mut errors,
                            prefix,
                            &format!("{at}iconShape"),
                            format!("'{shape}' is not one of {ICON_SHAPES:?}"),
                        );
                    }
                }
                if let Some(icon) = &field.icon_url {
                    if url::Url::parse(icon)
                        .map(|u| u.scheme() != "https")
                        .unwrap_or(true)
                    {
                        push(
                            &mut errors,
                            prefix,
                            &format!("{at}iconUrl"),
                            "must be an https URL",
                        );
                    }
                }
            }
        }
        check_color(
            &mut errors,
            prefix,
            "style.fillColor",
            self.style.as_ref().and_then(|s| s.fill_color.as_ref()),
        );
        check_position(&mut errors, prefix, self.position.as_ref());
        check_geometry(&mut errors, prefix, self.geometry.as_ref());
        check_parent(&mut errors, prefix, self.parent.as_ref());
        errors
    }

    /// A new app card from a validated body.
    pub fn create(self, id: String, author: &Author<'_>) -> Item {
        let mut item = new_item(
            id,
            author,
            Content::AppCard(AppCard {
                title: "sample app card item".to_owned(),
                status: "disconnected".to_owned(),
                fill_color: DEFAULT_CARD_COLOR.to_owned(),
                ..AppCard::default()
            }),
        );
        self.apply(&mut item, author);
        item
    }

    /// Applies a validated body to an existing app card (partial update).
    pub fn apply(self, item: &mut Item, author: &Author<'_>) {
        if let Content::AppCard(card) = &mut item.content {
            if let Some(data) = self.data {
                if let Some(title) = data.title {
                    card.title = strip_tags(&title, TITLE_TAGS);
                }
                if let Some(description) = data.description {
                    card.description = strip_tags(&description, DESCRIPTION_TAGS);
                }
                if let Some(status) = data.status {
                    card.status = status;
                }
                if let Some(fields) = data.fields {
                    card.fields = fields;
                }
            }
            if let Some(color) = self.style.and_then(|s| s.fill_color) {
                card.fill_color = color;
            }
        }
        apply_layout(item, self.position, self.geometry, author);
    }
}

impl CardInput {
    /// Every problem with the body; `prefix` is `""` or `"3."` in bulk.
    /// `is_member` says whether a user id may be assigned.
    pub fn validate(&self, prefix: &str, is_member: impl Fn(&str) -> bool) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(data) = &self.data {
            if let Some(assignee) = &data.assignee_id {
                if !is_member(assignee) {
                    push(
                        &mut errors,
                        prefix,
                        "data.assigneeId",
                        format!("no board member with id {assignee}"),
                    );
                }
            }
            if let Some(due) = &data.due_date {
                if OffsetDateTime::parse(due, &time::format_description::well_known::Rfc3339)
                    .is_err()
                {
                    push(
                        &mut errors,
                        prefix,
                        "data.dueDate",
                        "must be an ISO 8601 date-time such as 2026-12-01T10:00:00Z",
                    );
                }
            }
        }
        check_color(
            &mut errors,
            prefix,
            "style.cardTheme",
            self.style.as_ref().and_then(|s| s.card_theme.as_ref()),
        );
        check_position(&mut errors, prefix, self.position.as_ref());
        check_geometry(&mut errors, prefix, self.geometry.as_ref());
        check_parent(&mut errors, prefix, self.parent.as_ref());
        errors
    }

    /// A new card from a validated body.
    pub fn create(self, id: String, author: &Author<'_>) -> Item {
        let mut item = new_item(
            id,
            author,
            Content::Card(Card {
                title: "sample card item".to_owned(),
                card_theme: DEFAULT_CARD_COLOR.to_owned(),
                ..Card::default()
            }),
        );
        self.apply(&mut item, author);
        item
    }

    /// Applies a validated body to an existing card (partial update).
    pub fn apply(self, item: &mut Item, author: &Author<'_>) {
        if let Content::Card(card) = &mut item.content {
            if let Some(data) = self.data {
                if let Some(title) = data.title {
                    card.title = strip_tags(&title, TITLE_TAGS);
                }
                if let Some(description) = data.description {
                    card.description = strip_tags(&description, DESCRIPTION_TAGS);
                }
                if data.assignee_id.is_some() {
                    card.assignee_id = data.assignee_id;
                }
                if data.due_date.is_some() {
                    card.due_date = data.due_date;
                }
            }
            if let Some(theme) = self.style.and_then(|s| s.card_theme) {
                card.card_theme = theme;
            }
        }
        apply_layout(item, self.position, self.geometry, author);
    }
}

impl StickyNoteInput {
    /// Every problem with the body; `prefix` is `""` or `"3."` in bulk.
    pub fn validate(&self, prefix: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(data) = &self.data {
            check_enum(
                &mut errors,
                prefix,
                "data.shape",
                data.shape.as_ref(),
                STICKY_NOTE_SHAPES,
            );
        }
        if let Some(style) = &self.style {
            check_enum(
                &mut errors,
                prefix,
                "style.fillColor",
                style.fill_color.as_ref(),
                STICKY_NOTE_COLORS,
            );
            check_enum(
                &mut errors,
                prefix,
                "style.textAlign",
                style.text_align.as_ref(),
                TEXT_ALIGNS,
            );
            check_enum(
                &mut errors,
                prefix,
                "style.textAlignVertical",
                style.text_align_vertical.as_ref(),
                TEXT_ALIGNS_VERTICAL,
            );
        }
        check_position(&mut errors, prefix, self.position.as_ref());
        if let Some(geometry) = &self.geometry {
            positive(&mut errors, prefix, "geometry.width", geometry.width);
            positive(&mut errors, prefix, "geometry.height", geometry.height);
            // A sticky note keeps its shape's aspect ratio: one side
            // decides the other (`FixedRatioNoRotationGeometry`).
            if geometry.width.is_some() && geometry.height.is_some() {
                push(
                    &mut errors,
                    prefix,
                    "geometry",
                    "set either width or height, not both: a sticky note keeps its aspect ratio",
                );
            }
            if geometry.rotation.is_some() {
                push(
                    &mut errors,
                    prefix,
                    "geometry.rotation",
                    "sticky notes cannot be rotated",
                );
            }
        }
        check_parent(&mut errors, prefix, self.parent.as_ref());
        errors
    }

    /// A new sticky note from a validated body, with REST's defaults.
    pub fn create(self, id: String, author: &Author<'_>) -> Item {
        self.create_with(id, author, "top")
    }

    /// A new sticky note whose `textAlignVertical` defaults to
    /// `vertical` (the Web SDK documents `middle`, REST `top`).
    pub fn create_with(self, id: String, author: &Author<'_>, vertical: &str) -> Item {
        let mut item = new_item(
            id,
            author,
            Content::StickyNote(StickyNote {
                content: String::new(),
                shape: STICKY_NOTE_SHAPES[0].to_owned(),
                fill_color: DEFAULT_STICKY_NOTE_COLOR.to_owned(),
                text_align: "center".to_owned(),
                text_align_vertical: vertical.to_owned(),
            }),
        );
        item.width = STICKY_SQUARE_WIDTH;
        item.height = STICKY_HEIGHT;
        self.apply(&mut item, author);
        item
    }

    /// Applies a validated body to an existing sticky note (partial
    /// update). A new shape keeps the note's height and takes that shape's
    /// width; a width or height given sets that side and scales the other.
    pub fn apply(self, item: &mut Item, author: &Author<'_>) {
        if let Content::StickyNote(note) = &mut item.content {
            if let Some(data) = self.data {
                if let Some(content) = data.content {
                    note.content = strip_tags(&content, CONTENT_TAGS);
                }
                if let Some(shape) = data.shape {
                    if shape != note.shape {
                        item.width = StickyNote::width_for(&shape, item.height);
                    }
                    note.shape = shape;
                }
            }
            if let Some(style) = self.style {
                if let Some(color) = style.fill_color {
                    note.fill_color = color;
                }
                if let Some(align) = style.text_align {
                    note.text_align = align;
                }
                if let Some(align) = style.text_align_vertical {
                    note.text_align_vertical = align;
                }
            }
            if let Some(geometry) = &self.geometry {
                if let Some(width) = geometry.width {
                    item.width = width;
                    item.height = StickyNote::height_for(&note.shape, width);
                } else if let Some(height) = geometry.height {
                    item.height = height;
                    item.width = StickyNote::width_for(&note.shape, height);
                }
            }
        }
        apply_layout(item, self.position, None, author);
    }
}

/// A new item at the board centre, with the default size of cards.
pub fn new_item(id: String, author: &Author<'_>, content: Content) -> Item {
    Item {
        id,
        content,
        x: 0.0,
        y: 0.0,
        width: CARD_WIDTH,
        height: CARD_HEIGHT,
        rotation: 0.0,
        parent_id: None,
        created_at: author.now,
        created_by: author.user_id.to_owned(),
        modified_at: author.now,
        modified_by: author.user_id.to_owned(),
        creator_client_id: author.client_id.to_owned(),
        tag_ids: Vec::new(),
    }
}

/// Position and geometry changes common to every item, and the
/// modification stamp.
pub fn apply_layout(
    item: &mut Item,
    position: Option<PositionInput>,
    geometry: Option<GeometryInput>,
    author: &Author<'_>,
) {
    if let Some(position) = position {
        item.x = position.x.unwrap_or(item.x);
        item.y = position.y.unwrap_or(item.y);
    }
    if let Some(geometry) = geometry {
        item.width = geometry.width.unwrap_or(item.width);
        item.rotation = geometry.rotation.unwrap_or(item.rotation);
    }
    item.modified_at = author.now;
    item.modified_by = author.user_id.to_owned();
}
