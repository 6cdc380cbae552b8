//! The rules a record must meet before it is saved, applied by the browser as
//! the user types and by the server before it stores anything, so both refuse
//! the same input with the same words. Owns the length limits, the per-rule
//! checks (colour, icon URL, date) and [`validate_record`], which reports
//! every problem at once, each with the path of the field it concerns.
//!
//! Lengths count characters (Unicode scalar values), not bytes.

use std::collections::HashSet;

use super::model::{FieldError, RecordFields};
use super::render::all_chips;
use super::template::CardTemplate;

mod date;

pub(crate) use date::MONTH_NAMES;
pub use date::{check_date, parse_date};

/// Longest title. Miro documents no limit (miro-platform.md §9 item 2); the
/// compact card shows two or three lines of title, so anything longer than a
/// long sentence is unreadable there.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description (Markdown source). No documented Miro limit; the
/// detail view is where long text belongs, and this keeps a card write small.
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
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

fn too_long(what: &str, max: usize, count: usize) -> String {
    format!("{what} can be at most {max} characters (this one has {count}).")
}

/// Every problem with a record, in field order, each with its field's path:
/// `title`, `description`, `status`, `assignee`, `due_date`, `labels.N`,
/// `labels`, `custom.N.name`, `custom.N.value`, `custom`,
/// `preview.N.value|tooltip|fill_color|text_color|icon_url` and `preview`.
/// Empty when the record may be saved.
pub fn validate_record(fields: &RecordFields, template: &CardTemplate) -> Vec<FieldError> {
    let mut report = Report(Vec::new());

    let title = fields.title.trim();
    if title.is_empty() {
        report.add("title".to_owned(), "Give the record a title.".to_owned());
    }
    report.limit("title".to_owned(), "Titles", title, MAX_TITLE_CHARS);
    report.limit(
        "description".to_owned(),
        "Descriptions",
        &fields.description,
        MAX_DESCRIPTION_CHARS,
    );

    if template.status(&fields.status).is_none() {
        let choices: Vec<&str> = template.statuses.iter().map(|s| s.label.as_str()).collect();
        let message = if fields.status.is_empty() {
            format!("Choose a status: {}.", choices.join(", "))
        } else {
            format!(
                "“{}” is not a status here: choose {}.",
                fields.status,
                choices.join(", ")
            )
        };
        report.add("status".to_owned(), message);
    }
    report.limit(
        "assignee".to_owned(),
        "Assignees",
        fields.assignee.trim(),
        MAX_ASSIGNEE_CHARS,
    );
    if let Err(message) = check_date(&fields.due_date) {
        report.add("due_date".to_owned(), message);
    }

    let mut seen = HashSet::new();
    for (i, label) in fields.labels.iter().enumerate() {
        let label = label.trim();
        if label.is_empty() {
            report.add(format!("labels.{i}"), "Labels cannot be empty.".to_owned());
        } else if !seen.insert(label.to_lowercase()) {
            report.add(
                format!("labels.{i}"),
                format!("“{label}” is already a label."),
            );
        }
        report.limit(format!("labels.{i}"), "Labels", label, MAX_LABEL_CHARS);
    }
    if fields.labels.len() > MAX_LABELS {
        let count = fields.labels.len();
        report.add(
            "labels".to_owned(),
            format!("A record can have at most {MAX_LABELS} labels (this one has {count})."),
        );
    }

    let mut seen = HashSet::new();
    for (i, field) in fields.custom.iter().enumerate() {
        let name = field.name.trim();
        if name.is_empty() {
            report.add(
                format!("custom.{i}.name"),
                "Give this field a name.".to_owned(),
            );
        } else if !seen.insert(name.to_lowercase()) {
            report.add(
                format!("custom.{i}.name"),
                format!("There is already a field called “{name}”."),
            );
        }
        report.limit(
            format!("custom.{i}.name"),
            "Field names",
            name,
            MAX_CUSTOM_NAME_CHARS,
        );
        report.limit(
            format!("custom.{i}.value"),
            "Field values",
            &field.value,
            MAX_CUSTOM_VALUE_CHARS,
        );
    }
    if fields.custom.len() > MAX_CUSTOM_FIELDS {
        let count = fields.custom.len();
        report.add(
            "custom".to_owned(),
            format!("A record can have at most {MAX_CUSTOM_FIELDS} fields (this one has {count})."),
        );
    }

    for (i, chip) in fields.preview.iter().enumerate() {
        if chip.value.trim().is_empty() {
            report.add(
                format!("preview.{i}.value"),
                "A preview field needs a value.".to_owned(),
            );
        }
        report.limit(
            format!("preview.{i}.value"),
            "Preview values",
            &chip.value,
            MAX_FIELD_VALUE_CHARS,
        );
        report.limit(
            format!("preview.{i}.tooltip"),
            "Tooltips",
            &chip.tooltip,
            MAX_TOOLTIP_CHARS,
        );
        for (name, value) in [
            ("fill_color", &chip.fill_color),
            ("text_color", &chip.text_color),
        ] {
            if let Err(message) = check_color(value) {
                report.add(format!("preview.{i}.{name}"), message);
            }
        }
        if let Err(message) = check_icon_url(&chip.icon_url) {
            report.add(format!("preview.{i}.icon_url"), message);
        }
    }
    let shown = all_chips(fields, template).len();
    if shown > MAX_PREVIEW_FIELDS {
        report.add(
            "preview".to_owned(),
            format!(
                "The card would show {shown} preview fields, but at most {MAX_PREVIEW_FIELDS} fit: remove some preview fields or labels."
            ),
        );
    }
    report.0
}

/// The problems found so far.
struct Report(Vec<FieldError>);

impl Report {
    fn add(&mut self, field: String, message: String) {
        self.0.push(FieldError { field, message });
    }

    /// Refuses `value` if it has more than `max` characters.
    fn limit(&mut self, field: String, what: &str, value: &str, max: usize) {
        let count = value.chars().count();
        if count > max {
            self.add(field, too_long(what, max, count));
        }
    }
}

/// The first message for exactly this field path, if any.
pub fn errors_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|error| error.field == field)
        .map(|error| error.message.as_str())
}

#[cfg(test)]
mod tests;
