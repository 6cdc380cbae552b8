//! Reading one tag of the HTML Miro keeps (and of HTML from elsewhere): its
//! name, whether it opens, closes or closes itself, and its `href`; and
//! decoding entities in text and attribute values.

use crate::cards::work::{step, steps};

pub(super) enum Tag {
    Open {
        name: String,
        href: String,
        self_closing: bool,
    },
    Close(String),
    /// A comment, doctype or processing instruction.
    Other,
}

/// What [`read_tag`] found.
pub(super) enum Read<'a> {
    /// A tag, and the text after it.
    Tag(Tag, &'a str),
    /// The text does not start with a tag (a lone `<` is text).
    NotATag,
    /// A tag starts here and never ends: the text ends inside it, or
    /// inside one of its quoted values. It was read to the end.
    Unended,
}

/// The tag at the start of `text`.
pub(super) fn read_tag(text: &str) -> Read<'_> {
    if let Some(after) = text.strip_prefix("<!--") {
        let end = after.find("-->");
        steps(end.unwrap_or(after.len()));
        return Read::Tag(Tag::Other, end.map_or("", |k| &after[k + 3..]));
    }
    let Some(body) = text.strip_prefix('<') else {
        return Read::NotATag;
    };
    if body.starts_with(['!', '?']) {
        let end = body.find('>');
        steps(end.unwrap_or(body.len()));
        return Read::Tag(Tag::Other, end.map_or("", |k| &body[k + 1..]));
    }
    let (closing, body) = match body.strip_prefix('/') {
        Some(body) => (true, body),
        None => (false, body),
    };
    if !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Read::NotATag;
    }
    let name_len = body
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .unwrap_or(body.len());
    steps(name_len);
    let name = body[..name_len].to_ascii_lowercase();
    let mut rest = &body[name_len..];
    let mut href = String::new();
    // Each turn reads one attribute and moves `rest` past it.
    loop {
        step();
        rest = trim_start(rest);
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
            return Read::Tag(tag, after);
        }
        if let Some(after) = rest.strip_prefix("/>") {
            return Read::Tag(
                Tag::Open {
                    name,
                    href,
                    self_closing: true,
                },
                after,
            );
        }
        let attr_len = rest
            .find(|c: char| c.is_whitespace() || "=>/".contains(c))
            .unwrap_or(rest.len());
        steps(attr_len);
        let attr = rest[..attr_len].to_ascii_lowercase();
        rest = trim_start(&rest[attr_len.max(1).min(rest.len())..]);
        let value = if attr_len > 0 && rest.starts_with('=') {
            rest = trim_start(&rest[1..]);
            let (value, after) = match rest.chars().next() {
                None => return Read::Unended,
                Some(quote @ ('"' | '\'')) => {
                    let Some(end) = rest[1..].find(quote) else {
                        return Read::Unended;
                    };
                    steps(end);
                    (&rest[1..end + 1], &rest[end + 2..])
                }
                Some(_) => {
                    let end = rest
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(rest.len());
                    steps(end);
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
            return Read::Unended;
        }
    }
}

/// `text` without its leading whitespace, counted.
fn trim_start(text: &str) -> &str {
    let trimmed = text.trim_start();
    steps(text.len() - trimmed.len());
    trimmed
}

/// The longest entity name read (`&` to `;`): `#x10FFFF` and the named
/// ones fit. Looking no further keeps a text of `&` without `;` linear.
const MAX_ENTITY_BYTES: usize = 10;

/// Decodes `&amp; &lt; &gt; &quot; &apos; &nbsp;` (as a plain space) and
/// numeric references; anything else is left as it is.
pub(super) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        steps(at + 1);
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = rest.get(1..).and_then(|r| {
            let k = r
                .bytes()
                .take(MAX_ENTITY_BYTES + 1)
                .position(|b| b == b';')?;
            steps(k);
            Some(&r[..k])
        });
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
    steps(rest.len());
    out.push_str(rest);
    out
}
