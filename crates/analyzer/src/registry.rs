//! The tree's guards, resolved: each with its qualified name, the class of the file that
//! defines it, and its real `with` uses (production and test), counted by resolving every
//! use's callee through its file's imports, re-exports and manager instances.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::classify::{classify, FileClass};
use crate::index::{CallBinding, GuardDef, GuardShape, WithUse};
use crate::modules::ModuleMap;
use crate::resolve::{same_path, Resolved, RootBinding};
use crate::rewrite::Import;
use crate::syntax::last_segment;

/// One guard of the tree.
#[derive(Debug, Clone, Serialize)]
pub struct Guard {
    #[serde(flatten)]
    pub def: GuardDef,
    pub path: PathBuf,
    #[serde(skip)]
    pub module: Option<String>,
    /// `app.db.get_db_session`, `app.database.DatabaseManager.session_scope`.
    pub qualified: String,
    pub file_class: FileClass,
    pub production_uses: usize,
    pub test_uses: usize,
    /// How production code writes it: `(expression, import)` and how often, most first.
    pub written: Vec<Written>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Written {
    pub expr: String,
    pub import: Option<Import>,
    pub uses: usize,
}

/// What the index knows of one file for resolving names across files.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileModule {
    pub module: Option<String>,
    pub is_package: bool,
    pub reexports: Vec<(String, RootBinding)>,
    /// Module-level `x = f(...)`: name and the callee, resolved.
    pub instances: Vec<(String, Resolved)>,
    pub relative_imports: bool,
}

/// Files by path and by module name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Modules {
    pub map: ModuleMap,
    pub files: HashMap<PathBuf, FileModule>,
    pub by_module: HashMap<String, PathBuf>,
}

impl Modules {
    pub fn module_of(&self, path: &Path) -> Option<String> {
        match self.files.get(path) {
            Some(f) => f.module.clone(),
            None => self.map.module_of(path),
        }
    }

    /// A callee's root binding resolved in the file at `path`.
    pub fn resolve_in(&self, path: &Path, binding: &RootBinding, dotted: &str) -> Resolved {
        let (module, is_package) = match self.files.get(path) {
            Some(f) => (f.module.clone().unwrap_or_default(), f.is_package),
            None => (self.map.module_of(path).unwrap_or_default(), false),
        };
        binding.resolve(&module, is_package, dotted)
    }

    /// `resolve_in`, then through the tree's re-exports (`follow`).
    pub fn resolve_followed(&self, path: &Path, binding: &RootBinding, dotted: &str) -> Resolved {
        match self.resolve_in(path, binding, dotted) {
            Resolved::Qualified(q) => Resolved::Qualified(self.follow(&q)),
            other => other,
        }
    }

    /// Follow re-exports: `app.db.get_db_session` where `app/db/__init__.py` has
    /// `from .session import get_db_session` is `app.db.session.get_db_session`.
    pub fn follow(&self, qualified: &str) -> String {
        let mut q = qualified.to_string();
        for _ in 0..4 {
            let Some(next) = self.follow_once(&q) else {
                break;
            };
            q = next;
        }
        q
    }

    fn follow_once(&self, q: &str) -> Option<String> {
        let parts: Vec<&str> = q.split('.').collect();
        for cut in (1..parts.len()).rev() {
            let module = parts[..cut].join(".");
            let Some(path) = self.by_module.get(&module) else {
                continue;
            };
            let file = self.files.get(path)?;
            let (_, binding) = file.reexports.iter().find(|(n, _)| n == parts[cut])?;
            let rest = parts[cut..].join(".");
            let Resolved::Qualified(target) = self.resolve_in(path, binding, &rest) else {
                return None;
            };
            return (target != q).then_some(target);
        }
        None
    }
}

/// The guards with their qualified names, file classes and uses.
pub(crate) fn resolve_guards(
    defs: Vec<(GuardDef, PathBuf)>,
    uses: &[(PathBuf, WithUse)],
    modules: &Modules,
) -> Vec<Guard> {
    let mut guards: Vec<Guard> = defs
        .into_iter()
        .map(|(def, path)| {
            let module = modules.module_of(&path);
            let owner = match &def.class {
                Some(c) => format!("{c}.{}", def.name),
                None => def.name.clone(),
            };
            let qualified = match &module {
                Some(m) => format!("{m}.{owner}"),
                None => owner,
            };
            let normal = crate::modules::normalize(&path);
            let rel = normal
                .strip_prefix(modules.map.project())
                .unwrap_or(&normal);
            Guard {
                file_class: classify(rel),
                module,
                qualified,
                def,
                path,
                production_uses: 0,
                test_uses: 0,
                written: vec![],
            }
        })
        .collect();
    let mut written: Vec<BTreeMap<(String, Option<String>), (Option<Import>, usize)>> =
        vec![BTreeMap::new(); guards.len()];
    for (path, u) in uses {
        let Some(i) = match_use(&guards, modules, path, u) else {
            continue;
        };
        let normal = crate::modules::normalize(path);
        let rel = normal
            .strip_prefix(modules.map.project())
            .unwrap_or(&normal);
        if classify(rel) == FileClass::Production {
            guards[i].production_uses += 1;
            let import = use_import(modules, path, u);
            let key = (
                format!("{}({})", u.callee, u.args),
                import.as_ref().map(Import::to_statement),
            );
            written[i].entry(key).or_insert((import, 0)).1 += 1;
        } else {
            guards[i].test_uses += 1;
        }
    }
    for (g, w) in guards.iter_mut().zip(written) {
        g.written = w
            .into_iter()
            .map(|((expr, _), (import, uses))| Written { expr, import, uses })
            .collect();
        g.written
            .sort_by(|a, b| b.uses.cmp(&a.uses).then(a.expr.cmp(&b.expr)));
    }
    guards
}

/// The import a use's file has for the use's root name, absolute.
fn use_import(modules: &Modules, path: &Path, u: &WithUse) -> Option<Import> {
    let root = u.callee.split('.').next().unwrap_or(&u.callee);
    match modules.resolve_in(path, &u.binding, root) {
        Resolved::Qualified(q) if !matches!(u.binding, RootBinding::Defined) => {
            let (module, name) = q.rsplit_once('.')?;
            Some(Import::From {
                module: module.to_string(),
                name: name.to_string(),
            })
        }
        _ => None,
    }
}

/// The guard a `with` item's callee calls, if any.
pub(crate) fn match_use(
    guards: &[Guard],
    modules: &Modules,
    path: &Path,
    u: &WithUse,
) -> Option<usize> {
    let resolved = modules.resolve_in(path, &u.binding, &u.callee);
    match_resolved(
        guards,
        modules,
        path,
        &resolved,
        &u.callee,
        u.class.as_deref(),
    )
}

/// The guard a resolved callee names: a function or class guard by qualified name (through
/// re-exports); a method guard through `self` in its class or through a module-level
/// instance of its class.
pub(crate) fn match_resolved(
    guards: &[Guard],
    modules: &Modules,
    path: &Path,
    resolved: &Resolved,
    callee: &str,
    class: Option<&str>,
) -> Option<usize> {
    let last = last_segment(callee);
    let candidates = || {
        guards
            .iter()
            .enumerate()
            .filter(move |(_, g)| g.def.name == last && !g.def.nested)
    };
    match resolved {
        // `class` unknown (pass 2 does not track it): any class of this file.
        Resolved::SelfAttr(m) => candidates()
            .find(|(_, g)| {
                g.def.class.is_some()
                    && (class.is_none() || g.def.class.as_deref() == class)
                    && g.path == path
                    && &g.def.name == m
            })
            .map(|(i, _)| i),
        Resolved::Qualified(q) => {
            let q = modules.follow(q);
            if let Some((i, _)) =
                candidates().find(|(_, g)| g.def.class.is_none() && same_path(&g.qualified, &q))
            {
                return Some(i);
            }
            // `db_manager.session_scope` with `db_manager = DatabaseManager()`.
            let (owner, method) = q.rsplit_once('.')?;
            let class = instance_class(modules, owner)?;
            let class = modules.follow(&class);
            candidates()
                .find(|(_, g)| {
                    g.def.name == method
                        && g.def.class.is_some()
                        && same_path(&g.qualified, &format!("{class}.{method}"))
                })
                .map(|(i, _)| i)
        }
        // A bare name not bound here: a guard defined in this very file.
        Resolved::Unbound(d) if !d.contains('.') => candidates()
            .find(|(_, g)| g.def.class.is_none() && &g.path == path)
            .map(|(i, _)| i),
        Resolved::Unbound(_) => None,
    }
}

/// `app.database.db_manager` -> the class it is an instance of (`app.database.DatabaseManager`).
pub(crate) fn instance_class(modules: &Modules, owner: &str) -> Option<String> {
    let owner = modules.follow(owner);
    let (module, name) = owner.rsplit_once('.')?;
    let path = modules.by_module.get(module)?;
    let file = modules.files.get(path)?;
    file.instances.iter().find_map(|(n, r)| match r {
        Resolved::Qualified(c) if n == name => Some(c.clone()),
        _ => None,
    })
}

/// Resolve module-level call bindings of a file (instances, made factories).
pub(crate) fn resolve_instances(
    modules: &Modules,
    path: &Path,
    bindings: &[CallBinding],
) -> Vec<(String, Resolved)> {
    bindings
        .iter()
        .map(|b| {
            (
                b.name.clone(),
                modules.resolve_in(path, &b.binding, &b.callee),
            )
        })
        .collect()
}

impl Guard {
    /// Whether it can be written by callers outside its file: not nested, and (for
    /// methods) reached through an instance the tree already uses.
    pub fn reachable(&self) -> bool {
        !self.def.nested
            && (self.def.class.is_none() || self.written.iter().any(|w| w.import.is_some()))
    }

    /// The expression production code writes most, or the plain call.
    pub fn expr(&self) -> String {
        match self.target_forms().next() {
            // Without required parameters the plain call is the guard, whatever some
            // sites pass (`Session(bind=other)`).
            Some(w) if self.def.params.is_empty() => {
                format!("{}()", w.expr.split('(').next().unwrap_or(&w.expr))
            }
            Some(w) => w.expr.clone(),
            None if self.def.class.is_none() => format!("{}()", self.def.name),
            None => format!("<instance>.{}()", self.def.name),
        }
    }

    /// Whether every production use passes the same arguments (or none are needed).
    pub fn args_agree(&self) -> bool {
        if self.def.params.is_empty() {
            return true;
        }
        let mut exprs = self.target_forms().map(|w| &w.expr);
        match exprs.next() {
            None => false,
            Some(first) => exprs.all(|e| e == first),
        }
    }

    /// How production code writes it, most first, leaving out calls that set what the
    /// lifecycle depends on (`session_scope(hass=hass, read_only=True)`): a rewrite into
    /// one of those would not get the lifecycle `guard` shows.
    pub fn target_forms(&self) -> impl Iterator<Item = &Written> {
        self.written
            .iter()
            .filter(|w| !self.sets_lifecycle(&w.expr))
    }

    fn sets_lifecycle(&self, expr: &str) -> bool {
        if self.def.lifecycle_params.is_empty() {
            return false;
        }
        match ruff_python_parser::parse_expression(expr) {
            Ok(parsed) => match parsed.expr() {
                ruff_python_ast::Expr::Call(call) => self.def.call_sets_lifecycle(call),
                _ => true,
            },
            Err(_) => true,
        }
    }

    /// Its lifecycle in words, with the parameters it holds for.
    pub fn describe_lifecycle(&self) -> String {
        let base = self.def.lifecycle.describe();
        if self.def.lifecycle_params.is_empty() {
            return base;
        }
        let params: Vec<String> = self
            .def
            .lifecycle_params
            .iter()
            .map(|p| format!("`{p}`"))
            .collect();
        format!("{base}, when {} keep their defaults", params.join(" and "))
    }

    pub fn shape(&self) -> GuardShape {
        self.def.shape
    }
}
