//! The plain pages, one module each (the detail page is in `detail::view`).

mod home;
mod not_found;

pub use home::Home;
pub use not_found::NotFound;
