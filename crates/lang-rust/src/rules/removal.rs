//! Planning the removal of one explicit rollback (shared by `manual-transaction` and
//! `redundant-rollback`): where the rollback sits, where control goes after it, and the
//! text edits that remove it.

use ra_ap_syntax::ast::{self, HasArgList};
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};

use super::Ctx;
use crate::finding::{Safety, TextEdit};
use crate::flow::{self, Exit, Handling, RollbackSite};
use crate::syntax::{self, method_name, range};
use crate::tx::Tx;

/// One rollback call and what surrounds it.
pub struct Site {
    pub site: RollbackSite,
    /// The statement (or expression) that is the rollback.
    pub node: SyntaxNode,
    /// Where control leaves the transaction's body right after the rollback, if it does.
    pub exit: Option<Exit>,
    pub error_path: bool,
    pub line: usize,
    /// `.map_err(|e| { tx.rollback(); e })` and the like: the combinator call.
    pub combinator: Option<ast::MethodCallExpr>,
}

/// Closure-taking methods whose closure runs only when the value is an `Err`.
const COMBINATORS: &[&str] = &["map_err", "inspect_err", "or_else"];

pub fn classify(ctx: &Ctx, tx: &Tx, call: &ast::MethodCallExpr) -> Site {
    let site = flow::rollback_site(call);
    let line = ctx.line(range(call.syntax()).start);
    let owner = syntax::body_owner(tx.let_stmt.syntax());
    let node = site
        .stmt
        .as_ref()
        .map_or_else(|| site.outer.syntax().clone(), |s| s.syntax().clone());
    if let Some(comb) = site.stmt.as_ref().and_then(|s| combinator_of(s.syntax())) {
        // `?` right after the combinator returns the error at once.
        let exits = comb
            .syntax()
            .parent()
            .is_some_and(|p| p.kind() == SyntaxKind::TRY_EXPR)
            && syntax::body_owner(comb.syntax()) == owner;
        let exit = exits.then_some(Exit { value: None });
        return Site {
            site,
            node,
            exit,
            error_path: true,
            line,
            combinator: Some(comb),
        };
    }
    let exit = match &owner {
        Some(o) if syntax::body_owner(&node).as_ref() == Some(o) => {
            flow::exit_after(&node, o, Some(tx.scope.syntax()))
        }
        _ => None,
    };
    let error_path = flow::on_error_path(&node, tx.scope.syntax(), exit.as_ref());
    Site {
        site,
        node,
        exit,
        error_path,
        line,
        combinator: None,
    }
}

/// The combinator call whose closure body holds the statement `stmt`.
fn combinator_of(stmt: &SyntaxNode) -> Option<ast::MethodCallExpr> {
    let block = ast::BlockExpr::cast(stmt.parent()?.parent()?)?;
    let closure = ast::ClosureExpr::cast(block.syntax().parent()?)?;
    let call = ast::MethodCallExpr::cast(closure.syntax().parent()?.parent()?)?;
    COMBINATORS
        .contains(&method_name(&call).as_str())
        .then_some(call)
}

/// Safety and reason for removing rollbacks handled as `handlings`, when drop rolls back.
pub fn safety_of(handlings: &[Handling], drop_desc: &str, safe_reason: &str) -> (Safety, String) {
    if handlings.contains(&Handling::Propagated) {
        return (
            Safety::Review,
            "a failing rollback is no longer reported; drop rolls back and ignores its error"
                .into(),
        );
    }
    if handlings.contains(&Handling::Panics) {
        return (
            Safety::Review,
            "a failing rollback no longer panics; drop rolls back and ignores its error".into(),
        );
    }
    (Safety::Safe, format!("{safe_reason}; drop rolls back ({drop_desc}), and the rollback's error was already ignored"))
}

/// The edits that remove the rollback at `s`, or why it is kept.
pub fn plan(ctx: &Ctx, s: &Site) -> Result<Vec<TextEdit>, String> {
    if s.site.handling == Handling::ValueUsed {
        return Err(format!(
            "the result of the rollback at line {} is used as a value",
            s.line
        ));
    }
    if let Some(comb) = &s.combinator {
        return Ok(plan_combinator(ctx, s, comb));
    }
    if let Some(arm) = sole_content_of_arm(&s.node) {
        let planned = match_to_if(ctx, &arm, s.line);
        if planned.is_ok() || s.site.stmt.is_none() {
            return planned;
        }
    }
    if let Some(stmt) = &s.site.stmt {
        if let Some(if_node) = sole_content_of_error_if(stmt.syntax()) {
            return Ok(vec![syntax::delete_statement(ctx.text, range(&if_node))]);
        }
        return Ok(vec![syntax::delete_statement(
            ctx.text,
            range(stmt.syntax()),
        )]);
    }
    Err(format!(
        "the rollback at line {} is part of an expression this tool does not rewrite",
        s.line
    ))
}

/// Remove `.map_err(|e| { tx.rollback(); e })` whole when the closure does nothing else,
/// else only the rollback statement.
fn plan_combinator(ctx: &Ctx, s: &Site, comb: &ast::MethodCallExpr) -> Vec<TextEdit> {
    let stmt = s
        .site
        .stmt
        .as_ref()
        .expect("combinator sites are statements");
    let whole = comb
        .receiver()
        .map(|r| range(r.syntax()).end..range(comb.syntax()).end);
    if let Some(whole) =
        whole.filter(|w| closure_is_identity(comb) && !has_comment(ctx, w.clone(), None))
    {
        return vec![TextEdit::delete(whole)];
    }
    vec![syntax::delete_statement(ctx.text, range(stmt.syntax()))]
}

/// The combinator's closure is `|e| { <one statement>; e }` (`map_err`) or
/// `|e| { <one statement>; }` (`inspect_err`): without the statement it changes nothing.
fn closure_is_identity(comb: &ast::MethodCallExpr) -> bool {
    let Some(ast::Expr::ClosureExpr(c)) = comb.arg_list().and_then(|a| a.args().next()) else {
        return false;
    };
    let Some(ast::Expr::BlockExpr(body)) = c.body() else {
        return false;
    };
    let Some(list) = body.stmt_list() else {
        return false;
    };
    if list.statements().count() != 1 {
        return false;
    }
    let param = c
        .param_list()
        .and_then(|p| p.params().next())
        .and_then(|p| p.pat());
    let param = match param {
        Some(ast::Pat::IdentPat(p)) => p.name().map(|n| n.text().to_string()),
        _ => None,
    };
    match (method_name(comb).as_str(), list.tail_expr()) {
        ("map_err", Some(tail)) => param.is_some() && syntax::path_ident(&tail) == param,
        ("inspect_err", None) => true,
        _ => false,
    }
}

use ra_ap_syntax::ast::HasName;

/// The match arm whose whole body is `node` (`Err(_) => tx.rollback()?` or
/// `Err(_) => { tx.rollback()?; }`).
fn sole_content_of_arm(node: &SyntaxNode) -> Option<ast::MatchArm> {
    let parent = node.parent()?;
    if let Some(arm) = ast::MatchArm::cast(parent.clone()) {
        return Some(arm);
    }
    let list = ast::StmtList::cast(parent)?;
    let count = list.statements().count() + usize::from(list.tail_expr().is_some());
    if count != 1 {
        return None;
    }
    ast::MatchArm::cast(list.syntax().parent()?.parent()?)
}

/// The `if let Err(_) = r { <stmt> }` / `if r.is_err() { <stmt> }` statement (no `else`,
/// inert condition) whose only content is `stmt`.
fn sole_content_of_error_if(stmt: &SyntaxNode) -> Option<SyntaxNode> {
    let list = ast::StmtList::cast(stmt.parent()?)?;
    if list.statements().count() != 1 || list.tail_expr().is_some() {
        return None;
    }
    let if_expr = ast::IfExpr::cast(list.syntax().parent()?.parent()?)?;
    if if_expr.else_branch().is_some() {
        return None;
    }
    let inert = match if_expr.condition()? {
        ast::Expr::LetExpr(l) => {
            l.pat().is_some_and(|p| flow::pat_is_ctor(&p, "Err"))
                && l.expr().is_some_and(|e| flow::is_inert(&e))
        }
        ast::Expr::MethodCallExpr(m) => {
            method_name(&m) == "is_err" && m.receiver().is_some_and(|r| flow::is_inert(&r))
        }
        _ => false,
    };
    let node = if_expr
        .syntax()
        .parent()
        .filter(|p| p.kind() == SyntaxKind::EXPR_STMT)
        .unwrap_or(if_expr.syntax().clone());
    inert.then_some(node)
}

/// True when a comment lies in `within` outside `except`.
fn has_comment(
    ctx: &Ctx,
    within: std::ops::Range<usize>,
    except: Option<std::ops::Range<usize>>,
) -> bool {
    ctx.file
        .syntax()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .any(|t| {
            let r = usize::from(t.text_range().start());
            t.kind() == SyntaxKind::COMMENT
                && within.contains(&r)
                && !except.as_ref().is_some_and(|e| e.contains(&r))
        })
}

/// `match r { Ok(_) => tx.commit()?, Err(_) => tx.rollback()? }` -> `if r.is_ok() { tx.commit()?; }`.
fn match_to_if(ctx: &Ctx, err_arm: &ast::MatchArm, line: usize) -> Result<Vec<TextEdit>, String> {
    let unsupported = || {
        format!(
            "the match around the rollback at line {line} has a shape this tool does not rewrite"
        )
    };
    let m = err_arm
        .syntax()
        .parent()
        .and_then(|l| l.parent())
        .and_then(ast::MatchExpr::cast)
        .ok_or_else(unsupported)?;
    let arms: Vec<ast::MatchArm> = m
        .match_arm_list()
        .map(|l| l.arms().collect())
        .unwrap_or_default();
    let ok_arm = arms
        .iter()
        .find(|a| a.syntax() != err_arm.syntax())
        .cloned()
        .ok_or_else(unsupported)?;
    let ok_pat = ok_arm
        .pat()
        .filter(|p| flow::pat_is_ctor(p, "Ok"))
        .ok_or_else(unsupported)?;
    let ok_body = ok_arm.expr().filter(is_unit_body).ok_or_else(unsupported)?;
    let statement = m
        .syntax()
        .parent()
        .is_some_and(|p| matches!(p.kind(), SyntaxKind::EXPR_STMT | SyntaxKind::STMT_LIST));
    if arms.len() != 2
        || arms.iter().any(|a| a.guard().is_some())
        || !statement
        || !err_arm.pat().is_some_and(|p| flow::pat_is_ctor(&p, "Err"))
    {
        return Err(unsupported());
    }
    let scrutinee = m.expr().ok_or_else(unsupported)?;
    let match_range = range(m.syntax());
    if has_comment(ctx, match_range.clone(), Some(range(ok_body.syntax()))) {
        return Err(format!(
            "rewriting the match around the rollback at line {line} would drop a comment"
        ));
    }
    let condition = if binds_nothing(&ok_pat) {
        format!("{}.is_ok()", receiver_text(&scrutinee))
    } else {
        format!(
            "let {} = {}",
            ok_pat.syntax().text(),
            scrutinee.syntax().text()
        )
    };
    let body = if_body(ctx, &m, &ok_arm, &ok_body);
    Ok(vec![TextEdit {
        range: match_range,
        replacement: format!("if {condition} {body}"),
    }])
}

/// The `if` block for the success arm: its block as written, or `{ expr; }` laid out like
/// the match (one line, or the arm's indentation and the file's line ending).
fn if_body(ctx: &Ctx, m: &ast::MatchExpr, ok_arm: &ast::MatchArm, ok_body: &ast::Expr) -> String {
    let match_range = range(m.syntax());
    match ok_body {
        ast::Expr::BlockExpr(b) => b.syntax().text().to_string(),
        e if ctx.text[match_range.clone()].contains('\n') => {
            let nl = syntax::line_ending_at(ctx.text, match_range.start);
            let arm_indent = syntax::indent_at(ctx.text, range(ok_arm.syntax()).start);
            let indent = syntax::indent_at(ctx.text, match_range.start);
            format!("{{{nl}{arm_indent}{};{nl}{indent}}}", e.syntax().text())
        }
        e => format!("{{ {}; }}", e.syntax().text()),
    }
}

/// An arm body of type `()` by its syntax: `x?` or a block with no tail (or a `x?` tail).
fn is_unit_body(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::TryExpr(_) => true,
        ast::Expr::BlockExpr(b) if b.async_token().is_none() && b.label().is_none() => {
            b.stmt_list().is_some_and(|l| {
                l.tail_expr()
                    .is_none_or(|t| matches!(t, ast::Expr::TryExpr(_)))
            })
        }
        _ => false,
    }
}

/// `Ok(_)` / `Ok(..)`: the pattern binds no name.
fn binds_nothing(pat: &ast::Pat) -> bool {
    let ast::Pat::TupleStructPat(t) = pat else {
        return false;
    };
    t.fields()
        .all(|f| matches!(f, ast::Pat::WildcardPat(_) | ast::Pat::RestPat(_)))
}

/// The scrutinee as the receiver of `.is_ok()`: `&r` -> `r`, `a + b` -> `(a + b)`.
fn receiver_text(expr: &ast::Expr) -> String {
    let expr = match expr {
        ast::Expr::RefExpr(r) if r.mut_token().is_none() => r.expr().unwrap_or(expr.clone()),
        e => e.clone(),
    };
    let postfix = matches!(
        expr,
        ast::Expr::PathExpr(_)
            | ast::Expr::FieldExpr(_)
            | ast::Expr::MethodCallExpr(_)
            | ast::Expr::CallExpr(_)
            | ast::Expr::AwaitExpr(_)
            | ast::Expr::TryExpr(_)
            | ast::Expr::ParenExpr(_)
            | ast::Expr::IndexExpr(_)
            | ast::Expr::MacroExpr(_)
    );
    if postfix {
        expr.syntax().text().to_string()
    } else {
        format!("({})", expr.syntax().text())
    }
}
