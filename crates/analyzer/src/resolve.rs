//! What a name in a file refers to: `settings.Session` is `airflow.settings.Session` when
//! the file has `from airflow import settings`; `requests.Session` is no factory of ours.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::{Expr, Stmt};

use crate::syntax;

/// A dotted callee after import resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// `self.X(...)` / `cls.X(...)`: an attribute of the instance (the last segment).
    SelfAttr(String),
    /// A fully qualified path (`app.db.SessionLocal`), through an import or a name defined
    /// in this file.
    Qualified(String),
    /// A root that is neither imported nor defined here (a parameter, a local object, a
    /// star import): only the dotted text is known.
    Unbound(String),
}

#[derive(Debug, Default)]
pub(crate) struct FileImports {
    module: String,
    /// Bound name -> qualified path.
    bound: HashMap<String, String>,
    /// Names assigned anywhere in the file (module level or inside functions).
    defined: HashSet<String>,
}

impl FileImports {
    /// `module`: the file's dotted module (or its stem); `is_package` for `__init__.py`.
    pub fn collect(module: &str, is_package: bool, body: &[Stmt]) -> FileImports {
        let mut me = FileImports {
            module: module.to_string(),
            ..Default::default()
        };
        let mut all = vec![];
        syntax::walk_stmts(body, &mut all);
        for s in all {
            match s {
                Stmt::Import(i) => {
                    for a in &i.names {
                        match &a.asname {
                            Some(as_) => {
                                me.bound.insert(as_.to_string(), a.name.to_string());
                            }
                            None => {
                                let root = a.name.split('.').next().unwrap_or_default();
                                me.bound.insert(root.to_string(), root.to_string());
                            }
                        }
                    }
                }
                Stmt::ImportFrom(f) => {
                    let base = if f.level == 0 {
                        f.module.as_ref().map(|m| m.to_string()).unwrap_or_default()
                    } else {
                        let mut parts: Vec<&str> = module.split('.').collect();
                        if !is_package {
                            parts.pop();
                        }
                        for _ in 1..f.level {
                            parts.pop();
                        }
                        let mut b = parts.join(".");
                        if let Some(m) = &f.module {
                            if !b.is_empty() {
                                b.push('.');
                            }
                            b.push_str(m.as_str());
                        }
                        b
                    };
                    for a in &f.names {
                        let bound = a.asname.as_ref().unwrap_or(&a.name).to_string();
                        let path = if base.is_empty() {
                            a.name.to_string()
                        } else {
                            format!("{base}.{}", a.name)
                        };
                        me.bound.insert(bound, path);
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
            let mut local = FileImports::collect(module, is_package, std::slice::from_ref(s));
            for (name, path) in local.bound.drain() {
                me.bound.entry(name).or_insert(path);
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

    pub fn resolve(&self, dotted: &str) -> Resolved {
        let (root, rest) = match dotted.split_once('.') {
            Some((r, rest)) => (r, Some(rest)),
            None => (dotted, None),
        };
        if matches!(root, "self" | "cls") {
            if let Some(rest) = rest {
                return Resolved::SelfAttr(syntax::last_segment(rest).to_string());
            }
        }
        let base = if let Some(path) = self.bound.get(root) {
            path.clone()
        } else if self.defined.contains(root) {
            format!("{}.{root}", self.module)
        } else {
            return Resolved::Unbound(dotted.to_string());
        };
        Resolved::Qualified(match rest {
            Some(rest) => format!("{base}.{rest}"),
            None => base,
        })
    }

    /// Whether the file's `name` comes from SQLAlchemy / SQLModel.
    pub fn is_sqlalchemy(&self, dotted: &str) -> bool {
        match self.resolve(dotted) {
            Resolved::Qualified(q) => q.starts_with("sqlalchemy.") || q.starts_with("sqlmodel."),
            _ => false,
        }
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
