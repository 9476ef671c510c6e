//! The Python front-end: the analyzer's facts and project index, the rewriter's rounds.

use std::path::Path;

use analyzer::classify::FileClass;
use analyzer::{FileFacts, InputError, LoadedConfig, ProjectIndex, SourceFile};
use codemod_core::Language;
use rewriter::{FilePlan, PlanError, PlannedFinding, Selection};

use crate::Frontend;

pub struct Python;

impl Frontend for Python {
    type Facts = FileFacts;
    type Index = ProjectIndex;

    fn language(&self) -> Language {
        Language::Python
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["py"]
    }

    fn project_markers(&self) -> &'static [&'static str] {
        &["pyproject.toml", "setup.cfg", "setup.py"]
    }

    fn line_comment(&self) -> &'static str {
        "#"
    }

    fn may_define_facts(&self, text: &str) -> bool {
        analyzer::may_define_facts(text)
    }

    fn facts(&self, file: &SourceFile) -> Result<FileFacts, InputError> {
        let parsed = analyzer::parse(file)?;
        Ok(analyzer::collect_facts(
            file,
            &parsed,
            analyzer::module_name(&file.path),
        ))
    }

    fn index(&self, root: &Path, config: &LoadedConfig, facts: Vec<Self::Facts>) -> ProjectIndex {
        ProjectIndex::build_in(root, config.clone(), facts)
    }

    fn may_contain_blocks(&self, index: &ProjectIndex, text: &str) -> bool {
        index.may_contain_blocks(text)
    }

    fn plan(
        &self,
        index: &ProjectIndex,
        file: SourceFile,
        selection: Selection,
        keep: &dyn Fn(&PlannedFinding) -> bool,
    ) -> Result<FilePlan, PlanError> {
        rewriter::plan_file_selected(file, index, selection, keep)
    }

    fn plan_described(
        &self,
        index: &ProjectIndex,
        file: SourceFile,
        selection: Selection,
    ) -> Result<FilePlan, PlanError> {
        rewriter::plan_file_described(file, index, selection)
    }

    fn file_class(&self, _path: &Path, rel: &Path) -> FileClass {
        analyzer::classify::classify(rel)
    }
}
