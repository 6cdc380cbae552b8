//! Inline Markdown to HTML: backslash escapes, line breaks, links, and
//! emphasis matched by CommonMark's delimiter-run algorithm ("process
//! emphasis", spec 0.31 §6.2), so `***a***`, `*a **b***` and `snake_case`
//! come out as CommonMark says.
//!
//! Every part is linear in the block's length, since a block may come from
//! a stranger (a GitHub issue body): links are looked up in a table built
//! once ([`super::links`]), the emphasis search follows CommonMark's
//! `openers_bottom` and skips delimiters already used, and adjacent
//! emphasis is merged as it is written.

use super::{escape_html, links::LinkEnds};
use crate::cards::work::step;

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
    /// Tags this run opens, innermost first.
    opens: Vec<&'static str>,
    /// Tags this run closes, innermost first.
    closes: Vec<&'static str>,
}

/// The HTML of `src` (one block's text, lines joined by `\n`). Inside a
/// link's text `links` is false: links do not nest.
pub(super) fn to_html(src: &[char], links: bool) -> String {
    let ends = (links && src.contains(&'[')).then(|| LinkEnds::new(src));
    let (pieces, mut runs) = split(src, ends.as_ref());
    match_emphasis(&mut runs);
    let mut html = String::new();
    // How deep inside <em> and <strong> the text is. An <em> inside an <em>
    // (or <strong> in <strong>) looks the same as none, so only the outermost
    // is written: one look, one spelling, which keeps reading the HTML back
    // into Markdown exact.
    let mut depth = [0usize; 2];
    let slot = |tag: &str| usize::from(tag == "strong");
    for piece in &pieces {
        step();
        match piece {
            Piece::Text(text) => html.push_str(&escape_html(text)),
            Piece::Html(fragment) => html.push_str(fragment),
            Piece::Delimiters(index) => {
                let run = &runs[*index];
                for tag in &run.closes {
                    step();
                    depth[slot(tag)] -= 1;
                    if depth[slot(tag)] == 0 {
                        html.push_str(&format!("</{tag}>"));
                    }
                }
                html.extend(std::iter::repeat_n(run.ch, run.left));
                for tag in run.opens.iter().rev() {
                    step();
                    if depth[slot(tag)] == 0 {
                        open_tag(&mut html, tag);
                    }
                    depth[slot(tag)] += 1;
                }
            }
        }
    }
    html
}

/// Writes `<tag>`, unless the HTML so far ends with `</tag>`: that is
/// taken back instead, so `<em>a</em><em>b</em>` is written `<em>ab</em>`
/// (it looks the same). Taking back may leave another closing tag at the
/// end for the next opening one, which merges
/// `<em><strong>a</strong></em><em><strong>b` the same way: as if every
/// `</em><em>` and `</strong><strong>` had been removed until none is left.
fn open_tag(html: &mut String, tag: &str) {
    let (open, close) = if tag == "strong" {
        ("<strong>", "</strong>")
    } else {
        ("<em>", "</em>")
    };
    if html.ends_with(close) {
        html.truncate(html.len() - close.len());
    } else {
        html.push_str(open);
    }
}

fn split(src: &[char], links: Option<&LinkEnds>) -> (Vec<Piece>, Vec<Run>) {
    let mut pieces = Vec::new();
    let mut runs = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < src.len() {
        step();
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
            '[' => {
                if let Some((html, end)) = links.and_then(|ends| ends.link(src, i)) {
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
        opens: Vec::new(),
        closes: Vec::new(),
    }
}

/// No run: the ends of the delimiter stack.
const NONE: usize = usize::MAX;

/// CommonMark's "process emphasis" over the whole delimiter list.
///
/// The delimiter stack is a linked list over `runs` (`prev`, `next`), so a
/// run used up or passed over is unlinked at once and never looked at
/// again. A search for a closer's opener that finds none sets
/// `openers_bottom` for that kind of closer (its character, whether it can
/// open, its length modulo 3: everything the match depends on), and later
/// searches for that kind stop there. Both are the spec's; without them
/// `a* a* a* …` searched every earlier run for each closer.
fn match_emphasis(runs: &mut [Run]) {
    let count = runs.len();
    let mut prev: Vec<usize> = (0..count)
        .map(|i| i.checked_sub(1).unwrap_or(NONE))
        .collect();
    let mut next: Vec<usize> = (1..=count).collect();
    // Removes run `i` from the stack; its own `next` stays readable.
    let unlink = |prev: &mut Vec<usize>, next: &mut Vec<usize>, i: usize| {
        let (before, after) = (prev[i], next[i]);
        if before != NONE {
            next[before] = after;
        }
        if after < count {
            prev[after] = before;
        }
    };
    let mut openers_bottom = [0usize; 12];
    let mut closer = 0;
    while closer < count {
        step();
        let c = &runs[closer];
        if !c.can_close || c.left == 0 {
            closer = next[closer];
            continue;
        }
        let kind = usize::from(c.ch == '_') * 6 + usize::from(c.can_open) * 3 + c.len % 3;
        let mut opener = prev[closer];
        while opener != NONE && opener >= openers_bottom[kind] {
            step();
            let o = &runs[opener];
            if o.left > 0 && o.can_open && o.ch == c.ch && !breaks_rule_of_three(o, c) {
                break;
            }
            opener = prev[opener];
        }
        if opener == NONE || opener < openers_bottom[kind] {
            // No opener for this kind of closer up to here, now or later.
            openers_bottom[kind] = closer;
            let after = next[closer];
            if !runs[closer].can_open {
                unlink(&mut prev, &mut next, closer);
            }
            closer = after;
            continue;
        }
        let n = if runs[opener].left >= 2 && runs[closer].left >= 2 {
            2
        } else {
            1
        };
        let tag = if n == 2 { "strong" } else { "em" };
        // The runs between are left as text, off the stack.
        let mut between = next[opener];
        while between != closer {
            step();
            let after = next[between];
            unlink(&mut prev, &mut next, between);
            between = after;
        }
        let o = &mut runs[opener];
        o.left -= n;
        o.opens.push(tag);
        if o.left == 0 {
            unlink(&mut prev, &mut next, opener);
        }
        let c = &mut runs[closer];
        c.left -= n;
        c.closes.push(tag);
        if c.left == 0 {
            let after = next[closer];
            unlink(&mut prev, &mut next, closer);
            closer = after;
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
