//! Reconciliation: a periodic pass over every board with linked cards. It
//! lists the board's app cards within a credit budget, unlinks the linked
//! cards that are gone (the records stay), and queues a rewrite of the
//! ones whose content drifted from their record.
//!
//! A card is declared gone only when the whole board was listed: if the
//! budget runs out first, the pass rewrites what it saw and unlinks
//! nothing, and the next pass tries again.

use std::collections::HashMap;

use super::{card, SyncEngine, SyncError};
use crate::{
    miro::{ItemFilter, MiroError, TokenKey},
    store::{origin, LogEntry, Unlink},
};

/// Listing one page of items is a level-2 call.
const CREDITS_PER_PAGE: u64 = 100;

/// What a pass did on one board.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoardReport {
    pub listed: usize,
    pub unlinked: usize,
    pub rewritten: usize,
    /// The budget ran out before the last page.
    pub incomplete: bool,
    pub error: Option<String>,
}

impl SyncEngine {
    /// One pass over every linked board.
    pub async fn reconcile_all(&self) -> Result<Vec<(String, BoardReport)>, SyncError> {
        let mut reports = Vec::new();
        for (board_id, owner) in self.store().linked_boards().await? {
            let report = self
                .reconcile_board(&board_id, &owner, self.settings().reconcile_credits)
                .await?;
            reports.push((board_id, report));
        }
        Ok(reports)
    }

    /// One board, spending at most `credits`.
    pub async fn reconcile_board(
        &self,
        board_id: &str,
        owner: &TokenKey,
        credits: u64,
    ) -> Result<BoardReport, SyncError> {
        let mut report = BoardReport::default();
        let links = self.store().links_on_board(board_id).await?;
        if links.is_empty() {
            return Ok(report);
        }
        let access = match self.tokens().access(owner).await {
            Ok(access) => access,
            Err(error) => {
                report.error = Some(error.to_string());
                return Ok(report);
            }
        };
        let mut seen = HashMap::new();
        let mut pages = self.inner.miro.items(
            &access,
            board_id,
            ItemFilter {
                kind: Some("app_card".to_owned()),
                limit: Some(50),
            },
        );
        let mut spent = 0;
        let mut board_gone = false;
        loop {
            if spent + CREDITS_PER_PAGE > credits {
                report.incomplete = true;
                break;
            }
            spent += CREDITS_PER_PAGE;
            match pages.next_page().await {
                None => break,
                Some(Ok(items)) => {
                    for item in items {
                        seen.insert(item.id.clone(), item);
                    }
                }
                Some(Err(MiroError::NotFound(_))) => {
                    board_gone = true;
                    break;
                }
                Some(Err(error)) => {
                    report.error = Some(error.to_string());
                    return Ok(report);
                }
            }
        }
        report.listed = seen.len();
        for link in links {
            let card = &link.card;
            match seen.get(&card.item_id) {
                None if !report.incomplete || board_gone => {
                    self.store()
                        .unlink_card(card, Unlink::Gone, origin::RECONCILE)
                        .await?;
                    report.unlinked += 1;
                }
                None => {}
                Some(item) => {
                    let Some(data) = item.app_card_data() else {
                        continue;
                    };
                    let Some(preview) = self.preview(&link).await? else {
                        continue;
                    };
                    if card::data_drifted(&data, &preview) {
                        self.store().enqueue_write(card, origin::RECONCILE).await?;
                        report.rewritten += 1;
                    }
                }
            }
        }
        self.store()
            .append_log(&LogEntry::board(
                board_id,
                origin::RECONCILE,
                "reconcile",
                format!(
                    "listed {}, unlinked {}, rewritten {}{}",
                    report.listed,
                    report.unlinked,
                    report.rewritten,
                    if report.incomplete {
                        ", budget spent before the last page"
                    } else {
                        ""
                    }
                ),
            ))
            .await?;
        if report.rewritten > 0 {
            self.wake();
        }
        Ok(report)
    }

    /// Runs reconciliation every `reconcile_interval` until the process ends.
    pub async fn run_reconciler(self) {
        loop {
            tokio::time::sleep(self.settings().reconcile_interval).await;
            if let Err(error) = self.reconcile_all().await {
                tracing::error!(%error, "reconciliation failed");
            }
        }
    }
}
