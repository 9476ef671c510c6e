//! Module names as Python resolves them. A file's dotted name depends on which folder is on
//! `sys.path` (an *import root*), not only on `__init__.py` files: namespace packages have
//! none, `src/` layouts put the root one level down, and a tree's own absolute imports
//! (`from MakerMatrix.database.db import SessionLocal`) say where its roots are.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

/// The import roots of a project, each with how much the tree says it is one.
#[derive(Debug, Clone, Default)]
pub struct ModuleMap {
    project: PathBuf,
    /// Best first: more evidence, then the shallower folder.
    roots: Vec<(PathBuf, u32)>,
}

/// Evidence weights: an absolute import of the tree naming a file through this root counts
/// most; a `src/` folder and the folder above a package (`__init__.py` chain) count once.
const IMPORT_WEIGHT: u32 = 2;
const LAYOUT_WEIGHT: u32 = 1;

/// What a dotted module name is in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleFile {
    /// `a/b.py` or `a/b/__init__.py`.
    File(PathBuf),
    /// A folder without `__init__.py` (PEP 420 namespace package).
    Namespace(PathBuf),
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// `path` without `.` and `..` components (lexically: walked paths may be absolute without
/// being canonical, `crates/x/../../testdata`).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The dotted parts of `path` below `root` (`a/b/__init__.py` -> `a.b`), when every part is
/// an identifier.
fn parts_below(root: &Path, path: &Path) -> Option<Vec<String>> {
    let path = normalize(path);
    let rel = path.strip_prefix(root).ok()?;
    let mut parts: Vec<String> = vec![];
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            _ => return None,
        }
    }
    let file = parts.pop()?;
    let stem = file
        .strip_suffix(".py")
        .or_else(|| file.strip_suffix(".pyi"))?;
    if stem != "__init__" {
        parts.push(stem.to_string());
    }
    (!parts.is_empty() && parts.iter().all(|p| is_identifier(p))).then_some(parts)
}

impl ModuleMap {
    /// `files`: each scanned file with the absolute module names it imports.
    pub fn build<'a>(
        project: &Path,
        files: impl IntoIterator<Item = (&'a Path, &'a [String])>,
    ) -> ModuleMap {
        let project = &normalize(project);
        let files: Vec<(PathBuf, &[String])> =
            files.into_iter().map(|(p, m)| (normalize(p), m)).collect();
        let imported: HashSet<&str> = files
            .iter()
            .flat_map(|(_, m)| m.iter().map(String::as_str))
            .collect();
        let mut evidence: HashMap<PathBuf, u32> = HashMap::new();
        let mut layout: HashSet<PathBuf> = HashSet::new();
        let mut is_package: HashMap<PathBuf, bool> = HashMap::new();
        evidence.insert(project.to_path_buf(), 0);
        if project.join("src").is_dir() {
            layout.insert(project.join("src"));
        }
        for (path, _) in &files {
            let path = path.as_path();
            let Ok(rel) = path.strip_prefix(project) else {
                continue;
            };
            // Every folder between the project and the file could be a root: it is one when
            // the tree imports the file by the name it has from there.
            let folders = rel.parent().into_iter().flat_map(Path::components);
            let candidates = std::iter::once(project.to_path_buf()).chain(folders.scan(
                project.to_path_buf(),
                |root, c| {
                    root.push(c);
                    Some(root.clone())
                },
            ));
            for root in candidates {
                // A package's folder is not where imports start: Python names its files
                // through the package (`components/http` is `pkg.components.http`, even
                // where the tree also imports the standard library's `http`).
                if root != *project
                    && *is_package
                        .entry(root.clone())
                        .or_insert_with(|| root.join("__init__.py").is_file())
                {
                    continue;
                }
                let named = parts_below(&root, path).map(|p| p.join("."));
                if named.is_some_and(|n| imported.contains(n.as_str())) {
                    *evidence.entry(root).or_default() += IMPORT_WEIGHT;
                }
            }
            if let Some(top) = package_top(path) {
                if let Some(parent) = top.parent() {
                    if parent.starts_with(project) {
                        layout.insert(parent.to_path_buf());
                    }
                }
            }
        }
        // Once per folder, however many files its packages hold.
        for root in layout {
            *evidence.entry(root).or_default() += LAYOUT_WEIGHT;
        }
        let mut roots: Vec<(PathBuf, u32)> = evidence.into_iter().collect();
        roots.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(a.0.components().count().cmp(&b.0.components().count()))
                .then(a.0.cmp(&b.0))
        });
        ModuleMap {
            project: project.to_path_buf(),
            roots,
        }
    }

    pub fn project(&self) -> &Path {
        &self.project
    }

    /// The import root a file is named from: the best root above it that names it.
    pub fn root_of(&self, path: &Path) -> Option<&Path> {
        self.roots
            .iter()
            .find(|(r, _)| parts_below(r, path).is_some())
            .map(|(r, _)| r.as_path())
    }

    /// Dotted module name of a file (`app.db.session`), from its import root; for a file
    /// outside the project, from its `__init__.py` chain.
    pub fn module_of(&self, path: &Path) -> Option<String> {
        match self.root_of(path) {
            Some(root) => parts_below(root, path).map(|p| p.join(".")),
            None if normalize(path).starts_with(&self.project) => None,
            None => crate::index::module_name(path),
        }
    }

    /// Where the tree has module `dotted`: the first root holding it.
    pub fn find(&self, dotted: &str) -> Option<ModuleFile> {
        if dotted.is_empty() || !dotted.split('.').all(is_identifier) {
            return None;
        }
        let rel: PathBuf = dotted.split('.').collect();
        self.roots.iter().find_map(|(root, weight)| {
            // A root nothing points at is only trusted when it is the project itself.
            if *weight == 0 && root != &self.project {
                return None;
            }
            let base = root.join(&rel);
            let file = base.with_extension("py");
            if file.is_file() {
                return Some(ModuleFile::File(file));
            }
            let init = base.join("__init__.py");
            if init.is_file() {
                return Some(ModuleFile::File(init));
            }
            base.is_dir().then_some(ModuleFile::Namespace(base))
        })
    }

    /// `from <this> import name` written in `from` to reach module file `to` relatively
    /// (`.db`, `..core.session`): both below the same root and the same top-level package.
    pub fn relative_module(&self, from: &Path, to: &Path) -> Option<String> {
        let (from, to) = (&normalize(from), &normalize(to));
        let root = self.root_of(from)?;
        if self.root_of(to) != Some(root) {
            return None;
        }
        let from_parts = parts_below(root, from)?;
        let to_parts = parts_below(root, to)?;
        let is_package = from.file_stem().is_some_and(|s| s == "__init__");
        let package: &[String] = if is_package {
            &from_parts
        } else {
            &from_parts[..from_parts.len() - 1]
        };
        if package.is_empty() || to_parts.first() != package.first() {
            return None;
        }
        let common = package
            .iter()
            .zip(&to_parts)
            .take_while(|(a, b)| a == b)
            .count();
        let level = package.len() - common + 1;
        let rest = to_parts[common..].join(".");
        if rest.is_empty() {
            return None;
        }
        Some(format!("{}{rest}", ".".repeat(level)))
    }
}

/// The top folder of the `__init__.py` chain a file sits in (`None` outside any package).
fn package_top(path: &Path) -> Option<PathBuf> {
    let mut dir = path.parent()?;
    let mut top = None;
    while dir.join("__init__.py").is_file() {
        top = Some(dir.to_path_buf());
        dir = dir.parent()?;
    }
    top
}

/// The absolute module `from <dots><module> import ...` names, written in module `current`
/// (`is_package` for an `__init__.py`); `None` when it climbs above the top package.
pub fn absolute_module(
    current: &str,
    is_package: bool,
    level: u32,
    module: Option<&str>,
) -> Option<String> {
    if level == 0 {
        return module.map(str::to_string);
    }
    let mut parts: Vec<&str> = current.split('.').filter(|p| !p.is_empty()).collect();
    if !is_package {
        parts.pop();
    }
    for _ in 1..level {
        parts.pop()?;
    }
    if let Some(m) = module {
        parts.push(m);
    }
    (!parts.is_empty()).then(|| parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        for f in files {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        (dir, root)
    }

    #[test]
    fn namespace_package_named_from_the_tree_s_own_imports() {
        let (_d, root) = tree(&[
            "MakerMatrix/database/session_scope.py",
            "MakerMatrix/database/db.py",
            "MakerMatrix/services/parts.py",
        ]);
        let imports = vec!["MakerMatrix.database.db".to_string()];
        let parts = root.join("MakerMatrix/services/parts.py");
        let guard = root.join("MakerMatrix/database/session_scope.py");
        let map = ModuleMap::build(&root, [(parts.as_path(), &imports[..])]);
        assert_eq!(
            map.module_of(&guard).as_deref(),
            Some("MakerMatrix.database.session_scope")
        );
        assert_eq!(
            map.find("MakerMatrix.database.session_scope"),
            Some(ModuleFile::File(guard.clone()))
        );
        assert_eq!(
            map.find("MakerMatrix.database"),
            Some(ModuleFile::Namespace(root.join("MakerMatrix/database")))
        );
        assert_eq!(
            map.relative_module(&parts, &guard).as_deref(),
            Some("..database.session_scope")
        );
    }

    #[test]
    fn a_package_folder_is_no_import_root_when_its_names_collide_with_imports() {
        // `components/http` named from `components` is `http`, which the tree imports (the
        // standard library's): no evidence, since `components` is itself a package.
        let (_d, root) = tree(&[
            "ha/__init__.py",
            "ha/components/__init__.py",
            "ha/components/http/__init__.py",
            "ha/components/calendar/__init__.py",
            "ha/components/recorder/__init__.py",
            "ha/components/recorder/util.py",
        ]);
        let imports = vec!["http".to_string(), "calendar".to_string()];
        let http = root.join("ha/components/http/__init__.py");
        let calendar = root.join("ha/components/calendar/__init__.py");
        let util = root.join("ha/components/recorder/util.py");
        let map = ModuleMap::build(
            &root,
            [
                (http.as_path(), &imports[..]),
                (calendar.as_path(), &imports[..]),
                (util.as_path(), &[][..]),
            ],
        );
        assert_eq!(
            map.module_of(&util).as_deref(),
            Some("ha.components.recorder.util")
        );
    }

    #[test]
    fn src_layout_root_is_src() {
        let (_d, root) = tree(&[
            "src/shop/__init__.py",
            "src/shop/db.py",
            "src/shop/orders.py",
        ]);
        let db = root.join("src/shop/db.py");
        let map = ModuleMap::build(&root, [(db.as_path(), &[][..])]);
        assert_eq!(map.module_of(&db).as_deref(), Some("shop.db"));
        assert_eq!(
            map.relative_module(&root.join("src/shop/orders.py"), &db)
                .as_deref(),
            Some(".db")
        );
    }

    #[test]
    fn unimported_folders_and_bad_names_are_not_roots() {
        let (_d, root) = tree(&["tools/my-db/guard.py", "app/x.py"]);
        let g = root.join("tools/my-db/guard.py");
        let map = ModuleMap::build(&root, [(g.as_path(), &[][..])]);
        assert_eq!(map.module_of(&g), None);
        assert_eq!(map.find("guard"), None);
        assert_eq!(
            map.find("app.x"),
            Some(ModuleFile::File(root.join("app/x.py")))
        );
    }

    #[test]
    fn relative_imports_resolve_against_the_current_module() {
        assert_eq!(
            absolute_module("app.services.orders", false, 2, Some("db")).as_deref(),
            Some("app.db")
        );
        assert_eq!(
            absolute_module("app.db", true, 1, Some("session")).as_deref(),
            Some("app.db.session")
        );
        assert_eq!(absolute_module("app", false, 2, Some("x")), None);
    }
}
