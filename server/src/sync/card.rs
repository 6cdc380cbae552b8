//! Between a rendered card preview and Miro's app card: the write that
//! makes a card show a preview, the hash that says whether it already
//! does, and the comparison that finds a card drifted from its record.

use app::cards::{CardPreview, CardStatus, IconShape, PreviewField};
use sha2::{Digest, Sha256};

use crate::miro::{
    self, AppCard, AppCardChanges, AppCardData, AppCardStatus, AppCardStyle, AppCardWrite,
    CardField,
};

/// The PATCH body that makes a card show `preview`: every member is sent,
/// so the card ends up the same whatever it showed before.
pub fn write_for(preview: &CardPreview) -> AppCardWrite {
    AppCardWrite {
        data: Some(AppCardChanges {
            title: Some(preview.title.clone()),
            description: Some(preview.description.clone()),
            status: Some(miro_status(preview.status)),
            fields: Some(preview.fields.iter().map(miro_field).collect()),
        }),
        style: Some(AppCardStyle {
            fill_color: Some(preview.fill_color.clone()),
        }),
        ..AppCardWrite::default()
    }
}

/// The PATCH body for a card that no longer shows a record: only its
/// status changes, its last content stays.
pub fn disconnect_write() -> AppCardWrite {
    AppCardWrite {
        data: Some(AppCardChanges {
            status: Some(AppCardStatus::Disconnected),
            ..AppCardChanges::default()
        }),
        ..AppCardWrite::default()
    }
}

/// What a disconnected card's hash is: its content is not ours any more.
pub const DISCONNECTED_HASH: &str = "disconnected";

/// A short, stable hash of a preview: equal previews, equal hashes.
pub fn hash(preview: &CardPreview) -> String {
    let json = serde_json::to_vec(&normalized(preview)).expect("previews always serialize");
    Sha256::digest(&json)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the card on the board shows something other than `preview`.
pub fn drifted(card: &AppCard, preview: &CardPreview) -> bool {
    normalized(&from_miro(&card.data, &card.style)) != normalized(preview)
}

/// The same, for an item from a board listing, which carries no style:
/// only the data is compared.
pub fn data_drifted(data: &AppCardData, preview: &CardPreview) -> bool {
    let seen = from_miro(data, &AppCardStyle::default());
    let ours = CardPreview {
        fill_color: String::new(),
        ..preview.clone()
    };
    normalized(&seen) != normalized(&ours)
}

fn miro_status(status: CardStatus) -> AppCardStatus {
    match status {
        CardStatus::Connected => AppCardStatus::Connected,
        CardStatus::Disconnected => AppCardStatus::Disconnected,
        CardStatus::Disabled => AppCardStatus::Disabled,
    }
}

fn some(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn miro_field(field: &PreviewField) -> CardField {
    let has_icon = !field.icon_url.is_empty();
    CardField {
        value: some(&field.value),
        tooltip: some(&field.tooltip),
        fill_color: some(&field.fill_color),
        text_color: some(&field.text_color),
        icon_url: some(&field.icon_url),
        // The shape means nothing without an icon; leave Miro's default.
        icon_shape: has_icon.then_some(match field.icon_shape {
            IconShape::Round => miro::IconShape::Round,
            IconShape::Square => miro::IconShape::Square,
        }),
    }
}

/// A Miro app card read back as a preview.
fn from_miro(data: &AppCardData, style: &AppCardStyle) -> CardPreview {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    CardPreview {
        title: data.title.clone(),
        description: data.description.clone(),
        status: match data.status {
            Some(AppCardStatus::Connected) => CardStatus::Connected,
            Some(AppCardStatus::Disabled) => CardStatus::Disabled,
            _ => CardStatus::Disconnected,
        },
        fields: data
            .fields
            .iter()
            .map(|f| PreviewField {
                value: text(&f.value),
                tooltip: text(&f.tooltip),
                fill_color: text(&f.fill_color),
                text_color: text(&f.text_color),
                icon_url: text(&f.icon_url),
                icon_shape: match f.icon_shape {
                    Some(miro::IconShape::Square) => IconShape::Square,
                    _ => IconShape::Round,
                },
            })
            .collect(),
        fill_color: text(&style.fill_color),
    }
}

/// Colours compare case-insensitively and an icon's shape only with an
/// icon, as Miro treats them.
fn normalized(preview: &CardPreview) -> CardPreview {
    let mut out = preview.clone();
    out.fill_color = out.fill_color.to_ascii_lowercase();
    for field in &mut out.fields {
        field.fill_color = field.fill_color.to_ascii_lowercase();
        field.text_color = field.text_color.to_ascii_lowercase();
        if field.icon_url.is_empty() {
            field.icon_shape = IconShape::Round;
        }
    }
    out
}
