//! After `codemod apply --all --include-review` on a copy of each package-shaped testdata
//! case, every module the apply changed still imports under Python (with the case's source
//! root on `sys.path`), and each case changed what it is expected to change (so the test
//! cannot pass by rewriting nothing). Python: the equivalence harness's (`.venv-test`, or
//! `CODEMOD_PYTHON`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::copy_tree;

#[path = "../../rewriter/tests/common/python.rs"]
mod python;

/// What one file must look like after apply.
struct Expect {
    file: &'static str,
    /// Substrings the file must contain.
    has: &'static [&'static str],
    /// Substrings it must not contain.
    lacks: &'static [&'static str],
    /// `(substring, count)`: how often it must occur.
    count: &'static [(&'static str, usize)],
}

struct Case {
    name: &'static str,
    /// The folder on `sys.path`, relative to the case (`""`: the case root).
    source_root: &'static str,
    expect: &'static [Expect],
    /// Files that must be left as they are.
    unchanged: &'static [&'static str],
}

const fn ex(
    file: &'static str,
    has: &'static [&'static str],
    lacks: &'static [&'static str],
    count: &'static [(&'static str, usize)],
) -> Expect {
    Expect {
        file,
        has,
        lacks,
        count,
    }
}

const CASES: &[Case] = &[
    Case {
        name: "nested_returned_guard_tests_define_own",
        source_root: "",
        expect: &[
            ex(
                "app/services/legacy.py",
                &["get_db_session"],
                &["SessionLocal", "db.rollback()", "db.close()"],
                &[("with get_db_session() as db:", 3)],
            ),
            ex("app/services/notes.py", &[], &[], &[("db.commit()", 0)]),
        ],
        unchanged: &[
            "tests/conftest.py",
            "tests/helpers.py",
            "tests/test_notes.py",
        ],
    },
    Case {
        name: "three_async_guards_one_never_commits",
        source_root: "",
        expect: &[ex(
            "events/handlers.py",
            &[
                "        session.add(Event(name=name))\n\n\nasync def event_names",
                "            event.processed = True\n\n\nasync def archive_event",
            ],
            &[],
            &[("await session.commit()", 2)],
        )],
        unchanged: &["events/database.py"],
    },
    Case {
        name: "manager_method_guard_through_instance",
        source_root: "",
        expect: &[
            ex(
                "app/accounts.py",
                &[],
                &["SessionLocal", "session.rollback()"],
                &[("with db_manager.session_scope() as session:", 4)],
            ),
            ex(
                "app/reports.py",
                &["db_manager"],
                &["SessionLocal", "session.close()"],
                &[("with db_manager.session_scope() as session:", 2)],
            ),
            ex("app/ledger.py", &[], &[], &[("session.commit()", 1)]),
        ],
        unchanged: &["app/database.py"],
    },
    Case {
        name: "class_based_guard",
        source_root: "",
        expect: &[ex(
            "feeds/manager.py",
            &[],
            &["session.rollback()", "session.close()", "session.commit()"],
            &[("with Session() as session:", 5)],
        )],
        unchanged: &["feeds/db.py"],
    },
    Case {
        name: "parameterised_guard",
        source_root: "",
        expect: &[
            ex(
                "recorder/purge.py",
                &["from recorder.util import session_scope"],
                &["get_session", ".begin()", "session.rollback()"],
                &[("with session_scope(hass=self.hass) as session:", 2)],
            ),
            ex("recorder/history.py", &[], &[], &[("session.commit()", 0)]),
        ],
        unchanged: &["recorder/util.py", "recorder/core.py"],
    },
    Case {
        name: "guard_lifecycle_at_parameter_defaults",
        source_root: "",
        expect: &[
            // Only the commits inside calls that are not at the defaults stay.
            ex("recorder/history.py", &[], &[], &[("session.commit()", 2)]),
        ],
        // purge.py: `self.hass.recorder.get_session()` on an object of unknown type.
        unchanged: &["recorder/util.py", "recorder/core.py", "recorder/purge.py"],
    },
    Case {
        name: "namespace_package_import",
        source_root: "",
        expect: &[
            ex(
                "MakerMatrix/services/component_service.py",
                &["from MakerMatrix.database.session_scope import session_scope"],
                &["SessionLocal", "from session_scope import"],
                &[("with session_scope() as session:", 3)],
            ),
            ex(
                "MakerMatrix/services/stock_report.py",
                &[
                    "from MakerMatrix.database.session_scope import session_scope",
                    "with session_scope() as session:",
                ],
                &["SessionLocal", "from session_scope import"],
                &[],
            ),
        ],
        unchanged: &[],
    },
    Case {
        name: "src_layout_package",
        source_root: "src",
        expect: &[ex(
            "src/shop/orders.py",
            &["from shop.db import Cart, session_scope"],
            &["SessionLocal", "src.shop"],
            &[("with session_scope() as session:", 2)],
        )],
        unchanged: &["src/shop/db.py"],
    },
    Case {
        name: "relative_import_package",
        source_root: "",
        expect: &[
            ex(
                "helpdesk/tickets.py",
                &["with get_session() as session:", "from .db import"],
                &["SessionLocal", "from helpdesk"],
                &[("get_session", 2)],
            ),
            ex(
                "helpdesk/async_tickets.py",
                &[
                    "from .async_session import get_session",
                    "async with get_session() as session:",
                ],
                &["AsyncSessionLocal", "from helpdesk"],
                &[],
            ),
        ],
        unchanged: &[],
    },
    Case {
        name: "local_import_avoids_cycle",
        source_root: "",
        expect: &[ex(
            "billing/models.py",
            &[
                "    from billing.db import get_session\n",
                "    from billing.db import get_session, engine\n",
            ],
            &["SessionLocal", "\nfrom billing.db import"],
            &[("with get_session() as session:", 2)],
        )],
        unchanged: &["billing/db.py"],
    },
    Case {
        name: "apply_file_factory_in_other_file",
        source_root: "",
        expect: &[ex(
            "app/jobs/cleanup.py",
            &[
                "from app.db import AuditLog, get_db_session\n",
                "    with get_db_session() as session:\n",
            ],
            &["SessionLocal"],
            &[],
        )],
        unchanged: &["app/db.py"],
    },
];

/// Every `.py` file below `dir` (relative, `/` separated) with its text.
fn python_files(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.extension().is_some_and(|x| x == "py") {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy();
                out.insert(rel.replace('\\', "/"), std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The dotted module of `rel` (a path below the case) under `source_root`.
fn module_of(rel: &str, source_root: &str) -> Option<String> {
    let rel = if source_root.is_empty() {
        rel
    } else {
        rel.strip_prefix(source_root)?.strip_prefix('/')?
    };
    let stem = rel.strip_suffix(".py")?;
    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
    Some(stem.replace('/', "."))
}

/// Why `module` does not import, if it does not.
fn import_error(python: &Path, root: &Path, module: &str) -> Option<String> {
    let out = Command::new(python)
        .args(["-c", &format!("import {module}")])
        .current_dir(root)
        .env("PYTHONPATH", root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    if out.status.success() {
        return None;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Some(format!("{last}\n{err}"))
}

/// What the expectations say is wrong with the applied tree.
fn expectation_problems(case: &Case, after: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = vec![];
    for e in case.expect {
        let Some(text) = after.get(e.file) else {
            out.push(format!("{}: missing", e.file));
            continue;
        };
        for s in e.has {
            if !text.contains(s) {
                out.push(format!("{}: lacks {s:?}", e.file));
            }
        }
        for s in e.lacks {
            if text.contains(s) {
                out.push(format!("{}: still has {s:?}", e.file));
            }
        }
        for (s, n) in e.count {
            let got = text.matches(s).count();
            if got != *n {
                out.push(format!("{}: {s:?} {got} times, expected {n}", e.file));
            }
        }
    }
    out
}

/// Apply to a copy of the case and list everything wrong (empty: all good).
fn check_case(python: &Path, case: &Case) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/cases")
        .join(case.name);
    let tmp = tempfile::tempdir().unwrap();
    let copy: PathBuf = std::fs::canonicalize(tmp.path()).unwrap().join(case.name);
    copy_tree(&src, &copy);
    let before = python_files(&copy);
    let out = Command::new(env!("CARGO_BIN_EXE_codemod"))
        .args(["apply", "--all", "--include-review"])
        .arg(&copy)
        .current_dir(tmp.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let shown = format!(
        "--- codemod apply (exit {:?})\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let after = python_files(&copy);
    let mut problems = vec![];
    if !out.status.success() {
        problems.push("codemod apply failed".to_string());
    }
    problems.extend(expectation_problems(case, &after));
    for f in case.unchanged {
        if before.get(*f) != after.get(*f) {
            problems.push(format!("{f}: changed, expected untouched"));
        }
    }
    let root = copy.join(case.source_root);
    for (rel, text) in &after {
        if before.get(rel) == Some(text) {
            continue;
        }
        let Some(module) = module_of(rel, case.source_root) else {
            problems.push(format!("{rel}: changed outside {}", case.source_root));
            continue;
        };
        if let Some(err) = import_error(python, &root, &module) {
            problems.push(format!("{rel}: `import {module}` fails: {err}"));
        }
    }
    if problems.is_empty() {
        return problems;
    }
    vec![format!(
        "== {}\n{}\n{shown}",
        case.name,
        problems.join("\n")
    )]
}

#[test]
fn applied_package_cases_still_import() {
    let Some(python) = python::python_or_skip("the applied-modules import check") else {
        return;
    };
    let mut failures = vec![];
    for case in CASES {
        let problems = check_case(&python, case);
        if !problems.is_empty() {
            eprintln!("FAILED {}", case.name);
        }
        failures.extend(problems);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases are wrong after apply:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_of_the_table_exists() {
    for case in CASES {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/cases")
            .join(case.name);
        assert!(dir.join("README.md").is_file(), "{}", dir.display());
        for e in case.expect {
            assert!(dir.join(e.file).is_file(), "{}/{}", case.name, e.file);
        }
    }
}
