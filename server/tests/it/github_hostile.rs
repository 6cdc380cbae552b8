//! GitHub issues written by strangers, against a real server (sandbox
//! mode, SQLite, the Miro sandbox) and the GitHub stand-in over real HTTP:
//! a hidden block edited to hold what no save would take is checked part
//! by part as it arrives, by webhook and by poll, with a reason in the sync
//! log and the panel's health, and the card Miro gets is valid; bodies as
//! long as GitHub takes go from the issue to the record, to a card (cut,
//! for the card only), through a detail-view save and back to the issue
//! without losing a character.

use app::cards::{limits::MAX_DESCRIPTION_CHARS, RecordFields};
use serde_json::{json, Value};
use server::{
    miro::AppCard,
    store::{arrival, CardKey, RecordRow, Store as _},
    sync::connector::{
        github::{mapping::MAX_BODY_CHARS, poll::Poll},
        Connector,
    },
};

use crate::{
    github::{number_of, Harness, ROADMAP},
    github_writes::{drain_sources, open_view, save_card},
    support::{
        detail::session_of,
        panel::{call, opened_panel},
        sandbox::render_lock,
    },
};

/// A body as someone editing the issue on GitHub could write it: a new
/// description, and a hidden block with 30 chips, `javascript:` icons,
/// 500-character tooltips and a fill colour that is CSS.
fn hostile_body() -> String {
    let chips: Vec<Value> = (0..30)
        .map(|i| {
            json!({
                "value": format!("chip {i}"),
                "tooltip": "t".repeat(500),
                "fill_color": "red;background:url(https://evil.example/a)",
                "text_color": "#FFFFFF",
                "icon_url": "javascript:alert(document.cookie)//.png",
                "icon_shape": "round",
            })
        })
        .collect();
    let block = json!({"preview": chips, "assignee": "x".repeat(300)});
    format!("Rewritten on GitHub\n\n<!-- miro-cards:{block} -->")
}

/// Edits the record's issue on GitHub as its stand-in's admin would.
async fn edit_issue(h: &Harness, record: &RecordRow, change: Value) {
    let path = format!("issues/{ROADMAP}/{}/edit", number_of(record));
    h.standin.admin(&path, change).await;
}

/// Fails unless Miro got a card it would keep: at most 10 chips, each
/// with a `#RRGGBB` colour or none, an https image icon or none, and a
/// tooltip of at most 100 characters.
fn assert_valid_card(card: &AppCard) {
    let fields = &card.data.fields;
    assert!(fields.len() <= 10, "{} chips", fields.len());
    let color = |c: &Option<String>| {
        c.as_deref().is_none_or(|c| {
            c.is_empty()
                || (c.len() == 7
                    && c.starts_with('#')
                    && c[1..].chars().all(|d| d.is_ascii_hexdigit()))
        })
    };
    for chip in fields {
        assert!(
            color(&chip.fill_color) && color(&chip.text_color),
            "{chip:?}"
        );
        let icon = chip.icon_url.as_deref().unwrap_or("");
        assert!(icon.is_empty() || icon.starts_with("https://"), "{chip:?}");
        let tooltip = chip.tooltip.as_deref().unwrap_or("");
        assert!(tooltip.chars().count() <= 100, "{chip:?}");
    }
}

/// Checks what arrived: the record took the new description and none of
/// the hostile parts, the sync log says what was left out and why, the
/// panel's health counts it, and the card Miro has is valid.
async fn assert_checked(h: &Harness, record: &RecordRow, card: &CardKey) {
    let now = h.record(&record.snapshot.id).await;
    let fields = &now.snapshot.fields;
    assert_eq!(fields.description, "Rewritten on GitHub");
    assert_eq!(fields.assignee, "", "an assignee over 100 characters");
    assert!(
        app::cards::validate_record(fields, h.server.state.sync.template()).is_empty(),
        "{fields:#?}"
    );
    assert!(!fields.preview.is_empty(), "valid parts of the chips stay");
    assert!(fields.preview.iter().all(|chip| chip.icon_url.is_empty()
        && chip.tooltip.is_empty()
        && chip.fill_color.is_empty()
        && chip.text_color == "#FFFFFF"));

    let log = crate::support::store_of(&h.server.state)
        .await
        .recent_log(100)
        .await
        .unwrap();
    let row = log
        .iter()
        .find(|e| e.action == arrival::DROPPED)
        .unwrap_or_else(|| panic!("no row for the parts left out: {log:#?}"));
    assert_eq!(row.record_id.as_deref(), Some(record.snapshot.id.as_str()));
    for part in [
        "assignee:",
        "preview.0.tooltip: Tooltips can be at most 100 characters",
        "preview.0.fill_color: Use a colour like #1A2B3C",
        "preview.0.icon_url: Icon links must start with https://",
    ] {
        assert!(row.result.contains(part), "{part} not in {}", row.result);
    }
    assert!(
        row.result.starts_with(&record.external_id),
        "{}",
        row.result
    );

    let session = opened_panel(&h.server).await;
    let (status, health) = call(&h.server, "board_health", json!({"session": session})).await;
    assert_eq!(status, 200, "{health}");
    let arrivals = &health["sources"][0]["arrivals"];
    assert!(arrivals["dropped"].as_u64() >= Some(1), "{health}");
    assert!(
        arrivals["latest"]
            .as_str()
            .is_some_and(|l| l.contains("preview.0.icon_url")),
        "{health}"
    );

    h.drain().await;
    let on_board = h.card(card).await;
    assert_valid_card(&on_board);
    assert_eq!(
        on_board.data.description, "<p>Rewritten on GitHub</p>",
        "Miro took the card"
    );
}

#[tokio::test]
async fn a_hostile_hidden_block_by_webhook_is_left_out_part_by_part_and_miro_gets_a_valid_card() {
    let h = Harness::start().await;
    let (record, card) = h.imported("Hidden block by webhook").await;
    let before = h.standin.deliveries().await.len();
    edit_issue(&h, &record, json!({"body": hostile_body()})).await;
    let all = h.standin.answered(before + 1).await;
    assert!(all[before..].iter().all(|d| d["status"] == 200), "{all:#?}");
    assert_checked(&h, &record, &card).await;
}

#[tokio::test]
async fn a_hostile_hidden_block_by_poll_is_left_out_part_by_part_and_miro_gets_a_valid_card() {
    let h = Harness::start().await;
    let (record, card) = h.imported("Hidden block by poll").await;
    h.standin.standin.set_webhook_url(None);
    edit_issue(&h, &record, json!({"body": hostile_body()})).await;
    let report = Poll::new()
        .once(&h.server.state.sync, &h.connector)
        .await
        .unwrap();
    assert_eq!(report.applied, 1, "{report:?}");
    assert_checked(&h, &record, &card).await;
}

#[tokio::test]
async fn an_issue_that_cannot_be_a_record_is_not_imported_and_the_health_says_so() {
    let h = Harness::start().await;
    h.standin.standin.set_webhook_url(None);
    // GitHub takes a title of 256 characters; a longer one cannot be
    // saved back, and cut it would lose what the issue says.
    let item = h
        .connector
        .create(
            &RecordFields {
                title: "Short for now".to_owned(),
                status: "todo".to_owned(),
                ..RecordFields::default()
            },
            "test",
        )
        .await
        .unwrap();
    let number = item.external_id.rsplit_once('#').unwrap().1;
    h.standin
        .admin(
            &format!("issues/{ROADMAP}/{number}/edit"),
            json!({"title": "t".repeat(300)}),
        )
        .await;
    Poll::new()
        .once(&h.server.state.sync, &h.connector)
        .await
        .unwrap();
    let store = crate::support::store_of(&h.server.state).await;
    assert_eq!(
        store
            .record_by_external("github", &item.external_id)
            .await
            .unwrap(),
        None
    );
    let log = store.recent_log(50).await.unwrap();
    let row = log.iter().find(|e| e.action == arrival::REFUSED).unwrap();
    assert!(
        row.result.starts_with(&item.external_id) && row.result.contains("title: Titles"),
        "{}",
        row.result
    );
    let session = opened_panel(&h.server).await;
    let (_, health) = call(&h.server, "board_health", json!({"session": session})).await;
    assert_eq!(health["sources"][0]["arrivals"]["refused"], 1, "{health}");
}

/// A body of exactly GitHub's limit, made of the Markdown that used to
/// make the converter rescan.
fn body_at_githubs_limit() -> String {
    let body: String = "[a]( *a _b ** [ <b>&amp; \n- x\n"
        .chars()
        .cycle()
        .take(MAX_BODY_CHARS)
        .collect();
    assert_eq!(body.chars().count(), MAX_BODY_CHARS);
    body
}

#[tokio::test]
async fn bodies_as_long_as_github_takes_reach_the_card_cut_and_go_back_through_a_save_whole() {
    let _one_renderer = render_lock().await;
    let h = Harness::start().await;
    for body in ["[".repeat(65_000), body_at_githubs_limit()] {
        let fields = RecordFields {
            title: "A long body".to_owned(),
            description: body.clone(),
            status: "todo".to_owned(),
            ..RecordFields::default()
        };
        let (record, card) = h.imported_with(&fields).await;
        assert_eq!(
            record.snapshot.fields.description, body,
            "the record keeps it all"
        );

        // The card shows the beginning, and where the rest is.
        let on_board = h.card(&card).await;
        assert!(
            on_board.data.description.ends_with("… more on GitHub</p>"),
            "{}",
            &on_board.data.description[on_board.data.description.len() - 200..]
        );
        let shown = app::cards::markdown::html_to_text(&on_board.data.description).unwrap();
        assert!(
            shown.chars().count() <= MAX_DESCRIPTION_CHARS,
            "{}",
            shown.len()
        );

        // Saved from the detail view with the long body unchanged: taken,
        // and GitHub gets the edit with every character of the body.
        let session = session_of(&open_view(&h, &card).await);
        let mut edited = record.snapshot.fields.clone();
        edited.title = "Renamed in Miro".to_owned();
        let (status, answer) =
            save_card(&h, &card, &session, record.snapshot.version, &edited, None).await;
        let said: String = answer.to_string().chars().take(300).collect();
        assert_eq!(status, 200, "{said}");
        h.drain().await;
        assert_eq!(drain_sources(&h).await, 1);
        let issue = h.issue_fields(&record).await;
        assert_eq!(issue.title, "Renamed in Miro");
        assert!(
            issue.description == body,
            "the issue lost characters of its body"
        );
        assert_eq!(h.card(&card).await.data.title, "Renamed in Miro");
    }
}

#[tokio::test]
async fn a_save_claiming_a_tool_gets_no_longer_description_for_a_record_kept_here() {
    let _one_renderer = render_lock().await;
    let h = Harness::start().await;
    // A built-in record's card, opened in the view; the save says the
    // record is GitHub's to be allowed a long description.
    let (card, session) = crate::support::detail::opened_view(&h.server).await;
    let record = crate::support::detail::record_of(&h.server, &card).await;
    assert_eq!(record.connector, "builtin");
    let mut fields = record.snapshot.fields.clone();
    fields.description = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
    fields.source.tool = "GitHub".to_owned();
    let (status, answer) =
        save_card(&h, &card, &session, record.snapshot.version, &fields, None).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.to_string().contains("description"), "{answer}");
}

#[tokio::test]
async fn labels_a_record_cannot_hold_stay_on_the_issue_when_it_is_written_back() {
    let h = Harness::start().await;
    let long = "a label name longer than a record keeps it".to_owned();
    assert!(long.chars().count() > app::cards::validate::MAX_LABEL_CHARS);
    let (record, _card) = h
        .imported_with(&RecordFields {
            title: "Labelled on GitHub".to_owned(),
            status: "todo".to_owned(),
            labels: vec!["bug".to_owned(), long.clone()],
            ..RecordFields::default()
        })
        .await;
    assert_eq!(
        record.snapshot.fields.labels,
        ["bug"],
        "left out of the record"
    );

    let mut edited = record.snapshot.fields.clone();
    edited.title = "Edited in Miro".to_owned();
    h.server
        .state
        .sync
        .save(server::store::RecordSave {
            source_base: None,
            record_id: &record.snapshot.id,
            base_version: record.snapshot.version,
            fields: &edited,
            origin: "miro",
            actor: "tester",
        })
        .await
        .unwrap();
    assert_eq!(drain_sources(&h).await, 1);
    let issue = h.issue_fields(&record).await;
    assert_eq!(issue.title, "Edited in Miro");
    assert!(issue.labels.contains(&long), "{:?}", issue.labels);
    assert!(
        issue.labels.contains(&"bug".to_owned()),
        "{:?}",
        issue.labels
    );
}
