//! Reading a served page as a browser's HTML parser would, for the few
//! questions the tests ask: an element's start tag and attributes (quoted
//! values may hold `>`), where a raw-text element (`<textarea>`,
//! `<script>`, `<title>`) really ends (at the first `</name`, whatever is
//! inside), and the text an escaped piece of HTML stands for.

/// The attributes of the first `<tag …>` whose attributes include
/// `name="value"`, and where its content starts.
pub fn start_tag(
    html: &str,
    tag: &str,
    name: &str,
    value: &str,
) -> Option<(Vec<(String, String)>, usize)> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut from = 0;
    while let Some(found) = lower[from..].find(&open) {
        let at = from + found + open.len();
        from = at;
        if !html[at..].starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/') {
            continue;
        }
        let (attributes, end) = attributes(html, at)?;
        if attributes.iter().any(|(n, v)| n == name && v == value) {
            return Some((attributes, end));
        }
    }
    None
}

/// The attributes from `at` (just after a tag's name) to the tag's `>`,
/// values decoded, and the position after the `>`.
fn attributes(html: &str, mut at: usize) -> Option<(Vec<(String, String)>, usize)> {
    let mut found = Vec::new();
    loop {
        let rest = &html[at..];
        let skipped = rest.len() - rest.trim_start().len();
        at += skipped;
        let rest = &html[at..];
        if let Some(after) = rest.strip_prefix("/>").or_else(|| rest.strip_prefix('>')) {
            return Some((found, html.len() - after.len()));
        }
        let name_len = rest.find(|c: char| c.is_ascii_whitespace() || "=>/".contains(c))?;
        if name_len == 0 {
            return None;
        }
        let name = rest[..name_len].to_ascii_lowercase();
        at += name_len;
        let value = if html[at..].starts_with("=\"") {
            let end = html[at + 2..].find('"')?;
            let value = decode(&html[at + 2..at + 2 + end]);
            at += 2 + end + 1;
            value
        } else {
            String::new()
        };
        found.push((name, value));
    }
}

/// The raw content of the first `<tag>` with `name="value"`: up to the
/// first `</tag`, where a browser ends a raw-text element.
pub fn raw_content<'a>(html: &'a str, tag: &str, name: &str, value: &str) -> Option<&'a str> {
    let (_, start) = start_tag(html, tag, name, value)?;
    let close = format!("</{tag}");
    let end = html[start..].to_ascii_lowercase().find(&close)?;
    Some(&html[start..start + end])
}

/// The text of a `<textarea>`'s raw content, as the browser reads it: the
/// newline right after the start tag dropped, references decoded.
pub fn textarea_text(raw: &str) -> String {
    decode(raw.strip_prefix('\n').unwrap_or(raw))
}

/// `text` with the character references a server writes decoded
/// (`&amp; &lt; &gt; &quot; &#39;` and numeric ones).
pub fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&end| end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name.strip_prefix('#').and_then(|n| {
                match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => n.parse().ok(),
                }
                .and_then(char::from_u32)
            }),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// How many times `<tag` starts an element in `html` (any case).
pub fn count_elements(html: &str, tag: &str) -> usize {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    lower
        .match_indices(&open)
        .filter(|(at, _)| {
            lower[at + open.len()..]
                .starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        })
        .count()
}
