//! The landing page a person sees when they open the server's address
//! directly rather than through a Miro board.

use leptos::prelude::*;

/// Says what this server is and where the app lives.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <section class="page home">
            <h1>"Miro Cards"</h1>
            <p>
                "This server renders the detail view of app cards on Miro boards. "
                "Open a card on a board to edit it here."
            </p>
        </section>
    }
}
