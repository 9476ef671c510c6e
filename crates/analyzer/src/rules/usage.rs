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
        let holds =
            holds_session(value, session) || self.holders.iter().any(|h| holds_session(value, h));
        // Loaded: the value may be an ORM object reached through the session (attribute
        // reads and conversions give plain data; see `escaping_object`).
        let loaded = !holds && {
            let mut names: Vec<&str> = vec![session];
            names.extend(self.loaded.iter().map(String::as_str));
            names.extend(self.holders.iter().map(String::as_str));
            escaping_object(value, &names).is_some()
        };
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
            }) || matches!(
                dotted(&c.func).as_deref(),
                Some("partial" | "functools.partial")
            );
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
/// `None` when the value is plainly detached data: attribute reads (taken as column
/// values), `str(x)`, `x.to_dict()`, `len(xs)`, f-strings, comparisons.
pub fn escaping_object(expr: &Expr, names: &[&str]) -> Option<String> {
    match expr {
        Expr::Name(n) => names
            .iter()
            .any(|x| *x == n.id.as_str())
            .then(|| n.id.to_string()),
        Expr::Attribute(_) => None,
        Expr::Call(c) => {
            let callee = dotted(&c.func);
            let plain_builtin = matches!(
                callee.as_deref(),
                Some(
                    "str"
                        | "int"
                        | "float"
                        | "bool"
                        | "len"
                        | "repr"
                        | "sum"
                        | "round"
                        | "any"
                        | "all"
                )
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
            if selects_columns_only(expr) {
                return None;
            }
            // `session.get(...)`, `session.query(X).all()`, `item.children.all()`.
            root_name(&c.func)
                .filter(|r| names.contains(&r.as_str()))
                .or_else(|| {
                    c.arguments
                        .args
                        .iter()
                        .find_map(|a| escaping_object(a, names))
                })
        }
        Expr::List(l) => l.elts.iter().find_map(|e| escaping_object(e, names)),
        Expr::Tuple(l) => l.elts.iter().find_map(|e| escaping_object(e, names)),
        Expr::Set(l) => l.elts.iter().find_map(|e| escaping_object(e, names)),
        Expr::Dict(d) => d
            .items
            .iter()
            .find_map(|i| escaping_object(&i.value, names)),
        Expr::Subscript(s) => escaping_object(&s.value, names),
        Expr::If(i) => {
            escaping_object(&i.body, names).or_else(|| escaping_object(&i.orelse, names))
        }
        Expr::BoolOp(b) => b.values.iter().find_map(|v| escaping_object(v, names)),
        Expr::Await(a) => escaping_object(&a.value, names),
        Expr::ListComp(l) => escaping_object(&l.elt, names).or_else(|| {
            // `[x for x in loaded]`: the elements are loaded objects.
            let Expr::Name(n) = &*l.elt else { return None };
            l.generators.iter().find_map(|g| {
                let target = matches!(&g.target, Expr::Name(t) if t.id == n.id);
                (target && escaping_object(&g.iter, names).is_some()).then(|| n.id.to_string())
            })
        }),
        _ => None,
    }
}

/// `session.scalars(select(Item.name))`, `session.query(Item.id, func.count(...))`: rows of
/// column values, not ORM objects.
fn selects_columns_only(expr: &Expr) -> bool {
    let mut e = expr;
    loop {
        let Expr::Call(c) = e else { return false };
        let args_are_columns = |args: &[Expr]| {
            !args.is_empty()
                && args
                    .iter()
                    .all(|a| matches!(a, Expr::Attribute(_)) || matches!(a, Expr::Call(f) if dotted(&f.func).is_some_and(|d| d.starts_with("func."))))
        };
        match &*c.func {
            Expr::Name(n) if n.id.as_str() == "select" => {
                return args_are_columns(&c.arguments.args)
            }
            Expr::Attribute(a) if a.attr.as_str() == "query" => {
                return args_are_columns(&c.arguments.args)
            }
            Expr::Attribute(a) => {
                // Look into the arguments (`scalars(select(...))`) and down the chain.
                if let Some(first) = c.arguments.args.first() {
                    if matches!(first, Expr::Call(_)) && selects_columns_only(first) {
                        return true;
                    }
                }
                e = &a.value;
            }
            Expr::Name(_) => {
                return c.arguments.args.first().is_some_and(selects_columns_only);
            }
            _ => return false,
        }
    }
}

/// The leftmost name of `a.b(c).d`.
fn root_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => root_name(&a.value),
        Expr::Call(c) => root_name(&c.func),
        Expr::Subscript(s) => root_name(&s.value),
        _ => None,
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

/// Methods of loaded objects and results that only read (queries, results, conversions).
const READS: &[&str] = &[
    "to_dict",
    "dict",
    "model_dump",
    "model_dump_json",
    "json",
    "isoformat",
    "keys",
    "values",
    "items",
    "get",
    "fetchone",
    "fetchall",
    "fetchmany",
    "first",
    "all",
    "one",
    "one_or_none",
    "scalar",
    "scalar_one",
    "scalar_one_or_none",
    "scalars",
    "mappings",
    "count",
    "filter",
    "filter_by",
    "where",
    "order_by",
    "limit",
    "offset",
    "join",
    "outerjoin",
    "options",
    "group_by",
    "having",
    "distinct",
    "unique",
    "tuples",
    "columns",
    "select_from",
    "with_entities",
    "params",
    "execution_options",
    "subquery",
    "exists",
    "label",
    "in_",
    "like",
    "ilike",
    "is_",
    "is_not",
    "isnot",
    "desc",
    "asc",
    "startswith",
    "endswith",
    "lower",
    "upper",
    "strip",
    "split",
    "format",
];

/// Session methods that only read (besides `READS`, which results and objects share).
const SESSION_READS: &[&str] = &[
    "query",
    "get",
    "refresh",
    "expire",
    "expire_all",
    "scalar",
    "scalars",
    "get_bind",
    "in_transaction",
    "is_modified",
    "identity_key",
];

/// A method that only reads, on a session, a result or a loaded object.
pub(crate) fn only_reads(method: &str) -> bool {
    READS.contains(&method) || SESSION_READS.contains(&method)
}

/// A method of SQLAlchemy's session API (or of its results).
pub(crate) fn is_session_api(method: &str) -> bool {
    only_reads(method)
        || matches!(
            method,
            "add"
                | "add_all"
                | "merge"
                | "delete"
                | "flush"
                | "commit"
                | "rollback"
                | "close"
                | "begin"
                | "begin_nested"
                | "bulk_save_objects"
                | "bulk_insert_mappings"
                | "bulk_update_mappings"
                | "execute"
                | "expunge"
                | "expunge_all"
                | "connection"
                | "invalidate"
                | "update"
                | "insert"
        )
}

/// Methods that write, whoever they are called on.
const WRITES: &[&str] = &[
    "add",
    "add_all",
    "merge",
    "delete",
    "update",
    "insert",
    "flush",
    "commit",
    "rollback",
    "close",
    "begin",
    "begin_nested",
    "bulk_save_objects",
    "bulk_insert_mappings",
    "bulk_update_mappings",
    "execute_many",
    "save",
    "create",
    "put",
    "upsert",
    "append",
    "extend",
    "remove",
    "pop",
    "clear",
    "setdefault",
    "set",
    "expunge",
    "expunge_all",
    "invalidate",
    "connection",
];

/// Statements that only read through the session: session calls that load, attribute
/// reads, logging. No stores into objects, no calls that take the session or a loaded
/// object (a repository function may write), no writing method anywhere. A guard's commit
/// after such statements commits nothing.
/// A call that receives the session or a loaded object only reads when every function of
/// the project it may be provably only reads what it receives (`ctx`'s summaries).
pub(crate) fn is_read_only(ctx: &super::Ctx, stmts: &[Stmt], session: &str, taint: &Taint) -> bool {
    struct R<'t, 'c, 'a> {
        watched: Vec<&'t str>,
        fresh: Vec<String>,
        session: &'t str,
        ctx: &'c super::Ctx<'a>,
        ok: bool,
    }
    impl<'x> Visitor<'x> for R<'_, '_, '_> {
        fn visit_stmt(&mut self, stmt: &'x Stmt) {
            // A store into a container the block built (a dict literal, `obj.to_dict()`)
            // writes nothing; into anything else (a relationship list read off an object)
            // it may.
            let local = |t: &Expr| is_plain_target(t) || is_local_store(t, &self.fresh);
            match stmt {
                Stmt::Assign(a) if !a.targets.iter().all(local) => self.ok = false,
                Stmt::AnnAssign(a) if !local(&a.target) => self.ok = false,
                Stmt::AugAssign(a) if !local(&a.target) => self.ok = false,
                Stmt::Delete(_) | Stmt::Global(_) | Stmt::Nonlocal(_) => self.ok = false,
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => self.ok = false,
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, expr: &'x Expr) {
            if !self.ok {
                return;
            }
            if let Expr::Call(c) = expr {
                if let Expr::Attribute(a) = &*c.func {
                    let method = a.attr.as_str();
                    if WRITES.contains(&method) {
                        self.ok = false;
                        return;
                    }
                    let on_session =
                        matches!(&*a.value, Expr::Name(n) if n.id.as_str() == self.session);
                    // `session.refresh(obj)` reloads the object's row: a read.
                    if on_session && method == "refresh" {
                        return;
                    }
                    if on_session && method == "execute" {
                        let select = c.arguments.args.first().is_some_and(is_select);
                        if !select {
                            self.ok = false;
                            return;
                        }
                    }
                    // A method of a loaded object may change it (unless it only converts).
                    let on_loaded = !on_session
                        && matches!(&*a.value, Expr::Name(n) if self.watched.contains(&n.id.as_str()));
                    if on_loaded && !READS.contains(&method) {
                        self.ok = false;
                        return;
                    }
                }
                let passes_watched = c
                    .arguments
                    .args
                    .iter()
                    .chain(c.arguments.keywords.iter().map(|k| &k.value))
                    .any(
                        |arg| matches!(arg, Expr::Name(n) if self.watched.contains(&n.id.as_str())),
                    );
                let plain = dotted(&c.func).is_some_and(|d| crate::summaries::is_plain(&d));
                if passes_watched && !plain && !only_reads_through(self.ctx, &self.watched, c) {
                    self.ok = false;
                    return;
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut watched: Vec<&str> = vec![session];
    watched.extend(taint.loaded.iter().map(String::as_str));
    watched.extend(taint.holders.iter().map(String::as_str));
    let fresh = fresh_containers(stmts)
        .into_iter()
        .filter(|n| !watched.contains(&n.as_str()))
        .collect();
    let mut r = R {
        watched,
        fresh,
        session,
        ctx,
        ok: true,
    };
    for s in stmts {
        r.visit_stmt(s);
    }
    r.ok
}

/// Every function of the project the call may be leaves what it receives from `watched`
/// unchanged, ends no transaction and writes nothing through it.
fn only_reads_through(ctx: &super::Ctx, watched: &[&str], c: &ruff_python_ast::ExprCall) -> bool {
    let effect = ctx.index.call_effect(c, &ctx.imports, &ctx.file.path);
    crate::summaries::arguments(c).all(|(slot, arg)| {
        let watched = matches!(arg, Expr::Name(n) if watched.contains(&n.id.as_str()));
        !watched || effect.on(&slot) == 0
    }) && !c.arguments.keywords.iter().any(|k| k.arg.is_none())
}

/// `select(...)`, `"SELECT ..."`, `text("select ...")`: a statement that only reads.
pub(crate) fn is_select(arg: &Expr) -> bool {
    let starts_with_select = |s: &str| {
        s.trim_start()
            .get(..6)
            .is_some_and(|w| w.eq_ignore_ascii_case("select"))
    };
    match arg {
        Expr::StringLiteral(s) => starts_with_select(s.value.to_str()),
        Expr::Call(inner) => match dotted(&inner.func).as_deref().map(last_segment) {
            Some("select") => true,
            Some("text") => inner.arguments.args.first().is_some_and(
                |a| matches!(a, Expr::StringLiteral(s) if starts_with_select(s.value.to_str())),
            ),
            _ => false,
        },
        _ => false,
    }
}

/// `d[k] = v` where `d` is one of `fresh`.
fn is_local_store(t: &Expr, fresh: &[String]) -> bool {
    matches!(t, Expr::Subscript(s) if matches!(&*s.value, Expr::Name(n) if fresh.iter().any(|f| f == n.id.as_str())))
}

/// Names the statements bind (and bind only) to a container they build: a literal, a
/// comprehension, `dict(...)` / `list(...)`, or a conversion like `obj.to_dict()`.
fn fresh_containers(stmts: &[Stmt]) -> Vec<String> {
    let mut all = vec![];
    syntax::walk_stmts(stmts, &mut all);
    let mut fresh: Vec<String> = vec![];
    let mut other: Vec<String> = vec![];
    for s in all {
        let Stmt::Assign(a) = s else { continue };
        let builds = match &*a.value {
            Expr::Dict(_) | Expr::List(_) | Expr::Set(_) => true,
            Expr::DictComp(_) | Expr::ListComp(_) | Expr::SetComp(_) => true,
            Expr::Call(c) => match &*c.func {
                Expr::Name(n) => matches!(n.id.as_str(), "dict" | "list" | "set"),
                Expr::Attribute(m) => {
                    matches!(m.attr.as_str(), "to_dict" | "dict" | "model_dump" | "copy")
                }
                _ => false,
            },
            _ => false,
        };
        for t in &a.targets {
            for n in target_names(t) {
                if builds && matches!(t, Expr::Name(_)) {
                    fresh.push(n);
                } else {
                    other.push(n);
                }
            }
        }
    }
    fresh.retain(|n| !other.contains(n));
    fresh
}

fn is_plain_target(t: &Expr) -> bool {
    match t {
        Expr::Name(_) => true,
        Expr::Tuple(t) => t.elts.iter().all(is_plain_target),
        Expr::List(t) => t.elts.iter().all(is_plain_target),
        Expr::Starred(s) => is_plain_target(&s.value),
        _ => false,
    }
}
