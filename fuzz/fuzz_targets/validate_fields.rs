//! Any record fields, checked and rendered against the default card template
//! (with fuzzed `[description]` rules and date style) or a made-up template:
//! `validate_record`, `render_card` and `CardTemplate::check` never panic; a
//! card has at most `MAX_PREVIEW_FIELDS` chips, an escaped title and a
//! description of the documented shape that reads back; and a record that
//! validates keeps the limits it was checked against.
#![no_main]

use app::cards::limits::{
    check_color, parse_date, MAX_DESCRIPTION_CHARS, MAX_FIELD_VALUE_CHARS, MAX_PREVIEW_FIELDS,
    MAX_TITLE_CHARS,
};
use app::cards::markdown::{miro_html_to_markdown, DescriptionRules};
use app::cards::render::{all_chips, format_date};
use app::cards::template::DEFAULT_TEMPLATE_TOML;
use app::cards::{
    render_card, validate_record, CardStatus, CardTemplate, ChipRule, ChipSource, CustomField,
    DateStyle, IconShape, PreviewField, RecordFields, StatusOption,
};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use miro_cards_fuzz::{check_card_html_shape, check_text};

#[derive(Arbitrary, Debug)]
struct Input {
    title: String,
    description: String,
    status: Status,
    assignee: String,
    due_date: Date,
    labels: Vec<String>,
    custom: Vec<(String, String)>,
    preview: Vec<Chip>,
    card_status: u8,
    template: Template,
}

#[derive(Arbitrary, Debug)]
enum Status {
    /// The key of the template's status with this index (modulo their count).
    Known(u8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum Date {
    Empty,
    /// `YYYY-MM-DD` from these numbers; not always a real date.
    Numbers(u16, u8, u8),
    Text(String),
}

#[derive(Arbitrary, Debug)]
struct Chip {
    value: String,
    tooltip: String,
    fill_color: Color,
    text_color: Color,
    icon_url: IconUrl,
    square: bool,
}

#[derive(Arbitrary, Debug)]
enum Color {
    Empty,
    Hex(u32),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum IconUrl {
    Empty,
    /// `https://example.com/<path>.png`.
    Png(String),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum Template {
    Default {
        rules: [bool; 4],
        date_style: u8,
    },
    MadeUp {
        card_color: Color,
        statuses: Vec<(String, String, Color)>,
        chips: Vec<Rule>,
        rules: [bool; 4],
    },
}

#[derive(Arbitrary, Debug)]
struct Rule {
    source: Source,
    format: String,
    tooltip: String,
    date_style: u8,
}

#[derive(Arbitrary, Debug)]
enum Source {
    Status,
    Assignee,
    DueDate,
    Labels,
    Custom(String),
    Preview,
}

impl Color {
    fn text(&self) -> String {
        match self {
            Color::Empty => String::new(),
            Color::Hex(n) => format!("#{:06X}", n & 0xFF_FFFF),
            Color::Text(text) => text.clone(),
        }
    }
}

fn date_style(n: u8) -> DateStyle {
    [DateStyle::Iso, DateStyle::Short, DateStyle::Long][usize::from(n % 3)]
}

fn rules([emphasis, links, lists, line_breaks]: [bool; 4]) -> DescriptionRules {
    DescriptionRules {
        emphasis,
        links,
        lists,
        line_breaks,
    }
}

impl Template {
    fn build(&self) -> CardTemplate {
        match self {
            Template::Default {
                rules: flags,
                date_style: style,
            } => {
                let mut template: CardTemplate =
                    toml::from_str(DEFAULT_TEMPLATE_TOML).expect("the default template parses");
                template.description = rules(*flags);
                for chip in &mut template.chips {
                    chip.date_style = date_style(*style);
                }
                template
            }
            Template::MadeUp {
                card_color,
                statuses,
                chips,
                rules: flags,
            } => CardTemplate {
                card_color: card_color.text(),
                statuses: statuses
                    .iter()
                    .map(|(key, label, color)| StatusOption {
                        key: key.clone(),
                        label: label.clone(),
                        fill_color: color.text(),
                        text_color: String::new(),
                        card_color: color.text(),
                    })
                    .collect(),
                chips: chips
                    .iter()
                    .map(|rule| {
                        let source = match &rule.source {
                            Source::Status => ChipSource::Status,
                            Source::Assignee => ChipSource::Assignee,
                            Source::DueDate => ChipSource::DueDate,
                            Source::Labels => ChipSource::Labels,
                            Source::Custom(name) => ChipSource::Custom(name.clone()),
                            Source::Preview => ChipSource::Preview,
                        };
                        let mut chip = ChipRule::for_source(source);
                        chip.format.clone_from(&rule.format);
                        chip.tooltip.clone_from(&rule.tooltip);
                        chip.date_style = date_style(rule.date_style);
                        chip
                    })
                    .collect(),
                description: rules(*flags),
            },
        }
    }
}

impl Input {
    fn fields(&self, template: &CardTemplate) -> RecordFields {
        RecordFields {
            title: self.title.clone(),
            description: self.description.clone(),
            status: match &self.status {
                Status::Known(i) if !template.statuses.is_empty() => template.statuses
                    [usize::from(*i) % template.statuses.len()]
                .key
                .clone(),
                Status::Known(_) => String::new(),
                Status::Text(text) => text.clone(),
            },
            assignee: self.assignee.clone(),
            due_date: match &self.due_date {
                Date::Empty => String::new(),
                Date::Numbers(y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
                Date::Text(text) => text.clone(),
            },
            labels: self.labels.clone(),
            custom: self
                .custom
                .iter()
                .map(|(name, value)| CustomField {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            preview: self
                .preview
                .iter()
                .map(|chip| PreviewField {
                    value: chip.value.clone(),
                    tooltip: chip.tooltip.clone(),
                    fill_color: chip.fill_color.text(),
                    text_color: chip.text_color.text(),
                    icon_url: match &chip.icon_url {
                        IconUrl::Empty => String::new(),
                        IconUrl::Png(path) => format!("https://example.com/{path}.png"),
                        IconUrl::Text(text) => text.clone(),
                    },
                    icon_shape: if chip.square {
                        IconShape::Square
                    } else {
                        IconShape::Round
                    },
                })
                .collect(),
        }
    }
}

fuzz_target!(|input: Input| {
    let template = input.template.build();
    let template_ok = template.check().is_ok();
    let fields = input.fields(&template);
    let status = [
        CardStatus::Connected,
        CardStatus::Disconnected,
        CardStatus::Disabled,
    ][usize::from(input.card_status % 3)];

    let errors = validate_record(&fields, &template);
    let card = render_card(&fields, status, &template);
    for style in [DateStyle::Iso, DateStyle::Short, DateStyle::Long] {
        format_date(&fields.due_date, style);
    }

    assert!(
        card.fields.len() <= MAX_PREVIEW_FIELDS,
        "{} chips",
        card.fields.len()
    );
    assert_eq!(card.status, status);
    if let Err(problem) = check_text(&card.title) {
        panic!("title not escaped: {problem}");
    }
    if let Err(problem) = check_card_html_shape(&card.description) {
        panic!(
            "description HTML under {:?}: {problem}\nhtml: {:?}",
            template.description, card.description
        );
    }
    assert!(
        miro_html_to_markdown(&card.description).is_ok(),
        "our description HTML does not read back: {:?}",
        card.description
    );

    for error in &errors {
        assert!(
            !error.field.is_empty() && !error.message.is_empty(),
            "{error:?}"
        );
    }
    // Only a sound template promises what a valid record looks like.
    if errors.is_empty() && template_ok {
        let title = fields.title.trim();
        assert!(!title.is_empty() && title.chars().count() <= MAX_TITLE_CHARS);
        assert!(fields.description.chars().count() <= MAX_DESCRIPTION_CHARS);
        assert!(template.status(&fields.status).is_some());
        assert!(fields.due_date.is_empty() || parse_date(&fields.due_date).is_some());
        assert!(all_chips(&fields, &template).len() <= MAX_PREVIEW_FIELDS);
        for chip in &card.fields {
            assert!(
                chip.value.chars().count() <= MAX_FIELD_VALUE_CHARS,
                "chip value too long on a valid record: {chip:?}"
            );
            assert!(check_color(&chip.fill_color).is_ok() && check_color(&chip.text_color).is_ok());
        }
    }
});
