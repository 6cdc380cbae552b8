//! The panel's writes that put cards on the board: records added in bulk
//! (one bulk create per request), a new record with its card, and sticky
//! notes turned into records with cards where the notes were.
//!
//! Every card is created showing its record's rendering and linked with
//! that rendering's hash, so the outbox never writes it a second time: what
//! the dry run counted is what the import spends. Where a step fails after
//! Miro created something, nothing the user made is removed: a sticky note
//! goes only once its card is stored.

use crate::clock::now;
use std::collections::HashSet;

use app::{
    cards::{
        limits::MAX_TITLE_CHARS,
        markdown::{html_to_text, miro_html_to_markdown},
        render_card, validate_record, CardPreview, CardStatus, RecordFields, SourceDetails,
    },
    panel::{
        plan::BULK_CHUNK, AddCardsRequest, CreatedRecord, ItemOutcome, ItemResult,
        NewRecordRequest, PanelError, Point, StickyNotesRequest,
    },
};

use super::service::Panel;
use crate::{
    miro::{self, Access, AppCardWrite, MiroError, NewItem, TokenKey},
    store::{origin, CardKey, NewLink, NewRecord},
    sync::{card, connector::BUILTIN},
    teams::team_scope,
};

/// The card write for a preview, at a point on the board.
fn card_at(preview: &CardPreview, at: Point) -> AppCardWrite {
    AppCardWrite {
        position: Some(miro::Point { x: at.x, y: at.y }),
        ..card::write_for(preview)
    }
}

fn finite(at: Point) -> bool {
    at.x.is_finite() && at.y.is_finite() && at.x.abs() < 1e9 && at.y.abs() < 1e9
}

/// Errors that stop the whole request rather than one item.
fn whole_request(error: &MiroError) -> Option<PanelError> {
    match error {
        MiroError::Forbidden(_) | MiroError::NotFound(_) => Some(PanelError::NotAuthorized),
        MiroError::Unauthorized(_) => Some(PanelError::ReconnectNeeded),
        _ => None,
    }
}

/// What a user is told about one item Miro did not take, and whether the
/// same request may work later.
fn failed(error: &MiroError) -> ItemOutcome {
    let (reason, retryable) = match error {
        MiroError::RateLimited { reset_at, .. } => (
            format!(
                "Miro is rate-limiting the app; try again in {} s.",
                reset_at.saturating_sub(now().max(0) as u64).max(1)
            ),
            true,
        ),
        // No answer at all (a dropped connection, a timeout): the cards may
        // exist. An error answer from Miro (5xx) to a create is a failed
        // transaction (a bulk create is all-or-nothing), so sending it again
        // makes no duplicate.
        MiroError::Transient {
            maybe_applied: true,
            detail,
        } if detail.status.is_none() => (
            "Miro did not confirm the card; look on the board before trying again.".to_owned(),
            false,
        ),
        MiroError::Transient { detail, .. } => (
            format!("Miro is unavailable ({}); try again.", detail.message),
            true,
        ),
        MiroError::InvalidInput { detail, fields } => (
            match fields.first() {
                Some(field) => format!("Miro refused {}: {}", field.field, field.message),
                None => format!("Miro refused the card: {}", detail.message),
            },
            false,
        ),
        other => (other.to_string(), other.is_retryable()),
    };
    ItemOutcome::Failed { reason, retryable }
}

fn refused(reason: impl Into<String>) -> ItemOutcome {
    ItemOutcome::Failed {
        reason: reason.into(),
        retryable: false,
    }
}

/// Puts up to [`BULK_CHUNK`] records on the board in one bulk create.
pub async fn add(panel: &Panel, request: AddCardsRequest) -> Result<Vec<ItemResult>, PanelError> {
    let session = panel.session(&request.session)?;
    let cards = request.cards;
    if cards.is_empty() {
        return Err(PanelError::BadRequest(
            "Select at least one record to add.".to_owned(),
        ));
    }
    if cards.len() > BULK_CHUNK {
        return Err(PanelError::BadRequest(format!(
            "At most {BULK_CHUNK} cards go in one request; the panel sends more in turns."
        )));
    }
    let mut seen = HashSet::new();
    for placement in &cards {
        if !finite(placement.at) {
            return Err(PanelError::BadRequest(
                "A card's position is not a point on the board.".to_owned(),
            ));
        }
        if !seen.insert(placement.record_id.as_str()) {
            return Err(PanelError::BadRequest(format!(
                "Record {} is in the request twice.",
                placement.record_id
            )));
        }
    }
    let user = session.user();
    let board = session.board_id.as_str();
    let access = panel.board_access(&user, board).await?;
    let state = &panel.state;
    let template = state.sync.template();

    // Each record as a card, or why not. A record of another team is
    // answered as one that does not exist.
    let reach = state.teams.reach(&user);
    let mut results: Vec<ItemResult> = Vec::with_capacity(cards.len());
    let mut planned = Vec::new();
    for placement in &cards {
        let record = state
            .sync
            .store()
            .record(&placement.record_id)
            .await
            .map_err(Panel::unavailable)?;
        let outcome = match record {
            Some(row) if !reach.includes(&row.scope) => {
                Some(refused("There is no such record (any more)."))
            }
            None => Some(refused("There is no such record (any more).")),
            Some(row) if row.source_deleted => Some(refused(
                "The record's item was deleted in its tool; its card could only be disabled.",
            )),
            Some(row) => {
                let preview = render_card(&row.snapshot.fields, CardStatus::Connected, template);
                planned.push((results.len(), row.snapshot.id, preview, placement.at));
                None
            }
        };
        results.push(ItemResult {
            key: placement.record_id.clone(),
            outcome: outcome.unwrap_or_else(|| refused("not sent")),
        });
    }
    if planned.is_empty() {
        return Ok(results);
    }

    let items: Vec<NewItem> = planned
        .iter()
        .map(|(_, _, preview, at)| NewItem::AppCard(card_at(preview, *at)))
        .collect();
    match state.oauth.client.bulk_create(&access, board, &items).await {
        Ok(created) => {
            let keys: Vec<CardKey> = created
                .iter()
                .map(|item| CardKey::new(board, item.id.as_str()))
                .collect();
            let links: Vec<(NewLink<'_>, String)> = planned
                .iter()
                .zip(&keys)
                .map(|((_, record_id, preview, _), key)| {
                    let link = NewLink {
                        card: key,
                        record_id,
                        owner: &user,
                        origin: origin::PANEL,
                        actor: &user.user_id,
                    };
                    (link, card::hash(preview))
                })
                .collect();
            let linked = state.sync.store().link_written_cards(&links).await;
            for ((index, ..), key) in planned.iter().zip(&keys) {
                results[*index].outcome = match &linked {
                    Ok(()) => ItemOutcome::Added {
                        item_id: key.item_id.clone(),
                    },
                    Err(_) => ItemOutcome::Partly {
                        item_id: key.item_id.clone(),
                        warning: "The card is on the board but could not be linked to its record; \
                                  connect it from the card."
                            .to_owned(),
                    },
                };
            }
            if let Err(error) = linked {
                tracing::error!(%error, "linking cards the panel added");
            }
        }
        Err(failure) => {
            if let Some(stop) = whole_request(&failure.error) {
                return Err(stop);
            }
            tracing::warn!(error = %failure.error, "a bulk create from the panel failed");
            for (index, ..) in &planned {
                results[*index].outcome = failed(&failure.error);
            }
        }
    }
    Ok(results)
}

/// A new record from the panel's form: validated, its card created, then
/// the record stored linked to the card. Nothing is stored if Miro does not
/// take the card.
pub async fn create(panel: &Panel, request: NewRecordRequest) -> Result<CreatedRecord, PanelError> {
    let session = panel.session(&request.session)?;
    let state = &panel.state;
    let template = state.sync.template();
    // A new record is kept here: it has no tool, whatever the caller says
    // (a forged `source` would link its card to any address).
    let fields = RecordFields {
        source: SourceDetails::default(),
        ..request.fields
    };
    let errors = validate_record(&fields, template);
    if !errors.is_empty() {
        return Err(PanelError::Invalid(errors));
    }
    if !finite(request.at) {
        return Err(PanelError::BadRequest(
            "The card's position is not a point on the board.".to_owned(),
        ));
    }
    let user = session.user();
    let access = panel.board_access(&user, &session.board_id).await?;
    let placed = place_record(
        panel,
        &access,
        &user,
        &session.board_id,
        &fields,
        request.at,
        None,
    )
    .await;
    match placed {
        Ok(created) => Ok(created),
        Err(outcome) => Err(match outcome {
            Placed::Stop(error) => error,
            Placed::Item(ItemOutcome::Failed { reason, .. }) => PanelError::Unavailable(reason),
            Placed::Item(_) => PanelError::Unavailable("the card was not created".to_owned()),
        }),
    }
}

/// Why a record was not placed: the whole request stops, or this item
/// failed.
enum Placed {
    Stop(PanelError),
    Item(ItemOutcome),
}

/// Creates a card showing `fields` at `at` (inside `parent`, if given),
/// then stores the record linked to it. If the store fails, the card is
/// taken off the board again, so a retry makes no duplicate.
async fn place_record(
    panel: &Panel,
    access: &Access,
    user: &TokenKey,
    board: &str,
    fields: &RecordFields,
    at: Point,
    parent: Option<miro::ParentRef>,
) -> Result<CreatedRecord, Placed> {
    let state = &panel.state;
    let preview = render_card(fields, CardStatus::Connected, state.sync.template());
    let write = AppCardWrite {
        parent,
        ..card_at(&preview, at)
    };
    let created = state
        .oauth
        .client
        .create_app_card(access, board, &write)
        .await
        .map_err(|error| match whole_request(&error) {
            Some(stop) => Placed::Stop(stop),
            None => Placed::Item(failed(&error)),
        })?;
    let key = CardKey::new(board, created.id.as_str());
    let stored = state
        .sync
        .store()
        .create_linked_record(
            NewRecord {
                connector: BUILTIN,
                external_id: None,
                fields,
                origin: origin::PANEL,
                actor: &user.user_id,
                scope: &team_scope(&user.team_id),
            },
            &key,
            user,
            &card::hash(&preview),
        )
        .await;
    match stored {
        Ok(record) => Ok(CreatedRecord {
            record: record.snapshot,
            item_id: created.id,
        }),
        Err(error) => {
            tracing::error!(%error, "storing a record the panel created");
            if let Err(error) = state
                .oauth
                .client
                .delete_item(access, board, &created.id)
                .await
            {
                tracing::error!(%error, item = %created.id, "removing a card whose record was not stored");
            }
            Err(Placed::Item(ItemOutcome::Failed {
                reason: "The record could not be stored; nothing was changed. Try again."
                    .to_owned(),
                retryable: true,
            }))
        }
    }
}

/// A record's fields from a sticky note's content: its text as the title
/// (cut to fit), and the whole note as the description when the title had
/// to be cut.
fn fields_from_note(content: &str, status: String) -> Result<RecordFields, String> {
    let unreadable = |_| "The sticky note's text cannot be read.".to_owned();
    let text = html_to_text(content).map_err(unreadable)?;
    if text.is_empty() {
        return Err("The sticky note is empty.".to_owned());
    }
    let cut = text.chars().count() > MAX_TITLE_CHARS;
    let title: String = if cut {
        let mut title: String = text.chars().take(MAX_TITLE_CHARS - 1).collect();
        title.push('…');
        title
    } else {
        text
    };
    let description = if cut {
        miro_html_to_markdown(content).map_err(unreadable)?
    } else {
        String::new()
    };
    Ok(RecordFields {
        title,
        description,
        status,
        ..RecordFields::default()
    })
}

/// Turns sticky notes into records with cards at the notes' places, one
/// note at a time; a note is removed only once its card and record exist.
pub async fn convert(
    panel: &Panel,
    request: StickyNotesRequest,
) -> Result<Vec<ItemResult>, PanelError> {
    let session = panel.session(&request.session)?;
    let ids = request.sticky_note_ids;
    if ids.is_empty() {
        return Err(PanelError::BadRequest(
            "Select one or more sticky notes on the board first.".to_owned(),
        ));
    }
    if ids.len() > BULK_CHUNK {
        return Err(PanelError::BadRequest(format!(
            "At most {BULK_CHUNK} sticky notes go in one request; the panel sends more in turns."
        )));
    }
    let unique: HashSet<&String> = ids.iter().collect();
    if unique.len() != ids.len()
        || ids.iter().any(|id| {
            id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric())
        })
    {
        return Err(PanelError::BadRequest(
            "The selection names an item twice or an item id that cannot be.".to_owned(),
        ));
    }
    let user = session.user();
    let board = session.board_id.as_str();
    let access = panel.board_access(&user, board).await?;
    let client = &panel.state.oauth.client;
    let status = panel.state.sync.template().default_status().key.clone();
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let outcome = match client.item(&access, board, &id).await {
            Err(MiroError::NotFound(_)) => refused("The sticky note is no longer on the board."),
            Err(error) => match whole_request(&error) {
                Some(stop) => return Err(stop),
                None => failed(&error),
            },
            Ok(item) if item.kind != "sticky_note" => refused("This item is not a sticky note."),
            Ok(item) => {
                let content = item
                    .data
                    .get("content")
                    .and_then(|c| c.as_str())
                    .unwrap_or("");
                let at = item
                    .position
                    .map_or(Point::default(), |p| Point { x: p.x, y: p.y });
                match fields_from_note(content, status.clone()) {
                    Err(reason) => refused(reason),
                    Ok(fields) => {
                        match place_record(
                            panel,
                            &access,
                            &user,
                            board,
                            &fields,
                            at,
                            item.parent.clone(),
                        )
                        .await
                        {
                            Err(Placed::Stop(stop)) => return Err(stop),
                            Err(Placed::Item(outcome)) => outcome,
                            Ok(created) => match client.delete_item(&access, board, &id).await {
                                Ok(()) | Err(MiroError::NotFound(_)) => ItemOutcome::Added {
                                    item_id: created.item_id,
                                },
                                Err(error) => ItemOutcome::Partly {
                                    item_id: created.item_id,
                                    warning: format!(
                                        "The card is on the board, but the sticky note could not \
                                         be removed ({error}); remove it yourself."
                                    ),
                                },
                            },
                        }
                    }
                }
            }
        };
        results.push(ItemResult { key: id, outcome });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_becomes_a_title_and_a_long_one_keeps_its_text_as_the_description() {
        let fields =
            fields_from_note("<p>Call the <b>supplier</b></p>", "todo".to_owned()).unwrap();
        assert_eq!(fields.title, "Call the supplier");
        assert_eq!(fields.description, "");
        assert_eq!(fields.status, "todo");

        let long = format!("<p>{}</p>", "word ".repeat(100));
        let fields = fields_from_note(&long, "todo".to_owned()).unwrap();
        assert_eq!(fields.title.chars().count(), MAX_TITLE_CHARS);
        assert!(fields.title.ends_with('…'));
        assert!(fields.description.starts_with("word word"));

        assert!(fields_from_note("<p> </p>", "todo".to_owned()).is_err());
        let deep = "<b>".repeat(200);
        assert!(fields_from_note(&deep, "todo".to_owned()).is_err());
    }
}
