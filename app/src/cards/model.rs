//! The record and the app card, as both sides see them: what a user edits
//! (a record's fields) and what Miro shows (a card preview). Plain data;
//! the rules live in `template`, `render` and `validate`.
//!
//! Text that may be absent is an empty string rather than an `Option`: a
//! form field is a string, and "" and "unset" mean the same to a user.

use serde::{Deserialize, Serialize};

/// Everything a user can edit about one record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFields {
    /// Plain text.
    pub title: String,
    /// Markdown; turned into the HTML Miro keeps by `markdown::to_miro_html`.
    pub description: String,
    /// The key of one of the template's statuses.
    pub status: String,
    /// Free text (a name or handle); "" when nobody is assigned.
    pub assignee: String,
    /// `YYYY-MM-DD`, or "" for none.
    pub due_date: String,
    pub labels: Vec<String>,
    /// Named values beyond the fixed ones, in the order the user keeps them.
    pub custom: Vec<CustomField>,
    /// The card's own preview fields, shown where the template's `preview`
    /// chip rule says, in this order.
    pub preview: Vec<PreviewField>,
}

/// One named custom field of a record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    pub name: String,
    pub value: String,
}

/// One preview field (a "chip") on an app card: Miro's `CustomField`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewField {
    pub value: String,
    pub tooltip: String,
    /// `#RRGGBB` or "".
    pub fill_color: String,
    /// `#RRGGBB` or "".
    pub text_color: String,
    /// An `https` URL of a JPG, PNG or SVG image, or "".
    pub icon_url: String,
    pub icon_shape: IconShape,
}

/// The shape Miro crops a preview field's icon to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IconShape {
    #[default]
    Round,
    Square,
}

/// Miro's app card status: whether the card is linked to a record and in
/// step with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardStatus {
    /// Linked and in sync.
    #[default]
    Connected,
    /// No record behind the card.
    Disconnected,
    /// The record's source item was deleted.
    Disabled,
}

impl CardStatus {
    /// Miro's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CardStatus::Connected => "connected",
            CardStatus::Disconnected => "disconnected",
            CardStatus::Disabled => "disabled",
        }
    }

    /// Reads Miro's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "connected" => Some(CardStatus::Connected),
            "disconnected" => Some(CardStatus::Disconnected),
            "disabled" => Some(CardStatus::Disabled),
            _ => None,
        }
    }
}

/// Exactly what an app card on the board shows: the `data` and `style` a
/// card write sends to Miro. Two equal previews draw the same card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardPreview {
    /// The HTML Miro keeps in a title (text, escaped).
    pub title: String,
    /// The HTML Miro keeps in a description.
    pub description: String,
    pub status: CardStatus,
    pub fields: Vec<PreviewField>,
    /// The card's border colour, `#RRGGBB` (Miro's `style.fillColor`).
    pub fill_color: String,
}

/// A record at one version, as the detail view opens and saves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSnapshot {
    pub id: String,
    /// Starts at 1; every save adds one.
    pub version: i64,
    pub fields: RecordFields,
}

/// One refused input: which field (a path such as `title` or
/// `preview.2.icon_url`) and why, in words for the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}
