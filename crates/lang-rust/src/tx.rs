//! Finding transaction values (`let tx = conn.transaction()?;`), their uses, and what
//! dropping them does.

use std::collections::{HashMap, HashSet};

use ra_ap_syntax::ast::{self, HasArgList, HasGenericArgs, HasName};
use ra_ap_syntax::{AstNode, SyntaxNode};

use crate::drivers;
use crate::index::{BeginFact, CrateIndex, Entry};
use crate::syntax::{self, method_name, LineIndex};

/// What dropping the transaction without commit does, as far as this file shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropRollback {
    /// Rolls back; the text says why we know (e.g. "a rusqlite transaction").
    Yes(String),
    /// Does not roll back: `set_drop_behavior` is called at this line.
    No { line: usize },
    /// Not known; the text says why.
    Unknown(String),
}

/// How one mention of the transaction variable uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseKind {
    Commit,
    Rollback,
    SetDropBehavior,
    /// A method call or a borrow that keeps the value where it is.
    Borrow,
    /// The value is moved somewhere this analysis does not follow.
    Escape,
    /// The name appears inside a macro call's tokens.
    InMacro,
}

#[derive(Debug, Clone)]
pub struct TxUse {
    pub kind: UseKind,
    /// The method call for `Commit`, `Rollback` and `SetDropBehavior`.
    pub call: Option<ast::MethodCallExpr>,
    pub offset: usize,
}

/// A transaction bound by `let` to a plain name.
#[derive(Debug, Clone)]
pub struct Tx {
    pub name: String,
    pub let_stmt: ast::LetStmt,
    /// The statement list the `let` is in: the transaction's scope.
    pub scope: ast::StmtList,
    pub method: String,
    /// Source text of the receiver of the begin call (`conn`, `self.pool`).
    pub receiver: String,
    pub drop: DropRollback,
    pub uses: Vec<TxUse>,
}

impl Tx {
    pub fn escapes(&self) -> bool {
        self.uses.iter().any(|u| u.kind == UseKind::Escape)
    }
    pub fn of_kind(&self, kind: UseKind) -> impl Iterator<Item = &TxUse> {
        self.uses.iter().filter(move |u| u.kind == kind)
    }
    pub fn has(&self, kind: UseKind) -> bool {
        self.of_kind(kind).next().is_some()
    }
    pub fn let_range(&self) -> std::ops::Range<usize> {
        syntax::range(self.let_stmt.syntax())
    }
}

/// Types, functions and Drop impls defined in the file, to resolve project-defined
/// transaction types; what the file does not define is looked up in the crate index.
pub(crate) struct Locals<'i> {
    index: &'i CrateIndex,
    /// fn name -> its return type and whether its body calls `set_drop_behavior`.
    fns: HashMap<String, Option<(ast::Type, bool)>>,
    /// struct name -> the last path segment of each field type.
    structs: HashMap<String, Vec<String>>,
    /// type name -> whether its `impl Drop` calls `rollback`.
    drops: HashMap<String, bool>,
    /// type names whose impl blocks call `set_drop_behavior`.
    sets_drop_behavior: Vec<String>,
    /// type names with an impl that defines `commit` or `rollback`.
    settles: HashSet<String>,
}

fn calls_method(node: &SyntaxNode, name: &str) -> bool {
    node.descendants()
        .filter_map(ast::MethodCallExpr::cast)
        .any(|m| method_name(&m) == name)
}

impl<'i> Locals<'i> {
    pub(crate) fn collect(file: &ast::SourceFile, index: &'i CrateIndex) -> Locals<'i> {
        let mut locals = Locals {
            index,
            fns: HashMap::new(),
            structs: HashMap::new(),
            drops: HashMap::new(),
            sets_drop_behavior: Vec::new(),
            settles: HashSet::new(),
        };
        for node in file.syntax().descendants() {
            if let Some(f) = ast::Fn::cast(node.clone()) {
                locals.add_fn(&f);
            } else if let Some(s) = ast::Struct::cast(node.clone()) {
                let fields = struct_field_types(&s);
                locals.structs.insert(
                    s.name().map(|n| n.text().to_string()).unwrap_or_default(),
                    fields,
                );
            } else if let Some(imp) = ast::Impl::cast(node) {
                locals.add_impl(&imp);
            }
        }
        locals
    }

    fn add_fn(&mut self, f: &ast::Fn) {
        let Some(name) = f.name().map(|n| n.text().to_string()) else {
            return;
        };
        let ret = f.ret_type().and_then(|r| r.ty());
        let sets = f
            .body()
            .is_some_and(|b| calls_method(b.syntax(), "set_drop_behavior"));
        let entry = ret.map(|t| (t, sets));
        // Two functions of one name with different return types: not resolvable by name.
        match self.fns.get(&name) {
            Some(Some((old, _)))
                if entry
                    .as_ref()
                    .is_some_and(|(t, _)| t.syntax().text() == old.syntax().text()) => {}
            Some(_) => {
                self.fns.insert(name, None);
            }
            None => {
                self.fns.insert(name, entry);
            }
        }
    }

    fn add_impl(&mut self, imp: &ast::Impl) {
        let Some(self_name) = imp.self_ty().and_then(|t| syntax::last_type_name(&t)) else {
            return;
        };
        if calls_method(imp.syntax(), "set_drop_behavior") {
            self.sets_drop_behavior.push(self_name.clone());
        }
        let defines_settle = imp.assoc_item_list().is_some_and(|l| {
            l.assoc_items().any(|item| match item {
                ast::AssocItem::Fn(f) => f
                    .name()
                    .is_some_and(|n| matches!(&*n.text(), "commit" | "rollback")),
                _ => false,
            })
        });
        if defines_settle {
            self.settles.insert(self_name.clone());
        }
        if imp
            .trait_()
            .and_then(|t| syntax::last_type_name(&t))
            .as_deref()
            == Some("Drop")
        {
            self.drops
                .insert(self_name, calls_method(imp.syntax(), "rollback"));
        }
    }

    /// What dropping a value returned by the fn `name` (of this file, else of the index)
    /// does, if it is a transaction.
    fn resolve_fn(&self, name: &str) -> Option<DropRollback> {
        let (ty_name, sets) = match self.fns.get(name) {
            Some(Some((ty, _))) if matches!(unwrap_type(ty), ast::Type::RefType(_)) => {
                // A borrow of a transaction owned elsewhere: dropping it ends nothing.
                return None;
            }
            Some(Some((ty, sets))) => (syntax::last_type_name(&unwrap_type(ty))?, *sets),
            Some(None) => return None,
            None => match self.index.begin(name)? {
                Entry::One(b) => (b.returns.clone(), b.sets_drop_behavior),
                Entry::Ambiguous => {
                    return Some(DropRollback::Unknown(format!(
                        "`{name}` is defined in several files with different return types, so what dropping its transaction does is not known"
                    )))
                }
            },
        };
        let drop = self.resolve_type(&ty_name)?;
        if sets {
            return Some(DropRollback::Unknown(format!(
                "`{name}` calls set_drop_behavior, so what dropping its transaction does is not known"
            )));
        }
        Some(drop)
    }

    /// What dropping a value of type `name` does: by its definition in this file, else
    /// in another file of the index, else by the driver type names.
    fn resolve_type(&self, name: &str) -> Option<DropRollback> {
        if self.structs.contains_key(name) {
            return Some(self.resolve_local_type(name));
        }
        match self.index.transaction_type(name) {
            Some(Entry::One(drop)) => Some(elsewhere(drop)),
            Some(Entry::Ambiguous) => Some(DropRollback::Unknown(format!(
                "`{name}` is defined in several files with different drop behaviour"
            ))),
            None => drivers::is_driver_transaction_type(name)
                .then(|| DropRollback::Yes(format!("a driver `{name}`"))),
        }
    }

    /// What dropping the type `name` defined in this file does.
    fn resolve_local_type(&self, name: &str) -> DropRollback {
        let fields = &self.structs[name];
        if self.sets_drop_behavior.iter().any(|t| t == name) {
            return DropRollback::Unknown(format!("`{name}` calls set_drop_behavior"));
        }
        match self.drops.get(name) {
            Some(true) => DropRollback::Yes(format!("`{name}`, whose Drop impl calls rollback")),
            Some(false) => {
                DropRollback::Unknown(format!("the Drop impl of `{name}` does not call rollback"))
            }
            None if fields
                .iter()
                .any(|f| drivers::is_driver_transaction_type(f)) =>
            {
                DropRollback::Yes(format!(
                    "`{name}`, which wraps a driver transaction and has no Drop impl"
                ))
            }
            None => DropRollback::Unknown(format!("dropping `{name}` is not known to roll back")),
        }
    }
}

/// A drop behaviour derived in another file, said so in its reason.
fn elsewhere(drop: &DropRollback) -> DropRollback {
    match drop {
        DropRollback::Yes(why) => DropRollback::Yes(format!("{why}, defined in another file")),
        DropRollback::Unknown(why) => {
            DropRollback::Unknown(format!("{why} (defined in another file)"))
        }
        DropRollback::No { line } => DropRollback::No { line: *line },
    }
}

impl Locals<'_> {
    /// The transaction types this file defines, with what dropping them does: structs
    /// with a Drop impl, a `commit` / `rollback` method, `set_drop_behavior` calls or a
    /// driver transaction field.
    pub(crate) fn transaction_types(&self) -> Vec<(String, DropRollback)> {
        let mut out: Vec<(String, DropRollback)> = self
            .structs
            .iter()
            .filter(|(name, fields)| {
                self.drops.contains_key(*name)
                    || self.settles.contains(*name)
                    || self.sets_drop_behavior.contains(name)
                    || fields
                        .iter()
                        .any(|f| drivers::is_driver_transaction_type(f))
            })
            .map(|(name, _)| (name.clone(), self.resolve_local_type(name)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The functions and methods this file defines that may begin a transaction: named
    /// like a begin, or returning a transaction type (of this file, a driver's, or one
    /// named like a transaction).
    pub(crate) fn begin_functions(&self) -> Vec<(String, BeginFact)> {
        let mut out = Vec::new();
        for (name, entry) in &self.fns {
            let Some((ty, sets)) = entry else { continue };
            let Some(returns) = syntax::last_type_name(&unwrap_type(ty)) else {
                continue;
            };
            let begins = drivers::is_project_begin_name(name)
                || drivers::is_driver_transaction_type(&returns)
                || self.structs.contains_key(&returns) && self.transaction_type_named(&returns)
                || names_a_transaction(&returns);
            if begins {
                let fact = BeginFact {
                    returns,
                    sets_drop_behavior: *sets,
                };
                out.push((name.clone(), fact));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn transaction_type_named(&self, name: &str) -> bool {
        self.drops.contains_key(name)
            || self.settles.contains(name)
            || self.sets_drop_behavior.iter().any(|t| t == name)
    }
}

/// `AppTx`, `DbTransaction`, `Txn`, `Savepoint`: a type name that says transaction.
fn names_a_transaction(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["tx", "txn", "transaction", "savepoint"]
        .iter()
        .any(|w| lower.ends_with(w) || lower.starts_with(w))
}

fn struct_field_types(s: &ast::Struct) -> Vec<String> {
    match s.field_list() {
        Some(ast::FieldList::RecordFieldList(l)) => l
            .fields()
            .filter_map(|f| f.ty())
            .filter_map(|t| syntax::last_type_name(&t))
            .collect(),
        Some(ast::FieldList::TupleFieldList(l)) => l
            .fields()
            .filter_map(|f| f.ty())
            .filter_map(|t| syntax::last_type_name(&t))
            .collect(),
        None => Vec::new(),
    }
}

/// `Result<T, E>`, `Option<T>`, `Box<T>` -> `T` (repeatedly).
pub(crate) fn unwrap_type(ty: &ast::Type) -> ast::Type {
    let mut cur = ty.clone();
    loop {
        let ast::Type::PathType(p) = &cur else {
            return cur;
        };
        let Some(seg) = p.path().and_then(|p| p.segment()) else {
            return cur;
        };
        let name = seg
            .name_ref()
            .map(|n| n.text().to_string())
            .unwrap_or_default();
        if !matches!(name.as_str(), "Result" | "Option" | "Box") {
            return cur;
        }
        let first = seg.generic_arg_list().and_then(|l| {
            l.generic_args().find_map(|a| match a {
                ast::GenericArg::TypeArg(t) => t.ty(),
                _ => None,
            })
        });
        match first {
            Some(t) => cur = t,
            None => return cur,
        }
    }
}

/// What dropping the value of a begin call does; `None` when the call is no begin.
fn resolve_begin(
    locals: &Locals<'_>,
    call: &ast::MethodCallExpr,
    awaited: bool,
) -> Option<DropRollback> {
    let method = method_name(call);
    if let Some(drop) = locals.resolve_fn(&method) {
        return Some(drop);
    }
    if let Some(g) = drivers::guard_begin(&method, syntax::arg_count(call), awaited) {
        return Some(if g.drop_rolls_back {
            DropRollback::Yes(format!("a {} transaction", g.driver))
        } else {
            DropRollback::Unknown(format!("a {} transaction", g.driver))
        });
    }
    let where_looked = if locals.index.is_empty() {
        "in this file"
    } else {
        "in any file of the run"
    };
    drivers::is_project_begin_name(&method).then(|| {
        DropRollback::Unknown(format!(
            "`{method}` is not defined {where_looked}, so what dropping its transaction does is not known"
        ))
    })
}

/// Every `let NAME = <begin call>` in the file, with its uses.
pub fn find_transactions(file: &ast::SourceFile, lines: &LineIndex, locals: &Locals) -> Vec<Tx> {
    let mut found = Vec::new();
    for let_stmt in file.syntax().descendants().filter_map(ast::LetStmt::cast) {
        if let Some(tx) = transaction_of(locals, &let_stmt, lines) {
            found.push(tx);
        }
    }
    found
}

fn transaction_of(locals: &Locals<'_>, let_stmt: &ast::LetStmt, lines: &LineIndex) -> Option<Tx> {
    if let_stmt.let_else().is_some() {
        return None;
    }
    let ast::Pat::IdentPat(pat) = let_stmt.pat()? else {
        return None;
    };
    if pat.ref_token().is_some() || pat.pat().is_some() {
        return None;
    }
    let name = pat.name()?.text().to_string();
    let (inner, awaited) = syntax::peel_begin(&let_stmt.initializer()?);
    let (method, receiver, mut drop) = match &inner {
        ast::Expr::MethodCallExpr(call) => {
            let receiver = call
                .receiver()
                .map(|r| r.syntax().text().to_string())
                .unwrap_or_default();
            (
                method_name(call),
                receiver,
                resolve_begin(locals, call, awaited)?,
            )
        }
        ast::Expr::CallExpr(call) => {
            let name = syntax::path_last(&call.expr()?)?;
            let drop = locals.resolve_fn(&name)?;
            (name, String::new(), drop)
        }
        _ => return None,
    };
    let scope = ast::StmtList::cast(let_stmt.syntax().parent()?)?;
    let uses = collect_uses(&name, &scope, syntax::range(let_stmt.syntax()).end);
    if let Some(set) = uses.iter().find(|u| u.kind == UseKind::SetDropBehavior) {
        let keeps_rollback = set
            .call
            .as_ref()
            .and_then(|c| c.arg_list())
            .is_some_and(|a| {
                let t = a.syntax().text().to_string();
                t.contains("Rollback")
                    && !t.contains("Commit")
                    && !t.contains("Ignore")
                    && !t.contains("Panic")
            });
        if !keeps_rollback {
            drop = DropRollback::No {
                line: lines.line(set.offset),
            };
        }
    }
    Some(Tx {
        name,
        let_stmt: let_stmt.clone(),
        scope,
        method,
        receiver,
        drop,
        uses,
    })
}

/// Closure-taking methods that run their closure before returning: a transaction used in
/// such a closure stays where it is.
const IMMEDIATE_COMBINATORS: &[&str] = &[
    "map_err",
    "inspect_err",
    "or_else",
    "unwrap_or_else",
    "map",
    "and_then",
];

/// Every mention of `name` in `scope` after `after`.
fn collect_uses(name: &str, scope: &ast::StmtList, after: usize) -> Vec<TxUse> {
    let mut uses = Vec::new();
    for node in scope.syntax().descendants() {
        let offset = syntax::range(&node).start;
        if offset < after {
            continue;
        }
        if let Some(pat) = ast::IdentPat::cast(node.clone()) {
            if pat.name().is_some_and(|n| n.text() == name) {
                // Shadowed or rebound: later mentions may be another value.
                uses.push(TxUse {
                    kind: UseKind::Escape,
                    call: None,
                    offset,
                });
            }
        } else if let Some(name_ref) = ast::NameRef::cast(node) {
            if name_ref.text() == name {
                if let Some(u) = classify_use(&name_ref, scope) {
                    uses.push(u);
                }
            }
        }
    }
    for token in syntax::macro_idents(scope.syntax()) {
        let offset = usize::from(token.text_range().start());
        if offset >= after && token.text() == name {
            uses.push(TxUse {
                kind: UseKind::InMacro,
                call: None,
                offset,
            });
        }
    }
    uses.sort_by_key(|u| u.offset);
    uses
}

fn classify_use(name_ref: &ast::NameRef, scope: &ast::StmtList) -> Option<TxUse> {
    let offset = syntax::range(name_ref.syntax()).start;
    let parent = name_ref.syntax().parent()?;
    if ast::RecordExprField::can_cast(parent.kind()) {
        // `Wrapper { tx }`: moved into a struct.
        return Some(TxUse {
            kind: UseKind::Escape,
            call: None,
            offset,
        });
    }
    let segment = ast::PathSegment::cast(parent)?;
    let path = segment.parent_path();
    if path.qualifier().is_some() || path.syntax().parent().and_then(ast::Path::cast).is_some() {
        return None;
    }
    let path_expr = ast::PathExpr::cast(path.syntax().parent()?)?;
    let (kind, call) = classify_path_use(&path_expr);
    let kind = if kind != UseKind::Escape && in_escaping_closure(path_expr.syntax(), scope) {
        UseKind::Escape
    } else {
        kind
    };
    Some(TxUse { kind, call, offset })
}

fn classify_path_use(path_expr: &ast::PathExpr) -> (UseKind, Option<ast::MethodCallExpr>) {
    let Some(parent) = path_expr.syntax().parent() else {
        return (UseKind::Escape, None);
    };
    if let Some(call) = ast::MethodCallExpr::cast(parent.clone()) {
        if call
            .receiver()
            .is_some_and(|r| r.syntax() == path_expr.syntax())
        {
            let method = method_name(&call);
            let kind = match method.as_str() {
                "commit" => UseKind::Commit,
                "rollback" => UseKind::Rollback,
                "set_drop_behavior" => UseKind::SetDropBehavior,
                "finish" => UseKind::Escape,
                m if m.starts_with("into_") => UseKind::Escape,
                _ => UseKind::Borrow,
            };
            return (kind, Some(call));
        }
        return (UseKind::Escape, None);
    }
    let borrowed = ast::RefExpr::can_cast(parent.kind())
        || ast::FieldExpr::can_cast(parent.kind())
        || ast::IndexExpr::can_cast(parent.kind())
        || ast::PrefixExpr::cast(parent).is_some_and(|p| p.op_kind() == Some(ast::UnaryOp::Deref));
    (
        if borrowed {
            UseKind::Borrow
        } else {
            UseKind::Escape
        },
        None,
    )
}

/// True when the mention is inside a closure (within `scope`) that may outlive the statement:
/// a `move` closure, or one not passed straight to an `IMMEDIATE_COMBINATORS` method.
fn in_escaping_closure(node: &SyntaxNode, scope: &ast::StmtList) -> bool {
    node.ancestors()
        .take_while(|a| a != scope.syntax())
        .filter_map(ast::ClosureExpr::cast)
        .any(|c| c.move_token().is_some() || !is_combinator_arg(&c))
}

fn is_combinator_arg(closure: &ast::ClosureExpr) -> bool {
    let call = closure
        .syntax()
        .parent()
        .and_then(|p| p.parent())
        .and_then(ast::MethodCallExpr::cast);
    call.is_some_and(|c| IMMEDIATE_COMBINATORS.contains(&method_name(&c).as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txs(src: &str) -> Vec<Tx> {
        let parse = ast::SourceFile::parse(src, ra_ap_syntax::Edition::Edition2021);
        assert!(parse.errors().is_empty(), "{:?}", parse.errors());
        let index = CrateIndex::default();
        let locals = Locals::collect(&parse.tree(), &index);
        find_transactions(&parse.tree(), &LineIndex::new(src), &locals)
    }

    #[test]
    fn driver_begins_roll_back_on_drop() {
        let t = txs("fn f(c: &mut Connection) -> Result<()> { let tx = c.transaction()?; tx.commit()?; Ok(()) }");
        assert_eq!(t.len(), 1);
        assert!(matches!(t[0].drop, DropRollback::Yes(_)));
        assert!(t[0].has(UseKind::Commit));
        let t = txs("async fn f(p: &Pool) -> Result<()> { let mut tx = p.begin().await?; q(&mut *tx).await?; tx.commit().await?; Ok(()) }");
        assert!(matches!(t[0].drop, DropRollback::Yes(_)));
        assert!(!t[0].escapes());
    }

    #[test]
    fn set_drop_behavior_means_no_rollback() {
        let t = txs("fn f(c: &mut Connection) { let mut tx = c.transaction().unwrap();\n tx.set_drop_behavior(DropBehavior::Commit); }");
        assert_eq!(t[0].drop, DropRollback::No { line: 2 });
        let t = txs("fn f(c: &mut Connection) { let mut tx = c.transaction().unwrap(); tx.set_drop_behavior(DropBehavior::Rollback); }");
        assert!(matches!(t[0].drop, DropRollback::Yes(_)));
    }

    #[test]
    fn escapes_are_seen() {
        for body in [
            "Ok(tx)",
            "keep(tx); Ok(())",
            "let s = S { tx }; Ok(())",
            "v.push(tx); Ok(())",
            "let other = tx; Ok(())",
            "std::thread::spawn(move || tx.commit()); Ok(())",
            "let f = || tx.commit(); Ok(())",
        ] {
            let src = format!(
                "fn f(c: &mut Connection) -> Result<()> {{ let tx = c.transaction()?; {body} }}"
            );
            assert!(txs(&src)[0].escapes(), "{body}");
        }
        let src = "fn f(c: &mut Connection) -> Result<()> { let tx = c.transaction()?; use_it(&tx); tx.execute(\"x\", [])?; Ok(()) }";
        assert!(!txs(src)[0].escapes());
    }

    #[test]
    fn macro_mentions_are_opaque() {
        let t = txs("fn f(c: &mut Connection) { let tx = c.transaction().unwrap(); run!(tx); }");
        assert!(t[0].has(UseKind::InMacro));
    }

    #[test]
    fn project_types_are_resolved_from_their_code() {
        let with_drop = "struct MyTx<'a> { inner: Conn<'a> }\nimpl Drop for MyTx<'_> { fn drop(&mut self) { let _ = self.inner.rollback(); } }\nimpl Db { fn begin_transaction(&self) -> Result<MyTx<'_>> { todo!() } }\nfn f(db: &Db) { let tx = db.begin_transaction().unwrap(); }";
        assert!(matches!(
            txs(with_drop).last().unwrap().drop,
            DropRollback::Yes(_)
        ));
        let wraps = "struct MyTx<'a> { inner: rusqlite::Transaction<'a> }\nfn begin_transaction(db: &Db) -> Result<MyTx<'_>> { todo!() }\nfn f(db: &Db) { let tx = db.begin_transaction().unwrap(); }";
        assert!(matches!(
            txs(wraps).last().unwrap().drop,
            DropRollback::Yes(_)
        ));
        let opaque = "struct MyTx { id: u64 }\nfn begin_transaction(db: &Db) -> Result<MyTx> { todo!() }\nfn f(db: &Db) { let tx = db.begin_transaction().unwrap(); }";
        assert!(matches!(
            txs(opaque).last().unwrap().drop,
            DropRollback::Unknown(_)
        ));
        let commits = "struct MyTx { id: u64 }\nimpl Drop for MyTx { fn drop(&mut self) { self.commit(); } }\nfn begin_transaction(db: &Db) -> Result<MyTx> { todo!() }\nfn f(db: &Db) { let tx = db.begin_transaction().unwrap(); }";
        assert!(matches!(
            txs(commits).last().unwrap().drop,
            DropRollback::Unknown(_)
        ));
        let free_fn = "struct MyTx<'a> { inner: rusqlite::Transaction<'a> }\nfn begin_transaction(db: &Db) -> Result<MyTx<'_>> { todo!() }\nfn f(db: &Db) { let tx = begin_transaction(db).unwrap(); }";
        assert!(matches!(
            txs(free_fn).last().unwrap().drop,
            DropRollback::Yes(_)
        ));
        assert!(
            txs("fn f(db: &Db) { let tx = begin_transaction(db).unwrap(); }").is_empty(),
            "free fns resolve only locally"
        );
        let elsewhere = "fn f(db: &Db) { let tx = db.begin_transaction().unwrap(); }";
        assert!(matches!(txs(elsewhere)[0].drop, DropRollback::Unknown(_)));
    }

    #[test]
    fn non_begins_are_ignored() {
        assert!(txs(
            "fn f(c: &mut Connection) { let r = c.transaction(|c| Ok(())); let v = x.begin(); }"
        )
        .is_empty());
    }
}
