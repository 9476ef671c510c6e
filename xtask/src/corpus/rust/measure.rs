//! Measuring one crate: check, plan, apply, re-parse, re-plan, check again.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use super::super::{copy_tree, relative, run_measured, run_plan, tail, write_findings, Plan};
use super::check::{cargo_check, new_warnings, Check};
use super::{list_rs_files, Requested, Tree, CHECK_TIMEOUT};

/// codemod's exit code for a bug in the tool (a rewrite that does not parse, a panic).
const INTERNAL_EXIT_CODE: i32 = 3;

pub(super) struct Settings {
    /// `<cache>/rust`.
    pub cache: PathBuf,
    pub codemod: PathBuf,
    pub timeout: Duration,
    pub repeat: usize,
    pub list_findings: bool,
}

/// What one crate gave; `report` renders it.
#[derive(Serialize, Default)]
pub(super) struct CrateReport {
    pub name: String,
    pub version: String,
    pub driver: String,
    pub check_args: Vec<String>,
    pub work_copy: String,
    pub rs_files: usize,
    pub generated_lockfile: bool,
    pub files_scanned: u64,
    pub files_parsed: u64,
    pub files_with_findings: u64,
    /// Rewrites (findings) of the first plan by kind name.
    pub findings_by_kind: BTreeMap<String, u64>,
    pub safe: u64,
    pub review: u64,
    pub manual: u64,
    /// Rewrites the plan would apply (safe and review ones with edits).
    pub rewrites_applied: u64,
    /// Files `apply --include-review` changed.
    pub files_changed: u64,
    pub input_parse_failures: u64,
    pub invalid_outputs: u64,
    pub invalid_output_files: Vec<String>,
    pub non_idempotent: u64,
    pub non_idempotent_files: Vec<String>,
    /// Crashes (exit 101, signal, timeout) of plan, apply or re-plan, and internal errors.
    pub panics: u64,
    /// plan or re-plan runs that printed no valid JSON without crashing.
    pub tool_failures: u64,
    pub plan_wall_s: f64,
    pub plan_peak_rss_mb: f64,
    pub apply_wall_s: f64,
    pub check_before: Check,
    /// Absent when `apply` changed nothing (the tree is the one checked before).
    pub check_after: Option<Check>,
    /// Warnings of the crate after `apply` that it did not have before (not a gate).
    pub new_warnings: Vec<String>,
    pub notes: Vec<String>,
}

impl CrateReport {
    /// Built before `apply` and not after.
    pub fn broke_the_build(&self) -> bool {
        self.check_before.built && self.check_after.as_ref().is_some_and(|c| !c.built)
    }
}

pub(super) fn measure(s: &Settings, krate: &Requested, tree: &Tree) -> Result<CrateReport> {
    let id = krate.id();
    let run_dir = s.cache.join("runs").join(&id);
    fs::create_dir_all(&run_dir)?;
    // A fresh copy each run, always at the same path, so the shared target directory
    // only recompiles the crate itself.
    let work = s.cache.join("work").join(&id);
    if work.exists() {
        fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    copy_tree(&tree.path, &work)?;
    let mut r = CrateReport {
        name: krate.name.clone(),
        version: krate.version.clone(),
        driver: krate.driver.clone(),
        check_args: krate.check_args.clone(),
        work_copy: work.display().to_string(),
        rs_files: tree.rs_files,
        generated_lockfile: tree.generated_lockfile,
        ..CrateReport::default()
    };
    let target = s.cache.join("target");
    eprintln!("corpus: {id}: cargo check (before)");
    r.check_before = cargo_check(
        &work,
        &target,
        &krate.check_args,
        &run_dir,
        "check-before",
        CHECK_TIMEOUT,
    )?;
    let originals = read_rs_files(&work)?;
    let plan = plan_and_count(s, &work, &run_dir, &mut r)?;
    if s.list_findings {
        let path = s.cache.join(format!("findings-{id}.txt"));
        write_findings(&path, &plan, &work)?;
        eprintln!("corpus: {id}: findings in {}", path.display());
    }
    let apply_crashed = apply_rewrites(s, &plan, &work, &run_dir, &mut r)?;
    let changed = changed_files(&work, &originals, &mut r.notes)?;
    r.files_changed = changed.len() as u64;
    check_reparse(&work, &changed, &originals, &mut r)?;
    if apply_crashed {
        r.notes
            .push("idempotency not checked because `codemod apply` crashed".to_string());
    } else {
        check_idempotent(s, &work, &run_dir, &mut r)?;
    }
    if !changed.is_empty() {
        eprintln!("corpus: {id}: cargo check (after apply)");
        let after = cargo_check(
            &work,
            &target,
            &krate.check_args,
            &run_dir,
            "check-after",
            CHECK_TIMEOUT,
        )?;
        r.new_warnings = new_warnings(&r.check_before, &after);
        r.check_after = Some(after);
    }
    Ok(r)
}

/// Plans `work` (the fastest of `repeat` runs is the plan time) and counts what it found.
fn plan_and_count(s: &Settings, work: &Path, run_dir: &Path, r: &mut CrateReport) -> Result<Plan> {
    let (outcome, plan, notes) = run_plan(&s.codemod, work, run_dir, "plan", s.timeout)?;
    r.notes.extend(notes);
    r.panics += u64::from(outcome.crashed());
    r.tool_failures += u64::from(plan.is_none() && !outcome.crashed());
    let mut wall = outcome.wall;
    let mut rss_kb = outcome.max_rss_kb;
    for _ in 1..s.repeat {
        let mut cmd = Command::new(&s.codemod);
        cmd.args(["plan", "--format", "json"]).arg(work);
        let again = run_measured(
            cmd,
            &run_dir.join("plan-again.json"),
            &run_dir.join("plan-again.stderr"),
            s.timeout,
        )?;
        if !again.crashed() {
            wall = wall.min(again.wall);
            rss_kb = rss_kb.max(again.max_rss_kb);
        }
    }
    r.plan_wall_s = wall.as_secs_f64();
    r.plan_peak_rss_mb = rss_kb as f64 / 1024.0;
    let plan = plan.unwrap_or_default();
    count_plan(&plan, r);
    Ok(plan)
}

fn count_plan(plan: &Plan, r: &mut CrateReport) {
    r.files_scanned = plan.summary.files_scanned;
    r.files_parsed = plan.summary.files_parsed;
    for file in &plan.files {
        r.files_with_findings += u64::from(!file.rewrites.is_empty());
        for rewrite in &file.rewrites {
            *r.findings_by_kind.entry(rewrite.kind.clone()).or_default() += 1;
            match rewrite.safety.as_str() {
                "safe" => r.safe += 1,
                "review" => r.review += 1,
                _ => r.manual += 1,
            }
            r.rewrites_applied += u64::from(rewrite.applied);
        }
    }
    for e in &plan.errors {
        match e.kind.as_str() {
            "internal" => {
                r.panics += 1;
                r.notes
                    .push(format!("internal error: {}: {}", e.path, e.message));
            }
            "syntax" | "encoding" | "io" => r.input_parse_failures += 1,
            _ => {}
        }
    }
}

/// `codemod apply --include-review` on the files the plan would change; true if it crashed.
fn apply_rewrites(
    s: &Settings,
    plan: &Plan,
    work: &Path,
    run_dir: &Path,
    r: &mut CrateReport,
) -> Result<bool> {
    let files: Vec<PathBuf> = plan
        .files
        .iter()
        .filter(|f| f.rewrites.iter().any(|w| w.applied))
        .map(|f| resolve(&f.path, work))
        .collect();
    if files.is_empty() {
        return Ok(false);
    }
    let mut cmd = Command::new(&s.codemod);
    cmd.args(["apply", "--include-review"]).args(&files);
    let stderr = run_dir.join("apply.stderr");
    let outcome = run_measured(cmd, &run_dir.join("apply.stdout"), &stderr, s.timeout)?;
    r.apply_wall_s = outcome.wall.as_secs_f64();
    let crashed = outcome.crashed();
    let internal = outcome.status.code() == Some(INTERNAL_EXIT_CODE);
    r.panics += u64::from(crashed || internal);
    if !outcome.status.success() {
        r.notes.push(format!(
            "`codemod apply --include-review` failed ({}); stderr: {}",
            outcome.describe(),
            tail(&fs::read_to_string(&stderr).unwrap_or_default(), 3)
        ));
    }
    Ok(crashed)
}

/// A path codemod printed: absolute, or relative to the directory xtask runs in.
fn resolve(path: &str, work: &Path) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else if work.join(path).exists() {
        work.join(path)
    } else {
        std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Every `.rs` file of `dir` by path relative to it, with its bytes.
fn read_rs_files(dir: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    list_rs_files(dir)?
        .into_iter()
        .map(|f| {
            let bytes = fs::read(&f).with_context(|| format!("reading {}", f.display()))?;
            Ok((f.strip_prefix(dir)?.to_path_buf(), bytes))
        })
        .collect()
}

/// The relative paths of the `.rs` files whose bytes differ from `originals`.
fn changed_files(
    work: &Path,
    originals: &BTreeMap<PathBuf, Vec<u8>>,
    notes: &mut Vec<String>,
) -> Result<Vec<PathBuf>> {
    let now = read_rs_files(work)?;
    let mut changed = Vec::new();
    for (rel, before) in originals {
        match now.get(rel) {
            Some(after) if after == before => {}
            Some(_) => changed.push(rel.clone()),
            None => notes.push(format!("`codemod apply` removed {}", rel.display())),
        }
    }
    let created = now.keys().filter(|k| !originals.contains_key(*k)).count();
    if created > 0 {
        notes.push(format!("`codemod apply` created {created} new .rs files"));
    }
    Ok(changed)
}

/// Parses every changed file before and after with `lang_rust` (ra_ap_syntax); a file
/// that parsed before and not after is an invalid output.
fn check_reparse(
    work: &Path,
    changed: &[PathBuf],
    originals: &BTreeMap<PathBuf, Vec<u8>>,
    r: &mut CrateReport,
) -> Result<()> {
    let manifest = fs::read_to_string(work.join("Cargo.toml")).unwrap_or_default();
    let edition = lang_rust::edition_from_cargo_toml(&manifest);
    let parse_error = |bytes: &[u8]| -> Option<String> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Some("not UTF-8".to_string());
        };
        let analysis = lang_rust::analyze(text, edition, false);
        analysis.parse_errors.first().map(|e| {
            let line = 1 + text.as_bytes()[..e.offset.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            format!("line {line}: {}", e.message)
        })
    };
    for rel in changed {
        let before = parse_error(&originals[rel]);
        let after = parse_error(&fs::read(work.join(rel))?);
        match (before, after) {
            (None, Some(err)) => r
                .invalid_output_files
                .push(format!("{}: {err}", rel.display())),
            (Some(_), _) => r.notes.push(format!(
                "{} was changed although it did not parse before",
                rel.display()
            )),
            (None, None) => {}
        }
    }
    r.invalid_outputs = r.invalid_output_files.len() as u64;
    Ok(())
}

/// Plans the rewritten copy again: a file where it would still apply a rewrite is not
/// idempotent.
fn check_idempotent(s: &Settings, work: &Path, run_dir: &Path, r: &mut CrateReport) -> Result<()> {
    let (outcome, replan, notes) = run_plan(&s.codemod, work, run_dir, "replan", s.timeout)?;
    r.notes.extend(notes);
    r.panics += u64::from(outcome.crashed());
    r.tool_failures += u64::from(replan.is_none() && !outcome.crashed());
    let replan = replan.unwrap_or_default();
    for e in replan.errors.iter().filter(|e| e.kind == "internal") {
        r.panics += 1;
        r.notes.push(format!(
            "internal error after apply: {}: {}",
            e.path, e.message
        ));
    }
    r.non_idempotent_files = replan
        .files
        .iter()
        .filter(|f| f.rewrites.iter().any(|w| w.applied))
        .map(|f| relative(&f.path, work))
        .collect();
    r.non_idempotent = r.non_idempotent_files.len() as u64;
    Ok(())
}
