//! A small, forgiving reader for the HTML Miro keeps on app cards: enough to
//! turn a title or description Miro gives back into text or Markdown. Not an
//! HTML parser: it knows tags, the `href` attribute, comments and entities;
//! unclosed elements end with the text and stray closing tags are ignored.
//! `<script>` and `<style>` are dropped with their content. HTML that nests
//! elements deeper than [`MAX_HTML_DEPTH`] is refused ([`HtmlTooDeep`]):
//! the readers walk the tree recursively, and a card with thousands of
//! nested tags would otherwise exhaust the stack and abort the process.

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
            match node {
                Node::Text(text) => {
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
/// tags are ignored, and a `<` that starts no tag is text.
pub(super) fn parse(html: &str) -> Result<Vec<Node>, HtmlTooDeep> {
    // Open elements: (name, href, children); the first is the root.
    let mut stack: Vec<(String, String, Vec<Node>)> =
        vec![(String::new(), String::new(), Vec::new())];
    let mut rest = html;
    while !rest.is_empty() {
        if let Some((tag, after)) = read_tag(rest) {
            rest = after;
            match tag {
                Tag::Open {
                    name,
                    href,
                    self_closing,
                } => {
                    if name == "script" || name == "style" {
                        let lower = rest.to_ascii_lowercase();
                        let end = lower.find(&format!("</{name}")).unwrap_or(rest.len());
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
            continue;
        }
        // At least one character (a `<` that starts no tag is text).
        let first = rest.chars().next().map_or(1, char::len_utf8);
        let end = rest[first..].find('<').map_or(rest.len(), |k| k + first);
        stack
            .last_mut()
            .expect("root")
            .2
            .push(Node::Text(decode_entities(&rest[..end])));
        rest = &rest[end..];
    }
    while stack.len() > 1 {
        close_top(&mut stack);
    }
    Ok(stack.pop().expect("root").2)
}

fn close_top(stack: &mut Vec<(String, String, Vec<Node>)>) {
    let (name, href, children) = stack.pop().expect("an open element");
    stack.last_mut().expect("root").2.push(Node::Element {
        name,
        href,
        children,
    });
}

enum Tag {
    Open {
        name: String,
        href: String,
        self_closing: bool,
    },
    Close(String),
    /// A comment, doctype or processing instruction.
    Other,
}

/// The tag at the start of `text` and the text after it; `None` when `text`
/// does not start with a tag (a lone `<` is text).
fn read_tag(text: &str) -> Option<(Tag, &str)> {
    if let Some(after) = text.strip_prefix("<!--") {
        return Some((
            Tag::Other,
            after.find("-->").map_or("", |k| &after[k + 3..]),
        ));
    }
    let body = text.strip_prefix('<')?;
    if body.starts_with(['!', '?']) {
        return Some((Tag::Other, body.find('>').map_or("", |k| &body[k + 1..])));
    }
    let (closing, body) = match body.strip_prefix('/') {
        Some(body) => (true, body),
        None => (false, body),
    };
    if !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let name_len = body
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .unwrap_or(body.len());
    let name = body[..name_len].to_ascii_lowercase();
    let mut rest = &body[name_len..];
    let mut href = String::new();
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('>') {
            let tag = if closing {
                Tag::Close(name)
            } else {
                Tag::Open {
                    name,
                    href,
                    self_closing: false,
                }
            };
            return Some((tag, after));
        }
        if let Some(after) = rest.strip_prefix("/>") {
            return Some((
                Tag::Open {
                    name,
                    href,
                    self_closing: true,
                },
                after,
            ));
        }
        let attr_len = rest
            .find(|c: char| c.is_whitespace() || "=>/".contains(c))
            .unwrap_or(rest.len());
        let attr = rest[..attr_len].to_ascii_lowercase();
        rest = rest[attr_len.max(1).min(rest.len())..].trim_start();
        let value = if attr_len > 0 && rest.starts_with('=') {
            rest = rest[1..].trim_start();
            let (value, after) = match rest.chars().next()? {
                quote @ ('"' | '\'') => {
                    let end = rest[1..].find(quote)? + 1;
                    (&rest[1..end], &rest[end + 1..])
                }
                _ => {
                    let end = rest
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(rest.len());
                    (&rest[..end], &rest[end..])
                }
            };
            rest = after;
            value
        } else {
            ""
        };
        if attr == "href" {
            href = decode_entities(value);
        }
        if rest.is_empty() {
            return None;
        }
    }
}

/// Decodes `&amp; &lt; &gt; &quot; &apos; &nbsp;` (as a plain space) and
/// numeric references; anything else is left as it is.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = rest
            .get(1..)
            .and_then(|r| r.find(';').filter(|&k| k <= 10).map(|k| &r[..k]));
        let decoded = entity.and_then(|name| match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => {
                let number = name.strip_prefix('#')?;
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => number.parse().ok()?,
                };
                char::from_u32(code).filter(|&c| c != '\0')
            }
        });
        match (entity, decoded) {
            (Some(name), Some(c)) => {
                out.push(c);
                rest = &rest[name.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
