//! Small helpers over the `ra_ap_syntax` tree and the original text.

use std::ops::Range;

use ra_ap_syntax::ast::{self, HasArgList, HasAttrs, HasName};
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};

use crate::finding::TextEdit;

/// Byte range of a node.
pub fn range(node: &SyntaxNode) -> Range<usize> {
    let r = node.text_range();
    usize::from(r.start())..usize::from(r.end())
}

/// 1-based line numbers of byte offsets.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

/// The name of a method call, e.g. `commit` for `tx.commit()`.
pub fn method_name(call: &ast::MethodCallExpr) -> String {
    call.name_ref()
        .map(|n| n.text().to_string())
        .unwrap_or_default()
}

/// Number of arguments of a method call.
pub fn arg_count(call: &ast::MethodCallExpr) -> usize {
    call.arg_list().map(|a| a.args().count()).unwrap_or(0)
}

/// The single identifier an expression names (`tx` for the path expression `tx`).
pub fn path_ident(expr: &ast::Expr) -> Option<String> {
    let ast::Expr::PathExpr(p) = expr else {
        return None;
    };
    Some(p.path()?.as_single_name_ref()?.text().to_string())
}

/// The last segment of a path expression (`Err` for `std::result::Result::Err`).
pub fn path_last(expr: &ast::Expr) -> Option<String> {
    let ast::Expr::PathExpr(p) = expr else {
        return None;
    };
    Some(p.path()?.segment()?.name_ref()?.text().to_string())
}

/// Wrapper methods that keep the value of a begin call (`.unwrap()`, `.map_err(..)`).
const KEEPS_VALUE: &[&str] = &["unwrap", "expect", "map_err", "context", "with_context"];

/// Strip `?`, `.await`, parentheses and value-keeping wrappers from a begin expression.
/// Returns the inner expression and whether an `.await` was applied to it directly.
pub fn peel_begin(expr: &ast::Expr) -> (ast::Expr, bool) {
    let mut cur = expr.clone();
    let mut awaited = false;
    loop {
        let next = match &cur {
            ast::Expr::TryExpr(e) => e.expr(),
            ast::Expr::ParenExpr(e) => e.expr(),
            ast::Expr::AwaitExpr(e) => {
                awaited = true;
                e.expr()
            }
            ast::Expr::MethodCallExpr(m) if KEEPS_VALUE.contains(&method_name(m).as_str()) => {
                awaited = false;
                m.receiver()
            }
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return (cur, awaited),
        }
    }
}

/// The line terminator used at `offset`'s line ("\r\n" or "\n").
pub fn line_ending_at(text: &str, offset: usize) -> &'static str {
    match text[offset..].find('\n') {
        Some(i) if i > 0 && text.as_bytes()[offset + i - 1] == b'\r' => "\r\n",
        Some(_) => "\n",
        None if text.contains("\r\n") => "\r\n",
        None => "\n",
    }
}

/// Start of the line holding `offset`.
pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The leading whitespace of the line holding `offset`.
pub fn indent_at(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let rest = &text[start..];
    let len = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    &rest[..len]
}

/// An edit deleting the statement at `stmt`: its whole line when the statement is alone on
/// it, otherwise the statement and the blanks after it.
pub fn delete_statement(text: &str, stmt: Range<usize>) -> TextEdit {
    let start = line_start(text, stmt.start);
    let before_blank = text[start..stmt.start]
        .chars()
        .all(|c| c == ' ' || c == '\t');
    let after = &text[stmt.end..];
    let line_rest = after.find('\n').map_or(after, |i| &after[..i]);
    let after_blank = line_rest
        .trim_end_matches('\r')
        .chars()
        .all(|c| c == ' ' || c == '\t');
    if before_blank && after_blank {
        let end = after.find('\n').map_or(text.len(), |i| stmt.end + i + 1);
        return TextEdit::delete(start..end);
    }
    let blanks = after.len() - after.trim_start_matches([' ', '\t']).len();
    TextEdit::delete(stmt.start..stmt.end + blanks)
}

/// True when the attribute is `#[test]`-like (`test`, `tokio::test`, `sqlx::test`, ...).
fn is_test_attr(attr: &ast::Attr) -> bool {
    let last = attr
        .path()
        .and_then(|p| p.segment())
        .and_then(|s| s.name_ref());
    if last.is_some_and(|n| n.text() == "test") {
        return true;
    }
    attr.simple_name().as_deref() == Some("cfg")
        && has_word(&attr.syntax().text().to_string(), "test")
}

fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == word)
}

/// True when `node` sits in a `#[cfg(test)]` module or a `#[test]`-like function.
pub fn in_test_item(node: &SyntaxNode) -> bool {
    node.ancestors().any(|a| {
        let attrs: Vec<ast::Attr> = if let Some(f) = ast::Fn::cast(a.clone()) {
            f.attrs().collect()
        } else if let Some(m) = ast::Module::cast(a.clone()) {
            m.attrs().collect()
        } else {
            Vec::new()
        };
        attrs.iter().any(is_test_attr)
    })
}

/// First words of function names that implement transactions (`commit`, `begin_immediate`).
const IMPL_FIRST_WORDS: &[&str] = &[
    "commit",
    "rollback",
    "begin",
    "transaction",
    "tx",
    "txn",
    "savepoint",
    "release",
];
/// First words that, with a transaction word later in the name, make a helper
/// (`with_transaction`, `run_in_tx`, `start_transaction`).
const HELPER_FIRST_WORDS: &[&str] = &["with", "in", "within", "run", "start", "open", "new"];
const TX_WORDS: &[&str] = &["transaction", "tx", "txn", "savepoint"];

/// True when a function of this name implements a transaction type or helper.
fn is_implementation_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let words: Vec<&str> = name.split('_').filter(|w| !w.is_empty()).collect();
    let Some(first) = words.first() else {
        return false;
    };
    matches!(name.as_str(), "start" | "end" | "drop" | "finish")
        || IMPL_FIRST_WORDS.contains(first)
        || (HELPER_FIRST_WORDS.contains(first) && words.iter().any(|w| TX_WORDS.contains(w)))
}

/// True when `node` is inside code that implements transactions rather than uses them: a
/// non-test function named like `commit`, `begin_immediate`, `with_transaction`,
/// `run_in_tx` (see `is_implementation_name`), or any item of an `impl Drop for ..` block.
pub fn in_transaction_impl(node: &SyntaxNode) -> bool {
    node.ancestors().any(|a| {
        if let Some(f) = ast::Fn::cast(a.clone()) {
            if f.attrs().any(|attr| is_test_attr(&attr)) {
                // A test named after what it checks (`rollback_undoes_insert`) uses transactions.
                return false;
            }
            return f.name().is_some_and(|n| is_implementation_name(n.text()));
        }
        if let Some(imp) = ast::Impl::cast(a) {
            return imp
                .trait_()
                .is_some_and(|t| last_type_name(&t).as_deref() == Some("Drop"));
        }
        false
    })
}

/// The last path segment of a path type (`Transaction` for `rusqlite::Transaction<'a>`).
pub fn last_type_name(ty: &ast::Type) -> Option<String> {
    match ty {
        ast::Type::PathType(p) => Some(p.path()?.segment()?.name_ref()?.text().to_string()),
        ast::Type::RefType(r) => last_type_name(&r.ty()?),
        _ => None,
    }
}

/// The function, closure or async block whose body runs `node`: a `return` or `?` in `node`
/// leaves it.
pub fn body_owner(node: &SyntaxNode) -> Option<SyntaxNode> {
    node.ancestors().find(|a| match a.kind() {
        SyntaxKind::FN | SyntaxKind::CLOSURE_EXPR => true,
        SyntaxKind::BLOCK_EXPR => {
            ast::BlockExpr::cast(a.clone()).is_some_and(|b| b.async_token().is_some())
        }
        _ => false,
    })
}

/// Identifier tokens inside macro-call token trees under `node`.
pub fn macro_idents(node: &SyntaxNode) -> impl Iterator<Item = ra_ap_syntax::SyntaxToken> + '_ {
    node.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| {
            t.kind() == SyntaxKind::IDENT
                && t.parent()
                    .is_some_and(|p| p.kind() == SyntaxKind::TOKEN_TREE)
        })
}

/// The crates the file names at the root of a path (`use tiberius::Client`,
/// `sqlx::query(..)`, `extern crate postgres`), sorted, without duplicates.
pub fn root_path_names(file: &ast::SourceFile) -> Vec<String> {
    let mut names: Vec<String> = file
        .syntax()
        .descendants()
        .filter_map(ast::Path::cast)
        .filter(|p| p.qualifier().is_none())
        .filter(|p| {
            p.syntax()
                .parent()
                .is_some_and(|q| ast::Path::can_cast(q.kind()) || ast::UseTree::can_cast(q.kind()))
        })
        .filter_map(|p| Some(p.segment()?.name_ref()?.text().to_string()))
        .chain(
            file.syntax()
                .descendants()
                .filter_map(ast::ExternCrate::cast)
                .filter_map(|e| Some(e.name_ref()?.text().to_string())),
        )
        .collect();
    names.sort();
    names.dedup();
    names
}

/// True when a string literal text is a transaction-control SQL statement; returns its verb.
pub fn transaction_sql_verb(sql: &str) -> Option<&'static str> {
    let upper = sql.trim().trim_end_matches(';').trim().to_ascii_uppercase();
    let words: Vec<&str> = upper.split_whitespace().collect();
    match words.as_slice() {
        ["BEGIN", ..] => Some("BEGIN"),
        ["START", "TRANSACTION", ..] => Some("START TRANSACTION"),
        ["COMMIT", ..] => Some("COMMIT"),
        ["ROLLBACK", ..] => Some("ROLLBACK"),
        ["END"] | ["END", "TRANSACTION"] => Some("END"),
        _ => None,
    }
}

/// Words that make SQL text change data or schema (or lock rows for a change).
const SQL_WRITE_WORDS: &[&str] = &[
    "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT", "CREATE", "DROP", "ALTER",
    "TRUNCATE", "INTO", "GRANT", "REVOKE", "LOCK", "COPY", "CALL", "DO", "NEXTVAL", "SETVAL",
    "VACUUM", "ANALYZE", "REINDEX", "ATTACH", "DETACH", "SET",
];

/// True when SQL text only reads: it starts with `SELECT`, `WITH`, `VALUES`, `EXPLAIN`,
/// `SHOW` or a `PRAGMA` without `=`, and has no word that writes anywhere (a string
/// constant holding such a word makes it a write too: a miss here only keeps a report).
pub fn sql_only_reads(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    let mut words = upper
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty());
    let reads = match words.next() {
        Some("SELECT" | "WITH" | "VALUES" | "EXPLAIN" | "SHOW") => true,
        Some("PRAGMA") => !upper.contains('='),
        _ => false,
    };
    reads && !words.any(|w| SQL_WRITE_WORDS.contains(&w))
}

/// The value of a string literal expression (plain or raw), if `expr` is one.
pub fn string_value(expr: &ast::Expr) -> Option<String> {
    let ast::Expr::Literal(lit) = expr else {
        return None;
    };
    string_token_value(&lit.token())
}

/// The value of a string literal token (plain or raw).
pub fn string_token_value(token: &ra_ap_syntax::SyntaxToken) -> Option<String> {
    use ra_ap_syntax::ast::AstToken;
    let s = ast::String::cast(token.clone())?;
    s.value().ok().map(|v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_are_one_based() {
        let idx = LineIndex::new("a\nb\r\nc");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(2), 2);
        assert_eq!(idx.line(5), 3);
    }

    #[test]
    fn delete_statement_takes_whole_line_only_when_alone() {
        let text = "{\r\n    a();\r\n    b();\r\n}";
        let at = text.find("a();").unwrap();
        let edit = delete_statement(text, at..at + 4);
        assert_eq!(&text[edit.range.clone()], "    a();\r\n");
        let text = "{ a(); b(); }";
        let edit = delete_statement(text, 2..6);
        assert_eq!(&text[edit.range], "a(); ");
    }

    #[test]
    fn implementation_names() {
        for name in [
            "commit",
            "rollback",
            "begin",
            "begin_immediate",
            "with_transaction",
            "run_in_tx",
            "start_transaction",
            "transaction",
            "end",
            "drop",
            "savepoint_named",
        ] {
            assert!(is_implementation_name(name), "{name}");
        }
        for name in [
            "delete_bookmark_in_tx",
            "update_in_transaction",
            "touch",
            "transactional_update",
            "start_unit",
            "ending",
            "run_jobs",
        ] {
            assert!(!is_implementation_name(name), "{name}");
        }
    }

    #[test]
    fn sql_reads() {
        for sql in [
            "SELECT data FROM tasks WHERE uuid = ? LIMIT 1",
            "with t as (select 1) select * from t",
            "PRAGMA user_version",
        ] {
            assert!(sql_only_reads(sql), "{sql}");
        }
        for sql in [
            "INSERT INTO t VALUES (1)",
            "SELECT * FROM t FOR UPDATE",
            "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
            "PRAGMA user_version = 3",
            "SELECT nextval('s')",
            "BEGIN",
        ] {
            assert!(!sql_only_reads(sql), "{sql}");
        }
    }

    #[test]
    fn sql_verbs() {
        assert_eq!(transaction_sql_verb(" begin immediate; "), Some("BEGIN"));
        assert_eq!(transaction_sql_verb("BEGIN TRANSACTION"), Some("BEGIN"));
        assert_eq!(
            transaction_sql_verb("start transaction"),
            Some("START TRANSACTION")
        );
        assert_eq!(transaction_sql_verb("Commit;"), Some("COMMIT"));
        assert_eq!(transaction_sql_verb("ROLLBACK"), Some("ROLLBACK"));
        assert_eq!(transaction_sql_verb("end"), Some("END"));
        assert_eq!(transaction_sql_verb("BEGINNING"), None);
        assert_eq!(transaction_sql_verb("SELECT 1"), None);
        assert_eq!(transaction_sql_verb("END OF DAY"), None);
    }
}
