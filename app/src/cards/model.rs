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
    /// What the record's tool says about its item (GitHub's issue number,
    /// link and label colours); empty for records kept here. Read-only: the
    /// store keeps the tool's copy whatever a save from Miro sends, and it
    /// never counts as an edit (see [`RecordFields::same_content`]).
    #[serde(default, skip_serializing_if = "SourceDetails::is_empty")]
    pub source: SourceDetails,
}

impl RecordFields {
    /// The same edits, whatever each side's [`SourceDetails`]: what the
    /// sync compares to tell a change from an echo, since a tool's details
    /// (a label's colour) are not something either side edits.
    pub fn same_content(&self, other: &RecordFields) -> bool {
        let RecordFields {
            title,
            description,
            status,
            assignee,
            due_date,
            labels,
            custom,
            preview,
            source: _,
        } = self;
        *title == other.title
            && *description == other.description
            && *status == other.status
            && *assignee == other.assignee
            && *due_date == other.due_date
            && *labels == other.labels
            && *custom == other.custom
            && *preview == other.preview
    }

    /// These fields with `source` emptied: the part a user edits.
    pub fn content(&self) -> RecordFields {
        RecordFields {
            source: SourceDetails::default(),
            ..self.clone()
        }
    }
}

/// The item as its tool knows it, shown beside the record's fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDetails {
    /// The tool's name, as a user knows it (`GitHub`).
    #[serde(default)]
    pub tool: String,
    /// The item's short reference (`#42`): the template's `reference` chip.
    #[serde(default)]
    pub reference: String,
    /// Where the item lives in the tool (`acme/roadmap`).
    #[serde(default)]
    pub location: String,
    /// The item's page in the tool (`https://…`), linked from the view.
    #[serde(default)]
    pub url: String,
    /// The tool's colour for each of the record's labels that has one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_colors: Vec<LabelColor>,
}

impl SourceDetails {
    pub fn is_empty(&self) -> bool {
        *self == SourceDetails::default()
    }

    /// The tool's colour for this label (`#RRGGBB`), if it has a valid one.
    pub fn label_color(&self, label: &str) -> Option<&str> {
        self.label_colors
            .iter()
            .find(|known| known.name == label)
            .map(|known| known.color.as_str())
            .filter(|color| super::limits::check_color(color).is_ok() && !color.is_empty())
    }

    /// The link to the item, when it is one a browser may follow
    /// (`https://`, or `http://` for a stand-in on this machine).
    pub fn safe_url(&self) -> Option<&str> {
        let url = self.url.as_str();
        let lower = url.to_ascii_lowercase();
        (lower.starts_with("https://") || lower.starts_with("http://")).then_some(url)
    }
}

/// One label's colour in the record's tool.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelColor {
    pub name: String,
    /// `#RRGGBB`.
    pub color: String,
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
