//! The limits a record's fields must keep and the checks of single values
//! (a colour, an icon URL, a date). A leaf: rendering, the template and
//! whole-record validation all build on it, and it on nothing of theirs.
//!
//! Lengths count characters (Unicode scalar values), not bytes.

mod date;

use serde::{Deserialize, Serialize};

pub(crate) use date::MONTH_NAMES;
pub use date::{check_date, parse_date};

/// Longest title. Miro documents no limit (miro-platform.md §9 item 2); the
/// compact card shows two or three lines of title, so anything longer than a
/// long sentence is unreadable there.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description (Markdown source). No documented Miro limit; the
/// detail view is where long text belongs, and this keeps a card write small.
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
/// How long a record's title and description may be. A record kept here
/// has [`TextLimits::BUILT_IN`]; a record whose item lives in a tool that
/// holds more (a GitHub issue) may have what that tool holds, so that
/// saving it never cuts the item's text. Its card still shows at most the
/// built-in lengths (see [`super::render`]). The server decides a
/// record's limits from where its item lives, never from what a browser
/// sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextLimits {
    /// Longest title, in characters.
    pub title: usize,
    /// Longest description (Markdown source), in characters.
    pub description: usize,
}

impl TextLimits {
    /// A record kept here, and what a card shows.
    pub const BUILT_IN: TextLimits = TextLimits {
        title: MAX_TITLE_CHARS,
        description: MAX_DESCRIPTION_CHARS,
    };
}

impl Default for TextLimits {
    fn default() -> Self {
        Self::BUILT_IN
    }
}

/// Most preview chips on one card. No documented Miro limit; the compact card
/// shows only a few chips on its lower half, and more than ten is clutter.
pub const MAX_PREVIEW_FIELDS: usize = 10;
/// Longest preview chip value. No documented Miro limit; a chip is one short
/// line on a 320 dp wide card, so longer values are cut off anyway.
pub const MAX_FIELD_VALUE_CHARS: usize = 60;
/// Longest chip tooltip. No documented Miro limit; a tooltip is a hint, not a
/// paragraph.
pub const MAX_TOOLTIP_CHARS: usize = 100;
/// Most labels on one record; each label may become a chip, and the card
/// shows at most [`MAX_PREVIEW_FIELDS`].
pub const MAX_LABELS: usize = 20;
/// Longest label: labels are chips, and chips are short.
pub const MAX_LABEL_CHARS: usize = 40;
/// Most custom fields on one record, so the detail view's form stays usable.
pub const MAX_CUSTOM_FIELDS: usize = 20;
/// Longest custom field name: a name is a form label or a chip tooltip.
pub const MAX_CUSTOM_NAME_CHARS: usize = 40;
/// Longest custom field value. Values live in the detail view and only a
/// chip's worth of one reaches the card, so they may be longer than a chip.
pub const MAX_CUSTOM_VALUE_CHARS: usize = 500;
/// Longest assignee (a name or handle).
pub const MAX_ASSIGNEE_CHARS: usize = 100;
/// Longest chip icon URL. No documented Miro limit; 2000 characters is what
/// URLs are commonly kept under to work everywhere.
pub const MAX_ICON_URL_CHARS: usize = 2000;

/// Checks a colour field: "" (not set) or `#RRGGBB` with exactly six hex
/// digits, in either case.
pub fn check_color(value: &str) -> Result<(), String> {
    let valid = value.is_empty()
        || (value.len() == 7
            && value.starts_with('#')
            && value[1..].chars().all(|c| c.is_ascii_hexdigit()));
    if valid {
        Ok(())
    } else {
        Err(
            "Use a colour like #1A2B3C: a # followed by exactly 6 hex digits (0-9, A-F)."
                .to_owned(),
        )
    }
}

/// Checks a chip icon URL: "" (no icon) or an `https://` URL whose path ends
/// in `.jpg`, `.jpeg`, `.png` or `.svg` (any case; a query string or fragment
/// may follow). Miro loads icons over HTTPS only, and only these formats.
pub fn check_icon_url(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    let count = value.chars().count();
    if count > MAX_ICON_URL_CHARS {
        return Err(too_long("Icon links", MAX_ICON_URL_CHARS, count));
    }
    if value.chars().any(char::is_whitespace) {
        return Err("Icon links cannot contain spaces.".to_owned());
    }
    let rest = match value.get(..8) {
        Some(scheme) if scheme.eq_ignore_ascii_case("https://") => &value[8..],
        _ => {
            return Err(
                "Icon links must start with https:// (Miro loads icons only over HTTPS)."
                    .to_owned(),
            )
        }
    };
    let before_query = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = before_query.split_once('/').unwrap_or((before_query, ""));
    if host.is_empty() {
        return Err("This icon link has no website name after https://.".to_owned());
    }
    let path = path.to_ascii_lowercase();
    if [".jpg", ".jpeg", ".png", ".svg"]
        .iter()
        .any(|ext| path.ends_with(ext))
    {
        Ok(())
    } else {
        Err(
            "Icons must be JPG, PNG or SVG images: use a link ending in .jpg, .jpeg, .png or .svg."
                .to_owned(),
        )
    }
}

pub(crate) fn too_long(what: &str, max: usize, count: usize) -> String {
    format!("{what} can be at most {max} characters (this one has {count}).")
}
