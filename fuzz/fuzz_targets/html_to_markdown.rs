//! Any text as HTML from Miro (a card's title or description): reading it
//! as text or as Markdown never panics; it is either read or refused as
//! `HtmlTooDeep`, and only HTML with more than `MAX_HTML_DEPTH` tags can be
//! too deep. Markdown read from it converts back into HTML of the documented
//! shape, which reads again.
#![no_main]

use app::cards::markdown::{
    html_to_text, miro_html_to_markdown, to_miro_html, HtmlTooDeep, MAX_HTML_DEPTH,
};
use libfuzzer_sys::fuzz_target;
use miro_cards_fuzz::check_card_html;

fuzz_target!(|html: &str| {
    // Nesting deeper than the limit takes more opening tags than it.
    let could_be_too_deep = html.matches('<').count() > MAX_HTML_DEPTH;

    let text = html_to_text(html);
    let markdown = miro_html_to_markdown(html);
    if matches!(text, Err(HtmlTooDeep)) || matches!(markdown, Err(HtmlTooDeep)) {
        assert!(
            could_be_too_deep,
            "refused as too deep with at most {MAX_HTML_DEPTH} tags: {html:?}"
        );
    }
    // Both readers share one parser, so they agree on what is too deep.
    assert_eq!(
        text.is_err(),
        markdown.is_err(),
        "html_to_text and miro_html_to_markdown disagree on {html:?}"
    );

    if let Ok(markdown) = markdown {
        let again = to_miro_html(&markdown);
        if let Err(problem) = check_card_html(&again) {
            panic!("to_miro_html of the read Markdown wrote unexpected HTML: {problem}\nhtml: {again:?}\nmarkdown: {markdown:?}");
        }
        if let Err(error) = miro_html_to_markdown(&again) {
            panic!("our own HTML was refused ({error}): {again:?}");
        }
    }
});
