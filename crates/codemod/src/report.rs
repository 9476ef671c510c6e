//! What a run found, kept small: per file only the findings and the rendered diff.

use std::collections::BTreeMap;
use std::path::PathBuf;

use analyzer::{InputError, Kind, Safety};
use codemod_core::BlockInfo;
use codemod_core::Language;
use rewriter::{FilePlan, PlanError, PlannedFinding};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    Syntax,
    Encoding,
    Io,
    Internal,
}

/// A file that could not be processed.
#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    pub path: String,
    pub line: Option<usize>,
    pub kind: ErrorKind,
    pub message: String,
}

impl FileError {
    pub fn input(path: &str, err: &InputError) -> FileError {
        let kind = match err {
            InputError::NotUtf8 { .. } | InputError::NulByte { .. } => ErrorKind::Encoding,
            InputError::Io(_) | InputError::NotRegular(_) | InputError::TooLarge { .. } => {
                ErrorKind::Io
            }
            InputError::Syntax { .. } | InputError::TooDeep { .. } => ErrorKind::Syntax,
        };
        let message = match err {
            // The line is printed before the message already.
            InputError::Syntax {
                column, message, ..
            } => {
                format!("syntax error at column {column}: {message}")
            }
            InputError::TooDeep { limit, .. } => format!(
                "nested more than {limit} levels deep (CPython compiles nothing that deep \
                 either): not parsed"
            ),
            other => other.to_string(),
        };
        FileError {
            path: path.to_string(),
            line: err.line(),
            kind,
            message,
        }
    }

    pub fn plan(path: &str, err: &PlanError) -> FileError {
        match err {
            PlanError::Input(e) => FileError::input(path, e),
            PlanError::Internal { line, .. } => FileError {
                path: path.to_string(),
                line: Some(*line),
                kind: ErrorKind::Internal,
                message: err.to_string(),
            },
        }
    }

    pub fn internal(path: &str, message: String) -> FileError {
        FileError {
            path: path.to_string(),
            line: None,
            kind: ErrorKind::Internal,
            message: format!("internal error, please report: {message}"),
        }
    }

    /// `path:line: message` (line left out when unknown).
    pub fn located(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}: {}", self.path, self.message),
            None => format!("{}: {}", self.path, self.message),
        }
    }
}

/// A file left alone on purpose.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// A file with findings.
#[derive(Debug)]
pub struct FileReport {
    /// Absolute path.
    pub path: PathBuf,
    pub display: String,
    pub findings: Vec<PlannedFinding>,
    /// Unified diff, present only when the file changes.
    pub diff: Option<String>,
    /// The plan itself, kept only when the run writes (`apply`).
    pub plan: Option<FilePlan>,
    /// The blocks of the findings that are not follow-ups, when the run describes them
    /// (`audit`, `report`).
    pub blocks: Option<Result<Vec<BlockInfo>, String>>,
}

impl FileReport {
    pub fn applied(&self) -> impl Iterator<Item = &PlannedFinding> {
        self.findings.iter().filter(|f| f.applied)
    }
}

/// Counts over the whole run.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Counts {
    /// The languages of the run's targets: which kinds `blocks_by_kind` lists.
    #[serde(skip)]
    pub languages: Vec<Language>,
    pub files_scanned: usize,
    pub files_parsed: usize,
    pub files_changed: usize,
    pub blocks_by_kind: BTreeMap<&'static str, usize>,
    pub rewrites_by_class: BTreeMap<&'static str, usize>,
    /// Rewrites of the plan's own output (counted in `rewrites_by_class`, not as blocks).
    pub follow_ups: usize,
    /// Calls named like session factories left out because they do not resolve to
    /// SQLAlchemy or SQLModel, by where they come from (`requests`, `unresolved`...).
    pub not_database_sessions: BTreeMap<String, usize>,
}

impl Counts {
    pub fn new(languages: &[Language]) -> Counts {
        Counts {
            languages: languages.to_vec(),
            blocks_by_kind: Kind::of(languages).map(|k| (k.as_str(), 0)).collect(),
            rewrites_by_class: [Safety::Safe, Safety::Review, Safety::Manual]
                .iter()
                .map(|s| (s.as_str(), 0))
                .collect(),
            ..Counts::default()
        }
    }

    pub fn add_findings(&mut self, findings: &[PlannedFinding]) {
        for f in findings {
            // A follow-up is a rewrite, not a block of the scanned text.
            if f.follows.is_none() {
                *self.blocks_by_kind.entry(f.kind.as_str()).or_default() += 1;
            } else {
                self.follow_ups += 1;
            }
            *self.rewrites_by_class.entry(f.safety.as_str()).or_default() += 1;
        }
    }
}

/// Everything a plan/apply run produced, files in path order.
#[derive(Debug, Default)]
pub struct RunReport {
    pub files: Vec<FileReport>,
    pub errors: Vec<FileError>,
    pub skipped: Vec<Skipped>,
    pub counts: Counts,
    pub notes: Vec<String>,
    /// The config the run used, as shown; `None` when none was found (defaults).
    pub config: Option<String>,
}

impl RunReport {
    pub fn has_internal_error(&self) -> bool {
        self.errors.iter().any(|e| e.kind == ErrorKind::Internal)
    }

    /// The one JSON document `plan --format json` prints (fields in documented order).
    pub fn write_json(&self, out: &mut impl std::io::Write) -> serde_json::Result<()> {
        #[derive(Serialize)]
        struct JsonFile<'a> {
            path: &'a str,
            rewrites: &'a [PlannedFinding],
            diff: &'a str,
        }
        #[derive(Serialize)]
        struct Summary<'a> {
            config: Option<&'a str>,
            #[serde(flatten)]
            counts: &'a Counts,
            skipped: &'a [Skipped],
            notes: &'a [String],
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            files: Vec<JsonFile<'a>>,
            errors: &'a [FileError],
            summary: Summary<'a>,
        }
        let doc = Doc {
            files: self
                .files
                .iter()
                .map(|f| JsonFile {
                    path: &f.display,
                    rewrites: &f.findings,
                    diff: f.diff.as_deref().unwrap_or(""),
                })
                .collect(),
            errors: &self.errors,
            summary: Summary {
                counts: &self.counts,
                skipped: &self.skipped,
                notes: &self.notes,
                config: self.config.as_deref(),
            },
        };
        serde_json::to_writer_pretty(out, &doc)
    }
}
