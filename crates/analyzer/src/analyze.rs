//! Pass 2: find and classify the manual blocks of one parsed file.

use ruff_python_ast::{self as ast, Expr, ModModule, Stmt};
use ruff_python_parser::Parsed;
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::finding::{Kind, Safety};
use crate::index::ProjectIndex;
use crate::provenance::NotDatabase;
use crate::rewrite::Rewrite;
use crate::rules::{self, manual_block, Ctx, Scope};
use crate::source::SourceFile;
use crate::syntax;

/// One manual block or report-only shape, classified.
#[derive(Debug, Clone)]
pub struct Finding {
    pub kind: Kind,
    pub safety: Safety,
    /// One line: why this class.
    pub reason: String,
    /// The lines `reason` names, as references into its text (a follow-up's reason is
    /// renumbered to the original text's lines through them).
    pub reason_lines: Vec<codemod_core::reason::LineRef>,
    /// The statement the finding is about (creation, `with`, commit...).
    pub range: TextRange,
    /// 1-based line and column of `range.start()`.
    pub line: usize,
    pub column: usize,
    /// Present for `Safe` and `Review`; `None` for `Manual`.
    pub rewrite: Option<Rewrite>,
}

/// All findings of a file, in source order.
pub fn analyze(
    file: &SourceFile,
    parsed: &Parsed<ModModule>,
    index: &ProjectIndex,
) -> Vec<Finding> {
    analyze_counting(file, parsed, index).0
}

/// `analyze`, and the calls named like session factories that were left out because they
/// do not resolve to SQLAlchemy or SQLModel (`requests.Session()`), in source order.
pub fn analyze_counting(
    file: &SourceFile,
    parsed: &Parsed<ModModule>,
    index: &ProjectIndex,
) -> (Vec<Finding>, Vec<NotDatabase>) {
    let module = parsed.syntax();
    let stem = file
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    let module_name = index.module_of(&file.path).unwrap_or(stem.clone());
    let mut ctx = Ctx {
        file,
        text: &file.text,
        tokens: parsed.tokens(),
        index,
        imports: crate::resolve::FileImports::collect(
            &module_name,
            stem == "__init__",
            &module.body,
        ),
        findings: vec![],
    };
    let scope = Scope {
        body: &module.body,
        is_async: false,
        is_guard: false,
        is_module: true,
        params: vec![],
        request_handler: false,
    };
    let mut w = Walker {
        ctx: &mut ctx,
        module_body: &module.body,
        module_name: &module_name,
        not_database: vec![],
    };
    w.suite(&scope, &module.body, None, "    ", None);
    let mut not_database = std::mem::take(&mut w.not_database);
    not_database.sort_by_key(|n| n.line);
    not_database.dedup();
    let mut findings = ctx.findings;
    findings.sort_by_key(|f| (f.range.start(), f.kind));
    findings.dedup_by(|a, b| a.range == b.range && a.kind == b.kind);
    (findings, not_database)
}

struct Walker<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    module_body: &'c [Stmt],
    module_name: &'c str,
    not_database: Vec<NotDatabase>,
}

impl Walker<'_, '_> {
    /// A call that makes a session of another library (or of nothing we can resolve) where
    /// a block could start: counted, never a finding.
    fn left_out(&mut self, expr: &Expr, at: TextSize) {
        let expr = match expr {
            Expr::Await(a) => &*a.value,
            e => e,
        };
        let ctx = &*self.ctx;
        if ctx
            .index
            .guard_call(expr, &ctx.imports, &ctx.file.path)
            .is_some()
        {
            return;
        }
        if let Some((callee, origin)) = ctx.index.not_database(expr, &ctx.imports) {
            let line = ctx.line(at);
            self.not_database.push(NotDatabase {
                line,
                callee,
                origin,
            });
        }
    }

    /// `top_level`: `f` is a statement of the module's own body.
    fn function(&mut self, f: &ast::StmtFunctionDef, top_level: bool) {
        let decorated = crate::guards::is_context_manager_decorated(f);
        // A module-level function that returns the session it makes is a factory: its
        // session belongs to the caller.
        let factory = top_level
            && self
                .ctx
                .index
                .is_factory_fn(&format!("{}.{}", self.module_name, f.name));
        let scope = Scope {
            body: &f.body,
            is_async: f.is_async,
            is_guard: decorated || factory,
            is_module: false,
            params: f.parameters.iter().map(|p| p.name().to_string()).collect(),
            request_handler: crate::teardown::is_request_handler(f),
        };
        let unit = f
            .body
            .first()
            .and_then(|b| self.ctx.indent_unit(f.start(), b.start()))
            .unwrap_or_else(|| "    ".to_string());
        self.suite(&scope, &f.body, None, &unit, None);
    }

    /// Visit a suite. `parent_try` is set when the suite is a `try:` body (with the suite
    /// and index of the try); `in_loop` holds the start of the innermost enclosing loop.
    fn suite<'s>(
        &mut self,
        scope: &Scope<'s>,
        suite: &'s [Stmt],
        parent_try: Option<(&'s ast::StmtTry, &'s [Stmt], usize)>,
        unit: &str,
        in_loop: Option<TextSize>,
    ) {
        for (i, stmt) in suite.iter().enumerate() {
            self.creation(scope, suite, i, parent_try, unit, in_loop);
            match stmt {
                Stmt::FunctionDef(f) => self.function(f, std::ptr::eq(suite, self.module_body)),
                Stmt::ClassDef(c) => {
                    let class_scope = Scope {
                        body: &c.body,
                        is_async: false,
                        is_guard: false,
                        is_module: true,
                        params: vec![],
                        request_handler: false,
                    };
                    self.suite(&class_scope, &c.body, None, unit, None);
                }
                Stmt::With(w) => {
                    for item in &w.items {
                        self.left_out(&item.context_expr, item.start());
                    }
                    if !scope.is_guard {
                        rules::raw_factory_with::check(self.ctx, scope, w);
                        rules::double_transaction::check(self.ctx, scope, w);
                    }
                    self.suite(scope, &w.body, None, unit, in_loop);
                }
                Stmt::For(f) => {
                    self.suite(scope, &f.body, None, unit, Some(f.start()));
                    self.suite(scope, &f.orelse, None, unit, in_loop);
                }
                Stmt::While(w) => {
                    self.suite(scope, &w.body, None, unit, Some(w.start()));
                    self.suite(scope, &w.orelse, None, unit, in_loop);
                }
                Stmt::If(s) => {
                    self.suite(scope, &s.body, None, unit, in_loop);
                    for c in &s.elif_else_clauses {
                        self.suite(scope, &c.body, None, unit, in_loop);
                    }
                }
                Stmt::Try(t) => {
                    self.suite(scope, &t.body, Some((t, suite, i)), unit, in_loop);
                    for h in &t.handlers {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        self.suite(scope, &h.body, None, unit, in_loop);
                    }
                    self.suite(scope, &t.orelse, None, unit, in_loop);
                    self.suite(scope, &t.finalbody, None, unit, in_loop);
                }
                Stmt::Match(m) => {
                    for c in &m.cases {
                        self.suite(scope, &c.body, None, unit, in_loop);
                    }
                }
                _ => {}
            }
        }
    }

    /// `x = F()` / `self.x = F()`: dispatch to the rule that owns the shape.
    fn creation<'s>(
        &mut self,
        scope: &Scope<'s>,
        suite: &'s [Stmt],
        i: usize,
        parent_try: Option<(&'s ast::StmtTry, &'s [Stmt], usize)>,
        unit: &str,
        in_loop: Option<TextSize>,
    ) {
        let stmt = &suite[i];
        let (target, value) = match stmt {
            Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], &*a.value),
            Stmt::AnnAssign(a) => match &a.value {
                Some(v) => (&*a.target, &**v),
                None => return,
            },
            _ => return,
        };
        let value = match value {
            Expr::Await(a) => &*a.value,
            v => v,
        };
        let Some(factory) = self.ctx.index.factory_call(value, &self.ctx.imports) else {
            self.left_out(value, stmt.start());
            return;
        };
        if scope.is_guard {
            return;
        }
        match target {
            Expr::Attribute(_) | Expr::Subscript(_) => {
                rules::shared_session::check_attribute(self.ctx, stmt, target)
            }
            Expr::Name(n) => {
                let name = n.id.as_str();
                if syntax::yields_name(scope.body, name) {
                    return; // a generator dependency: `db = F(); try: yield db ...`
                }
                if scope.is_module {
                    rules::shared_session::check_global(self.ctx, stmt, name);
                } else if let Some(loop_start) = in_loop {
                    rules::session_per_iteration::check(self.ctx, stmt, loop_start);
                } else {
                    let site = manual_block::Site {
                        suite,
                        index: i,
                        parent_try,
                        unit,
                    };
                    manual_block::check(self.ctx, scope, site, name, factory);
                }
            }
            _ => {}
        }
    }
}
