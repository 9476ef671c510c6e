//! A project: every language's index after pass 1, and pass 2 against them. The one
//! place where a file's language picks its front-end.

use std::path::{Path, PathBuf};

use analyzer::classify::FileClass;
use analyzer::{InputError, LoadedConfig, ProjectIndex, SourceFile};
use codemod_core::Language;
use rayon::prelude::*;
use rewriter::{FilePlan, PlanError, PlannedFinding, Selection};

use crate::{guarded, Frontend, Progress, Python, Rust};

/// Files a project's own tooling marks its root with, beside each language's.
const TOOL_MARKERS: [&str; 2] = ["codemod.toml", ".git"];

/// A file some front-end reads when a folder is walked.
pub fn is_source(path: &Path) -> bool {
    Python.reads(path) || Rust.reads(path)
}

/// The language a file is read as: Rust for Rust's extensions, else Python (a file the
/// user named is read as Python whatever its name).
pub fn language_of(path: &Path) -> Language {
    if Rust.reads(path) {
        Language::Rust
    } else {
        Language::Python
    }
}

/// What marks a project's root folder: each language's packaging files, our config, a
/// repository.
pub fn project_markers() -> impl Iterator<Item = &'static str> {
    let python = Python.project_markers().iter();
    let rust = Rust.project_markers().iter();
    python.chain(rust).chain(TOOL_MARKERS.iter()).copied()
}

/// The class of the file at `path` (`rel`: relative to the project root), by its
/// language's rules.
pub fn file_class(path: &Path, rel: &Path) -> FileClass {
    match language_of(path) {
        Language::Python => Python.file_class(path, rel),
        Language::Rust => Rust.file_class(path, rel),
    }
}

/// Why the file is left alone on purpose (`@generated`, a `codemod: skip-file` comment
/// in the language's comment syntax), if it is.
pub fn skip_reason(file: &SourceFile) -> Option<&'static str> {
    let comment = match language_of(&file.path) {
        Language::Python => Python.line_comment(),
        Language::Rust => Rust.line_comment(),
    };
    analyzer::skip_reason_in(&file.text, comment)
}

/// Why pass 1 has no facts of a file.
#[derive(Debug)]
pub enum IndexFailure {
    Input(InputError),
    /// A bug: the message of a panic while the file was read.
    Panic(String),
}

/// What pass 2 made of one file.
#[derive(Debug)]
pub enum Outcome {
    Unreadable(InputError),
    /// Left alone on purpose (the reason).
    Skipped(&'static str),
    /// The text cannot hold a block: not parsed.
    NoBlocks,
    /// Parsed and planned (or refused).
    Planned(Result<FilePlan, PlanError>),
    /// A bug: the message of a panic while the file was planned.
    Panicked(String),
}

/// Every language's index.
pub struct Project {
    python: ProjectIndex,
    rust: <Rust as Frontend>::Index,
}

/// A project and the files pass 1 could not read, by their position in its input.
pub struct Indexed {
    pub project: Project,
    pub failures: Vec<(usize, IndexFailure)>,
}

impl Project {
    /// Pass 1 over `files` (absolute, each once), in parallel.
    pub fn index(
        root: &Path,
        config: LoadedConfig,
        files: &[PathBuf],
        label: Option<&'static str>,
    ) -> Indexed {
        let progress = Progress::new(files.len(), label);
        let (python, mut failures) = pass_one(&Python, root, &config, files, &progress);
        let (rust, rust_failures) = pass_one(&Rust, root, &config, files, &progress);
        failures.extend(rust_failures);
        failures.sort_by_key(|(i, _)| *i);
        Indexed {
            project: Project { python, rust },
            failures,
        }
    }

    /// The Python project index (guards, factories, the config it was built with).
    pub fn python(&self) -> &ProjectIndex {
        &self.python
    }

    /// False when the file's text cannot hold a block.
    pub fn may_contain_blocks(&self, file: &SourceFile) -> bool {
        match language_of(&file.path) {
            Language::Python => Python.may_contain_blocks(&self.python, &file.text),
            Language::Rust => Rust.may_contain_blocks(&self.rust, &file.text),
        }
    }

    /// Plan one file with its language's front-end, applying the selected rewrites `keep`
    /// accepts.
    pub fn plan(
        &self,
        file: SourceFile,
        selection: Selection,
        keep: &dyn Fn(&PlannedFinding) -> bool,
    ) -> Result<FilePlan, PlanError> {
        match language_of(&file.path) {
            Language::Python => Python.plan(&self.python, file, selection, keep),
            Language::Rust => Rust.plan(&self.rust, file, selection, keep),
        }
    }

    /// `plan` with the blocks of the findings described (`FilePlan::blocks`).
    pub fn plan_described(
        &self,
        file: SourceFile,
        selection: Selection,
    ) -> Result<FilePlan, PlanError> {
        match language_of(&file.path) {
            Language::Python => Python.plan_described(&self.python, file, selection),
            Language::Rust => Rust.plan_described(&self.rust, file, selection),
        }
    }

    /// Pass 2 for the file at `path`: read, skip markers, prefilter, plan (with its blocks
    /// described when `describe`); a panic is the file's outcome, not the run's end.
    pub fn plan_path(&self, path: &Path, selection: Selection, describe: bool) -> Outcome {
        guarded(|| self.plan_read(path, selection, describe)).unwrap_or_else(Outcome::Panicked)
    }

    fn plan_read(&self, path: &Path, selection: Selection, describe: bool) -> Outcome {
        let file = match SourceFile::read(path) {
            Ok(file) => file,
            Err(e) => return Outcome::Unreadable(e),
        };
        if let Some(reason) = skip_reason(&file) {
            return Outcome::Skipped(reason);
        }
        if !self.may_contain_blocks(&file) {
            return Outcome::NoBlocks;
        }
        Outcome::Planned(if describe {
            self.plan_described(file, selection)
        } else {
            self.plan(file, selection, &|_| true)
        })
    }

    /// Pass 2 over `paths` in parallel, outcomes in the same order.
    pub fn plan_paths(
        &self,
        paths: &[&Path],
        selection: Selection,
        describe: bool,
        label: Option<&'static str>,
    ) -> Vec<Outcome> {
        let progress = Progress::new(paths.len(), label);
        paths
            .par_iter()
            .map(|path| {
                let outcome = self.plan_path(path, selection, describe);
                progress.inc();
                outcome
            })
            .collect()
    }
}

/// Pass 1 of one front-end over the files that are its own.
fn pass_one<F: Frontend>(
    frontend: &F,
    root: &Path,
    config: &LoadedConfig,
    files: &[PathBuf],
    progress: &Progress,
) -> (F::Index, Vec<(usize, IndexFailure)>) {
    let own: Vec<(usize, &PathBuf)> = files
        .iter()
        .enumerate()
        .filter(|(_, p)| language_of(p) == frontend.language())
        .collect();
    let results: Vec<Result<Option<F::Facts>, IndexFailure>> = own
        .par_iter()
        .map(|(_, path)| {
            let result = guarded(|| facts_of(frontend, path))
                .unwrap_or_else(|panic| Err(IndexFailure::Panic(panic)));
            progress.inc();
            result
        })
        .collect();
    let mut facts = Vec::new();
    let mut failures = Vec::new();
    for ((i, _), result) in own.iter().zip(results) {
        match result {
            Ok(Some(f)) => facts.push(f),
            Ok(None) => {}
            Err(e) => failures.push((*i, e)),
        }
    }
    (frontend.index(root, config, facts), failures)
}

fn facts_of<F: Frontend>(frontend: &F, path: &Path) -> Result<Option<F::Facts>, IndexFailure> {
    let file = SourceFile::read(path).map_err(IndexFailure::Input)?;
    if !frontend.may_define_facts(&file.text) {
        return Ok(None);
    }
    frontend.facts(&file).map(Some).map_err(IndexFailure::Input)
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
    fn every_language_marks_project_roots() {
        let markers: Vec<&str> = project_markers().collect();
        for m in [
            "pyproject.toml",
            "setup.py",
            "Cargo.toml",
            "codemod.toml",
            ".git",
        ] {
            assert!(markers.contains(&m), "{m}");
        }
    }
}
