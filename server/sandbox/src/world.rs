//! The sandbox's in-memory Miro: one organization, its teams, their users
//! and boards, and the items and tags on them. A board belongs to one team,
//! and only its team's users reach it (as on Miro, without guests or
//! sharing). Only the HTTP layers above turn
//! this into JSON; nothing here knows about requests.

use time::OffsetDateTime;

use super::errors::{ApiError, ApiResult};

/// Something with an id and a display name (organization, team, user).
#[derive(Clone, Debug)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A user and the team they work in.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub name: String,
    pub team_id: String,
}

/// A Miro app registered in the sandbox: its OAuth client.
#[derive(Clone, Debug)]
pub struct RegisteredApp {
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

/// Everything the sandbox holds.
#[derive(Debug)]
pub struct World {
    pub organization: Named,
    /// The seed team first.
    pub teams: Vec<Named>,
    pub users: Vec<User>,
    pub boards: Vec<Board>,
    next_item_id: u64,
}

/// One board and what is on it, items in creation order.
#[derive(Clone, Debug)]
pub struct Board {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner_id: String,
    /// The team the board is in: only its users reach it.
    pub team_id: String,
    pub created_at: OffsetDateTime,
    pub modified_at: OffsetDateTime,
    pub items: Vec<Item>,
    pub tags: Vec<Tag>,
}

/// A tag on a board.
#[derive(Clone, Debug)]
pub struct Tag {
    pub id: String,
    pub title: String,
    pub fill_color: String,
}

/// An item on a board: an app card, a card or a sticky note.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: String,
    pub content: Content,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub rotation: f64,
    pub parent_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub modified_at: OffsetDateTime,
    pub modified_by: String,
    /// The client id of the app that created the item: only it may write
    /// an app card.
    pub creator_client_id: String,
    pub tag_ids: Vec<String>,
}

/// What kind of item, with its type-specific data and style.
#[derive(Clone, Debug)]
pub enum Content {
    AppCard(AppCard),
    Card(Card),
    StickyNote(StickyNote),
}

/// An app card's data and its border colour (`style.fillColor`).
#[derive(Clone, Debug, Default)]
pub struct AppCard {
    pub title: String,
    pub description: String,
    pub status: String,
    pub fields: Vec<Field>,
    pub fill_color: String,
}

/// One preview field of an app card (`CustomField`); requests carry it as
/// it is stored. Absent members stay absent in JSON.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    pub value: Option<String>,
    pub tooltip: Option<String>,
    pub fill_color: Option<String>,
    pub text_color: Option<String>,
    pub icon_url: Option<String>,
    pub icon_shape: Option<String>,
}

/// A card's data and its colour (`style.cardTheme`).
#[derive(Clone, Debug, Default)]
pub struct Card {
    pub title: String,
    pub description: String,
    pub assignee_id: Option<String>,
    pub due_date: Option<String>,
    pub card_theme: String,
}

/// A sticky note's data (`content`, `shape`) and style. The colour and
/// the alignments are kept as the spec's enum strings.
#[derive(Clone, Debug)]
pub struct StickyNote {
    pub content: String,
    pub shape: String,
    pub fill_color: String,
    pub text_align: String,
    pub text_align_vertical: String,
}

impl Item {
    /// The REST `type` of the item.
    pub fn type_name(&self) -> &'static str {
        match self.content {
            Content::AppCard(_) => "app_card",
            Content::Card(_) => "card",
            Content::StickyNote(_) => "sticky_note",
        }
    }

    /// Only the app that created an app card may change or delete it, as
    /// on Miro; cards and sticky notes have no such rule.
    pub fn check_writable_by(&self, client_id: &str) -> ApiResult<()> {
        if matches!(self.content, Content::AppCard(_)) && self.creator_client_id != client_id {
            return Err(ApiError::forbidden(
                "This app card was created by another app; only its creator can change or delete it",
            ));
        }
        Ok(())
    }
}

/// Default height Miro gives cards and app cards (read-only, computed).
pub const CARD_HEIGHT: f64 = 94.0;
/// Default width of cards and app cards.
pub const CARD_WIDTH: f64 = 320.0;
/// Default `style.fillColor` of an app card and `cardTheme` of a card.
pub const DEFAULT_CARD_COLOR: &str = "#2d9bf0";
/// Sticky note shapes (`StickyNoteData.shape`), the first the default.
pub const STICKY_NOTE_SHAPES: &[&str] = &["square", "rectangle"];
/// Default width of a square sticky note (Miro's Web SDK reference).
pub const STICKY_SQUARE_WIDTH: f64 = 199.0;
/// Default width of a rectangular sticky note.
pub const STICKY_RECTANGLE_WIDTH: f64 = 350.0;
/// Default height of either shape (it includes the note's shadow).
pub const STICKY_HEIGHT: f64 = 228.0;
/// `StickyNoteStyle.fillColor`, the spec's named colours; the second,
/// `light_yellow`, is the default.
pub const STICKY_NOTE_COLORS: &[&str] = &[
    "gray",
    "light_yellow",
    "yellow",
    "orange",
    "light_green",
    "green",
    "dark_green",
    "cyan",
    "light_pink",
    "pink",
    "violet",
    "red",
    "light_blue",
    "blue",
    "dark_blue",
    "black",
];
pub const DEFAULT_STICKY_NOTE_COLOR: &str = "light_yellow";
/// `textAlign` values; REST's default is `center`.
pub const TEXT_ALIGNS: &[&str] = &["left", "right", "center"];
/// `textAlignVertical` values; REST's default is `top`.
pub const TEXT_ALIGNS_VERTICAL: &[&str] = &["top", "middle", "bottom"];

impl StickyNote {
    /// The width of this shape at `height`: a sticky note keeps its
    /// shape's aspect ratio, so only one of width and height is free.
    pub fn width_for(shape: &str, height: f64) -> f64 {
        height * Self::default_width(shape) / STICKY_HEIGHT
    }

    /// The height of this shape at `width`.
    pub fn height_for(shape: &str, width: f64) -> f64 {
        width * STICKY_HEIGHT / Self::default_width(shape)
    }

    pub fn default_width(shape: &str) -> f64 {
        if shape == "rectangle" {
            STICKY_RECTANGLE_WIDTH
        } else {
            STICKY_SQUARE_WIDTH
        }
    }
}

/// Cards and sticky notes carry at most this many tags.
pub const MAX_TAGS_PER_ITEM: usize = 8;

impl World {
    /// An empty world for one organization, its teams (the seed team
    /// first) and users; `first_item_id` seeds the item id counter (Miro's
    /// item ids are 19-digit numbers).
    pub fn new(
        organization: Named,
        teams: Vec<Named>,
        users: Vec<User>,
        first_item_id: u64,
    ) -> Self {
        Self {
            organization,
            teams,
            users,
            boards: Vec::new(),
            next_item_id: first_item_id,
        }
    }

    /// A fresh item or tag id, as a decimal string beyond 2^53.
    pub fn next_id(&mut self) -> String {
        self.next_item_id += 1;
        self.next_item_id.to_string()
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn team(&self, id: &str) -> Option<&Named> {
        self.teams.iter().find(|t| t.id == id)
    }

    /// The team's first user: who the sandbox signs in for that team.
    pub fn first_user_of(&self, team_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.team_id == team_id)
    }

    pub fn board(&self, id: &str) -> ApiResult<&Board> {
        self.boards
            .iter()
            .find(|b| b.id == id)
            .ok_or_else(|| ApiError::not_found(format!("Board {id} not found")))
    }

    pub fn board_mut(&mut self, id: &str) -> ApiResult<&mut Board> {
        self.boards
            .iter_mut()
            .find(|b| b.id == id)
            .ok_or_else(|| ApiError::not_found(format!("Board {id} not found")))
    }
}

impl Board {
    pub fn item(&self, id: &str) -> ApiResult<&Item> {
        self.items
            .iter()
            .find(|i| i.id == id)
            .ok_or_else(|| ApiError::not_found(format!("Item {id} not found")))
    }

    pub fn item_mut(&mut self, id: &str) -> ApiResult<&mut Item> {
        self.items
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or_else(|| ApiError::not_found(format!("Item {id} not found")))
    }

    /// Removes an item; its id is returned for the change feed.
    pub fn remove_item(&mut self, id: &str) -> ApiResult<Item> {
        let index = self
            .items
            .iter()
            .position(|i| i.id == id)
            .ok_or_else(|| ApiError::not_found(format!("Item {id} not found")))?;
        Ok(self.items.remove(index))
    }

    pub fn tag(&self, id: &str) -> ApiResult<&Tag> {
        self.tags
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| ApiError::not_found(format!("Tag {id} not found")))
    }
}

/// Tags Miro keeps in an app card's or card's title.
pub const TITLE_TAGS: &[&str] = &["p", "a", "br"];
/// Tags Miro keeps in a description.
pub const DESCRIPTION_TAGS: &[&str] = &[
    "p", "a", "strong", "b", "em", "i", "u", "ol", "ul", "li", "br",
];
/// Tags the sandbox keeps in a sticky note's content: a description's,
/// plus strike-through. The REST reference names no list for sticky notes;
/// this is the limited rich text the board page can draw safely.
pub const CONTENT_TAGS: &[&str] = &[
    "p", "a", "strong", "b", "em", "i", "u", "s", "ol", "ul", "li", "br",
];

/// Strips every HTML tag not in `allowed`, keeping the text between tags,
/// as Miro does with titles and descriptions. Allowed tags keep only an
/// `href` (on `<a>`); everything else about them is dropped.
pub fn strip_tags(input: &str, allowed: &[&str]) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if !after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') {
            // `a < b`: a `<` that starts no tag is text.
            out.push('<');
            rest = after;
            continue;
        }
        let Some(end) = after.find('>') else {
            // A lone `<` is text.
            out.push_str(&rest[start..]);
            return out;
        };
        let tag = &after[..end];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if !name.is_empty() && allowed.contains(&name.as_str()) {
            out.push('<');
            if closing {
                out.push('/');
            }
            out.push_str(&name);
            if !closing && name == "a" {
                if let Some(href) = attribute(tag, "href") {
                    out.push_str(&format!(" href=\"{}\"", href.replace('"', "&quot;")));
                }
            }
            out.push('>');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The value of `name="..."` (or single-quoted) inside a tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))? + name.len() + 1;
    let quote = tag[at..].chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let value = &tag[at + 1..];
    Some(&value[..value.find(quote)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_tags_keeps_allowed_tags_and_the_text_of_others() {
        assert_eq!(
            strip_tags(
                "<p>Fix <script>alert(1)</script><b>now</b><br/></p>",
                TITLE_TAGS
            ),
            "<p>Fix alert(1)now<br></p>"
        );
        assert_eq!(
            strip_tags(
                "<a href=\"https://x.test/a\" onclick=\"evil()\">x</a> <STRONG>y</STRONG>",
                DESCRIPTION_TAGS
            ),
            "<a href=\"https://x.test/a\">x</a> <strong>y</strong>"
        );
        assert_eq!(strip_tags("a < b and c > d", TITLE_TAGS), "a < b and c > d");
        assert_eq!(strip_tags("1 <2", TITLE_TAGS), "1 <2");
    }
}
