//! Any text as a card description's Markdown: converting it never panics and
//! gives HTML of the documented shape (only the tags Miro keeps, text
//! escaped), which reads back into Markdown (it never nests past
//! `MAX_HTML_DEPTH`) that converts again without panicking into HTML of the
//! same shape. Exact round trips are not asserted: the module documents
//! exceptions.
#![no_main]

use app::cards::markdown::{html_to_text, miro_html_to_markdown, to_miro_html};
use libfuzzer_sys::fuzz_target;
use miro_cards_fuzz::check_card_html;

fuzz_target!(|markdown: &str| {
    let html = to_miro_html(markdown);
    if let Err(problem) = check_card_html(&html) {
        panic!("to_miro_html wrote unexpected HTML: {problem}\nhtml: {html:?}");
    }
    if markdown.trim().is_empty() {
        assert!(html.is_empty(), "blank Markdown gave {html:?}");
    }
    assert!(
        html_to_text(&html).is_ok(),
        "html_to_text refused our own HTML {html:?}"
    );

    let back = match miro_html_to_markdown(&html) {
        Ok(back) => back,
        Err(error) => panic!("miro_html_to_markdown refused our own HTML ({error}): {html:?}"),
    };
    let again = to_miro_html(&back);
    if let Err(problem) = check_card_html(&again) {
        panic!("to_miro_html of the read-back Markdown wrote unexpected HTML: {problem}\nhtml: {again:?}\nfrom: {back:?}");
    }
});
