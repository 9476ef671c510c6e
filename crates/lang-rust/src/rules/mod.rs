//! One module per finding kind, and the context they share.

use std::ops::Range;

use ra_ap_syntax::ast;
use ra_ap_syntax::{AstNode, SyntaxNode};

use crate::finding::{Finding, Kind, Safety, TextEdit};
use crate::syntax::{self, LineIndex};
use crate::tx::{self, Tx};

mod binding;
pub mod double_management;
pub mod manual_transaction;
pub mod raw_sql_transaction;
pub mod redundant_rollback;
mod removal;
pub mod uncommitted_transaction;

/// What every rule reads.
pub struct Ctx<'a> {
    pub text: &'a str,
    pub file: ast::SourceFile,
    pub lines: LineIndex,
    pub txs: Vec<Tx>,
    pub is_test_code: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(text: &'a str, file: ast::SourceFile, is_test_code: bool) -> Self {
        let lines = LineIndex::new(text);
        let txs = tx::find_transactions(&file, &lines);
        Ctx {
            text,
            file,
            lines,
            txs,
            is_test_code,
        }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }

    /// Transactions the rules look at: not moved out of sight, not inside the code that
    /// implements a transaction type or helper.
    pub fn tracked(&self) -> impl Iterator<Item = &Tx> {
        self.txs
            .iter()
            .filter(|t| !t.escapes() && !syntax::in_transaction_impl(t.let_stmt.syntax()))
    }

    pub fn finding(
        &self,
        kind: Kind,
        anchor: &SyntaxNode,
        range: Range<usize>,
        safety: Safety,
        reason: String,
        mut edits: Vec<TextEdit>,
    ) -> Finding {
        if safety == Safety::Manual {
            edits.clear();
        }
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        Finding {
            kind,
            line: self.line(range.start),
            range,
            safety,
            reason,
            edits,
            in_test: self.is_test_code || syntax::in_test_item(anchor),
        }
    }
}

/// Run every rule.
pub fn run(ctx: &Ctx) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(manual_transaction::check(ctx));
    findings.extend(redundant_rollback::check(ctx));
    findings.extend(raw_sql_transaction::check(ctx));
    findings.extend(uncommitted_transaction::check(ctx));
    findings.extend(double_management::check(ctx));
    findings.sort_by_key(|f| (f.range.start, f.kind));
    findings
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::{analyze, apply_edits, Edition, Finding};

    /// Analyse `src`, assert that every edit re-parses and that the result plans no edits.
    pub fn findings(src: &str) -> Vec<Finding> {
        let analysis = analyze(src, Edition::E2021, false);
        assert!(
            analysis.parse_errors.is_empty(),
            "{:?}",
            analysis.parse_errors
        );
        let after = apply_edits(src, &analysis.all_edits());
        let again = analyze(&after, Edition::E2021, false);
        assert!(
            again.parse_errors.is_empty(),
            "rewrite does not parse:\n{after}"
        );
        assert!(
            again.all_edits().is_empty(),
            "not idempotent:\n{after}\n{:?}",
            again.findings
        );
        analysis.findings
    }

    /// The text after applying every edit.
    pub fn rewritten(src: &str) -> String {
        apply_edits(src, &analyze(src, Edition::E2021, false).all_edits())
    }
}
