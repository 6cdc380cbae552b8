//! Turning an existing app card into a record: its title, description
//! and preview fields as the record's first version. Used when a card is
//! connected (`app_card:connect`) and by the sandbox's first start.

use app::cards::{
    markdown::{html_to_text, miro_html_to_markdown},
    IconShape, PreviewField, RecordFields,
};

use super::{connector::BUILTIN, SyncEngine, SyncError};
use crate::{
    miro::AppCardData,
    store::{origin, NewRecord, RecordRow},
};

impl SyncEngine {
    /// A new built-in record holding an app card's content, in the
    /// template's default status. Linking the card is the caller's step.
    pub async fn record_from_card(
        &self,
        data: &AppCardData,
        actor: &str,
    ) -> Result<RecordRow, SyncError> {
        let fields = fields_from_card(data, self.template().default_status().key.clone())?;
        self.create(NewRecord {
            connector: BUILTIN,
            external_id: None,
            fields: &fields,
            origin: origin::MIRO,
            actor,
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
