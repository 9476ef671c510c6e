//! Pass 1: `registry.remove()` calls where a request ends. A `scoped_session` registry used
//! through its proxy while a request is handled, and removed at teardown (a Flask
//! `@app.teardown_appcontext` / `teardown_request` hook, a middleware, a `finally:`), closes
//! each request's session there: a session taken from it without a close is no leak.

use ruff_python_ast::visitor::{walk_stmt, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

use crate::resolve::{FileImports, RootBinding};
use crate::source::SourceFile;
use crate::syntax::{self, dotted, last_segment};

/// One `<registry>.remove()` call at a request's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveCall {
    /// The registry as written (`db_session`, `self.Session`).
    pub registry: String,
    pub binding: RootBinding,
    pub line: usize,
}

/// Hooks that run when a request or app context ends.
fn is_teardown_hook(name: &str) -> bool {
    name.contains("teardown") || matches!(name, "after_request" | "after_this_request")
}

/// Methods of a middleware (WSGI / Django / Starlette) that wrap a request.
fn is_middleware_method(class: &str, method: &str) -> bool {
    class.contains("Middleware")
        && matches!(
            method,
            "__call__" | "process_response" | "process_exception" | "dispatch"
        )
}

/// A function routed as a web view: decorated with `route` / `get` / `post` / ... (Flask,
/// FastAPI, Pyramid's `view_config`, Flask-AppBuilder's `expose`).
pub(crate) fn is_request_handler(f: &ast::StmtFunctionDef) -> bool {
    f.decorator_list.iter().any(|d| {
        let e = match &d.expression {
            Expr::Call(c) => &*c.func,
            e => e,
        };
        dotted(e).is_some_and(|n| {
            matches!(
                last_segment(&n),
                "route"
                    | "get"
                    | "post"
                    | "put"
                    | "patch"
                    | "delete"
                    | "expose"
                    | "view_config"
                    | "api_route"
            )
        })
    })
}

/// Every `X.remove()` statement of the file that runs at a request's end: in a teardown
/// hook (decorated, or registered with `app.teardown_appcontext(f)`), a middleware method,
/// or a `finally:` body.
pub(crate) fn removes(file: &SourceFile, body: &[Stmt], imports: &FileImports) -> Vec<RemoveCall> {
    let registered = registered_hooks(body);
    let mut v = Finder {
        file,
        imports,
        registered: &registered,
        class: vec![],
        at_teardown: 0,
        out: vec![],
    };
    for s in body {
        v.visit_stmt(s);
    }
    v.out
}

/// `app.teardown_appcontext(shutdown_session)`: the functions registered as hooks.
fn registered_hooks(body: &[Stmt]) -> Vec<String> {
    let mut all = vec![];
    syntax::walk_stmts(body, &mut all);
    all.into_iter()
        .filter_map(|s| match s {
            Stmt::Expr(e) => match &*e.value {
                Expr::Call(c) => Some(c),
                _ => None,
            },
            _ => None,
        })
        .filter(|c| dotted(&c.func).is_some_and(|d| is_teardown_hook(last_segment(&d))))
        .filter_map(|c| c.arguments.args.first().and_then(dotted))
        .collect()
}

struct Finder<'a> {
    file: &'a SourceFile,
    imports: &'a FileImports,
    registered: &'a [String],
    class: Vec<String>,
    /// Depth of teardown contexts around the statement being visited.
    at_teardown: usize,
    out: Vec<RemoveCall>,
}

impl Finder<'_> {
    fn is_teardown_function(&self, f: &ast::StmtFunctionDef) -> bool {
        let hooked = f.decorator_list.iter().any(|d| {
            let e = match &d.expression {
                Expr::Call(c) => &*c.func,
                e => e,
            };
            dotted(e).is_some_and(|n| is_teardown_hook(last_segment(&n)))
        });
        let middleware = self
            .class
            .last()
            .is_some_and(|c| is_middleware_method(c, f.name.as_str()));
        hooked || middleware || self.registered.iter().any(|r| r == f.name.as_str())
    }

    fn remove_call(&mut self, stmt: &Stmt) {
        let Stmt::Expr(e) = stmt else { return };
        let Expr::Call(call) = &*e.value else { return };
        let Expr::Attribute(a) = &*call.func else {
            return;
        };
        if a.attr.as_str() != "remove" || !call.arguments.is_empty() {
            return;
        }
        let Some(registry) = dotted(&a.value) else {
            return;
        };
        self.out.push(RemoveCall {
            binding: self.imports.root_binding(&registry),
            registry,
            line: self.file.line_of(stmt.start()),
        });
    }
}

impl<'b> Visitor<'b> for Finder<'_> {
    fn visit_stmt(&mut self, stmt: &'b Stmt) {
        match stmt {
            Stmt::ClassDef(c) => {
                self.class.push(c.name.to_string());
                walk_stmt(self, stmt);
                self.class.pop();
            }
            Stmt::FunctionDef(f) => {
                let hook = usize::from(self.is_teardown_function(f));
                // A nested function runs when called, not where it is defined.
                let outer = std::mem::replace(&mut self.at_teardown, hook);
                let classes = std::mem::take(&mut self.class);
                for s in &f.body {
                    self.visit_stmt(s);
                }
                self.class = classes;
                self.at_teardown = outer;
            }
            Stmt::Try(t) => {
                for s in t.body.iter().chain(&t.orelse) {
                    self.visit_stmt(s);
                }
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    for s in &h.body {
                        self.visit_stmt(s);
                    }
                }
                self.at_teardown += 1;
                for s in &t.finalbody {
                    self.visit_stmt(s);
                }
                self.at_teardown -= 1;
            }
            _ => {
                if self.at_teardown > 0 {
                    self.remove_call(stmt);
                }
                walk_stmt(self, stmt);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removes_of(src: &str) -> Vec<(String, usize)> {
        let file = SourceFile::from_text(std::path::Path::new("app.py"), src.to_string());
        let parsed = ruff_python_parser::parse_module(src).unwrap();
        let imports = FileImports::collect("app", false, &parsed.syntax().body);
        removes(&file, &parsed.syntax().body, &imports)
            .into_iter()
            .map(|r| (r.registry, r.line))
            .collect()
    }

    #[test]
    fn teardown_hooks_middleware_and_finally() {
        let src = "\
@app.teardown_appcontext
def shutdown(exc=None):
    db_session.remove()

def other():
    db_session.remove()

def closing():
    Session.remove()
app.teardown_request(closing)

class DbMiddleware:
    def __call__(self, environ, start):
        try:
            return self.app(environ, start)
        finally:
            pass
    def process_response(self, request, response):
        Registry.remove()
        return response

def handle():
    try:
        work()
    finally:
        Scoped.remove()
";
        assert_eq!(
            removes_of(src),
            vec![
                ("db_session".to_string(), 3),
                ("Session".to_string(), 9),
                ("Registry".to_string(), 19),
                ("Scoped".to_string(), 26),
            ]
        );
    }

    #[test]
    fn list_remove_and_plain_calls_are_not_teardown() {
        let src = "\
def f(xs):
    try:
        pass
    finally:
        xs.remove(1)
        db_session.remove()
";
        assert_eq!(removes_of(src), vec![("db_session".to_string(), 6)]);
    }
}
