//! The readers of outside text do work in proportion to their input, on
//! inputs built to make them slow. Each test counts the steps a reader
//! takes (see `work.rs`) on an input of size n and of size 8n: linear work
//! grows about 8 times, quadratic work 64 times. Nothing is timed.

use super::{
    limits::TextLimits,
    markdown::{html_to_text, miro_html_to_markdown, to_miro_html, DescriptionRules},
    render_card,
    validate::validate_record_within,
    work::counted,
    CardStatus, CardTemplate, CustomField, PreviewField, RecordFields, SourceDetails,
};

/// The size of the smaller input, in repetitions of the input's pattern.
const N: usize = 1_000;

/// Fails unless `read` takes at most about 8 times the steps on `input(8 *
/// N)` as on `input(N)`: a sixteenth more, and a few steps, are allowed
/// for what does not grow with the input.
fn grows_linearly<T>(name: &str, input: impl Fn(usize) -> T, read: impl Fn(&T)) {
    let (small, large) = (input(N), input(8 * N));
    let ((), few) = counted(|| read(&small));
    let ((), many) = counted(|| read(&large));
    assert!(few > 0, "{name}: no steps counted");
    assert!(
        many * 16 <= few * 8 * 17 + 1_000,
        "{name}: {few} steps for n = {N}, {many} for 8n ({:.1} times)",
        many as f64 / few as f64
    );
}

/// An input's name, and the input of a size.
type Hostile = (&'static str, fn(usize) -> String);

/// Markdown built to make the converter rescan: links that never close,
/// URLs that never end, emphasis closers with no opener, deep nesting.
fn hostile_markdown() -> Vec<Hostile> {
    vec![
        ("[ repeated", |n| "[".repeat(n)),
        ("[a]( repeated", |n| "[a](".repeat(n)),
        ("[a](x repeated", |n| "[a](x".repeat(n)),
        ("[a](https://x repeated", |n| "[a](https://x".repeat(n)),
        ("[[a](", |n| "[[a](".repeat(n)),
        ("a* repeated", |n| "a* ".repeat(n)),
        ("a_ repeated", |n| "a_ ".repeat(n)),
        ("_a repeated", |n| "_a".repeat(n)),
        ("*a and _a mixed", |n| "*a _b ".repeat(n)),
        ("openers then closers", |n| {
            "*a ".repeat(n) + &"b* ".repeat(n)
        }),
        ("strong openers then closers", |n| {
            "**a ".repeat(n) + &"b** ".repeat(n)
        }),
        ("alternating emphasis, nested", |n| {
            "*a **b ".repeat(n) + &"c** d* ".repeat(n)
        }),
        ("runs of three", |n| "***a***b".repeat(n)),
        ("long runs", |n| "*".repeat(n) + "a" + &"*".repeat(n)),
        ("adjacent emphasis", |n| "*a**b*".repeat(n)),
        ("links in emphasis", |n| {
            "*a [b](https://x.org) c* ".repeat(n)
        }),
        ("nested brackets", |n| {
            "[".repeat(n) + "x" + &"](https://x.org)".repeat(n)
        }),
        ("parentheses in URLs", |n| {
            "[a](https://x.org/".to_owned() + &"(".repeat(n) + &")".repeat(n)
        }),
        ("escapes", |n| "\\[\\*\\".repeat(n)),
        ("list markers", |n| "- ".repeat(n)),
        ("list items", |n| "1. a\n  b\n- c\n".repeat(n)),
        ("lines", |n| "a\n\n*b*\n".repeat(n)),
        ("text to escape", |n| "<&\"> ".repeat(n)),
    ]
}

/// HTML built to make the HTML reader rescan: tags and attributes that
/// never end, entities without a `;`, scripts, deep and long markup.
fn hostile_html() -> Vec<Hostile> {
    vec![
        ("<a b repeated", |n| "<a b".repeat(n)),
        ("<p repeated", |n| "<p".repeat(n)),
        ("</a repeated", |n| "</a".repeat(n)),
        ("unclosed quotes", |n| "<a x=\"".repeat(n)),
        ("unclosed single quotes", |n| "<a x='".repeat(n)),
        ("quoted tags without an end", |n| "<a href='x'".repeat(n)),
        ("= without a value", |n| "<a x=".repeat(n)),
        ("scripts", |n| "<script>x</script>".repeat(n)),
        ("unclosed scripts", |n| "<script>".repeat(n)),
        ("comments", |n| "<!-- x -->".repeat(n)),
        ("unclosed comments", |n| "<!--".repeat(n)),
        ("& repeated", |n| "&".repeat(n)),
        ("&a repeated", |n| "&a".repeat(n)),
        ("entities", |n| "&amp;&#x41;&lt;".repeat(n)),
        ("a lone <", |n| "a < b ".repeat(n)),
        ("paragraphs", |n| "<p>a<br>b</p>".repeat(n)),
        ("emphasis", |n| "<p><b>x</b> <em>y</em></p>".repeat(n)),
        ("lists", |n| {
            "<ul><li>a<ul><li>b</li></ul></li></ul>".repeat(n)
        }),
        ("links", |n| {
            "<a href=\"https://x.org/?a=1&amp;b=2\">x</a>".repeat(n)
        }),
        ("deep then long", |n| {
            "<em>a<strong>b".repeat(30) + &"<i>x</i> ".repeat(n)
        }),
        ("stray closing tags", |n| "</b><br><hr/>".repeat(n)),
        ("markdown-looking text", |n| "*[_]\\ ".repeat(n)),
    ]
}

#[test]
fn markdown_to_html_is_linear() {
    for (name, input) in hostile_markdown() {
        grows_linearly(name, input, |text| {
            to_miro_html(text);
        });
    }
}

#[test]
fn html_to_markdown_and_text_are_linear() {
    for (name, input) in hostile_html() {
        grows_linearly(name, input, |html| {
            let _ = miro_html_to_markdown(html);
        });
        grows_linearly(name, input, |html| {
            let _ = html_to_text(html);
        });
    }
}

#[test]
fn what_the_converter_writes_reads_back_in_linear_work() {
    for (name, input) in hostile_markdown() {
        grows_linearly(
            name,
            |n| to_miro_html(&input(n)),
            |html| {
                let _ = miro_html_to_markdown(html);
            },
        );
    }
}

#[test]
fn description_rules_are_linear() {
    let off = DescriptionRules {
        emphasis: false,
        links: false,
        lists: false,
        line_breaks: false,
    };
    let html = |n: usize| to_miro_html(&"*a* [b](https://x.org)\nc\n\n- d\n- e\n\n".repeat(n));
    grows_linearly("every rule off", html, |html| {
        off.apply(html);
    });
    grows_linearly(
        "an unclosed link",
        |n| "<a href=\"x".repeat(n),
        |html| {
            off.apply(html);
        },
    );
}

fn template() -> CardTemplate {
    toml::from_str(super::template::DEFAULT_TEMPLATE_TOML).unwrap()
}

/// A GitHub record whose hidden block and body were written by a stranger:
/// `n` preview chips of every invalid kind, `n` custom fields, labels with
/// colours, and a description of `[`.
fn hostile_record(n: usize) -> RecordFields {
    RecordFields {
        title: "t".repeat(n),
        description: "[".repeat(n),
        status: "todo".to_owned(),
        assignee: "a".repeat(n),
        due_date: "2026-13-40".repeat(n),
        labels: (0..n).map(|i| format!("label {i}")).collect(),
        custom: (0..n)
            .map(|i| CustomField {
                name: format!("field {}", i % 7),
                value: "v".repeat(600),
            })
            .collect(),
        preview: (0..n)
            .map(|i| PreviewField {
                value: "x".repeat(if i % 2 == 0 { 0 } else { 80 }),
                tooltip: "y".repeat(120),
                fill_color: "red;background:url(https://evil.example/a)".to_owned(),
                text_color: "#12345".to_owned(),
                icon_url: format!("javascript:alert({i})"),
                ..PreviewField::default()
            })
            .collect(),
        source: SourceDetails {
            tool: "GitHub".to_owned(),
            label_colors: Vec::new(),
            ..SourceDetails::default()
        },
    }
}

#[test]
fn validation_and_rendering_are_linear() {
    let template = template();
    let limits = TextLimits {
        title: 256,
        description: 65_536,
    };
    grows_linearly("validation", hostile_record, |fields| {
        validate_record_within(fields, &template, limits);
    });
    grows_linearly("rendering", hostile_record, |fields| {
        render_card(fields, CardStatus::Connected, &template);
    });
}

#[test]
fn a_github_body_of_65000_brackets_takes_linear_work_end_to_end() {
    // What made each panel open take seconds: the card of an issue whose
    // body is 65,000 `[`.
    let template = template();
    let fields = RecordFields {
        title: "Brackets".to_owned(),
        description: "[".repeat(65_000),
        status: "todo".to_owned(),
        source: SourceDetails {
            tool: "GitHub".to_owned(),
            ..SourceDetails::default()
        },
        ..RecordFields::default()
    };
    let limits = TextLimits {
        title: 256,
        description: 65_536,
    };
    let (errors, validating) = counted(|| validate_record_within(&fields, &template, limits));
    assert!(errors.is_empty(), "{errors:?}");
    let (card, rendering) = counted(|| render_card(&fields, CardStatus::Connected, &template));
    let (html, converting) = counted(|| to_miro_html(&fields.description));
    let (_, reading) = counted(|| miro_html_to_markdown(&html).unwrap());
    for (what, steps) in [
        ("validating", validating),
        ("rendering the card", rendering),
        ("converting the whole body", converting),
        ("reading it back", reading),
    ] {
        assert!(
            steps <= 40 * 65_000,
            "{what} took {steps} steps for 65,000 characters"
        );
    }
    assert!(
        card.description.ends_with("… more on GitHub</p>"),
        "{}",
        card.description
    );
}
