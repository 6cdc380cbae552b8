//! The app's panel on the server: tickets that open it
//! (`POST /miro/panel/tickets`), the page a ticket opens (`page`), the
//! panel's sessions, and the service behind its server functions (declared
//! in `app::panel`): finding records, putting them on the board, creating
//! a record with its card, turning sticky notes into records, and the
//! board's sync health.

mod board;
mod cards;
pub mod page;
mod service;
pub mod session;
pub mod tickets;

pub use service::Panel;
