//! The mapping's rules, one by one, and round trips: fields → issue →
//! fields gives the fields back, for any fields GitHub can hold.

use app::cards::{CustomField, IconShape, PreviewField, RecordFields};
use proptest::prelude::*;

use super::*;
use crate::sync::connector::github::types::{Issue, LabelRef, Milestone, User};

fn mapping() -> Mapping {
    Mapping::for_statuses(
        ["todo", "in_progress", "in_review", "done", "blocked"]
            .map(str::to_owned)
            .to_vec(),
    )
}

/// The issue GitHub would keep for `desired` (a milestone due that day,
/// at GitHub's usual 07:00 UTC).
fn issue_for(desired: &Desired) -> Issue {
    Issue {
        number: 7,
        title: desired.title.clone(),
        body: Some(desired.body.clone()),
        state: if desired.open { "open" } else { "closed" }.to_owned(),
        state_reason: (!desired.open)
            .then(|| desired.state_reason.unwrap_or("completed").to_owned()),
        labels: desired
            .labels
            .iter()
            .map(|name| LabelRef::Object {
                name: name.clone(),
                color: None,
            })
            .collect(),
        assignees: desired
            .assignees
            .iter()
            .map(|login| User {
                login: login.clone(),
            })
            .collect(),
        milestone: (!desired.milestone_due.is_empty()).then(|| Milestone {
            number: 1,
            title: "Sprint".to_owned(),
            due_on: Some(format!("{}T07:00:00Z", desired.milestone_due)),
        }),
        ..Issue::default()
    }
}

const ON_GITHUB: Placement = Placement {
    assignee_on_github: true,
    due_on_github: true,
};

fn sample() -> RecordFields {
    crate::sync::connector::conformance::sample("A title")
}

#[test]
fn the_conformance_sample_round_trips() {
    let m = mapping();
    let desired = m.desired(&sample(), ON_GITHUB).unwrap();
    assert!(desired.open);
    assert_eq!(desired.labels, ["backend", "urgent", "status:in_progress"]);
    assert_eq!(desired.assignees, ["sam"]);
    assert!(desired.body.starts_with(&sample().description));
    assert_eq!(m.fields(&issue_for(&desired)).content(), sample());
}

#[test]
fn the_issues_number_link_and_label_colours_are_its_source_details() {
    let issue = Issue {
        number: 42,
        title: "Colours".to_owned(),
        state: "open".to_owned(),
        labels: vec![
            LabelRef::Object {
                name: "bug".to_owned(),
                color: Some("d73a4a".to_owned()),
            },
            LabelRef::Object {
                name: "status:in_review".to_owned(),
                color: Some("5319e7".to_owned()),
            },
            LabelRef::Object {
                name: "odd".to_owned(),
                color: Some("not-hex".to_owned()),
            },
            LabelRef::Name("plain".to_owned()),
        ],
        html_url: "https://github.com/acme/roadmap/issues/42".to_owned(),
        repository_url: Some("https://api.github.com/repos/acme/roadmap".to_owned()),
        ..Issue::default()
    };
    let fields = mapping().fields(&issue);
    assert_eq!(fields.labels, ["bug", "odd", "plain"]);
    let source = &fields.source;
    assert_eq!(
        (
            source.tool.as_str(),
            source.reference.as_str(),
            source.location.as_str(),
            source.url.as_str()
        ),
        (
            "GitHub",
            "#42",
            "acme/roadmap",
            "https://github.com/acme/roadmap/issues/42"
        )
    );
    // Only valid colours, of labels the record shows (not the status one).
    assert_eq!(
        source.label_colors,
        [app::cards::LabelColor {
            name: "bug".to_owned(),
            color: "#D73A4A".to_owned(),
        }]
    );
    // Details are not content: writing them back changes nothing.
    let desired = mapping().desired(&fields, ON_GITHUB).unwrap();
    assert_eq!(
        desired,
        mapping().desired(&fields.content(), ON_GITHUB).unwrap()
    );
}

#[test]
fn statuses_follow_the_written_rule() {
    let m = mapping();
    let mut issue = Issue {
        state: "open".to_owned(),
        ..Issue::default()
    };
    assert_eq!(m.fields(&issue).status, "todo");
    issue.labels = vec![
        LabelRef::Name("bug".to_owned()),
        LabelRef::Name("Status:in_review".to_owned()),
        LabelRef::Name("status:blocked".to_owned()),
    ];
    let fields = m.fields(&issue);
    assert_eq!(fields.status, "in_review", "the first status label wins");
    assert_eq!(fields.labels, ["bug"], "status labels are not labels");
    issue.labels = vec![LabelRef::Name("status:unknown".to_owned())];
    assert_eq!(m.fields(&issue).status, "todo", "unknown keys are ignored");
    issue.labels = vec![LabelRef::Name("status:done".to_owned())];
    assert_eq!(m.fields(&issue).status, "todo", "done needs a closed issue");
    issue.state = "closed".to_owned();
    issue.labels = vec![LabelRef::Name("status:in_review".to_owned())];
    for reason in [
        None,
        Some("completed"),
        Some("not_planned"),
        Some("duplicate"),
    ] {
        issue.state_reason = reason.map(str::to_owned);
        assert_eq!(m.fields(&issue).status, "done", "closed ({reason:?})");
    }
}

#[test]
fn writing_a_status_opens_or_closes_the_issue() {
    let m = mapping();
    let mut fields = sample();
    fields.status = "done".to_owned();
    let desired = m.desired(&fields, ON_GITHUB).unwrap();
    assert!(!desired.open);
    assert_eq!(desired.state_reason, None, "GitHub keeps its reason");
    assert_eq!(desired.labels, ["backend", "urgent"]);
    fields.status = "todo".to_owned();
    let desired = m.desired(&fields, ON_GITHUB).unwrap();
    assert!(desired.open);
    assert_eq!(desired.labels, ["backend", "urgent"]);

    let mut distinct = m.clone();
    distinct.not_planned_status = "blocked".to_owned();
    fields.status = "blocked".to_owned();
    let desired = distinct.desired(&fields, ON_GITHUB).unwrap();
    assert_eq!(
        (desired.open, desired.state_reason),
        (false, Some("not_planned"))
    );
    assert_eq!(distinct.fields(&issue_for(&desired)).status, "blocked");
}

#[test]
fn fields_github_cannot_hold_are_refused() {
    let m = mapping();
    let mut fields = sample();
    fields.title = "  ".to_owned();
    assert_eq!(m.desired(&fields, ON_GITHUB), Err(MappingError::NoTitle));
    let mut fields = sample();
    fields.labels.push("STATUS: later".to_owned());
    assert!(matches!(
        m.desired(&fields, ON_GITHUB),
        Err(MappingError::StatusLikeLabel(_))
    ));
    let mut fields = sample();
    fields.due_date = "24/12/2026".to_owned();
    assert!(matches!(
        m.desired(&fields, ON_GITHUB),
        Err(MappingError::BadDate(_))
    ));
    let mut fields = sample();
    fields.description = "x".repeat(MAX_BODY_CHARS + 1);
    assert_eq!(m.desired(&fields, ON_GITHUB), Err(MappingError::TooLong));
}

#[test]
fn what_github_cannot_hold_goes_to_the_hidden_block_and_github_wins_when_it_has_it() {
    let m = mapping();
    let desired = m.desired(&sample(), Placement::default()).unwrap();
    assert!(desired.assignees.is_empty());
    assert_eq!(desired.milestone_due, "");
    let (_, hidden) = split_body(&desired.body);
    assert_eq!(
        (hidden.assignee.as_str(), hidden.due_date.as_str()),
        ("sam", "2026-12-24")
    );
    let mut issue = issue_for(&desired);
    assert_eq!(m.fields(&issue).content(), sample());
    // Someone assigns a user and a dated milestone on GitHub.
    issue.assignees = vec![User {
        login: "hubot".to_owned(),
    }];
    issue.milestone = Some(Milestone {
        number: 2,
        title: "v1.0".to_owned(),
        due_on: Some("2026-03-31T07:00:00Z".to_owned()),
    });
    let fields = m.fields(&issue);
    assert_eq!(
        (fields.assignee.as_str(), fields.due_date.as_str()),
        ("hubot", "2026-03-31")
    );
    // A milestone without a date leaves the hidden date in force.
    issue.milestone.as_mut().unwrap().due_on = None;
    assert_eq!(m.fields(&issue).due_date, "2026-12-24");
}

#[test]
fn the_hidden_block_stays_out_of_the_description_and_cannot_be_closed_early() {
    let hidden = Hidden {
        custom: vec![CustomField {
            name: "Note".to_owned(),
            value: "a --> b <!-- c & d".to_owned(),
        }],
        ..Hidden::default()
    };
    let body = join_body("Text", &hidden);
    assert!(body.starts_with("Text\n\n<!-- miro-cards:{"), "{body}");
    assert_eq!(body.matches("-->").count(), 1, "{body}");
    assert_eq!(split_body(&body), ("Text".to_owned(), hidden.clone()));
    // As GitHub's web editor saves it (CRLF), and with a trailing newline.
    let crlf = format!("Text\r\n\r\n{}\n", &body["Text\n\n".len()..]);
    assert_eq!(split_body(&crlf), ("Text".to_owned(), hidden));
    // Nothing to hide: the body is the description, untouched.
    assert_eq!(join_body("Only text", &Hidden::default()), "Only text");
    // A block someone broke is left where a person can see it.
    let broken = "Text\n\n<!-- miro-cards:{not json -->";
    assert_eq!(split_body(broken).0, broken);
}

#[test]
fn dates_are_read_from_due_on() {
    assert_eq!(
        date_part("2019-05-23T07:00:00Z").as_deref(),
        Some("2019-05-23")
    );
    assert_eq!(date_part("2026-12-24").as_deref(), Some("2026-12-24"));
    assert_eq!(date_part("2026-02-30"), None);
    assert_eq!(date_part("2026-12-24x"), None);
    assert_eq!(date_part(""), None);
}

fn text() -> impl Strategy<Value = String> {
    // Markdown-ish text with the characters that could confuse the block.
    proptest::string::string_regex("[a-zA-Z0-9 <>&!\\-*\\[\\]()\n\r\"\\\\é]{0,40}").unwrap()
}

fn label() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z][a-z0-9 -]{0,15}")
        .unwrap()
        .prop_filter("not a status label", |l| !l.starts_with("status:"))
}

prop_compose! {
    fn fields()(
        title in "[A-Za-z0-9][A-Za-z0-9 ]{0,30}",
        description in text(),
        status in prop::sample::select(vec!["todo", "in_progress", "in_review", "done", "blocked"]),
        assignee in "([a-z][a-z0-9-]{0,10})?",
        due in prop::option::of((2000i32..2100, 1u8..=12, 1u8..=28)),
        labels in prop::collection::btree_set(label(), 0..5),
        custom in prop::collection::vec((text(), text()), 0..3),
        preview in prop::collection::vec((text(), text(), any::<bool>()), 0..3),
    ) -> RecordFields {
        RecordFields {
            title,
            description,
            status: status.to_owned(),
            assignee,
            due_date: due.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")).unwrap_or_default(),
            labels: labels.into_iter().collect(),
            custom: custom.into_iter().map(|(name, value)| CustomField { name, value }).collect(),
            preview: preview
                .into_iter()
                .map(|(value, tooltip, square)| PreviewField {
                    value,
                    tooltip,
                    fill_color: "#e6f4ff".to_owned(),
                    text_color: String::new(),
                    icon_url: String::new(),
                    icon_shape: if square { IconShape::Square } else { IconShape::Round },
                })
                .collect(),
            source: Default::default(),
        }
    }
}

proptest! {
    #[test]
    fn fields_survive_a_round_trip_through_an_issue(
        fields in fields(),
        assignee_on_github in any::<bool>(),
        due_on_github in any::<bool>(),
    ) {
        let m = mapping();
        let placement = Placement { assignee_on_github, due_on_github };
        let desired = m.desired(&fields, placement).unwrap();
        prop_assert_eq!(m.fields(&issue_for(&desired)).content(), fields);
    }

    #[test]
    fn any_description_and_block_split_back_apart(description in text(), custom in prop::collection::vec((text(), text()), 0..3), deleted in any::<bool>()) {
        let hidden = Hidden {
            custom: custom.into_iter().map(|(name, value)| CustomField { name, value }).collect(),
            deleted,
            ..Hidden::default()
        };
        let body = join_body(&description, &hidden);
        if hidden != Hidden::default() {
            prop_assert_eq!(body.matches(HIDDEN_END).count(), 1 + description.matches(HIDDEN_END).count());
        }
        prop_assert_eq!(split_body(&body), (description, hidden));
    }

    #[test]
    fn reading_any_issue_never_panics(body in ".{0,80}", title in ".{0,20}", labels in prop::collection::vec(".{0,12}", 0..4), due in ".{0,25}") {
        let issue = Issue {
            title,
            body: Some(body),
            state: "open".to_owned(),
            labels: labels.into_iter().map(LabelRef::Name).collect(),
            milestone: Some(Milestone { number: 1, title: String::new(), due_on: Some(due) }),
            ..Issue::default()
        };
        let _ = mapping().fields(&issue);
    }
}
