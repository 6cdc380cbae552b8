use super::*;
use crate::cards::model::{CustomField, PreviewField};
use crate::cards::template::{ChipRule, ChipSource, StatusOption};
use crate::cards::IconShape;

fn template() -> CardTemplate {
    let status = |key: &str, label: &str| StatusOption {
        key: key.to_owned(),
        label: label.to_owned(),
        fill_color: String::new(),
        text_color: String::new(),
        card_color: String::new(),
    };
    let chip = ChipRule::for_source;
    CardTemplate {
        card_color: "#2D9BF0".to_owned(),
        statuses: vec![status("todo", "To do"), status("done", "Done")],
        chips: vec![
            chip(ChipSource::Status),
            chip(ChipSource::Labels),
            chip(ChipSource::Preview),
        ],
        description: Default::default(),
    }
}

fn valid() -> RecordFields {
    RecordFields {
        title: "Fix the login page".to_owned(),
        description: "Steps:\n- open\n- fail".to_owned(),
        status: "todo".to_owned(),
        assignee: "ana".to_owned(),
        due_date: "2026-11-25".to_owned(),
        labels: vec!["bug".to_owned(), "web".to_owned()],
        custom: vec![CustomField {
            name: "Priority".to_owned(),
            value: "High".to_owned(),
        }],
        preview: vec![PreviewField {
            value: "3 points".to_owned(),
            tooltip: "Estimate".to_owned(),
            fill_color: "#FFEEAA".to_owned(),
            text_color: "#1a1a1a".to_owned(),
            icon_url: "https://cdn.example.com/icons/points.svg".to_owned(),
            icon_shape: IconShape::Square,
        }],
        source: Default::default(),
    }
}

fn preview(value: &str) -> PreviewField {
    PreviewField {
        value: value.to_owned(),
        ..PreviewField::default()
    }
}

/// The field paths of a record's problems, in order.
fn fields_of(record: &RecordFields) -> Vec<String> {
    validate_record(record, &template())
        .into_iter()
        .map(|e| e.field)
        .collect()
}

fn message(record: &RecordFields, field: &str) -> String {
    let errors = validate_record(record, &template());
    errors_for(&errors, field)
        .unwrap_or_else(|| panic!("no error on {field}: {errors:?}"))
        .to_owned()
}

#[test]
fn a_valid_record_has_no_errors() {
    assert_eq!(validate_record(&valid(), &template()), []);
    let minimal = RecordFields {
        title: "x".to_owned(),
        status: "done".to_owned(),
        ..RecordFields::default()
    };
    assert_eq!(validate_record(&minimal, &template()), []);
}

#[test]
fn the_title_is_required_and_limited() {
    for blank in ["", "   ", "\n\t"] {
        let record = RecordFields {
            title: blank.to_owned(),
            ..valid()
        };
        assert_eq!(message(&record, "title"), "Give the record a title.");
    }
    let at_limit = RecordFields {
        title: "é".repeat(MAX_TITLE_CHARS),
        ..valid()
    };
    assert_eq!(
        fields_of(&at_limit),
        Vec::<String>::new(),
        "characters are counted, not bytes"
    );
    let padded = RecordFields {
        title: format!("  {}  ", "a".repeat(MAX_TITLE_CHARS)),
        ..valid()
    };
    assert_eq!(
        fields_of(&padded),
        Vec::<String>::new(),
        "the title is counted trimmed"
    );
    let long = RecordFields {
        title: "a".repeat(245),
        ..valid()
    };
    assert_eq!(
        message(&long, "title"),
        "Titles can be at most 200 characters (this one has 245)."
    );
}

#[test]
fn the_description_is_limited() {
    let at_limit = RecordFields {
        description: "ü".repeat(MAX_DESCRIPTION_CHARS),
        ..valid()
    };
    assert_eq!(fields_of(&at_limit), Vec::<String>::new());
    let long = RecordFields {
        description: "a".repeat(MAX_DESCRIPTION_CHARS + 1),
        ..valid()
    };
    assert_eq!(
        message(&long, "description"),
        "Descriptions can be at most 5000 characters (this one has 5001)."
    );
}

#[test]
fn the_status_must_be_a_template_key() {
    let unknown = RecordFields {
        status: "Done".to_owned(),
        ..valid()
    };
    assert_eq!(
        message(&unknown, "status"),
        "“Done” is not a status here: choose To do, Done."
    );
    let empty = RecordFields {
        status: String::new(),
        ..valid()
    };
    assert_eq!(message(&empty, "status"), "Choose a status: To do, Done.");
}

#[test]
fn the_assignee_is_limited() {
    let long = RecordFields {
        assignee: "a".repeat(MAX_ASSIGNEE_CHARS + 1),
        ..valid()
    };
    assert_eq!(fields_of(&long), ["assignee"]);
    let at_limit = RecordFields {
        assignee: "a".repeat(MAX_ASSIGNEE_CHARS),
        ..valid()
    };
    assert_eq!(fields_of(&at_limit), Vec::<String>::new());
}

#[test]
fn due_dates_must_be_real_calendar_dates() {
    for good in [
        "",
        "2026-11-25",
        "2024-02-29",
        "2000-02-29",
        "0001-01-01",
        "9999-12-31",
        "2026-04-30",
    ] {
        assert_eq!(check_date(good), Ok(()), "{good}");
    }
    let cases = [
        (
            "2026-13-01",
            "There is no month 13: use a date like 2026-11-25.",
        ),
        (
            "2026-00-10",
            "There is no month 00: use a date like 2026-11-25.",
        ),
        (
            "2026-02-29",
            "2026-02-29 is not a real date: February 2026 has 28 days.",
        ),
        (
            "1900-02-29",
            "1900-02-29 is not a real date: February 1900 has 28 days.",
        ),
        (
            "2026-04-31",
            "2026-04-31 is not a real date: April 2026 has 30 days.",
        ),
        (
            "2026-01-00",
            "2026-01-00 is not a real date: January 2026 has 31 days.",
        ),
        (
            "0000-01-01",
            "There is no year 0000: use a date like 2026-11-25.",
        ),
    ];
    for (bad, expected) in cases {
        assert_eq!(check_date(bad), Err(expected.to_owned()), "{bad}");
    }
    for malformed in [
        "2026-1-5",
        "26-11-25",
        "2026/11/25",
        "2026-11-25T00:00",
        " 2026-11-25",
        "２０２６-11-25",
        "tomorrow",
    ] {
        assert_eq!(
            check_date(malformed),
            Err("Use a date like 2026-11-25 (year-month-day).".to_owned()),
            "{malformed}"
        );
    }
    let record = RecordFields {
        due_date: "2026-02-30".to_owned(),
        ..valid()
    };
    assert_eq!(fields_of(&record), ["due_date"]);
}

#[test]
fn parse_date_reads_real_dates_only() {
    assert_eq!(parse_date("2026-11-25"), Some((2026, 11, 25)));
    assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
    assert_eq!(parse_date("2023-02-29"), None);
    assert_eq!(parse_date(""), None);
}

#[test]
fn labels_must_be_non_empty_short_and_unique() {
    let record = RecordFields {
        labels: vec![
            "Bug".to_owned(),
            " ".to_owned(),
            "bug".to_owned(),
            "x".repeat(MAX_LABEL_CHARS + 1),
            "y".repeat(MAX_LABEL_CHARS),
        ],
        ..valid()
    };
    assert_eq!(fields_of(&record), ["labels.1", "labels.2", "labels.3"]);
    assert_eq!(message(&record, "labels.1"), "Labels cannot be empty.");
    assert_eq!(message(&record, "labels.2"), "“bug” is already a label.");
    assert_eq!(
        message(&record, "labels.3"),
        "Labels can be at most 40 characters (this one has 41)."
    );
}

#[test]
fn the_number_of_labels_is_limited() {
    let many = |n: usize| RecordFields {
        labels: (0..n).map(|i| format!("l{i}")).collect(),
        preview: vec![],
        ..valid()
    };
    // With the labels rule every label is a chip, so the chip cap applies too.
    assert!(!fields_of(&many(MAX_LABELS)).contains(&"labels".to_owned()));
    let too_many = many(MAX_LABELS + 1);
    assert_eq!(
        message(&too_many, "labels"),
        "A record can have at most 20 labels (this one has 21)."
    );
}

#[test]
fn custom_fields_need_unique_names_and_short_values() {
    let field = |name: &str, value: &str| CustomField {
        name: name.to_owned(),
        value: value.to_owned(),
    };
    let record = RecordFields {
        custom: vec![
            field("Size", "L"),
            field("", "orphan"),
            field("size ", "M"),
            field(&"n".repeat(MAX_CUSTOM_NAME_CHARS + 1), ""),
            field("Notes", &"v".repeat(MAX_CUSTOM_VALUE_CHARS + 1)),
            field("Empty value", ""),
        ],
        ..valid()
    };
    assert_eq!(
        fields_of(&record),
        [
            "custom.1.name",
            "custom.2.name",
            "custom.3.name",
            "custom.4.value"
        ]
    );
    assert_eq!(message(&record, "custom.1.name"), "Give this field a name.");
    assert_eq!(
        message(&record, "custom.2.name"),
        "There is already a field called “size”."
    );
    let many = RecordFields {
        custom: (0..=MAX_CUSTOM_FIELDS)
            .map(|i| field(&format!("f{i}"), ""))
            .collect(),
        ..valid()
    };
    assert_eq!(fields_of(&many), ["custom"]);
    assert_eq!(
        message(&many, "custom"),
        "A record can have at most 20 fields (this one has 21)."
    );
}

#[test]
fn preview_fields_are_checked_one_by_one() {
    let record = RecordFields {
        preview: vec![
            preview(""),
            PreviewField {
                tooltip: "t".repeat(MAX_TOOLTIP_CHARS + 1),
                ..preview(&"v".repeat(MAX_FIELD_VALUE_CHARS + 1))
            },
            PreviewField {
                fill_color: "red".to_owned(),
                text_color: "#12345G".to_owned(),
                ..preview("ok")
            },
            PreviewField {
                icon_url: "http://a.io/i.png".to_owned(),
                ..preview("ok")
            },
        ],
        ..valid()
    };
    assert_eq!(
        fields_of(&record),
        [
            "preview.0.value",
            "preview.1.value",
            "preview.1.tooltip",
            "preview.2.fill_color",
            "preview.2.text_color",
            "preview.3.icon_url",
        ]
    );
    assert_eq!(
        message(&record, "preview.0.value"),
        "A preview field needs a value."
    );
    assert_eq!(
        message(&record, "preview.1.value"),
        "Preview values can be at most 60 characters (this one has 61)."
    );
    assert!(message(&record, "preview.2.fill_color").contains("exactly 6 hex digits"));
}

#[test]
fn the_card_may_not_need_more_chips_than_it_shows() {
    // status + 2 labels + preview fields.
    let with = |n: usize| RecordFields {
        preview: (0..n).map(|i| preview(&format!("p{i}"))).collect(),
        ..valid()
    };
    assert_eq!(
        fields_of(&with(MAX_PREVIEW_FIELDS - 3)),
        Vec::<String>::new()
    );
    let over = with(MAX_PREVIEW_FIELDS - 2);
    assert_eq!(fields_of(&over), ["preview"]);
    assert_eq!(
        message(&over, "preview"),
        "The card would show 11 preview fields, but at most 10 fit: remove some preview fields or labels."
    );
    // The tool's own chip (the issue number) is not counted: a full card
    // from GitHub still saves, and shows the number only when there is room.
    let mut full = with(MAX_PREVIEW_FIELDS - 3);
    full.source.reference = "#42".to_owned();
    assert_eq!(fields_of(&full), Vec::<String>::new());
    let template = template_with_reference();
    assert!(validate_record(&full, &template).is_empty());
    let shown = crate::cards::render_card(&full, Default::default(), &template).fields;
    assert_eq!(shown.len(), MAX_PREVIEW_FIELDS);
    assert!(shown.iter().all(|chip| chip.value != "#42"));
}

/// The test template with the issue-number chip last, as the default has.
fn template_with_reference() -> CardTemplate {
    let mut template = template();
    template.chips.push(crate::cards::ChipRule::for_source(
        crate::cards::ChipSource::Reference,
    ));
    template
}

#[test]
fn colours_are_hash_and_six_hex_digits() {
    for good in ["", "#000000", "#ffffff", "#1A2b3C"] {
        assert_eq!(check_color(good), Ok(()), "{good}");
    }
    for bad in [
        "red",
        "#FFF",
        "#12345",
        "#1234567",
        "123456",
        "#12345G",
        " #123456",
        "#123456 ",
        "#ＡＢＣＤＥＦ",
    ] {
        let error = check_color(bad).unwrap_err();
        assert!(
            error.starts_with("Use a colour like #1A2B3C")
                && error.contains("exactly 6 hex digits"),
            "{bad}: {error}"
        );
    }
}

#[test]
fn icon_urls_are_https_images() {
    for good in [
        "",
        "https://cdn.example.com/a.png",
        "https://cdn.example.com/a/b.JPG",
        "https://cdn.example.com/a.jpeg?v=2",
        "HTTPS://cdn.example.com/a.svg#frag",
        "https://cdn.example.com:8443/icons/x.Svg?size=16&theme=dark",
    ] {
        assert_eq!(check_icon_url(good), Ok(()), "{good}");
    }
    let https = "Icon links must start with https:// (Miro loads icons only over HTTPS).";
    let image =
        "Icons must be JPG, PNG or SVG images: use a link ending in .jpg, .jpeg, .png or .svg.";
    let cases = [
        ("http://cdn.example.com/a.png", https),
        ("//cdn.example.com/a.png", https),
        ("javascript:alert(1)//.png", https),
        ("ftp://x/a.png", https),
        ("https://cdn.example.com/a.gif", image),
        ("https://cdn.example.com/a.png.exe", image),
        ("https://cdn.example.com/a?file=x.png", image),
        ("https://cdn.example.com/", image),
        ("https://a.png", image),
        (
            "https:///a.png",
            "This icon link has no website name after https://.",
        ),
        (
            "https://cdn.example.com/my icon.png",
            "Icon links cannot contain spaces.",
        ),
    ];
    for (bad, expected) in cases {
        assert_eq!(check_icon_url(bad), Err(expected.to_owned()), "{bad}");
    }
    let long = format!("https://a.io/{}.png", "x".repeat(MAX_ICON_URL_CHARS));
    assert!(check_icon_url(&long)
        .unwrap_err()
        .starts_with("Icon links can be at most 2000 characters"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let record = RecordFields {
        title: String::new(),
        description: String::new(),
        status: "nope".to_owned(),
        assignee: String::new(),
        due_date: "someday".to_owned(),
        labels: vec![String::new()],
        custom: vec![CustomField::default()],
        preview: vec![PreviewField {
            fill_color: "x".to_owned(),
            ..PreviewField::default()
        }],
        source: Default::default(),
    };
    assert_eq!(
        fields_of(&record),
        [
            "title",
            "status",
            "due_date",
            "labels.0",
            "custom.0.name",
            "preview.0.value",
            "preview.0.fill_color"
        ]
    );
}

#[test]
fn errors_for_finds_the_first_message_of_exactly_that_field() {
    let error = |field: &str, message: &str| FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    };
    let errors = [
        error("labels.1", "first"),
        error("labels", "count"),
        error("labels.1", "second"),
    ];
    assert_eq!(errors_for(&errors, "labels.1"), Some("first"));
    assert_eq!(errors_for(&errors, "labels"), Some("count"));
    assert_eq!(errors_for(&errors, "labels.10"), None);
    assert_eq!(errors_for(&[], "title"), None);
}
