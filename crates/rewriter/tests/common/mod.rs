//! Helpers shared by the integration tests: the repository root, the Python files of a
//! tree, and the project index built the way the CLI builds it (pass 1 over every file).

pub mod python;

use std::path::{Path, PathBuf};

use analyzer::{LoadedConfig, ProjectIndex, SourceFile};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.py` file under `dir`, sorted.
pub fn py_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "py") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Pass 1 over `files` (those that read and parse) with the config found from `config_dir`.
pub fn build_index(config_dir: &Path, files: &[PathBuf]) -> ProjectIndex {
    let config = LoadedConfig::discover(config_dir).unwrap();
    let facts = files
        .iter()
        .filter_map(|p| {
            let f = SourceFile::read(p).ok()?;
            let parsed = analyzer::parse(&f).ok()?;
            Some(analyzer::collect_facts(
                &f,
                &parsed,
                analyzer::module_name(p),
            ))
        })
        .collect();
    ProjectIndex::build_in(&project_root(config_dir, files), config, facts)
}

/// The folder holding `config_dir` and every file: single-file cases import the fixture
/// beside their folder, so their project is `testdata/`.
fn project_root(config_dir: &Path, files: &[PathBuf]) -> PathBuf {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut root = canonical(config_dir);
    for f in files {
        let f = canonical(f);
        while !f.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    root
}
