//! The app's panel, as a service: its sessions, and what its server
//! functions (declared in `app::panel`) do: finding records, putting them
//! on the board, creating a record with its card, turning sticky notes into
//! records, and the board's sync health. Its HTTP side (the tickets that
//! open it, the page) is `crate::web::panel`.

mod board;
mod calls;
mod cards;
mod service;
pub mod session;

pub use service::Panel;
