//! The few pages the server writes by hand (no Leptos): the headless page,
//! the install flow's pages, the connect page. Text is escaped here, once.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;

/// Escapes text for HTML content and quoted attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A plain page in the app's style: a heading, a message and, optionally,
/// a link onward. Every argument is text, escaped here.
pub fn message_page(
    status: StatusCode,
    title: &str,
    message: &str,
    action: Option<(&str, &str)>,
) -> Response {
    let action = action
        .map(|(href, label)| {
            format!(
                "<p><a class=\"button button--primary\" href=\"{}\" data-testid=\"page-action\">{}</a></p>",
                escape(href),
                escape(label)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Miro Cards</title><link rel=\"icon\" type=\"image/svg+xml\" href=\"/favicon.svg\">\
         <style>{STYLE}</style></head><body><main class=\"page\">\
         <h1 data-testid=\"page-title\">{title}</h1><p data-testid=\"page-message\">{message}</p>{action}\
         </main></body></html>",
        title = escape(title),
        message = escape(message),
    );
    (status, Html(body)).into_response()
}

/// Enough style for a message page to read well without the bundle.
const STYLE: &str = "body{margin:0;font:14px/1.5 Roboto,system-ui,sans-serif;color:#1a1a1a}\
.page{max-width:560px;margin:48px auto;padding:0 24px}h1{font-size:20px}\
.button{display:inline-block;padding:8px 16px;border-radius:8px;background:#4262ff;color:#fff;text-decoration:none}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
