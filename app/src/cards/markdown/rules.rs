//! Which of the tags Miro keeps a deployment's cards use in descriptions,
//! set in the card template's `[description]` table. The converter always
//! produces its full subset; these rules then take out what a deployment
//! turned off, on HTML the converter wrote (so only its own tags occur):
//! emphasis becomes plain text, links become their text, lists become lines
//! of a paragraph, and line breaks become spaces.

use serde::{Deserialize, Serialize};

use crate::cards::work::{step, steps};

/// The Markdown → Miro HTML rules of a card template. All on by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DescriptionRules {
    /// `**strong**` and `*em*` become `<strong>` and `<em>`.
    pub emphasis: bool,
    /// `[text](https://…)` becomes a link.
    pub links: bool,
    /// `- item` and `1. item` become lists.
    pub lists: bool,
    /// A single newline inside a paragraph becomes `<br>`.
    pub line_breaks: bool,
}

impl Default for DescriptionRules {
    fn default() -> Self {
        Self {
            emphasis: true,
            links: true,
            lists: true,
            line_breaks: true,
        }
    }
}

impl DescriptionRules {
    /// `html` (from [`to_miro_html`](super::to_miro_html)) with what these
    /// rules turn off taken out.
    pub fn apply(self, html: &str) -> String {
        // Each rule is one pass (or a few) over the HTML.
        steps(html.len());
        let mut out = html.to_owned();
        if !self.emphasis {
            for tag in ["<strong>", "</strong>", "<em>", "</em>"] {
                steps(out.len());
                out = out.replace(tag, "");
            }
        }
        if !self.links {
            steps(out.len());
            out = unlink(&out);
        }
        if !self.lists {
            steps(5 * out.len());
            out = out
                .replace("<ul><li>", "<p>")
                .replace("<ol><li>", "<p>")
                .replace("</li><li>", "<br>")
                .replace("</li></ul>", "</p>")
                .replace("</li></ol>", "</p>");
        }
        if !self.line_breaks {
            steps(out.len());
            out = out.replace("<br>", " ");
        }
        out
    }
}

/// Every `<a href="…">text</a>` as its text.
fn unlink(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<a href=\"") {
        step();
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            out.push_str(after);
            return out;
        };
        let inner = &after[open_end + 1..];
        let Some(close) = inner.find("</a>") else {
            out.push_str(after);
            return out;
        };
        out.push_str(&inner[..close]);
        rest = &inner[close + "</a>".len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{super::to_miro_html, DescriptionRules};

    const SAMPLE: &str = "Intro **bold** and *soft*\nsecond line with [a link](https://example.com/x?a=1&b=2)\n\n- one\n- two\n\n1. first";

    fn with(change: impl FnOnce(&mut DescriptionRules)) -> String {
        let mut rules = DescriptionRules::default();
        change(&mut rules);
        rules.apply(&to_miro_html(SAMPLE))
    }

    #[test]
    fn the_default_rules_change_nothing() {
        assert_eq!(with(|_| {}), to_miro_html(SAMPLE));
    }

    #[test]
    fn each_rule_takes_out_only_its_own_tags() {
        let plain = with(|r| r.emphasis = false);
        assert!(!plain.contains("<strong>") && !plain.contains("<em>"));
        assert!(plain.contains("Intro bold and soft") && plain.contains("<a href="));

        let unlinked = with(|r| r.links = false);
        assert!(
            !unlinked.contains("<a ")
                && (unlinked.contains("with a link<br>") || unlinked.contains("with a link</p>")),
            "{unlinked}"
        );
        assert!(unlinked.contains("<strong>bold</strong>"));

        let flat = with(|r| r.lists = false);
        assert!(!flat.contains("<ul>") && !flat.contains("<li>") && !flat.contains("<ol>"));
        assert!(flat.contains("<p>one<br>two</p>") && flat.contains("<p>first</p>"));

        let joined = with(|r| r.line_breaks = false);
        assert!(!joined.contains("<br>"));
        assert!(joined.contains("<em>soft</em> second line"));
    }

    #[test]
    fn a_template_sets_them_in_its_description_table() {
        let template: crate::cards::CardTemplate = toml::from_str(
            "[[statuses]]\nkey = \"todo\"\nlabel = \"To do\"\n[description]\nlinks = false\n",
        )
        .unwrap();
        assert!(!template.description.links && template.description.lists);
        let typo = toml::from_str::<crate::cards::CardTemplate>("[description]\nlink = false\n");
        assert!(typo.is_err(), "an unknown rule is refused");
    }

    #[test]
    fn lists_flattened_without_line_breaks_read_as_one_line() {
        let html = with(|r| {
            r.lists = false;
            r.line_breaks = false;
        });
        assert!(html.contains("<p>one two</p>"), "{html}");
    }
}
