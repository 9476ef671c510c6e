//! What a Rust file's crate says about it: the edition its `Cargo.toml` names, and
//! whether the file is test code by the crate's layout (`tests/`, `benches/`,
//! `examples/` beside the manifest).

use std::path::{Path, PathBuf};

use lang_rust::{Edition, StatedEdition};

use crate::RustFile;

/// Folders of a crate whose files are test code, not the library or binary.
const TEST_FOLDERS: [&str; 3] = ["tests", "benches", "examples"];

/// The crate a file belongs to: the nearest folder above it holding `Cargo.toml`.
fn crate_root(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .find(|dir| dir.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

/// Edition and test-code flag of the Rust file at `path` (absolute). The edition is the
/// one Cargo builds the crate with: named in the manifest, inherited from the workspace,
/// 2015 for a package that names none; 2021 when there is no readable manifest.
pub fn rust_file(path: &Path) -> RustFile {
    let Some(root) = crate_root(path) else {
        return RustFile::default();
    };
    RustFile {
        edition: crate_edition(&root),
        is_test_code: is_test_path(&root, path),
    }
}

fn crate_edition(root: &Path) -> Edition {
    let Ok(manifest) = std::fs::read_to_string(root.join("Cargo.toml")) else {
        return Edition::default();
    };
    match lang_rust::stated_edition(&manifest) {
        StatedEdition::Named(e) => e,
        StatedEdition::Unstated => Edition::E2015,
        StatedEdition::Unknown => Edition::default(),
        StatedEdition::FromWorkspace => root
            .ancestors()
            .skip(1)
            .filter_map(|dir| std::fs::read_to_string(dir.join("Cargo.toml")).ok())
            .find_map(|text| lang_rust::workspace_edition(&text))
            .unwrap_or_default(),
    }
}

/// The file sits in one of the crate's test folders.
fn is_test_path(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    rel.components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .is_some_and(|first| TEST_FOLDERS.contains(&first) && rel.components().count() > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edition_and_test_folders_come_from_the_nearest_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ledger");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join("tests")).unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            "[package]\nname = \"ledger\"\nedition = \"2018\"\n",
        )
        .unwrap();
        let lib = rust_file(&root.join("src/lib.rs"));
        assert_eq!(lib.edition, Edition::parse("2018").unwrap());
        assert!(!lib.is_test_code);
        assert!(rust_file(&root.join("tests/it.rs")).is_test_code);
        assert!(rust_file(&root.join("examples/demo.rs")).is_test_code);
        assert!(!rust_file(&root.join("src/tests.rs")).is_test_code);
        let loose = rust_file(&dir.path().join("loose.rs"));
        assert_eq!(loose.edition, Edition::default());
    }

    #[test]
    fn an_inherited_edition_is_the_workspace_one_and_an_unstated_one_is_2015() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        std::fs::write(
            ws.join("Cargo.toml"),
            "[workspace]\nmembers = [\"a\", \"b\"]\n[workspace.package]\nedition = \"2024\"\n",
        )
        .unwrap();
        for (name, edition) in [("a", "edition.workspace = true\n"), ("b", "")] {
            std::fs::create_dir_all(ws.join(name).join("src")).unwrap();
            std::fs::write(
                ws.join(name).join("Cargo.toml"),
                format!("[package]\nname = \"{name}\"\n{edition}"),
            )
            .unwrap();
        }
        assert_eq!(rust_file(&ws.join("a/src/lib.rs")).edition, Edition::E2024);
        assert_eq!(rust_file(&ws.join("b/src/lib.rs")).edition, Edition::E2015);
    }
}
