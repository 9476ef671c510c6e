//! What a name in a file refers to: `settings.Session` is `airflow.settings.Session` when
//! the file has `from airflow import settings`; `requests.Session` is no factory of ours.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::{Expr, Stmt};

use crate::syntax;

/// A dotted callee after import resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// `self.X(...)` / `cls.X(...)`: an attribute of the instance (the last segment).
    SelfAttr(String),
    /// A fully qualified path (`app.db.SessionLocal`), through an import or a name defined
    /// in this file.
    Qualified(String),
    /// A root that is neither imported nor defined here (a parameter, a local object, a
    /// star import): only the dotted text is known.
    Unbound(String),
}

/// What the root name of a dotted callee is bound to in its file, before the file's module
/// name is known (pass 1 keeps this; the index resolves it once module names are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootBinding {
    /// `self.X` / `cls.X`.
    SelfAttr,
    /// `import a.b` / `from a import b`: an absolute path.
    Absolute(String),
    /// `from ..db import b`: dots and the rest (`db.b`).
    Relative {
        level: u32,
        path: String,
    },
    /// Assigned, defined or declared in this file.
    Defined,
    Unbound,
}

impl RootBinding {
    /// The callee `dotted` (whose root this binds) resolved in module `module`.
    pub fn resolve(&self, module: &str, is_package: bool, dotted: &str) -> Resolved {
        let (root, rest) = match dotted.split_once('.') {
            Some((r, rest)) => (r, Some(rest)),
            None => (dotted, None),
        };
        let base = match self {
            RootBinding::SelfAttr => {
                return match rest {
                    Some(rest) => Resolved::SelfAttr(syntax::last_segment(rest).to_string()),
                    None => Resolved::Unbound(dotted.to_string()),
                }
            }
            RootBinding::Absolute(p) => p.clone(),
            RootBinding::Relative { level, path } => {
                let (m, name) = match path.rsplit_once('.') {
                    Some((m, n)) => (Some(m), n),
                    None => (None, path.as_str()),
                };
                match crate::modules::absolute_module(module, is_package, *level, m) {
                    Some(abs) => format!("{abs}.{name}"),
                    None => return Resolved::Unbound(dotted.to_string()),
                }
            }
            RootBinding::Defined => format!("{module}.{root}"),
            RootBinding::Unbound => return Resolved::Unbound(dotted.to_string()),
        };
        Resolved::Qualified(match rest {
            Some(rest) => format!("{base}.{rest}"),
            None => base,
        })
    }
}

#[derive(Debug, Default)]
pub(crate) struct FileImports {
    module: String,
    is_package: bool,
    /// Bound name -> what it is bound to.
    bound: HashMap<String, RootBinding>,
    /// Names assigned anywhere in the file (module level or inside functions).
    defined: HashSet<String>,
    /// `from m import *` at module level: the absolute modules `m` (relative ones as
    /// written, dots included).
    stars: Vec<String>,
}

impl FileImports {
    /// `module`: the file's dotted module (or its stem); `is_package` for `__init__.py`.
    pub fn collect(module: &str, is_package: bool, body: &[Stmt]) -> FileImports {
        let mut me = FileImports {
            module: module.to_string(),
            is_package,
            ..Default::default()
        };
        let mut all = vec![];
        syntax::walk_stmts(body, &mut all);
        for s in all {
            match s {
                Stmt::ImportFrom(f) if f.names.iter().any(|a| a.name.as_str() == "*") => {
                    let dots = ".".repeat(f.level as usize);
                    let m = f.module.as_ref().map_or("", |m| m.as_str());
                    me.stars.push(format!("{dots}{m}"));
                }
                Stmt::Import(_) | Stmt::ImportFrom(_) => {
                    for (bound, binding) in import_bindings(s) {
                        me.bound.insert(bound, binding);
                    }
                }
                Stmt::Assign(a) => {
                    for t in &a.targets {
                        if let Expr::Name(n) = t {
                            me.defined.insert(n.id.to_string());
                        }
                    }
                }
                Stmt::AnnAssign(a) => {
                    if let Expr::Name(n) = &*a.target {
                        me.defined.insert(n.id.to_string());
                    }
                }
                Stmt::FunctionDef(f) => {
                    me.defined.insert(f.name.to_string());
                }
                Stmt::ClassDef(c) => {
                    me.defined.insert(c.name.to_string());
                }
                _ => {}
            }
        }
        // Imports inside functions and classes (`import boto3` in a method): they bind a
        // name only there, but a module name seen there is still that module, not one of
        // our factories. Module-level bindings win.
        let mut nested = vec![];
        nested_imports(body, false, &mut nested);
        for s in nested {
            for (name, binding) in import_bindings(s) {
                me.bound.entry(name).or_insert(binding);
            }
        }
        // Nested function definitions count as defined here too.
        for s in body {
            if let Stmt::ClassDef(c) = s {
                for m in &c.body {
                    if let Stmt::FunctionDef(f) = m {
                        me.defined.insert(f.name.to_string());
                    }
                }
            }
        }
        me
    }

    /// What the root name of `dotted` is bound to.
    pub fn root_binding(&self, dotted: &str) -> RootBinding {
        let root = dotted.split('.').next().unwrap_or(dotted);
        if matches!(root, "self" | "cls") && dotted.contains('.') {
            return RootBinding::SelfAttr;
        }
        if let Some(b) = self.bound.get(root) {
            return b.clone();
        }
        if self.defined.contains(root) {
            return RootBinding::Defined;
        }
        RootBinding::Unbound
    }

    pub fn resolve(&self, dotted: &str) -> Resolved {
        self.root_binding(dotted)
            .resolve(&self.module, self.is_package, dotted)
    }

    /// Whether the file imports anything with `from .x import ...`.
    pub fn imports_relatively(&self) -> bool {
        self.bound
            .values()
            .any(|b| matches!(b, RootBinding::Relative { .. }))
    }

    /// The file's dotted module name (its stem outside packages).
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The absolute modules of the file's `from m import *` (relative ones resolved).
    pub fn star_modules(&self) -> Vec<String> {
        self.stars
            .iter()
            .filter_map(|m| {
                let rest = m.trim_start_matches('.');
                let level = (m.len() - rest.len()) as u32;
                if level == 0 {
                    return Some(m.clone());
                }
                let rest = (!rest.is_empty()).then_some(rest);
                crate::modules::absolute_module(&self.module, self.is_package, level, rest)
            })
            .collect()
    }

    /// The file has `from sqlalchemy... import *` (or from `sqlmodel`).
    pub fn star_from_sqlalchemy(&self) -> bool {
        self.stars
            .iter()
            .any(|m| crate::provenance::is_sqlalchemy_path(m))
    }

    /// Whether the file's `name` comes from SQLAlchemy / SQLModel.
    pub fn is_sqlalchemy(&self, dotted: &str) -> bool {
        match self.resolve(dotted) {
            Resolved::Qualified(q) => q.starts_with("sqlalchemy.") || q.starts_with("sqlmodel."),
            _ => false,
        }
    }
}

/// The names an import statement binds and what each is bound to.
pub(crate) fn import_bindings(stmt: &Stmt) -> Vec<(String, RootBinding)> {
    match stmt {
        Stmt::Import(i) => i
            .names
            .iter()
            .map(|a| match &a.asname {
                Some(as_) => (as_.to_string(), RootBinding::Absolute(a.name.to_string())),
                None => {
                    let root = a.name.split('.').next().unwrap_or_default().to_string();
                    (root.clone(), RootBinding::Absolute(root))
                }
            })
            .collect(),
        Stmt::ImportFrom(f) => f
            .names
            .iter()
            .filter(|a| a.name.as_str() != "*")
            .map(|a| {
                let bound = a.asname.as_ref().unwrap_or(&a.name).to_string();
                let module = f.module.as_ref().map(|m| m.as_str());
                let path = match module {
                    Some(m) => format!("{m}.{}", a.name),
                    None => a.name.to_string(),
                };
                let binding = if f.level == 0 {
                    RootBinding::Absolute(path)
                } else {
                    RootBinding::Relative {
                        level: f.level,
                        path,
                    }
                };
                (bound, binding)
            })
            .collect(),
        _ => vec![],
    }
}

/// `a.b.c` and `b.c` name the same thing (one is a dotted suffix of the other): modules
/// are often named from different roots (`src/app` vs `app`).
pub(crate) fn same_path(a: &str, b: &str) -> bool {
    // Without allocating: this runs for every factory at every call site.
    let suffix_at_dot = |long: &str, short: &str| {
        long.len() > short.len()
            && long.ends_with(short)
            && long.as_bytes()[long.len() - short.len() - 1] == b'.'
    };
    a == b || suffix_at_dot(a, b) || suffix_at_dot(b, a)
}

/// The import statements inside the function and class bodies of `body` (at any depth);
/// `inside` is whether `body` itself is such a body.
fn nested_imports<'a>(body: &'a [Stmt], inside: bool, out: &mut Vec<&'a Stmt>) {
    let mut all = vec![];
    syntax::walk_stmts(body, &mut all);
    for s in all {
        match s {
            Stmt::Import(_) | Stmt::ImportFrom(_) if inside => out.push(s),
            Stmt::FunctionDef(f) => nested_imports(&f.body, true, out),
            Stmt::ClassDef(c) => nested_imports(&c.body, true, out),
            _ => {}
        }
    }
}
