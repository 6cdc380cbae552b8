//! The board's sync health, from how each card stands with its record,
//! and how the app stands with the tools records come from.

use app::{
    cards::CardStatus,
    panel::{BoardHealth, FailedCard, SourceAccess, SourceHealth, SourceWrites},
};

use crate::{store::CardState, sync::connector::github::client::TokenAccess};

/// GitHub's line in the health view.
pub fn github_health(access: &TokenAccess, writes: SourceWrites) -> SourceHealth {
    SourceHealth {
        writes,
        arrivals: Default::default(),
        name: "GitHub".to_owned(),
        access: match access {
            TokenAccess::Unknown => SourceAccess::Unknown,
            TokenAccess::Working => SourceAccess::Working,
            TokenAccess::Refused(why) => SourceAccess::Reconnect {
                reason: format!(
                    "GitHub refused the app's token ({why}). Give the server a new \
                     GITHUB_TOKEN with access to the repositories' issues."
                ),
            },
        },
    }
}

/// Sorts the board's cards into the panel's counts: a disconnected or
/// disabled card counts as that whatever is queued for it; a linked card
/// with queued writes is failed once an attempt failed, else syncing.
pub fn summarize(states: &[CardState]) -> BoardHealth {
    let mut health = BoardHealth::default();
    for state in states {
        match state.status {
            CardStatus::Disconnected => health.disconnected += 1,
            CardStatus::Disabled => health.disabled += 1,
            CardStatus::Connected if state.pending == 0 => health.in_sync += 1,
            CardStatus::Connected if state.attempts == 0 => health.syncing += 1,
            CardStatus::Connected => health.failed.push(FailedCard {
                item_id: state.card.item_id.clone(),
                title: state.title.clone(),
                reason: state
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "the write to Miro failed".to_owned()),
                attempts: state.attempts,
            }),
        }
    }
    health
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::CardKey;

    fn card(id: &str, status: CardStatus, pending: u64, attempts: i64) -> CardState {
        CardState {
            card: CardKey::new("b", id),
            record_id: Some(format!("rec_{id}")),
            title: format!("Card {id}"),
            status,
            pending,
            attempts,
            last_error: (attempts > 0).then(|| "Miro is unavailable: 503".to_owned()),
        }
    }

    #[test]
    fn each_card_counts_once_in_the_right_place() {
        let health = summarize(&[
            card("1", CardStatus::Connected, 0, 0),
            card("2", CardStatus::Connected, 1, 0),
            card("3", CardStatus::Connected, 2, 3),
            card("4", CardStatus::Disconnected, 1, 2),
            card("5", CardStatus::Disabled, 0, 0),
            card("6", CardStatus::Connected, 0, 0),
        ]);
        assert_eq!((health.in_sync, health.syncing), (2, 1));
        assert_eq!((health.disconnected, health.disabled), (1, 1));
        assert_eq!(health.failed.len(), 1);
        assert_eq!(health.failed[0].item_id, "3");
        assert_eq!(health.failed[0].reason, "Miro is unavailable: 503");
        assert_eq!(health.failed[0].attempts, 3);
    }
}
