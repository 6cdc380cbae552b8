//! Inline Markdown to HTML: backslash escapes, line breaks, links, and
//! emphasis matched by CommonMark's delimiter-run algorithm ("process
//! emphasis", spec 0.31 §6.2), so `***a***`, `*a **b***` and `snake_case`
//! come out as CommonMark says.

use super::{escape_html, is_allowed_url};

/// One piece of a line of inline Markdown.
enum Piece {
    /// Text as the user meant it; escaped when written out.
    Text(String),
    /// Finished HTML (a line break or a link).
    Html(String),
    /// A run of `*` or `_`: an index into the delimiter list.
    Delimiters(usize),
}

/// A run of `*` or `_` characters that may open or close emphasis.
struct Run {
    ch: char,
    /// The run's length as written (CommonMark's "rule of 3" uses it).
    len: usize,
    /// Characters not yet used by a match; written out as text.
    left: usize,
    can_open: bool,
    can_close: bool,
    /// Still on CommonMark's delimiter stack.
    active: bool,
    /// Tags this run opens, innermost first.
    opens: Vec<&'static str>,
    /// Tags this run closes, innermost first.
    closes: Vec<&'static str>,
}

/// The HTML of `src` (one block's text, lines joined by `\n`). Inside a
/// link's text `links` is false: links do not nest.
pub(super) fn to_html(src: &[char], links: bool) -> String {
    let (pieces, mut runs) = split(src, links);
    match_emphasis(&mut runs);
    let mut html = String::new();
    // How deep inside <em> and <strong> the text is. An <em> inside an <em>
    // (or <strong> in <strong>) looks the same as none, so only the outermost
    // is written: one look, one spelling, which keeps reading the HTML back
    // into Markdown exact.
    let mut depth = [0usize; 2];
    let slot = |tag: &str| usize::from(tag == "strong");
    for piece in &pieces {
        match piece {
            Piece::Text(text) => html.push_str(&escape_html(text)),
            Piece::Html(fragment) => html.push_str(fragment),
            Piece::Delimiters(index) => {
                let run = &runs[*index];
                for tag in &run.closes {
                    depth[slot(tag)] -= 1;
                    if depth[slot(tag)] == 0 {
                        html.push_str(&format!("</{tag}>"));
                    }
                }
                html.extend(std::iter::repeat_n(run.ch, run.left));
                for tag in run.opens.iter().rev() {
                    if depth[slot(tag)] == 0 {
                        html.push_str(&format!("<{tag}>"));
                    }
                    depth[slot(tag)] += 1;
                }
            }
        }
    }
    // Likewise `<em>a</em><em>b</em>` is written `<em>ab</em>`. Tags nest
    // properly and text has no raw `<`, so these strings are only ever a
    // closing tag followed by its sibling's opening tag.
    loop {
        let merged = html
            .replace("</em><em>", "")
            .replace("</strong><strong>", "");
        if merged == html {
            return html;
        }
        html = merged;
    }
}

fn split(src: &[char], links: bool) -> (Vec<Piece>, Vec<Run>) {
    let mut pieces = Vec::new();
    let mut runs = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        let mut special = None;
        let mut next = i + 1;
        match c {
            '\\' if src.get(i + 1).is_some_and(char::is_ascii_punctuation) => {
                text.push(src[i + 1]);
                i += 2;
                continue;
            }
            '\n' => special = Some(Piece::Html("<br>".to_owned())),
            '*' | '_' => {
                next = i + src[i..].iter().take_while(|&&x| x == c).count();
                runs.push(run(
                    c,
                    src.get(i.wrapping_sub(1)).copied(),
                    src.get(next).copied(),
                    next - i,
                ));
                special = Some(Piece::Delimiters(runs.len() - 1));
            }
            '[' if links => {
                if let Some((html, end)) = link(src, i) {
                    special = Some(Piece::Html(html));
                    next = end;
                }
            }
            _ => {}
        }
        match special {
            Some(piece) => {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(piece);
            }
            None => text.push(c),
        }
        i = next;
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    (pieces, runs)
}

/// A delimiter run of `len` times `ch` between `before` and `after` (`None`
/// at the text's edge, which counts as whitespace), with CommonMark's
/// left/right-flanking rules deciding whether it can open or close.
fn run(ch: char, before: Option<char>, after: Option<char>, len: usize) -> Run {
    let space = |c: Option<char>| c.is_none_or(char::is_whitespace);
    let punct = |c: Option<char>| c.is_some_and(|c| !c.is_alphanumeric() && !c.is_whitespace());
    let left = !space(after) && (!punct(after) || space(before) || punct(before));
    let right = !space(before) && (!punct(before) || space(after) || punct(after));
    let (can_open, can_close) = if ch == '*' {
        (left, right)
    } else {
        (
            left && (!right || punct(before)),
            right && (!left || punct(after)),
        )
    };
    Run {
        ch,
        len,
        left: len,
        can_open,
        can_close,
        active: true,
        opens: Vec::new(),
        closes: Vec::new(),
    }
}

/// CommonMark's "process emphasis" over the whole delimiter list.
fn match_emphasis(runs: &mut [Run]) {
    let mut closer = 0;
    while closer < runs.len() {
        let c = &runs[closer];
        if !c.active || !c.can_close || c.left == 0 {
            closer += 1;
            continue;
        }
        let opener = (0..closer).rev().find(|&o| {
            let o = &runs[o];
            o.active && o.left > 0 && o.can_open && o.ch == c.ch && !breaks_rule_of_three(o, c)
        });
        let Some(opener) = opener else {
            if !c.can_open {
                runs[closer].active = false;
            }
            closer += 1;
            continue;
        };
        let n = if runs[opener].left >= 2 && runs[closer].left >= 2 {
            2
        } else {
            1
        };
        let tag = if n == 2 { "strong" } else { "em" };
        for between in &mut runs[opener + 1..closer] {
            between.active = false;
        }
        let o = &mut runs[opener];
        o.left -= n;
        o.opens.push(tag);
        o.active = o.left > 0;
        let c = &mut runs[closer];
        c.left -= n;
        c.closes.push(tag);
        if c.left == 0 {
            c.active = false;
            closer += 1;
        }
    }
}

/// CommonMark: when either run can both open and close, their lengths may
/// not add up to a multiple of 3 unless both are multiples of 3.
fn breaks_rule_of_three(opener: &Run, closer: &Run) -> bool {
    (opener.can_close || closer.can_open)
        && (opener.len + closer.len).is_multiple_of(3)
        && !(opener.len.is_multiple_of(3) && closer.len.is_multiple_of(3))
}

/// A link `[text](url)` starting at `src[start] == '['`: its HTML and where
/// the text after it starts. `None` when this is no link, or the URL's
/// scheme is not allowed (it then stays as text).
fn link(src: &[char], start: usize) -> Option<(String, usize)> {
    let mut depth = 0;
    let mut i = start;
    let close = loop {
        match src.get(i)? {
            '\\' => i += 1,
            '[' => depth += 1,
            ']' if depth == 1 => break i,
            ']' => depth -= 1,
            _ => {}
        }
        i += 1;
    };
    if src.get(close + 1) != Some(&'(') {
        return None;
    }
    let url_start = close + 2;
    let mut depth = 0;
    let mut end = url_start;
    loop {
        match src.get(end)? {
            ')' if depth == 0 => break,
            ')' => depth -= 1,
            '(' => depth += 1,
            c if c.is_whitespace() => return None,
            _ => {}
        }
        end += 1;
    }
    let url: String = src[url_start..end].iter().collect();
    if !is_allowed_url(&url) {
        return None;
    }
    let text = &src[start + 1..close];
    let text_html = if text.iter().all(|c| c.is_whitespace()) {
        escape_html(&url)
    } else {
        to_html(text, false)
    };
    Some((
        format!("<a href=\"{}\">{text_html}</a>", escape_html(&url)),
        end + 1,
    ))
}
