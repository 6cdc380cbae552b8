//! What putting records on a board costs, from Miro's published figures,
//! so the panel can say so before a large import (the dry run) and the
//! import then spends exactly that.
//!
//! Miro creates at most 20 items per bulk request, and a bulk create costs
//! a Level 2 operation (100 credits) per item. The server's tests check
//! these against the Miro client's own constants.

use serde::{Deserialize, Serialize};

/// Items per bulk create request.
pub const BULK_CHUNK: usize = 20;
/// Rate-limit credits one item of a bulk create costs.
pub const CREDITS_PER_BULK_ITEM: u64 = 100;
/// Miro's credit budget per user and app per minute.
pub const CREDITS_PER_MINUTE: u64 = 100_000;

/// The cost of adding some cards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPlan {
    pub cards: u64,
    /// Bulk create requests to Miro.
    pub rest_calls: u64,
    pub credits: u64,
}

impl ImportPlan {
    /// What adding `cards` cards costs.
    pub fn for_cards(cards: usize) -> Self {
        Self {
            cards: cards as u64,
            rest_calls: cards.div_ceil(BULK_CHUNK) as u64,
            credits: cards as u64 * CREDITS_PER_BULK_ITEM,
        }
    }

    /// The share of a minute's credit budget it takes, in whole percent
    /// (rounded up, so a cost is never shown as 0 %).
    pub fn budget_percent(&self) -> u64 {
        (self.credits * 100).div_ceil(CREDITS_PER_MINUTE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_chunks_of_twenty_and_credits_are_per_card() {
        assert_eq!(
            ImportPlan::for_cards(0),
            ImportPlan {
                cards: 0,
                rest_calls: 0,
                credits: 0
            }
        );
        assert_eq!(ImportPlan::for_cards(1).rest_calls, 1);
        assert_eq!(ImportPlan::for_cards(20).rest_calls, 1);
        assert_eq!(ImportPlan::for_cards(21).rest_calls, 2);
        let plan = ImportPlan::for_cards(45);
        assert_eq!((plan.cards, plan.rest_calls, plan.credits), (45, 3, 4_500));
        assert_eq!(plan.budget_percent(), 5);
        assert_eq!(ImportPlan::for_cards(1).budget_percent(), 1);
    }
}
