//! Adding the guard's import once, in the right place, and removing imports a rewrite left
//! unused.

use analyzer::Import;
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ModModule, Stmt};
use ruff_python_parser::Parsed;
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::edit::{line_end_incl, line_start, Edit};

/// Edits that add `import` to the module, or none when it is already there.
pub fn add(text: &str, parsed: &Parsed<ModModule>, import: &Import, newline: &str) -> Vec<Edit> {
    let body = &parsed.syntax().body;
    match import {
        Import::From { module, name } => {
            let existing = body.iter().find_map(|s| match s {
                // `module` may be relative (`.db`): compare dots and name as written.
                Stmt::ImportFrom(f)
                    if written_module(f) == *module
                        && !f.names.iter().any(|a| a.name.as_str() == "*") =>
                {
                    Some(f)
                }
                _ => None,
            });
            if let Some(f) = existing {
                if f.names
                    .iter()
                    .any(|a| a.name.as_str() == name && a.asname.is_none())
                {
                    return vec![];
                }
                let last = &f.names[f.names.len() - 1];
                return vec![Edit {
                    range: TextRange::empty(last.end()),
                    text: format!(", {name}"),
                }];
            }
            vec![new_line(
                text,
                body,
                &format!("from {module} import {name}"),
                newline,
            )]
        }
        Import::Statement(stmt) => {
            let present = body.iter().any(|s| {
                matches!(s, Stmt::Import(_) | Stmt::ImportFrom(_))
                    && text[s.range()].trim() == stmt.trim()
            });
            if present {
                return vec![];
            }
            vec![new_line(text, body, stmt, newline)]
        }
    }
}

/// The module of `from <module> import ...` as written, dots included.
fn written_module(f: &ruff_python_ast::StmtImportFrom) -> String {
    let dots = ".".repeat(f.level as usize);
    format!("{dots}{}", f.module.as_ref().map_or("", |m| m.as_str()))
}

/// A new import line after the module's leading imports (after the docstring and
/// `from __future__` when there are no others).
fn new_line(text: &str, body: &[Stmt], stmt: &str, newline: &str) -> Edit {
    let mut after: Option<&Stmt> = None;
    for (i, s) in body.iter().enumerate() {
        let docstring =
            i == 0 && matches!(s, Stmt::Expr(e) if matches!(&*e.value, Expr::StringLiteral(_)));
        match s {
            Stmt::Import(_) | Stmt::ImportFrom(_) => after = Some(s),
            _ if docstring => after = Some(s),
            _ => break,
        }
    }
    match after {
        Some(s) => {
            let at = line_end_incl(text, s.end());
            // A file whose last line has no newline: start a new line first.
            let lead = if at.to_usize() == text.len() && !text.ends_with('\n') {
                newline
            } else {
                ""
            };
            Edit {
                range: TextRange::empty(at),
                text: format!("{lead}{stmt}{newline}"),
            }
        }
        None => {
            let at = body
                .first()
                .map_or(TextSize::of(text), |s| line_start(text, s.start()));
            Edit {
                range: TextRange::empty(at),
                text: format!("{stmt}{newline}"),
            }
        }
    }
}

/// How often `name` is read in the module outside import statements (names in strings
/// count too, so a string annotation keeps its import).
pub fn uses(text: &str, parsed: &Parsed<ModModule>, name: &str) -> usize {
    struct Count<'n> {
        name: &'n str,
        n: usize,
    }
    impl<'a> Visitor<'a> for Count<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)) {
                return;
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Name(n) = expr {
                if n.id.as_str() == self.name {
                    self.n += 1;
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut c = Count { name, n: 0 };
    for s in &parsed.syntax().body {
        c.visit_stmt(s);
    }
    let in_strings = parsed
        .tokens()
        .iter()
        .filter(|t| matches!(t.kind(), TokenKind::String | TokenKind::FStringMiddle))
        .filter(|t| contains_word(&text[t.range()], name))
        .count();
    c.n + in_strings
}

fn contains_word(hay: &str, word: &str) -> bool {
    let is_ident = |c: char| c == '_' || c.is_alphanumeric();
    hay.match_indices(word).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// Edits removing the top-level import of `name` (the bound name). Comments on removed
/// lines are kept on a line of their own.
pub fn remove(text: &str, parsed: &Parsed<ModModule>, name: &str, newline: &str) -> Vec<Edit> {
    for s in &parsed.syntax().body {
        let aliases: Vec<(TextRange, String)> = match s {
            Stmt::ImportFrom(f) => f
                .names
                .iter()
                .map(|a| (a.range(), a.asname.as_ref().unwrap_or(&a.name).to_string()))
                .collect(),
            Stmt::Import(i) => {
                i.names
                    .iter()
                    .map(|a| {
                        let bound =
                            a.asname.as_ref().map(|n| n.to_string()).unwrap_or_else(|| {
                                a.name.split('.').next().unwrap_or("").to_string()
                            });
                        (a.range(), bound)
                    })
                    .collect()
            }
            _ => continue,
        };
        let Some(pos) = aliases.iter().position(|(_, n)| n == name) else {
            continue;
        };
        if aliases.len() == 1 {
            let start = line_start(text, s.start());
            let end = line_end_incl(text, s.end());
            let full = TextRange::new(start, end);
            let indent: String = text[start.to_usize()..]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            let mut kept = String::new();
            for t in parsed.tokens().iter() {
                if t.kind() == TokenKind::Comment && full.contains_range(t.range()) {
                    kept.push_str(&indent);
                    kept.push_str(&text[t.range()]);
                    kept.push_str(newline);
                }
            }
            return vec![Edit {
                range: full,
                text: kept,
            }];
        }
        let range = if pos + 1 < aliases.len() {
            TextRange::new(aliases[pos].0.start(), aliases[pos + 1].0.start())
        } else {
            TextRange::new(aliases[pos - 1].0.end(), aliases[pos].0.end())
        };
        // Only when nothing but separators sits between (no comment inside the range).
        if text[range].contains('#') {
            return vec![];
        }
        return vec![Edit {
            range,
            text: String::new(),
        }];
    }
    vec![]
}
