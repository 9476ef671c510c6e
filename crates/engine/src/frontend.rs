//! What the engine asks of a language: which files are its own, how pass 1 reads a file
//! into facts and merges them into an index, and how pass 2 plans a file against that
//! index. The engine (walk, both passes, panics, progress) knows no language beyond this.

use std::path::Path;

use analyzer::classify::FileClass;
use analyzer::{InputError, LoadedConfig, SourceFile};
use codemod_core::Language;
use rewriter::{FilePlan, PlanError, PlannedFinding, Selection};

/// One language's front-end.
pub trait Frontend: Sync {
    /// What pass 1 keeps of one file.
    type Facts: Send;
    /// What pass 2 plans against: every file's facts merged.
    type Index: Send + Sync;

    fn language(&self) -> Language;
    /// Extensions (without the dot) of the files a walked folder contributes.
    fn extensions(&self) -> &'static [&'static str];
    /// Files whose presence marks a project root for this language.
    fn project_markers(&self) -> &'static [&'static str];
    /// What starts a line comment, for `codemod: skip-file` and ignore markers.
    fn line_comment(&self) -> &'static str;

    /// False when the text cannot define anything the index keeps (no parse needed).
    fn may_define_facts(&self, text: &str) -> bool;
    /// Pass 1: what `file` defines.
    fn facts(&self, file: &SourceFile) -> Result<Self::Facts, InputError>;
    /// Merge every file's facts. `root` is the project root, `config` its configuration.
    fn index(&self, root: &Path, config: &LoadedConfig, facts: Vec<Self::Facts>) -> Self::Index;

    /// False when the text cannot hold a block, so the file need not be parsed.
    fn may_contain_blocks(&self, index: &Self::Index, text: &str) -> bool;
    /// Pass 2: find the blocks of `file` and apply the selected rewrites `keep` accepts,
    /// in rounds to a fixed point, verified.
    fn plan(
        &self,
        index: &Self::Index,
        file: SourceFile,
        selection: Selection,
        keep: &dyn Fn(&PlannedFinding) -> bool,
    ) -> Result<FilePlan, PlanError>;

    /// `plan` with every rewrite `selection` allows, and the blocks of the original
    /// findings described (`FilePlan::blocks`): what `audit` and `report` show.
    fn plan_described(
        &self,
        index: &Self::Index,
        file: SourceFile,
        selection: Selection,
    ) -> Result<FilePlan, PlanError>;

    /// The class of the file at `path` (`rel`: relative to the project root): production,
    /// test, script or experiment.
    fn file_class(&self, path: &Path, rel: &Path) -> FileClass;

    /// Whether a walked folder's file at `path` is this front-end's.
    fn reads(&self, path: &Path) -> bool {
        path.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| self.extensions().contains(&e))
    }
}
