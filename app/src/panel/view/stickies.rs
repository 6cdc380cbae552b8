//! Sticky notes into records: the notes selected on the board become
//! records with app cards where the notes were, up to 20 per request; a
//! note is removed only after its card exists, so a failure loses nothing.

use leptos::prelude::*;

use super::{sdk, spawn, PanelState};
use crate::panel::{
    convert_sticky_notes, plan::BULK_CHUNK, ItemOutcome, ItemResult, StickyNotesRequest,
};

#[component]
pub(super) fn Stickies(state: PanelState) -> impl IntoView {
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let results = RwSignal::new(Vec::<ItemResult>::new());

    let convert = move |_| {
        busy.set(true);
        message.set(None);
        results.set(Vec::new());
        spawn(async move {
            let selection = match sdk::selected_sticky_notes().await {
                Ok(selection) => selection,
                Err(error) => {
                    message.set(Some(format!(
                        "Could not read the board's selection: {error}"
                    )));
                    busy.set(false);
                    return;
                }
            };
            if selection.sticky_notes.is_empty() {
                message.set(Some(if selection.others > 0 {
                    "The selection holds no sticky notes. Select sticky notes on the board, then try again.".to_owned()
                } else {
                    "Nothing is selected. Select sticky notes on the board, then try again.".to_owned()
                }));
                busy.set(false);
                return;
            }
            for chunk in selection.sticky_notes.chunks(BULK_CHUNK) {
                let request = StickyNotesRequest {
                    session: state.session.get_value(),
                    sticky_note_ids: chunk.to_vec(),
                };
                match convert_sticky_notes(request).await {
                    Ok(done) => results.update(|shown| shown.extend(done)),
                    Err(error) => {
                        message.set(Some(format!(
                            "{error} The sticky notes not converted are still on the board."
                        )));
                        break;
                    }
                }
            }
            state.board_changed.update(|n| *n += 1);
            busy.set(false);
        });
    };

    view! {
        <section class="panel-section" aria-labelledby="stickies-title">
            <h2 id="stickies-title">"Sticky notes into records"</h2>
            <p class="panel-hint">"Select sticky notes on the board: each becomes a record, and its card takes the note's place."</p>
            <button type="button" class="button button--secondary" data-testid="convert-stickies" disabled=move || busy.get() on:click=convert>
                "Convert selected sticky notes"
            </button>
            <p class="panel-message panel-message--error" role="alert" data-testid="convert-error">{move || message.get()}</p>
            <ul class="panel-outcomes" data-testid="convert-results">
                {move || results.get().into_iter().map(|item| {
                    let (kind, text) = match item.outcome {
                        ItemOutcome::Added { .. } => ("added", "Converted".to_owned()),
                        ItemOutcome::Partly { warning, .. } => ("partly", format!("Converted; {warning}")),
                        ItemOutcome::Failed { reason, .. } => ("failed", format!("Not converted, the note stays: {reason}")),
                    };
                    view! {
                        <li class=format!("panel-outcome panel-outcome--{kind}") data-testid="convert-result"
                            data-sticky-id=item.key.clone() data-outcome=kind>{text}</li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
