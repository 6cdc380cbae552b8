//! The built site as the server knows it: the files whose names carry
//! their content's hash (read from the `hash.txt` cargo-leptos writes beside
//! the server binary), the files the pages link, and where the panel's own
//! bundle is built. Read once, at start-up; served by `web::assets`.

use std::{collections::HashSet, path::PathBuf, sync::Arc};

use leptos::config::LeptosOptions;

/// The files of the site whose names carry their content's hash, as URL
/// paths (`/pkg/miro-cards.<hash>.wasm`).
#[derive(Clone, Debug, Default)]
pub struct HashedAssets(Arc<HashSet<String>>);

impl HashedAssets {
    /// Reads the hash file cargo-leptos wrote beside the running binary.
    /// Empty when the site was built without hashed names.
    pub fn load(options: &LeptosOptions) -> Self {
        if !options.hash_files {
            return Self::default();
        }
        let Some(path) = hash_file_path(options) else {
            return Self::default();
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, options),
            Err(err) => {
                tracing::warn!(path = %path.display(), "cannot read the asset hash file: {err}");
                Self::default()
            }
        }
    }

    /// The hashed paths that a hash file's text (`js: <hash>` lines) names.
    pub fn parse(text: &str, options: &LeptosOptions) -> Self {
        let names = text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(kind, hash)| {
                format!(
                    "/{}/{}.{}.{}",
                    options.site_pkg_dir.trim_matches('/'),
                    options.output_name,
                    hash.trim(),
                    kind.trim()
                )
            })
            .collect();
        Self(Arc::new(names))
    }

    /// These and `other`'s.
    pub fn with(self, other: &Self) -> Self {
        let mut names = (*self.0).clone();
        names.extend(other.0.iter().cloned());
        Self(Arc::new(names))
    }

    /// Whether `path` is one of the hashed files.
    pub fn contains(&self, path: &str) -> bool {
        self.0.contains(path)
    }
}

/// The files a project's pages link (its stylesheet, JS glue and WASM),
/// under the names its hash file gives them; read once, at start-up.
pub fn page_files(options: &LeptosOptions) -> app::PageFiles {
    let hashes = options
        .hash_files
        .then(|| hash_file_path(options))
        .flatten()
        .and_then(|path| match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(err) => {
                tracing::warn!(path = %path.display(), "cannot read the asset hash file: {err}");
                None
            }
        });
    app::PageFiles::of(options, hashes.as_deref())
}

/// Where cargo-leptos writes the hash file: beside the server binary (this
/// is also where Leptos's own components would read it).
pub fn hash_file_path(options: &LeptosOptions) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(options.hash_file.as_ref()))
}

/// Where the panel's bundle is: cargo-leptos's second project
/// (`miro-cards-panel`) builds it into a site of its own beside the main
/// one, `<site root>-panel`, under `panel-pkg/`, with its hash file
/// `panel-hash.txt` beside the server binary. The page finds it with these
/// options; the router serves that folder at `/panel-pkg/`.
pub fn panel_options(site: &LeptosOptions) -> LeptosOptions {
    let mut panel = site.clone();
    panel.site_root = format!("{}-panel", site.site_root.trim_end_matches('/')).into();
    panel.site_pkg_dir = PANEL_PKG_DIR.into();
    panel.hash_file = "panel-hash.txt".into();
    let built = hash_file_path(&panel).is_some_and(|path| path.is_file());
    // Hashed names only where the build made them; a build without them
    // serves plain names (a debug build without `hash-files`).
    panel.hash_files = site.hash_files && built;
    if site.hash_files && !built {
        tracing::warn!(
            "the panel's bundle is not built (no panel-hash.txt beside the server): \
             `cargo leptos build` builds it"
        );
    }
    panel
}

/// The panel bundle's folder, in its site and in URLs.
pub const PANEL_PKG_DIR: &str = "panel-pkg";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_file_names_the_bundle_paths() {
        let options = LeptosOptions::builder()
            .output_name("miro-cards")
            .site_pkg_dir("pkg")
            .build();
        let hashed = HashedAssets::parse("js: abc\nwasm: d-e_f\ncss: 123\n", &options);
        assert!(hashed.contains("/pkg/miro-cards.abc.js"));
        assert!(hashed.contains("/pkg/miro-cards.d-e_f.wasm"));
        assert!(hashed.contains("/pkg/miro-cards.123.css"));
        assert!(!hashed.contains("/pkg/miro-cards.js"));
        assert!(!hashed.contains("/tickets.js"));
    }
}
