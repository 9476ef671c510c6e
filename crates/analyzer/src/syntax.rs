//! Small AST and text helpers shared by the rules.

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::token::Tokens;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

/// `a.b.c` for a Name / Attribute chain.
pub fn dotted(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => Some(format!("{}.{}", dotted(&a.value)?, a.attr.id)),
        _ => None,
    }
}

/// Last segment of a dotted callee: `x.y.sessionmaker` -> `sessionmaker`.
pub fn last_segment(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

/// The call inside `stmt` when it is `x.method(...)` or `await x.method(...)` as a statement.
pub fn method_call_stmt(stmt: &Stmt) -> Option<(&str, &str)> {
    let Stmt::Expr(e) = stmt else { return None };
    method_call_expr(&e.value)
}

/// `(receiver, method)` for `receiver.method(...)` / `await receiver.method(...)` where the
/// receiver is a plain name.
pub fn method_call_expr(expr: &Expr) -> Option<(&str, &str)> {
    let attr = called_attribute(expr)?;
    let Expr::Name(recv) = &*attr.value else {
        return None;
    };
    Some((recv.id.as_str(), attr.attr.id.as_str()))
}

/// The `x.method` of a call `x.method(...)` / `await x.method(...)`.
pub fn called_attribute(expr: &Expr) -> Option<&ruff_python_ast::ExprAttribute> {
    let expr = match expr {
        Expr::Await(a) => &*a.value,
        e => e,
    };
    let Expr::Call(call) = expr else { return None };
    match &*call.func {
        Expr::Attribute(attr) => Some(attr),
        _ => None,
    }
}

/// `session.<method>(...)` (awaited or not) as a whole statement.
pub fn is_session_call(stmt: &Stmt, session: &str, method: &str) -> bool {
    method_call_stmt(stmt).is_some_and(|(r, m)| r == session && m == method)
}

/// The single plain-name target of `x = value` / `x: T = value`.
pub fn assign_name_target(stmt: &Stmt) -> Option<(&str, &Expr)> {
    match stmt {
        Stmt::Assign(a) if a.targets.len() == 1 => match &a.targets[0] {
            Expr::Name(n) => Some((n.id.as_str(), &a.value)),
            _ => None,
        },
        Stmt::AnnAssign(a) => match (&*a.target, &a.value) {
            (Expr::Name(n), Some(v)) => Some((n.id.as_str(), v)),
            _ => None,
        },
        _ => None,
    }
}

/// Every reference to a name inside some statements, with what kind of reference it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    Load,
    Store,
    /// Inside a nested `def`, `lambda` or `class`: captured, may outlive the block.
    Captured,
    /// `global x` / `nonlocal x`.
    Declared,
}

#[derive(Debug, Clone, Copy)]
pub struct NameRef {
    pub range: TextRange,
    pub kind: RefKind,
}

/// Collects the references to `name` in source order.
pub struct RefCollector<'n> {
    name: &'n str,
    depth: usize,
    pub refs: Vec<NameRef>,
}

impl<'n> RefCollector<'n> {
    pub fn new(name: &'n str) -> Self {
        RefCollector {
            name,
            depth: 0,
            refs: vec![],
        }
    }

    pub fn in_stmts(name: &'n str, stmts: &[Stmt]) -> Vec<NameRef> {
        let mut c = RefCollector::new(name);
        for s in stmts {
            c.visit_stmt(s);
        }
        c.refs
    }

    pub fn in_stmt(name: &'n str, stmt: &Stmt) -> Vec<NameRef> {
        Self::in_stmts(name, std::slice::from_ref(stmt))
    }

    pub fn in_expr(name: &'n str, expr: &Expr) -> Vec<NameRef> {
        let mut c = RefCollector::new(name);
        c.visit_expr(expr);
        c.refs
    }
}

/// A function body that assigns `name` (and declares it neither global nor nonlocal) has a
/// variable of its own by that name: it captures nothing from outside.
fn binds_locally(name: &str, body: &[Stmt]) -> bool {
    let refs = RefCollector::in_stmts(name, body);
    refs.iter().any(|r| r.kind == RefKind::Store)
        && !refs.iter().any(|r| r.kind == RefKind::Declared)
}

impl<'a> Visitor<'a> for RefCollector<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.visit_decorator(d);
                }
                // Parameters shadow; a parameter with our name hides the outer one.
                if f.parameters.iter().any(|p| p.name().as_str() == self.name)
                    || binds_locally(self.name, &f.body)
                {
                    return;
                }
                self.depth += 1;
                for s in &f.body {
                    self.visit_stmt(s);
                }
                self.depth -= 1;
            }
            Stmt::ClassDef(_) => {
                self.depth += 1;
                visitor::walk_stmt(self, stmt);
                self.depth -= 1;
            }
            Stmt::Global(g) if g.names.iter().any(|n| n.id.as_str() == self.name) => {
                self.refs.push(NameRef {
                    range: g.range(),
                    kind: RefKind::Declared,
                });
            }
            Stmt::Nonlocal(g) if g.names.iter().any(|n| n.id.as_str() == self.name) => {
                self.refs.push(NameRef {
                    range: g.range(),
                    kind: RefKind::Declared,
                });
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(n) if n.id.as_str() == self.name => {
                let kind = if self.depth > 0 {
                    RefKind::Captured
                } else if n.ctx.is_store() || n.ctx.is_del() {
                    RefKind::Store
                } else {
                    RefKind::Load
                };
                self.refs.push(NameRef {
                    range: n.range,
                    kind,
                });
            }
            Expr::Lambda(l) => {
                if l.parameters
                    .as_ref()
                    .is_some_and(|p| p.iter().any(|p| p.name().as_str() == self.name))
                {
                    return;
                }
                self.depth += 1;
                visitor::walk_expr(self, expr);
                self.depth -= 1;
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// All statements (recursively, not into nested functions or classes), in source order.
pub fn walk_stmts<'a>(stmts: &'a [Stmt], out: &mut Vec<&'a Stmt>) {
    for s in stmts {
        out.push(s);
        match s {
            Stmt::If(i) => {
                walk_stmts(&i.body, out);
                for c in &i.elif_else_clauses {
                    walk_stmts(&c.body, out);
                }
            }
            Stmt::For(f) => {
                walk_stmts(&f.body, out);
                walk_stmts(&f.orelse, out);
            }
            Stmt::While(w) => {
                walk_stmts(&w.body, out);
                walk_stmts(&w.orelse, out);
            }
            Stmt::With(w) => walk_stmts(&w.body, out),
            Stmt::Try(t) => {
                walk_stmts(&t.body, out);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    walk_stmts(&h.body, out);
                }
                walk_stmts(&t.orelse, out);
                walk_stmts(&t.finalbody, out);
            }
            Stmt::Match(m) => {
                for c in &m.cases {
                    walk_stmts(&c.body, out);
                }
            }
            _ => {}
        }
    }
}

/// Does the function body `yield` this name (`yield s`, `yield from`, not nested defs)?
pub fn yields_name(body: &[Stmt], name: &str) -> bool {
    struct Y<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'a> Visitor<'a> for Y<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                return;
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Yield(y) = expr {
                if let Some(v) = &y.value {
                    if !RefCollector::in_expr(self.name, v).is_empty() {
                        self.found = true;
                    }
                }
            }
            if matches!(expr, Expr::Lambda(_)) {
                return;
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut y = Y { name, found: false };
    for s in body {
        y.visit_stmt(s);
    }
    y.found
}

/// Does the function body contain any `yield`?
pub fn has_yield(body: &[Stmt]) -> bool {
    struct Y(bool);
    impl<'a> Visitor<'a> for Y {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                return;
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if matches!(expr, Expr::Yield(_) | Expr::YieldFrom(_)) {
                self.0 = true;
            }
            if matches!(expr, Expr::Lambda(_)) {
                return;
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut y = Y(false);
    for s in body {
        y.visit_stmt(s);
    }
    y.0
}

/// Start of the line holding `offset`.
pub fn line_start(text: &str, offset: TextSize) -> TextSize {
    let o = offset.to_usize();
    TextSize::try_from(text[..o].rfind('\n').map_or(0, |i| i + 1)).unwrap()
}

/// Offset just past the newline ending the line that holds `offset` (or the text end).
pub fn line_end_incl(text: &str, offset: TextSize) -> TextSize {
    let o = offset.to_usize();
    TextSize::try_from(text[o..].find('\n').map_or(text.len(), |i| o + i + 1)).unwrap()
}

/// The indentation (spaces/tabs) of the line holding `offset`.
pub fn indentation_at(text: &str, offset: TextSize) -> &str {
    let s = line_start(text, offset).to_usize();
    let line = &text[s..];
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

/// A statement owns its lines: nothing but indentation before it, nothing but a comment
/// after it (no `a; b`), so deleting or re-indenting whole lines is exact.
pub fn owns_lines(text: &str, tokens: &Tokens, range: TextRange) -> bool {
    let start = line_start(text, range.start());
    if !text[start.to_usize()..range.start().to_usize()]
        .chars()
        .all(|c| c == ' ' || c == '\t')
    {
        return false;
    }
    // After the statement: only a comment, then the newline.
    for tok in tokens.after(range.end()) {
        match tok.kind() {
            TokenKind::Comment => continue,
            TokenKind::Newline | TokenKind::NonLogicalNewline | TokenKind::EndOfFile => {
                return true
            }
            TokenKind::Dedent | TokenKind::Indent => return true,
            _ => return false,
        }
    }
    true
}

/// The range of the `else:` / `finally:` keyword line of a try clause whose first body
/// statement starts at `body_start`.
pub fn clause_keyword_before(
    tokens: &Tokens,
    body_start: TextSize,
    keyword: TokenKind,
) -> Option<TextSize> {
    tokens
        .before(body_start)
        .iter()
        .rev()
        .find(|t| t.kind() == keyword)
        .map(|t| t.start())
}

/// Whether the first statement of a suite sits on the same line as its header (`try: x()`).
pub fn body_on_header_line(text: &str, header_start: TextSize, body_start: TextSize) -> bool {
    !text[header_start.to_usize()..body_start.to_usize()].contains('\n')
}

/// A function body that makes a value with a call and returns it: `return F(...)`, or
/// `x = F(...)`, statements, `return x` (no other `return`, and `x` is not closed,
/// committed or rolled back on the way). The shape of a session factory function.
pub struct FactoryBody<'a> {
    /// The variable holding it (`None` for `return F(...)`).
    pub var: Option<&'a str>,
    pub call: &'a Expr,
    /// `F()` with no arguments and nothing done to the value before it is returned.
    pub bare: bool,
}

pub fn factory_body(body: &[Stmt]) -> Option<FactoryBody<'_>> {
    let body = match body.first() {
        Some(Stmt::Expr(e)) if matches!(&*e.value, Expr::StringLiteral(_)) => &body[1..],
        _ => body,
    };
    let no_args = |e: &Expr| matches!(e, Expr::Call(c) if c.arguments.args.is_empty() && c.arguments.keywords.is_empty());
    match body {
        [Stmt::Return(r)] => {
            let call = r.value.as_deref().filter(|v| matches!(v, Expr::Call(_)))?;
            Some(FactoryBody {
                var: None,
                call,
                bare: no_args(call),
            })
        }
        [first, middle @ .., Stmt::Return(r)] => {
            let (name, call) = assign_name_target(first)?;
            if !matches!(call, Expr::Call(_)) {
                return None;
            }
            if !matches!(r.value.as_deref(), Some(Expr::Name(n)) if n.id.as_str() == name) {
                return None;
            }
            // Closing or committing it is not making a session for the caller.
            let manages = ["close", "commit", "rollback"]
                .iter()
                .any(|m| middle.iter().any(|s| is_session_call(s, name, m)));
            let mut all = vec![];
            walk_stmts(middle, &mut all);
            let other_exit = all.iter().any(|s| matches!(s, Stmt::Return(_)));
            if manages || other_exit {
                return None;
            }
            Some(FactoryBody {
                var: Some(name),
                call,
                bare: no_args(call) && middle.is_empty(),
            })
        }
        _ => None,
    }
}

/// The names an expression reads (the root of `a.b.c` only), each once, in order.
pub fn names_in(expr: &Expr) -> Vec<String> {
    struct N(Vec<String>);
    impl<'a> Visitor<'a> for N {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(n) => {
                    if !self.0.iter().any(|x| x == n.id.as_str()) {
                        self.0.push(n.id.to_string());
                    }
                }
                Expr::Attribute(a) => self.visit_expr(&a.value),
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut n = N(vec![]);
    n.visit_expr(expr);
    n.0
}
