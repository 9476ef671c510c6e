//! `migrate status`: progress from the ledger alone (no planning).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use crate::ledger::{Ledger, State};

/// Progress of a migration.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Status {
    /// Files with a patch, by state.
    pub by_state: BTreeMap<State, usize>,
    /// Files with only findings for a person (no patch ever planned).
    pub manual_only: usize,
    /// Findings still in the code, by kind, then by class.
    pub left: BTreeMap<String, BTreeMap<String, usize>>,
    /// `(path, state, reason)` of every file with a patch, path order.
    pub files: Vec<(String, State, Option<String>)>,
}

impl Status {
    pub fn count(&self, state: State) -> usize {
        self.by_state.get(&state).copied().unwrap_or(0)
    }

    /// Files with a patch: the denominator of the progress.
    pub fn with_patch(&self) -> usize {
        self.by_state.values().sum()
    }

    pub fn blocks_left(&self) -> usize {
        self.left.values().flat_map(|m| m.values()).sum()
    }
}

pub fn status(ledger: &Ledger) -> Status {
    let mut s = Status::default();
    for (rel, e) in &ledger.files {
        let had_patch = !e.patch_sha256.is_empty() || e.state != State::Skipped;
        if had_patch {
            *s.by_state.entry(e.state).or_default() += 1;
            s.files.push((rel.clone(), e.state, e.reason.clone()));
        } else {
            s.manual_only += 1;
        }
        for f in e.left() {
            *s.left
                .entry(f.kind.clone())
                .or_default()
                .entry(f.class.clone())
                .or_default() += 1;
        }
    }
    s
}

impl Status {
    /// The report `migrate status` prints; a bar on a terminal.
    pub fn render(&self, out: &mut dyn Write) {
        let done = self.count(State::Applied);
        let total = self.with_patch();
        if total > 0 && std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template("[{bar:40}] {pos}/{len}") {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_position(done as u64);
            bar.abandon();
        }
        let _ = writeln!(
            out,
            "{done}/{total} files migrated: {} applied, {} accepted (next run applies), \
             {} pending review, {} failed, {} skipped",
            done,
            self.count(State::Accepted),
            self.count(State::PendingReview) + self.count(State::Planned),
            self.count(State::Failed),
            self.count(State::Skipped),
        );
        if self.manual_only > 0 {
            let _ = writeln!(
                out,
                "{} more file{} with findings for a person only (no automatic rewrite)",
                self.manual_only,
                if self.manual_only == 1 { "" } else { "s" }
            );
        }
        for (rel, state, reason) in &self.files {
            match reason {
                Some(r) if *state != State::Applied => {
                    let _ = writeln!(out, "  {:<15} {rel}: {r}", state.as_str());
                }
                _ => {
                    let _ = writeln!(out, "  {:<15} {rel}", state.as_str());
                }
            }
        }
        let _ = writeln!(out, "blocks left: {}", self.blocks_left());
        for (kind, classes) in &self.left {
            let n: usize = classes.values().sum();
            let detail: Vec<String> = classes.iter().map(|(c, k)| format!("{k} {c}")).collect();
            let _ = writeln!(out, "  {kind:<30} {n:>4}  ({})", detail.join(", "));
        }
    }
}
