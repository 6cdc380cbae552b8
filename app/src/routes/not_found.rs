//! The page for any path the router does not know.

use leptos::prelude::*;

use crate::http_status::HttpStatus;

/// Tells the reader the address is wrong and, on the server, answers 404.
#[component]
pub fn NotFound() -> impl IntoView {
    HttpStatus::set_current(404);
    view! {
        <section class="page not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. Open a card from a Miro board instead."</p>
        </section>
    }
}
