//! Project closure helpers: a function that takes a connection and a closure, begins a
//! transaction on the connection, calls the closure with it, commits when the closure
//! returns `Ok` and rolls back (or lets drop roll back) when it returns `Err`. Such a
//! helper is the project's guard; what it does is read from its own code.

use std::collections::HashMap;
use std::ops::Range;

use ra_ap_syntax::ast::{self, HasArgList, HasGenericParams, HasName, HasTypeBounds};
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};

use crate::flow;
use crate::syntax::{self, range};
use crate::tx::{DropRollback, Tx, UseKind};

/// How a helper ends the transaction when the closure returns `Err`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnErr {
    /// An explicit `rollback()` in the `Err` arm.
    RollsBack,
    /// Nothing explicit: dropping the transaction rolls it back.
    DropRollsBack,
}

/// A closure helper as its definition shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureHelper {
    pub name: String,
    /// The last path segment of the connection parameter's type (`Connection`).
    pub conn_type: String,
    /// The connection parameter is `&mut`.
    pub conn_mut: bool,
    /// The connection is the first argument, the closure the second.
    pub conn_first: bool,
    /// The method that begins the transaction on the connection (`transaction`).
    pub begin: String,
    /// The closure receives `&mut` of the transaction (else `&`).
    pub closure_gets_mut: bool,
    pub is_async: bool,
    pub on_err: OnErr,
}

/// Every closure helper the file defines, with the byte range of its function.
pub fn find_helpers(file: &ast::SourceFile, txs: &[Tx]) -> Vec<(ClosureHelper, Range<usize>)> {
    file.syntax()
        .descendants()
        .filter_map(ast::Fn::cast)
        .filter_map(|f| helper_of(&f, txs).map(|h| (h, range(f.syntax()))))
        .collect()
}

/// Calls of free functions that pass a closure, by the function's name: how much the
/// file uses each helper.
pub fn closure_call_counts(file: &ast::SourceFile) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for call in file.syntax().descendants().filter_map(ast::CallExpr::cast) {
        let passes_closure = call
            .arg_list()
            .is_some_and(|a| a.args().any(|e| matches!(e, ast::Expr::ClosureExpr(_))));
        let name = call.expr().and_then(|e| syntax::path_last(&e));
        if let (true, Some(name)) = (passes_closure, name) {
            *counts.entry(name).or_insert(0) += 1;
        }
    }
    counts
}

/// The parameters of a helper: (connection name, type, `&mut`), (closure name, gets
/// `&mut`), and whether the connection comes first.
struct Params {
    conn: String,
    conn_type: String,
    conn_mut: bool,
    closure: String,
    closure_gets_mut: bool,
    conn_first: bool,
}

fn helper_of(f: &ast::Fn, txs: &[Tx]) -> Option<ClosureHelper> {
    // A free function of a file or module, callable by its name.
    let free = f
        .syntax()
        .parent()
        .is_some_and(|p| matches!(p.kind(), SyntaxKind::SOURCE_FILE | SyntaxKind::ITEM_LIST));
    if !free {
        return None;
    }
    let params = params_of(f)?;
    let body = f.body()?.stmt_list()?;
    let mut begun = txs
        .iter()
        .filter(|t| t.scope.syntax() == body.syntax() && t.receiver == params.conn);
    let tx = begun.next()?;
    if begun.next().is_some() || tx.escapes() || tx.has(UseKind::InMacro) {
        return None;
    }
    let call = sole_closure_call(&body, &params.closure, &tx.name)?;
    let on_err = settles_by_result(tx, &call)?;
    Some(ClosureHelper {
        name: f.name()?.text().to_string(),
        conn_type: params.conn_type,
        conn_mut: params.conn_mut,
        conn_first: params.conn_first,
        begin: tx.method.clone(),
        closure_gets_mut: params.closure_gets_mut,
        is_async: f.async_token().is_some(),
        on_err,
    })
}

/// Exactly two parameters, no `self`: a reference to a connection and a closure whose
/// first argument is a reference.
fn params_of(f: &ast::Fn) -> Option<Params> {
    let list = f.param_list()?;
    if list.self_param().is_some() {
        return None;
    }
    let params: Vec<ast::Param> = list.params().collect();
    let [a, b] = params.as_slice() else {
        return None;
    };
    let named = |p: &ast::Param| -> Option<(String, ast::Type)> {
        let ast::Pat::IdentPat(pat) = p.pat()? else {
            return None;
        };
        Some((pat.name()?.text().to_string(), p.ty()?))
    };
    let ((a_name, a_ty), (b_name, b_ty)) = (named(a)?, named(b)?);
    let as_conn = |ty: &ast::Type| -> Option<(String, bool)> {
        let ast::Type::RefType(r) = ty else {
            return None;
        };
        Some((syntax::last_type_name(&r.ty()?)?, r.mut_token().is_some()))
    };
    let (conn, (conn_type, conn_mut), closure, gets_mut, conn_first) =
        match (closure_param(f, &a_ty), closure_param(f, &b_ty)) {
            (None, Some(m)) => (a_name, as_conn(&a_ty)?, b_name, m, true),
            (Some(m), None) => (b_name, as_conn(&b_ty)?, a_name, m, false),
            _ => return None,
        };
    Some(Params {
        conn,
        conn_type,
        conn_mut,
        closure,
        closure_gets_mut: gets_mut,
        conn_first,
    })
}

/// For a closure parameter type (`impl FnOnce(&T) -> R`, or a generic `F` bound so):
/// whether its argument is `&mut`.
fn closure_param(f: &ast::Fn, ty: &ast::Type) -> Option<bool> {
    let bounds = match ty {
        ast::Type::ImplTraitType(t) => t.type_bound_list()?.syntax().text().to_string(),
        ast::Type::PathType(p) => {
            let name = p.path()?.as_single_name_ref()?.text().to_string();
            bounds_of_generic(f, &name)
        }
        _ => return None,
    };
    fn_bound_takes_ref(&bounds)
}

/// The bounds text of the generic parameter `name`, inline and in the `where` clause.
fn bounds_of_generic(f: &ast::Fn, name: &str) -> String {
    let mut out = String::new();
    if let Some(list) = f.generic_param_list() {
        for p in list.type_or_const_params() {
            if let ast::TypeOrConstParam::Type(t) = p {
                if t.name().is_some_and(|n| n.text() == name) {
                    if let Some(b) = t.type_bound_list() {
                        out.push_str(&b.syntax().text().to_string());
                    }
                }
            }
        }
    }
    for pred in f.where_clause().into_iter().flat_map(|w| w.predicates()) {
        if pred.ty().is_some_and(|t| t.syntax().text() == name) {
            if let Some(b) = pred.type_bound_list() {
                out.push(' ');
                out.push_str(&b.syntax().text().to_string());
            }
        }
    }
    out
}

/// `FnOnce(&T)`, `FnMut(&mut T)`, `Fn(&T)` in a bound: `Some(takes &mut)`.
fn fn_bound_takes_ref(bounds: &str) -> Option<bool> {
    for word in ["FnOnce(", "FnMut(", "Fn("] {
        let Some(at) = find_word(bounds, word) else {
            continue;
        };
        let arg = bounds[at + word.len()..].trim_start();
        if arg.starts_with("&mut") {
            return Some(true);
        }
        return arg.starts_with('&').then_some(false);
    }
    None
}

fn find_word(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_')
    })
}

/// The one call `closure(&tx)` / `closure(&mut tx)` in `body`.
fn sole_closure_call(body: &ast::StmtList, closure: &str, tx: &str) -> Option<ast::CallExpr> {
    let mut calls = body
        .syntax()
        .descendants()
        .filter_map(ast::CallExpr::cast)
        .filter(|c| c.expr().and_then(|e| syntax::path_ident(&e)).as_deref() == Some(closure));
    let call = calls.next()?;
    if calls.next().is_some() {
        return None;
    }
    let args: Vec<ast::Expr> = call.arg_list()?.args().collect();
    let [ast::Expr::RefExpr(arg)] = args.as_slice() else {
        return None;
    };
    (arg.expr().and_then(|e| syntax::path_ident(&e)).as_deref() == Some(tx)).then_some(call)
}

/// How the helper settles `tx` by the closure's result: `f(&tx)?` then commit (drop rolls
/// back the error), or a match on the result that commits only in its `Ok` arm.
fn settles_by_result(tx: &Tx, call: &ast::CallExpr) -> Option<OnErr> {
    let call_end = range(call.syntax()).end;
    let commits: Vec<usize> = tx.of_kind(UseKind::Commit).map(|u| u.offset).collect();
    let rollbacks: Vec<usize> = tx.of_kind(UseKind::Rollback).map(|u| u.offset).collect();
    let drop_rolls_back = matches!(tx.drop, DropRollback::Yes(_));
    if commits.is_empty() || tx.has(UseKind::SetDropBehavior) {
        return None;
    }
    let parent = call.syntax().parent()?;
    if parent.kind() == SyntaxKind::TRY_EXPR {
        let after = commits.iter().all(|&c| c > call_end);
        return (after && rollbacks.is_empty() && drop_rolls_back).then_some(OnErr::DropRollsBack);
    }
    let m = match_on_result(call, &parent)?;
    let arms: Vec<ast::MatchArm> = m.match_arm_list()?.arms().collect();
    let arm_of = |ctor: &str| {
        arms.iter()
            .find(|a| a.pat().is_some_and(|p| flow::pat_is_ctor(&p, ctor)))
            .map(|a| range(a.syntax()))
    };
    let (ok, err) = (arm_of("Ok")?, arm_of("Err")?);
    if arms.len() != 2 || !commits.iter().all(|c| ok.contains(c)) {
        return None;
    }
    if !rollbacks.is_empty() {
        return rollbacks
            .iter()
            .all(|r| err.contains(r))
            .then_some(OnErr::RollsBack);
    }
    drop_rolls_back.then_some(OnErr::DropRollsBack)
}

/// The `match` on the call's result: `match f(&tx) {..}`, or `let r = f(&tx);` followed by
/// `match r {..}`.
fn match_on_result(call: &ast::CallExpr, parent: &SyntaxNode) -> Option<ast::MatchExpr> {
    if let Some(m) = ast::MatchExpr::cast(parent.clone()) {
        return m
            .expr()
            .is_some_and(|e| e.syntax() == call.syntax())
            .then_some(m);
    }
    let let_stmt = ast::LetStmt::cast(parent.clone())?;
    let ast::Pat::IdentPat(pat) = let_stmt.pat()? else {
        return None;
    };
    let name = pat.name()?.text().to_string();
    let_stmt
        .syntax()
        .siblings(ra_ap_syntax::Direction::Next)
        .skip(1)
        .flat_map(|n| {
            n.descendants()
                .filter_map(ast::MatchExpr::cast)
                .collect::<Vec<_>>()
        })
        .find(|m| m.expr().and_then(|e| syntax::path_ident(&e)).as_deref() == Some(&name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::CrateIndex;
    use crate::syntax::LineIndex;
    use crate::tx::{find_transactions, Locals};

    fn helpers(src: &str) -> Vec<ClosureHelper> {
        let parse = ast::SourceFile::parse(src, ra_ap_syntax::Edition::Edition2021);
        assert!(parse.errors().is_empty(), "{:?}", parse.errors());
        let file = parse.tree();
        let index = CrateIndex::default();
        let locals = Locals::collect(&file, &index);
        let txs = find_transactions(&file, &LineIndex::new(src), &locals);
        find_helpers(&file, &txs)
            .into_iter()
            .map(|(h, _)| h)
            .collect()
    }

    const MATCH_HELPER: &str = "fn with_tx<T>(conn: &mut Connection, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {\n    let tx = conn.transaction()?;\n    match f(&tx) {\n        Ok(v) => { tx.commit()?; Ok(v) }\n        Err(e) => { let _ = tx.rollback(); Err(e) }\n    }\n}\n";

    #[test]
    fn a_match_helper_commits_on_ok_and_rolls_back_on_err() {
        let h = helpers(MATCH_HELPER);
        assert_eq!(
            h,
            [ClosureHelper {
                name: "with_tx".into(),
                conn_type: "Connection".into(),
                conn_mut: true,
                conn_first: true,
                begin: "transaction".into(),
                closure_gets_mut: false,
                is_async: false,
                on_err: OnErr::RollsBack,
            }]
        );
    }

    #[test]
    fn a_question_mark_helper_with_a_generic_closure_lets_drop_roll_back() {
        let src = "fn atomically<F, T>(f: F, conn: &Connection) -> Result<T>\nwhere\n    F: FnOnce(&mut Transaction) -> Result<T>,\n{\n    let mut tx = conn.unchecked_transaction()?;\n    let v = f(&mut tx)?;\n    tx.commit()?;\n    Ok(v)\n}\n";
        let h = helpers(src);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(
            (h[0].conn_first, h[0].closure_gets_mut, h[0].on_err),
            (false, true, OnErr::DropRollsBack)
        );
        assert_eq!(h[0].begin, "unchecked_transaction");
    }

    #[test]
    fn functions_that_do_not_settle_by_the_result_are_no_helpers() {
        for src in [
            // commits whatever the closure returns
            "fn always<T>(conn: &mut Connection, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {\n    let tx = conn.transaction()?;\n    let r = f(&tx);\n    tx.commit()?;\n    r\n}\n",
            // the closure gets the transaction by value
            "fn owned<T>(conn: &mut Connection, f: impl FnOnce(Transaction) -> Result<T>) -> Result<T> {\n    let tx = conn.transaction()?;\n    f(tx)\n}\n",
            // no closure at all
            "fn save(conn: &mut Connection, n: i64) -> Result<()> {\n    let tx = conn.transaction()?;\n    tx.execute(\"x\", [n])?;\n    tx.commit()\n}\n",
            // commits on the error path too
            "fn both<T>(conn: &mut Connection, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {\n    let tx = conn.transaction()?;\n    match f(&tx) {\n        Ok(v) => { tx.commit()?; Ok(v) }\n        Err(e) => { tx.commit()?; Err(e) }\n    }\n}\n",
        ] {
            assert!(helpers(src).is_empty(), "{src}");
        }
    }

    #[test]
    fn closure_calls_are_counted_by_name() {
        let src = "fn a(c: &mut Connection) { with_tx(c, |tx| Ok(())); db::with_tx(c, |tx| Ok(())); other(c); }";
        let file = ast::SourceFile::parse(src, ra_ap_syntax::Edition::Edition2021).tree();
        let counts = closure_call_counts(&file);
        assert_eq!(counts.get("with_tx"), Some(&2));
        assert_eq!(counts.get("other"), None);
    }
}
