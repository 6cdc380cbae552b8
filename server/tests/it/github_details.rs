//! The issue as GitHub knows it, on the card and in the detail view: its
//! number as a chip, its labels in GitHub's colours, a link back to it.
//! These details are GitHub's alone: a label recoloured there reaches the
//! card with no new version (an open view still saves), a label added in
//! Miro gets its colour once written, and a save from the view cannot
//! change them (a browser cannot point the link elsewhere).

use serde_json::json;

use crate::{
    github::{number_of, Harness, ROADMAP},
    github_writes::{drain_sources, open_view, save_card},
    support::{detail::session_of, sandbox::render_lock},
};

#[tokio::test]
async fn the_card_shows_the_issue_number_and_label_colours_and_the_view_links_back() {
    let _one_renderer = render_lock().await;
    let h = Harness::start().await;
    let (record, card) = h.imported("Coloured").await;
    let number = number_of(&record);
    let source = &record.snapshot.fields.source;
    assert_eq!(
        (
            source.tool.as_str(),
            source.reference.clone(),
            source.location.as_str()
        ),
        ("GitHub", format!("#{number}"), ROADMAP)
    );
    assert!(
        source.url.ends_with(&format!("/{ROADMAP}/issues/{number}")),
        "{}",
        source.url
    );
    // The issue's write made the label, in the colour GitHub gives such.
    assert_eq!(source.label_color("bug"), Some("#EDEDED"));

    h.drain().await;
    let chips = h.card(&card).await.data.fields;
    let reference = chips
        .iter()
        .find(|chip| chip.value.as_deref() == Some(source.reference.as_str()))
        .unwrap_or_else(|| panic!("no #{number} chip in {chips:#?}"));
    assert_eq!(
        reference.tooltip.as_deref(),
        Some(format!("GitHub {ROADMAP}#{number}").as_str())
    );
    let bug = chips
        .iter()
        .find(|chip| chip.value.as_deref() == Some("bug"))
        .unwrap();
    assert_eq!(
        bug.fill_color.as_deref().map(str::to_uppercase).as_deref(),
        Some("#EDEDED")
    );
    assert_eq!(
        bug.text_color.as_deref(),
        Some("#1A1A1A"),
        "dark text on a light label"
    );

    let html = open_view(&h, &card).await;
    assert!(
        html.contains(&format!("href=\"{}\"", source.url)),
        "no link to the issue"
    );
    assert!(html.contains(&format!("{ROADMAP}#{number} on GitHub")));

    // Recoloured on GitHub: the chip follows, and it is not an edit.
    let deliveries = h.standin.deliveries().await.len();
    h.standin
        .edit_label("bug", json!({"color": "b60205"}))
        .await;
    let answered = h.standin.answered(deliveries + 1).await;
    assert!(
        answered[deliveries..]
            .iter()
            .any(|d| d["event"] == "label" && d["status"] == 200),
        "{answered:#?}"
    );
    let recoloured = h.record(&record.snapshot.id).await;
    assert_eq!(
        recoloured.snapshot.fields.source.label_color("bug"),
        Some("#B60205")
    );
    assert_eq!(
        recoloured.snapshot.version, record.snapshot.version,
        "no new version"
    );
    h.drain().await;
    let chips = h.card(&card).await.data.fields;
    let bug = chips
        .iter()
        .find(|c| c.value.as_deref() == Some("bug"))
        .unwrap();
    assert_eq!(
        bug.fill_color.as_deref().map(str::to_uppercase).as_deref(),
        Some("#B60205")
    );

    // A save from the view, at the version it opened (still current),
    // that also tries to move the link: the edit lands, the link stays.
    let session = session_of(&html);
    let mut edited = recoloured.snapshot.fields.clone();
    edited.title = "Coloured, edited".to_owned();
    edited.labels.push("enhancement".to_owned());
    edited.source.url = "https://attacker.example/".to_owned();
    edited.source.label_colors.clear();
    let (status, answer) =
        save_card(&h, &card, &session, record.snapshot.version, &edited, None).await;
    assert_eq!(status, 200, "{answer}");
    let saved = h.record(&record.snapshot.id).await;
    assert_eq!(saved.snapshot.fields.title, "Coloured, edited");
    assert_eq!(
        saved.snapshot.fields.source,
        recoloured.snapshot.fields.source
    );

    // The label added in Miro has GitHub's colour once the write lands,
    // still with no version beyond the save's.
    assert_eq!(drain_sources(&h).await, 1);
    let written = h.record(&record.snapshot.id).await;
    assert_eq!(written.snapshot.version, saved.snapshot.version);
    assert_eq!(
        written.snapshot.fields.source.label_color("enhancement"),
        Some("#EDEDED")
    );
    h.drain().await;
    let chips = h.card(&card).await.data.fields;
    let added = chips
        .iter()
        .find(|c| c.value.as_deref() == Some("enhancement"))
        .unwrap();
    assert_eq!(
        added
            .fill_color
            .as_deref()
            .map(str::to_uppercase)
            .as_deref(),
        Some("#EDEDED")
    );
}
