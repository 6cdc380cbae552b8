//! Turning an existing app card into a record: its title, description
//! and preview fields as the record's first version, checked as a save is
//! (`admit.rs`: what a card cannot show is left out, and logged). Used
//! when a card is connected (`app_card:connect`) and by the sandbox's
//! first start.

use app::cards::{
    markdown::{html_to_text, miro_html_to_markdown},
    IconShape, PreviewField, RecordFields,
};

use super::{
    admit::{Admission, Arrival},
    connector::BUILTIN,
    SyncEngine, SyncError,
};
use crate::{
    miro::AppCardData,
    store::{origin, CardKey, NewRecord, RecordRow},
};

impl SyncEngine {
    /// A new built-in record of `scope` (see [`crate::teams`]) holding the
    /// content of app card `card`, in the template's default status.
    /// Linking the card is the caller's step. A card that cannot be a
    /// record (no title) is refused with [`SyncError::NotARecord`].
    pub async fn record_from_card(
        &self,
        card: &CardKey,
        data: &AppCardData,
        actor: &str,
        scope: &str,
    ) -> Result<RecordRow, SyncError> {
        let fields = fields_from_card(data, self.template().default_status().key.clone())?;
        let item = format!("card {} on board {}", card.item_id, card.board_id);
        let arrival = Arrival {
            origin: origin::MIRO,
            actor,
            item: &item,
            record_id: None,
            card: Some(card),
        };
        let fields = match self
            .admit_logged(&fields, app::cards::limits::TextLimits::BUILT_IN, arrival)
            .await?
        {
            Admission::Taken(fields) => *fields,
            Admission::Refused(errors) => return Err(SyncError::NotARecord(errors)),
        };
        self.create(NewRecord {
            connector: BUILTIN,
            external_id: None,
            fields: &fields,
            origin: origin::MIRO,
            actor,
            scope,
        })
        .await
    }
}

/// A record's fields from an app card's data as Miro returns it (HTML
/// back to text and Markdown), for a card that becomes a record. HTML
/// nested too deep to read is refused, naming the field.
fn fields_from_card(data: &AppCardData, status: String) -> Result<RecordFields, SyncError> {
    let unreadable = |field: &'static str| move |error| SyncError::Unreadable { field, error };
    Ok(RecordFields {
        title: html_to_text(&data.title).map_err(unreadable("title"))?,
        description: miro_html_to_markdown(&data.description).map_err(unreadable("description"))?,
        status,
        preview: data
            .fields
            .iter()
            .map(|f| PreviewField {
                value: f.value.clone().unwrap_or_default(),
                tooltip: f.tooltip.clone().unwrap_or_default(),
                fill_color: f.fill_color.clone().unwrap_or_default(),
                text_color: f.text_color.clone().unwrap_or_default(),
                icon_url: f.icon_url.clone().unwrap_or_default(),
                icon_shape: match f.icon_shape {
                    Some(crate::miro::IconShape::Square) => IconShape::Square,
                    _ => IconShape::Round,
                },
            })
            .collect(),
        ..RecordFields::default()
    })
}
