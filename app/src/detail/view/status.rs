//! Where a save stands, in words, announced to screen readers as it
//! changes: saving, saved (the board shows it), saved and syncing, a
//! conflict, fields to fix, not allowed, or failed.

use leptos::prelude::*;

use crate::cards::{FieldError, RecordFields, RecordSnapshot};

/// The save's state.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    Idle,
    Saving,
    /// Saved, and Miro confirmed the card's write.
    Saved,
    /// Saved; the card follows through the outbox.
    Syncing(String),
    /// Someone saved first.
    Conflict(Box<Conflict>),
    Invalid(Vec<FieldError>),
    /// Saving is not possible from this view (session, authorization).
    Blocked(String),
    Failed(String),
}

/// Both sides of a conflict, and where ours started.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub theirs: RecordSnapshot,
    pub base: Option<RecordFields>,
    pub ours: RecordFields,
    /// The other side is the record's tool (its name), not another save.
    pub tool: Option<String>,
}

/// The status line of the action bar.
#[component]
pub fn SaveStatus(
    state: RwSignal<SaveState>,
    dirty: Memo<bool>,
    /// False until the editor is live in the browser.
    live: ReadSignal<bool>,
) -> impl IntoView {
    let message = move || match state.get() {
        _ if !live.get() => (
            "loading",
            "Loading the editor… You can type now; saving starts once it is ready.".to_owned(),
        ),
        SaveState::Idle if dirty.get() => ("idle", "Unsaved changes".to_owned()),
        SaveState::Idle => ("idle", String::new()),
        SaveState::Saving => ("saving", "Saving…".to_owned()),
        SaveState::Saved => ("saved", "Saved. The board shows it now.".to_owned()),
        SaveState::Syncing(_) => (
            "syncing",
            "Saved, syncing: Miro is slow to answer, the card on the board follows shortly."
                .to_owned(),
        ),
        SaveState::Conflict(conflict) => (
            "conflict",
            match &conflict.tool {
                Some(tool) => {
                    format!("This card was also changed in {tool}. Choose what to keep, above.")
                }
                None => {
                    "Someone else saved this card first. Choose what to keep, above.".to_owned()
                }
            },
        ),
        SaveState::Invalid(errors) => (
            "invalid",
            format!(
                "Not saved: {} {} to fix.",
                errors.len(),
                if errors.len() == 1 { "field" } else { "fields" }
            ),
        ),
        SaveState::Blocked(message) | SaveState::Failed(message) => {
            ("failed", format!("Not saved. {message}"))
        }
    };
    view! {
        <p
            class=move || format!("save-status save-status--{}", message().0)
            role="status"
            aria-live="polite"
            data-testid="save-status"
            data-state=move || message().0
        >
            {move || message().1}
        </p>
    }
}
