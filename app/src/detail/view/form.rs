//! The editor's form state and its labelled text field, shared by the
//! editor and its list editors (custom and preview fields), so neither has
//! to reach into the other.

use leptos::prelude::*;

use crate::cards::{validate::errors_for, CardTemplate, FieldError, RecordFields};

/// The form's state, shared by its parts (all of it is `Copy`).
#[derive(Clone, Copy)]
pub struct Form {
    pub fields: RwSignal<RecordFields>,
    pub errors: Memo<Vec<FieldError>>,
    pub template: StoredValue<CardTemplate>,
}

impl Form {
    /// The message for `path`, if its value is refused.
    pub fn error(self, path: String) -> Signal<Option<String>> {
        let errors = self.errors;
        Signal::derive(move || errors.with(|e| errors_for(e, &path).map(str::to_owned)))
    }
}

/// What the server writes inside a `<textarea>` for `text`, so that the
/// browser reads back exactly `text`: escaped (Leptos writes a textarea's
/// children as they are, so a `</textarea>` in a description would end the
/// element and the rest would be markup), after a newline, because the HTML
/// parser drops one newline right after `<textarea>` and a text starting
/// with one would lose it. Given as the element's inner HTML, which the
/// browser leaves alone when it hydrates the server's page (the property
/// `value` is set then).
fn textarea_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 1);
    html.push('\n');
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            _ => html.push(c),
        }
    }
    html
}

/// A labelled text input (or textarea) with its error, announced when it
/// appears.
// Leptos components own their props.
#[allow(clippy::needless_pass_by_value)]
#[component]
pub fn TextField(
    form: Form,
    #[prop(into)] id: String,
    label: &'static str,
    #[prop(into)] value: Signal<String>,
    set: Callback<String>,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] multiline: bool,
    #[prop(optional, into)] hint: Option<String>,
    /// The validation path; defaults to `id`.
    #[prop(optional, into)]
    path: Option<String>,
) -> impl IntoView {
    let error = form.error(path.unwrap_or_else(|| id.clone()));
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = if hint.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
    let initial = value.get_untracked();
    let input = if multiline {
        view! {
            <textarea
                id=id.clone()
                name=id.clone()
                rows="5"
                aria-describedby=described
                aria-invalid=move || error.with(Option::is_some).to_string()
                prop:value=value
                on:input=move |ev| set.run(event_target_value(&ev))
                inner_html=textarea_html(&initial)
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id.clone()
                name=id.clone()
                type=kind.unwrap_or("text")
                value=initial
                aria-describedby=described
                aria-invalid=move || error.with(Option::is_some).to_string()
                prop:value=value
                on:input=move |ev| set.run(event_target_value(&ev))
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {input}
            {hint.map(|hint| view! { <p class="field__hint" id=hint_id>{hint}</p> })}
            <p class="field__error" id=error_id role="alert" data-testid=format!("error-{id}")>
                {move || error.get()}
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::textarea_html;

    #[test]
    fn a_textareas_content_is_escaped_after_the_newline_the_parser_drops() {
        assert_eq!(
            textarea_html("</textarea><meta http-equiv=\"refresh\"> &amp;"),
            "\n&lt;/textarea&gt;&lt;meta http-equiv=\"refresh\"&gt; &amp;amp;"
        );
        assert_eq!(textarea_html("\nfirst line"), "\n\nfirst line");
        assert_eq!(textarea_html(""), "\n");
    }
}
