//! The import's memory: which item each key became, per board, in a JSON
//! file next to the input. Written through a temporary file and a rename
//! after every change, so an interrupted import never leaves it half
//! written and a re-run never creates a card twice.

use std::{collections::BTreeMap, path::PathBuf};

/// `{board id: {key: item id}}`.
pub struct ImportState {
    path: PathBuf,
    boards: BTreeMap<String, BTreeMap<String, String>>,
}

impl ImportState {
    pub fn load(path: PathBuf) -> Result<Self, String> {
        let boards = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| format!("{}: not an import state file: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Ok(Self { path, boards })
    }

    pub fn item(&self, board: &str, key: &str) -> Option<&String> {
        self.boards.get(board)?.get(key)
    }

    /// Records `key → item` and writes the file.
    pub fn set(&mut self, board: &str, key: &str, item: &str) -> Result<(), String> {
        self.boards
            .entry(board.to_owned())
            .or_default()
            .insert(key.to_owned(), item.to_owned());
        let text = serde_json::to_string_pretty(&self.boards).expect("maps of strings serialize");
        let temporary = self.path.with_extension("json.tmp");
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, &self.path))
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}
