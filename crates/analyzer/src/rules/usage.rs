//! How a session name is used in its scope: references, values loaded through it, values
//! that hold it, and where the block's success path ends (the trailing commit).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::syntax::{self, dotted, last_segment, RefCollector};

/// Names that hold the session itself (`repo = Repo(session)`) and names holding values
/// loaded through it (`part = session.get(Part, 1)`, `order` after `session.add(order)`).
#[derive(Debug, Default, Clone)]
pub struct Taint {
    pub holders: Vec<String>,
    pub loaded: Vec<String>,
}

impl Taint {
    pub fn compute(scope: &[Stmt], session: &str) -> Taint {
        let mut all = vec![];
        syntax::walk_stmts(scope, &mut all);
        let mut t = Taint::default();
        for _ in 0..3 {
            let before = t.holders.len() + t.loaded.len();
            for stmt in &all {
                t.visit_stmt(stmt, session);
            }
            if t.holders.len() + t.loaded.len() == before {
                break;
            }
        }
        t
    }

    fn add(list: &mut Vec<String>, name: &str) {
        if !list.iter().any(|n| n == name) {
            list.push(name.to_string());
        }
    }

    fn visit_stmt(&mut self, stmt: &Stmt, session: &str) {
        let (targets, value): (Vec<&Expr>, Option<&Expr>) = match stmt {
            Stmt::Assign(a) => (a.targets.iter().collect(), Some(&a.value)),
            Stmt::AnnAssign(a) => (vec![&*a.target], a.value.as_deref()),
            Stmt::AugAssign(a) => (vec![&*a.target], Some(&a.value)),
            Stmt::For(f) => (vec![&*f.target], Some(&f.iter)),
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(v) = &item.optional_vars {
                        self.assign(&[&**v], &item.context_expr, session);
                    }
                }
                return;
            }
            Stmt::Expr(e) => {
                // `session.add(order)`: `order` is now attached to the session.
                let call = match &*e.value {
                    Expr::Await(a) => &*a.value,
                    v => v,
                };
                if let Expr::Call(c) = call {
                    if let Expr::Attribute(a) = &*c.func {
                        if matches!(&*a.value, Expr::Name(n) if n.id.as_str() == session) {
                            for arg in c.arguments.args.iter() {
                                for n in names_in(arg) {
                                    Self::add(&mut self.loaded, &n);
                                }
                            }
                        }
                    }
                }
                return;
            }
            _ => return,
        };
        if let Some(value) = value {
            self.assign(&targets, value, session);
        }
    }

    fn assign(&mut self, targets: &[&Expr], value: &Expr, session: &str) {
        let holds = holds_session(value, session)
            || self.holders.iter().any(|h| holds_session(value, h));
        let loaded = !holds
            && (mentions(value, session)
                || self.loaded.iter().any(|n| mentions(value, n))
                || self.holders.iter().any(|n| mentions(value, n)));
        if !holds && !loaded {
            return;
        }
        for t in targets {
            for n in target_names(t) {
                if n == session {
                    continue;
                }
                if holds {
                    Self::add(&mut self.holders, &n);
                } else {
                    Self::add(&mut self.loaded, &n);
                }
            }
        }
    }
}

fn target_names(e: &Expr) -> Vec<String> {
    match e {
        Expr::Name(n) => vec![n.id.to_string()],
        Expr::Tuple(t) => t.elts.iter().flat_map(target_names).collect(),
        Expr::List(t) => t.elts.iter().flat_map(target_names).collect(),
        Expr::Starred(s) => target_names(&s.value),
        _ => vec![],
    }
}

fn names_in(e: &Expr) -> Vec<String> {
    match e {
        Expr::Name(n) => vec![n.id.to_string()],
        Expr::List(l) => l.elts.iter().flat_map(names_in).collect(),
        Expr::Tuple(l) => l.elts.iter().flat_map(names_in).collect(),
        _ => vec![],
    }
}

/// Any reference to `name` in `expr`.
pub fn mentions(expr: &Expr, name: &str) -> bool {
    !RefCollector::in_expr(name, expr).is_empty()
}

/// The value holds the session object itself: `s`, `Repo(s)`, `[s]`, `(s, x)`, `{"db": s}`.
/// A call like `repo.get(s, 1)` uses the session but returns something loaded through it.
pub fn holds_session(expr: &Expr, session: &str) -> bool {
    match expr {
        Expr::Name(n) => n.id.as_str() == session,
        Expr::Call(c) => {
            let constructor = dotted(&c.func).is_some_and(|d| {
                last_segment(&d)
                    .chars()
                    .next()
                    .is_some_and(|ch| ch.is_ascii_uppercase())
            }) || matches!(dotted(&c.func).as_deref(), Some("partial" | "functools.partial"));
            constructor
                && (c.arguments.args.iter().any(|a| holds_session(a, session))
                    || c.arguments
                        .keywords
                        .iter()
                        .any(|k| holds_session(&k.value, session)))
        }
        Expr::List(l) => l.elts.iter().any(|e| holds_session(e, session)),
        Expr::Tuple(l) => l.elts.iter().any(|e| holds_session(e, session)),
        Expr::Set(l) => l.elts.iter().any(|e| holds_session(e, session)),
        Expr::Dict(d) => d.items.iter().any(|i| holds_session(&i.value, session)),
        Expr::Named(n) => holds_session(&n.value, session),
        Expr::If(i) => holds_session(&i.body, session) || holds_session(&i.orelse, session),
        Expr::BoolOp(b) => b.values.iter().any(|v| holds_session(v, session)),
        _ => false,
    }
}

/// The name (session, holder or loaded value) whose object the value of `expr` may be, or
/// `None` when the value is plainly detached data (`str(x)`, `x.to_dict()`, `len(xs)`,
/// f-strings, comparisons).
pub fn escaping_object(expr: &Expr, names: &[&str]) -> Option<String> {
    match expr {
        Expr::Name(n) => names
            .iter()
            .any(|x| *x == n.id.as_str())
            .then(|| n.id.to_string()),
        Expr::Call(c) => {
            let callee = dotted(&c.func);
            let plain_builtin = matches!(
                callee.as_deref(),
                Some("str" | "int" | "float" | "bool" | "len" | "repr" | "sum" | "round" | "any" | "all")
            );
            let plain_method = matches!(
                &*c.func,
                Expr::Attribute(a) if matches!(
                    a.attr.as_str(),
                    "to_dict" | "dict" | "model_dump" | "model_dump_json" | "json" | "count"
                        | "isoformat" | "to_json" | "as_dict" | "serialize"
                )
            );
            if plain_builtin || plain_method {
                return None;
            }
            escaping_object(&c.func, names).or_else(|| {
                c.arguments
                    .args
                    .iter()
                    .find_map(|a| escaping_object(a, names))
                    .or_else(|| {
                        c.arguments
                            .keywords
                            .iter()
                            .find_map(|k| escaping_object(&k.value, names))
                    })
            })
        }
        Expr::FString(_) | Expr::Compare(_) | Expr::StringLiteral(_) => None,
        Expr::NumberLiteral(_) | Expr::BooleanLiteral(_) | Expr::NoneLiteral(_) => None,
        _ => {
            struct Find<'n> {
                names: &'n [&'n str],
                found: Option<String>,
            }
            impl<'a> Visitor<'a> for Find<'_> {
                fn visit_expr(&mut self, expr: &'a Expr) {
                    if self.found.is_some() {
                        return;
                    }
                    match expr {
                        Expr::Call(_) | Expr::Name(_) => {
                            self.found = escaping_object(expr, self.names);
                        }
                        Expr::FString(_) | Expr::Compare(_) => {}
                        _ => visitor::walk_expr(self, expr),
                    }
                }
            }
            let mut f = Find { names, found: None };
            visitor::walk_expr(&mut f, expr);
            f.found
        }
    }
}

/// Whether a statement references any of `names` (not counting nested defs as separate).
pub fn stmt_mentions_any(stmt: &Stmt, names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| !RefCollector::in_stmt(n, stmt).is_empty())
}

/// The index of the commit that ends the success path of `body`: a top-level
/// `session.commit()` followed only by statements that touch neither the session nor
/// anything loaded through it (a final `return name` is allowed: the object is expired by
/// the commit either way).
pub fn trailing_commit(body: &[Stmt], session: &str, taint: &Taint) -> Option<usize> {
    let k = body
        .iter()
        .rposition(|s| syntax::is_session_call(s, session, "commit"))?;
    let mut watched: Vec<&str> = vec![session];
    watched.extend(taint.loaded.iter().map(String::as_str));
    watched.extend(taint.holders.iter().map(String::as_str));
    let rest = &body[k + 1..];
    for (i, s) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        if last {
            if let Stmt::Return(r) = s {
                match r.value.as_deref() {
                    None | Some(Expr::Name(_)) => continue,
                    Some(v) if !watched.iter().any(|n| mentions(v, n)) => continue,
                    _ => return None,
                }
            }
        }
        if stmt_mentions_any(s, &watched) {
            return None;
        }
    }
    Some(k)
}

/// `return` statements in `stmts` (not in nested functions), in source order.
pub fn returns_in(stmts: &[Stmt]) -> Vec<&ruff_python_ast::StmtReturn> {
    let mut all = vec![];
    syntax::walk_stmts(stmts, &mut all);
    all.into_iter()
        .filter_map(|s| match s {
            Stmt::Return(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// Calls `session.<method>()` anywhere in `stmts` (not in nested functions), as statements
/// or expressions, with their ranges.
pub fn session_calls(stmts: &[Stmt], session: &str, method: &str) -> Vec<TextRange> {
    struct Calls<'n> {
        session: &'n str,
        method: &'n str,
        found: Vec<TextRange>,
    }
    impl<'a> Visitor<'a> for Calls<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                return;
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(c) = expr {
                if let Expr::Attribute(a) = &*c.func {
                    if a.attr.as_str() == self.method
                        && matches!(&*a.value, Expr::Name(n) if n.id.as_str() == self.session)
                    {
                        self.found.push(c.range());
                    }
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut c = Calls {
        session,
        method,
        found: vec![],
    };
    for s in stmts {
        c.visit_stmt(s);
    }
    c.found
}
