//! The board accesses Miro confirmed lately: when each (team, user, board)
//! access was last confirmed, so `detail::access` need not ask Miro on every
//! call. The state holds one; each caller says how old a confirmation it
//! accepts.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// A confirmation's key: team, user, board. Miro user ids are global, but
/// a user's access to a board is through one team's installation.
pub type AccessKey = (String, String, String);

/// Confirmations kept at most; beyond, the oldest half goes.
const MAX_CONFIRMATIONS: usize = 10_000;

/// When each (team, user, board) access was last confirmed by Miro.
#[derive(Clone, Default)]
pub struct BoardAccess(Arc<Mutex<HashMap<AccessKey, Instant>>>);

impl BoardAccess {
    pub fn confirmed_within(&self, key: &AccessKey, max_age: Duration) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .is_some_and(|at| at.elapsed() < max_age)
    }

    pub fn confirm(&self, key: AccessKey) {
        let mut confirmed = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if confirmed.len() >= MAX_CONFIRMATIONS {
            let mut ages: Vec<Instant> = confirmed.values().copied().collect();
            let middle = ages.len() / 2;
            let cut = *ages.select_nth_unstable(middle).1;
            confirmed.retain(|_, at| *at > cut);
        }
        confirmed.insert(key, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(team: &str, user: &str, board: &str) -> AccessKey {
        (team.to_owned(), user.to_owned(), board.to_owned())
    }

    #[test]
    fn a_confirmation_counts_for_its_team_user_and_board_only() {
        let access = BoardAccess::default();
        let minute = Duration::from_secs(60);
        access.confirm(key("t1", "u", "b"));
        assert!(access.confirmed_within(&key("t1", "u", "b"), minute));
        // The same user id through another team's installation is asked anew.
        assert!(!access.confirmed_within(&key("t2", "u", "b"), minute));
        assert!(!access.confirmed_within(&key("t1", "u", "c"), minute));
        assert!(!access.confirmed_within(&key("t1", "u", "b"), Duration::ZERO));
    }

    #[test]
    fn confirmations_stay_bounded() {
        let access = BoardAccess::default();
        for n in 0..MAX_CONFIRMATIONS * 3 {
            access.confirm(key("t", &n.to_string(), "b"));
        }
        let kept = access.0.lock().unwrap().len();
        assert!(kept <= MAX_CONFIRMATIONS, "{kept}");
        let last = (MAX_CONFIRMATIONS * 3 - 1).to_string();
        assert!(access.confirmed_within(&key("t", &last, "b"), Duration::from_secs(60)));
    }
}
