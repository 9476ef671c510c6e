//! Pass 1: guard shapes beyond a decorated generator. A function that *returns* a guard
//! (`return _scope()` of a nested `@contextmanager`, `return contextmanager(gen)()`,
//! `return SessionLocal.begin()`), and a class whose `__enter__` hands out a session and
//! whose `__exit__` commits, rolls back or closes it.

use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::lifecycle::{Lifecycle, RollbackOn};
use crate::syntax::{self, dotted, last_segment};

/// A guard a function returns: who makes its session and what it does around the body.
pub(crate) struct ReturnedGuard {
    pub created_by: String,
    pub lifecycle: Lifecycle,
    pub is_async: bool,
}

pub(crate) fn is_context_manager_decorated(f: &ast::StmtFunctionDef) -> bool {
    f.decorator_list.iter().any(|d| {
        let e = match &d.expression {
            Expr::Call(c) => &*c.func,
            e => e,
        };
        dotted(e)
            .is_some_and(|n| matches!(last_segment(&n), "contextmanager" | "asynccontextmanager"))
    })
}

/// `def get_db_session(): ... return <guard>`: the guard it returns, when its shape is one
/// of ours. `yielded` derives a decorated generator's session and lifecycle.
pub(crate) fn returned_guard(
    f: &ast::StmtFunctionDef,
    module_body: &[Stmt],
    yielded: impl Fn(&ast::StmtFunctionDef) -> Option<(String, Option<Lifecycle>)>,
) -> Option<ReturnedGuard> {
    let returned = f.body.iter().rev().find_map(|s| match s {
        Stmt::Return(r) => r.value.as_deref(),
        _ => None,
    })?;
    let Expr::Call(call) = returned else {
        return None;
    };
    // `return SessionLocal.begin()`: SQLAlchemy's own guard.
    if let Expr::Attribute(a) = &*call.func {
        if a.attr.as_str() == "begin" && call.arguments.is_empty() {
            return Some(ReturnedGuard {
                created_by: dotted(&a.value)?,
                lifecycle: Lifecycle::SQLALCHEMY_BEGIN,
                is_async: false,
            });
        }
    }
    let generator = match &*call.func {
        // `return _scope()` / `return _scope(arg)`: a decorated function of this body or
        // of the module.
        Expr::Name(n) => find_def(&f.body, n.id.as_str())
            .or_else(|| find_def(module_body, n.id.as_str()))
            .filter(|g| is_context_manager_decorated(g))?,
        // `return contextmanager(gen)()`.
        Expr::Call(inner) => {
            let wraps = dotted(&inner.func).is_some_and(|d| {
                matches!(last_segment(&d), "contextmanager" | "asynccontextmanager")
            });
            let Some(Expr::Name(g)) = inner.arguments.args.first() else {
                return None;
            };
            if !wraps {
                return None;
            }
            find_def(&f.body, g.id.as_str()).or_else(|| find_def(module_body, g.id.as_str()))?
        }
        _ => return None,
    };
    let (created_by, lifecycle) = yielded(generator)?;
    Some(ReturnedGuard {
        created_by,
        lifecycle: lifecycle?,
        is_async: generator.is_async,
    })
}

fn find_def<'a>(body: &'a [Stmt], name: &str) -> Option<&'a ast::StmtFunctionDef> {
    body.iter().find_map(|s| match s {
        Stmt::FunctionDef(g) if g.name.as_str() == name => Some(g),
        _ => None,
    })
}

/// A class-based guard: `__enter__` returns the session (the instance itself when the class
/// is a `Session`, or `self.<attr>`), `__exit__` commits / rolls back / closes it.
pub(crate) struct ClassGuard {
    pub created_by: String,
    pub lifecycle: Lifecycle,
    pub is_async: bool,
}

pub(crate) fn class_guard(c: &ast::StmtClassDef) -> Option<ClassGuard> {
    let method = |names: [&str; 2]| {
        c.body.iter().find_map(|s| match s {
            Stmt::FunctionDef(f) if names.contains(&f.name.as_str()) => Some(f),
            _ => None,
        })
    };
    let enter = method(["__enter__", "__aenter__"])?;
    let exit = method(["__exit__", "__aexit__"])?;
    let is_async = enter.name.as_str() == "__aenter__";
    let is_session =
        c.arguments.iter().flat_map(|a| a.args.iter()).any(|b| {
            dotted(b).is_some_and(|d| matches!(last_segment(&d), "Session" | "AsyncSession"))
        });
    // `return super().__enter__()` on a Session subclass: SQLAlchemy's returns `self`.
    let returned = enter.body.iter().rev().find_map(|s| match s {
        Stmt::Return(r) => r.value.as_deref().and_then(|v| {
            dotted(v)
                .or_else(|| (is_session && is_super_call(v, "__enter__")).then(|| "self".into()))
        }),
        _ => None,
    })?;
    let created_by = if returned == "self" {
        if !is_session {
            return None;
        }
        "Session".to_string()
    } else {
        let attr = returned.strip_prefix("self.")?;
        attribute_creator(c, attr)?
    };
    let mut lifecycle = exit_lifecycle(&exit.body, &returned)?;
    // `super().__exit__(...)` of a Session subclass closes it, on every path when it sits at
    // the top of `__exit__` or in its top-level `finally`.
    let super_exit = |stmts: &[Stmt]| {
        stmts
            .iter()
            .any(|s| matches!(s, Stmt::Expr(e) if is_super_call(&e.value, "__exit__")))
    };
    if is_session
        && (super_exit(&exit.body)
            || exit
                .body
                .iter()
                .any(|s| matches!(s, Stmt::Try(t) if super_exit(&t.finalbody))))
    {
        lifecycle.closes = true;
    }
    Some(ClassGuard {
        created_by,
        lifecycle,
        is_async,
    })
}

/// `super().<method>(...)`, awaited or not.
fn is_super_call(e: &Expr, method: &str) -> bool {
    let e = match e {
        Expr::Await(a) => &*a.value,
        e => e,
    };
    let Expr::Call(call) = e else { return false };
    let Expr::Attribute(a) = &*call.func else {
        return false;
    };
    let Expr::Call(inner) = &*a.value else {
        return false;
    };
    a.attr.as_str() == method && dotted(&inner.func).as_deref() == Some("super")
}

/// `self.<attr> = F(...)` in any method of the class: `F`.
fn attribute_creator(c: &ast::StmtClassDef, attr: &str) -> Option<String> {
    c.body.iter().find_map(|s| {
        let Stmt::FunctionDef(f) = s else { return None };
        let mut all = vec![];
        syntax::walk_stmts(&f.body, &mut all);
        all.into_iter().find_map(|s| {
            let Stmt::Assign(a) = s else { return None };
            let [Expr::Attribute(t)] = &a.targets[..] else {
                return None;
            };
            let value = match &*a.value {
                Expr::Await(w) => &*w.value,
                v => v,
            };
            let Expr::Call(call) = value else { return None };
            (t.attr.as_str() == attr && dotted(&t.value).as_deref() == Some("self"))
                .then(|| dotted(&call.func))
                .flatten()
        })
    })
}

/// What `__exit__` does to `receiver` (`self` or `self.session`). `None` when it swallows
/// errors in a way we cannot read.
fn exit_lifecycle(body: &[Stmt], receiver: &str) -> Option<Lifecycle> {
    let mut all = vec![];
    syntax::walk_stmts(body, &mut all);
    let calls = |method: &str| all.iter().any(|s| receiver_call(s, receiver, method));
    // Closing on every path: at the top of `__exit__` or in a top-level `finally`.
    let top_close = |stmts: &[Stmt]| stmts.iter().any(|s| receiver_call(s, receiver, "close"));
    let closes = top_close(body)
        || body
            .iter()
            .any(|s| matches!(s, Stmt::Try(t) if top_close(&t.finalbody)));
    // `return True` (or any non-false return) swallows the exception.
    let swallows = all.iter().any(|s| {
        matches!(s, Stmt::Return(r) if r.value.as_deref().is_some_and(|v| !matches!(v,
            Expr::BooleanLiteral(b) if !b.value) && !matches!(v, Expr::NoneLiteral(_))))
    });
    let translates = all
        .iter()
        .any(|s| matches!(s, Stmt::Raise(r) if r.exc.is_some()));
    let rolls_back = calls("rollback");
    Some(Lifecycle {
        commits: calls("commit"),
        rollback_on: if rolls_back {
            RollbackOn::BaseException
        } else {
            RollbackOn::Never
        },
        reraises: !swallows,
        translates,
        closes,
    })
}

/// `<receiver>.<method>(...)` (awaited or not) as a statement; `receiver` may be dotted.
fn receiver_call(s: &Stmt, receiver: &str, method: &str) -> bool {
    let Stmt::Expr(e) = s else { return false };
    syntax::called_attribute(&e.value)
        .is_some_and(|a| a.attr.as_str() == method && dotted(&a.value).as_deref() == Some(receiver))
}

/// Names of the required parameters of a guard (no default, not `self` / `cls`, not
/// `*args` / `**kwargs`): callers must pass them.
pub(crate) fn required_params(f: &ast::StmtFunctionDef) -> Vec<String> {
    let p = &f.parameters;
    p.posonlyargs
        .iter()
        .chain(p.args.iter())
        .chain(p.kwonlyargs.iter())
        .filter(|a| a.default.is_none())
        .map(|a| a.parameter.name.to_string())
        .filter(|n| !matches!(n.as_str(), "self" | "cls"))
        .collect()
}
