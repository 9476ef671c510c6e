//! The one place a file's language picks its front-end: which skip markers apply, which
//! cheap text test says the file cannot hold a block, and which planner plans it. Every
//! command that plans files (`plan`, `apply`, `apply -i`, `audit`, `report`, `migrate`)
//! goes through here.

use std::path::Path;

use analyzer::{ProjectIndex, SourceFile};
use codemod_core::Language;
use lang_rust::CrateIndex;

use crate::{FilePlan, PlanError, PlannedFinding, Selection};

/// A file some front-end reads when a folder is walked: `*.py` or `*.rs`.
pub fn is_source(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "py" || e == "rs")
}

/// The language a file is read as: Rust for `*.rs`, else Python (a file the user named
/// is read as Python whatever its name).
pub fn language_of(path: &Path) -> Language {
    if path.extension().is_some_and(|e| e == "rs") {
        Language::Rust
    } else {
        Language::Python
    }
}

/// Why the file is left alone on purpose (`@generated`, a `codemod: skip-file` comment
/// in the language's comment syntax), if it is.
pub fn skip_reason(file: &SourceFile) -> Option<&'static str> {
    let comment = match language_of(&file.path) {
        Language::Python => "#",
        Language::Rust => "//",
    };
    analyzer::skip_reason_in(&file.text, comment)
}

/// False when the text cannot hold a block, so the file need not be parsed.
pub fn may_contain_blocks(file: &SourceFile, index: &ProjectIndex) -> bool {
    match language_of(&file.path) {
        Language::Python => index.may_contain_blocks(&file.text),
        Language::Rust => may_manage_transactions(&file.text),
    }
}

/// Plan one file with its language's front-end, applying the selected rewrites `keep`
/// accepts. `index` is the Python project index (Rust files resolve within the file: no
/// Rust pass 1 runs yet, so they get an empty `CrateIndex`).
pub fn plan_source(
    file: SourceFile,
    index: &ProjectIndex,
    selection: Selection,
    keep: impl Fn(&PlannedFinding) -> bool,
) -> Result<FilePlan, PlanError> {
    match language_of(&file.path) {
        Language::Python => crate::plan_file_selected(file, index, selection, keep),
        Language::Rust => {
            let rust = crate::rust_crate::rust_file(&file.path);
            crate::plan_rust_file_in(file, rust, &CrateIndex::default(), selection, keep)
        }
    }
}

/// Words every Rust transaction shape mentions (any case).
fn may_manage_transactions(text: &str) -> bool {
    const WORDS: [&[u8]; 4] = [b"transaction", b"begin", b"commit", b"rollback"];
    let bytes = text.as_bytes();
    WORDS.iter().any(|w| {
        bytes
            .windows(w.len())
            .any(|window| window.eq_ignore_ascii_case(w))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_picks_the_language_and_its_comment_syntax() {
        assert_eq!(language_of(Path::new("src/lib.rs")), Language::Rust);
        assert_eq!(language_of(Path::new("app/db.py")), Language::Python);
        assert_eq!(language_of(Path::new("script")), Language::Python);
        let rust = SourceFile::from_text(Path::new("a.rs"), "// codemod: skip-file\n".into());
        assert!(skip_reason(&rust).is_some());
        let python = SourceFile::from_text(Path::new("a.py"), "// codemod: skip-file\n".into());
        assert!(skip_reason(&python).is_none());
    }

    #[test]
    fn rust_files_without_transaction_words_are_not_parsed() {
        assert!(may_manage_transactions("let tx = conn.Transaction()?;"));
        assert!(may_manage_transactions("conn.execute_batch(\"BEGIN\")"));
        assert!(!may_manage_transactions("fn main() { println!(\"hi\"); }"));
    }
}
