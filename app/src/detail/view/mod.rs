//! The detail view page: the editor for the card the server opened with the
//! ticket in the URL, or a page that says why the card cannot be shown and
//! offers to try again.

mod browser;
mod conflict;
mod editor;
mod form;
mod lists;
mod preview;
mod status;

use leptos::{either::Either, prelude::*};

use super::{OpenedCard, ViewError};
use crate::HttpStatus;
pub use preview::CardPreviewView;

/// The page at `/cards/:board_id/:item_id?ticket=…`, and the root the
/// browser hydrates. The server opened the card before rendering (see
/// [`OpenedCard`]), so there is nothing to wait for on either side.
#[component]
pub fn CardPage() -> impl IntoView {
    mark_hydrated();
    let opened = OpenedCard::current().unwrap_or_else(|| OpenedCard {
        board_id: String::new(),
        item_id: String::new(),
        result: Err(ViewError::Unavailable(
            "the page came without its card".to_owned(),
        )),
    });
    let OpenedCard {
        board_id,
        item_id,
        result,
    } = opened;
    view! {
        <main>
            {match result {
                Ok(data) => Either::Left(view! { <editor::Editor data /> }),
                Err(error) => Either::Right(view! { <OpenFailed error board_id item_id /> }),
            }}
        </main>
    }
}

/// Sets `data-hydrated="true"` on `<body>` once the browser has hydrated the
/// page. Effects never run on the server, so the attribute is absent from
/// the server's HTML: scripts and tests wait for it before touching the page.
pub(crate) fn mark_hydrated() {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// Why the card could not be opened, with a way forward.
#[component]
fn OpenFailed(error: ViewError, board_id: String, item_id: String) -> impl IntoView {
    HttpStatus::set_current(error.status());
    let retry = move |_| {
        if !browser::reopen(&board_id, &item_id) {
            if let Some(status) = document().get_element_by_id("open-failed-hint") {
                status.set_text_content(Some(
                    "Close this window and open the card again from the board.",
                ));
            }
        }
    };
    view! {
        <section class="detail detail--failed" aria-labelledby="open-failed-title">
            <h1 id="open-failed-title">"This card can't be shown"</h1>
            <p class="detail__message" role="alert" data-testid="open-error">{error.to_string()}</p>
            <button type="button" class="button button--primary" data-testid="retry" on:click=retry>
                "Try again"
            </button>
            <p id="open-failed-hint" class="detail__hint" aria-live="polite"></p>
        </section>
    }
}
