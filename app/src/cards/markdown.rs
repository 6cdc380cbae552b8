//! Markdown ↔ the HTML Miro keeps on an app card, written by hand (no
//! Markdown crate: this code ships in the WASM bundle).
//!
//! Miro keeps plain text plus `<p>`, `<a>` and `<br>` in a card's title, and
//! plain text plus `<p> <a> <strong> <b> <em> <i> <u> <ol> <ul> <li> <br>`
//! in its description; it strips other tags. [`to_miro_html`] turns the small
//! Markdown subset that maps onto those tags into HTML, and
//! [`miro_html_to_markdown`] reads such HTML back (for cards whose
//! description comes from Miro). [`escape_text`] and [`html_to_text`] do the
//! same for plain-text titles.
//!
//! The Markdown subset:
//! - blocks: paragraphs separated by blank lines, a single newline inside a
//!   paragraph is a line break (`<br>`); lines starting `- `, `* ` or `+ `
//!   are bullet list items, `1. ` (any number, or `1)`) numbered ones;
//!   consecutive items of one kind form one list, even across blank lines;
//!   an indented line right after an item continues it (after a `<br>`);
//!   nested lists are flattened into their parent's items;
//! - inline: `**strong**` / `__strong__`, `*em*` / `_em_` (following
//!   CommonMark's delimiter rules, so `snake_case` stays as it is),
//!   `[text](url)` for `https://`, `http://` and `mailto:` URLs only (any other
//!   link stays as text), and backslash escapes (`\*`);
//! - everything else is text, with `&`, `<`, `>` and `"` escaped.
//!
//! Emphasis that looks the same is written the same: an `<em>` inside an
//! `<em>` (or `<strong>` inside `<strong>`) is left out (except across a
//! link, whose text is written on its own), and
//! `<em>a</em><em>b</em>` is written `<em>ab</em>`. This also lets
//! [`miro_html_to_markdown`] give Markdown that converts back to exactly the
//! same HTML.
//!
//! Output is deterministic: the server hashes it to skip writes that change
//! nothing.

use super::work::{step, steps};

mod from_html;
mod html;
mod inline;
mod links;
mod rules;
mod tags;

pub use from_html::miro_html_to_markdown;
pub use html::{html_to_text, HtmlTooDeep, MAX_HTML_DEPTH};
pub use rules::DescriptionRules;

/// The HTML Miro keeps in a card description for this Markdown; "" for
/// empty (or blank) input.
pub fn to_miro_html(markdown: &str) -> String {
    steps(2 * markdown.len());
    let text = markdown.replace("\r\n", "\n").replace('\r', "\n");
    let mut html = String::new();
    for block in parse_blocks(&text) {
        step();
        match block {
            Block::Paragraph(lines) => {
                html.push_str("<p>");
                html.push_str(&inline_html(&lines));
                html.push_str("</p>");
            }
            Block::List { ordered, items } => {
                let tag = if ordered { "ol" } else { "ul" };
                html.push_str(&format!("<{tag}>"));
                for item in items {
                    step();
                    html.push_str("<li>");
                    html.push_str(&inline_html(&item));
                    html.push_str("</li>");
                }
                html.push_str(&format!("</{tag}>"));
            }
        }
    }
    html
}

/// A plain-text title as Miro keeps it: trimmed, with `&`, `<`, `>` and `"`
/// escaped.
pub fn escape_text(text: &str) -> String {
    escape_html(text.trim())
}

/// `text` with `&`, `<`, `>` and `"` written as entities.
fn escape_html(text: &str) -> String {
    steps(text.len());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether a link target may become a link: `https://` or `http://` with
/// something after it, or `mailto:` with an address (scheme in any case).
fn is_allowed_url(url: &str) -> bool {
    let has_scheme = |scheme: &str| {
        url.len() > scheme.len()
            && url
                .get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
    };
    !url.contains(char::is_whitespace)
        && (has_scheme("https://") || has_scheme("http://") || has_scheme("mailto:"))
}

/// One block of a Markdown text; each line is trimmed and non-empty (a list
/// item's may be empty).
#[derive(Debug)]
enum Block {
    Paragraph(Vec<String>),
    List {
        ordered: bool,
        items: Vec<Vec<String>>,
    },
}

fn parse_blocks(text: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut after_blank = true;
    for line in text.split('\n') {
        steps(line.len() + 1);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            after_blank = true;
            continue;
        }
        let indented = line.starts_with(char::is_whitespace);
        match (list_item(trimmed), blocks.last_mut()) {
            (
                Some((ordered, rest)),
                Some(Block::List {
                    ordered: last_ordered,
                    items,
                }),
            ) if *last_ordered == ordered => {
                items.push(vec![rest.to_owned()]);
            }
            (Some((ordered, rest)), _) => blocks.push(Block::List {
                ordered,
                items: vec![vec![rest.to_owned()]],
            }),
            (None, Some(Block::List { items, .. })) if indented && !after_blank => {
                let item = items.last_mut().expect("a list has an item");
                if item.len() == 1 && item[0].is_empty() {
                    item.clear();
                }
                item.push(trimmed.to_owned());
            }
            (None, Some(Block::Paragraph(lines))) if !after_blank => lines.push(trimmed.to_owned()),
            (None, _) => blocks.push(Block::Paragraph(vec![trimmed.to_owned()])),
        }
        after_blank = false;
    }
    blocks
}

/// For a (trimmed) line that starts a list item: whether the list is
/// numbered, and the item's text.
fn list_item(line: &str) -> Option<(bool, &str)> {
    let mut chars = line.chars();
    let first = chars.next()?;
    let marker_end = |rest: &str| rest.is_empty() || rest.starts_with(char::is_whitespace);
    if matches!(first, '-' | '*' | '+') && marker_end(chars.as_str()) {
        return Some((false, chars.as_str().trim()));
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = line[digits..].strip_prefix(['.', ')'])?;
        if marker_end(rest) {
            return Some((true, rest.trim()));
        }
    }
    None
}

/// The inline HTML of a block's lines, joined by line breaks.
fn inline_html(lines: &[String]) -> String {
    let chars: Vec<char> = lines.join("\n").chars().collect();
    steps(chars.len());
    inline::to_html(&chars, true)
}

#[cfg(test)]
mod tests;
