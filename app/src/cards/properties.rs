//! Property tests over the card text conversions and validation, with
//! inputs proptest generates (and shrinks when one fails): no input makes
//! them panic, what the app writes it can read back, and a record that
//! passes validation renders within Miro's limits.

use proptest::prelude::*;

use super::{
    limits::{MAX_DESCRIPTION_CHARS, MAX_PREVIEW_FIELDS, MAX_TITLE_CHARS},
    markdown::{html_to_text, miro_html_to_markdown, to_miro_html, HtmlTooDeep},
    render_card, validate_record, CardStatus, CardTemplate, CustomField, RecordFields,
};

/// Text made mostly of Markdown and HTML syntax, where the bugs live.
fn markup() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("*".to_owned()),
        Just("**".to_owned()),
        Just("_".to_owned()),
        Just("[".to_owned()),
        Just("](".to_owned()),
        Just(")".to_owned()),
        Just("https://x.org".to_owned()),
        Just("\\".to_owned()),
        Just("\n".to_owned()),
        Just("\n\n".to_owned()),
        Just("- ".to_owned()),
        Just("1. ".to_owned()),
        Just("  ".to_owned()),
        Just("<".to_owned()),
        Just("&amp;".to_owned()),
        "[a-z]{1,4}",
        "\\PC{1,3}",
    ];
    prop::collection::vec(atom, 0..40).prop_map(|atoms| atoms.concat())
}

/// HTML-ish text: tags Miro keeps and others, open and closed, entities.
fn html() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        "<(p|b|strong|em|i|u|a href=\"https://x.org\"|ul|ol|li|br|div|span|script|!--)>",
        "</(p|b|strong|em|i|u|a|ul|ol|li|div|span|script)>",
        Just("-->".to_owned()),
        Just("&lt;".to_owned()),
        Just("&#x1F600;".to_owned()),
        Just("&bogus;".to_owned()),
        "[a-z *_\\[\\]()]{1,5}",
        "\\PC{1,3}",
    ];
    prop::collection::vec(atom, 0..60).prop_map(|atoms| atoms.concat())
}

fn template() -> CardTemplate {
    toml::from_str(super::template::DEFAULT_TEMPLATE_TOML).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_converts_and_reads_back(text in prop_oneof![markup(), any::<String>()]) {
        let html = to_miro_html(&text);
        // What we write is never too deep for us to read.
        let once = miro_html_to_markdown(&html).unwrap();
        prop_assert!(html_to_text(&html).is_ok());
        // Markdown read back from the card is stable: writing and reading
        // it again gives the same Markdown.
        let twice = miro_html_to_markdown(&to_miro_html(&once)).unwrap();
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn any_html_is_read_or_refused_as_too_deep(text in prop_oneof![html(), any::<String>()]) {
        match (miro_html_to_markdown(&text), html_to_text(&text)) {
            (Ok(markdown), Ok(_)) => {
                // Markdown we read out of any HTML is Markdown we can write.
                let written = to_miro_html(&markdown);
                prop_assert!(miro_html_to_markdown(&written).is_ok());
            }
            (Err(HtmlTooDeep), Err(HtmlTooDeep)) => {}
            other => prop_assert!(false, "the readers disagree: {other:?}"),
        }
    }

    #[test]
    fn a_record_that_validates_renders_within_miros_limits(
        title in "\\PC{0,250}",
        description in prop_oneof![markup(), "\\PC{0,300}"],
        custom in prop::collection::vec(("\\PC{0,45}", "\\PC{0,40}"), 0..25),
    ) {
        let template = template();
        let fields = RecordFields {
            title,
            description,
            status: template.default_status().key.clone(),
            custom: custom
                .into_iter()
                .map(|(name, value)| CustomField { name, value })
                .collect(),
            ..RecordFields::default()
        };
        let errors = validate_record(&fields, &template);
        let card = render_card(&fields, CardStatus::Connected, &template);
        prop_assert!(card.fields.len() <= MAX_PREVIEW_FIELDS);
        if errors.is_empty() {
            prop_assert!(!fields.title.trim().is_empty());
            prop_assert!(fields.title.trim().chars().count() <= MAX_TITLE_CHARS);
            prop_assert!(fields.description.chars().count() <= MAX_DESCRIPTION_CHARS);
        }
    }
}
