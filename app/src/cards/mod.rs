//! Records and their app cards, shared by both sides: the server renders a
//! record into the card it writes to Miro, and the browser renders the same
//! record into the detail view's live preview, with the same code, so the
//! two cannot disagree. Nothing here does I/O.

pub mod limits;
pub mod markdown;
pub mod model;
pub mod render;
pub mod template;
pub mod validate;
mod work;

#[cfg(test)]
mod linear;
#[cfg(test)]
mod properties;

pub use model::*;
pub use render::render_card;
pub use template::{CardTemplate, ChipRule, ChipSource, DateStyle, StatusOption};
pub use validate::validate_record;
