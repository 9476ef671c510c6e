//! `migrate`: plan, reconcile with the ledger, write snapshots, apply the accepted files
//! one at a time with the check after each.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};

use rewriter::Selection;

use crate::ledger::{Entry, Ledger, State};
use crate::tree::{plan_tree, Planned, Planning};
use crate::written::{self, Lines};
use crate::{git, sha256_hex, snapshot, tool_version, Error, Target};

/// The order accepted files are applied in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Order {
    /// Fewest review rewrites, then fewest rewrites, then fewest findings left, then path.
    #[default]
    Safest,
    /// Path order.
    Path,
}

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Shell command run in the tree after each file is written (`sh -c`); the file is
    /// restored when it fails. `CODEMOD_MIGRATE_FILE` names the file just written.
    pub check: Option<String>,
    /// Go on after a failed file instead of stopping.
    pub keep_going: bool,
    /// Accept every pending patch without review.
    pub yes: bool,
    /// Start even when the tree has uncommitted changes or is not in git.
    pub force: bool,
    /// Stop after this many files were written (applied or failed).
    pub batch: Option<usize>,
    /// One git commit per applied file.
    pub commit: bool,
    pub order: Order,
    /// Rewrites classified review are part of the patches too.
    pub include_review: bool,
    /// Failed files whose plan did not change are tried again.
    pub retry_failed: bool,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct RunSummary {
    /// Applied by this run, in order.
    pub applied: Vec<String>,
    /// Failed in this run.
    pub failed: Vec<String>,
    /// Waiting for review after the run.
    pub pending: Vec<String>,
    /// Accepted but not applied (the run stopped, or `--batch`).
    pub accepted_left: Vec<String>,
}

/// Lines to stdout, kept clear of the progress bar.
struct Ui<'a> {
    out: &'a mut dyn Write,
    bar: Option<indicatif::ProgressBar>,
}

impl written::Lines for Ui<'_> {
    fn line(&mut self, s: &str) {
        let out = &mut self.out;
        match &self.bar {
            Some(bar) => bar.suspend(|| {
                let _ = writeln!(out, "{s}");
            }),
            None => {
                let _ = writeln!(out, "{s}");
            }
        }
    }
}

pub fn run(target: &Target, opts: &RunOptions, out: &mut dyn Write) -> Result<RunSummary, Error> {
    let _lock =
        rewriter::lock_project(&target.dir).map_err(|busy| Error::Usage(busy.to_string()))?;
    let mut ledger = Ledger::load(target)?;
    check_clean(target, &ledger, opts)?;
    let mut ui = Ui { out, bar: None };
    written::resume(target, &mut ledger, &mut ui)?;
    let selection = if opts.include_review {
        Selection::SafeAndReview
    } else {
        Selection::SafeOnly
    };
    let plans = plan_tree(target, selection)?;
    reconcile(target, &mut ledger, &plans, opts, &mut ui)?;
    ledger.save(target)?;

    let planned: BTreeMap<&str, &Planned> = plans
        .iter()
        .filter_map(|p| match p {
            Planning::Planned(p) => Some((p.rel.as_str(), p)),
            Planning::Unplannable { .. } => None,
        })
        .collect();
    let mut queue: Vec<&Planned> = ledger
        .files
        .iter()
        .filter(|(_, e)| e.state == State::Accepted)
        .filter_map(|(rel, _)| planned.get(rel.as_str()).copied())
        .collect();
    match opts.order {
        Order::Path => queue.sort_by(|a, b| a.rel.cmp(&b.rel)),
        Order::Safest => queue.sort_by_key(|p| {
            let rewritten = |class: &str| {
                p.findings
                    .iter()
                    .filter(|f| f.rewritten && f.class == class)
                    .count()
            };
            let all = p.findings.iter().filter(|f| f.rewritten).count();
            let left = p.findings.len() - all;
            (rewritten("review"), all, left, p.rel.clone())
        }),
    }

    let mut summary = RunSummary::default();
    let total = opts.batch.map_or(queue.len(), |b| b.min(queue.len()));
    if total > 1 && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("migrating [{bar:40}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        ui.bar = Some(bar);
    }
    let mut stopped = false;
    for (i, p) in queue.iter().enumerate() {
        if i >= total || stopped {
            summary.accepted_left.push(p.rel.clone());
            continue;
        }
        if let Some(bar) = &ui.bar {
            bar.set_message(p.rel.clone());
        }
        let ok = apply_one(target, &mut ledger, p, opts, (i + 1, total), &mut ui)?;
        ledger.save(target)?;
        if let Some(bar) = &ui.bar {
            bar.inc(1);
        }
        if ok {
            summary.applied.push(p.rel.clone());
        } else {
            summary.failed.push(p.rel.clone());
            stopped = !opts.keep_going;
        }
    }
    if let Some(bar) = ui.bar.take() {
        bar.finish_and_clear();
    }
    summary.pending = ledger
        .files
        .iter()
        .filter(|(_, e)| e.state == State::PendingReview)
        .map(|(rel, _)| rel.clone())
        .collect();

    let rewrites: usize = summary
        .applied
        .iter()
        .filter_map(|r| ledger.files.get(r))
        .map(Entry::rewrites)
        .sum();
    ui.line(&format!(
        "applied {} file{} ({rewrites} rewrite{}), {} failed, {} pending review, {} accepted and not applied yet",
        summary.applied.len(),
        plural(summary.applied.len()),
        plural(rewrites),
        summary.failed.len(),
        summary.pending.len(),
        summary.accepted_left.len(),
    ));
    if stopped {
        ui.line("stopped at the failed file (--keep-going goes on); run again to resume");
    }
    if !summary.pending.is_empty() {
        ui.line(&format!(
            "review the pending patches in {} with `migrate review`, then run again",
            target.snapshot_dir().display()
        ));
    }
    Ok(summary)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Refuse a tree that is not in git, or has changes the migration did not make.
fn check_clean(target: &Target, ledger: &Ledger, opts: &RunOptions) -> Result<(), Error> {
    if opts.commit || !opts.force {
        if let Err(e) = git::prefix(&target.dir) {
            let why = if opts.commit {
                "--commit needs one"
            } else {
                "a migration must be revertible with git; pass --force to go on anyway"
            };
            return Err(Error::Usage(format!(
                "{}: not in a git repository ({why}): {e}",
                target.dir.display()
            )));
        }
    }
    if opts.force {
        return Ok(());
    }
    let changes = git::changes(&target.dir, target.state_rel().as_deref())?;
    let foreign: Vec<(String, String)> = changes
        .into_iter()
        .filter(|(_, rel)| !written_by_us(target, ledger, rel))
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    let mut msg = format!(
        "{}: uncommitted changes (a migration must be revertible with git); \
         commit or stash them, or pass --force:",
        target.dir.display()
    );
    for (status, rel) in foreign.iter().take(10) {
        msg.push_str(&format!("\n  {status:>2} {rel}"));
    }
    if foreign.len() > 10 {
        msg.push_str(&format!("\n  ... and {} more", foreign.len() - 10));
    }
    Err(Error::Usage(msg))
}

/// A change that is a file this migration wrote and nobody touched since.
fn written_by_us(target: &Target, ledger: &Ledger, rel: &str) -> bool {
    let Some(e) = ledger.files.get(rel) else {
        return false;
    };
    !e.applied_sha256.is_empty()
        && std::fs::read(target.abs(rel)).is_ok_and(|b| sha256_hex(&b) == e.applied_sha256)
}

fn describe(p: &Planned) -> String {
    let n = p.findings.iter().filter(|f| f.rewritten).count();
    let review = p
        .findings
        .iter()
        .filter(|f| f.rewritten && f.class == "review")
        .count();
    let left = p.findings.len() - n;
    format!(
        "{n} rewrite{} ({} safe, {review} review), {left} finding{} left as is; planned by {} from sha256 {}",
        plural(n),
        n - review,
        plural(left),
        tool_version(),
        p.sha256
    )
}

fn snapshot_name(ledger: &Ledger, rel: &str) -> String {
    if let Some(e) = ledger.files.get(rel).filter(|e| !e.snapshot.is_empty()) {
        return e.snapshot.clone();
    }
    snapshot::name_for(rel, |n| {
        ledger
            .files
            .iter()
            .any(|(r, e)| r != rel && e.snapshot == n)
    })
}

fn new_entry(state: State, p: &Planned) -> Entry {
    Entry {
        state,
        planned_sha256: p.sha256.clone(),
        patch_sha256: patch_sha(&p.diff),
        applied_sha256: String::new(),
        snapshot: String::new(),
        reason: None,
        output: None,
        applied_order: None,
        commit: None,
        check: None,
        commit_wanted: false,
        tool: tool_version(),
        findings: p.findings.clone(),
    }
}

fn patch_sha(diff: &str) -> String {
    if diff.is_empty() {
        String::new()
    } else {
        sha256_hex(diff.as_bytes())
    }
}

/// Write `p`'s patch as a pending snapshot and record it.
fn make_pending(
    target: &Target,
    ledger: &mut Ledger,
    p: &Planned,
    note: Option<String>,
) -> Result<(), Error> {
    let name = snapshot_name(ledger, &p.rel);
    let old = ledger.files.get(&p.rel).cloned();
    let mut entry = new_entry(State::Planned, p);
    entry.snapshot = name.clone();
    if let Some(old) = &old {
        entry.applied_sha256 = old.applied_sha256.clone();
        entry.applied_order = old.applied_order;
        entry.commit = old.commit.clone();
    }
    ledger.files.insert(p.rel.clone(), entry.clone());
    snapshot::write_pending(
        target,
        &name,
        &p.rel,
        &describe(p),
        &snapshot::body(&p.findings, &p.diff),
    )?;
    entry.state = State::PendingReview;
    entry.reason = note;
    ledger.files.insert(p.rel.clone(), entry);
    Ok(())
}

/// Bring the ledger up to date with the plan: new files get a pending snapshot, files
/// whose bytes or patch changed are planned again, nothing already decided is redone.
fn reconcile(
    target: &Target,
    ledger: &mut Ledger,
    plans: &[Planning],
    opts: &RunOptions,
    ui: &mut Ui,
) -> Result<(), Error> {
    let mut r = Reconciliation {
        target,
        ledger,
        opts,
        ui,
    };
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for planning in plans {
        seen.insert(planning.rel().to_string());
        match planning {
            Planning::Unplannable { rel, reason } => r.unplannable(rel, reason)?,
            Planning::Planned(p) => match r.ledger.files.get(&p.rel).cloned() {
                None => r.first_plan(p)?,
                Some(old) => r.replan(p, &old)?,
            },
        }
    }
    r.skip_unplanned(&seen)?;
    if opts.yes {
        r.accept_pending()?;
    }
    Ok(())
}

/// What `reconcile` works on and with.
struct Reconciliation<'a> {
    target: &'a Target,
    ledger: &'a mut Ledger,
    opts: &'a RunOptions,
    ui: &'a mut dyn Lines,
}

/// How a file's new plan compares with the one the ledger recorded.
struct Change {
    /// The same bytes planned, and the same patch.
    same: bool,
    /// What changed, for the notes.
    why: &'static str,
}

impl Change {
    fn between(old: &Entry, p: &Planned) -> Change {
        let file_changed = old.planned_sha256 != p.sha256;
        Change {
            same: !file_changed && old.patch_sha256 == patch_sha(&p.diff),
            why: if file_changed {
                "the file changed since it was planned"
            } else {
                "the tool's patch for it changed (new codemod version or options)"
            },
        }
    }
}

/// `old`'s snapshot at `path` (pending or accepted) is there.
fn on_disk(old: &Entry, path: std::path::PathBuf) -> bool {
    !old.snapshot.is_empty() && path.is_file()
}

/// The entry of a file never planned: skipped, and why.
fn skipped_entry(reason: String) -> Entry {
    Entry {
        state: State::Skipped,
        planned_sha256: String::new(),
        patch_sha256: String::new(),
        applied_sha256: String::new(),
        snapshot: String::new(),
        reason: Some(reason),
        output: None,
        applied_order: None,
        commit: None,
        check: None,
        commit_wanted: false,
        tool: tool_version(),
        findings: vec![],
    }
}

impl Reconciliation<'_> {
    /// A file that cannot be planned is skipped (its pending patch dropped), unless it was
    /// applied already.
    fn unplannable(&mut self, rel: &str, reason: &str) -> Result<(), Error> {
        let reason = format!("cannot be planned: {reason}");
        self.ui.line(&format!("skipped {rel}: {reason}"));
        match self.ledger.files.get_mut(rel) {
            Some(e) if e.state == State::Applied => {}
            Some(e) => {
                snapshot::remove(&snapshot::pending_path(self.target, &e.snapshot))?;
                e.state = State::Skipped;
                e.reason = Some(reason);
            }
            None => {
                self.ledger
                    .files
                    .insert(rel.to_string(), skipped_entry(reason));
            }
        }
        Ok(())
    }

    /// A file the ledger does not know yet: its patch waits for review, or it is skipped
    /// with nothing to rewrite.
    fn first_plan(&mut self, p: &Planned) -> Result<(), Error> {
        let rel = &p.rel;
        if p.diff.is_empty() {
            let mut e = new_entry(State::Skipped, p);
            e.reason = Some(nothing_to_rewrite(p));
            self.ledger.files.insert(rel.clone(), e);
            return Ok(());
        }
        make_pending(self.target, self.ledger, p, None)?;
        if !self.opts.yes {
            let n = p.findings.iter().filter(|f| f.rewritten).count();
            self.ui.line(&format!(
                "{rel}: {n} rewrite{} planned: pending review ({})",
                plural(n),
                snapshot::pending_path(self.target, &snapshot_name(self.ledger, rel)).display()
            ));
        }
        Ok(())
    }

    /// A file planned before: what becomes of it depends on its state and what changed.
    fn replan(&mut self, p: &Planned, old: &Entry) -> Result<(), Error> {
        let change = Change::between(old, p);
        match old.state {
            // `written` ones were finished before planning.
            State::Written | State::Applied => self.follow_up(p, old),
            State::Planned | State::PendingReview => self.replan_pending(p, old, &change),
            State::Accepted => self.replan_accepted(p, old, &change),
            State::Failed => self.replan_failed(p, &change),
            State::Skipped => self.replan_skipped(p, old, &change),
        }
    }

    /// An applied file the tool patches again: the follow-up patch waits for review.
    fn follow_up(&mut self, p: &Planned, old: &Entry) -> Result<(), Error> {
        if p.diff.is_empty() {
            return Ok(());
        }
        let why = if old.applied_sha256 == p.sha256 {
            "the tool now plans more for it (new codemod version or options)"
        } else {
            "the file changed since it was applied"
        };
        let note = format!("follow-up patch for an applied file: {why}; review it");
        make_pending(self.target, self.ledger, p, Some(note))?;
        self.ui.line(&format!(
            "{}: applied before, now plans another patch: pending review",
            p.rel
        ));
        Ok(())
    }

    /// Not reviewed yet: the waiting snapshot stays while it still holds.
    fn replan_pending(&mut self, p: &Planned, old: &Entry, change: &Change) -> Result<(), Error> {
        let pending = snapshot::pending_path(self.target, &old.snapshot);
        if change.same && on_disk(old, pending) {
            return Ok(());
        }
        self.repatch(p, format!("re-planned: {}", change.why))
    }

    /// Accepted: the accepted patch stays while it still holds; a new one is reviewed.
    fn replan_accepted(&mut self, p: &Planned, old: &Entry, change: &Change) -> Result<(), Error> {
        let accepted = snapshot::accepted_path(self.target, &old.snapshot);
        if change.same && on_disk(old, accepted) {
            return Ok(());
        }
        if p.diff.is_empty() {
            return skip_nothing_left(self.target, self.ledger, p);
        }
        let why = change.why;
        let note = format!("the accepted patch no longer holds ({why}): review the new one");
        make_pending(self.target, self.ledger, p, Some(note))?;
        self.ui.line(&format!(
            "{}: accepted patch no longer holds ({why}): pending review again",
            p.rel
        ));
        Ok(())
    }

    /// Failed with the same plan: tried again only with `--retry-failed`.
    fn replan_failed(&mut self, p: &Planned, change: &Change) -> Result<(), Error> {
        if change.same {
            if self.opts.retry_failed {
                let e = self.ledger.files.get_mut(&p.rel).expect("present");
                e.state = State::Accepted;
                e.reason = None;
                e.output = None;
            }
            return Ok(());
        }
        self.repatch(
            p,
            format!("re-planned after a failed check: {}", change.why),
        )
    }

    /// Skipped: planned again once something changed (its snapshot name kept).
    fn replan_skipped(&mut self, p: &Planned, old: &Entry, change: &Change) -> Result<(), Error> {
        if change.same {
            return Ok(());
        }
        if p.diff.is_empty() {
            let mut e = new_entry(State::Skipped, p);
            e.snapshot = old.snapshot.clone();
            e.reason = Some(nothing_to_rewrite(p));
            self.ledger.files.insert(p.rel.clone(), e);
            return Ok(());
        }
        let note = format!("re-planned: {}", change.why);
        make_pending(self.target, self.ledger, p, Some(note))
    }

    /// A new patch waits for review, with `note`; with nothing left to rewrite the file
    /// is skipped.
    fn repatch(&mut self, p: &Planned, note: String) -> Result<(), Error> {
        if p.diff.is_empty() {
            skip_nothing_left(self.target, self.ledger, p)
        } else {
            make_pending(self.target, self.ledger, p, Some(note))
        }
    }

    /// Files the plan no longer mentions: nothing left to rewrite, or gone.
    fn skip_unplanned(&mut self, seen: &BTreeSet<String>) -> Result<(), Error> {
        for (rel, e) in self.ledger.files.iter_mut() {
            if seen.contains(rel) || matches!(e.state, State::Applied | State::Skipped) {
                continue;
            }
            if !e.snapshot.is_empty() {
                snapshot::remove(&snapshot::pending_path(self.target, &e.snapshot))?;
            }
            e.state = State::Skipped;
            e.reason = Some(if self.target.abs(rel).exists() {
                "nothing left to rewrite".to_string()
            } else {
                "file removed".to_string()
            });
        }
        Ok(())
    }

    /// `--yes`: every pending patch is accepted.
    fn accept_pending(&mut self) -> Result<(), Error> {
        for e in self.ledger.files.values_mut() {
            if e.state == State::PendingReview {
                snapshot::accept(self.target, &e.snapshot)?;
                e.state = State::Accepted;
                e.reason = Some("accepted with --yes".to_string());
            }
        }
        Ok(())
    }
}

fn nothing_to_rewrite(p: &Planned) -> String {
    let n = p.findings.len();
    format!(
        "no automatic rewrite: {n} finding{} for a person (see `codemod plan`)",
        plural(n)
    )
}

fn skip_nothing_left(target: &Target, ledger: &mut Ledger, p: &Planned) -> Result<(), Error> {
    let e = ledger.files.get_mut(&p.rel).expect("present");
    if !e.snapshot.is_empty() {
        snapshot::remove(&snapshot::pending_path(target, &e.snapshot))?;
    }
    let snapshot = e.snapshot.clone();
    let mut new = new_entry(State::Skipped, p);
    new.snapshot = snapshot;
    new.reason = Some(nothing_to_rewrite(p));
    ledger.files.insert(p.rel.clone(), new);
    Ok(())
}

/// Write one file, then check and commit it (restored when either fails); true when
/// applied. The ledger says `written` before the write, so a kill at any point is resumable.
fn apply_one(
    target: &Target,
    ledger: &mut Ledger,
    p: &Planned,
    opts: &RunOptions,
    (i, total): (usize, usize),
    ui: &mut Ui,
) -> Result<bool, Error> {
    let rel = &p.rel;
    let n = p.findings.iter().filter(|f| f.rewritten).count();
    written::begin(target, ledger, p, opts.check.as_deref(), opts.commit)?;
    if let Err(e) = rewriter::write_atomic(&p.path, &p.original, &p.new_bytes) {
        ui.line(&format!("[{i}/{total}] {rel}: not written: {e}"));
        written::not_written(target, ledger, rel, format!("not written: {e}"));
        return Ok(false);
    }
    ui.line(&format!(
        "[{i}/{total}] {rel}: {n} rewrite{} written",
        plural(n)
    ));
    written::finish(target, ledger, rel, ui)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::FindingRecord;

    /// A plan of `rel` made from bytes with hash `sha`, patching with `diff` (none: empty).
    fn planned(rel: &str, sha: &str, diff: &str) -> Planned {
        Planned {
            rel: rel.into(),
            path: rel.into(),
            original: vec![],
            sha256: sha.into(),
            new_bytes: vec![],
            diff: diff.into(),
            findings: vec![FindingRecord {
                line: 3,
                kind: "manual-lifecycle".into(),
                class: "safe".into(),
                rewritten: !diff.is_empty(),
                reason: "why".into(),
            }],
        }
    }

    /// The ledger's record of `p` in `state`, its snapshot named after the file.
    fn recorded(state: State, p: &Planned) -> Entry {
        let mut e = new_entry(state, p);
        e.snapshot = p.rel.replace('/', "__");
        e
    }

    /// `reconcile`, then what it said, every ledger entry and the snapshot files.
    fn reconciled(
        target: &Target,
        ledger: &mut Ledger,
        plans: &[Planning],
        opts: &RunOptions,
    ) -> Vec<String> {
        let mut said = vec![];
        let mut ui = Ui {
            out: &mut said,
            bar: None,
        };
        reconcile(target, ledger, plans, opts, &mut ui).unwrap();
        let mut out: Vec<String> = String::from_utf8(said)
            .unwrap()
            .lines()
            .map(|l| format!("said {l}"))
            .collect();
        for (rel, e) in &ledger.files {
            out.push(format!(
                "{rel}: {} snapshot={:?} planned={} patch={} applied={} order={:?} reason={:?} output={:?}",
                e.state.as_str(),
                e.snapshot,
                e.planned_sha256,
                &e.patch_sha256[..e.patch_sha256.len().min(8)],
                e.applied_sha256,
                e.applied_order,
                e.reason,
                e.output
            ));
        }
        let mut snapshots: Vec<String> = std::fs::read_dir(target.snapshot_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        snapshots.sort();
        out.extend(snapshots.into_iter().map(|s| format!("snapshot {s}")));
        let dir = format!("{}/", target.dir.display());
        out.iter().map(|l| l.replace(&dir, "")).collect()
    }

    fn snapshot_file(path: std::path::PathBuf) {
        std::fs::write(path, "old snapshot\n").unwrap();
    }

    const D: &str = "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+b\n";
    const D2: &str = "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+c\n";

    type SnapshotPath = fn(&Target, &str) -> std::path::PathBuf;

    /// A tree with a ledger, and the plans `reconcile` meets it with.
    struct Tree {
        _dir: tempfile::TempDir,
        target: Target,
        ledger: Ledger,
        plans: Vec<Planning>,
    }

    impl Tree {
        /// `rel` recorded in `state` from `(sha, diff)`, with `snapshots` on disk.
        fn recorded(
            &mut self,
            rel: &str,
            state: State,
            was: (&str, &str),
            snapshots: &[SnapshotPath],
        ) {
            let mut e = recorded(state, &planned(rel, was.0, was.1));
            if matches!(state, State::Applied | State::Written) {
                e.applied_sha256 = "s1".into();
                e.applied_order = Some(1);
            }
            if state == State::Failed {
                e.reason = Some("check failed".into());
                e.output = Some("tail".into());
            }
            for path in snapshots {
                snapshot_file(path(&self.target, &e.snapshot));
            }
            self.ledger.files.insert(rel.into(), e);
        }

        /// `recorded`, and planned now as `(sha, diff)`.
        fn replanned(
            &mut self,
            rel: &str,
            state: State,
            was: (&str, &str),
            now: (&str, &str),
            snapshots: &[SnapshotPath],
        ) {
            self.recorded(rel, state, was, snapshots);
            self.plans
                .push(Planning::Planned(planned(rel, now.0, now.1)));
        }
    }

    /// A tree whose ledger has a file in every state, each planned again unchanged, changed
    /// or with nothing to rewrite; files planned for the first time, unplannable, and no
    /// longer planned.
    fn fixture() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::new(dir.path(), None).unwrap();
        std::fs::create_dir_all(target.snapshot_dir()).unwrap();
        std::fs::write(target.abs("left.py"), "x = 1\n").unwrap();
        let mut t = Tree {
            _dir: dir,
            target,
            ledger: Ledger::default(),
            plans: vec![],
        };
        let pending: SnapshotPath = snapshot::pending_path;
        let accepted: SnapshotPath = snapshot::accepted_path;
        t.plans
            .push(Planning::Planned(planned("new_empty.py", "s1", "")));
        t.plans.push(Planning::Planned(planned("new.py", "s1", D)));
        t.recorded(
            "unplannable_applied.py",
            State::Applied,
            ("s0", D),
            &[pending],
        );
        t.recorded(
            "unplannable_pending.py",
            State::PendingReview,
            ("s0", D),
            &[pending],
        );
        for rel in [
            "unplannable_applied.py",
            "unplannable_pending.py",
            "unplannable_new.py",
        ] {
            t.plans.push(Planning::Unplannable {
                rel: rel.into(),
                reason: "bad bytes".into(),
            });
        }
        replanned_in_every_state(&mut t, pending, accepted);
        use State::*;
        // No longer planned.
        t.recorded("gone.py", PendingReview, ("s1", D), &[pending]);
        t.recorded("left.py", Accepted, ("s1", D), &[pending]);
        t.recorded("unmentioned_applied.py", Applied, ("s1", D), &[pending]);
        t
    }

    /// Files in every state, each planned again unchanged, changed or with nothing to
    /// rewrite.
    fn replanned_in_every_state(t: &mut Tree, pending: SnapshotPath, accepted: SnapshotPath) {
        use State::*;
        t.replanned("applied_more.py", Applied, ("s1", D), ("s1", D2), &[]);
        t.replanned("applied_changed.py", Applied, ("s1", D), ("s2", D), &[]);
        t.replanned("applied_nothing.py", Applied, ("s1", D), ("s2", ""), &[]);
        t.replanned("written_more.py", Written, ("s1", D), ("s1", D2), &[]);
        t.replanned(
            "pending_same.py",
            PendingReview,
            ("s1", D),
            ("s1", D),
            &[pending],
        );
        t.replanned(
            "pending_no_snapshot.py",
            PendingReview,
            ("s1", D),
            ("s1", D),
            &[],
        );
        t.replanned(
            "pending_changed.py",
            PendingReview,
            ("s1", D),
            ("s2", D),
            &[pending],
        );
        t.replanned(
            "pending_empty.py",
            Planned,
            ("s1", D),
            ("s2", ""),
            &[pending],
        );
        t.replanned(
            "accepted_same.py",
            Accepted,
            ("s1", D),
            ("s1", D),
            &[accepted],
        );
        t.replanned(
            "accepted_changed.py",
            Accepted,
            ("s1", D),
            ("s2", D),
            &[accepted],
        );
        let both = [pending, accepted];
        t.replanned("accepted_empty.py", Accepted, ("s1", D), ("s2", ""), &both);
        t.replanned("failed_same.py", Failed, ("s1", D), ("s1", D), &[accepted]);
        t.replanned(
            "failed_patch_changed.py",
            Failed,
            ("s1", D),
            ("s1", D2),
            &[accepted],
        );
        t.replanned(
            "failed_empty.py",
            Failed,
            ("s1", D),
            ("s2", ""),
            &[accepted],
        );
        t.replanned("skipped_same.py", Skipped, ("s1", ""), ("s1", ""), &[]);
        t.replanned("skipped_empty.py", Skipped, ("s1", D), ("s2", ""), &[]);
        t.replanned("skipped_changed.py", Skipped, ("s1", ""), ("s2", D), &[]);
    }

    #[test]
    fn reconcile_meets_every_state_with_every_kind_of_plan() {
        let mut t = fixture();
        assert_eq!(
            reconciled(&t.target, &mut t.ledger, &t.plans, &RunOptions::default()),
            &[
                "said new.py: 1 rewrite planned: pending review (.codemod/snapshots/new.py.snap.new)",
                "said skipped unplannable_applied.py: cannot be planned: bad bytes",
                "said skipped unplannable_pending.py: cannot be planned: bad bytes",
                "said skipped unplannable_new.py: cannot be planned: bad bytes",
                "said applied_more.py: applied before, now plans another patch: pending review",
                "said applied_changed.py: applied before, now plans another patch: pending review",
                "said written_more.py: applied before, now plans another patch: pending review",
                "said accepted_changed.py: accepted patch no longer holds (the file changed since it was planned): pending review again",
                "accepted_changed.py: pending review snapshot=\"accepted_changed.py\" planned=s2 patch=f222cdfc applied= order=None reason=Some(\"the accepted patch no longer holds (the file changed since it was planned): review the new one\") output=None",
                "accepted_empty.py: skipped snapshot=\"accepted_empty.py\" planned=s2 patch= applied= order=None reason=Some(\"no automatic rewrite: 1 finding for a person (see `codemod plan`)\") output=None",
                "accepted_same.py: accepted snapshot=\"accepted_same.py\" planned=s1 patch=f222cdfc applied= order=None reason=None output=None",
                "applied_changed.py: pending review snapshot=\"applied_changed.py\" planned=s2 patch=f222cdfc applied=s1 order=Some(1) reason=Some(\"follow-up patch for an applied file: the file changed since it was applied; review it\") output=None",
                "applied_more.py: pending review snapshot=\"applied_more.py\" planned=s1 patch=d4129044 applied=s1 order=Some(1) reason=Some(\"follow-up patch for an applied file: the tool now plans more for it (new codemod version or options); review it\") output=None",
                "applied_nothing.py: applied snapshot=\"applied_nothing.py\" planned=s1 patch=f222cdfc applied=s1 order=Some(1) reason=None output=None",
                "failed_empty.py: skipped snapshot=\"failed_empty.py\" planned=s2 patch= applied= order=None reason=Some(\"no automatic rewrite: 1 finding for a person (see `codemod plan`)\") output=None",
                "failed_patch_changed.py: pending review snapshot=\"failed_patch_changed.py\" planned=s1 patch=d4129044 applied= order=None reason=Some(\"re-planned after a failed check: the tool's patch for it changed (new codemod version or options)\") output=None",
                "failed_same.py: failed snapshot=\"failed_same.py\" planned=s1 patch=f222cdfc applied= order=None reason=Some(\"check failed\") output=Some(\"tail\")",
                "gone.py: skipped snapshot=\"gone.py\" planned=s1 patch=f222cdfc applied= order=None reason=Some(\"file removed\") output=None",
                "left.py: skipped snapshot=\"left.py\" planned=s1 patch=f222cdfc applied= order=None reason=Some(\"nothing left to rewrite\") output=None",
                "new.py: pending review snapshot=\"new.py\" planned=s1 patch=f222cdfc applied= order=None reason=None output=None",
                "new_empty.py: skipped snapshot=\"\" planned=s1 patch= applied= order=None reason=Some(\"no automatic rewrite: 1 finding for a person (see `codemod plan`)\") output=None",
                "pending_changed.py: pending review snapshot=\"pending_changed.py\" planned=s2 patch=f222cdfc applied= order=None reason=Some(\"re-planned: the file changed since it was planned\") output=None",
                "pending_empty.py: skipped snapshot=\"pending_empty.py\" planned=s2 patch= applied= order=None reason=Some(\"no automatic rewrite: 1 finding for a person (see `codemod plan`)\") output=None",
                "pending_no_snapshot.py: pending review snapshot=\"pending_no_snapshot.py\" planned=s1 patch=f222cdfc applied= order=None reason=Some(\"re-planned: the tool's patch for it changed (new codemod version or options)\") output=None",
                "pending_same.py: pending review snapshot=\"pending_same.py\" planned=s1 patch=f222cdfc applied= order=None reason=None output=None",
                "skipped_changed.py: pending review snapshot=\"skipped_changed.py\" planned=s2 patch=f222cdfc applied= order=None reason=Some(\"re-planned: the file changed since it was planned\") output=None",
                "skipped_empty.py: skipped snapshot=\"skipped_empty.py\" planned=s2 patch= applied= order=None reason=Some(\"no automatic rewrite: 1 finding for a person (see `codemod plan`)\") output=None",
                "skipped_same.py: skipped snapshot=\"skipped_same.py\" planned=s1 patch= applied= order=None reason=None output=None",
                "unmentioned_applied.py: applied snapshot=\"unmentioned_applied.py\" planned=s1 patch=f222cdfc applied=s1 order=Some(1) reason=None output=None",
                "unplannable_applied.py: applied snapshot=\"unplannable_applied.py\" planned=s0 patch=f222cdfc applied=s1 order=Some(1) reason=None output=None",
                "unplannable_new.py: skipped snapshot=\"\" planned= patch= applied= order=None reason=Some(\"cannot be planned: bad bytes\") output=None",
                "unplannable_pending.py: skipped snapshot=\"unplannable_pending.py\" planned=s0 patch=f222cdfc applied= order=None reason=Some(\"cannot be planned: bad bytes\") output=None",
                "written_more.py: pending review snapshot=\"written_more.py\" planned=s1 patch=d4129044 applied=s1 order=Some(1) reason=Some(\"follow-up patch for an applied file: the tool now plans more for it (new codemod version or options); review it\") output=None",
                "snapshot accepted_changed.py.snap",
                "snapshot accepted_changed.py.snap.new",
                "snapshot accepted_empty.py.snap",
                "snapshot accepted_same.py.snap",
                "snapshot applied_changed.py.snap.new",
                "snapshot applied_more.py.snap.new",
                "snapshot failed_empty.py.snap",
                "snapshot failed_patch_changed.py.snap",
                "snapshot failed_patch_changed.py.snap.new",
                "snapshot failed_same.py.snap",
                "snapshot new.py.snap.new",
                "snapshot pending_changed.py.snap.new",
                "snapshot pending_no_snapshot.py.snap.new",
                "snapshot pending_same.py.snap.new",
                "snapshot skipped_changed.py.snap.new",
                "snapshot unmentioned_applied.py.snap.new",
                "snapshot unplannable_applied.py.snap.new",
                "snapshot written_more.py.snap.new",
            ]
        );
    }

    /// `--yes` accepts every pending patch (and says nothing of new ones);
    /// `--retry-failed` accepts a failed file whose plan did not change.
    #[test]
    fn reconcile_with_yes_and_retry_failed() {
        let mut t = fixture();
        let opts = RunOptions {
            yes: true,
            retry_failed: true,
            ..RunOptions::default()
        };
        assert_eq!(
            reconciled(&t.target, &mut t.ledger, &t.plans, &opts),
            &[
                "said skipped unplannable_applied.py: cannot be planned: bad bytes",
                "said skipped unplannable_pending.py: cannot be planned: bad bytes",
                "said skipped unplannable_new.py: cannot be planned: bad bytes",
                "said applied_more.py: applied before, now plans another patch: pending review",
                "said applied_changed.py: applied before, now plans another patch: pending review",
                "said written_more.py: applied before, now plans another patch: pending review",
                "said accepted_changed.py: accepted patch no longer holds (the file changed since it was planned): pending review again",
                "accepted_changed.py: accepted snapshot=\"accepted_changed.py\" planned=s2 patch=f222cdfc applied= order=None reason=Some(\"accepted with --yes\") output=None",
                "accepted_empty.py: skipped snapshot=\"accepted_empty.py\" planned=s2 patch= applied= order=None reason=Some(\"no automatic rewrite: 1 finding for a person (see `codemod plan`)\") output=None",
                "accepted_same.py: accepted snapshot=\"accepted_same.py\" planned=s1 patch=f222cdfc applied= order=None reason=None output=None",
                "applied_changed.py: accepted snapshot=\"applied_changed.py\" planned=s2 patch=f222cdfc applied=s1 order=Some(1) reason=Some(\"accepted with --yes\") output=None",
                "applied_more.py: accepted snapshot=\"applied_more.py\" planned=s1 patch=d4129044 applied=s1 order=Some(1) reason=Some(\"accepted with --yes\") output=None",
                "applied_nothing.py: applied snapshot=\"applied_nothing.py\" planned=s1 patch=f222cdfc applied=s1 order=Some(1) reason=None output=None",
                "failed_empty.py: skipped snapshot=\"failed_empty.py\" planned=s2 patch= applied= order=None reason=Some(\"no automatic rewrite: 1 finding for a person (see `codemod plan`)\") output=None",
                "failed_patch_changed.py: accepted snapshot=\"failed_patch_changed.py\" planned=s1 patch=d4129044 applied= order=None reason=Some(\"accepted with --yes\") output=None",
                "failed_same.py: accepted snapshot=\"failed_same.py\" planned=s1 patch=f222cdfc applied= order=None reason=None output=None",
                "gone.py: skipped snapshot=\"gone.py\" planned=s1 patch=f222cdfc applied= order=None reason=Some(\"file removed\") output=None",
                "left.py: skipped snapshot=\"left.py\" planned=s1 patch=f222cdfc applied= order=None reason=Some(\"nothing left to rewrite\") output=None",
                "new.py: accepted snapshot=\"new.py\" planned=s1 patch=f222cdfc applied= order=None reason=Some(\"accepted with --yes\") output=None",
                "new_empty.py: skipped snapshot=\"\" planned=s1 patch= applied= order=None reason=Some(\"no automatic rewrite: 1 finding for a person (see `codemod plan`)\") output=None",
                "pending_changed.py: accepted snapshot=\"pending_changed.py\" planned=s2 patch=f222cdfc applied= order=None reason=Some(\"accepted with --yes\") output=None",
                "pending_empty.py: skipped snapshot=\"pending_empty.py\" planned=s2 patch= applied= order=None reason=Some(\"no automatic rewrite: 1 finding for a person (see `codemod plan`)\") output=None",
                "pending_no_snapshot.py: accepted snapshot=\"pending_no_snapshot.py\" planned=s1 patch=f222cdfc applied= order=None reason=Some(\"accepted with --yes\") output=None",
                "pending_same.py: accepted snapshot=\"pending_same.py\" planned=s1 patch=f222cdfc applied= order=None reason=Some(\"accepted with --yes\") output=None",
                "skipped_changed.py: accepted snapshot=\"skipped_changed.py\" planned=s2 patch=f222cdfc applied= order=None reason=Some(\"accepted with --yes\") output=None",
                "skipped_empty.py: skipped snapshot=\"skipped_empty.py\" planned=s2 patch= applied= order=None reason=Some(\"no automatic rewrite: 1 finding for a person (see `codemod plan`)\") output=None",
                "skipped_same.py: skipped snapshot=\"skipped_same.py\" planned=s1 patch= applied= order=None reason=None output=None",
                "unmentioned_applied.py: applied snapshot=\"unmentioned_applied.py\" planned=s1 patch=f222cdfc applied=s1 order=Some(1) reason=None output=None",
                "unplannable_applied.py: applied snapshot=\"unplannable_applied.py\" planned=s0 patch=f222cdfc applied=s1 order=Some(1) reason=None output=None",
                "unplannable_new.py: skipped snapshot=\"\" planned= patch= applied= order=None reason=Some(\"cannot be planned: bad bytes\") output=None",
                "unplannable_pending.py: skipped snapshot=\"unplannable_pending.py\" planned=s0 patch=f222cdfc applied= order=None reason=Some(\"cannot be planned: bad bytes\") output=None",
                "written_more.py: accepted snapshot=\"written_more.py\" planned=s1 patch=d4129044 applied=s1 order=Some(1) reason=Some(\"accepted with --yes\") output=None",
                "snapshot accepted_changed.py.snap",
                "snapshot accepted_empty.py.snap",
                "snapshot accepted_same.py.snap",
                "snapshot applied_changed.py.snap",
                "snapshot applied_more.py.snap",
                "snapshot failed_empty.py.snap",
                "snapshot failed_patch_changed.py.snap",
                "snapshot failed_same.py.snap",
                "snapshot new.py.snap",
                "snapshot pending_changed.py.snap",
                "snapshot pending_no_snapshot.py.snap",
                "snapshot pending_same.py.snap",
                "snapshot skipped_changed.py.snap",
                "snapshot unmentioned_applied.py.snap.new",
                "snapshot unplannable_applied.py.snap.new",
                "snapshot written_more.py.snap",
            ]
        );
    }
}
