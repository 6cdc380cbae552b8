//! A new record from a short form (title, description, status, labels,
//! assignee), and its card in the middle of the user's viewport. Fields the
//! record would fail validation on are named before anything is sent, and
//! again if the server refuses them.

use leptos::prelude::*;

use super::{sdk, spawn, PanelState};
use crate::{
    cards::{validate::errors_for, validate_record, FieldError, RecordFields},
    panel::{create_record, layout::grid, NewRecordRequest, PanelError},
};

#[component]
pub(super) fn Create(state: PanelState) -> impl IntoView {
    let default_status = state
        .template
        .with_value(|t| t.default_status().key.clone());
    let blank = StoredValue::new(RecordFields {
        status: default_status,
        ..RecordFields::default()
    });
    let fields = RwSignal::new(blank.get_value());
    let labels_text = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<String>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut record = fields.get_untracked();
        record.labels = labels_text
            .get_untracked()
            .split(',')
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        let found = state.template.with_value(|t| validate_record(&record, t));
        errors.set(found.clone());
        created.set(None);
        message.set(None);
        if !found.is_empty() {
            message.set(Some(
                "Some fields need attention; nothing was created.".to_owned(),
            ));
            return;
        }
        busy.set(true);
        spawn(async move {
            let at = match sdk::viewport().await {
                Ok(viewport) => grid(1, viewport)[0],
                Err(error) => {
                    message.set(Some(format!(
                        "Could not read where you are on the board: {error}"
                    )));
                    busy.set(false);
                    return;
                }
            };
            let request = NewRecordRequest {
                session: state.session.get_value(),
                fields: record,
                at,
            };
            match create_record(request).await {
                Ok(done) => {
                    created.set(Some(format!(
                        "Created \u{201c}{}\u{201d} and its card.",
                        done.record.fields.title
                    )));
                    fields.set(blank.get_value());
                    labels_text.set(String::new());
                    state.board_changed.update(|n| *n += 1);
                }
                Err(PanelError::Invalid(refused)) => {
                    errors.set(refused);
                    message.set(Some(
                        "Some fields need attention; nothing was created.".to_owned(),
                    ));
                }
                Err(error) => message.set(Some(error.to_string())),
            }
            busy.set(false);
        });
    };

    let error_of =
        move |path: &'static str| move || errors.with(|e| errors_for(e, path).map(str::to_owned));
    let statuses = state.template.with_value(|t| t.statuses.clone());

    view! {
        <section class="panel-section" aria-labelledby="create-title">
            <h2 id="create-title">"New record"</h2>
            <form class="panel-form" data-testid="create-form" on:submit=submit novalidate>
                <label class="panel-field">
                    <span>"Title"</span>
                    <input type="text" data-testid="create-title" prop:value=move || fields.with(|f| f.title.clone())
                        on:input=move |ev| fields.update(|f| f.title = event_target_value(&ev)) />
                    <span class="panel-field__error" role="alert" data-testid="create-title-error">{error_of("title")}</span>
                </label>
                <label class="panel-field">
                    <span>"Description"</span>
                    <textarea rows="3" data-testid="create-description" prop:value=move || fields.with(|f| f.description.clone())
                        on:input=move |ev| fields.update(|f| f.description = event_target_value(&ev))></textarea>
                    <span class="panel-field__error" role="alert">{error_of("description")}</span>
                </label>
                <label class="panel-field">
                    <span>"Status"</span>
                    <select data-testid="create-status" on:change=move |ev| fields.update(|f| f.status = event_target_value(&ev))>
                        {statuses.into_iter().map(|s| {
                            let key = s.key.clone();
                            view! { <option value=s.key selected=move || fields.with(|f| f.status == key)>{s.label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="panel-field">
                    <span>"Labels (comma-separated)"</span>
                    <input type="text" data-testid="create-labels" prop:value=move || labels_text.get()
                        on:input=move |ev| labels_text.set(event_target_value(&ev)) />
                    <span class="panel-field__error" role="alert">{error_of("labels")}</span>
                </label>
                <label class="panel-field">
                    <span>"Assignee"</span>
                    <input type="text" data-testid="create-assignee" prop:value=move || fields.with(|f| f.assignee.clone())
                        on:input=move |ev| fields.update(|f| f.assignee = event_target_value(&ev)) />
                    <span class="panel-field__error" role="alert">{error_of("assignee")}</span>
                </label>
                <button type="submit" class="button button--primary" data-testid="create" disabled=move || busy.get()>
                    "Create on board"
                </button>
            </form>
            <p class="panel-message" role="status" data-testid="create-done">{move || created.get()}</p>
            <p class="panel-message panel-message--error" role="alert" data-testid="create-error">{move || message.get()}</p>
        </section>
    }
}
