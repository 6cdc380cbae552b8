//! The app card detail view's route: the page itself lives with the rest
//! of the detail view in `crate::detail::view`.

pub use crate::detail::view::CardDetailPage as CardView;
