//! Checks shared by the fuzz targets.

/// Whether `html` is the kind of HTML `app::cards::markdown::to_miro_html`
/// documents: blocks `<p>`, `<ul>` and `<ol>` (lists holding `<li>` only),
/// inside them text, `<br>`, `<strong>`, `<em>` and `<a href="…">` links
/// to `https://`, `http://` or `mailto:` URLs; tags nested properly; no
/// link in a link; no `<em>` in an `<em>` or `<strong>` in a `<strong>`,
/// except with a link between them (`*a [*b*](https://x) c*` gives
/// `<em>a <a href="https://x"><em>b</em></a> c</em>`: a link's text is
/// converted on its own); no `</em><em>` or `</strong><strong>` left
/// unmerged; text with `&`, `<`, `>` and `"` escaped. `Err` says what is
/// wrong and where.
pub fn check_card_html(html: &str) -> Result<(), String> {
    for merged in ["</em><em>", "</strong><strong>"] {
        if let Some(at) = html.find(merged) {
            return Err(format!("unmerged {merged} at byte {at}"));
        }
    }
    check_card_html_shape(html)
}

/// [`check_card_html`] without the check that adjacent emphasis is merged:
/// what a card template's `[description]` rules leave of such HTML (taking
/// out a link between two `<em>`s leaves them adjacent).
pub fn check_card_html_shape(html: &str) -> Result<(), String> {
    // Open elements, outermost first.
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        // Byte offset of `rest` in `html`, for messages.
        let offset = html.len() - rest.len();
        if let Some(after) = rest.strip_prefix('<') {
            let end = after
                .find('>')
                .ok_or_else(|| format!("unclosed tag at byte {offset}"))?;
            let tag = &after[..end];
            let next = &after[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                match open.pop() {
                    Some(top) if top == name => {}
                    top => return Err(format!("</{name}> at byte {offset} closes {top:?}")),
                }
            } else {
                let parent = open.last().copied();
                let name = if let Some(href) = tag.strip_prefix("a href=\"") {
                    let url = href
                        .strip_suffix('"')
                        .ok_or_else(|| format!("bad link tag <{tag}> at byte {offset}"))?;
                    check_url(url).map_err(|e| format!("{e} at byte {offset}"))?;
                    "a"
                } else {
                    tag
                };
                let allowed = match (name, parent) {
                    ("p" | "ul" | "ol", None) => true,
                    ("li", Some("ul" | "ol")) => true,
                    ("br", Some(p)) => !matches!(p, "ul" | "ol"),
                    // A link's text is converted on its own, so emphasis
                    // may repeat inside a link in the same emphasis.
                    ("strong" | "em", Some(p)) => {
                        !matches!(p, "ul" | "ol")
                            && !open
                                .iter()
                                .rev()
                                .take_while(|&&o| o != "a")
                                .any(|&o| o == name)
                    }
                    ("a", Some(p)) => !matches!(p, "ul" | "ol") && !open.contains(&"a"),
                    _ => false,
                };
                if !allowed {
                    return Err(format!(
                        "<{tag}> at byte {offset} inside {open:?} is not allowed"
                    ));
                }
                if name != "br" {
                    open.push(name);
                }
            }
            rest = next;
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            match open.last() {
                None => return Err(format!("text {text:?} outside a block at byte {offset}")),
                Some(&"ul" | &"ol") => {
                    return Err(format!("text {text:?} directly in a list at byte {offset}"))
                }
                Some(_) => {}
            }
            check_text(text).map_err(|e| format!("{e} at byte {offset}"))?;
            let next = &rest[end..];
            rest = next;
        }
    }
    if !open.is_empty() {
        return Err(format!("unclosed at the end: {open:?}"));
    }
    Ok(())
}

/// Text (or an attribute value) with `&`, `<`, `>` and `"` escaped.
pub fn check_text(text: &str) -> Result<(), String> {
    if let Some(c) = text.chars().find(|c| matches!(c, '<' | '>' | '"')) {
        return Err(format!("raw {c:?} in text {text:?}"));
    }
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        if !["&amp;", "&lt;", "&gt;", "&quot;"]
            .iter()
            .any(|e| entity.starts_with(e))
        {
            return Err(format!("raw & in text {text:?}"));
        }
    }
    Ok(())
}

/// A link target (as written in the `href`, escaped) that `to_miro_html`
/// may link: `https://`, `http://` or `mailto:` and more, no whitespace.
fn check_url(url: &str) -> Result<(), String> {
    check_text(url)?;
    let lower = url.to_ascii_lowercase();
    let scheme_ok = ["https://", "http://", "mailto:"]
        .iter()
        .any(|s| lower.len() > s.len() && lower.starts_with(s));
    if !scheme_ok || url.contains(char::is_whitespace) {
        return Err(format!("link to {url:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_card_html;

    #[test]
    fn accepts_what_the_converter_writes() {
        for html in [
            "",
            "<p>a &amp; b<br>c</p>",
            "<ul><li><strong>x</strong> <em>y</em></li><li></li></ul><ol><li>1</li></ol>",
            "<p><a href=\"https://example.com/?a=1&amp;b=2\"><em>x</em></a></p>",
            "<p><em>a <a href=\"https://x\"><em>b</em></a> c</em></p>",
        ] {
            assert_eq!(check_card_html(html), Ok(()), "{html}");
        }
    }

    #[test]
    fn refuses_anything_else() {
        for html in [
            "text",
            "<p>a</p>b",
            "<div>a</div>",
            "<p>a < b</p>",
            "<p>a & b</p>",
            "<p><em>a</p></em>",
            "<p><em><em>a</em></em></p>",
            "<p><em><a href=\"https://x\"><strong><strong>b</strong></strong></a></em></p>",
            "<p><em>a</em><em>b</em></p>",
            "<ul>a</ul>",
            "<ul><p>a</p></ul>",
            "<p><a href=\"javascript:x\">a</a></p>",
            "<p><a href=\"https://a\"><a href=\"https://b\">x</a></a></p>",
            "<p>a",
            "<li>a</li>",
        ] {
            assert!(check_card_html(html).is_err(), "{html}");
        }
    }
}
