//! The source files below a folder: every front-end's extensions, `.gitignore` & co
//! honoured (also outside git repositories), config `exclude` applied, links not followed
//! into folders.

use std::path::{Path, PathBuf};

use analyzer::LoadedConfig;

/// How a folder is walked.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Take a link to a file (or a dangling link, reported when read) as a file.
    pub file_links: bool,
    /// A folder below the walked one that is left out with all it holds.
    pub skip: Option<PathBuf>,
}

/// What walking found: source files in walk order, and what could not be walked.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<PathBuf>,
    pub errors: Vec<ignore::Error>,
}

/// Walk `root` for the files some front-end reads.
pub fn source_files(root: &Path, config: &LoadedConfig, options: &WalkOptions) -> Walked {
    let filter_config = config.clone();
    let skip = options.skip.clone();
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(true)
        // `.gitignore` is honoured in trees that are not (yet) git repositories too.
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |entry| {
            entry.depth() == 0
                || !(filter_config.is_excluded(entry.path())
                    || skip.as_deref().is_some_and(|s| entry.path().starts_with(s)))
        })
        .build();
    let mut out = Walked::default();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                out.errors.push(err);
                continue;
            }
        };
        let Some(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() || !crate::is_source(entry.path()) {
            continue;
        }
        // Links are not followed into folders.
        if file_type.is_symlink() && (!options.file_links || entry.path().is_dir()) {
            continue;
        }
        out.files.push(entry.into_path());
    }
    out
}
