//! The app card detail view: what Miro shows in its modal when a user opens
//! one of our cards. For now it shows which card was opened and a preview
//! panel that can be folded; the editable view replaces it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The detail view of one app card, addressed by its board and item ids.
#[component]
pub fn CardView() -> impl IntoView {
    let params = use_params_map();
    let board_id = move || params.read().get("board_id").unwrap_or_default();
    let item_id = move || params.read().get("item_id").unwrap_or_default();
    let (preview_open, set_preview_open) = signal(true);

    view! {
        <section class="page card-view" aria-labelledby="card-view-title">
            <header class="card-view__header">
                <h1 id="card-view-title">"App card"</h1>
                <dl class="card-view__ids">
                    <dt>"Board"</dt>
                    <dd data-testid="board-id">{board_id}</dd>
                    <dt>"Item"</dt>
                    <dd data-testid="item-id">{item_id}</dd>
                </dl>
            </header>
            <button
                type="button"
                class="button button--secondary"
                aria-controls="card-preview"
                aria-expanded=move || preview_open.get().to_string()
                on:click=move |_| set_preview_open.update(|open| *open = !*open)
            >
                {move || if preview_open.get() { "Hide preview" } else { "Show preview" }}
            </button>
            <div id="card-preview" class="card-preview" hidden=move || !preview_open.get()>
                <div class="app-card">
                    <p class="app-card__title">"Card " {item_id}</p>
                    <p class="app-card__description">
                        "The card's fields will be editable here."
                    </p>
                </div>
            </div>
        </section>
    }
}
