//! Imports that `codemod apply` added, and whether each resolves in the package
//! tree, checked independently of codemod by `added_imports.py` (CPython's `ast`,
//! nothing imported or executed).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

const SCRIPT: &str = include_str!("added_imports.py");

/// One imported name the rewrite added.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AddedImport {
    /// The rewritten file, relative to the package tree.
    pub file: String,
    pub line: u64,
    /// One name per statement: `from app.db import get_db_session`.
    pub statement: String,
    /// Joined onto a `from X import ...` the original already had.
    pub joined: bool,
    pub resolves: bool,
    /// Where it resolved, or why not.
    pub detail: String,
    /// The module it resolved to imports the rewritten module at its top level
    /// (one hop): a possible import cycle, not a failure.
    #[serde(default)]
    pub imports_back: bool,
}

/// Folders that hold the tree's top-level packages: the tree itself (a wheel's
/// root), and for an sdist (one `name-version/` folder) that folder and its `src/`.
pub fn package_roots(tree: &Path) -> Result<Vec<PathBuf>> {
    let mut roots = vec![tree.to_path_buf()];
    let entries: Vec<PathBuf> = fs::read_dir(tree)
        .with_context(|| format!("reading {}", tree.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    if let [only] = entries.as_slice() {
        if only.is_dir() && !only.join("__init__.py").exists() {
            roots.push(only.clone());
            let src = only.join("src");
            if src.is_dir() && !src.join("__init__.py").exists() {
                roots.push(src);
            }
        }
    }
    Ok(roots)
}

#[derive(Serialize)]
struct Request<'a> {
    roots: &'a [PathBuf],
    /// (original, rewritten, path relative to the tree).
    files: Vec<(&'a Path, &'a Path, &'a Path)>,
}

/// The imports added to each `(original, rewritten, relative)` file, resolved
/// against `roots` (and, for relative imports, the rewritten file's folder).
pub fn added_imports(
    python: &Path,
    roots: &[PathBuf],
    changed: &[(PathBuf, PathBuf, PathBuf)],
) -> Result<Vec<AddedImport>> {
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let request = Request {
        roots,
        files: changed
            .iter()
            .map(|(o, n, r)| (o.as_path(), n.as_path(), r.as_path()))
            .collect(),
    };
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("spawning {} for the import check", python.display()))?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(&serde_json::to_vec(&request)?)?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "import check failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    serde_json::from_slice(&output.stdout).context("reading the import check's JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    /// A package `app` (regular), a namespace package `ns/sub` (no `__init__.py`
    /// anywhere), and a rewritten `app/services/orders.py`.
    fn tree(root: &Path) -> (PathBuf, PathBuf) {
        write(root, "app/__init__.py", "");
        write(
            root,
            "app/db.py",
            "from contextlib import contextmanager\nBase = object()\n\
             @contextmanager\ndef get_db_session():\n    yield None\n",
        );
        write(
            root,
            "app/api/__init__.py",
            "from .core import *\nfrom ..services import orders\n",
        );
        write(root, "app/api/core.py", "def session_scope():\n    pass\n");
        write(root, "ns/sub/guards.py", "class Guard:\n    pass\n");
        write(root, "app/services/__init__.py", "");
        let original = write(
            root,
            "orig/orders.py",
            "import os\nfrom app.db import Base\n",
        );
        let rewritten = write(
            root,
            "app/services/orders.py",
            "import os\nfrom app.db import Base, get_db_session\n\
             from app.db import missing\nfrom ns.sub.guards import Guard\n\
             from ..db import get_db_session as scope\nfrom app import db\n\
             from app.api import session_scope\nfrom nowhere import x\n\
             from .db import get_db_session\nimport ns.sub.guards\n\
             from app.services.orders import helper\ndef helper():\n    pass\n",
        );
        (original, rewritten)
    }

    #[test]
    fn added_imports_resolve_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (original, rewritten) = tree(root);
        let changed = [(original, rewritten, PathBuf::from("app/services/orders.py"))];
        let found = added_imports(Path::new("python3"), &[root.to_path_buf()], &changed)
            .expect("python3 runs the import check");
        let got: Vec<(&str, bool)> = found
            .iter()
            .map(|a| (a.statement.as_str(), a.resolves))
            .collect();
        assert_eq!(
            got,
            [
                ("from app.db import get_db_session", true),
                ("from app.db import missing", false),
                ("from ns.sub.guards import Guard", true),
                ("from ..db import get_db_session as scope", true),
                ("from app import db", true),
                ("from app.api import session_scope", true),
                ("from nowhere import x", false),
                ("from .db import get_db_session", false),
                ("import ns.sub.guards", true),
                ("from app.services.orders import helper", false),
            ]
        );
        assert!(found[0].joined, "joined onto `from app.db import Base`");
        assert!(!found[2].joined);
        assert_eq!(found[0].line, 2);
        assert!(
            found[1].detail.contains("does not bind `missing`"),
            "{:?}",
            found[1]
        );
        assert!(
            found[5].detail.contains("via `from .core import *`"),
            "{:?}",
            found[5]
        );
        assert!(found[6].detail.contains("not found"), "{:?}", found[6]);
        assert!(
            found[5].imports_back,
            "app/api/__init__.py imports the file back"
        );
        assert!(!found[0].imports_back);
        assert!(found[9].detail.contains("imports itself"), "{:?}", found[9]);
        assert!(
            found[0].detail.starts_with("bound in app/db.py"),
            "relative to the tree: {:?}",
            found[0]
        );
    }

    #[test]
    fn nothing_changed_means_no_python() {
        let found = added_imports(Path::new("/nonexistent/python"), &[], &[]).unwrap();
        assert!(found.is_empty());
    }

    #[test]
    fn sdist_roots_include_its_folder_and_src() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "pkg-1.0/src/pkg/__init__.py", "");
        write(root, "pkg-1.0/setup.py", "");
        let roots = package_roots(root).unwrap();
        assert_eq!(
            roots,
            [
                root.to_path_buf(),
                root.join("pkg-1.0"),
                root.join("pkg-1.0/src")
            ]
        );
        let wheel = tempfile::tempdir().unwrap();
        write(wheel.path(), "pkg/__init__.py", "");
        write(wheel.path(), "other/__init__.py", "");
        assert_eq!(package_roots(wheel.path()).unwrap(), [wheel.path()]);
    }
}
