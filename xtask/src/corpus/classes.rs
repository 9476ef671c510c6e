//! Safety classes beside a baseline build (`--baseline`: e.g. a build from before a change
//! to the analysis), and the review reasons grouped by kind.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// Rewrites by class, as one plan counted them.
#[derive(Serialize, Default, Clone, Copy)]
pub struct ClassCounts {
    pub safe: u64,
    pub review: u64,
    pub manual: u64,
}

impl ClassCounts {
    pub fn of(by_class: &BTreeMap<String, u64>) -> ClassCounts {
        let class = |name: &str| by_class.get(name).copied().unwrap_or(0);
        ClassCounts {
            safe: class("safe"),
            review: class("review"),
            manual: class("manual"),
        }
    }

    fn add(&mut self, o: ClassCounts) {
        self.safe += o.safe;
        self.review += o.review;
        self.manual += o.manual;
    }

    fn share_safe(&self) -> f64 {
        let all = self.safe + self.review + self.manual;
        if all == 0 {
            0.0
        } else {
            100.0 * self.safe as f64 / all as f64
        }
    }
}

/// The kind of one clause of a review reason: its words, with code spans as `…` and
/// numbers as N, up to the first colon or parenthesis.
pub fn reason_kind(clause: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    let mut last_digit = false;
    for c in clause.chars() {
        if c == '`' {
            if !in_code {
                out.push('…');
            }
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if c.is_ascii_digit() {
            if !last_digit {
                out.push('N');
            }
            last_digit = true;
            continue;
        }
        last_digit = false;
        if c == ':' || c == '(' {
            break;
        }
        out.push(c);
    }
    out.trim().to_string()
}

/// Counts the kinds of the clauses of every review reason into `into`.
pub fn count_review_reasons<'r>(
    reasons: impl Iterator<Item = &'r str>,
    into: &mut BTreeMap<String, u64>,
) {
    for reason in reasons {
        for clause in reason.split("; ") {
            *into.entry(reason_kind(clause)).or_default() += 1;
        }
    }
}

/// One package's classes now and under the baseline build.
pub struct Row<'a> {
    pub package: &'a str,
    pub now: ClassCounts,
    pub baseline: Option<ClassCounts>,
}

/// The before/after table (only when a baseline ran) and the review kinds, most frequent
/// first.
pub fn render(rows: &[Row], review_kinds: &BTreeMap<String, u64>) -> String {
    let mut out = String::new();
    if rows.iter().any(|r| r.baseline.is_some()) {
        out.push_str(
            "\n| package | safe (baseline) | review (baseline) | manual (baseline) | safe | review | manual |\n\
             |---|--:|--:|--:|--:|--:|--:|\n",
        );
        let (mut before, mut after) = (ClassCounts::default(), ClassCounts::default());
        for r in rows {
            let b = r.baseline.unwrap_or_default();
            before.add(b);
            after.add(r.now);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.package, b.safe, b.review, b.manual, r.now.safe, r.now.review, r.now.manual
            );
        }
        let _ = writeln!(
            out,
            "| **total** | {} | {} | {} | {} | {} | {} |\n\nSafe share: {:.1}% (baseline) -> {:.1}%.",
            before.safe,
            before.review,
            before.manual,
            after.safe,
            after.review,
            after.manual,
            before.share_safe(),
            after.share_safe()
        );
    }
    if !review_kinds.is_empty() {
        let mut kinds: Vec<(&String, &u64)> = review_kinds.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        out.push_str("\n| review reason (kind) | clauses |\n|---|--:|\n");
        for (kind, n) in kinds {
            let _ = writeln!(out, "| {} | {n} |", kind.replace('|', "\\|"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_kinds_drop_names_and_numbers() {
        assert_eq!(
            reason_kind("commit at line 12 is followed only by reads of what it wrote"),
            "commit at line N is followed only by reads of what it wrote"
        );
        assert_eq!(
            reason_kind("`get_db()` rolls back and closes as the original did"),
            "… rolls back and closes as the original did"
        );
        assert_eq!(
            reason_kind(
                "an error opening the session now reaches the handler at line 50 (it used to"
            ),
            "an error opening the session now reaches the handler at line N"
        );
    }
}
