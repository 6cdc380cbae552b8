use super::*;

fn parse(text: &str) -> Result<CardTemplate, String> {
    toml::from_str(text).map_err(|error| error.to_string())
}

fn default_template() -> CardTemplate {
    parse(DEFAULT_TEMPLATE_TOML).expect("the default template parses")
}

fn status(key: &str, card_color: &str) -> StatusOption {
    StatusOption {
        key: key.to_owned(),
        label: key.to_uppercase(),
        fill_color: String::new(),
        text_color: String::new(),
        card_color: card_color.to_owned(),
    }
}

fn chip(source: ChipSource) -> ChipRule {
    ChipRule::for_source(source)
}

fn sound() -> CardTemplate {
    CardTemplate {
        card_color: "#2D9BF0".to_owned(),
        statuses: vec![status("todo", ""), status("done", "#00AA00")],
        chips: vec![chip(ChipSource::Status)],
        description: Default::default(),
    }
}

/// The problems `check` reports, or none.
fn problems(template: &CardTemplate) -> Vec<String> {
    template.check().err().unwrap_or_default()
}

#[test]
fn the_default_template_parses_and_is_sound() {
    let template = default_template();
    assert_eq!(template.check(), Ok(()));
    let keys: Vec<&str> = template.statuses.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        ["todo", "in_progress", "in_review", "done", "blocked"]
    );
    assert_eq!(template.default_status().label, "To do");
    let sources: Vec<ChipSource> = template.chips.iter().map(|c| c.source.clone()).collect();
    assert_eq!(
        sources,
        [
            ChipSource::Status,
            ChipSource::Assignee,
            ChipSource::DueDate,
            ChipSource::Labels,
            ChipSource::Custom("Priority".to_owned()),
            ChipSource::Preview,
            ChipSource::Reference,
        ]
    );
    let due = &template.chips[2];
    assert_eq!(
        (due.format.as_str(), due.date_style),
        ("Due {value}", DateStyle::Short)
    );
    assert!(template
        .statuses
        .iter()
        .all(|s| !s.card_color.is_empty() && !s.fill_color.is_empty()));
}

#[test]
fn a_short_template_takes_defaults() {
    let template =
        parse("[[statuses]]\nkey = \"open\"\nlabel = \"Open\"\n\n[[chips]]\nsource = \"labels\"\n")
            .unwrap();
    assert_eq!(template.card_color, "#2d9bf0");
    assert_eq!(template.statuses[0].card_color, "");
    let rule = &template.chips[0];
    assert_eq!(rule.format, "{value}");
    assert_eq!(rule.date_style, DateStyle::Short);
    assert_eq!(rule.icon_shape, IconShape::Round);
    assert_eq!(rule.tooltip, "");
    assert_eq!(template.check(), Ok(()));
}

#[test]
fn unknown_keys_are_refused_at_every_level() {
    let top =
        parse("card_colour = \"#000000\"\n[[statuses]]\nkey = \"a\"\nlabel = \"A\"\n").unwrap_err();
    assert!(top.contains("card_colour"), "{top}");
    let in_status =
        parse("[[statuses]]\nkey = \"a\"\nlabel = \"A\"\ncolour = \"#000000\"\n").unwrap_err();
    assert!(in_status.contains("colour"), "{in_status}");
    let in_chip = parse("[[chips]]\nsource = \"status\"\ntooltp = \"x\"\n").unwrap_err();
    assert!(in_chip.contains("tooltp"), "{in_chip}");
}

#[test]
fn bad_chip_sources_and_date_styles_are_refused() {
    let unknown = parse("[[chips]]\nsource = \"owner\"\n").unwrap_err();
    assert!(
        unknown.contains("unknown chip source \"owner\""),
        "{unknown}"
    );
    let nameless = parse("[[chips]]\nsource = \"custom:  \"\n").unwrap_err();
    assert!(nameless.contains("needs a field name"), "{nameless}");
    assert!(parse("[[chips]]\nsource = \"Status\"\n").is_err());
    assert!(parse("[[chips]]\nsource = \"due_date\"\ndate_style = \"Short\"\n").is_err());
    assert!(parse("[[chips]]\nsource = \"due_date\"\ndate_style = \"medium\"\n").is_err());
    assert!(parse("[[chips]]\nsource = \"status\"\nicon_shape = \"triangle\"\n").is_err());
}

#[test]
fn a_bad_colour_parses_but_fails_the_check() {
    let template = parse("card_color = \"blue\"\n[[statuses]]\nkey = \"a\"\nlabel = \"A\"\nfill_color = \"#12345\"\n").unwrap();
    let found = problems(&template);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].starts_with("card_color: Use a colour like #1A2B3C"),
        "{found:?}"
    );
    assert!(found[1].starts_with("statuses[0].fill_color:"), "{found:?}");
}

#[test]
fn chip_sources_are_spelled_as_in_the_template() {
    for (text, source) in [
        ("status", ChipSource::Status),
        ("assignee", ChipSource::Assignee),
        ("due_date", ChipSource::DueDate),
        ("labels", ChipSource::Labels),
        (
            "custom:Story points",
            ChipSource::Custom("Story points".to_owned()),
        ),
        ("preview", ChipSource::Preview),
    ] {
        assert_eq!(ChipSource::parse(text), Ok(source.clone()));
        assert_eq!(source.spelling(), text);
        assert_eq!(source.to_string(), text);
        assert_eq!(String::from(source), text);
    }
    assert_eq!(
        ChipSource::parse("custom: Priority "),
        Ok(ChipSource::Custom("Priority".to_owned()))
    );
    assert!(ChipSource::parse("").is_err());
    assert!(ChipSource::parse("custom:").is_err());
}

#[test]
fn templates_serialize_back_to_the_same_template() {
    let template = default_template();
    let text = toml::to_string(&template).expect("serializes");
    assert!(text.contains("source = \"custom:Priority\""), "{text}");
    assert!(text.contains("date_style = \"short\""), "{text}");
    assert_eq!(parse(&text).unwrap(), template);
}

#[test]
fn statuses_are_found_by_exact_key() {
    let template = sound();
    assert_eq!(
        template.status("done").map(|s| s.label.as_str()),
        Some("DONE")
    );
    assert_eq!(template.status("Done"), None);
    assert_eq!(template.status(""), None);
    assert_eq!(template.default_status().key, "todo");
    assert_eq!(template.status_or_default("nope").key, "todo");
    assert_eq!(template.status_or_default("done").key, "done");
}

#[test]
fn card_colour_comes_from_the_status_or_the_template() {
    let template = sound();
    assert_eq!(template.card_color_for("done"), "#00AA00");
    assert_eq!(template.card_color_for("todo"), "#2D9BF0");
    // An unknown key counts as the default status.
    assert_eq!(template.card_color_for("gone"), "#2D9BF0");
    let mut first_coloured = sound();
    first_coloured.statuses[0].card_color = "#111111".to_owned();
    assert_eq!(first_coloured.card_color_for("gone"), "#111111");
}

#[test]
fn a_template_without_statuses_does_not_panic() {
    let empty = CardTemplate {
        card_color: "#2D9BF0".to_owned(),
        statuses: vec![],
        chips: vec![],
        description: Default::default(),
    };
    assert_eq!(empty.default_status().key, "");
    assert_eq!(empty.card_color_for("anything"), "#2D9BF0");
    assert_eq!(
        problems(&empty),
        ["statuses: the template needs at least one status"]
    );
}

#[test]
fn check_reports_status_problems() {
    let mut template = sound();
    template.statuses.push(status("todo", "red"));
    template.statuses.push(status(" spaced", ""));
    template.statuses.push(StatusOption {
        label: " ".to_owned(),
        ..status("blank_label", "")
    });
    template.statuses.push(status("", ""));
    assert_eq!(
        problems(&template),
        [
            "statuses[2].key: \"todo\" is used by an earlier status",
            "statuses[2].card_color: Use a colour like #1A2B3C: a # followed by exactly 6 hex digits (0-9, A-F).",
            "statuses[3].key: a key must not be empty or start or end with spaces",
            "statuses[4].label: a status needs a label",
            "statuses[5].key: a key must not be empty or start or end with spaces",
            "statuses[5].label: a status needs a label",
        ]
    );
}

#[test]
fn check_reports_chip_problems() {
    let mut template = sound();
    template.chips = vec![
        ChipRule {
            format: "Due".to_owned(),
            ..chip(ChipSource::DueDate)
        },
        ChipRule {
            icon_url: "http://a.io/x.png".to_owned(),
            ..chip(ChipSource::Assignee)
        },
        ChipRule {
            text_color: "#GGGGGG".to_owned(),
            ..chip(ChipSource::Labels)
        },
        ChipRule {
            tooltip: "t".repeat(101),
            ..chip(ChipSource::Custom("Size".to_owned()))
        },
        chip(ChipSource::Custom("size".to_owned())),
        chip(ChipSource::DueDate),
    ];
    let found = problems(&template);
    let places: Vec<&str> = found.iter().map(|p| p.split(':').next().unwrap()).collect();
    assert_eq!(
        places,
        [
            "chips[0].format",
            "chips[1].icon_url",
            "chips[2].text_color",
            "chips[3].tooltip",
            "chips[4].source",
            "chips[5].source",
        ],
        "{found:?}"
    );
    assert!(found[0].contains("must contain {value}"), "{found:?}");
    assert!(found[1].contains("https://"), "{found:?}");
}

#[test]
fn an_empty_card_colour_is_refused() {
    let template = CardTemplate {
        card_color: String::new(),
        ..sound()
    };
    assert_eq!(
        problems(&template),
        ["card_color: the template needs a border colour like #2D9BF0"]
    );
}

#[test]
fn a_sound_template_passes() {
    assert_eq!(sound().check(), Ok(()));
}
