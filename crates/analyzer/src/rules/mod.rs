//! One module per shape. Each `check` looks at one statement in its scope and pushes
//! findings; `manual_block` covers the three shapes that start with `s = F()`
//! (manual lifecycle, leaked session, async session without context manager).

pub(crate) mod double_transaction;
pub(crate) mod guard_checks;
pub(crate) mod local_import;
pub(crate) mod manual_block;
pub(crate) mod raw_factory_with;
pub(crate) mod session_per_iteration;
pub(crate) mod shared_session;
pub(crate) mod usage;

use ruff_python_ast::token::Tokens;
use ruff_python_ast::Stmt;
use ruff_text_size::{TextRange, TextSize};

use crate::analyze::Finding;
use crate::finding::{Kind, Safety};
use crate::index::ProjectIndex;
use crate::rewrite::Rewrite;
use crate::source::SourceFile;
use crate::syntax;
use codemod_core::reason::Line;

/// What every rule can see.
pub(crate) struct Ctx<'a> {
    pub file: &'a SourceFile,
    pub text: &'a str,
    pub tokens: &'a Tokens,
    pub index: &'a ProjectIndex,
    /// What the file's names refer to (imports, local definitions).
    pub imports: crate::resolve::FileImports,
    pub findings: Vec<Finding>,
}

/// The function (or module) a statement belongs to.
pub(crate) struct Scope<'a> {
    pub body: &'a [Stmt],
    pub is_async: bool,
    /// A `@contextmanager` guard, a generator dependency or a factory function (returns the
    /// session it makes): its sessions are not findings.
    pub is_guard: bool,
    pub is_module: bool,
    /// Parameter names of the function (empty for a module or class body).
    pub params: Vec<String>,
    /// A web request handler (a routed view): a `scoped_session` registry removed at
    /// teardown closes its sessions.
    pub request_handler: bool,
}

impl Ctx<'_> {
    pub fn line(&self, at: TextSize) -> usize {
        self.file.line_of(at)
    }

    pub fn push(
        &mut self,
        kind: Kind,
        safety: Safety,
        reason: impl Into<String>,
        range: TextRange,
        rewrite: Option<Rewrite>,
    ) {
        let rewrite = if safety == Safety::Manual {
            None
        } else {
            rewrite
        };
        let (reason, reason_lines) = codemod_core::reason::unmark(&reason.into());
        self.findings.push(Finding {
            kind,
            safety,
            reason,
            reason_lines,
            range,
            line: self.file.line_of(range.start()),
            column: self.file.column_of(range.start()),
            rewrite,
        });
    }

    pub fn owns_lines(&self, range: TextRange) -> bool {
        syntax::owns_lines(self.text, self.tokens, range)
    }

    /// The first of `ranges` whose statement shares a line (`a; b`): whole-line edits would
    /// cut it, so the block is left to a person. Returns the reason.
    pub fn shared_line(&self, ranges: impl IntoIterator<Item = TextRange>) -> Option<String> {
        ranges.into_iter().find(|r| !self.owns_lines(*r)).map(|r| {
            format!(
                "line {} holds several statements",
                Line(self.line(r.start()))
            )
        })
    }

    pub fn indentation(&self, at: TextSize) -> String {
        syntax::indentation_at(self.text, at).to_string()
    }

    /// Indent unit of a suite: its indentation minus its header's.
    pub fn indent_unit(&self, header: TextSize, body: TextSize) -> Option<String> {
        let outer = syntax::indentation_at(self.text, header);
        let inner = syntax::indentation_at(self.text, body);
        inner
            .strip_prefix(outer)
            .filter(|u| !u.is_empty())
            .map(str::to_string)
    }
}

/// A list of findings' reasons joined for one line.
pub(crate) fn join_reasons(reasons: &[String]) -> String {
    reasons.join("; ")
}
