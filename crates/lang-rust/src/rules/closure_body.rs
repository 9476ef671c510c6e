//! Moving the statements of a block into the body of a closure (a project helper's or a
//! driver's closure API): whether they move cleanly, which value the closure must hand
//! back, and the new text, re-indented one level.

use std::ops::Range;

use ra_ap_syntax::ast::{self, HasName};
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};

use super::Ctx;
use crate::finding::TextEdit;
use crate::flow;
use crate::syntax::{self, range};

/// The statements of `scope` that lie whole in `body`.
fn statements_in<'s>(
    scope: &'s ast::StmtList,
    body: &'s Range<usize>,
) -> impl Iterator<Item = SyntaxNode> + 's {
    scope
        .syntax()
        .children()
        .filter(move |c| body.start <= range(c).start && range(c).end <= body.end)
}

/// Nothing in `body` would change meaning or stop compiling inside a closure: no return
/// of anything but `Err(..)` from `owner`, no `break` / `continue` out of it, no `.await`
/// of `owner`, no macro that returns, and nothing `blocked` says.
pub fn moves_cleanly(
    scope: &ast::StmtList,
    owner: Option<&SyntaxNode>,
    body: &Range<usize>,
    blocked: impl Fn(&SyntaxNode) -> bool,
) -> bool {
    statements_in(scope, body).all(|stmt| {
        stmt.descendants().all(|node| {
            let owned = syntax::body_owner(&node).as_ref() == owner;
            let stops = match node.kind() {
                SyntaxKind::RETURN_EXPR => {
                    owned
                        && !ast::ReturnExpr::cast(node.clone())
                            .and_then(|r| r.expr())
                            .is_some_and(|e| flow::is_err_value(&e))
                }
                SyntaxKind::BREAK_EXPR | SyntaxKind::CONTINUE_EXPR => leaves(&node, body),
                SyntaxKind::AWAIT_EXPR => owned,
                SyntaxKind::MACRO_CALL => returns_by_macro(&node),
                _ => false,
            };
            !stops && !blocked(&node)
        })
    })
}

/// A `break` / `continue` that leaves `body` (labelled ones are not followed).
fn leaves(node: &SyntaxNode, body: &Range<usize>) -> bool {
    let labelled = node
        .children_with_tokens()
        .any(|c| c.kind() == SyntaxKind::LIFETIME);
    let target = node.ancestors().find(|a| {
        matches!(
            a.kind(),
            SyntaxKind::FOR_EXPR
                | SyntaxKind::WHILE_EXPR
                | SyntaxKind::LOOP_EXPR
                | SyntaxKind::CLOSURE_EXPR
                | SyntaxKind::FN
        )
    });
    labelled || target.is_none_or(|t| range(&t).start < body.start)
}

fn returns_by_macro(node: &SyntaxNode) -> bool {
    let name = ast::MacroCall::cast(node.clone())
        .and_then(|m| m.path())
        .and_then(|p| p.segment())
        .and_then(|s| s.name_ref());
    name.is_some_and(|n| matches!(&*n.text(), "bail" | "ensure" | "try"))
}

/// A binding of the body that code after the block reads: its name and its pattern.
pub type Carried = Option<(String, String)>;

/// The names `let` statements of `body` bind that code of `scope` after `block_end`
/// reads: none (`Some(None)`), one plain binding (`Some(Some(..))`), or more (`None`).
pub fn carried_out(
    scope: &ast::StmtList,
    body: &Range<usize>,
    block_end: usize,
) -> Option<Carried> {
    let mut bound: Vec<(String, String, bool)> = Vec::new();
    for stmt in statements_in(scope, body).filter_map(ast::LetStmt::cast) {
        let plain = matches!(stmt.pat(), Some(ast::Pat::IdentPat(_)));
        for pat in stmt.syntax().descendants().filter_map(ast::IdentPat::cast) {
            if let Some(n) = pat.name() {
                bound.push((n.text().to_string(), pat.syntax().text().to_string(), plain));
            }
        }
    }
    let read_after = |name: &str| {
        scope
            .syntax()
            .descendants()
            .filter_map(ast::NameRef::cast)
            .any(|n| range(n.syntax()).start >= block_end && n.text() == name && reads_local(&n))
    };
    let used: Vec<&(String, String, bool)> = bound.iter().filter(|b| read_after(&b.0)).collect();
    match used.as_slice() {
        [] => Some(None),
        [(name, pat, true)] => Some(Some((name.clone(), pat.clone()))),
        _ => None,
    }
}

/// A mention that may read a local variable: a one-segment path expression, or a
/// shorthand struct field (`S { n }`); not a field, method or path segment of that name.
fn reads_local(name_ref: &ast::NameRef) -> bool {
    let Some(parent) = name_ref.syntax().parent() else {
        return false;
    };
    if ast::RecordExprField::can_cast(parent.kind()) {
        return true;
    }
    let Some(path) = ast::PathSegment::cast(parent).map(|s| s.parent_path()) else {
        return false;
    };
    path.qualifier().is_none()
        && path
            .syntax()
            .parent()
            .is_some_and(|p| ast::PathExpr::can_cast(p.kind()))
}

/// The whole lines of a block between its first statement `first` and its last statement
/// starting at `last`, when both stand alone on their lines.
pub fn inner_lines(text: &str, first: Range<usize>, last: usize) -> Option<Range<usize>> {
    (alone_on_line(text, first.clone()) && starts_line(text, last))
        .then(|| next_line_start(text, first.end)..syntax::line_start(text, last))
}

/// The text of the lines `body` after `edits` (all of them inside `body`) are applied.
pub fn piece_after(text: &str, body: &Range<usize>, edits: &[TextEdit]) -> Option<String> {
    if edits
        .iter()
        .any(|e| e.range.start < body.start || e.range.end > body.end)
    {
        return None;
    }
    let shifted: Vec<TextEdit> = edits
        .iter()
        .map(|e| TextEdit {
            range: e.range.start - body.start..e.range.end - body.start,
            replacement: e.replacement.clone(),
        })
        .collect();
    Some(crate::apply_edits(&text[body.clone()], &shifted))
}

/// How the closure call is written around the body.
pub struct Call<'t> {
    /// `helper(conn, |tx| {` — up to and including the closure's `{`.
    pub open: String,
    /// What follows the closure's `}`: `)` or `, conn)`.
    pub close: String,
    /// The `let` statement the block began with: where the new text starts.
    pub start: usize,
    pub scope: &'t ast::StmtList,
    pub carried: &'t Carried,
}

/// `[let v = ]open NL body NL Ok(v|()) NL }close`, the body being `piece` (the block's
/// inner lines after their own edits) one level deeper.
pub fn closure_text(ctx: &Ctx, call: &Call, piece: &str) -> Option<String> {
    let indent = syntax::indent_at(ctx.text, call.start);
    let unit = indent_unit(ctx.text, call.scope, indent);
    let nl = syntax::line_ending_at(ctx.text, call.start);
    let inner = trim_blank_lines(&indent_lines(piece, &unit, ctx.edition)?);
    let (value, prefix) = match call.carried {
        Some((name, pat)) => (name.as_str(), format!("let {pat} = ")),
        None => ("()", String::new()),
    };
    let (open, close) = (&call.open, &call.close);
    Some(format!(
        "{prefix}{open}{nl}{inner}{indent}{unit}Ok({value}){nl}{indent}}}{close}"
    ))
}

/// One level of indentation: what the block's lines add to the line of its `{`.
fn indent_unit(text: &str, scope: &ast::StmtList, indent: &str) -> String {
    let outer = scope
        .l_curly_token()
        .map(|t| syntax::indent_at(text, usize::from(t.text_range().start())))
        .unwrap_or("");
    match indent.strip_prefix(outer) {
        Some(unit) if !unit.is_empty() => unit.to_string(),
        _ if indent.contains('\t') => "\t".into(),
        _ => "    ".into(),
    }
}

/// Every line of `piece` one `unit` deeper, except blank lines and lines that continue a
/// multi-line string literal (their leading blanks are the string's contents).
fn indent_lines(piece: &str, unit: &str, edition: crate::Edition) -> Option<String> {
    const OPEN: &str = "fn __f() {\n";
    let wrapped = format!("{OPEN}{piece}\n}}");
    let parse = ast::SourceFile::parse(&wrapped, edition.to_syntax());
    if !parse.errors().iter().all(crate::is_crlf_in_literal) {
        return None;
    }
    let strings: Vec<Range<usize>> = parse
        .tree()
        .syntax()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| {
            matches!(
                t.kind(),
                SyntaxKind::STRING | SyntaxKind::BYTE_STRING | SyntaxKind::C_STRING
            )
        })
        .map(|t| {
            let r = t.text_range();
            usize::from(r.start()) - OPEN.len()..usize::from(r.end()) - OPEN.len()
        })
        .collect();
    let mut out = String::with_capacity(piece.len() + piece.len() / 8);
    let mut at = 0;
    for line in piece.split_inclusive('\n') {
        let inside = strings.iter().any(|r| r.start < at && at < r.end);
        if inside {
            out.push_str(line);
        } else if line.trim().is_empty() {
            out.push_str(&line[line.trim_end_matches(['\r', '\n']).len()..]);
        } else {
            out.push_str(unit);
            out.push_str(line);
        }
        at += line.len();
    }
    Some(out)
}

/// Without blank lines at the start and at the end.
fn trim_blank_lines(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    match (first, last) {
        (Some(a), Some(b)) => lines[a..=b].concat(),
        _ => String::new(),
    }
}

fn starts_line(text: &str, at: usize) -> bool {
    text[syntax::line_start(text, at)..at]
        .chars()
        .all(|c| c == ' ' || c == '\t')
}

/// Only blanks before `r` on its first line and after it on its last.
pub fn alone_on_line(text: &str, r: Range<usize>) -> bool {
    let rest = &text[r.end..];
    let line = rest.find('\n').map_or(rest, |i| &rest[..i]);
    starts_line(text, r.start) && line.trim().is_empty()
}

fn next_line_start(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}
