//! The card template: the data (read from TOML on the server, sent to the
//! browser as JSON) that says how a record becomes an app card — which
//! statuses exist and how each one colours the card, and which preview chips
//! the card shows, in which order and style. Owns the template's types, their
//! serde spelling, and [`CardTemplate::check`], which tells whether a template
//! itself is sound. Applying the template is `render`'s job.

use serde::{Deserialize, Serialize};

use super::limits::{check_color, check_icon_url, MAX_TOOLTIP_CHARS};
use super::{markdown::DescriptionRules, model::IconShape};

/// The template that ships with the app, kept next to this file.
pub const DEFAULT_TEMPLATE_TOML: &str = include_str!("default-template.toml");

/// Miro's own default app card border colour.
const MIRO_DEFAULT_CARD_COLOR: &str = "#2d9bf0";

/// What [`CardTemplate::default_status`] answers for a template without
/// statuses (one that fails [`CardTemplate::check`]): a status with no key,
/// no label and no colours, so the card falls back to the template colour.
static NO_STATUS: StatusOption = StatusOption {
    key: String::new(),
    label: String::new(),
    fill_color: String::new(),
    text_color: String::new(),
    card_color: String::new(),
};

/// How records become app cards on this deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardTemplate {
    /// The card's border colour (`#RRGGBB`) when its status names none.
    #[serde(default = "default_card_color")]
    pub card_color: String,
    /// The statuses a record can have, in the order a user picks from; the
    /// first is the default.
    #[serde(default)]
    pub statuses: Vec<StatusOption>,
    /// The preview chips a card shows, in order.
    #[serde(default)]
    pub chips: Vec<ChipRule>,
    /// Which Markdown becomes HTML in descriptions (all of it by default).
    #[serde(default)]
    pub description: DescriptionRules,
}

/// One status a record can have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusOption {
    /// What a record stores (`RecordFields::status`); never shown.
    pub key: String,
    /// What a user sees.
    pub label: String,
    /// The status chip's background, `#RRGGBB` or "" for Miro's default.
    #[serde(default)]
    pub fill_color: String,
    /// The status chip's text colour, `#RRGGBB` or "" for Miro's default.
    #[serde(default)]
    pub text_color: String,
    /// The card's border colour in this status; "" uses the template's.
    #[serde(default)]
    pub card_color: String,
}

/// One preview chip (or, for labels and `preview`, a run of chips) on a card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipRule {
    /// Which part of the record the chip shows.
    pub source: ChipSource,
    /// Shown when hovering the chip; "" for none (a custom field's chip
    /// then uses the field's name).
    #[serde(default)]
    pub tooltip: String,
    /// The chip's text, with `{value}` standing for the value, e.g.
    /// `"Due {value}"`.
    #[serde(default = "default_format")]
    pub format: String,
    /// How a due date is written; used by `due_date` chips only.
    #[serde(default)]
    pub date_style: DateStyle,
    /// `#RRGGBB` or "" (a status chip then uses its status's colour).
    #[serde(default)]
    pub fill_color: String,
    /// `#RRGGBB` or "" (a status chip then uses its status's colour).
    #[serde(default)]
    pub text_color: String,
    /// An `https` URL of a JPG, PNG or SVG image, or "".
    #[serde(default)]
    pub icon_url: String,
    #[serde(default)]
    pub icon_shape: IconShape,
}

/// The part of a record a chip rule shows. Spelled in TOML and JSON as
/// `"status"`, `"assignee"`, `"due_date"`, `"labels"`, `"custom:<Name>"`,
/// `"preview"` or `"reference"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ChipSource {
    /// The status's label.
    Status,
    /// The assignee.
    Assignee,
    /// The due date, written per the rule's `date_style`.
    DueDate,
    /// One chip per label.
    Labels,
    /// The custom field with this name (matched ignoring case).
    Custom(String),
    /// The record's own preview fields, as they are.
    Preview,
    /// The item's reference in its tool (GitHub's `#42`); no chip for a
    /// record kept here.
    Reference,
}

/// How a due date chip writes the date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateStyle {
    /// `2026-11-25`
    Iso,
    /// `Nov 25`
    #[default]
    Short,
    /// `25 Nov 2026`
    Long,
}

fn default_card_color() -> String {
    MIRO_DEFAULT_CARD_COLOR.to_owned()
}

impl ChipRule {
    /// A rule showing `source` with the template defaults: no tooltip,
    /// the bare value, short dates, Miro's colours, no icon.
    pub fn for_source(source: ChipSource) -> Self {
        Self {
            source,
            tooltip: String::new(),
            format: default_format(),
            date_style: DateStyle::Short,
            fill_color: String::new(),
            text_color: String::new(),
            icon_url: String::new(),
            icon_shape: IconShape::Round,
        }
    }
}

fn default_format() -> String {
    "{value}".to_owned()
}

impl ChipSource {
    /// Reads the template spelling, e.g. `"due_date"` or `"custom:Priority"`
    /// (the name is trimmed and must not be empty).
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(match text {
            "status" => ChipSource::Status,
            "assignee" => ChipSource::Assignee,
            "due_date" => ChipSource::DueDate,
            "labels" => ChipSource::Labels,
            "preview" => ChipSource::Preview,
            "reference" => ChipSource::Reference,
            _ => match text.strip_prefix("custom:") {
                Some(name) if !name.trim().is_empty() => ChipSource::Custom(name.trim().to_owned()),
                Some(_) => return Err("a chip source \"custom:\" needs a field name after the colon".to_owned()),
                None => {
                    return Err(format!(
                        "unknown chip source \"{text}\": use status, assignee, due_date, labels, custom:<Name>, preview or reference"
                    ))
                }
            },
        })
    }

    /// The template spelling; [`ChipSource::parse`] reads it back.
    pub fn spelling(&self) -> String {
        match self {
            ChipSource::Status => "status".to_owned(),
            ChipSource::Assignee => "assignee".to_owned(),
            ChipSource::DueDate => "due_date".to_owned(),
            ChipSource::Labels => "labels".to_owned(),
            ChipSource::Custom(name) => format!("custom:{name}"),
            ChipSource::Preview => "preview".to_owned(),
            ChipSource::Reference => "reference".to_owned(),
        }
    }
}

impl TryFrom<String> for ChipSource {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        ChipSource::parse(&text)
    }
}

impl From<ChipSource> for String {
    fn from(source: ChipSource) -> Self {
        source.spelling()
    }
}

impl std::fmt::Display for ChipSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.spelling())
    }
}

impl CardTemplate {
    /// The status with exactly this key.
    pub fn status(&self, key: &str) -> Option<&StatusOption> {
        self.statuses.iter().find(|status| status.key == key)
    }

    /// The first status. A template without statuses fails
    /// [`CardTemplate::check`]; for one, this answers a status with an empty
    /// key, label and colours rather than panicking.
    pub fn default_status(&self) -> &StatusOption {
        self.statuses.first().unwrap_or(&NO_STATUS)
    }

    /// The status a record with this key is shown as: its own, or the
    /// default status when the key is unknown.
    pub fn status_or_default(&self, key: &str) -> &StatusOption {
        self.status(key).unwrap_or_else(|| self.default_status())
    }

    /// The card's border colour for a record in this status: the status's
    /// own, else the template's (an unknown key counts as the default status).
    pub fn card_color_for(&self, status_key: &str) -> &str {
        let status = self.status_or_default(status_key);
        if status.card_color.is_empty() {
            &self.card_color
        } else {
            &status.card_color
        }
    }

    /// Whether the template itself is sound: at least one status, unique
    /// non-empty keys and labels, valid colours and icon URLs, every format
    /// containing `{value}`, no chip source listed twice. Every problem is
    /// reported, each prefixed with where it is (e.g. `statuses[2].key`).
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let color = |problems: &mut Vec<String>, place: String, value: &str| {
            if let Err(message) = check_color(value) {
                problems.push(format!("{place}: {message}"));
            }
        };
        if self.card_color.is_empty() {
            problems.push("card_color: the template needs a border colour like #2D9BF0".to_owned());
        }
        color(&mut problems, "card_color".to_owned(), &self.card_color);

        if self.statuses.is_empty() {
            problems.push("statuses: the template needs at least one status".to_owned());
        }
        for (i, status) in self.statuses.iter().enumerate() {
            if status.key.trim().is_empty() || status.key.trim() != status.key {
                problems.push(format!(
                    "statuses[{i}].key: a key must not be empty or start or end with spaces"
                ));
            } else if self.statuses[..i].iter().any(|s| s.key == status.key) {
                problems.push(format!(
                    "statuses[{i}].key: \"{}\" is used by an earlier status",
                    status.key
                ));
            }
            if status.label.trim().is_empty() {
                problems.push(format!("statuses[{i}].label: a status needs a label"));
            }
            for (name, value) in [
                ("fill_color", &status.fill_color),
                ("text_color", &status.text_color),
                ("card_color", &status.card_color),
            ] {
                color(&mut problems, format!("statuses[{i}].{name}"), value);
            }
        }

        for (i, chip) in self.chips.iter().enumerate() {
            if self.chips[..i]
                .iter()
                .any(|c| same_source(&c.source, &chip.source))
            {
                problems.push(format!(
                    "chips[{i}].source: \"{}\" is listed by an earlier chip",
                    chip.source
                ));
            }
            if !chip.format.contains("{value}") {
                problems.push(format!(
                    "chips[{i}].format: \"{}\" must contain {{value}}",
                    chip.format
                ));
            }
            if chip.tooltip.chars().count() > MAX_TOOLTIP_CHARS {
                problems.push(format!(
                    "chips[{i}].tooltip: at most {MAX_TOOLTIP_CHARS} characters"
                ));
            }
            for (name, value) in [
                ("fill_color", &chip.fill_color),
                ("text_color", &chip.text_color),
            ] {
                color(&mut problems, format!("chips[{i}].{name}"), value);
            }
            if let Err(message) = check_icon_url(&chip.icon_url) {
                problems.push(format!("chips[{i}].icon_url: {message}"));
            }
        }

        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Two chip sources show the same thing (custom names compared ignoring case,
/// as records' custom fields are matched).
fn same_source(a: &ChipSource, b: &ChipSource) -> bool {
    match (a, b) {
        (ChipSource::Custom(x), ChipSource::Custom(y)) => x.to_lowercase() == y.to_lowercase(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests;
