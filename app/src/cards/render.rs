//! Turns a record into the app card Miro shows: [`render_card`] applies the
//! template's statuses and chip rules to a record's fields. Pure and
//! deterministic (the server hashes the result to skip writes that change
//! nothing), and shared by the server's card writes and the browser's live
//! preview, so the two always agree.

use std::borrow::Cow;

use super::limits::{
    parse_date, MAX_DESCRIPTION_CHARS, MAX_FIELD_VALUE_CHARS, MAX_PREVIEW_FIELDS, MAX_TITLE_CHARS,
};
use super::markdown::{escape_text, to_miro_html};
use super::model::{CardPreview, CardStatus, PreviewField, RecordFields};
use super::template::{CardTemplate, ChipRule, ChipSource, DateStyle};
use super::work::{step, steps};

/// The card Miro shows for this record: the title escaped, the description
/// converted from Markdown (both shortened to what a card holds, see
/// [`card_description`]), the status passed through, the border coloured by
/// the record's status (an unknown status key counts as the template's
/// default status) and the chips the template's rules make, at most
/// [`MAX_PREVIEW_FIELDS`] of them.
pub fn render_card(
    fields: &RecordFields,
    status: CardStatus,
    template: &CardTemplate,
) -> CardPreview {
    let mut chips = all_chips(fields, template);
    chips.truncate(MAX_PREVIEW_FIELDS);
    CardPreview {
        title: escape_text(&shorten(fields.title.trim(), MAX_TITLE_CHARS)),
        description: template
            .description
            .apply(&to_miro_html(&card_description(fields))),
        status,
        fields: chips,
        fill_color: template.card_color_for(&fields.status).to_owned(),
    }
}

/// The description's Markdown as the card shows it: all of it when it has
/// at most [`MAX_DESCRIPTION_CHARS`] characters (a record kept here always
/// has), else its beginning and "… more on GitHub" (the record's tool, from
/// [`SourceDetails::tool`](super::SourceDetails::tool); "…" alone without
/// one), that many characters in all. A GitHub issue's body may be 13
/// times as long: the record and the issue keep every character, only the
/// card is cut.
pub fn card_description(fields: &RecordFields) -> Cow<'_, str> {
    let description = &fields.description;
    steps(description.len());
    if description.chars().count() <= MAX_DESCRIPTION_CHARS {
        return Cow::Borrowed(description);
    }
    // The tool's name as text: a Markdown character in it is escaped.
    let tool = fields.source.tool.trim();
    let mut more = "…".to_owned();
    if !tool.is_empty() {
        more.push_str(" more on ");
        for c in tool.chars() {
            if c.is_ascii_punctuation() {
                more.push('\\');
            }
            more.push(if c.is_whitespace() { ' ' } else { c });
        }
    }
    let room = MAX_DESCRIPTION_CHARS.saturating_sub(more.chars().count());
    let kept: String = description.chars().take(room).collect();
    Cow::Owned(format!("{}{more}", kept.trim_end()))
}

/// Every chip the template's rules make for this record, in order, before
/// the card's cap of [`MAX_PREVIEW_FIELDS`] (validation uses the full count
/// to refuse a record whose card would lose chips).
///
/// A rule's chip text is its `format` with `{value}` replaced, cut to
/// [`MAX_FIELD_VALUE_CHARS`] characters (ending in "…") so a long custom
/// value still fits a chip; a rule whose value is empty makes no chip. The
/// record's own preview fields (the `preview` rule) are kept exactly as they
/// are, except that those with an empty value are left out.
pub fn all_chips(fields: &RecordFields, template: &CardTemplate) -> Vec<PreviewField> {
    let mut chips = Vec::new();
    for rule in &template.chips {
        step();
        match &rule.source {
            ChipSource::Status => {
                let status = template.status_or_default(&fields.status);
                if let Some(mut chip) = rule_chip(rule, &status.label, "") {
                    if chip.fill_color.is_empty() {
                        chip.fill_color.clone_from(&status.fill_color);
                    }
                    if chip.text_color.is_empty() {
                        chip.text_color.clone_from(&status.text_color);
                    }
                    chips.push(chip);
                }
            }
            ChipSource::Assignee => chips.extend(rule_chip(rule, &fields.assignee, "")),
            ChipSource::DueDate => {
                let date = format_date(&fields.due_date, rule.date_style);
                chips.extend(rule_chip(rule, &date, ""));
            }
            ChipSource::Labels => {
                chips.extend(fields.labels.iter().filter_map(|label| {
                    steps(fields.source.label_colors.len());
                    let mut chip = rule_chip(rule, label, "")?;
                    // The tool's colour for the label, unless the rule sets
                    // its own; the text then takes whichever of black or
                    // white reads better on it.
                    if let Some(color) = fields.source.label_color(label.trim()) {
                        if chip.fill_color.is_empty() {
                            color.clone_into(&mut chip.fill_color);
                            if chip.text_color.is_empty() {
                                readable_text_on(color).clone_into(&mut chip.text_color);
                            }
                        }
                    }
                    Some(chip)
                }));
            }
            ChipSource::Reference => {
                let source = &fields.source;
                let tooltip = format!("{} {}{}", source.tool, source.location, source.reference);
                chips.extend(rule_chip(rule, &source.reference, tooltip.trim()));
            }
            ChipSource::Custom(name) => {
                steps(fields.custom.len());
                let field = fields
                    .custom
                    .iter()
                    .find(|field| field.name.trim().to_lowercase() == name.to_lowercase());
                if let Some(field) = field {
                    chips.extend(rule_chip(rule, &field.value, name));
                }
            }
            ChipSource::Preview => {
                steps(fields.preview.len());
                chips.extend(
                    fields
                        .preview
                        .iter()
                        .filter(|chip| !chip.value.trim().is_empty())
                        .cloned(),
                );
            }
        }
    }
    chips
}

/// The chip a rule makes for one value (trimmed), or `None` when the value
/// is empty. `default_tooltip` is used when the rule sets none.
fn rule_chip(rule: &ChipRule, value: &str, default_tooltip: &str) -> Option<PreviewField> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let tooltip = if rule.tooltip.is_empty() {
        default_tooltip
    } else {
        &rule.tooltip
    };
    Some(PreviewField {
        value: shorten(
            &rule.format.replace("{value}", value),
            MAX_FIELD_VALUE_CHARS,
        ),
        tooltip: tooltip.to_owned(),
        fill_color: rule.fill_color.clone(),
        text_color: rule.text_color.clone(),
        icon_url: rule.icon_url.clone(),
        icon_shape: rule.icon_shape,
    })
}

/// Black or white, whichever contrasts more with `fill` (`#RRGGBB`), by
/// the relative luminance of WCAG 2 (a threshold near 0.18 splits it).
pub fn readable_text_on(fill: &str) -> &'static str {
    let channel = |at: usize| {
        let value = f64::from(u8::from_str_radix(&fill[at..at + 2], 16).unwrap_or(0)) / 255.0;
        if value <= 0.039_28 {
            value / 12.92
        } else {
            ((value + 0.055) / 1.055).powf(2.4)
        }
    };
    if fill.len() != 7 {
        return "#1A1A1A";
    }
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if luminance > 0.179 {
        "#1A1A1A"
    } else {
        "#FFFFFF"
    }
}

/// `text` if it has at most `max` characters, else its first `max - 1`
/// characters (trailing spaces dropped) and "…".
fn shorten(text: &str, max: usize) -> String {
    steps(text.len());
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// A due date as a chip shows it: `2026-11-25` (ISO), `Nov 25` (short) or
/// `25 Nov 2026` (long). Text that is not a real `YYYY-MM-DD` date is
/// returned as typed (trimmed).
pub fn format_date(value: &str, style: DateStyle) -> String {
    let value = value.trim();
    let Some((year, month, day)) = parse_date(value) else {
        return value.to_owned();
    };
    let month = &super::limits::MONTH_NAMES[month as usize - 1][..3];
    match style {
        DateStyle::Iso => value.to_owned(),
        DateStyle::Short => format!("{month} {day}"),
        DateStyle::Long => format!("{day} {month} {year:04}"),
    }
}

#[cfg(test)]
mod tests;
