//! Resolving a conflict field by field: which of a record's fields differ
//! between their version and ours, how each reads, and the fields that
//! result from keeping ours for some and theirs for the rest.

use serde::{Deserialize, Serialize};

use crate::cards::{CardTemplate, RecordFields};

/// One editable part of a record, as the conflict view offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Part {
    Title,
    Description,
    Status,
    Assignee,
    DueDate,
    Labels,
    Custom,
    Preview,
}

impl Part {
    pub const ALL: [Part; 8] = [
        Part::Title,
        Part::Description,
        Part::Status,
        Part::Assignee,
        Part::DueDate,
        Part::Labels,
        Part::Custom,
        Part::Preview,
    ];

    /// The label the form uses for it.
    pub fn label(self) -> &'static str {
        match self {
            Part::Title => "Title",
            Part::Description => "Description",
            Part::Status => "Status",
            Part::Assignee => "Assignee",
            Part::DueDate => "Due date",
            Part::Labels => "Labels",
            Part::Custom => "Custom fields",
            Part::Preview => "Preview fields",
        }
    }

    /// A stable name for element ids and tests.
    pub fn key(self) -> &'static str {
        match self {
            Part::Title => "title",
            Part::Description => "description",
            Part::Status => "status",
            Part::Assignee => "assignee",
            Part::DueDate => "due_date",
            Part::Labels => "labels",
            Part::Custom => "custom",
            Part::Preview => "preview",
        }
    }

    fn same(self, a: &RecordFields, b: &RecordFields) -> bool {
        match self {
            Part::Title => a.title == b.title,
            Part::Description => a.description == b.description,
            Part::Status => a.status == b.status,
            Part::Assignee => a.assignee == b.assignee,
            Part::DueDate => a.due_date == b.due_date,
            Part::Labels => a.labels == b.labels,
            Part::Custom => a.custom == b.custom,
            Part::Preview => a.preview == b.preview,
        }
    }

    fn copy(self, from: &RecordFields, to: &mut RecordFields) {
        match self {
            Part::Title => to.title.clone_from(&from.title),
            Part::Description => to.description.clone_from(&from.description),
            Part::Status => to.status.clone_from(&from.status),
            Part::Assignee => to.assignee.clone_from(&from.assignee),
            Part::DueDate => to.due_date.clone_from(&from.due_date),
            Part::Labels => to.labels.clone_from(&from.labels),
            Part::Custom => to.custom.clone_from(&from.custom),
            Part::Preview => to.preview.clone_from(&from.preview),
        }
    }

    /// How the part reads, in one line.
    pub fn summary(self, fields: &RecordFields, template: &CardTemplate) -> String {
        let or_none = |text: &str| {
            if text.trim().is_empty() {
                "(none)".to_owned()
            } else {
                text.to_owned()
            }
        };
        match self {
            Part::Title => or_none(&fields.title),
            Part::Description => or_none(&fields.description),
            Part::Status => template
                .status(&fields.status)
                .map(|s| s.label.clone())
                .unwrap_or_else(|| fields.status.clone()),
            Part::Assignee => or_none(&fields.assignee),
            Part::DueDate => or_none(&fields.due_date),
            Part::Labels => or_none(&fields.labels.join(", ")),
            Part::Custom => or_none(
                &fields
                    .custom
                    .iter()
                    .map(|c| format!("{}: {}", c.name, c.value))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Part::Preview => or_none(
                &fields
                    .preview
                    .iter()
                    .map(|p| p.value.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        }
    }
}

/// The parts where `theirs` and `ours` differ, in form order.
pub fn differing(theirs: &RecordFields, ours: &RecordFields) -> Vec<Part> {
    Part::ALL
        .into_iter()
        .filter(|part| !part.same(theirs, ours))
        .collect()
}

/// Which side a part starts on: ours where they did not change it since
/// we started (so keeping ours loses nothing of theirs), theirs otherwise.
pub fn default_keeps_ours(part: Part, base: Option<&RecordFields>, theirs: &RecordFields) -> bool {
    base.is_some_and(|base| part.same(base, theirs))
}

/// Their fields, with ours for every part in `keep_ours`.
pub fn merge(theirs: &RecordFields, ours: &RecordFields, keep_ours: &[Part]) -> RecordFields {
    let mut merged = theirs.clone();
    for part in keep_ours {
        part.copy(ours, &mut merged);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(title: &str, status: &str, labels: &[&str]) -> RecordFields {
        RecordFields {
            title: title.to_owned(),
            status: status.to_owned(),
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            ..RecordFields::default()
        }
    }

    #[test]
    fn lists_only_the_parts_that_differ() {
        let theirs = fields("A", "todo", &["x"]);
        let ours = fields("B", "todo", &["y"]);
        assert_eq!(differing(&theirs, &ours), vec![Part::Title, Part::Labels]);
        assert!(differing(&theirs, &theirs).is_empty());
    }

    #[test]
    fn merges_ours_for_the_kept_parts_and_theirs_for_the_rest() {
        let theirs = fields("Theirs", "done", &["x"]);
        let ours = fields("Ours", "todo", &["y"]);
        let merged = merge(&theirs, &ours, &[Part::Title, Part::Labels]);
        assert_eq!(merged, fields("Ours", "done", &["y"]));
        assert_eq!(merge(&theirs, &ours, &[]), theirs);
    }

    #[test]
    fn starts_on_ours_only_where_they_did_not_change_the_part() {
        let base = fields("Base", "todo", &[]);
        let theirs = fields("Base", "done", &[]);
        assert!(default_keeps_ours(Part::Title, Some(&base), &theirs));
        assert!(!default_keeps_ours(Part::Status, Some(&base), &theirs));
        assert!(!default_keeps_ours(Part::Title, None, &theirs));
    }
}
