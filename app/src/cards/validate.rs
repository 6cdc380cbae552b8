//! The rules a record must meet before it is saved, applied by the browser as
//! the user types and by the server before it stores anything, so both refuse
//! the same input with the same words: [`validate_record`] reports every
//! problem at once, each with the path of the field it concerns. The limits
//! and single-value checks it applies live in [`super::limits`] (re-exported
//! here).

use std::collections::HashSet;

use super::limits::too_long;
pub use super::limits::*;
use super::model::{FieldError, RecordFields};
use super::render::all_chips;
use super::template::CardTemplate;
use super::work::{step, steps};

/// Every problem with a record kept here ([`TextLimits::BUILT_IN`]), in
/// field order, each with its field's path: `title`, `description`,
/// `status`, `assignee`, `due_date`, `labels.N`, `labels`,
/// `custom.N.name`, `custom.N.value`, `custom`,
/// `preview.N.value|tooltip|fill_color|text_color|icon_url` and `preview`.
/// Empty when the record may be saved.
pub fn validate_record(fields: &RecordFields, template: &CardTemplate) -> Vec<FieldError> {
    validate_record_within(fields, template, TextLimits::BUILT_IN)
}

/// [`validate_record`] with the title and description `limits` of the
/// record's tool.
pub fn validate_record_within(
    fields: &RecordFields,
    template: &CardTemplate,
    limits: TextLimits,
) -> Vec<FieldError> {
    let mut report = Report(Vec::new());

    let title = fields.title.trim();
    if title.is_empty() {
        report.add("title".to_owned(), "Give the record a title.".to_owned());
    }
    report.limit("title".to_owned(), "Titles", title, limits.title);
    report.limit(
        "description".to_owned(),
        "Descriptions",
        &fields.description,
        limits.description,
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

    check_labels(&fields.labels, &mut report);

    let mut seen = HashSet::new();
    for (i, field) in fields.custom.iter().enumerate() {
        step();
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
        step();
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
    // The tool's own chips (the issue number) are not counted: they show
    // when there is room, so a record's tool never makes it unsavable.
    let shown = all_chips(&fields.content(), template).len();
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

/// The problems with a record's labels alone (`labels.N` and `labels`), as
/// [`validate_record`] reports them: what a tool's labels are checked
/// against when they arrive.
pub fn validate_labels(labels: &[String]) -> Vec<FieldError> {
    let mut report = Report(Vec::new());
    check_labels(labels, &mut report);
    report.0
}

fn check_labels(labels: &[String], report: &mut Report) {
    let mut seen = HashSet::new();
    for (i, label) in labels.iter().enumerate() {
        step();
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
    if labels.len() > MAX_LABELS {
        let count = labels.len();
        report.add(
            "labels".to_owned(),
            format!("A record can have at most {MAX_LABELS} labels (this one has {count})."),
        );
    }
}

/// The problems found so far.
struct Report(Vec<FieldError>);

impl Report {
    fn add(&mut self, field: String, message: String) {
        self.0.push(FieldError { field, message });
    }

    /// Refuses `value` if it has more than `max` characters.
    fn limit(&mut self, field: String, what: &str, value: &str, max: usize) {
        steps(value.len());
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
