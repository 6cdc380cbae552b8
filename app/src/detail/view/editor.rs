//! The editor: every field of the record, validated as the user types
//! with the rules the server applies, beside a live preview of the card,
//! and saving with the version the view opened at.
//!
//! Keys: Ctrl/Cmd+S saves; Esc closes the modal (asking first when there
//! are unsaved edits).

use leptos::{ev, prelude::*};

use super::{
    browser,
    conflict::ConflictPanel,
    form::{Form, TextField},
    lists::{CustomFieldsEditor, PreviewFieldsEditor},
    preview::CardPreviewView,
    status::{Conflict, SaveState, SaveStatus},
};
use crate::{
    cards::{
        render_card,
        validate::{validate_record_within, TextLimits, MAX_DESCRIPTION_CHARS},
        RecordFields,
    },
    detail::{save_card, BoardSync, CardViewData, SaveOutcome, SaveRequest, ViewError},
};

/// The editor for one card's record.
#[component]
pub fn Editor(data: CardViewData) -> impl IntoView {
    let CardViewData {
        board_id,
        item_id,
        session,
        record,
        card_status,
        template,
        source_conflict,
        limits,
    } = data;
    let template = StoredValue::new(template);
    let ids = StoredValue::new((board_id, item_id, session));
    let fields = RwSignal::new(record.fields.clone());
    let saved = RwSignal::new(record.fields.clone());
    let version = RwSignal::new(record.version);
    // A conflict with the record's tool opens the view on the choice; the
    // tool's fields shown go back with the save that resolves it.
    let source_theirs = StoredValue::new(None::<RecordFields>);
    let state = RwSignal::new(match source_conflict {
        Some(conflict) => {
            source_theirs.set_value(Some(conflict.theirs.clone()));
            SaveState::Conflict(Box::new(Conflict {
                theirs: crate::cards::RecordSnapshot {
                    id: record.id.clone(),
                    version: record.version,
                    fields: conflict.theirs,
                },
                base: conflict.base,
                ours: record.fields.clone(),
                tool: Some(conflict.tool),
            }))
        }
        None => SaveState::Idle,
    });

    let live_errors = Memo::new(move |_| {
        fields.with(|f| template.with_value(|t| validate_record_within(f, t, limits)))
    });
    // The server's verdict joins the live one until the next edit.
    let errors = Memo::new(move |_| {
        let mut shown = live_errors.get();
        if let SaveState::Invalid(server) = state.get() {
            for error in server {
                if !shown.iter().any(|e| e.field == error.field) {
                    shown.push(error);
                }
            }
        }
        shown
    });
    let form = Form {
        fields,
        errors,
        template,
    };
    let preview = Memo::new(move |_| {
        fields.with(|f| template.with_value(|t| render_card(f, card_status, t)))
    });
    let dirty = Memo::new(move |_| fields.with(|f| saved.with(|s| f != s)));
    // False in the server's HTML: until the WASM is live, the buttons are
    // disabled and say why, so nothing sends card text anywhere. Once live,
    // what the user typed meanwhile is put back into the form first.
    let live = RwSignal::new(false);
    Effect::new(move |_| {
        crate::typed_early::restore();
        live.set(true);
    });
    let waiting = move || !live.get();

    let action = Action::new_local(move |(request, close): &(SaveRequest, bool)| {
        let (request, close) = (request.clone(), *close);
        async move { (save_card(request).await, close) }
    });
    Effect::new(move |_| {
        let Some((result, close)) = action.value().get() else {
            return;
        };
        match result {
            Ok(SaveOutcome { record, board }) => {
                source_theirs.set_value(None);
                version.set(record.version);
                saved.set(record.fields);
                state.set(match board {
                    BoardSync::Synced => SaveState::Saved,
                    BoardSync::Syncing { reason } => SaveState::Syncing(reason),
                });
                if close {
                    browser::close_modal();
                }
            }
            Err(ViewError::Conflict { theirs, base }) => {
                state.set(SaveState::Conflict(Box::new(Conflict {
                    theirs: *theirs,
                    base: base.map(|b| *b),
                    ours: fields.get_untracked(),
                    tool: None,
                })));
            }
            Err(ViewError::Invalid(errors)) => state.set(SaveState::Invalid(errors)),
            Err(
                error @ (ViewError::SessionExpired
                | ViewError::ReconnectNeeded
                | ViewError::NotAuthorized
                | ViewError::NotLinked),
            ) => state.set(SaveState::Blocked(error.to_string())),
            Err(error) => state.set(SaveState::Failed(error.to_string())),
        }
    });
    // A new edit clears the last outcome (a conflict stays until resolved).
    Effect::new(move |_| {
        fields.track();
        let settled = matches!(
            state.get_untracked(),
            SaveState::Saved | SaveState::Syncing(_) | SaveState::Invalid(_) | SaveState::Failed(_)
        );
        if settled && dirty.get_untracked() {
            state.set(SaveState::Idle);
        }
    });

    let save = move |close: bool| {
        if action.pending().get_untracked()
            || matches!(state.get_untracked(), SaveState::Conflict(_))
        {
            return;
        }
        let refused = live_errors.get_untracked();
        if !refused.is_empty() {
            state.set(SaveState::Invalid(refused));
            return;
        }
        // Resolving a conflict with the tool is sent even when the user
        // kept every field of the record: the tool must still get them.
        let resolving = source_theirs.with_value(Option::is_some);
        if !dirty.get_untracked() && !close && !resolving {
            state.set(SaveState::Saved);
            return;
        }
        let request = ids.with_value(|(board_id, item_id, session)| SaveRequest {
            board_id: board_id.clone(),
            item_id: item_id.clone(),
            session: session.clone(),
            base_version: version.get_untracked(),
            fields: fields.get_untracked(),
            source_theirs: source_theirs.get_value(),
        });
        state.set(SaveState::Saving);
        action.dispatch_local((request, close));
    };
    let close = move || {
        if !dirty.get_untracked() || browser::confirm("Discard your unsaved edits?") {
            browser::close_modal();
        }
    };
    Effect::new(move |_| {
        let handle = window_event_listener(ev::keydown, move |event| {
            let key = event.key();
            if (event.ctrl_key() || event.meta_key()) && key.eq_ignore_ascii_case("s") {
                event.prevent_default();
                save(false);
            } else if key == "Escape" {
                event.prevent_default();
                close();
            }
        });
        on_cleanup(move || handle.remove());
    });
    let resolve = move |merged: RecordFields, theirs_version: i64| {
        fields.set(merged);
        version.set(theirs_version);
        state.set(SaveState::Idle);
        save(false);
    };

    view! {
        // `post`: should the form ever be submitted before the WASM is live,
        // its fields must not end up in a URL.
        <form
            class="detail"
            data-testid="card-editor"
            method="post"
            novalidate
            on:submit=move |event| {
                event.prevent_default();
                save(false);
            }
        >
            <header class="detail__header">
                <h1 class="detail__heading">"Edit card"</h1>
                // The item in its tool (GitHub's issue), for a record that
                // has one: the way back from the card.
                {move || fields.with(|f| {
                    let source = &f.source;
                    source.safe_url().map(|url| {
                        let text = format!("{}{} on {} ↗", source.location, source.reference, source.tool);
                        view! {
                            <a class="detail__source" data-testid="source-link" href=url.to_owned()
                                target="_blank" rel="noopener noreferrer">{text}</a>
                        }
                    })
                })}
                <span class="detail__version" data-testid="version">
                    {move || format!("Version {}", version.get())}
                </span>
            </header>
            // A conflict comes first: it is what the user must answer.
            {move || match state.get() {
                SaveState::Conflict(conflict) => {
                    let Conflict { theirs, base, ours, tool } = *conflict;
                    Some(view! { <ConflictPanel theirs base ours tool template on_resolve=resolve /> })
                }
                _ => None,
            }}
            <div class="detail__body">
                {view! {
                <div class="detail__fields">
                    <TextField
                        form
                        id="title"
                        label="Title"
                        hint=format!("Up to {} characters.", limits.title)
                        value=Signal::derive(move || fields.with(|f| f.title.clone()))
                        set=Callback::new(move |v: String| fields.update(|f| f.title = v))
                    />
                    <TextField
                        form
                        id="description"
                        label="Description"
                        multiline=true
                        hint=description_hint(limits)
                        value=Signal::derive(move || fields.with(|f| f.description.clone()))
                        set=Callback::new(move |v: String| fields.update(|f| f.description = v))
                    />
                    <StatusField form />
                    <div class="field-row">
                        <TextField
                            form
                            id="assignee"
                            label="Assignee"
                            value=Signal::derive(move || fields.with(|f| f.assignee.clone()))
                            set=Callback::new(move |v: String| fields.update(|f| f.assignee = v))
                        />
                        <TextField
                            form
                            id="due_date"
                            label="Due date"
                            kind="date"
                            value=Signal::derive(move || fields.with(|f| f.due_date.clone()))
                            set=Callback::new(move |v: String| fields.update(|f| f.due_date = v))
                        />
                    </div>
                    <LabelsField form />
                    {view! {
                        <CustomFieldsEditor form />
                        <PreviewFieldsEditor form />
                    }
                        .into_any()}
                </div>
                }
                    .into_any()}
                <aside class="detail__preview" aria-label="Live preview of the card">
                    <h2 class="detail__subheading">"On the board"</h2>
                    <CardPreviewView preview=preview />
                </aside>
            </div>
            {view! {
            <footer class="detail__actions">
                <SaveStatus state dirty live=live.read_only() />
                <button
                    type="button"
                    class="button button--tertiary"
                    disabled=waiting
                    on:click=move |_| close()
                >
                    "Close"
                </button>
                <button
                    type="button"
                    class="button button--secondary"
                    data-testid="save-and-close"
                    disabled=waiting
                    on:click=move |_| save(true)
                >
                    "Save and close"
                </button>
                <button
                    type="submit"
                    class="button button--primary"
                    data-testid="save"
                    disabled=waiting
                >
                    "Save"
                </button>
            </footer>
            }
                .into_any()}
        </form>
    }
}

/// What the description field says about its format and length: a
/// record whose tool holds more than a card shows says so.
fn description_hint(limits: TextLimits) -> String {
    let mut hint = format!(
        "Markdown: **bold**, *italic*, [link](https://…), lists. Up to {} characters.",
        limits.description
    );
    if limits.description > MAX_DESCRIPTION_CHARS {
        hint.push_str(&format!(
            " The card shows the first {MAX_DESCRIPTION_CHARS}."
        ));
    }
    hint
}

/// The record's status, from the template's set, with its colour.
#[component]
fn StatusField(form: Form) -> impl IntoView {
    let Form {
        fields, template, ..
    } = form;
    let error = form.error("status".to_owned());
    let current = move || fields.with(|f| f.status.clone());
    let swatch = move || {
        template.with_value(|t| {
            let status = t.status_or_default(&current());
            format!(
                "background:{};color:{}",
                status.fill_color, status.text_color
            )
        })
    };
    let options = template.with_value(|t| t.statuses.clone());
    let initial = fields.with_untracked(|f| f.status.clone());
    view! {
        <div class="field">
            <label for="status">"Status"</label>
            <div class="status-select">
                <span class="status-select__swatch" style=swatch aria-hidden="true"></span>
                <select
                    id="status"
                    name="status"
                    aria-describedby="status-error"
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    prop:value=current
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        fields.update(|f| f.status = value);
                    }
                >
                    {options
                        .into_iter()
                        .map(|status| {
                            let selected = status.key == initial;
                            view! {
                                <option value=status.key.clone() selected=selected>
                                    {status.label.clone()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <p class="field__error" id="status-error" role="alert" data-testid="error-status">{move || error.get()}</p>
        </div>
    }
}

/// Labels, typed as a comma-separated list.
#[component]
fn LabelsField(form: Form) -> impl IntoView {
    let fields = form.fields;
    let errors = form.errors;
    let text = RwSignal::new(fields.with_untracked(|f| f.labels.join(", ")));
    let error = Signal::derive(move || {
        errors.with(|e| {
            e.iter()
                .find(|e| e.field == "labels" || e.field.starts_with("labels."))
                .map(|e| e.message.clone())
        })
    });
    view! {
        <div class="field">
            <label for="labels">"Labels"</label>
            <input
                id="labels"
                name="labels"
                type="text"
                value=text.get_untracked()
                aria-describedby="labels-hint labels-error"
                aria-invalid=move || error.with(Option::is_some).to_string()
                prop:value=text
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    let labels = value
                        .split(',')
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect();
                    text.set(value);
                    fields.update(|f| f.labels = labels);
                }
            />
            <p class="field__hint" id="labels-hint">"Separate labels with commas."</p>
            <p class="field__error" id="labels-error" role="alert" data-testid="error-labels">{move || error.get()}</p>
        </div>
    }
}
