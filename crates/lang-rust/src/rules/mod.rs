//! One module per finding kind, and the context they share.

use std::ops::Range;

use ra_ap_syntax::ast;
use ra_ap_syntax::{AstNode, SyntaxNode};

use crate::finding::{Finding, Kind, Safety, TextEdit};
use crate::helpers::{self, ClosureHelper};
use crate::index::{CrateIndex, Entry};
use crate::syntax::{self, LineIndex};
use crate::tx::{self, Locals, Tx};

mod binding;
mod closure_body;
mod diesel_closure;
pub mod double_management;
mod helper_rewrite;
pub mod manual_transaction;
pub mod raw_sql_transaction;
pub mod redundant_rollback;
mod removal;
pub mod uncommitted_transaction;

/// A closure helper a block could be rewritten into, with how much the run uses it.
#[derive(Debug, Clone)]
pub struct HelperTarget {
    pub helper: ClosureHelper,
    /// Calls passing it a closure, in the run (this file's, when it defines the helper and
    /// the index knows fewer).
    pub uses: usize,
    /// Defined in this file (else in another file of the run).
    pub local: bool,
}

/// What every rule reads.
pub struct Ctx<'a> {
    pub text: &'a str,
    pub edition: crate::Edition,
    pub file: ast::SourceFile,
    pub lines: LineIndex,
    pub txs: Vec<Tx>,
    pub is_test_code: bool,
    /// Closure helpers of this file and of the index (this file's win by name).
    pub helpers: Vec<HelperTarget>,
    /// The functions of this file that are closure helpers: their bodies are the guard.
    helper_fns: Vec<Range<usize>>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        text: &'a str,
        edition: crate::Edition,
        file: ast::SourceFile,
        is_test_code: bool,
        index: &CrateIndex,
    ) -> Self {
        let lines = LineIndex::new(text);
        let locals = Locals::collect(&file, index);
        let txs = tx::find_transactions(&file, &lines, &locals);
        let local = helpers::find_helpers(&file, &txs);
        let helper_fns = local.iter().map(|(_, r)| r.clone()).collect();
        let helpers = helper_targets(&file, index, local.into_iter().map(|(h, _)| h).collect());
        Ctx {
            text,
            edition,
            file,
            lines,
            txs,
            is_test_code,
            helpers,
            helper_fns,
        }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }

    /// Transactions the rules look at: not moved out of sight, not inside the code that
    /// implements a transaction type or helper.
    pub fn tracked(&self) -> impl Iterator<Item = &Tx> {
        self.txs.iter().filter(|t| {
            let at = t.let_range().start;
            !t.escapes()
                && !syntax::in_transaction_impl(t.let_stmt.syntax())
                && !self.helper_fns.iter().any(|r| r.contains(&at))
        })
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

/// The helpers a block may target: this file's, and the index's unambiguous ones whose
/// name this file does not define.
fn helper_targets(
    file: &ast::SourceFile,
    index: &CrateIndex,
    local: Vec<ClosureHelper>,
) -> Vec<HelperTarget> {
    let calls = helpers::closure_call_counts(file);
    let mut out: Vec<HelperTarget> = local
        .into_iter()
        .map(|h| HelperTarget {
            uses: index
                .closure_calls(&h.name)
                .max(calls.get(&h.name).copied().unwrap_or(0)),
            helper: h,
            local: true,
        })
        .collect();
    let mut elsewhere: Vec<HelperTarget> = index
        .helpers()
        .filter(|(name, _)| !out.iter().any(|t| &t.helper.name == *name))
        .filter_map(|(_, entry)| match entry {
            Entry::One(h) => Some(HelperTarget {
                uses: index.closure_calls(&h.name),
                helper: h.clone(),
                local: false,
            }),
            Entry::Ambiguous => None,
        })
        .collect();
    elsewhere.sort_by(|a, b| a.helper.name.cmp(&b.helper.name));
    out.extend(elsewhere);
    out
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
    use crate::{analyze, apply_edits, Edition, Finding, Kind};

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

    /// `findings` of one kind.
    pub fn findings_of(src: &str, kind: Kind) -> Vec<Finding> {
        findings(src)
            .into_iter()
            .filter(|f| f.kind == kind)
            .collect()
    }

    /// The text after applying every edit.
    pub fn rewritten(src: &str) -> String {
        apply_edits(src, &analyze(src, Edition::E2021, false).all_edits())
    }
}
