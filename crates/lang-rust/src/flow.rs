//! Where control goes after a statement: does the transaction's scope end right after it,
//! and is it on the error path.

use ra_ap_syntax::ast::{self, HasArgList};
use ra_ap_syntax::{AstNode, Direction, SyntaxKind, SyntaxNode};

use crate::syntax::method_name;

/// What happens to a rollback call's own `Result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// `tx.rollback()?`: a failing rollback is returned to the caller.
    Propagated,
    /// `let _ = tx.rollback();`, `.ok()`, `.unwrap_or(())`: a failing rollback is ignored.
    Ignored,
    /// `.unwrap()` / `.expect(..)`: a failing rollback panics.
    Panics,
    /// The `Result` is used as a value (e.g. returned).
    ValueUsed,
}

/// A rollback call with the expression and statement around it.
#[derive(Debug, Clone)]
pub struct RollbackSite {
    /// The call with its `.await`, `?` and error-handling wrappers.
    pub outer: ast::Expr,
    pub handling: Handling,
    /// The statement that is only the rollback (`tx.rollback()?;`, `let _ = ..;`), if any.
    pub stmt: Option<ast::Stmt>,
}

const IGNORES: &[&str] = &["ok", "unwrap_or", "unwrap_or_default", "unwrap_or_else"];
const PANICS: &[&str] = &["unwrap", "expect"];
const KEEPS: &[&str] = &["map_err", "context", "with_context"];

pub fn rollback_site(call: &ast::MethodCallExpr) -> RollbackSite {
    let mut outer = ast::Expr::MethodCallExpr(call.clone());
    let (mut propagated, mut panics) = (false, false);
    while let Some(parent) = outer.syntax().parent().and_then(ast::Expr::cast) {
        match &parent {
            ast::Expr::AwaitExpr(_) => {}
            ast::Expr::TryExpr(_) => propagated = true,
            ast::Expr::MethodCallExpr(m)
                if m.receiver().is_some_and(|r| r.syntax() == outer.syntax()) =>
            {
                let name = method_name(m);
                if PANICS.contains(&name.as_str()) {
                    panics = true;
                } else if !IGNORES.contains(&name.as_str()) && !KEEPS.contains(&name.as_str()) {
                    break;
                }
            }
            _ => break,
        }
        outer = parent;
    }
    let stmt = statement_of(&outer);
    let handling = match (propagated, panics, &stmt) {
        (true, _, _) => Handling::Propagated,
        (false, true, _) => Handling::Panics,
        (false, false, Some(_)) => Handling::Ignored,
        (false, false, None) => Handling::ValueUsed,
    };
    RollbackSite {
        outer,
        handling,
        stmt,
    }
}

/// The statement whose whole job is `expr`: `expr;`, `let _ = expr;`, `drop(expr);`.
fn statement_of(expr: &ast::Expr) -> Option<ast::Stmt> {
    let parent = expr.syntax().parent()?;
    if let Some(s) = ast::ExprStmt::cast(parent.clone()) {
        return Some(ast::Stmt::ExprStmt(s));
    }
    if let Some(l) = ast::LetStmt::cast(parent.clone()) {
        let wildcard = matches!(l.pat(), Some(ast::Pat::WildcardPat(_)));
        return (wildcard && l.ty().is_none()).then_some(ast::Stmt::LetStmt(l));
    }
    let call = ast::CallExpr::cast(parent.parent()?)?;
    let is_drop = call
        .expr()
        .and_then(|c| crate::syntax::path_ident(&c))
        .as_deref()
        == Some("drop");
    if is_drop && call.arg_list()?.args().count() == 1 {
        return statement_of(&ast::Expr::CallExpr(call));
    }
    None
}

/// Where control leaves the transaction's scope after a statement.
#[derive(Debug, Clone)]
pub struct Exit {
    /// The value the body returns (`return X` or the tail `X`); `None` for unit, and when
    /// control leaves only the transaction's scope (end of its block, `continue`).
    pub value: Option<ast::Expr>,
}

/// What follows a statement in its list.
enum Next {
    /// Control leaves here.
    Exit(Exit),
    /// Nothing, or an inert tail value: control goes on to the end of the block.
    End(Option<ast::Expr>),
    /// Other code runs.
    Code,
}

/// If control leaves `owner` (the fn, closure or async block), or the transaction's
/// `scope` (its statement list, when given), right after `node` runs, with nothing but an
/// inert value computed in between, where it leaves.
pub fn exit_after(
    node: &SyntaxNode,
    owner: &SyntaxNode,
    scope: Option<&SyntaxNode>,
) -> Option<Exit> {
    let mut cur = node.clone();
    // The value flowing out of `cur`, set at the innermost tail and cleared by a `;`.
    let mut value: Option<ast::Expr> = None;
    loop {
        let parent = cur.parent()?;
        if &cur == owner || &parent == owner {
            return Some(Exit { value });
        }
        if ast::StmtList::can_cast(parent.kind()) {
            if ast::Stmt::can_cast(cur.kind()) {
                match next_after(&cur, scope) {
                    Next::Exit(exit) => return Some(exit),
                    Next::End(tail) => value = tail,
                    Next::Code => return None,
                }
            } else if let Some(e) = ast::Expr::cast(cur.clone()) {
                value.get_or_insert(e);
            }
            if scope == Some(&parent) && !is_body_of(&parent, owner) {
                // The end of the transaction's block: it is dropped here.
                return Some(Exit { value: None });
            }
            cur = parent.parent()?; // the block
            continue;
        }
        if parent.kind() == SyntaxKind::EXPR_STMT {
            value = None;
        }
        cur = step_up(&cur, &parent)?;
    }
}

fn next_after(stmt: &SyntaxNode, scope: Option<&SyntaxNode>) -> Next {
    let Some(next) = next_in_list(stmt) else {
        return Next::End(None);
    };
    if let Some(ret) = as_return(&next) {
        // The returned value is computed before the transaction drops.
        return match ret.expr() {
            Some(e) if !is_inert(&e) => Next::Code,
            value => Next::Exit(Exit { value }),
        };
    }
    if is_bail(&next) {
        return Next::Exit(Exit { value: None });
    }
    if scope.is_some_and(|s| jumps_out_of(&next, s)) {
        return Next::Exit(Exit { value: None });
    }
    match ast::Expr::cast(next).filter(is_inert) {
        Some(tail) => Next::End(Some(tail)),
        None => Next::Code,
    }
}

/// True when `list` is the statement list of `owner`'s body.
fn is_body_of(list: &SyntaxNode, owner: &SyntaxNode) -> bool {
    list.parent()
        .is_some_and(|block| &block == owner || block.parent().as_ref() == Some(owner))
}

/// The expression of an expression statement, or the node itself when it is an expression.
fn stmt_expr(node: &SyntaxNode) -> Option<ast::Expr> {
    match ast::ExprStmt::cast(node.clone()) {
        Some(s) => s.expr(),
        None => ast::Expr::cast(node.clone()),
    }
}

/// `bail!(..)`: returns an error.
fn is_bail(node: &SyntaxNode) -> bool {
    let Some(ast::Expr::MacroExpr(m)) = stmt_expr(node) else {
        return false;
    };
    let name = m
        .macro_call()
        .and_then(|c| c.path())
        .and_then(|p| p.segment())
        .and_then(|s| s.name_ref());
    name.is_some_and(|n| n.text() == "bail")
}

/// `continue` / `break` of a loop whose body holds `scope`: it leaves the scope.
fn jumps_out_of(node: &SyntaxNode, scope: &SyntaxNode) -> bool {
    if !matches!(
        stmt_expr(node),
        Some(ast::Expr::ContinueExpr(_) | ast::Expr::BreakExpr(_))
    ) {
        return false;
    }
    let innermost_loop = node.ancestors().find(|a| {
        matches!(
            a.kind(),
            SyntaxKind::FOR_EXPR | SyntaxKind::WHILE_EXPR | SyntaxKind::LOOP_EXPR
        ) || ast::ClosureExpr::can_cast(a.kind())
    });
    let body = innermost_loop.and_then(|l| {
        l.children()
            .filter(|c| c.kind() == SyntaxKind::BLOCK_EXPR)
            .last()
    });
    body.is_some_and(|b| b.text_range().contains_range(scope.text_range()))
}

/// One step outwards from an expression that is not in a statement list.
fn step_up(cur: &SyntaxNode, parent: &SyntaxNode) -> Option<SyntaxNode> {
    match parent.kind() {
        SyntaxKind::EXPR_STMT => Some(parent.clone()),
        // The arm's value is the match's value.
        SyntaxKind::MATCH_ARM => parent.parent()?.parent(),
        // A branch's value is the `if`'s value (through `else if` chains).
        SyntaxKind::IF_EXPR => {
            let is_condition = ast::IfExpr::cast(parent.clone())?
                .condition()
                .is_some_and(|c| c.syntax() == cur);
            (!is_condition).then(|| parent.clone())
        }
        _ => None,
    }
}

/// The statement or tail expression after `stmt` in its list.
fn next_in_list(stmt: &SyntaxNode) -> Option<SyntaxNode> {
    stmt.siblings(Direction::Next)
        .skip(1)
        .find(|n| ast::Stmt::can_cast(n.kind()) || ast::Expr::can_cast(n.kind()))
}

fn as_return(node: &SyntaxNode) -> Option<ast::ReturnExpr> {
    if let Some(s) = ast::ExprStmt::cast(node.clone()) {
        return match s.expr()? {
            ast::Expr::ReturnExpr(r) => Some(r),
            _ => None,
        };
    }
    ast::ReturnExpr::cast(node.clone())
}

/// Expressions that compute a value without running other code worth ordering against a
/// rollback: paths, literals, constructors like `Err(e)`, `.into()`.
pub fn is_inert(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::PathExpr(_) | ast::Expr::Literal(_) => true,
        ast::Expr::ParenExpr(p) => p.expr().is_some_and(|e| is_inert(&e)),
        ast::Expr::RefExpr(r) => r.expr().is_some_and(|e| is_inert(&e)),
        ast::Expr::FieldExpr(f) => f.expr().is_some_and(|e| is_inert(&e)),
        ast::Expr::TupleExpr(t) => t.fields().all(|e| is_inert(&e)),
        // `Error::Variant { field, other: x }`: a constructor, like `Error::Variant(x)`.
        ast::Expr::RecordExpr(r) => r.record_expr_field_list().is_some_and(|l| {
            l.fields().all(|f| f.expr().is_some_and(|e| is_inert(&e)))
                && l.spread().is_none_or(|e| is_inert(&e))
        }),
        ast::Expr::CallExpr(c) => {
            let ctor = c
                .expr()
                .and_then(|e| crate::syntax::path_last(&e))
                .is_some_and(|n| n.starts_with(char::is_uppercase));
            ctor && c.arg_list().is_some_and(|a| a.args().all(|e| is_inert(&e)))
        }
        ast::Expr::MethodCallExpr(m) => {
            let name = method_name(m);
            let closure_args = m
                .arg_list()
                .is_some_and(|a| a.args().all(|e| matches!(e, ast::Expr::ClosureExpr(_))));
            let pure = matches!(name.as_str(), "into" | "clone" | "to_string" | "to_owned")
                || (matches!(name.as_str(), "map" | "map_err") && closure_args);
            pure && m.receiver().is_some_and(|r| is_inert(&r))
        }
        ast::Expr::ClosureExpr(c) => c.body().is_some_and(|b| is_inert(&b)),
        ast::Expr::MacroExpr(m) => {
            let name = m
                .macro_call()
                .and_then(|c| c.path())
                .and_then(|p| p.segment())
                .and_then(|s| s.name_ref());
            name.is_some_and(|n| INERT_MACROS.contains(&n.text().to_string().as_str()))
        }
        _ => false,
    }
}

/// Macros that only build a value (an error or a string).
const INERT_MACROS: &[&str] = &["anyhow", "eyre", "format", "format_err"];

/// `Ok(..)` as an expression.
pub fn is_ok_value(expr: &ast::Expr) -> bool {
    ctor_name(expr).as_deref() == Some("Ok")
}

/// `Err(..)` as an expression.
pub fn is_err_value(expr: &ast::Expr) -> bool {
    ctor_name(expr).as_deref() == Some("Err")
}

fn ctor_name(expr: &ast::Expr) -> Option<String> {
    let ast::Expr::CallExpr(c) = expr else {
        return None;
    };
    crate::syntax::path_last(&c.expr()?)
}

/// A pattern that starts with the constructor `name` (`Err(e)`, `Err(_)`).
pub fn pat_is_ctor(pat: &ast::Pat, name: &str) -> bool {
    match pat {
        ast::Pat::TupleStructPat(t) => t
            .path()
            .and_then(|p| p.segment())
            .and_then(|s| s.name_ref())
            .is_some_and(|n| n.text() == name),
        _ => false,
    }
}

/// Closure-taking methods whose closure runs only on the error path.
const ERROR_COMBINATORS: &[&str] = &["map_err", "inspect_err", "or_else", "unwrap_or_else"];

/// True when `node` only runs on the error path: an `Err(..)` match arm, the branch of
/// `if let Err(..)` / `if r.is_err()` (or the `else` of `if let Ok(..)` / `is_ok()`),
/// the `else` of `let Ok(..) = .. else`, an error combinator's closure, or right before an
/// exit that returns `Err(..)`. Looks no further out than `scope`.
pub fn on_error_path(node: &SyntaxNode, scope: &SyntaxNode, exit: Option<&Exit>) -> bool {
    if exit
        .and_then(|e| e.value.as_ref())
        .is_some_and(is_err_value)
    {
        return true;
    }
    let mut child = node.clone();
    for a in node.ancestors().skip(1) {
        if &a == scope {
            break;
        }
        if error_branch(&a, &child) {
            return true;
        }
        child = a;
    }
    false
}

fn error_branch(ancestor: &SyntaxNode, child: &SyntaxNode) -> bool {
    if let Some(arm) = ast::MatchArm::cast(ancestor.clone()) {
        let in_body = arm.expr().is_some_and(|e| e.syntax() == child);
        return in_body && arm.pat().is_some_and(|p| pat_is_ctor(&p, "Err"));
    }
    if let Some(if_expr) = ast::IfExpr::cast(ancestor.clone()) {
        let Some(cond) = if_expr.condition() else {
            return false;
        };
        let in_then = if_expr.then_branch().is_some_and(|b| b.syntax() == child);
        let in_else = if_expr.else_branch().is_some_and(|b| b.syntax() == child);
        return (in_then && condition_tests(&cond, "Err", "is_err"))
            || (in_else && condition_tests(&cond, "Ok", "is_ok"));
    }
    if ast::LetElse::can_cast(ancestor.kind()) {
        return true;
    }
    if let Some(closure) = ast::ClosureExpr::cast(ancestor.clone()) {
        let call = closure
            .syntax()
            .parent()
            .and_then(|p| p.parent())
            .and_then(ast::MethodCallExpr::cast);
        return call.is_some_and(|c| ERROR_COMBINATORS.contains(&method_name(&c).as_str()));
    }
    false
}

fn condition_tests(cond: &ast::Expr, ctor: &str, method: &str) -> bool {
    match cond {
        ast::Expr::LetExpr(l) => l.pat().is_some_and(|p| pat_is_ctor(&p, ctor)),
        ast::Expr::MethodCallExpr(m) => method_name(m) == method,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> ast::SourceFile {
        let p = ast::SourceFile::parse(src, ra_ap_syntax::Edition::Edition2021);
        assert!(p.errors().is_empty(), "{:?}", p.errors());
        p.tree()
    }

    fn rollback(file: &ast::SourceFile) -> RollbackSite {
        let call = file
            .syntax()
            .descendants()
            .filter_map(ast::MethodCallExpr::cast)
            .find(|m| method_name(m) == "rollback")
            .unwrap();
        rollback_site(&call)
    }

    fn owner(file: &ast::SourceFile) -> SyntaxNode {
        file.syntax()
            .descendants()
            .find(|n| n.kind() == SyntaxKind::FN)
            .unwrap()
    }

    #[test]
    fn handling_of_the_rollback_result() {
        for (body, want) in [
            ("tx.rollback()?;", Handling::Propagated),
            ("tx.rollback().await?;", Handling::Propagated),
            ("let _ = tx.rollback();", Handling::Ignored),
            ("tx.rollback().ok();", Handling::Ignored),
            ("drop(tx.rollback());", Handling::Ignored),
            ("tx.rollback().unwrap();", Handling::Panics),
            ("return tx.rollback();", Handling::ValueUsed),
        ] {
            let file = parse(&format!("fn f() {{ {body} }}"));
            assert_eq!(rollback(&file).handling, want, "{body}");
        }
    }

    #[test]
    fn exits_right_after() {
        let cases = [
            (
                "fn f() -> R { if let Err(e) = r { tx.rollback()?; return Err(e); } Ok(()) }",
                true,
                true,
            ),
            (
                "fn f() -> R { match r { Ok(_) => tx.commit()?, Err(_) => tx.rollback()? } r }",
                true,
                true,
            ),
            (
                "fn f() -> R { match r { Ok(v) => Ok(v), Err(e) => { tx.rollback()?; Err(e) } } }",
                true,
                true,
            ),
            ("fn f() -> R { tx.rollback()?; Ok(()) }", true, false),
            (
                "fn f() -> R { tx.rollback()?; other(); Ok(()) }",
                false,
                false,
            ),
            (
                "fn f() -> R { if bad { tx.rollback()?; } more()?; Ok(()) }",
                false,
                false,
            ),
            ("fn f() -> R { loop { tx.rollback()?; } }", false, false),
        ];
        for (src, exits, error_path) in cases {
            let file = parse(src);
            let site = rollback(&file);
            let node = site
                .stmt
                .as_ref()
                .map(|s| s.syntax().clone())
                .unwrap_or(site.outer.syntax().clone());
            let exit = exit_after(&node, &owner(&file), None);
            assert_eq!(exit.is_some(), exits, "{src}");
            let body = owner(&file);
            assert_eq!(
                on_error_path(&node, &body, exit.as_ref()),
                error_path,
                "{src}"
            );
        }
    }

    #[test]
    fn inert_values() {
        let file = parse("fn f() { (a, Err(e.into()), x.y, 1, Some(&v)); g(); }");
        let tuple = file
            .syntax()
            .descendants()
            .find_map(ast::TupleExpr::cast)
            .unwrap();
        assert!(is_inert(&ast::Expr::TupleExpr(tuple)));
        let call = file
            .syntax()
            .descendants()
            .filter_map(ast::CallExpr::cast)
            .last()
            .unwrap();
        assert!(!is_inert(&ast::Expr::CallExpr(call)));
    }

    #[test]
    fn struct_literals_of_inert_fields_are_inert() {
        let file = parse("fn f() { E::A { x, y: e.into() }; E::B { x: g() }; E::C { ..d }; }");
        let records: Vec<bool> = file
            .syntax()
            .descendants()
            .filter_map(ast::RecordExpr::cast)
            .map(|r| is_inert(&ast::Expr::RecordExpr(r)))
            .collect();
        assert_eq!(records, [true, false, true]);
    }
}
