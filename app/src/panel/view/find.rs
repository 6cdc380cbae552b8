//! Finding records: text search and filters (status, label, assignee),
//! results paged to the end ("Show more"), each row showing the card the
//! record makes and the boards it is on; picking rows, or every match.

use leptos::prelude::*;

use super::{spawn, PanelState};
use crate::{
    cards::{render_card, CardStatus},
    detail::view::CardPreviewView,
    panel::{search_records, Facets, RecordPage, RecordQuery, RecordRow},
};

// Leptos components own their props.
#[allow(clippy::needless_pass_by_value)]
#[component]
pub(super) fn Find(state: PanelState, facets: Facets, first: RecordPage) -> impl IntoView {
    let query = RwSignal::new(RecordQuery::default());
    let page = RwSignal::new(first);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let session = state.session;

    let search = move |after: Option<String>| {
        let asked = query.get_untracked();
        busy.set(true);
        message.set(None);
        spawn(async move {
            match search_records(session.get_value(), asked, after.clone()).await {
                Ok(found) => page.update(|shown| {
                    if after.is_some() {
                        shown.rows.extend(found.rows);
                        shown.next = found.next;
                        shown.total = found.total;
                    } else {
                        *shown = found;
                    }
                }),
                Err(error) => message.set(Some(error.to_string())),
            }
            busy.set(false);
        });
    };

    // Every match, page by page to the end, joins the selection.
    let select_all = move |_| {
        let asked = query.get_untracked();
        busy.set(true);
        message.set(None);
        spawn(async move {
            let mut after = None;
            loop {
                match search_records(session.get_value(), asked.clone(), after).await {
                    Ok(found) => {
                        state.selected.update(|picked| {
                            for row in &found.rows {
                                if !picked.iter().any(|(id, _)| id == &row.record.id) {
                                    picked.push((
                                        row.record.id.clone(),
                                        row.record.fields.title.clone(),
                                    ));
                                }
                            }
                        });
                        match found.next {
                            Some(next) => after = Some(next),
                            None => break,
                        }
                    }
                    Err(error) => {
                        message.set(Some(error.to_string()));
                        break;
                    }
                }
            }
            busy.set(false);
        });
    };

    let set = move |apply: fn(&mut RecordQuery, String)| {
        move |ev: leptos::ev::Event| query.update(|q| apply(q, event_target_value(&ev)))
    };
    let statuses = state.template.with_value(|t| t.statuses.clone());
    let options = |values: Vec<(String, String)>| {
        values
            .into_iter()
            .map(|(value, label)| view! { <option value=value>{label}</option> })
            .collect_view()
    };
    let pairs = |values: &[String]| {
        values
            .iter()
            .map(|v| (v.clone(), v.clone()))
            .collect::<Vec<_>>()
    };

    view! {
        <section class="panel-section" aria-labelledby="find-title">
            <h2 id="find-title">"Find records"</h2>
            <form class="panel-search" role="search" on:submit=move |ev| { ev.prevent_default(); search(None); }>
                <label class="panel-field">
                    <span>"Search"</span>
                    <input type="search" name="text" data-testid="search-text" placeholder="Words in the title or description"
                        prop:value=move || query.with(|q| q.text.clone()) on:input=set(|q, v| q.text = v) />
                </label>
                <div class="panel-filters">
                    <label class="panel-field">
                        <span>"Status"</span>
                        <select data-testid="filter-status" on:change=set(|q, v| q.status = v)>
                            <option value="">"Any"</option>
                            {options(statuses.into_iter().map(|s| (s.key, s.label)).collect())}
                        </select>
                    </label>
                    <label class="panel-field">
                        <span>"Label"</span>
                        <select data-testid="filter-label" on:change=set(|q, v| q.label = v)>
                            <option value="">"Any"</option>
                            {options(pairs(&facets.labels))}
                        </select>
                    </label>
                    <label class="panel-field">
                        <span>"Assignee"</span>
                        <select data-testid="filter-assignee" on:change=set(|q, v| q.assignee = v)>
                            <option value="">"Anyone"</option>
                            {options(pairs(&facets.assignees))}
                        </select>
                    </label>
                </div>
                <button type="submit" class="button button--secondary" data-testid="search" disabled=move || busy.get()>"Search"</button>
            </form>
            <p class="panel-message" role="status" data-testid="search-summary">
                {move || page.with(|p| match p.total {
                    0 => "No records match. Try fewer words or other filters.".to_owned(),
                    1 => "1 record matches.".to_owned(),
                    n => format!("{n} records match; {} shown.", p.rows.len()),
                })}
            </p>
            <p class="panel-message panel-message--error" role="alert" data-testid="search-error">{move || message.get()}</p>
            <div class="panel-row">
                <button type="button" class="button button--secondary" data-testid="select-all"
                    disabled=move || busy.get() || page.with(|p| p.total == 0) on:click=select_all>
                    {move || format!("Select all {}", page.with(|p| p.total))}
                </button>
                <button type="button" class="button button--tertiary" data-testid="clear-selection"
                    disabled=move || state.selected.with(Vec::is_empty) on:click=move |_| state.selected.set(Vec::new())>
                    "Clear selection"
                </button>
            </div>
            <ul class="panel-results" data-testid="results">
                <For each=move || page.get().rows key=|row| row.record.id.clone() let:row>
                    <Row state row />
                </For>
            </ul>
            <Show when=move || page.with(|p| p.next.is_some())>
                <button type="button" class="button button--secondary" data-testid="show-more" disabled=move || busy.get()
                    on:click=move |_| search(page.with_untracked(|p| p.next.clone()))>
                    "Show more"
                </button>
            </Show>
        </section>
    }
}

/// One record: a checkbox, the card it makes, and where it is already.
#[component]
fn Row(state: PanelState, row: RecordRow) -> impl IntoView {
    let id = row.record.id.clone();
    let title = row.record.fields.title.clone();
    let preview = state
        .template
        .with_value(|t| render_card(&row.record.fields, CardStatus::Connected, t));
    let checked = {
        let id = id.clone();
        move || {
            state
                .selected
                .with(|picked| picked.iter().any(|(p, _)| p == &id))
        }
    };
    let toggle = {
        let id = id.clone();
        move |_| {
            state.selected.update(|picked| {
                if let Some(at) = picked.iter().position(|(p, _)| p == &id) {
                    picked.remove(at);
                } else {
                    picked.push((id.clone(), title.clone()));
                }
            });
        }
    };
    let boards = match row.boards.len() {
        0 => "Not on a board yet".to_owned(),
        1 => "On 1 board".to_owned(),
        n => format!("On {n} boards"),
    };
    view! {
        <li class="panel-result" data-testid="result" data-record-id=id.clone()>
            <label class="panel-result__pick">
                <input type="checkbox" data-testid="pick" prop:checked=checked on:change=toggle />
                <span class="visually-hidden">"Select"</span>
            </label>
            <div class="panel-result__card">
                <CardPreviewView preview=Signal::stored(preview) />
                <p class="panel-hint" data-testid="boards" title=row.boards.join(", ")>{boards}</p>
            </div>
        </li>
    }
}
