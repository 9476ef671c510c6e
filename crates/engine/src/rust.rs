//! The Rust front-end: lang-rust's pass-1 facts merged into a `CrateIndex` (transaction
//! types, begins and closure helpers of every file), its analysis, the rewriter's Rust
//! rounds.

use std::path::Path;

use analyzer::classify::FileClass;
use analyzer::{InputError, LoadedConfig, SourceFile};
use codemod_core::block::{suppressed_by, BlockInfo};
use codemod_core::Language;
use lang_rust::{CrateIndex, RustFacts};
use rewriter::{FilePlan, PlanError, PlannedFinding, Selection};

use crate::Frontend;

pub struct Rust;

impl Frontend for Rust {
    type Facts = RustFacts;
    type Index = CrateIndex;

    fn language(&self) -> Language {
        Language::Rust
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["rs"]
    }

    fn project_markers(&self) -> &'static [&'static str] {
        &["Cargo.toml"]
    }

    fn line_comment(&self) -> &'static str {
        "//"
    }

    fn may_define_facts(&self, text: &str) -> bool {
        lang_rust::may_define_facts(text)
    }

    fn facts(&self, file: &SourceFile) -> Result<RustFacts, InputError> {
        let edition = rewriter::rust_file(&file.path).edition;
        Ok(lang_rust::collect_facts(&file.text, edition))
    }

    fn index(&self, _root: &Path, _config: &LoadedConfig, facts: Vec<RustFacts>) -> CrateIndex {
        CrateIndex::build(facts)
    }

    fn may_contain_blocks(&self, _index: &CrateIndex, text: &str) -> bool {
        lang_rust::may_contain_blocks(text)
    }

    fn plan(
        &self,
        index: &CrateIndex,
        file: SourceFile,
        selection: Selection,
        keep: &dyn Fn(&PlannedFinding) -> bool,
    ) -> Result<FilePlan, PlanError> {
        let rust = rewriter::rust_file(&file.path);
        rewriter::plan_rust_file_in(file, rust, index, selection, keep)
    }

    fn plan_described(
        &self,
        index: &CrateIndex,
        file: SourceFile,
        selection: Selection,
    ) -> Result<FilePlan, PlanError> {
        let rust = rewriter::rust_file(&file.path);
        let mut plan = rewriter::plan_rust_file_in(file, rust, index, selection, |_| true)?;
        let original: Vec<PlannedFinding> = plan
            .findings
            .iter()
            .filter(|f| f.follows.is_none())
            .cloned()
            .collect();
        plan.blocks = Some(Ok(describe(&plan.file, rust.edition, &original)));
        Ok(plan)
    }

    fn file_class(&self, path: &Path, rel: &Path) -> FileClass {
        rust_file_class(path, rel)
    }
}

/// A crate's `tests/`, `benches/` and `examples/` are test code; elsewhere the path
/// decides, as for Python.
fn rust_file_class(path: &Path, rel: &Path) -> FileClass {
    if rewriter::rust_file(path).is_test_code {
        FileClass::Test
    } else {
        analyzer::classify::classify(rel)
    }
}

/// Block information for every finding of one Rust file, in the findings' order:
/// lang-rust's block facts; suppressions are `// codemod: ignore[RS001]` on the block's
/// first line or on comment lines right above it.
fn describe(
    file: &SourceFile,
    edition: lang_rust::Edition,
    findings: &[PlannedFinding],
) -> Vec<BlockInfo> {
    let ranges: Vec<std::ops::Range<usize>> = findings
        .iter()
        .map(|f| f.range.start().to_usize()..f.range.end().to_usize())
        .collect();
    lang_rust::describe(&file.text, edition, &ranges)
        .into_iter()
        .zip(findings)
        .map(|(facts, f)| BlockInfo {
            suppressed: suppressed_by(&facts.comments),
            shape: format!("{}: {}", f.kind, facts.shape),
            scope: facts.scope,
            class: facts.class,
            session: facts.session,
            start_line: facts.start_line,
            end_line: facts.end_line,
            session_lines: facts.session_lines,
            details: Default::default(),
            header: facts.header,
            text: facts.text,
        })
        .collect()
}
