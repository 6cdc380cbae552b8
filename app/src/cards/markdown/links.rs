//! Inline links, `[text](url)`, found in linear time. A link is tried at
//! every `[`, and trying one means finding its `]` (brackets nest, `\`
//! escapes the next character) and then the `)` that ends its URL
//! (parentheses nest, whitespace ends the try). Scanning ahead for those
//! at each `[` took time quadratic in the block's length (a body of
//! 65,000 `[`, or `[a](` repeated, held a server thread for seconds), so
//! [`LinkEnds`] finds every `]` and every URL's end in two passes over
//! the block, and each try looks them up.

use super::{escape_html, inline::to_html, is_allowed_url};
use crate::cards::work::{step, steps};

/// No such position.
const NONE: usize = usize::MAX;

/// Where links could end in one block of text.
pub(super) struct LinkEnds {
    /// For each `[`: the `]` that closes it, or [`NONE`].
    close: Vec<usize>,
    /// For each position: the `)` that ends a URL starting there, or
    /// [`NONE`] when whitespace or the end of the text comes first.
    url_end: Vec<usize>,
}

impl LinkEnds {
    /// The ends in `src`: one pass forward for brackets, one backward for
    /// parentheses.
    pub(super) fn new(src: &[char]) -> Self {
        let mut close = vec![NONE; src.len()];
        // Open brackets, innermost last. Skipping the character after a
        // `\` from the start gives the same brackets as skipping from any
        // `[`: the two scans agree from the first character both read.
        let mut open = Vec::new();
        let mut i = 0;
        while i < src.len() {
            step();
            match src[i] {
                '\\' => i += 1,
                '[' => open.push(i),
                ']' => {
                    if let Some(start) = open.pop() {
                        close[start] = i;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        // url_end[p]: a `)` ends the URL where it is; a `(` opens a group
        // whose own `)` is url_end[p + 1], after which the URL goes on.
        let mut url_end = vec![NONE; src.len() + 1];
        for p in (0..src.len()).rev() {
            step();
            url_end[p] = match src[p] {
                ')' => p,
                '(' => match url_end[p + 1] {
                    NONE => NONE,
                    group_end => url_end[group_end + 1],
                },
                c if c.is_whitespace() => NONE,
                _ => url_end[p + 1],
            };
        }
        Self { close, url_end }
    }

    /// A link `[text](url)` starting at `src[start] == '['`: its HTML and
    /// where the text after it starts. `None` when this is no link, or the
    /// URL's scheme is not allowed (it then stays as text).
    pub(super) fn link(&self, src: &[char], start: usize) -> Option<(String, usize)> {
        let close = *self.close.get(start).filter(|&&close| close != NONE)?;
        if src.get(close + 1) != Some(&'(') {
            return None;
        }
        let url_start = close + 2;
        let end = *self.url_end.get(url_start).filter(|&&end| end != NONE)?;
        // The scheme decides, and the URL has no whitespace: its first
        // characters are enough, so a refused try costs nothing more.
        let head: String = src[url_start..end.min(url_start + 9)].iter().collect();
        if !is_allowed_url(&head) {
            return None;
        }
        steps(end - start);
        let url: String = src[url_start..end].iter().collect();
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
}
