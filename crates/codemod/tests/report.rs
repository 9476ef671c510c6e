//! `codemod report`: Markdown with clusters and per-file counts on the example, the HTML
//! page rendered by headless Chromium, and the agreement of `plan`, `audit` and `report`
//! (the same blocks, counted the same way).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::*;

fn codemod(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codemod"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn ok_stdout(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_str(&ok_stdout(o)).unwrap()
}

#[test]
fn markdown_shows_per_file_counts_and_clusters() {
    let md = ok_stdout(&codemod(
        &example(),
        &["report", "--format", "markdown", "."],
    ));
    assert!(md.starts_with("# Session management report"), "{md}");
    assert!(md.contains("## Per file"), "{md}");
    assert!(md.contains("## Per class"), "{md}");
    assert!(md.contains("## Clusters (largest first)"), "{md}");
    for file in [
        "app/services/part_service.py",
        "app/services/order_service.py",
        "app/services/category_service.py",
        "app/services/location_service.py",
        "app/services/task_service.py",
        "app/reporting.py",
    ] {
        assert!(
            md.lines()
                .any(|l| l.starts_with(&format!("| `{file}` | production | "))),
            "no row for {file}:\n{md}"
        );
    }
    assert!(
        md.contains("| PartService | `app/services/part_service.py` |"),
        "{md}"
    );
    // A cluster of several blocks, its shape, a representative block and its members.
    let first = md.find("### 1. ").expect("a first cluster");
    let section = &md[first..];
    assert!(section.contains(" × "), "{section}");
    assert!(section.contains("Shape: `"), "{section}");
    assert!(section.contains("Representative: `app/"), "{section}");
    assert!(section.contains("```python\n"), "{section}");
    assert!(section.contains("(representative)"), "{section}");
    assert!(md.contains("| **total** | | **"), "{md}");
}

#[test]
fn clusters_ignore_names_and_literals_but_not_structure() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("pyproject.toml"), "[project]\nname = \"x\"\n").unwrap();
    std::fs::write(
        root.join("db.py"),
        "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n\n\ndef get_session():\n    db = SessionLocal()\n    try:\n        yield db\n    finally:\n        db.close()\n",
    )
    .unwrap();
    let block = |func: &str, var: &str, exc: &str, msg: &str, tail: &str| {
        format!(
            "\n\ndef {func}(item_id):\n    {var} = next(get_session())\n    try:\n        thing = {var}.get(Item, item_id)\n        return thing.to_dict()\n    except {exc} as e:\n        logger.error(f\"{msg}: {{e}}\")\n        {tail}\n    finally:\n        {var}.close()\n"
        )
    };
    let mut text = String::from(
        "import logging\n\nfrom db import get_session\n\nlogger = logging.getLogger(__name__)\n",
    );
    text.push_str(&block(
        "get_part",
        "session",
        "Exception",
        "part failed",
        "raise",
    ));
    text.push_str(&block(
        "get_order",
        "s",
        "ValueError",
        "order failed",
        "raise",
    ));
    text.push_str(&block(
        "get_category",
        "db",
        "KeyError",
        "nope",
        "return None",
    ));
    std::fs::write(root.join("service.py"), text).unwrap();
    let doc = json(&codemod(root, &["report", "--format", "json", "."]));
    let clusters = doc["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2, "{doc:#}");
    assert_eq!(clusters[0]["size"], 2);
    let members = clusters[0]["members"].as_array().unwrap();
    assert_eq!(members[0]["scope"], "get_part");
    assert_eq!(members[1]["scope"], "get_order");
    assert_eq!(members[1]["differences"]["session"], "s");
    assert_eq!(members[1]["differences"]["exceptions"], "ValueError");
    assert_eq!(clusters[1]["size"], 1);
    assert!(clusters[1]["shape"]
        .as_str()
        .unwrap()
        .contains("return None"));
}

/// Acceptance 6: the blocks of `plan`, `audit` and `report` are the same, counted the same
/// way, and the lines `report` says the rewrites remove are the plan's diff's.
#[test]
fn plan_audit_and_report_agree_block_for_block() {
    let ex = example();
    let plan = json(&codemod(&ex, &["plan", "--format", "json", "."]));
    let audit = json(&codemod(&ex, &["audit", "--format", "json", "."]));
    let report = json(&codemod(&ex, &["report", "--format", "json", "."]));

    let code_kind: BTreeMap<&str, &str> = [
        ("SES001", "manual-lifecycle"),
        ("SES002", "leaked-session"),
        ("SES003", "raw-factory-with"),
        ("SES004", "double-transaction"),
        ("SES005", "async-without-context-manager"),
        ("SES006", "shared-session"),
        ("SES007", "session-per-iteration"),
    ]
    .into_iter()
    .collect();

    let mut from_plan = vec![];
    let (mut removed, mut added) = (0u64, 0u64);
    for f in plan["files"].as_array().unwrap() {
        for r in f["rewrites"].as_array().unwrap() {
            if r.get("follows").is_some() {
                continue; // a rewrite of the plan's own output, not a block
            }
            from_plan.push((
                f["path"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
                r["column"].as_u64().unwrap(),
                r["kind"].as_str().unwrap().to_string(),
            ));
        }
        for l in f["diff"].as_str().unwrap().lines() {
            if l.starts_with('-') && !l.starts_with("---") {
                removed += 1;
            } else if l.starts_with('+') && !l.starts_with("+++") {
                added += 1;
            }
        }
    }
    let mut from_audit: Vec<_> = audit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                code_kind[f["code"].as_str().unwrap()].to_string(),
            )
        })
        .collect();
    let mut from_report = vec![];
    for c in report["clusters"].as_array().unwrap() {
        assert_eq!(
            c["size"].as_u64().unwrap() as usize,
            c["members"].as_array().unwrap().len()
        );
        for m in c["members"].as_array().unwrap() {
            assert_eq!(m["kind"], c["kind"]);
            from_report.push((
                m["path"].as_str().unwrap().to_string(),
                m["line"].as_u64().unwrap(),
                m["column"].as_u64().unwrap(),
                m["kind"].as_str().unwrap().to_string(),
            ));
        }
    }
    from_plan.sort();
    from_audit.sort();
    from_report.sort();
    assert!(!from_plan.is_empty());
    assert_eq!(from_audit, from_plan, "audit and plan disagree");
    assert_eq!(from_report, from_plan, "report and plan disagree");

    // Counted the same way: per kind, per file, in total.
    let plan_kinds = &plan["summary"]["blocks_by_kind"];
    assert_eq!(&report["totals"]["blocks_by_kind"], plan_kinds);
    for (code, kind) in &code_kind {
        assert_eq!(
            audit["summary"]["by_code"][code], plan_kinds[kind],
            "{code}"
        );
    }
    let total = from_plan.len() as u64;
    assert_eq!(report["totals"]["blocks"], total);
    assert_eq!(audit["summary"]["findings"], total);
    let per_file: BTreeMap<String, u64> = plan["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rewrites"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r.get("follows").is_none())
                    .count() as u64,
            )
        })
        .collect();
    let report_per_file: BTreeMap<String, u64> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["blocks"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(report_per_file, per_file);
    let fixable = audit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fixable"] == true)
        .count();
    assert_eq!(report["totals"]["fixable_blocks"], fixable as u64);
    // Lines removed: the plan's diff, not an estimate.
    assert_eq!(report["totals"]["lines_removed"], removed);
    assert_eq!(report["totals"]["lines_added"], added);
    assert_eq!(
        report["totals"]["net_lines_removed"],
        removed as i64 - added as i64
    );
    assert!(removed > added, "the example's rewrites shrink it");
}

/// A Chromium (or Chrome) binary, if one is installed.
fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Run with a deadline; `None` when it had to be killed.
fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Option<Output> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn attr(dom: &str, name: &str) -> Option<usize> {
    let at = dom.find(&format!("{name}=\""))? + name.len() + 2;
    dom[at..].split('"').next()?.parse().ok()
}

#[test]
fn html_page_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    ok_stdout(&codemod(
        &example(),
        &[
            "report",
            "--format",
            "html",
            "-o",
            page.to_str().unwrap(),
            ".",
        ],
    ));
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: no external resource.
    for external in ["<link", "src=\"http", "src='http", "url(http", "@import"] {
        assert!(!html.contains(external), "{external}");
    }
    assert!(html.contains("<svg"), "no chart");
    assert!(html.contains("id=\"cluster-1\""), "no cluster");

    let Some(browser) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromium is not installed and CI is set: install it (apt-get install -y chromium)"
            );
        }
        eprintln!(
            "\n!!! SKIPPED html_page_renders_in_headless_chromium: no chromium / google-chrome on \
             PATH (apt-get install -y chromium, or set CHROMIUM=/path/to/browser) !!!\n"
        );
        return;
    };
    let profile = dir.path().join("profile");
    let out = run_with_timeout(
        Command::new(&browser)
            .arg("--headless")
            .arg("--no-sandbox")
            .arg("--disable-gpu")
            .arg("--disable-dev-shm-usage")
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--virtual-time-budget=5000")
            .arg("--dump-dom")
            .arg(format!("file://{}", page.display())),
        Duration::from_secs(120),
    )
    .expect("chromium did not finish within 120 s");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && dom.contains("</html>"),
        "chromium failed ({:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = attr(&dom, "data-bars").expect("the page counts its bars");
    let rendered = attr(&dom, "data-bars-rendered")
        .unwrap_or_else(|| panic!("the page's script did not run (no data-bars-rendered):\n{dom}"));
    assert!(expected > 6, "{expected}");
    assert_eq!(rendered, expected, "bars laid out with a width");
    assert!(dom.contains("Session management report"));
    assert!(dom.contains("id=\"cluster-1\""));
}
