//! The card as the board draws it: title, description, preview fields and
//! the border colour, from the same rendering the server writes to Miro.
//! Title and description are the rendering's HTML, which escapes all text
//! and emits only the tags Miro keeps.

use leptos::prelude::*;

use crate::cards::{
    validate::{check_color, check_icon_url},
    CardPreview, CardStatus, IconShape, PreviewField,
};

/// The live preview of one card.
#[component]
pub fn CardPreviewView(#[prop(into)] preview: Signal<CardPreview>) -> impl IntoView {
    let status = move || preview.with(|p| p.status);
    view! {
        <div
            class="board-card"
            data-testid="card-preview"
            data-status=move || status().as_str()
            style=move || preview.with(|p| format!("--card-color:{}", safe_color(&p.fill_color, "#2d9bf0")))
        >
            <div class="board-card__title" data-testid="preview-title" inner_html=move || preview.with(|p| p.title.clone())></div>
            <div class="board-card__description" data-testid="preview-description" inner_html=move || preview.with(|p| p.description.clone())></div>
            <ul class="board-card__fields" data-testid="preview-fields">
                {move || preview.with(|p| p.fields.iter().map(chip).collect_view())}
            </ul>
            <p class="board-card__status">
                {move || match status() {
                    CardStatus::Connected => "Connected",
                    CardStatus::Disconnected => "Not connected",
                    CardStatus::Disabled => "Source deleted",
                }}
            </p>
        </div>
    }
}

fn chip(field: &PreviewField) -> impl IntoView {
    let style = format!(
        "background:{};color:{}",
        safe_color(&field.fill_color, "#f1f2f5"),
        safe_color(&field.text_color, "#1a1a1a")
    );
    let icon = check_icon_url(&field.icon_url)
        .ok()
        .filter(|()| !field.icon_url.is_empty())
        .map(|()| {
            let class = match field.icon_shape {
                IconShape::Round => "chip__icon chip__icon--round",
                IconShape::Square => "chip__icon chip__icon--square",
            };
            view! { <img class=class src=field.icon_url.clone() alt="" /> }
        });
    let tooltip = (!field.tooltip.is_empty()).then(|| field.tooltip.clone());
    view! {
        <li class="chip" style=style title=tooltip>
            {icon}
            <span class="chip__value">{field.value.clone()}</span>
        </li>
    }
}

/// A colour only if it is a valid `#RRGGBB`, so a half-typed one never
/// reaches a style attribute.
fn safe_color<'a>(color: &'a str, fallback: &'a str) -> &'a str {
    if !color.is_empty() && check_color(color).is_ok() {
        color
    } else {
        fallback
    }
}
