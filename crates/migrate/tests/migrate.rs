//! The migration workflow on a temporary git repository made from the example project:
//! apply in order with a check, restore and mark the failing file, resume; review
//! (pending until accepted, rejected recorded as skipped); one commit per file; refuse
//! a dirty tree.

use std::path::{Path, PathBuf};
use std::process::Command;

use migrate::{Ledger, RunOptions, State, Target};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/inventory_service")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" || name == ".codemod" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A git repository holding the example project, one commit, a local identity.
fn repo() -> (tempfile::TempDir, Target) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inventory");
    copy_tree(&example(), &dir);
    git(&dir, &["init", "-q"]);
    git(&dir, &["config", "user.name", "Migration Test"]);
    git(&dir, &["config", "user.email", "migration@example.com"]);
    git(&dir, &["config", "commit.gpgsign", "false"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "the example project"]);
    let target = Target::new(&dir, None).unwrap();
    (tmp, target)
}

fn run(target: &Target, opts: &RunOptions) -> (migrate::RunSummary, String) {
    let mut out = Vec::new();
    let summary = migrate::run(target, opts, &mut out).unwrap();
    (summary, String::from_utf8(out).unwrap())
}

fn read(target: &Target, rel: &str) -> Vec<u8> {
    std::fs::read(target.abs(rel)).unwrap()
}

fn state(ledger: &Ledger, rel: &str) -> State {
    ledger.files[rel].state
}

const CATEGORY: &str = "app/services/category_service.py";
const LOCATION: &str = "app/services/location_service.py";
const ORDER: &str = "app/services/order_service.py";
const PART: &str = "app/services/part_service.py";
const TASK: &str = "app/services/task_service.py";

/// The five service files, safest first, worked out here from the plan of each file (safe
/// rewrites only, as `migrate` applies by default) with the documented rule: fewest review
/// rewrites, then fewest rewrites, then fewest findings left, then path. Computed rather
/// than written down, so the tests follow the analyzer's classification as it evolves.
fn safest_order(files: &[&'static str]) -> Vec<&'static str> {
    use analyzer::{LoadedConfig, ProjectIndex, SourceFile};
    let root = example();
    let mut all = vec![];
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "py") {
                all.push(p);
            }
        }
    }
    let facts = all
        .iter()
        .filter_map(|p| {
            let f = SourceFile::read(p).ok()?;
            let parsed = analyzer::parse(&f).ok()?;
            Some(analyzer::collect_facts(
                &f,
                &parsed,
                analyzer::module_name(p),
            ))
        })
        .collect();
    let index = ProjectIndex::build(LoadedConfig::discover(&root).unwrap(), facts);
    type Key<'k> = (usize, usize, usize, &'k str);
    let mut keyed: Vec<(Key, &'static str)> = files
        .iter()
        .map(|rel| {
            let f = SourceFile::read(&root.join(rel)).unwrap();
            let plan = rewriter::plan_file(f, &index, rewriter::Selection::SafeOnly).unwrap();
            let applied = plan.findings.iter().filter(|f| f.applied).count();
            let left = plan.findings.len() - applied;
            ((0, applied, left, *rel), *rel)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, rel)| rel).collect()
}

const SERVICES: [&str; 5] = [CATEGORY, LOCATION, ORDER, PART, TASK];

#[test]
fn check_failure_restores_the_file_and_a_second_run_resumes() {
    let (tmp, target) = repo();
    // The check fails once location_service.py differs from the original.
    let pristine = tmp.path().join("location_service.py.orig");
    std::fs::copy(target.abs(LOCATION), &pristine).unwrap();
    let original_location = read(&target, LOCATION);
    let check = format!(
        "cmp -s {} {} || {{ echo \"location_service.py was rewritten: tests fail\"; exit 1; }}",
        target.abs(LOCATION).display(),
        pristine.display()
    );
    // Path order, so the roles below (category first, location second) are fixed.
    let opts = RunOptions {
        check: Some(check.clone()),
        yes: true,
        order: migrate::Order::Path,
        ..RunOptions::default()
    };

    // First run: category applied, location fails, restored, the run stops.
    let (summary, out) = run(&target, &opts);
    assert_eq!(summary.applied, [CATEGORY], "{out}");
    assert_eq!(summary.failed, [LOCATION], "{out}");
    assert_eq!(summary.accepted_left, [ORDER, PART, TASK], "{out}");
    assert!(out.contains("restored byte for byte"), "{out}");
    assert_eq!(read(&target, LOCATION), original_location);
    assert_ne!(
        read(&target, CATEGORY),
        std::fs::read(example().join(CATEGORY)).unwrap()
    );
    for rel in [ORDER, PART, TASK] {
        assert_eq!(
            read(&target, rel),
            std::fs::read(example().join(rel)).unwrap()
        );
    }

    let ledger = Ledger::load(&target).unwrap();
    assert_eq!(state(&ledger, CATEGORY), State::Applied);
    assert_eq!(ledger.files[CATEGORY].applied_order, Some(1));
    assert_eq!(
        ledger.files[CATEGORY].applied_sha256,
        migrate::sha256_hex(&read(&target, CATEGORY))
    );
    let failed = &ledger.files[LOCATION];
    assert_eq!(failed.state, State::Failed);
    assert_eq!(
        failed.planned_sha256,
        migrate::sha256_hex(&original_location)
    );
    assert!(failed.reason.as_deref().unwrap().contains("exit 1"));
    assert!(failed
        .output
        .as_deref()
        .unwrap()
        .contains("location_service.py was rewritten"));
    for rel in [ORDER, PART, TASK] {
        assert_eq!(state(&ledger, rel), State::Accepted, "{rel}");
    }
    assert_eq!(state(&ledger, "app/reporting.py"), State::Skipped);
    assert!(ledger.files["app/reporting.py"]
        .reason
        .as_deref()
        .unwrap()
        .contains("no automatic rewrite"));
    // Accepted patches are `.snap`, in insta's format.
    let snap = target
        .snapshot_dir()
        .join("app__services__order_service.py.snap");
    let text = std::fs::read_to_string(&snap).unwrap();
    assert!(
        text.starts_with("---\nsource: app/services/order_service.py\n"),
        "{text}"
    );
    assert!(text.contains("\n---\nline 14 manual-lifecycle [review] (not rewritten)"));
    assert!(text.contains("+++ b/app/services/order_service.py"));

    // Second run: resumes with the rest (the applied file left uncommitted is ours),
    // skips what is done and the failed file.
    let category_after = read(&target, CATEGORY);
    let (summary, out) = run(&target, &opts);
    assert_eq!(summary.applied, [ORDER, PART, TASK], "{out}");
    assert!(summary.failed.is_empty(), "{out}");
    assert_eq!(read(&target, CATEGORY), category_after);
    assert_eq!(read(&target, LOCATION), original_location);
    let ledger = Ledger::load(&target).unwrap();
    let order: Vec<(&str, u32)> = SERVICES
        .iter()
        .filter_map(|r| ledger.files[*r].applied_order.map(|o| (*r, o)))
        .collect();
    assert_eq!(order, [(CATEGORY, 1), (ORDER, 2), (PART, 3), (TASK, 4)]);
    assert_eq!(state(&ledger, LOCATION), State::Failed);

    // Third run: nothing left to do.
    let (summary, out) = run(&target, &opts);
    assert!(
        summary.applied.is_empty() && summary.failed.is_empty(),
        "{out}"
    );

    // Retrying the failed file with a check that passes applies it.
    let (summary, _) = run(
        &target,
        &RunOptions {
            check: Some("true".into()),
            retry_failed: true,
            ..RunOptions::default()
        },
    );
    assert_eq!(summary.applied, [LOCATION]);
    let status = migrate::status(&Ledger::load(&target).unwrap());
    assert_eq!(status.count(State::Applied), 5);
    assert!(status.left.contains_key("session-per-iteration"));
}

#[test]
fn without_check_files_apply_in_safest_order_or_path_order_and_batches() {
    let (_tmp, target) = repo();
    let (summary, _) = run(
        &target,
        &RunOptions {
            yes: true,
            batch: Some(2),
            order: migrate::Order::Path,
            ..RunOptions::default()
        },
    );
    assert_eq!(summary.applied, [CATEGORY, LOCATION]);
    assert_eq!(summary.accepted_left, [ORDER, PART, TASK]);
    let (summary, _) = run(&target, &RunOptions::default());
    assert_eq!(summary.applied, safest_order(&[ORDER, PART, TASK]));
}

#[test]
fn pending_patches_wait_for_review_and_rejected_ones_are_skipped() {
    let (_tmp, target) = repo();
    let before: Vec<Vec<u8>> = SERVICES.iter().map(|r| read(&target, r)).collect();

    // Default run: snapshots pending review, nothing written.
    let (summary, out) = run(&target, &RunOptions::default());
    assert!(summary.applied.is_empty(), "{out}");
    assert_eq!(summary.pending.len(), 5, "{out}");
    let after: Vec<Vec<u8>> = SERVICES.iter().map(|r| read(&target, r)).collect();
    assert_eq!(before, after);
    let pending = target
        .snapshot_dir()
        .join("app__services__category_service.py.snap.new");
    assert!(pending.is_file());
    assert_eq!(
        git(&target.dir, &["status", "--porcelain", "--", "app"]),
        ""
    );

    // A second run without review still applies nothing.
    let (summary, _) = run(&target, &RunOptions::default());
    assert!(summary.applied.is_empty());

    let mut ledger = Ledger::load(&target).unwrap();
    migrate::accept(&target, &mut ledger, CATEGORY).unwrap();
    migrate::accept(&target, &mut ledger, LOCATION).unwrap();
    let order = migrate::resolve(&target, &ledger, "order_service.py").unwrap();
    migrate::reject(
        &target,
        &mut ledger,
        &order,
        Some("the guard's commit breaks callers"),
    )
    .unwrap();
    ledger.save(&target).unwrap();
    assert!(!pending.exists());
    assert!(target
        .snapshot_dir()
        .join("app__services__category_service.py.snap")
        .is_file());
    assert!(!target
        .snapshot_dir()
        .join("app__services__order_service.py.snap.new")
        .exists());

    let (summary, out) = run(&target, &RunOptions::default());
    assert_eq!(
        summary.applied,
        safest_order(&[CATEGORY, LOCATION]),
        "{out}"
    );
    assert_eq!(summary.pending, [PART, TASK], "{out}");
    let ledger = Ledger::load(&target).unwrap();
    assert_eq!(state(&ledger, ORDER), State::Skipped);
    assert_eq!(
        ledger.files[ORDER].reason.as_deref(),
        Some("rejected in review: the guard's commit breaks callers")
    );
    assert_eq!(read(&target, ORDER), before[2]);
    assert_eq!(read(&target, PART), before[3]);

    // The rejection holds on later runs; pending ones stay pending.
    let (summary, _) = run(&target, &RunOptions::default());
    assert!(summary.applied.is_empty());
    let ledger = Ledger::load(&target).unwrap();
    assert_eq!(state(&ledger, ORDER), State::Skipped);
    assert_eq!(state(&ledger, PART), State::PendingReview);

    // Accept part_service, then a different tool output (review rewrites now included)
    // turns it into a pending change again instead of applying it; the applied
    // category_service gets a follow-up patch to review, not a silent rewrite.
    let mut ledger = Ledger::load(&target).unwrap();
    migrate::accept(&target, &mut ledger, PART).unwrap();
    ledger.save(&target).unwrap();
    let category_applied = read(&target, CATEGORY);
    let (summary, out) = run(
        &target,
        &RunOptions {
            include_review: true,
            ..RunOptions::default()
        },
    );
    assert!(summary.applied.is_empty(), "{out}");
    let ledger = Ledger::load(&target).unwrap();
    assert_eq!(state(&ledger, PART), State::PendingReview);
    assert!(ledger.files[PART]
        .reason
        .as_deref()
        .unwrap()
        .contains("accepted patch no longer holds"));
    assert_eq!(read(&target, PART), before[3]);
    assert_eq!(state(&ledger, CATEGORY), State::PendingReview);
    assert!(ledger.files[CATEGORY]
        .reason
        .as_deref()
        .unwrap()
        .contains("follow-up"));
    assert_eq!(read(&target, CATEGORY), category_applied);
    // The earlier accepted snapshot stays beside the new pending one, as with insta.
    assert!(target
        .snapshot_dir()
        .join("app__services__part_service.py.snap")
        .is_file());
    assert!(target
        .snapshot_dir()
        .join("app__services__part_service.py.snap.new")
        .is_file());
}

#[test]
fn commit_makes_one_commit_per_file_listing_its_rewrites() {
    let (_tmp, target) = repo();
    let (summary, out) = run(
        &target,
        &RunOptions {
            yes: true,
            commit: true,
            check: Some("true".into()),
            ..RunOptions::default()
        },
    );
    let safest = safest_order(&SERVICES);
    assert_eq!(summary.applied, safest, "{out}");
    let log = git(&target.dir, &["log", "--format=%s"]);
    let subjects: Vec<&str> = log.lines().collect();
    assert_eq!(subjects.len(), 6, "{log}");
    assert_eq!(subjects[5], "the example project");
    for (k, rel) in safest.iter().rev().enumerate() {
        assert!(
            subjects[k].starts_with(&format!("codemod: migrate {rel} (")),
            "{}",
            subjects[k]
        );
        let rev = format!("HEAD~{k}");
        let files = git(&target.dir, &["show", "--format=", "--name-only", &rev]);
        assert_eq!(files.trim(), *rel);
    }
    let ledger = Ledger::load(&target).unwrap();
    // The first commit's message lists every rewrite with its class, and what was left.
    let first = safest[0];
    let body = git(&target.dir, &["log", "-1", "--format=%B", "HEAD~4"]);
    let rewritten: Vec<_> = ledger.files[first]
        .findings
        .iter()
        .filter(|f| f.rewritten)
        .collect();
    let left: Vec<_> = ledger.files[first]
        .findings
        .iter()
        .filter(|f| !f.rewritten)
        .collect();
    let noun = if rewritten.len() == 1 {
        "rewrite"
    } else {
        "rewrites"
    };
    assert!(
        body.starts_with(&format!(
            "codemod: migrate {first} ({} {noun})",
            rewritten.len()
        )),
        "{body}"
    );
    for f in rewritten {
        let line = format!("- {}, line {}, {}: {}", f.class, f.line, f.kind, f.reason);
        assert!(body.contains(&line), "missing {line:?} in\n{body}");
    }
    if let Some(f) = left.first() {
        assert!(
            body.contains(&format!(
                "Left as is:\n- {}, line {}, {}",
                f.class, f.line, f.kind
            )),
            "{body}"
        );
    }
    assert!(body.contains("checked with `true`"), "{body}");
    assert_eq!(
        ledger.files[first].commit.as_deref(),
        Some(git(&target.dir, &["rev-parse", "HEAD~4"]).trim())
    );
    assert_eq!(
        git(&target.dir, &["status", "--porcelain", "--", "app"]),
        ""
    );
}

#[test]
fn refuses_uncommitted_changes_unless_forced() {
    let (_tmp, target) = repo();
    std::fs::write(target.abs("app/models.py"), "# edited\n").unwrap();
    let mut out = Vec::new();
    let err = migrate::run(&target, &RunOptions::default(), &mut out).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("uncommitted changes"), "{msg}");
    assert!(msg.contains("app/models.py"), "{msg}");
    assert_eq!(err.exit_code(), migrate::exit::USAGE);
    assert!(!target.ledger_path().exists());
    let (summary, _) = run(
        &target,
        &RunOptions {
            force: true,
            ..RunOptions::default()
        },
    );
    assert_eq!(summary.pending.len(), 5);
    // The migration folder itself never counts as a change.
    git(&target.dir, &["checkout", "--", "app/models.py"]);
    let (summary, _) = run(&target, &RunOptions::default());
    assert_eq!(summary.pending.len(), 5);
}

#[test]
fn refuses_a_tree_outside_git_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plain");
    copy_tree(&example(), &dir);
    let target = Target::new(&dir, None).unwrap();
    let mut out = Vec::new();
    let err = migrate::run(&target, &RunOptions::default(), &mut out).unwrap_err();
    assert!(err.to_string().contains("not in a git repository"), "{err}");
    let (summary, _) = run(
        &target,
        &RunOptions {
            force: true,
            yes: true,
            ..RunOptions::default()
        },
    );
    assert_eq!(summary.applied.len(), 5);
}
