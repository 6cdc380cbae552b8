//! Putting the selected records on the board: what it will cost (the dry
//! run: cards, REST calls, credits), then the cards added one bulk call of
//! up to 20 at a time in a grid in the user's viewport, with a progress bar
//! and a result per record; the ones that failed can be sent again.

use leptos::prelude::*;

use super::{sdk, spawn, PanelState};
use crate::panel::{
    add_cards,
    layout::grid,
    plan::{ImportPlan, BULK_CHUNK},
    AddCardsRequest, ItemOutcome, Placement, Point,
};

/// One record's result, as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shown {
    id: String,
    title: String,
    outcome: ItemOutcome,
    /// Sent again after failing.
    retried: bool,
}

#[component]
pub(super) fn Import(state: PanelState) -> impl IntoView {
    let progress = RwSignal::new((0usize, 0usize));
    let results = RwSignal::new(Vec::<Shown>::new());
    let running = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let plan = Memo::new(move |_| ImportPlan::for_cards(state.selected.with(Vec::len)));

    // Sends `records` chunk by chunk; `retry` marks their results retried.
    let run = move |records: Vec<(String, String)>, retry: bool| {
        if records.is_empty() || running.get_untracked() {
            return;
        }
        running.set(true);
        message.set(None);
        progress.set((0, records.len()));
        spawn(async move {
            let viewport = match sdk::viewport().await {
                Ok(viewport) => viewport,
                Err(error) => {
                    message.set(Some(format!(
                        "Could not read where you are on the board: {error}"
                    )));
                    running.set(false);
                    return;
                }
            };
            let points = grid(records.len(), viewport);
            let placed: Vec<((String, String), Point)> = records.into_iter().zip(points).collect();
            for chunk in placed.chunks(BULK_CHUNK) {
                let request = AddCardsRequest {
                    session: state.session.get_value(),
                    cards: chunk
                        .iter()
                        .map(|((id, _), at)| Placement {
                            record_id: id.clone(),
                            at: *at,
                        })
                        .collect(),
                };
                let answer = add_cards(request).await;
                let outcomes: Vec<ItemOutcome> = match answer {
                    Ok(items) => chunk
                        .iter()
                        .map(|((id, _), _)| {
                            items
                                .iter()
                                .find(|item| &item.key == id)
                                .map(|item| item.outcome.clone())
                                .unwrap_or(ItemOutcome::Failed {
                                    reason: "The server said nothing about this record.".to_owned(),
                                    retryable: true,
                                })
                        })
                        .collect(),
                    Err(error) => {
                        let retryable = !matches!(
                            error,
                            crate::panel::PanelError::NotAuthorized
                                | crate::panel::PanelError::SessionExpired
                                | crate::panel::PanelError::BadRequest(_)
                        );
                        message.set(Some(error.to_string()));
                        vec![
                            ItemOutcome::Failed {
                                reason: error.to_string(),
                                retryable
                            };
                            chunk.len()
                        ]
                    }
                };
                results.update(|shown| {
                    for (((id, title), _), outcome) in chunk.iter().zip(outcomes) {
                        let entry = Shown {
                            id: id.clone(),
                            title: title.clone(),
                            outcome,
                            retried: retry,
                        };
                        match shown.iter_mut().find(|s| &s.id == id) {
                            Some(old) => *old = entry,
                            None => shown.push(entry),
                        }
                    }
                });
                progress.update(|(done, _)| *done += chunk.len());
            }
            // What was added leaves the selection; what failed stays picked.
            let added: Vec<String> = results.with_untracked(|shown| {
                shown
                    .iter()
                    .filter(|s| !matches!(s.outcome, ItemOutcome::Failed { .. }))
                    .map(|s| s.id.clone())
                    .collect()
            });
            state
                .selected
                .update(|picked| picked.retain(|(id, _)| !added.contains(id)));
            state.board_changed.update(|n| *n += 1);
            running.set(false);
        });
    };

    let add = move |_| {
        results.set(Vec::new());
        run(state.selected.get_untracked(), false);
    };
    let retry_failed = move |_| {
        let failed: Vec<(String, String)> = results.with_untracked(|shown| {
            shown
                .iter()
                .filter(|s| {
                    matches!(
                        s.outcome,
                        ItemOutcome::Failed {
                            retryable: true,
                            ..
                        }
                    )
                })
                .map(|s| (s.id.clone(), s.title.clone()))
                .collect()
        });
        run(failed, true);
    };
    let can_retry = move || {
        !running.get()
            && results.with(|shown| {
                shown.iter().any(|s| {
                    matches!(
                        s.outcome,
                        ItemOutcome::Failed {
                            retryable: true,
                            ..
                        }
                    )
                })
            })
    };

    view! {
        <section class="panel-section" aria-labelledby="import-title">
            <h2 id="import-title">"Put on the board"</h2>
            <p class="panel-message" data-testid="dry-run"
                data-cards=move || plan.get().cards data-calls=move || plan.get().rest_calls data-credits=move || plan.get().credits>
                {move || {
                    let plan = plan.get();
                    if plan.cards == 0 {
                        "Select records above to add them as cards.".to_owned()
                    } else {
                        format!(
                            "Adding {} card{} takes {} REST call{} to Miro and {} rate-limit credits ({} % of a minute's budget).",
                            plan.cards, if plan.cards == 1 { "" } else { "s" },
                            plan.rest_calls, if plan.rest_calls == 1 { "" } else { "s" },
                            plan.credits, plan.budget_percent(),
                        )
                    }
                }}
            </p>
            <div class="panel-row">
                <button type="button" class="button button--primary" data-testid="add-cards"
                    disabled=move || running.get() || plan.get().cards == 0 on:click=add>
                    {move || match plan.get().cards { 0 => "Add to board".to_owned(), n => format!("Add {n} to board") }}
                </button>
                <button type="button" class="button button--secondary" data-testid="retry-cards" disabled=move || !can_retry() on:click=retry_failed>
                    "Retry failed"
                </button>
            </div>
            <Show when=move || progress.with(|(_, total)| *total > 0)>
                <progress data-testid="progress" max=move || progress.get().1 value=move || progress.get().0></progress>
                <p class="panel-hint" role="status" data-testid="progress-text">
                    {move || { let (done, total) = progress.get(); format!("{done} of {total} sent") }}
                </p>
            </Show>
            <p class="panel-message panel-message--error" role="alert" data-testid="import-error">{move || message.get()}</p>
            <ul class="panel-outcomes" data-testid="import-results">
                <For each=move || results.get() key=|s| (s.id.clone(), format!("{:?}{}", s.outcome, s.retried)) let:shown>
                    <Outcome shown />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn Outcome(shown: Shown) -> impl IntoView {
    let (kind, text) = match &shown.outcome {
        ItemOutcome::Added { .. } if shown.retried => ("added", "Added on retry".to_owned()),
        ItemOutcome::Added { .. } => ("added", "Added".to_owned()),
        ItemOutcome::Partly { warning, .. } => ("partly", format!("Added; {warning}")),
        ItemOutcome::Failed { reason, .. } => ("failed", format!("Failed: {reason}")),
    };
    view! {
        <li class=format!("panel-outcome panel-outcome--{kind}") data-testid="import-result"
            data-record-id=shown.id.clone() data-outcome=kind data-retried=shown.retried.to_string()>
            <span class="panel-outcome__title">{shown.title.clone()}</span>
            <span class="panel-outcome__text">{text}</span>
        </li>
    }
}
