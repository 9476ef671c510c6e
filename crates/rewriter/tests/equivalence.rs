//! Behaviour equivalence: every applied rewrite of the testdata cases and the example
//! project runs before and after against real SQLAlchemy and SQLite
//! (`harness/equivalence/harness.py`), under a success scenario and injected failures.
//! A **safe** rewrite must behave identically in every scenario; a **review** rewrite may
//! differ only in the way its reason names. The observed differences are snapshotted under
//! `testdata/equivalence/`, so a reason that stops matching what happens fails the test.
//!
//! Python: `CODEMOD_PYTHON`, else `.venv-test/bin/python` at the repository root, with
//! `harness/requirements.txt` installed (SQLAlchemy 2.0), and one venv per older pinned
//! SQLAlchemy (`common::python::SQLALCHEMY_VENVS`: 1.3, 1.4). Each job runs under every
//! pinned version its project allows (`ProjectIndex::sqlalchemy_versions`; a project that
//! declares none is taken as 1.4+), so a form planned for a project is run on the oldest
//! SQLAlchemy it must work with. The snapshot shows the newest version's run; every run
//! is judged. Without a Python the test fails when `CI` is set and prints a loud skip
//! otherwise.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use analyzer::sqla_version::{SqlaVersions, Version};
use analyzer::{Safety, SourceFile};
use common::python::{find_python_for, python_or_skip, SqlaVenv, SQLALCHEMY_VENVS};
use common::{build_index, py_files, root};
use rewriter::{plan_file, Selection};
use serde_json::{json, Value};

/// Rewrites the harness shows are not equivalent (or whose reason does not name what
/// changes): analyzer bugs waiting for a fix. `(job, function, why)`. Their differences are
/// still computed and snapshotted; the test fails if an entry is no longer needed.
const KNOWN_NOT_EQUIVALENT: &[(&str, &str, &str)] = &[];

/// Harness processes run side by side.
const WORKERS: usize = 2;

// ---------------------------------------------------------------------------------------
// What a reason says changes, and which observed differences that allows.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    /// "the session is now closed on every path (it leaked before)", "session now closed":
    /// fewer sessions left open / connections checked out, the discarded writes of a
    /// session that leaked are rolled back, and the new close can fail.
    ClosesLeak,
    /// "guard commits where the original never committed", "guard commits again at the
    /// end", "guard also commits on the early `return`": more is committed, and the new
    /// commit can fail (injected, or on a constraint the uncommitted work broke).
    AddsCommit,
    /// "DetachedInstanceError": reading the returned / used objects may raise it.
    Detaches,
    /// "the original handler failed on the unbound `session`": differences only when
    /// creating the session fails.
    CreationFailure,
    /// "handlers now also catch": the original's handlers now see what creating and
    /// closing the session raise.
    HandlersCatch,
    /// "re-raises errors as another exception type": an exception comes out as the
    /// guard's type, with the same message.
    TranslatesErrors,
    /// "does not roll back": fewer explicit rollbacks.
    NoRollback,
    /// "it becomes `flush()`, so the work is committed once": on the success path the same
    /// result and rows, in fewer commits, with another count of work calls (one more: the
    /// flush; fewer: objects not expired are not reloaded); when something fails after the
    /// flush, the work before it is rolled back with the rest (and the failure scenarios,
    /// counted in work calls and commits, land on other calls).
    CommitsOnce,
}

fn changes_named(reason: &str) -> BTreeSet<Change> {
    let mut out = BTreeSet::new();
    let has = |s: &str| reason.contains(s);
    if has("it leaked before") || has("where it leaked") || has("session now closed") {
        out.insert(Change::ClosesLeak);
    }
    if has("guard commits where the original never committed")
        || has("guard commits again at the end")
        || has("guard also commits on the early `return`")
    {
        out.insert(Change::AddsCommit);
    }
    if has("DetachedInstanceError") {
        out.insert(Change::Detaches);
    }
    if has("unbound `session`") {
        out.insert(Change::CreationFailure);
    }
    if has("handlers now also catch") || has("now reaches the handler") {
        out.insert(Change::HandlersCatch);
    }
    if has("re-raises errors as another exception type") {
        out.insert(Change::TranslatesErrors);
    }
    if has("does not roll back") {
        out.insert(Change::NoRollback);
    }
    if has("it becomes `flush()`, so the work is committed once") {
        out.insert(Change::CommitsOnce);
    }
    out
}

/// The named change that explains one observed difference, if any.
fn explained_by(changes: &BTreeSet<Change>, diff: &Diff) -> Option<Change> {
    let (b, a) = (diff.before.as_i64(), diff.after.as_i64());
    let fewer = matches!((b, a), (Some(b), Some(a)) if a < b);
    let more = matches!((b, a), (Some(b), Some(a)) if a > b);
    let after_text = diff.after.as_str().unwrap_or("");
    let scenario = diff.scenario.as_str();
    let field = diff.field.as_str();
    // The scenario's injected failure hit the after code only (the before code never
    // reached that point): everything that follows from it differs.
    let only_after_hit =
        |what: &str| diff.outcomes[1].contains(what) && !diff.outcomes[0].contains(what);
    let detached = |text: &str| {
        text.contains("DetachedInstanceError") || text.contains("is not bound to a Session")
    };
    changes.iter().copied().find(|c| match c {
        Change::ClosesLeak => match field {
            "left_open" | "checked_out" => fewer,
            "rollbacks" => more,
            _ => scenario.contains(": close ") && only_after_hit("injected: close"),
        },
        Change::AddsCommit => match field {
            // What the added commit saved.
            "db" => diff.commits[1] > diff.commits[0],
            "commits" => more,
            "rollbacks" => fewer,
            // The work it now commits breaks a constraint the original never reached.
            "outcome" if after_text.starts_with("raised IntegrityError") => {
                !diff.before.as_str().unwrap_or("").starts_with("raised")
            }
            _ => scenario.contains(": commit ") && only_after_hit("injected: commit"),
        },
        Change::Detaches => match field {
            "reads" | "outcome" => detached(after_text),
            // The refresh that failed is a work call the after code no longer makes.
            "steps" => fewer && detached(&diff.outcomes[1]),
            _ => false,
        },
        Change::CreationFailure => scenario.contains(": creating session "),
        Change::HandlersCatch => {
            scenario.contains(": creating session ") || scenario.contains(": close ")
        }
        Change::TranslatesErrors => {
            let message = |t: &str| {
                t.strip_prefix("raised ")
                    .and_then(|t| t.split_once(": "))
                    .map(|(_, m)| m.to_string())
            };
            field == "outcome"
                && message(diff.before.as_str().unwrap_or("")).is_some()
                && message(diff.before.as_str().unwrap_or("")) == message(after_text)
        }
        Change::NoRollback => field == "rollbacks" && fewer,
        Change::CommitsOnce => {
            // A failure, injected or the code's own (an `ok` run that raises): the work
            // before the flush is rolled back with the rest, and the injection points
            // (counted in work calls and commits) shift.
            let failure = !scenario.ends_with(": ok")
                || diff.outcomes.iter().any(|o| o.starts_with("raised"));
            failure
                || match field {
                    "commits" => fewer,
                    "steps" => true,
                    _ => false,
                }
        }
    })
}

// ---------------------------------------------------------------------------------------
// Building the before / after trees and the harness jobs.

struct Finding {
    line: usize,
    safety: Safety,
    reason: String,
}

struct Job {
    /// `cases/<stem>`, `cases/<dir>/<module>` or `example/<module>`.
    name: String,
    before: PathBuf,
    after: PathBuf,
    module: String,
    findings: Vec<Finding>,
    /// The SQLAlchemy versions its project allows.
    versions: SqlaVersions,
}

impl Job {
    /// Whether the project allows the venv's SQLAlchemy.
    fn runs_under(&self, venv: &SqlaVenv) -> bool {
        let (a, b, c) = venv.version;
        let v = Version(a, b, c);
        v >= self.versions.minimum()
            && self
                .versions
                .highest
                .is_none_or(|(h, inclusive)| v < h || (inclusive && v == h))
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        if name == "__pycache__" {
            continue;
        }
        if p.is_dir() {
            copy_tree(&p, &to.join(name));
        } else {
            std::fs::copy(&p, to.join(name)).unwrap();
        }
    }
}

/// Plans each target (pass 1 over `files`, config from `config_dir`) and writes the
/// rewritten text over its copy at `tree/after/<rel>`: one job per rewritten file. The
/// caller has copied the originals to `tree/before` and `tree/after`.
///
/// With `Selection::SafeOnly`, only files whose safe-only plan differs from their
/// safe+review plan get a job (the others are the safe+review job already): there the
/// safe rewrites are judged alone, not hidden in a function a review rewrite also touches.
fn plan_jobs(
    prefix: &str,
    config_dir: &Path,
    files: &[PathBuf],
    targets: &[(PathBuf, PathBuf)],
    tree: &Path,
    selection: Selection,
) -> Vec<Job> {
    let index = build_index(config_dir, files);
    let mut jobs = vec![];
    for (target, rel) in targets {
        let file = SourceFile::read(target).unwrap();
        if analyzer::skip_reason(&file.text).is_some() {
            continue;
        }
        let plan = plan_file(file.clone(), &index, selection)
            .unwrap_or_else(|e| panic!("{}: {e}", target.display()));
        if selection == Selection::SafeOnly {
            let both = plan_file(file, &index, Selection::SafeAndReview)
                .unwrap_or_else(|e| panic!("{}: {e}", target.display()));
            if both.rewritten == plan.rewritten {
                continue;
            }
        }
        let findings: Vec<Finding> = plan
            .findings
            .iter()
            .filter(|f| f.applied)
            .map(|f| Finding {
                line: f.line,
                safety: f.safety,
                reason: f.reason.clone(),
            })
            .collect();
        if findings.is_empty() {
            continue;
        }
        std::fs::write(tree.join("after").join(rel), plan.new_bytes()).unwrap();
        // The src layout: `src/` (not a package) is what goes on sys.path.
        let (sys_path, in_path) = match rel.strip_prefix("src") {
            Ok(inner) if !tree.join("before/src/__init__.py").exists() => ("src", inner),
            _ => ("", rel.as_path()),
        };
        let module = in_path
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(".");
        jobs.push(Job {
            name: format!("{prefix}{module}"),
            before: tree.join("before").join(sys_path),
            after: tree.join("after").join(sys_path),
            module,
            findings,
            versions: index.sqlalchemy_versions(target).clone(),
        });
    }
    jobs
}

/// A project directory (a directory case, the example): copied whole, every file planned.
fn project_jobs(prefix: &str, dir: &Path, tree: &Path, selection: Selection) -> Vec<Job> {
    copy_tree(dir, &tree.join("before"));
    copy_tree(dir, &tree.join("after"));
    let files = py_files(dir);
    let targets: Vec<(PathBuf, PathBuf)> = files
        .iter()
        .map(|f| (f.clone(), f.strip_prefix(dir).unwrap().to_path_buf()))
        .collect();
    plan_jobs(prefix, dir, &files, &targets, tree, selection)
}

/// Every case and the example, planned with safe+review rewrites, then again with safe ones
/// only where that makes a different file (job names `safe-only/...`).
fn all_jobs(tmp: &Path) -> Vec<Job> {
    let mut jobs = selection_jobs(tmp, "", Selection::SafeAndReview);
    jobs.extend(selection_jobs(
        &tmp.join("safe-only"),
        "safe-only/",
        Selection::SafeOnly,
    ));
    jobs
}

fn selection_jobs(tmp: &Path, prefix: &str, selection: Selection) -> Vec<Job> {
    let cases = root().join("testdata/cases");
    let fixture = root().join("testdata/casefix.py");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let mut jobs = vec![];
    for p in &entries {
        let stem = p.file_stem().unwrap().to_string_lossy().to_string();
        let tree = tmp.join("cases").join(&stem);
        if p.extension().is_some_and(|x| x == "py") {
            // A single-file case runs next to a copy of casefix.py; planned as cases.rs
            // plans it (casefix.py in pass 1, the config found from testdata/cases).
            let name = PathBuf::from(p.file_name().unwrap());
            for side in ["before", "after"] {
                std::fs::create_dir_all(tree.join(side)).unwrap();
                std::fs::copy(&fixture, tree.join(side).join("casefix.py")).unwrap();
                std::fs::copy(p, tree.join(side).join(&name)).unwrap();
            }
            let files = [fixture.clone(), p.clone()];
            jobs.extend(plan_jobs(
                &format!("{prefix}cases/"),
                &cases,
                &files,
                &[(p.clone(), name)],
                &tree,
                selection,
            ));
        } else if p.is_dir() {
            jobs.extend(project_jobs(
                &format!("{prefix}cases/{stem}/"),
                p,
                &tree,
                selection,
            ));
        }
    }
    jobs.extend(project_jobs(
        &format!("{prefix}example/"),
        &root().join("examples/inventory_service"),
        &tmp.join("example"),
        selection,
    ));
    jobs
}

// ---------------------------------------------------------------------------------------
// Python.

fn job_json(job: &Job) -> Value {
    json!({
        "name": job.name,
        "before": job.before,
        "after": job.after,
        "module": job.module,
        "findings": job.findings.iter().enumerate()
            .map(|(id, f)| json!({"id": id, "line": f.line}))
            .collect::<Vec<_>>(),
    })
}

fn run_harness(python: &Path, jobs: &[&Job]) -> BTreeMap<String, Value> {
    let script = root().join("harness/equivalence/harness.py");
    // Spread the jobs over the workers, heaviest first.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(jobs[i].findings.len()));
    let mut chunks: Vec<(usize, Vec<Value>)> = vec![(0, vec![]); WORKERS];
    for i in order {
        let job = jobs[i];
        let chunk = chunks.iter_mut().min_by_key(|c| c.0).unwrap();
        chunk.0 += job.findings.len();
        chunk.1.push(job_json(job));
    }
    let outputs: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .filter(|c| !c.1.is_empty())
            .map(|(_, chunk)| {
                let script = &script;
                s.spawn(move || {
                    let mut child = Command::new(python)
                        .arg(script)
                        .env("PYTHONHASHSEED", "0")
                        .env_remove("CASEFIX_DB")
                        .env_remove("INVENTORY_DB")
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .expect("start the harness");
                    let input = serde_json::to_vec(&json!({ "jobs": chunk })).unwrap();
                    child.stdin.take().unwrap().write_all(&input).unwrap();
                    let out = child.wait_with_output().unwrap();
                    assert!(
                        out.status.success(),
                        "harness failed ({}):\n{}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr)
                    );
                    serde_json::from_slice::<Value>(&out.stdout).unwrap_or_else(|e| {
                        panic!(
                            "harness output is not JSON ({e}):\n{}\n{}",
                            String::from_utf8_lossy(&out.stdout),
                            String::from_utf8_lossy(&out.stderr)
                        )
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut by_name = BTreeMap::new();
    for out in outputs {
        for r in out["results"].as_array().unwrap() {
            by_name.insert(r["name"].as_str().unwrap().to_string(), r.clone());
        }
    }
    by_name
}

// ---------------------------------------------------------------------------------------
// Judging and rendering.

struct Diff {
    scenario: String,
    field: String,
    before: Value,
    after: Value,
    /// The scenario's outcomes, before and after.
    outcomes: [String; 2],
    /// The scenario's committed write transactions, before and after.
    commits: [i64; 2],
}

fn show(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // SQLAlchemy messages: one line, without the link to the error's docs page.
    let text = match text.find("\n(Background on this error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    text.replace('\n', " ")
}

#[derive(Default)]
struct Verdicts {
    failures: Vec<String>,
    known: Vec<String>,
    functions: usize,
    safe: usize,
    review: usize,
    scenarios: usize,
    runs: u64,
}

/// Judges one job's result and renders its snapshot.
fn judge(job: &Job, result: &Value, v: &mut Verdicts) -> String {
    let mut out = String::new();
    if let Some(err) = result["error"].as_str() {
        v.failures.push(format!(
            "{}: the harness could not run it:\n{err}",
            job.name
        ));
        return format!("harness error:\n{err}\n");
    }
    let mut covered = BTreeSet::new();
    for f in result["functions"].as_array().unwrap() {
        let qualname = f["qualname"].as_str().unwrap();
        let ids: Vec<usize> = f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        covered.extend(ids.iter().copied());
        let findings: Vec<&Finding> = ids.iter().map(|&i| &job.findings[i]).collect();
        let review = findings.iter().any(|f| f.safety == Safety::Review);
        let class = if review { "review" } else { "safe" };
        v.functions += 1;
        if review {
            v.review += 1;
        } else {
            v.safe += 1;
        }
        let scenarios = f["scenarios"].as_array().unwrap();
        v.scenarios += scenarios.len();
        v.runs += f["runs"].as_u64().unwrap();
        let mut changes = BTreeSet::new();
        out.push_str(&format!(
            "{qualname}{} [{class}]\n",
            if f["async"].as_bool().unwrap() {
                " (async)"
            } else {
                ""
            }
        ));
        for finding in &findings {
            out.push_str(&format!(
                "  line {} [{}] {}\n",
                finding.line, finding.safety, finding.reason
            ));
            changes.extend(changes_named(&finding.reason));
        }
        if !changes.is_empty() {
            out.push_str(&format!("  named changes: {changes:?}\n"));
        }
        // The success runs (before), to show the function really ran, and the faults.
        let argsets = f["argsets"].as_object().unwrap();
        for label in f["labels"].as_array().unwrap() {
            let label = label.as_str().unwrap();
            let args = &argsets[label];
            let outcome = show(&f["success"][label]["outcome"]);
            let faults: Vec<String> = scenarios
                .iter()
                .filter_map(|s| s.as_str())
                .filter_map(|s| s.strip_prefix(&format!("{label}: ")))
                .filter(|s| *s != "ok")
                .map(|s| s.trim_end_matches(" raises").to_string())
                .collect();
            let faults = match f["success"][label]["faults_as"].as_str() {
                Some(same) => format!("as {same} (same path)"),
                None if faults.is_empty() => "-".to_string(),
                None => faults.join(", "),
            };
            out.push_str(&format!(
                "  {label} {}: {outcome}\n    faults: {faults}\n",
                show(args)
            ));
        }
        // Differences, grouped by what differs.
        let mut grouped: BTreeMap<(bool, String, String, String), Vec<String>> = BTreeMap::new();
        for d in f["diffs"].as_array().unwrap() {
            let outcome = |i: usize| d["outcomes"][i].as_str().unwrap_or("").to_string();
            let diff = Diff {
                scenario: d["scenario"].as_str().unwrap().to_string(),
                field: d["field"].as_str().unwrap().to_string(),
                before: d["before"].clone(),
                after: d["after"].clone(),
                outcomes: [outcome(0), outcome(1)],
                commits: [0, 1].map(|i| d["commits"][i].as_i64().unwrap_or(0)),
            };
            let ok = explained_by(&changes, &diff).is_some();
            grouped
                .entry((
                    !ok,
                    diff.field.clone(),
                    show(&diff.before),
                    show(&diff.after),
                ))
                .or_default()
                .push(diff.scenario);
        }
        let unexplained: Vec<_> = grouped.keys().filter(|k| k.0).collect();
        let known = KNOWN_NOT_EQUIVALENT
            .iter()
            .find(|(j, q, _)| *j == job.name && *q == qualname);
        if grouped.is_empty() {
            out.push_str(&format!(
                "  identical in all {} scenarios\n",
                scenarios.len()
            ));
        } else {
            out.push_str(&format!(
                "  differences in {} of {} scenarios:\n",
                grouped.values().flatten().collect::<BTreeSet<_>>().len(),
                scenarios.len()
            ));
            for ((bad, field, before, after), where_) in &grouped {
                out.push_str(&format!(
                    "    {}{field}: {before} => {after}\n      in: {}\n",
                    if *bad {
                        "NOT NAMED BY THE REASON: "
                    } else {
                        ""
                    },
                    where_.join("; ")
                ));
            }
        }
        if review && grouped.is_empty() {
            out.push_str("  note: review rewrite, no difference observed\n");
        }
        let summary = format!(
            "{} {qualname} [{class}] ({}): {}",
            job.name,
            findings
                .iter()
                .map(|f| f.reason.as_str())
                .collect::<Vec<_>>()
                .join(" / "),
            unexplained
                .iter()
                .map(|k| {
                    let (_, field, b, a) = k;
                    format!("{field}: {b} => {a} (in: {})", grouped[*k].join("; "))
                })
                .collect::<Vec<_>>()
                .join(" / ")
        );
        match (unexplained.is_empty(), known) {
            (false, None) => v.failures.push(summary),
            (false, Some((_, _, why))) => v.known.push(format!("{summary} (known: {why})")),
            (true, Some(_)) => v.failures.push(format!(
                "{} {qualname}: listed in KNOWN_NOT_EQUIVALENT but now equivalent: remove the entry",
                job.name
            )),
            (true, None) => {}
        }
        out.push('\n');
    }
    for (i, f) in job.findings.iter().enumerate() {
        if !covered.contains(&i) {
            v.failures.push(format!(
                "{}: finding at line {} was not run",
                job.name, f.line
            ));
        }
    }
    out
}

fn snapshot(name: &str, content: &str) {
    insta::with_settings!({
        snapshot_path => root().join("testdata/equivalence"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, content);
    });
}

/// The Python of each pinned SQLAlchemy (oldest first); `EQUIVALENCE_SQLA=1.4` keeps
/// the versions whose label contains it. `None` after a loud skip when there is none
/// outside CI; in CI, or with its variable set, a missing one fails.
fn pythons() -> Option<Vec<(&'static SqlaVenv, PathBuf)>> {
    let only = std::env::var("EQUIVALENCE_SQLA").ok();
    let mut out = vec![];
    for venv in SQLALCHEMY_VENVS {
        if only
            .as_ref()
            .is_some_and(|o| !venv.label().contains(o.as_str()))
        {
            continue;
        }
        match find_python_for(venv) {
            Ok(p) => out.push((venv, p)),
            Err(why) if std::env::var_os("CI").is_some() => {
                panic!("equivalence harness cannot run in CI: {why}")
            }
            Err(why) if std::env::var_os(venv.env).is_some() => {
                panic!(
                    "equivalence harness: {} is set but unusable: {why}",
                    venv.env
                )
            }
            Err(why) => {
                eprintln!(
                    "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                     SKIPPED: the behaviour-equivalence harness did not run.\n{why}\n\
                     !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
                );
                return None;
            }
        }
    }
    Some(out)
}

#[test]
fn rewrites_behave_as_classified() {
    // EQUIVALENCE_KEEP=DIR keeps the trees and writes DIR/jobs.json, for debugging:
    // `.venv-test/bin/python harness/equivalence/harness.py < DIR/jobs.json`.
    let tmp = tempfile::tempdir().unwrap();
    let base = match std::env::var_os("EQUIVALENCE_KEEP") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            dir
        }
        None => tmp.path().to_path_buf(),
    };
    let mut jobs = all_jobs(&base);
    // EQUIVALENCE_ONLY=TEXT runs only the jobs whose name contains TEXT (no snapshots).
    let only = std::env::var("EQUIVALENCE_ONLY").ok();
    if let Some(only) = &only {
        jobs.retain(|j| j.name.contains(only.as_str()));
    }
    if std::env::var_os("EQUIVALENCE_KEEP").is_some() {
        let all: Vec<Value> = jobs.iter().map(job_json).collect();
        let text = serde_json::to_string_pretty(&json!({ "jobs": all })).unwrap();
        std::fs::write(base.join("jobs.json"), text).unwrap();
    }
    let Some(venvs) = pythons() else {
        return;
    };
    let findings: usize = jobs.iter().map(|j| j.findings.len()).sum();
    assert!(
        only.is_some() || findings >= 70,
        "expected at least 70 applied rewrites, found {findings}"
    );
    let mut v = Verdicts::default();
    // Newest first: the first run of a job is its snapshot.
    let mut snapshots: BTreeMap<String, String> = BTreeMap::new();
    for (venv, python) in venvs.iter().rev() {
        let mine: Vec<&Job> = jobs.iter().filter(|j| j.runs_under(venv)).collect();
        let started = std::time::Instant::now();
        let results = run_harness(python, &mine);
        let mut here = Verdicts::default();
        for job in &mine {
            let result = results
                .get(&job.name)
                .unwrap_or_else(|| panic!("no harness result for {}", job.name));
            let body = judge(job, result, &mut here);
            snapshots.entry(job.name.replace('/', "__")).or_insert(body);
        }
        eprintln!(
            "equivalence under {}: {} jobs, {} functions ({} safe, {} review), {} scenarios, \
             {} runs in {:.1} s; {} known not equivalent",
            venv.label(),
            mine.len(),
            here.functions,
            here.safe,
            here.review,
            here.scenarios,
            here.runs,
            started.elapsed().as_secs_f64(),
            here.known.len()
        );
        let label = venv.label();
        v.failures
            .extend(here.failures.into_iter().map(|f| format!("[{label}] {f}")));
        v.known
            .extend(here.known.into_iter().map(|k| format!("[{label}] {k}")));
    }
    // Every job ran somewhere: a project whose range holds none of the pinned versions
    // would go unchecked.
    let all_versions = std::env::var_os("EQUIVALENCE_SQLA").is_none();
    for job in jobs.iter().filter(|_| all_versions) {
        if !venvs.iter().any(|(venv, _)| job.runs_under(venv)) {
            v.failures.push(format!(
                "{}: its project allows no pinned SQLAlchemy ({:?}), so it never ran",
                job.name, job.versions
            ));
        }
    }
    for k in &v.known {
        eprintln!("KNOWN NOT EQUIVALENT: {k}");
    }
    assert!(
        v.failures.is_empty(),
        "{} rewrite(s) do not behave as classified (a safe one that is not equivalent, or a \
         review one that differs in a way its reason does not name); fix the analyzer, or list \
         them in KNOWN_NOT_EQUIVALENT with the reason:\n{}",
        v.failures.len(),
        v.failures.join("\n")
    );
    // Snapshots hold the newest version's run of a job (the only one for a job its range
    // keeps off the newest): a run without the newest version writes none.
    let newest = SQLALCHEMY_VENVS.last().map(|v| v.venv);
    if only.is_none() && venvs.last().map(|(v, _)| v.venv) == newest {
        for (name, body) in snapshots {
            snapshot(&name, &body);
        }
    } else {
        for (name, body) in snapshots {
            eprintln!("== {name}\n{body}");
        }
    }
}

/// Manual findings inside SQLAlchemy's `begin()` say the code raises InvalidRequestError:
/// run the case and check that exactly the flagged functions raise it (and the rollback
/// that leaves the block right away, which is not flagged, works).
#[test]
fn begin_block_findings_name_the_functions_that_raise() {
    let Some(python) = python_or_skip("this harness test") else {
        return;
    };
    let dir = root().join("testdata/cases/begin_block_closed_by_inner_commit");
    let files = py_files(&dir);
    let index = build_index(&dir, &files);
    let service = dir.join("service.py");
    let file = SourceFile::read(&service).unwrap();
    let plan = plan_file(file.clone(), &index, Selection::SafeAndReview).unwrap();
    // The `def` each finding sits in.
    let lines: Vec<&str> = file.text.lines().collect();
    let mut flagged = BTreeSet::new();
    for f in &plan.findings {
        assert!(
            f.reason.contains("raises InvalidRequestError"),
            "{}",
            f.reason
        );
        let def = lines[..f.line]
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("def "))
            .and_then(|l| l.split('(').next())
            .unwrap();
        flagged.insert(def.to_string());
    }
    // Calls in order, on one in-memory database: the second `add_or_skip("c")` hits the
    // unique name, as does renaming gauge 1 ("a") to "c".
    let script = "import json, service\n\
        from sqlalchemy.exc import InvalidRequestError\n\
        raised = set()\n\
        for name, args in [('add_two', ('a', 'b')), ('add_or_skip', ('c',)), \
        ('add_or_skip', ('c',)), ('rename_or_note', (1, 'c')), ('count', ())]:\n\
        \x20   try:\n\
        \x20       getattr(service, name)(*args)\n\
        \x20   except InvalidRequestError:\n\
        \x20       raised.add(name)\n\
        print(json.dumps(sorted(raised)))\n";
    let work = tempfile::tempdir().unwrap();
    for f in &files {
        std::fs::copy(f, work.path().join(f.file_name().unwrap())).unwrap();
    }
    let raised: BTreeSet<String> =
        serde_json::from_value(run_script(&python, work.path(), script)).unwrap();
    assert_eq!(flagged, raised);
    assert_eq!(
        flagged,
        BTreeSet::from(["add_two".to_string(), "rename_or_note".to_string()])
    );
}

/// A project pinned below SQLAlchemy 1.4 gets no `Session.begin()` / `Session(...)` with
/// `.begin()`: its blocks stay manual with the reason. The proof that they must: the same
/// tree planned as a 1.4 project (config `sqlalchemy-version = "1.4"`) gets those forms,
/// and under SQLAlchemy 1.3 the rewritten functions fail where the originals run.
#[test]
fn forms_refused_below_1_4_fail_on_1_3() {
    let venv = &SQLALCHEMY_VENVS[0];
    assert_eq!(venv.version.0, 1, "the first pinned SQLAlchemy is 1.3");
    let python = match find_python_for(venv) {
        Ok(p) => p,
        Err(why) if std::env::var_os("CI").is_some() => panic!("{why}"),
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let case = root().join("testdata/cases/sqla13_setup_py_keeps_manual");
    let pages = Path::new("wiki/pages.py");
    let plan_in = |dir: &Path| {
        let files = py_files(dir);
        let index = build_index(dir, &files);
        let file = SourceFile::read(&dir.join(pages)).unwrap();
        plan_file(file, &index, Selection::SafeAndReview).unwrap()
    };
    let kept = plan_in(&case);
    assert_eq!(kept.findings.len(), 3);
    for f in &kept.findings {
        assert_eq!(f.safety, Safety::Manual, "{}", f.reason);
        assert!(f.reason.contains("needs SQLAlchemy 1.4"), "{}", f.reason);
    }
    assert!(!kept.is_changed());
    // The same tree told it runs on 1.4.
    let work = tempfile::tempdir().unwrap();
    let (before, after) = (work.path().join("before"), work.path().join("after"));
    copy_tree(&case, &before);
    copy_tree(&case, &after);
    std::fs::write(after.join("codemod.toml"), "sqlalchemy-version = \"1.4\"\n").unwrap();
    let planned = plan_in(&after);
    assert_eq!(planned.findings.iter().filter(|f| f.applied).count(), 3);
    assert!(planned
        .rewritten
        .contains("with Session.begin() as session:"));
    assert!(planned.rewritten.contains("session.begin():"));
    std::fs::write(after.join(pages), planned.new_bytes()).unwrap();
    let script = "import json\n\
        from wiki import pages\n\
        out = []\n\
        for name, args in [('add_page', ('home',)), ('rename_page', (1, 'start')), \
        ('page_count', ())]:\n\
        \x20   try:\n\
        \x20       out.append([name, 'returned %r' % (getattr(pages, name)(*args),)])\n\
        \x20   except Exception as exc:\n\
        \x20       out.append([name, '%s: %s' % (type(exc).__name__, exc)])\n\
        print(json.dumps(out))\n";
    let run = |dir: &Path| -> Vec<(String, String)> {
        serde_json::from_value(run_script(&python, dir, script)).unwrap()
    };
    let originals = run(&before);
    assert_eq!(
        originals,
        [
            ("add_page".into(), "returned None".into()),
            ("rename_page".into(), "returned None".into()),
            ("page_count".into(), "returned 1".into()),
        ]
    );
    let no_begin = "AttributeError: 'sessionmaker' object has no attribute 'begin'";
    assert_eq!(
        run(&after),
        [
            ("add_page".into(), no_begin.into()),
            ("rename_page".into(), no_begin.into()),
            (
                "page_count".into(),
                "TypeError: 'Session' object does not support the context manager protocol".into()
            ),
        ]
    );
}

/// Runs `script` (`python -c`) from `dir`, which it imports from; what it prints is JSON.
fn run_script(python: &Path, dir: &Path, script: &str) -> Value {
    let out = Command::new(python)
        .args(["-c", script])
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the script failed in {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The rewrites the plan refuses, run: for each folder of `testdata/naive/` (named after a
/// case), the case's plan keeps blocks of its files manual (or leaves them alone) and does
/// not write the text laid there; the folder's `scenario.py` observes the case as it is
/// and with those files laid over it, and the two runs differ (the snapshot shows how).
#[test]
fn refused_rewrites_change_behaviour() {
    let Some(python) = python_or_skip("this harness test") else {
        return;
    };
    let naive_root = root().join("testdata/naive");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&naive_root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert!(
        folders.len() >= 2,
        "expected the naive rewrites of testdata/naive"
    );
    for naive in folders {
        let name = naive.file_name().unwrap().to_string_lossy().to_string();
        let case = root().join("testdata/cases").join(&name);
        let files = py_files(&case);
        let index = build_index(&case, &files);
        let laid: Vec<PathBuf> = py_files(&naive)
            .into_iter()
            .filter(|p| p.file_name().unwrap() != "scenario.py")
            .collect();
        for file in &laid {
            let rel = file.strip_prefix(&naive).unwrap();
            let original = SourceFile::read(&case.join(rel)).unwrap();
            let plan = plan_file(original, &index, Selection::SafeAndReview).unwrap();
            assert!(
                plan.findings.iter().any(|f| f.safety == Safety::Manual) || !plan.is_changed(),
                "{name}/{}: the plan rewrites the file and keeps no block manual",
                rel.display()
            );
            assert_ne!(
                plan.rewritten,
                std::fs::read_to_string(file).unwrap(),
                "{name}/{}: the plan writes the refused rewrite",
                rel.display()
            );
        }
        let work = tempfile::tempdir().unwrap();
        let (before, after) = (work.path().join("before"), work.path().join("after"));
        copy_tree(&case, &before);
        copy_tree(&case, &after);
        for file in &laid {
            std::fs::copy(file, after.join(file.strip_prefix(&naive).unwrap())).unwrap();
        }
        // Run as `-c` from the tree: a script's own folder would come first on sys.path.
        let scenario = std::fs::read_to_string(naive.join("scenario.py")).unwrap();
        let (was, would) = (
            run_script(&python, &before, &scenario),
            run_script(&python, &after, &scenario),
        );
        assert_ne!(
            was, would,
            "{name}: the refused rewrite behaves the same; is it refused for nothing?"
        );
        let mut body = String::new();
        for (label, v) in [("as written", &was), ("refused rewrite", &would)] {
            body.push_str(&format!("{label}:\n"));
            for row in v.as_array().unwrap() {
                body.push_str(&format!("  {} -> {}\n", row[0], row[1]));
            }
        }
        snapshot(&format!("naive__{name}"), &body);
    }
}
