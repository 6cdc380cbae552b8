//! The two lists in the form: custom fields (name and value) and the
//! card's own preview fields (value, tooltip, colours, icon), each with
//! add, remove and, for preview fields, reorder.

use leptos::prelude::*;

use super::form::{Form, TextField};
use crate::cards::{
    validate::{MAX_CUSTOM_FIELDS, MAX_PREVIEW_FIELDS},
    CustomField, IconShape, PreviewField,
};

/// The record's custom fields.
#[component]
pub fn CustomFieldsEditor(form: Form) -> impl IntoView {
    let fields = form.fields;
    let count = Memo::new(move |_| fields.with(|f| f.custom.len()));
    let list_error = form.error("custom".to_owned());
    view! {
        <fieldset class="group" data-testid="custom-fields">
            <legend>"Custom fields"</legend>
            {move || {
                (0..count.get())
                    .map(|i| {
                        let get = move |pick: fn(&CustomField) -> String| {
                            Signal::derive(move || {
                                fields.with(|f| f.custom.get(i).map(pick).unwrap_or_default())
                            })
                        };
                        view! {
                            <div class="group__row">
                                <TextField
                                    form
                                    id=format!("custom-{i}-name")
                                    path=format!("custom.{i}.name")
                                    label="Name"
                                    value=get(|c| c.name.clone())
                                    set=Callback::new(move |v: String| {
                                        fields.update(|f| f.custom[i].name = v);
                                    })
                                />
                                <TextField
                                    form
                                    id=format!("custom-{i}-value")
                                    path=format!("custom.{i}.value")
                                    label="Value"
                                    value=get(|c| c.value.clone())
                                    set=Callback::new(move |v: String| {
                                        fields.update(|f| f.custom[i].value = v);
                                    })
                                />
                                <button
                                    type="button"
                                    class="button button--icon"
                                    aria-label=format!("Remove custom field {}", i + 1)
                                    on:click=move |_| fields.update(|f| { f.custom.remove(i); })
                                >
                                    "✕"
                                </button>
                            </div>
                        }
                    })
                    .collect_view()
            }}
            <button
                type="button"
                class="button button--secondary button--small"
                data-testid="add-custom-field"
                disabled=move || { count.get() >= MAX_CUSTOM_FIELDS }
                on:click=move |_| fields.update(|f| f.custom.push(CustomField::default()))
            >
                "Add custom field"
            </button>
            <p class="field__error" role="alert">{move || list_error.get()}</p>
        </fieldset>
    }
}

/// The card's own preview fields.
#[component]
pub fn PreviewFieldsEditor(form: Form) -> impl IntoView {
    let fields = form.fields;
    let count = Memo::new(move |_| fields.with(|f| f.preview.len()));
    let list_error = form.error("preview".to_owned());
    view! {
        <fieldset class="group" data-testid="preview-fields-editor">
            <legend>"Preview fields"</legend>
            <p class="field__hint">
                {format!(
                    "Shown on the card after the template's fields; at most {MAX_PREVIEW_FIELDS} fit on a card.",
                )}
            </p>
            {move || {
                let n = count.get();
                (0..n).map(|i| view! { <PreviewFieldRow form index=i count=n /> }).collect_view()
            }}
            <button
                type="button"
                class="button button--secondary button--small"
                data-testid="add-preview-field"
                on:click=move |_| fields.update(|f| f.preview.push(PreviewField::default()))
            >
                "Add preview field"
            </button>
            <p class="field__error" role="alert" data-testid="error-preview">{move || list_error.get()}</p>
        </fieldset>
    }
}

/// One preview field: every member Miro's card field has.
#[component]
fn PreviewFieldRow(form: Form, index: usize, count: usize) -> impl IntoView {
    let fields = form.fields;
    let i = index;
    let text = move |pick: fn(&PreviewField) -> String| {
        Signal::derive(move || fields.with(|f| f.preview.get(i).map(pick).unwrap_or_default()))
    };
    let set = move |put: fn(&mut PreviewField, String)| {
        Callback::new(move |v: String| fields.update(|f| put(&mut f.preview[i], v)))
    };
    let shape = Signal::derive(move || {
        fields.with(|f| f.preview.get(i).map(|p| p.icon_shape).unwrap_or_default())
    });
    let id = |member: &str| format!("preview-{i}-{member}");
    let path = |member: &str| format!("preview.{i}.{member}");
    let shape_id = id("icon_shape");
    view! {
        <div class="preview-row" data-testid=format!("preview-row-{i}")>
            <div class="preview-row__head">
                <span class="preview-row__title">{format!("Field {}", i + 1)}</span>
                <button
                    type="button"
                    class="button button--icon"
                    aria-label=format!("Move preview field {} up", i + 1)
                    disabled={ i == 0 }
                    on:click=move |_| fields.update(|f| f.preview.swap(i, i - 1))
                >
                    "↑"
                </button>
                <button
                    type="button"
                    class="button button--icon"
                    aria-label=format!("Move preview field {} down", i + 1)
                    disabled={ i + 1 >= count }
                    on:click=move |_| fields.update(|f| f.preview.swap(i, i + 1))
                >
                    "↓"
                </button>
                <button
                    type="button"
                    class="button button--icon"
                    aria-label=format!("Remove preview field {}", i + 1)
                    on:click=move |_| fields.update(|f| { f.preview.remove(i); })
                >
                    "✕"
                </button>
            </div>
            <div class="preview-row__grid">
                <TextField form id=id("value") path=path("value") label="Value"
                    value=text(|p| p.value.clone()) set=set(|p, v| p.value = v) />
                <TextField form id=id("tooltip") path=path("tooltip") label="Tooltip"
                    value=text(|p| p.tooltip.clone()) set=set(|p, v| p.tooltip = v) />
                <TextField form id=id("fill_color") path=path("fill_color") label="Fill colour"
                    value=text(|p| p.fill_color.clone()) set=set(|p, v| p.fill_color = v) />
                <TextField form id=id("text_color") path=path("text_color") label="Text colour"
                    value=text(|p| p.text_color.clone()) set=set(|p, v| p.text_color = v) />
                <TextField form id=id("icon_url") path=path("icon_url") label="Icon URL"
                    value=text(|p| p.icon_url.clone()) set=set(|p, v| p.icon_url = v) />
                <div class="field">
                    <label for=shape_id.clone()>"Icon shape"</label>
                    <select
                        id=shape_id
                        prop:value=move || shape_name(shape.get())
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            fields.update(|f| {
                                f.preview[i].icon_shape = if value == "square" {
                                    IconShape::Square
                                } else {
                                    IconShape::Round
                                };
                            });
                        }
                    >
                        <option value="round" selected=shape.get_untracked() == IconShape::Round>"Round"</option>
                        <option value="square" selected=shape.get_untracked() == IconShape::Square>"Square"</option>
                    </select>
                </div>
            </div>
        </div>
    }
}

fn shape_name(shape: IconShape) -> &'static str {
    match shape {
        IconShape::Round => "round",
        IconShape::Square => "square",
    }
}
