//! What reaches a record from outside is checked as a save is: an issue
//! from GitHub (anyone who can edit the issue writes its body, hidden
//! block included) and a card connected from a board. [`admit`] runs the
//! save's validation ([`validate_record_within`]) and drops each invalid
//! part, keeping the rest of the record:
//! - a preview chip without a valid value, and the chips past what the
//!   card shows; a chip's colour, icon or tooltip that is not valid (the
//!   chip stays without it);
//! - a custom field that is not valid, and those past the most a record
//!   keeps; an assignee or due date that is not valid; an unknown status
//!   (the template's default instead);
//! - a label that is not valid, and those past the most a record keeps.
//!   Labels are the tool's own: the GitHub connector keeps the ones a
//!   record cannot hold ([`held_labels`]) on the issue when it writes it.
//!
//! A title or description that is not valid (none, or longer than the
//! tool holds) cannot be cut without losing what the item says: such an
//! item is refused whole and becomes no record. Either way the sync log
//! says what and why ([`SyncEngine::admit_logged`]), and the panel's
//! health counts it. Nothing dropped is ever sent to Miro.

use crate::clock::now;
use std::collections::BTreeSet;

use app::cards::{
    limits::TextLimits,
    render::all_chips,
    validate::{
        validate_labels, validate_record_within, MAX_CUSTOM_FIELDS, MAX_LABELS, MAX_PREVIEW_FIELDS,
    },
    CardTemplate, FieldError, RecordFields,
};

use super::{SyncEngine, SyncError};
use crate::store::{arrival, CardKey, LogEntry};

/// A record's fields as they may be stored, and the parts left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    pub fields: RecordFields,
    /// Each part left out (its field path) and why.
    pub dropped: Vec<FieldError>,
}

/// `fields` with every invalid part dropped (see the module docs), or why
/// they cannot be a record at all. `limits`: what the item's tool holds.
pub fn admit(
    fields: &RecordFields,
    template: &CardTemplate,
    limits: TextLimits,
) -> Result<Admitted, Vec<FieldError>> {
    let errors = validate_record_within(fields, template, limits);
    if errors.is_empty() {
        return Ok(Admitted {
            fields: fields.clone(),
            dropped: Vec::new(),
        });
    }
    let mut out = fields.clone();
    let mut dropped = Vec::new();
    let mut refused = Vec::new();
    let mut bad_custom = BTreeSet::new();
    let mut bad_chips = BTreeSet::new();
    for error in errors {
        let path: Vec<&str> = error.field.split('.').collect();
        let index = |at: usize| path.get(at).and_then(|i| i.parse::<usize>().ok());
        match path.as_slice() {
            ["status"] => template.default_status().key.clone_into(&mut out.status),
            ["assignee"] => out.assignee.clear(),
            ["due_date"] => out.due_date.clear(),
            // Below, with the tool's own rule for them.
            ["labels", ..] | ["custom"] | ["preview"] => continue,
            ["custom", _, _] => {
                bad_custom.extend(index(1));
            }
            ["preview", _, "value"] => {
                bad_chips.extend(index(1));
            }
            ["preview", _, part] => {
                if let Some(chip) = index(1).and_then(|i| out.preview.get_mut(i)) {
                    match *part {
                        "tooltip" => chip.tooltip.clear(),
                        "fill_color" => chip.fill_color.clear(),
                        "text_color" => chip.text_color.clear(),
                        "icon_url" => chip.icon_url.clear(),
                        _ => refused.push(error.clone()),
                    }
                }
            }
            // The title, the description, or a rule this does not know:
            // nothing here can be cut.
            _ => {
                refused.push(error);
                continue;
            }
        }
        dropped.push(error);
    }
    if !refused.is_empty() {
        return Err(refused);
    }

    let (labels, label_drops) = hold_labels(&fields.labels);
    out.labels = labels;
    dropped.extend(label_drops);

    let mut custom = Vec::new();
    for (i, field) in std::mem::take(&mut out.custom).into_iter().enumerate() {
        if bad_custom.contains(&i) {
            continue;
        }
        if custom.len() == MAX_CUSTOM_FIELDS {
            dropped.push(FieldError {
                field: format!("custom.{i}"),
                message: format!("A record keeps at most {MAX_CUSTOM_FIELDS} custom fields."),
            });
            continue;
        }
        custom.push(field);
    }
    out.custom = custom;

    let mut chips: Vec<_> = std::mem::take(&mut out.preview)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !bad_chips.contains(i))
        .collect();
    // Chips past what the card shows, from the last: the tool's own
    // (its labels) are its data and stay.
    loop {
        out.preview = chips.iter().map(|(_, chip)| chip.clone()).collect();
        if chips.is_empty() || all_chips(&out.content(), template).len() <= MAX_PREVIEW_FIELDS {
            break;
        }
        let (i, _) = chips.pop().expect("not empty");
        dropped.push(FieldError {
            field: format!("preview.{i}"),
            message: format!("A card shows at most {MAX_PREVIEW_FIELDS} preview fields."),
        });
    }
    dropped.sort_by_key(|error| field_order(&error.field));
    Ok(Admitted {
        fields: out,
        dropped,
    })
}

/// Sorts dropped parts by field, then by index as a number.
fn field_order(field: &str) -> (String, usize, String) {
    let mut parts = field.splitn(3, '.');
    let name = parts.next().unwrap_or_default().to_owned();
    let index = parts.next().and_then(|i| i.parse().ok()).unwrap_or(0);
    (name, index, parts.next().unwrap_or_default().to_owned())
}

/// The labels a record can hold of `labels` (a tool's), in order, and the
/// ones it cannot, with why: not valid as a record's label, or past the
/// most a record keeps.
fn hold_labels(labels: &[String]) -> (Vec<String>, Vec<FieldError>) {
    let mut dropped: Vec<FieldError> = validate_labels(labels)
        .into_iter()
        .filter(|error| error.field != "labels")
        .collect();
    let bad: BTreeSet<&str> = dropped.iter().map(|error| error.field.as_str()).collect();
    let mut held = Vec::new();
    let mut past_the_most = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        if bad.contains(format!("labels.{i}").as_str()) {
            continue;
        }
        if held.len() == MAX_LABELS {
            past_the_most.push(FieldError {
                field: format!("labels.{i}"),
                message: format!("A record keeps at most {MAX_LABELS} labels."),
            });
            continue;
        }
        held.push(label.clone());
    }
    dropped.extend(past_the_most);
    (held, dropped)
}

/// The labels of a tool's item that its record holds (see
/// [`admit`]): the connector keeps the others on the item when it writes
/// the record back, since the record never had them.
pub fn held_labels(labels: &[String]) -> Vec<String> {
    hold_labels(labels).0
}

/// What arrived, for the sync log.
#[derive(Clone, Copy, Debug)]
pub struct Arrival<'a> {
    /// Where from: the connector's name, or `miro` for a card.
    pub origin: &'a str,
    pub actor: &'a str,
    /// The item as a person finds it (`octo-org/roadmap#7`, a card).
    pub item: &'a str,
    /// Its record, when it has one already.
    pub record_id: Option<&'a str>,
    /// The card it came from, for a card connected from a board.
    pub card: Option<&'a CardKey>,
}

/// What [`SyncEngine::admit_logged`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// The fields to store, invalid parts dropped.
    Taken(Box<RecordFields>),
    /// Not a record: the title or description is not valid.
    Refused(Vec<FieldError>),
}

/// The most parts one sync log row names; the rest are counted.
const PARTS_NAMED: usize = 8;
/// The longest reason a sync log row quotes for one part.
const REASON_CHARS: usize = 160;

impl SyncEngine {
    /// [`admit`] with this engine's template; what was dropped, or why
    /// nothing was taken, goes to the sync log (one row per arrival).
    pub async fn admit_logged(
        &self,
        fields: &RecordFields,
        limits: TextLimits,
        arrival: Arrival<'_>,
    ) -> Result<Admission, SyncError> {
        let (admission, action, result) = match admit(fields, self.template(), limits) {
            Ok(admitted) if admitted.dropped.is_empty() => {
                return Ok(Admission::Taken(Box::new(admitted.fields)));
            }
            Ok(admitted) => {
                let result = format!(
                    "{}: {} not valid on a card, left out: {}",
                    arrival.item,
                    parts(admitted.dropped.len()),
                    reasons(&admitted.dropped)
                );
                (
                    Admission::Taken(Box::new(admitted.fields)),
                    arrival::DROPPED,
                    result,
                )
            }
            Err(errors) => {
                let result = format!(
                    "{}: not taken as a record: {}",
                    arrival.item,
                    reasons(&errors)
                );
                (Admission::Refused(errors), arrival::REFUSED, result)
            }
        };
        tracing::warn!(item = arrival.item, origin = arrival.origin, "{result}");
        self.store()
            .append_log(&LogEntry {
                at: now(),
                record_id: arrival.record_id.map(str::to_owned),
                board_id: arrival.card.map(|card| card.board_id.clone()),
                item_id: arrival.card.map(|card| card.item_id.clone()),
                origin: arrival.origin.to_owned(),
                actor: arrival.actor.to_owned(),
                action: action.to_owned(),
                result,
            })
            .await?;
        Ok(admission)
    }
}

fn parts(count: usize) -> String {
    if count == 1 {
        "1 part".to_owned()
    } else {
        format!("{count} parts")
    }
}

/// `path: reason; …`, the first [`PARTS_NAMED`] of them, each reason cut
/// to [`REASON_CHARS`] (a reason may quote outside text).
fn reasons(errors: &[FieldError]) -> String {
    let mut named: Vec<String> = errors
        .iter()
        .take(PARTS_NAMED)
        .map(|error| {
            let message: String = error.message.chars().take(REASON_CHARS).collect();
            let cut = if message.len() < error.message.len() {
                "…"
            } else {
                ""
            };
            format!("{}: {message}{cut}", error.field)
        })
        .collect();
    if errors.len() > PARTS_NAMED {
        named.push(format!("and {} more", errors.len() - PARTS_NAMED));
    }
    named.join("; ")
}

#[cfg(test)]
mod tests;
