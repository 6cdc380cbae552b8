//! Lets a page choose the HTTP status of the server's response (a 404 page
//! must answer 404) without `app` depending on the server's web framework.
//!
//! The server puts an [`HttpStatus`] into context for every request it
//! renders. In the browser there is none, and setting a status does nothing.

use std::sync::Arc;

use leptos::prelude::use_context;

/// A per-request hook that sets the response's status code.
#[derive(Clone)]
pub struct HttpStatus(Arc<dyn Fn(u16) + Send + Sync>);

impl HttpStatus {
    /// Wraps the server's setter for the current response.
    pub fn new(set: impl Fn(u16) + Send + Sync + 'static) -> Self {
        Self(Arc::new(set))
    }

    /// Sets the status of the current response, if there is one.
    pub fn set_current(code: u16) {
        if let Some(status) = use_context::<HttpStatus>() {
            (status.0)(code);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use leptos::prelude::{provide_context, Owner};

    use super::HttpStatus;

    #[test]
    fn sets_the_status_through_the_provided_hook() {
        let seen = Arc::new(Mutex::new(None));
        let owner = Owner::new();
        owner.with(|| {
            let seen = Arc::clone(&seen);
            provide_context(HttpStatus::new(move |code| {
                *seen.lock().unwrap() = Some(code);
            }));
            HttpStatus::set_current(404);
        });
        assert_eq!(*seen.lock().unwrap(), Some(404));
    }
}
