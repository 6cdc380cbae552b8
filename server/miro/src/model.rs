//! The client's reading of Miro's JSON: what it sends (`…Create`,
//! `…Update`, all members optional and omitted when `None`, so a PATCH is
//! partial) and what it receives (unknown members are ignored; ids are
//! strings; HTML in titles and descriptions is kept as Miro returns it).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `connected`, `disconnected` or `disabled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppCardStatus {
    Connected,
    Disconnected,
    Disabled,
    /// A status this client does not know yet.
    #[serde(other, skip_serializing)]
    Unknown,
}

/// `round` or `square`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IconShape {
    Round,
    Square,
    #[serde(other, skip_serializing)]
    Unknown,
}

/// One preview field of an app card (`CustomField`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardField {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tooltip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fill_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon_shape: Option<IconShape>,
}

/// `{x, y}` on the board, centre at (0, 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// `Geometry` as sent: width and rotation (height is computed for cards).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Size {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<f64>,
}

/// `Geometry` as received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
pub struct Geometry {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub rotation: Option<f64>,
}

/// A parent frame, by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParentRef {
    pub id: String,
}

/// Who and when, as items report it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stamp {
    pub id: Option<String>,
}

/// The data of an app card to create or change.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AppCardChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AppCardStatus>,
    /// Replaces the card's whole list of preview fields when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<CardField>>,
}

/// `AppCardStyle`: the border colour.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppCardStyle {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fill_color: Option<String>,
}

/// Body of creating (POST) or changing (PATCH, partial) an item: its
/// type-specific `data` and `style`, and where it sits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemWrite<D, S> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<D>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Point>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry: Option<Size>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentRef>,
}

impl<D, S> Default for ItemWrite<D, S> {
    fn default() -> Self {
        Self {
            data: None,
            style: None,
            position: None,
            geometry: None,
            parent: None,
        }
    }
}

/// Body of creating or changing an app card.
pub type AppCardWrite = ItemWrite<AppCardChanges, AppCardStyle>;

/// An app card's data as Miro returns it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct AppCardData {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub status: Option<AppCardStatus>,
    /// Whether our app created the card (only then may it change it).
    pub owned: Option<bool>,
    #[serde(default)]
    pub fields: Vec<CardField>,
}

/// `AppCardItem`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppCard {
    pub id: String,
    #[serde(default)]
    pub data: AppCardData,
    #[serde(default)]
    pub style: AppCardStyle,
    pub position: Option<Point>,
    pub geometry: Option<Geometry>,
    pub parent: Option<ParentRef>,
    pub created_at: Option<String>,
    pub modified_at: Option<String>,
    pub modified_by: Option<Stamp>,
}

/// A card's data, to send or as received.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    /// ISO 8601 date-time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
}

/// `CardStyle`: the card's colour.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardStyle {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_theme: Option<String>,
}

/// Body of creating or changing a card.
pub type CardWrite = ItemWrite<CardData, CardStyle>;

/// `CardItem`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub id: String,
    #[serde(default)]
    pub data: CardData,
    #[serde(default)]
    pub style: CardStyle,
    pub position: Option<Point>,
    pub geometry: Option<Geometry>,
    pub created_at: Option<String>,
    pub modified_at: Option<String>,
}

/// Any item, as the items endpoints return it (`GenericItem`, bulk `Item`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Type-specific; read it with [`Item::app_card_data`].
    #[serde(default)]
    pub data: Value,
    pub position: Option<Point>,
    pub geometry: Option<Geometry>,
    pub parent: Option<ParentRef>,
    pub created_at: Option<String>,
    pub modified_at: Option<String>,
}

impl Item {
    /// The data of an app card, if this item is one.
    pub fn app_card_data(&self) -> Option<AppCardData> {
        (self.kind == "app_card")
            .then(|| serde_json::from_value(self.data.clone()).ok())
            .flatten()
    }
}

/// One item of a bulk create.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NewItem {
    AppCard(AppCardWrite),
    Card(CardWrite),
}

/// A board (`Board`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub team: Option<TeamRef>,
    pub view_link: Option<String>,
    pub created_at: Option<String>,
    pub modified_at: Option<String>,
}

/// A board's team.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TeamRef {
    pub id: String,
    pub name: Option<String>,
}

/// An offset-paged list (boards, tags, items by tag).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub offset: u64,
    #[serde(default)]
    pub limit: u64,
}

/// Which boards to list.
#[derive(Clone, Debug, Default)]
pub struct BoardQuery {
    pub team_id: Option<String>,
    pub query: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A tag's colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagColor {
    Red,
    LightGreen,
    Cyan,
    Yellow,
    Magenta,
    Green,
    Blue,
    Gray,
    Violet,
    DarkGreen,
    DarkBlue,
    Black,
    #[serde(other, skip_serializing)]
    Unknown,
}

/// A tag on a board.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    pub id: String,
    pub title: String,
    pub fill_color: TagColor,
}

/// Body of creating or changing a tag.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fill_color: Option<TagColor>,
}
