use app::cards::{
    limits::TextLimits, validate_record, CardTemplate, CustomField, PreviewField, RecordFields,
};

use super::*;

fn template() -> CardTemplate {
    toml::from_str(app::cards::template::DEFAULT_TEMPLATE_TOML).unwrap()
}

fn chip(value: &str) -> PreviewField {
    PreviewField {
        value: value.to_owned(),
        ..PreviewField::default()
    }
}

/// The hidden block of the security review: 30 chips, `javascript:`
/// icons, 500-character tooltips and a fill colour that is CSS.
fn hostile() -> RecordFields {
    let mut preview: Vec<PreviewField> = (0..30).map(|i| chip(&format!("chip {i}"))).collect();
    preview[0].icon_url = "javascript:alert(1)".to_owned();
    preview[1].tooltip = "t".repeat(500);
    preview[2].fill_color = "red;background:url(https://evil.example/a)".to_owned();
    preview[3].value = String::new();
    RecordFields {
        title: "Hostile".to_owned(),
        description: "From an issue".to_owned(),
        status: "todo".to_owned(),
        assignee: "a".repeat(101),
        due_date: "someday".to_owned(),
        labels: vec!["bug".to_owned(), "l".repeat(41), "Bug".to_owned()],
        custom: vec![
            CustomField {
                name: "Team".to_owned(),
                value: "Web".to_owned(),
            },
            CustomField {
                name: String::new(),
                value: "nameless".to_owned(),
            },
        ],
        preview,
        ..RecordFields::default()
    }
}

#[test]
fn invalid_parts_are_left_out_each_with_a_reason_and_the_rest_kept() {
    let template = template();
    let admitted = admit(&hostile(), &template, TextLimits::BUILT_IN).unwrap();
    let fields = &admitted.fields;
    assert_eq!(validate_record(fields, &template), [], "{fields:#?}");
    assert_eq!(fields.title, "Hostile");
    assert_eq!(fields.description, "From an issue");
    assert_eq!(
        (fields.assignee.as_str(), fields.due_date.as_str()),
        ("", "")
    );
    assert_eq!(fields.labels, ["bug"]);
    assert_eq!(fields.custom.len(), 1);
    // The chips that stay keep what is valid of them.
    assert_eq!(fields.preview[0].value, "chip 0");
    assert_eq!(fields.preview[0].icon_url, "");
    assert_eq!(fields.preview[1].tooltip, "");
    assert_eq!(fields.preview[2].fill_color, "");
    assert!(fields.preview.iter().all(|c| c.value != "chip 3"));
    assert!(fields.preview.len() < 10);

    let dropped: Vec<&str> = admitted.dropped.iter().map(|e| e.field.as_str()).collect();
    for part in [
        "assignee",
        "due_date",
        "labels.1",
        "labels.2",
        "custom.1.name",
        "preview.0.icon_url",
        "preview.1.tooltip",
        "preview.2.fill_color",
        "preview.3.value",
        "preview.29",
    ] {
        assert!(dropped.contains(&part), "{part} not in {dropped:?}");
    }
    assert!(admitted.dropped.iter().all(|e| !e.message.is_empty()));
}

#[test]
fn a_valid_record_is_taken_as_it_is() {
    let mut fields = hostile();
    fields.assignee.clear();
    fields.due_date.clear();
    fields.labels.truncate(1);
    fields.custom.truncate(1);
    fields.preview = vec![chip("one")];
    let admitted = admit(&fields, &template(), TextLimits::BUILT_IN).unwrap();
    assert_eq!(admitted.fields, fields);
    assert!(admitted.dropped.is_empty());
}

#[test]
fn no_title_or_too_long_a_text_is_refused_whole() {
    let template = template();
    let untitled = RecordFields {
        title: "  ".to_owned(),
        ..hostile()
    };
    let errors = admit(&untitled, &template, TextLimits::BUILT_IN).unwrap_err();
    assert_eq!(errors[0].field, "title");
    let long = RecordFields {
        description: "x".repeat(5_001),
        ..hostile()
    };
    assert!(admit(&long, &template, TextLimits::BUILT_IN).is_err());
    // What a tool holds more of is taken.
    let github = TextLimits {
        title: 256,
        description: 65_536,
    };
    assert!(admit(&long, &template, github).is_ok());
}

#[test]
fn labels_past_what_a_record_holds_are_told_apart_for_the_tool() {
    let labels: Vec<String> = (0..25).map(|i| format!("label {i}")).collect();
    let held = held_labels(&labels);
    assert_eq!(held, labels[..20]);
    let mut with_bad = labels[..3].to_vec();
    with_bad.insert(1, "x".repeat(41));
    assert_eq!(held_labels(&with_bad), labels[..3]);
}
