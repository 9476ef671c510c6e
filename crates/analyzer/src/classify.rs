//! Production code, tests, scripts and experiments: files are told apart by their path
//! relative to the project root, so the audit can show (and `--production-only` drop)
//! what does not ship.

use std::path::Path;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileClass {
    Production,
    /// `test_*.py`, `*_test.py`, `conftest.py`, anything under `tests/`.
    Test,
    /// Anything under `scripts/`, `bin/`, `tools/`; `manage.py`, `setup.py`, `noxfile.py`.
    Script,
    /// `*_fixed.py`, `*_old.py`, `*_backup.py`, `*_copy.py`...; anything under
    /// `experiments/`, `sandbox/`, `scratch/`.
    Experiment,
}

impl FileClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FileClass::Production => "production",
            FileClass::Test => "test",
            FileClass::Script => "script",
            FileClass::Experiment => "experiment",
        }
    }
}

impl std::fmt::Display for FileClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const TEST_DIRS: [&str; 4] = ["tests", "test", "testing", "__tests__"];
const SCRIPT_DIRS: [&str; 4] = ["scripts", "script", "bin", "tools"];
const SCRIPT_FILES: [&str; 4] = ["manage", "setup", "noxfile", "fabfile"];
const EXPERIMENT_DIRS: [&str; 6] = [
    "experiments",
    "experimental",
    "sandbox",
    "scratch",
    "playground",
    "attic",
];
/// Stem suffixes of copies kept next to the real file.
const EXPERIMENT_SUFFIXES: [&str; 13] = [
    "_fixed",
    "_fix",
    "_old",
    "_orig",
    "_original",
    "_backup",
    "_bak",
    "_copy",
    "_experiment",
    "_experimental",
    "_wip",
    "_scratch",
    "_tmp",
];

/// The class of a file from its path relative to the project root (`/` or native
/// separators). Tests win over experiments, experiments over scripts.
pub fn classify(rel: &Path) -> FileClass {
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().to_lowercase()),
            _ => None,
        })
        .collect();
    let Some((file, dirs)) = parts.split_last() else {
        return FileClass::Production;
    };
    let stem = file.strip_suffix(".py").unwrap_or(file);
    let has_dir = |set: &[&str]| dirs.iter().any(|d| set.contains(&d.as_str()));

    if stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem == "conftest"
        || stem == "tests"
        || has_dir(&TEST_DIRS)
    {
        return FileClass::Test;
    }
    if EXPERIMENT_SUFFIXES.iter().any(|s| stem.ends_with(s))
        || stem.contains(" copy")
        || has_dir(&EXPERIMENT_DIRS)
    {
        return FileClass::Experiment;
    }
    if has_dir(&SCRIPT_DIRS) || (dirs.is_empty() && SCRIPT_FILES.contains(&stem)) {
        return FileClass::Script;
    }
    FileClass::Production
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let c = |p: &str| classify(Path::new(p));
        assert_eq!(c("app/services/part_service.py"), FileClass::Production);
        assert_eq!(c("smoke_test.py"), FileClass::Test);
        assert_eq!(c("tests/unit/helpers.py"), FileClass::Test);
        assert_eq!(c("app/test_parts.py"), FileClass::Test);
        assert_eq!(c("pkg/conftest.py"), FileClass::Test);
        assert_eq!(
            c("src/services/domain_sitemap_submission_scheduler_fixed.py"),
            FileClass::Experiment
        );
        assert_eq!(
            c("src/session/async_session_fixed.py"),
            FileClass::Experiment
        );
        assert_eq!(c("experiments/try_pool.py"), FileClass::Experiment);
        assert_eq!(c("scripts/seed_db.py"), FileClass::Script);
        assert_eq!(c("manage.py"), FileClass::Script);
        assert_eq!(c("app/manage.py"), FileClass::Production);
        assert_eq!(c("tests/test_session_fixed.py"), FileClass::Test);
        // Not fooled by words that merely contain the markers.
        assert_eq!(c("app/latest.py"), FileClass::Production);
        assert_eq!(c("app/testimonials.py"), FileClass::Production);
        assert_eq!(c("app/prefix_service.py"), FileClass::Production);
    }
}
