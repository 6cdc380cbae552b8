//! HTML from Miro (a card's description) back into the Markdown subset that
//! [`super::to_miro_html`] reads, so a description edited on either side
//! survives the trip: `to_miro_html(&miro_html_to_markdown(&to_miro_html(md)))`
//! equals `to_miro_html(md)`. The tests check this on hand-picked samples and
//! on random ones. The known exceptions are emphasis packed against
//! punctuation with no space, some of which CommonMark has no spelling for
//! at all (`a<strong>(</strong>` would need `a**(**`, where `**` cannot
//! open); about one in a thousand random samples made only of delimiters and
//! punctuation.

use super::html::{parse, HtmlTooDeep, Node, BLOCKS};
use super::{is_allowed_url, list_item};
use crate::cards::work::{step, steps};

/// Markdown for a description Miro gives as HTML: `<p>` → paragraphs,
/// `<br>` → newline, `<strong>`/`<b>` → `**`, `<em>`/`<i>` → `*` (or `_`
/// where `*` would be ambiguous), `<u>` → its text, `<a>` → `[text](href)`
/// (only for the URLs `to_miro_html` links; others keep just their text),
/// `<ul>`/`<ol>` items → `- ` / `1. `, nested lists flattened; other tags
/// are dropped (block-like ones such as `<div>` still end a paragraph) and
/// entities decoded. Text that would read as Markdown is escaped. Nesting
/// deeper than [`super::MAX_HTML_DEPTH`] is refused.
pub fn miro_html_to_markdown(html: &str) -> Result<String, HtmlTooDeep> {
    let mut blocks = Vec::new();
    push_blocks(&parse(html)?, &mut blocks);
    Ok(blocks.join("\n\n"))
}

/// Appends the Markdown blocks (paragraphs and lists) of `nodes`.
fn push_blocks(nodes: &[Node], blocks: &mut Vec<String>) {
    let mut inline: Vec<&Node> = Vec::new();
    let flush = |inline: &mut Vec<&Node>, blocks: &mut Vec<String>| {
        let paragraph = paragraph_markdown(inline);
        if !paragraph.is_empty() {
            blocks.push(paragraph);
        }
        inline.clear();
    };
    for node in nodes {
        step();
        match node {
            Node::Element { name, children, .. } if name == "ul" || name == "ol" => {
                flush(&mut inline, blocks);
                let list = list_markdown(children, name == "ol");
                if !list.is_empty() {
                    blocks.push(list);
                }
            }
            Node::Element { name, children, .. } if BLOCKS.contains(&name.as_str()) => {
                flush(&mut inline, blocks);
                push_blocks(children, blocks);
            }
            _ => inline.push(node),
        }
    }
    flush(&mut inline, blocks);
}

/// A list's items, one `- ` or `N. ` line each; an item's further lines are
/// indented so they continue it.
fn list_markdown(children: &[Node], ordered: bool) -> String {
    let mut lines = Vec::new();
    let mut number = 0;
    for child in children {
        step();
        let content = match child {
            Node::Element { name, children, .. } if name == "li" => children.as_slice(),
            Node::Text(text) if text.trim().is_empty() => continue,
            other => std::slice::from_ref(other),
        };
        number += 1;
        let marker = if ordered {
            format!("{number}.")
        } else {
            "-".to_owned()
        };
        let mut blocks = Vec::new();
        push_blocks(content, &mut blocks);
        let body = blocks.join("\n");
        if body.is_empty() {
            lines.push(marker);
            continue;
        }
        steps(body.len());
        for (k, line) in body.lines().enumerate() {
            step();
            lines.push(if k == 0 {
                format!("{marker} {line}")
            } else {
                format!("  {line}")
            });
        }
    }
    lines.join("\n")
}

/// One paragraph's Markdown: lines trimmed, empty lines dropped (two `<br>`
/// in a row would otherwise split the paragraph), and a line that would
/// start a list item escaped.
fn paragraph_markdown(nodes: &[&Node]) -> String {
    let markdown = inline_markdown(nodes, false, None, &mut Memo::default());
    steps(markdown.len());
    let lines: Vec<String> = markdown
        .split('\n')
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(escape_line_start)
        .collect();
    lines.join("\n")
}

/// Escapes the marker of a line that `to_miro_html` would read as a list item.
fn escape_line_start(line: &str) -> String {
    if list_item(line).is_none() {
        return line.to_owned();
    }
    let at = line.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
    format!("{}\\{}", &line[..at], &line[at..])
}

/// The Markdown already written for a node, by (node, in a link, emphasis
/// delimiter). A node's Markdown may be wanted with either delimiter, and
/// each asks for its children's with both in turn: without this, emphasis
/// nested n deep would be written 2^n times.
#[derive(Default)]
struct Memo(std::collections::HashMap<(*const Node, bool, char), String>);

/// The Markdown of inline nodes. `in_link`: inside a link's text, where links
/// do not nest. `parent`: the delimiter character of the emphasis these nodes
/// sit directly in, if any.
fn inline_markdown(
    nodes: &[&Node],
    in_link: bool,
    parent: Option<char>,
    memo: &mut Memo,
) -> String {
    let mut parts: Vec<String> = nodes
        .iter()
        .map(|node| node_markdown(node, in_link, '*', memo))
        .collect();
    steps(nodes.len());
    // Where `*` emphasis would make one run of `*` with a neighbour's, the
    // run may read back differently, so `_` is used instead where it can
    // open and close (not next to a letter, digit or `_`):
    // - an `<em>` that is all of a `**`/`*` parent (`***a***` reads as
    //   `<em><strong>`, `**_a_**` as `<strong><em>`);
    // - emphasis right next to a sibling emphasis (`**.***a*`).
    // Emphasis at one edge of its parent is left alone: CommonMark splits
    // those runs the intended way.
    for at in 0..nodes.len() {
        let only_child = nodes.len() == 1;
        if !is_emphasis(nodes[at]) || (only_child && !is_em(nodes[at])) {
            continue;
        }
        let before = if at == 0 {
            parent.filter(|_| only_child)
        } else {
            parts[at - 1].chars().last()
        };
        let after = if at + 1 == nodes.len() {
            parent.filter(|_| only_child)
        } else {
            parts[at + 1].chars().next()
        };
        let clash = before == Some('*') || after == Some('*');
        let blocks_underscore =
            |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if clash && !blocks_underscore(before) && !blocks_underscore(after) {
            parts[at] = node_markdown(nodes[at], in_link, '_', memo);
        }
    }
    parts.concat()
}

fn is_em(node: &Node) -> bool {
    matches!(node, Node::Element { name, .. } if name == "em" || name == "i")
}

/// Whether a node is `<em>`/`<i>` or `<strong>`/`<b>`.
fn is_emphasis(node: &Node) -> bool {
    matches!(node, Node::Element { name, .. } if ["em", "i", "strong", "b"].contains(&name.as_str()))
}

/// The Markdown of one inline node; `delimiter` is the character emphasis
/// is written with (`*` or `_`).
fn node_markdown(node: &Node, in_link: bool, delimiter: char, memo: &mut Memo) -> String {
    let key = (std::ptr::from_ref(node), in_link, delimiter);
    if let Some(done) = memo.0.get(&key) {
        steps(done.len());
        return done.clone();
    }
    let markdown = write_node(node, in_link, delimiter, memo);
    steps(markdown.len());
    memo.0.insert(key, markdown.clone());
    markdown
}

fn write_node(node: &Node, in_link: bool, delimiter: char, memo: &mut Memo) -> String {
    let (name, href, children) = match node {
        Node::Text(text) => return escape_markdown(text),
        Node::Element {
            name,
            href,
            children,
        } => (name.as_str(), href, children.iter().collect::<Vec<_>>()),
    };
    match name {
        "br" => "\n".to_owned(),
        "strong" | "b" => wrap(
            &delimiter.to_string().repeat(2),
            &inline_markdown(&children, in_link, Some(delimiter), memo),
        ),
        "em" | "i" => wrap(
            &delimiter.to_string(),
            &inline_markdown(&children, in_link, Some(delimiter), memo),
        ),
        "a" if !in_link && is_allowed_url(href) => {
            format!(
                "[{}]({})",
                inline_markdown(&children, true, None, memo),
                href
            )
        }
        _ => inline_markdown(&children, in_link, None, memo),
    }
}

/// `inner` between two `delimiter`s, with its leading and trailing whitespace
/// moved outside them (emphasis cannot start or end with a space); just
/// `inner` when it is blank.
fn wrap(delimiter: &str, inner: &str) -> String {
    let core = inner.trim();
    if core.is_empty() {
        return inner.to_owned();
    }
    let lead = &inner[..inner.len() - inner.trim_start().len()];
    let trail = &inner[inner.trim_end().len()..];
    format!("{lead}{delimiter}{core}{delimiter}{trail}")
}

/// Text with the characters Markdown would read as syntax escaped: `\`, `*`,
/// `[`, `]`, and `_` unless it sits between letters or digits (as in
/// `snake_case`, where it cannot be emphasis). Line breaks in text are
/// spaces (HTML treats them so).
fn escape_markdown(text: &str) -> String {
    steps(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '*' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '_' => {
                let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric());
                if !(i > 0 && word(chars.get(i - 1)) && word(chars.get(i + 1))) {
                    out.push('\\');
                }
                out.push('_');
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}
