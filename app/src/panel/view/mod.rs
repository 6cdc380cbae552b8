//! The panel page: find records and put them on the board, create a
//! record, turn sticky notes into records, and the board's sync health. Or,
//! when the panel cannot open, why, with a way to open it again.
//!
//! Each section is its own module; they share `PanelState`, a bundle of
//! signals every section may read (the session, the template, the records
//! selected for adding).

mod create;
mod find;
mod health;
mod import;
mod sdk;
mod stickies;

use leptos::{either::Either, prelude::*};

use super::{OpenedPanel, PanelData, PanelError};
use crate::{cards::CardTemplate, HttpStatus};

/// What the sections share. All of it is `Copy`.
#[derive(Clone, Copy)]
struct PanelState {
    session: StoredValue<String>,
    template: StoredValue<CardTemplate>,
    /// Records picked for adding, in the order picked: id and title.
    selected: RwSignal<Vec<(String, String)>>,
    /// Bumped after anything that may change the board's health.
    board_changed: RwSignal<u64>,
}

/// The page at `/panel/:board_id?ticket=…`, and the root the panel's
/// bundle hydrates.
#[component]
pub fn PanelPage() -> impl IntoView {
    crate::detail::view::mark_hydrated();
    let opened = OpenedPanel::current().unwrap_or_else(|| OpenedPanel {
        board_id: String::new(),
        result: Err(PanelError::Unavailable(
            "the page came without its panel".to_owned(),
        )),
    });
    let OpenedPanel { board_id, result } = opened;
    view! {
        <main class="panel-page">
            {match result {
                Ok(data) => Either::Left(view! { <Panel data /> }),
                Err(error) => Either::Right(view! { <PanelFailed error board_id /> }),
            }}
        </main>
    }
}

#[component]
fn Panel(data: PanelData) -> impl IntoView {
    let state = PanelState {
        session: StoredValue::new(data.session),
        template: StoredValue::new(data.template),
        selected: RwSignal::new(Vec::new()),
        board_changed: RwSignal::new(0),
    };
    view! {
        <find::Find state facets=data.facets first=data.records />
        <import::Import state />
        <create::Create state />
        <stickies::Stickies state />
        <health::Health state first=data.health />
    }
}

/// Why the panel could not be opened, with a way forward.
#[component]
fn PanelFailed(error: PanelError, board_id: String) -> impl IntoView {
    HttpStatus::set_current(error.status());
    let retry = move |_| {
        if !sdk::reopen(&board_id) {
            if let Some(hint) = document().get_element_by_id("panel-failed-hint") {
                hint.set_text_content(Some("Close the panel and open it again from the toolbar."));
            }
        }
    };
    view! {
        <section class="panel-section panel-section--failed" aria-labelledby="panel-failed-title">
            <h1 id="panel-failed-title">"The panel can't be shown"</h1>
            <p class="panel-message" role="alert" data-testid="panel-error">{error.to_string()}</p>
            <button type="button" class="button button--primary" data-testid="panel-retry" on:click=retry>
                "Try again"
            </button>
            <p id="panel-failed-hint" class="panel-hint" aria-live="polite"></p>
        </section>
    }
}

/// Runs `work` in the browser (event handlers only run there).
fn spawn(work: impl std::future::Future<Output = ()> + 'static) {
    leptos::task::spawn_local(work);
}
