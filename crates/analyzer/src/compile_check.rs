//! The errors CPython's compiler raises that the parser accepts: `await`, `async with` and
//! `async for` outside an async function; `return` and `yield` outside a function;
//! `break` and `continue` outside a loop. A rewrite must not add any (the parser alone
//! would let `await` in a sync function through).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ModModule, Stmt};
use ruff_text_size::{Ranged, TextSize};

/// One thing `compile()` would refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CompileError {
    AwaitOutsideAsync,
    AsyncWithOutsideAsync,
    AsyncForOutsideAsync,
    ReturnOutsideFunction,
    YieldOutsideFunction,
    BreakOutsideLoop,
    ContinueOutsideLoop,
}

impl CompileError {
    pub fn describe(self) -> &'static str {
        match self {
            CompileError::AwaitOutsideAsync => "`await` outside an async function",
            CompileError::AsyncWithOutsideAsync => "`async with` outside an async function",
            CompileError::AsyncForOutsideAsync => "`async for` outside an async function",
            CompileError::ReturnOutsideFunction => "`return` outside a function",
            CompileError::YieldOutsideFunction => "`yield` outside a function",
            CompileError::BreakOutsideLoop => "`break` outside a loop",
            CompileError::ContinueOutsideLoop => "`continue` outside a loop",
        }
    }
}

/// Where code runs: in a function (async or not), inside how many loops of it.
#[derive(Clone, Copy)]
struct Scope {
    function: bool,
    is_async: bool,
    loops: usize,
}

impl Scope {
    /// A module or class body: not a function, no loop around it.
    const OUTSIDE_FUNCTIONS: Scope = Scope {
        function: false,
        is_async: false,
        loops: 0,
    };

    /// The body of a function (or lambda); loops outside it do not count.
    fn function(is_async: bool) -> Scope {
        Scope {
            function: true,
            is_async,
            loops: 0,
        }
    }
}

struct Checker {
    scope: Scope,
    found: Vec<(CompileError, TextSize)>,
}

/// Every compile error of `module`, with where it starts, in source order.
pub fn compile_errors(module: &ModModule) -> Vec<(CompileError, TextSize)> {
    let mut c = Checker {
        scope: Scope::OUTSIDE_FUNCTIONS,
        found: vec![],
    };
    c.visit_body(&module.body);
    c.found.sort_by_key(|&(_, at)| at);
    c.found
}

impl Checker {
    fn within(&mut self, scope: Scope, f: impl FnOnce(&mut Self)) {
        let outer = std::mem::replace(&mut self.scope, scope);
        f(self);
        self.scope = outer;
    }

    fn report(&mut self, error: CompileError, at: TextSize) {
        self.found.push((error, at));
    }

    fn loop_body<'a>(&mut self, body: &'a [Stmt], orelse: &'a [Stmt]) {
        let inner = Scope {
            loops: self.scope.loops + 1,
            ..self.scope
        };
        self.within(inner, |c| c.visit_body(body));
        // `else:` runs after the loop: a `break` there is the enclosing loop's.
        self.visit_body(orelse);
    }
}

impl<'a> Visitor<'a> for Checker {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let at = stmt.start();
        match stmt {
            Stmt::FunctionDef(f) => {
                // Decorators, defaults and annotations run in the enclosing scope.
                for d in &f.decorator_list {
                    self.visit_decorator(d);
                }
                self.visit_parameters(&f.parameters);
                if let Some(r) = &f.returns {
                    self.visit_annotation(r);
                }
                self.within(Scope::function(f.is_async), |c| c.visit_body(&f.body));
            }
            Stmt::ClassDef(class) => {
                for d in &class.decorator_list {
                    self.visit_decorator(d);
                }
                if let Some(args) = &class.arguments {
                    self.visit_arguments(args);
                }
                self.within(Scope::OUTSIDE_FUNCTIONS, |c| c.visit_body(&class.body));
            }
            Stmt::For(f) => {
                if f.is_async && !self.scope.is_async {
                    self.report(CompileError::AsyncForOutsideAsync, at);
                }
                self.visit_expr(&f.target);
                self.visit_expr(&f.iter);
                self.loop_body(&f.body, &f.orelse);
            }
            Stmt::While(w) => {
                self.visit_expr(&w.test);
                self.loop_body(&w.body, &w.orelse);
            }
            Stmt::With(w) => {
                if w.is_async && !self.scope.is_async {
                    self.report(CompileError::AsyncWithOutsideAsync, at);
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Return(_) if !self.scope.function => {
                self.report(CompileError::ReturnOutsideFunction, at);
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Break(_) if self.scope.loops == 0 => {
                self.report(CompileError::BreakOutsideLoop, at)
            }
            Stmt::Continue(_) if self.scope.loops == 0 => {
                self.report(CompileError::ContinueOutsideLoop, at)
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        let at = expr.start();
        match expr {
            Expr::Await(_) if !self.scope.is_async => {
                self.report(CompileError::AwaitOutsideAsync, at)
            }
            Expr::Yield(_) | Expr::YieldFrom(_) if !self.scope.function => {
                self.report(CompileError::YieldOutsideFunction, at)
            }
            Expr::Lambda(l) => {
                if let Some(p) = &l.parameters {
                    self.visit_parameters(p);
                }
                self.within(Scope::function(false), |c| c.visit_expr(&l.body));
                return;
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

/// The first compile error `after` has more of than `before` (a count per kind: moving
/// code is fine, adding an error is not), with where it is in `after`.
pub fn added_compile_error(
    before: &ModModule,
    after: &ModModule,
) -> Option<(CompileError, TextSize)> {
    let count = |m: &ModModule| {
        let mut n = std::collections::HashMap::new();
        for (e, _) in compile_errors(m) {
            *n.entry(e).or_insert(0usize) += 1;
        }
        n
    };
    let was = count(before);
    let mut seen = std::collections::HashMap::new();
    compile_errors(after).into_iter().find(|(e, _)| {
        let k = seen.entry(*e).or_insert(0usize);
        *k += 1;
        *k > was.get(e).copied().unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> Vec<CompileError> {
        let parsed = crate::parse_text(src).unwrap();
        compile_errors(parsed.syntax())
            .into_iter()
            .map(|(e, _)| e)
            .collect()
    }

    #[test]
    fn each_error_outside_its_context_is_found() {
        use CompileError::*;
        let src = "await x\nasync with a: pass\nasync for i in y: pass\nreturn 1\nyield 2\n\
                   break\ncontinue\n";
        assert_eq!(
            errors(src),
            [
                AwaitOutsideAsync,
                AsyncWithOutsideAsync,
                AsyncForOutsideAsync,
                ReturnOutsideFunction,
                YieldOutsideFunction,
                BreakOutsideLoop,
                ContinueOutsideLoop
            ]
        );
    }

    #[test]
    fn the_same_code_in_its_context_is_clean() {
        let src = "async def f():\n    await x\n    async with a:\n        pass\n    \
                   async for i in y:\n        break\n    return [await z for z in w]\n\
                   def g():\n    yield 1\n    while True:\n        continue\n    return\n\
                   for i in x:\n    if i:\n        break\n";
        assert_eq!(errors(src), []);
    }

    #[test]
    fn functions_lambdas_and_classes_reset_what_is_allowed() {
        use CompileError::*;
        let src = "async def f():\n    def g():\n        await x\n    \
                   h = lambda: (await y)\n    class C:\n        return 1\n\
                   for i in x:\n    def k():\n        break\n\
                   while x:\n    pass\nelse:\n    continue\n";
        assert_eq!(
            errors(src),
            [
                AwaitOutsideAsync,
                AwaitOutsideAsync,
                ReturnOutsideFunction,
                BreakOutsideLoop,
                ContinueOutsideLoop
            ]
        );
    }

    #[test]
    fn only_errors_the_new_text_adds_count() {
        let before = crate::parse_text("return 1\n").unwrap();
        let moved = crate::parse_text("x = 1\nreturn 1\n").unwrap();
        let added = crate::parse_text("def f():\n    pass\nawait g()\n").unwrap();
        assert_eq!(added_compile_error(before.syntax(), moved.syntax()), None);
        assert_eq!(
            added_compile_error(before.syntax(), added.syntax()).map(|(e, _)| e),
            Some(CompileError::AwaitOutsideAsync)
        );
    }
}
