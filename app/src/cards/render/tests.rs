use super::*;
use crate::cards::model::{CustomField, IconShape, LabelColor, SourceDetails};
use crate::cards::template::StatusOption;
use crate::cards::validate::MAX_PREVIEW_FIELDS;

fn rule(source: ChipSource) -> ChipRule {
    ChipRule::for_source(source)
}

fn status(key: &str, label: &str, fill: &str, text: &str, card: &str) -> StatusOption {
    StatusOption {
        key: key.to_owned(),
        label: label.to_owned(),
        fill_color: fill.to_owned(),
        text_color: text.to_owned(),
        card_color: card.to_owned(),
    }
}

fn template(chips: Vec<ChipRule>) -> CardTemplate {
    CardTemplate {
        card_color: "#2D9BF0".to_owned(),
        statuses: vec![
            status("todo", "To do", "#EEEEEE", "#111111", ""),
            status("done", "Done", "#DDFFDD", "#006600", "#00AA00"),
        ],
        chips,
        description: Default::default(),
    }
}

fn chip(value: &str) -> PreviewField {
    PreviewField {
        value: value.to_owned(),
        ..PreviewField::default()
    }
}

fn record() -> RecordFields {
    RecordFields {
        title: "  Fix <login> & more ".to_owned(),
        description: "Steps:\n\n- **open**\n- fail".to_owned(),
        status: "done".to_owned(),
        assignee: " ana ".to_owned(),
        due_date: "2026-11-25".to_owned(),
        labels: vec!["bug".to_owned(), "web".to_owned()],
        custom: vec![
            CustomField {
                name: "Priority".to_owned(),
                value: "High".to_owned(),
            },
            CustomField {
                name: "Size".to_owned(),
                value: String::new(),
            },
        ],
        preview: vec![
            PreviewField {
                value: "3 points".to_owned(),
                tooltip: "Estimate".to_owned(),
                fill_color: "#FFEEAA".to_owned(),
                text_color: String::new(),
                icon_url: "https://cdn.example.com/p.svg".to_owned(),
                icon_shape: IconShape::Square,
            },
            chip("second"),
        ],
        source: Default::default(),
    }
}

fn values(chips: &[PreviewField]) -> Vec<&str> {
    chips.iter().map(|chip| chip.value.as_str()).collect()
}

fn render(fields: &RecordFields, chips: Vec<ChipRule>) -> CardPreview {
    render_card(fields, CardStatus::Connected, &template(chips))
}

#[test]
fn title_description_status_and_border() {
    let card = render_card(&record(), CardStatus::Disabled, &template(vec![]));
    assert_eq!(card.title, "Fix &lt;login&gt; &amp; more");
    assert_eq!(
        card.description,
        "<p>Steps:</p><ul><li><strong>open</strong></li><li>fail</li></ul>"
    );
    assert_eq!(card.status, CardStatus::Disabled);
    assert_eq!(card.fill_color, "#00AA00");
    assert_eq!(card.fields, []);
}

#[test]
fn the_border_falls_back_to_the_template_colour_and_default_status() {
    let todo = RecordFields {
        status: "todo".to_owned(),
        ..record()
    };
    assert_eq!(render(&todo, vec![]).fill_color, "#2D9BF0");
    let unknown = RecordFields {
        status: "gone".to_owned(),
        ..record()
    };
    assert_eq!(render(&unknown, vec![]).fill_color, "#2D9BF0");
}

#[test]
fn status_chip_takes_its_status_label_and_colours() {
    let card = render(
        &record(),
        vec![ChipRule {
            tooltip: "Status".to_owned(),
            ..rule(ChipSource::Status)
        }],
    );
    assert_eq!(
        card.fields,
        [PreviewField {
            value: "Done".to_owned(),
            tooltip: "Status".to_owned(),
            fill_color: "#DDFFDD".to_owned(),
            text_color: "#006600".to_owned(),
            icon_url: String::new(),
            icon_shape: IconShape::Round,
        }]
    );
}

#[test]
fn status_chip_colours_set_by_the_rule_win() {
    let styled = ChipRule {
        fill_color: "#000000".to_owned(),
        ..rule(ChipSource::Status)
    };
    let card = render(&record(), vec![styled]);
    assert_eq!(card.fields[0].fill_color, "#000000");
    assert_eq!(card.fields[0].text_color, "#006600");
}

#[test]
fn an_unknown_status_shows_the_default_status() {
    let unknown = RecordFields {
        status: "archived".to_owned(),
        ..record()
    };
    let card = render(&unknown, vec![rule(ChipSource::Status)]);
    assert_eq!(values(&card.fields), ["To do"]);
    assert_eq!(card.fields[0].fill_color, "#EEEEEE");
}

#[test]
fn assignee_chip_is_trimmed_and_styled_by_the_rule() {
    let styled = ChipRule {
        tooltip: "Assignee".to_owned(),
        format: "@{value}".to_owned(),
        fill_color: "#123456".to_owned(),
        text_color: "#FFFFFF".to_owned(),
        icon_url: "https://cdn.example.com/user.png".to_owned(),
        icon_shape: IconShape::Square,
        ..rule(ChipSource::Assignee)
    };
    let card = render(&record(), vec![styled]);
    assert_eq!(
        card.fields,
        [PreviewField {
            value: "@ana".to_owned(),
            tooltip: "Assignee".to_owned(),
            fill_color: "#123456".to_owned(),
            text_color: "#FFFFFF".to_owned(),
            icon_url: "https://cdn.example.com/user.png".to_owned(),
            icon_shape: IconShape::Square,
        }]
    );
}

#[test]
fn due_dates_follow_the_rule_style() {
    let with = |style: DateStyle| {
        let due = ChipRule {
            format: "Due {value}".to_owned(),
            date_style: style,
            ..rule(ChipSource::DueDate)
        };
        render(&record(), vec![due]).fields[0].value.clone()
    };
    assert_eq!(with(DateStyle::Iso), "Due 2026-11-25");
    assert_eq!(with(DateStyle::Short), "Due Nov 25");
    assert_eq!(with(DateStyle::Long), "Due 25 Nov 2026");
}

#[test]
fn format_date_covers_every_month_and_keeps_bad_dates_as_typed() {
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    for (i, month) in months.iter().enumerate() {
        let date = format!("2026-{:02}-03", i + 1);
        assert_eq!(format_date(&date, DateStyle::Short), format!("{month} 3"));
        assert_eq!(
            format_date(&date, DateStyle::Long),
            format!("3 {month} 2026")
        );
        assert_eq!(format_date(&date, DateStyle::Iso), date);
    }
    assert_eq!(format_date("0042-01-09", DateStyle::Long), "9 Jan 0042");
    assert_eq!(format_date(" next week ", DateStyle::Long), "next week");
    assert_eq!(format_date("2026-02-30", DateStyle::Short), "2026-02-30");
    let typed = RecordFields {
        due_date: "soon".to_owned(),
        ..record()
    };
    assert_eq!(
        values(&render(&typed, vec![rule(ChipSource::DueDate)]).fields),
        ["soon"]
    );
}

#[test]
fn labels_make_one_chip_each_and_skip_blank_ones() {
    let labelled = RecordFields {
        labels: vec!["bug".to_owned(), "  ".to_owned(), " web ".to_owned()],
        ..record()
    };
    let card = render(
        &labelled,
        vec![ChipRule {
            tooltip: "Label".to_owned(),
            format: "#{value}".to_owned(),
            ..rule(ChipSource::Labels)
        }],
    );
    assert_eq!(values(&card.fields), ["#bug", "#web"]);
    assert!(card.fields.iter().all(|chip| chip.tooltip == "Label"));
}

fn from_github() -> RecordFields {
    RecordFields {
        labels: vec!["bug".to_owned(), "docs".to_owned(), "web".to_owned()],
        source: SourceDetails {
            tool: "GitHub".to_owned(),
            reference: "#42".to_owned(),
            location: "acme/roadmap".to_owned(),
            url: "https://github.com/acme/roadmap/issues/42".to_owned(),
            label_colors: vec![
                LabelColor {
                    name: "bug".to_owned(),
                    color: "#B60205".to_owned(),
                },
                LabelColor {
                    name: "docs".to_owned(),
                    color: "#FEF2C0".to_owned(),
                },
                // Not a colour: ignored rather than sent to Miro.
                LabelColor {
                    name: "web".to_owned(),
                    color: "red".to_owned(),
                },
            ],
        },
        ..record()
    }
}

#[test]
fn label_chips_take_the_tools_colours_with_readable_text_unless_the_rule_sets_its_own() {
    let card = render(&from_github(), vec![rule(ChipSource::Labels)]);
    let colours: Vec<(&str, &str, &str)> = card
        .fields
        .iter()
        .map(|c| {
            (
                c.value.as_str(),
                c.fill_color.as_str(),
                c.text_color.as_str(),
            )
        })
        .collect();
    assert_eq!(
        colours,
        [
            ("bug", "#B60205", "#FFFFFF"),
            ("docs", "#FEF2C0", "#1A1A1A"),
            ("web", "", ""),
        ]
    );
    let styled = render(
        &from_github(),
        vec![ChipRule {
            fill_color: "#000000".to_owned(),
            ..rule(ChipSource::Labels)
        }],
    );
    assert!(styled.fields.iter().all(|c| c.fill_color == "#000000"));
    assert!(styled.fields.iter().all(|c| c.text_color.is_empty()));
}

#[test]
fn the_reference_chip_shows_the_items_number_and_where_it_lives() {
    let card = render(&from_github(), vec![rule(ChipSource::Reference)]);
    assert_eq!(values(&card.fields), ["#42"]);
    assert_eq!(card.fields[0].tooltip, "GitHub acme/roadmap#42");
    // A record kept here has no reference, so no chip.
    assert_eq!(
        render(&record(), vec![rule(ChipSource::Reference)]).fields,
        []
    );
}

#[test]
fn readable_text_is_white_on_dark_fills_and_black_on_light_ones() {
    assert_eq!(readable_text_on("#000000"), "#FFFFFF");
    assert_eq!(readable_text_on("#5319E7"), "#FFFFFF");
    assert_eq!(readable_text_on("#FFFFFF"), "#1A1A1A");
    assert_eq!(readable_text_on("#FBCA04"), "#1A1A1A");
}

#[test]
fn custom_chips_match_names_ignoring_case_and_default_their_tooltip() {
    let card = render(
        &record(),
        vec![rule(ChipSource::Custom("priority".to_owned()))],
    );
    assert_eq!(values(&card.fields), ["High"]);
    assert_eq!(card.fields[0].tooltip, "priority");
    let tipped = ChipRule {
        tooltip: "How urgent".to_owned(),
        ..rule(ChipSource::Custom("PRIORITY".to_owned()))
    };
    assert_eq!(
        render(&record(), vec![tipped]).fields[0].tooltip,
        "How urgent"
    );
    // A missing field, or one with an empty value, makes no chip.
    let none = render(
        &record(),
        vec![
            rule(ChipSource::Custom("Owner".to_owned())),
            rule(ChipSource::Custom("Size".to_owned())),
        ],
    );
    assert_eq!(none.fields, []);
}

#[test]
fn preview_fields_are_kept_as_they_are() {
    let card = render(
        &record(),
        vec![ChipRule {
            format: "ignored {value}".to_owned(),
            tooltip: "ignored".to_owned(),
            ..rule(ChipSource::Preview)
        }],
    );
    assert_eq!(card.fields, record().preview);
    let blank = RecordFields {
        preview: vec![chip(" "), chip("kept")],
        ..record()
    };
    assert_eq!(
        values(&render(&blank, vec![rule(ChipSource::Preview)]).fields),
        ["kept"]
    );
}

#[test]
fn empty_values_make_no_chips() {
    let empty = RecordFields {
        assignee: "  ".to_owned(),
        due_date: String::new(),
        labels: vec![],
        preview: vec![],
        ..record()
    };
    let rules = vec![
        rule(ChipSource::Assignee),
        rule(ChipSource::DueDate),
        rule(ChipSource::Labels),
        rule(ChipSource::Preview),
    ];
    assert_eq!(render(&empty, rules).fields, []);
}

#[test]
fn chips_follow_the_rule_order() {
    let rules = vec![
        rule(ChipSource::Preview),
        rule(ChipSource::Custom("Priority".to_owned())),
        rule(ChipSource::Labels),
        rule(ChipSource::DueDate),
        rule(ChipSource::Assignee),
        rule(ChipSource::Status),
    ];
    let card = render(&record(), rules);
    assert_eq!(
        values(&card.fields),
        ["3 points", "second", "High", "bug", "web", "Nov 25", "ana", "Done"]
    );
}

#[test]
fn format_replaces_every_placeholder() {
    let twice = ChipRule {
        format: "{value} / {value}".to_owned(),
        ..rule(ChipSource::Assignee)
    };
    assert_eq!(
        values(&render(&record(), vec![twice]).fields),
        ["ana / ana"]
    );
}

#[test]
fn long_chip_values_are_shortened() {
    let long = RecordFields {
        custom: vec![CustomField {
            name: "Notes".to_owned(),
            value: "word ".repeat(30),
        }],
        ..record()
    };
    let card = render(&long, vec![rule(ChipSource::Custom("Notes".to_owned()))]);
    let value = &card.fields[0].value;
    assert!(value.chars().count() <= MAX_FIELD_VALUE_CHARS, "{value}");
    assert!(value.ends_with("word…"), "{value}");
    let exact = RecordFields {
        assignee: "é".repeat(MAX_FIELD_VALUE_CHARS),
        ..record()
    };
    assert_eq!(
        render(&exact, vec![rule(ChipSource::Assignee)]).fields[0].value,
        "é".repeat(MAX_FIELD_VALUE_CHARS)
    );
}

#[test]
fn the_card_shows_at_most_the_maximum_chips() {
    let many = RecordFields {
        labels: (0..15).map(|i| format!("l{i}")).collect(),
        ..record()
    };
    let rules = vec![
        rule(ChipSource::Status),
        rule(ChipSource::Labels),
        rule(ChipSource::Assignee),
    ];
    let t = template(rules);
    assert_eq!(all_chips(&many, &t).len(), 17);
    let card = render_card(&many, CardStatus::Connected, &t);
    assert_eq!(card.fields.len(), MAX_PREVIEW_FIELDS);
    assert_eq!(card.fields[0].value, "Done");
    assert_eq!(card.fields[9].value, "l8");
}

#[test]
fn rendering_is_deterministic() {
    let t = template(vec![
        rule(ChipSource::Status),
        rule(ChipSource::Labels),
        rule(ChipSource::Preview),
    ]);
    let first = render_card(&record(), CardStatus::Connected, &t);
    assert_eq!(render_card(&record(), CardStatus::Connected, &t), first);
}

#[test]
fn the_default_template_renders_a_full_card() {
    let t: CardTemplate = toml::from_str(crate::cards::template::DEFAULT_TEMPLATE_TOML).unwrap();
    let card = render_card(&record(), CardStatus::Connected, &t);
    assert_eq!(
        values(&card.fields),
        [
            "Done",
            "ana",
            "Due Nov 25",
            "bug",
            "web",
            "High",
            "3 points",
            "second"
        ]
    );
    assert_eq!(card.fields[5].tooltip, "Priority");
    assert_eq!(card.fill_color, "#2E9E5B");
}

/// Text that tries to be markup wherever the rendering goes: the detail
/// view's and the panel's previews set it as inner HTML, and Miro keeps
/// some tags.
const HOSTILE: &[&str] = &[
    "</textarea><meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
    "<img src=x onerror=alert(1)> <svg onload=alert(1)> <iframe src=//evil.example>",
    "</script><script>alert(1)</script><!--<script> </title></style>",
    "[click](javascript:alert(1)) [x](https://a.example/\"onmouseover=\"alert(1)) <a href=\"javascript:x\">y</a>",
    "**<b onclick=x>bold</b>** *_<u>&lt;u&gt;</u>_* &amp; &#60;script&#62; &lt;",
];

/// `html` holds only the tags the rendering documents: links with a
/// quoted `http(s)://` or `mailto:` target and no other attribute, and
/// the plain tags Miro keeps.
fn only_miros_tags(html: &str) {
    let tags = tags_in(html);
    for tag in tags {
        let plain = [
            "p", "/p", "br", "strong", "/strong", "em", "/em", "ul", "/ul", "ol", "/ol", "li",
            "/li", "/a",
        ];
        let link = tag
            .strip_prefix("a href=\"")
            .and_then(|t| t.strip_suffix('"'))
            .is_some_and(|url| {
                ["https://", "http://", "mailto:"]
                    .iter()
                    .any(|s| url.starts_with(s))
                    && !url.contains('"')
            });
        assert!(plain.contains(&tag) || link, "<{tag}> in {html}");
    }
}

/// The inside of every `<…>` in `html`.
fn tags_in(html: &str) -> Vec<&str> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("a tag ends") + start;
        tags.push(&rest[start + 1..end]);
        rest = &rest[end + 1..];
    }
    tags
}

#[test]
fn hostile_text_renders_as_text_inside_miros_tags_only() {
    for text in HOSTILE {
        let mut fields = record();
        fields.title = (*text).to_owned();
        fields.description = format!("{text}\n\n- {text}\n1. {text}");
        fields.preview = vec![PreviewField {
            tooltip: (*text).to_owned(),
            ..chip(text)
        }];
        let card = render(&fields, vec![rule(ChipSource::Preview)]);
        assert!(
            !card.title.contains('<') && !card.title.contains('>'),
            "{}",
            card.title
        );
        assert!(!card.title.contains('"'), "{}", card.title);
        only_miros_tags(&card.description);
        assert!(card.description.contains("&lt;"), "{}", card.description);
        // Chips are text (the views write them as text nodes and attributes).
        assert_eq!(card.fields[0].tooltip, *text);
    }
}

#[test]
fn a_body_longer_than_a_card_holds_is_shortened_for_the_card_only() {
    use crate::cards::limits::{MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
    let body = "word ".repeat(13_000) + "the end";
    let mut fields = RecordFields {
        title: "t".repeat(256),
        description: body.clone(),
        ..from_github()
    };
    let card = render(&fields, Vec::new());
    let shown = card_description(&fields);
    assert_eq!(shown.chars().count(), MAX_DESCRIPTION_CHARS);
    assert!(shown.ends_with("word… more on GitHub"), "{shown}");
    assert!(card.description.starts_with("<p>word word"));
    assert!(card.description.ends_with("word… more on GitHub</p>"));
    assert_eq!(card.title.chars().count(), MAX_TITLE_CHARS);
    assert!(card.title.ends_with('…'));
    assert_eq!(fields.description, body, "the record keeps every character");
    assert_eq!(render(&fields, Vec::new()), card, "deterministic");

    // The tool's name is text, whatever it holds; no tool, no name.
    fields.source.tool = "*Git* [Hub](https://x.org)".to_owned();
    let card = render(&fields, Vec::new());
    assert!(
        card.description
            .ends_with("… more on *Git* [Hub](https://x.org)</p>"),
        "{}",
        card.description
    );
    fields.source.tool.clear();
    assert!(card_description(&fields).ends_with("word…"));

    // What fits is left alone.
    fields.description = "a".repeat(MAX_DESCRIPTION_CHARS);
    assert_eq!(card_description(&fields), fields.description);
}
