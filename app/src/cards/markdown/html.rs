//! A small, forgiving reader for the HTML Miro keeps on app cards: enough to
//! turn a title or description Miro gives back into text or Markdown. Not an
//! HTML parser: it knows tags, the `href` attribute, comments and entities;
//! unclosed elements end with the text and stray closing tags are ignored.
//! `<script>` and `<style>` are dropped with their content. Reading is
//! linear in the HTML's length, whatever it holds (it may come from
//! anyone who can edit a card). HTML that nests
//! elements deeper than [`MAX_HTML_DEPTH`] is refused ([`HtmlTooDeep`]):
//! the readers walk the tree recursively, and a card with thousands of
//! nested tags would otherwise exhaust the stack and abort the process.

use super::tags::{decode_entities, read_tag, Read, Tag};
use crate::cards::work::{step, steps};

/// The deepest element nesting the readers follow. Miro's editor nests a
/// handful (a link in bold in a list item in a list); 64 leaves room for
/// HTML from elsewhere and stays far within any thread's stack.
pub const MAX_HTML_DEPTH: usize = 64;

/// HTML nested deeper than [`MAX_HTML_DEPTH`]: not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("its HTML nests elements more than {MAX_HTML_DEPTH} deep, the most this app reads")]
pub struct HtmlTooDeep;

/// A piece of parsed HTML.
pub(super) enum Node {
    Text(String),
    /// An element, its name in lower case; `href` is "" unless it has one.
    Element {
        name: String,
        href: String,
        children: Vec<Node>,
    },
}

/// Elements with no content or closing tag.
const VOID: &[&str] = &[
    "br", "hr", "img", "input", "wbr", "col", "area", "base", "embed", "link", "meta", "source",
    "track",
];

/// Elements read as blocks of their own (like `<p>`).
pub(super) const BLOCKS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "nav",
    "aside",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "dl",
    "dt",
    "dd",
    "address",
    "details",
    "summary",
    "hr",
    "li",
];

/// The text of some HTML (a title Miro gives back): tags dropped, `<br>` and
/// block boundaries read as a space, other whitespace characters as spaces,
/// entities decoded, trimmed.
pub fn html_to_text(html: &str) -> Result<String, HtmlTooDeep> {
    /// `after_gap`: the text so far ends with a break, so whitespace that
    /// follows it (source formatting) is dropped.
    fn walk(nodes: &[Node], out: &mut String, after_gap: &mut bool) {
        for node in nodes {
            step();
            match node {
                Node::Text(text) => {
                    steps(text.len());
                    for c in text.chars() {
                        if !c.is_whitespace() {
                            out.push(c);
                            *after_gap = false;
                        } else if !*after_gap {
                            out.push(' ');
                        }
                    }
                }
                Node::Element { name, children, .. } => {
                    let gap = name == "br" || BLOCKS.contains(&name.as_str());
                    let mark_gap = |out: &mut String, after_gap: &mut bool| {
                        if gap && !out.ends_with(' ') {
                            out.push(' ');
                        }
                        *after_gap |= gap;
                    };
                    mark_gap(out, after_gap);
                    walk(children, out, after_gap);
                    mark_gap(out, after_gap);
                }
            }
        }
    }
    let mut out = String::new();
    walk(&parse(html)?, &mut out, &mut true);
    Ok(out.trim().to_owned())
}

/// The nodes of `html`. Fails only on nesting deeper than
/// [`MAX_HTML_DEPTH`]: unclosed elements end with the text, stray closing
/// tags are ignored, a `<` that starts no tag is text, and so is
/// everything from a tag that never ends (no `>`, or a quote never closed)
/// to the end: looking for tags after it would read to the end again from
/// each `<`, which took quadratic time on `<a b` repeated.
pub(super) fn parse(html: &str) -> Result<Vec<Node>, HtmlTooDeep> {
    // Open elements: (name, href, children); the first is the root.
    let mut stack: Vec<(String, String, Vec<Node>)> =
        vec![(String::new(), String::new(), Vec::new())];
    let mut rest = html;
    while !rest.is_empty() {
        step();
        let (tag, after) = match read_tag(rest) {
            Read::Tag(tag, after) => (tag, after),
            Read::NotATag => {
                // At least one character (a `<` that starts no tag is text).
                let first = rest.chars().next().map_or(1, char::len_utf8);
                let end = rest[first..].find('<').map_or(rest.len(), |k| k + first);
                steps(end);
                push_text(&mut stack, &rest[..end]);
                rest = &rest[end..];
                continue;
            }
            Read::Unended => {
                push_text(&mut stack, rest);
                break;
            }
        };
        rest = after;
        match tag {
            Tag::Open {
                name,
                href,
                self_closing,
            } => {
                if name == "script" || name == "style" {
                    let end = find_ignoring_case(rest, &format!("</{name}")).unwrap_or(rest.len());
                    rest = rest[end..].find('>').map_or("", |k| &rest[end + k + 1..]);
                } else if self_closing || VOID.contains(&name.as_str()) {
                    let parent = &mut stack.last_mut().expect("root").2;
                    parent.push(Node::Element {
                        name,
                        href,
                        children: Vec::new(),
                    });
                } else if stack.len() > MAX_HTML_DEPTH {
                    // The root plus MAX_HTML_DEPTH open elements.
                    return Err(HtmlTooDeep);
                } else {
                    stack.push((name, href, Vec::new()));
                }
            }
            Tag::Close(name) => {
                // The stack is at most MAX_HTML_DEPTH deep: a bounded search.
                if let Some(at) = stack
                    .iter()
                    .rposition(|open| open.0 == name)
                    .filter(|&at| at > 0)
                {
                    while stack.len() > at {
                        close_top(&mut stack);
                    }
                }
            }
            Tag::Other => {}
        }
    }
    while stack.len() > 1 {
        close_top(&mut stack);
    }
    Ok(stack.pop().expect("root").2)
}

fn push_text(stack: &mut [(String, String, Vec<Node>)], text: &str) {
    stack
        .last_mut()
        .expect("root")
        .2
        .push(Node::Text(decode_entities(text)));
}

/// Where `needle` (ASCII, lower case) first occurs in `text`, in any case:
/// a search from here on, not a lower-case copy of the rest for each
/// `<script>` (which was quadratic in their number).
fn find_ignoring_case(text: &str, needle: &str) -> Option<usize> {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    let first = needle.first()?.to_ascii_lowercase();
    let mut at = 0;
    while let Some(k) = text[at..]
        .iter()
        .position(|b| b.to_ascii_lowercase() == first)
    {
        steps(k + needle.len());
        let start = at + k;
        if text
            .get(start..start + needle.len())
            .is_some_and(|there| there.eq_ignore_ascii_case(needle))
        {
            return Some(start);
        }
        at = start + 1;
    }
    steps(text.len() - at);
    None
}

fn close_top(stack: &mut Vec<(String, String, Vec<Node>)>) {
    let (name, href, children) = stack.pop().expect("an open element");
    stack.last_mut().expect("root").2.push(Node::Element {
        name,
        href,
        children,
    });
}
