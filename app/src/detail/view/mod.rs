//! The detail view page: opens the card with the ticket in its URL
//! (during server rendering, so the HTML arrives with the card's data),
//! then shows the editor, or a page that says why the card cannot be
//! shown and offers to try again.

mod browser;
mod conflict;
mod editor;
mod lists;
mod preview;
mod status;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{open_card, ViewError};
use crate::HttpStatus;
pub use preview::CardPreviewView;

/// The route `/cards/:board_id/:item_id?ticket=…`.
#[component]
pub fn CardDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let board_id = params.read_untracked().get("board_id").unwrap_or_default();
    let item_id = params.read_untracked().get("item_id").unwrap_or_default();
    let ticket = query.read_untracked().get("ticket").unwrap_or_default();
    let opened = Resource::new_blocking(
        move || (board_id.clone(), item_id.clone(), ticket.clone()),
        |(board_id, item_id, ticket)| open_card(board_id, item_id, ticket),
    );
    view! {
        <Suspense fallback=|| view! { <p class="detail__loading">"Opening the card…"</p> }>
            {move || Suspend::new(async move {
                match opened.await {
                    Ok(data) => view! { <editor::Editor data /> }.into_any(),
                    Err(error) => {
                        let (board_id, item_id) = (
                            params.read_untracked().get("board_id").unwrap_or_default(),
                            params.read_untracked().get("item_id").unwrap_or_default(),
                        );
                        view! { <OpenFailed error board_id item_id /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
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
