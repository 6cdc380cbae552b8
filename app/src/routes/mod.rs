//! One module per page.

mod card_view;
mod home;
mod not_found;

pub use card_view::CardView;
pub use home::Home;
pub use not_found::NotFound;
