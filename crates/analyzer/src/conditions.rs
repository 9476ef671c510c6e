//! Conditions inside a guard's body, evaluated for a call that passes no arguments beyond
//! what the session needs: `if session.get_transaction() and not read_only: commit()`,
//! `if need_rollback: rollback()`, `if not exception_filter or not exception_filter(err):
//! raise`. Parameters take their defaults, locals the literal they were last given on
//! every path; anything else is unknown, and an unknown condition around a commit,
//! rollback or re-raise leaves the lifecycle underived.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use ruff_python_ast::{self as ast, BoolOp, CmpOp, Expr, Stmt, UnaryOp};

use crate::syntax::{self, dotted};

/// What a name holds at a point of the guard's body, when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    None,
    Bool(bool),
    /// A literal other than `None` / `True` / `False`, known only by its truth.
    Truthy(bool),
    /// Given by the caller or computed: nothing known.
    Unknown,
}

impl Value {
    fn of_literal(e: &Expr) -> Value {
        match e {
            Expr::NoneLiteral(_) => Value::None,
            Expr::BooleanLiteral(b) => Value::Bool(b.value),
            Expr::NumberLiteral(n) => Value::Truthy(!matches!(
                &n.value,
                ast::Number::Int(i) if i.as_u8() == Some(0)
            )),
            Expr::StringLiteral(s) => Value::Truthy(!s.value.to_str().is_empty()),
            _ => Value::Unknown,
        }
    }

    fn truth(self) -> Option<bool> {
        match self {
            Value::None => Some(false),
            Value::Bool(b) | Value::Truthy(b) => Some(b),
            Value::Unknown => None,
        }
    }
}

/// The names a guard's conditions can read, and which of its parameters they did read
/// (shared by clones: one guard, one record).
#[derive(Clone)]
pub(crate) struct Env {
    values: HashMap<String, Value>,
    params: BTreeSet<String>,
    /// The session the guard yields: its own state (`session.get_transaction()`) is taken
    /// to be the one a body leaves, with work to commit.
    session: String,
    consulted: Rc<RefCell<BTreeSet<String>>>,
}

impl Env {
    /// The parameters of `f` at their defaults (none: unknown), for the session `session`.
    pub fn at_defaults(f: &ast::Parameters, session: &str) -> Env {
        let mut values = HashMap::new();
        let mut params = BTreeSet::new();
        for p in f.posonlyargs.iter().chain(&f.args).chain(&f.kwonlyargs) {
            let name = p.parameter.name.to_string();
            let value = p
                .default
                .as_deref()
                .map_or(Value::Unknown, Value::of_literal);
            values.insert(name.clone(), value);
            params.insert(name);
        }
        values.insert(session.to_string(), Value::Unknown);
        Env {
            values,
            params,
            session: session.to_string(),
            consulted: Rc::default(),
        }
    }

    /// Run `stmts` in order: `x = <literal>` at their top level sets `x`; any other binding
    /// of a name, at any depth, makes it unknown.
    pub fn run(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            if let Some((name, value)) = syntax::assign_name_target(s) {
                self.values
                    .insert(name.to_string(), Value::of_literal(value));
                continue;
            }
            self.forget(std::slice::from_ref(s));
        }
    }

    /// Every name `stmts` bind, at any depth, becomes unknown.
    pub fn forget(&mut self, stmts: &[Stmt]) {
        let mut all = vec![];
        syntax::walk_stmts(stmts, &mut all);
        for inner in all {
            for name in bound_names(inner) {
                self.values.insert(name, Value::Unknown);
            }
        }
    }

    /// The parameters a condition has read so far: passing them changes the lifecycle.
    pub fn consulted(&self) -> Vec<String> {
        self.consulted.borrow().iter().cloned().collect()
    }

    fn read(&self, name: &str) -> Value {
        if self.params.contains(name) {
            self.consulted.borrow_mut().insert(name.to_string());
        }
        self.values.get(name).copied().unwrap_or(Value::Unknown)
    }

    /// The truth of `e`, when it is known.
    pub fn truth(&self, e: &Expr) -> Option<bool> {
        match e {
            Expr::BoolOp(b) => self.bool_op(b),
            Expr::UnaryOp(u) if u.op == UnaryOp::Not => self.truth(&u.operand).map(|t| !t),
            Expr::Compare(c) => self.compare(c),
            Expr::Name(n) => self.read(n.id.as_str()).truth(),
            Expr::Call(_) | Expr::Attribute(_) if self.session_has_work(e) => Some(true),
            // `exception_filter(err)` with `exception_filter` None is never reached; with a
            // value it is the caller's function.
            Expr::Call(c) => {
                if let Some(n) = dotted(&c.func).filter(|n| !n.contains('.')) {
                    self.read(&n);
                }
                None
            }
            e => Value::of_literal(e).truth(),
        }
    }

    /// `a and b` / `a or b`, short-circuiting as Python does: what the right side would
    /// read is not consulted when the left side decides.
    fn bool_op(&self, b: &ast::ExprBoolOp) -> Option<bool> {
        let decides = b.op == BoolOp::Or;
        let mut all_known = true;
        for v in &b.values {
            match self.truth(v) {
                Some(t) if t == decides => return Some(decides),
                Some(_) => {}
                None => all_known = false,
            }
        }
        all_known.then_some(!decides)
    }

    /// `x is None`, `x is not None`, `x == <literal>`.
    fn compare(&self, c: &ast::ExprCompare) -> Option<bool> {
        let ([op], [right]) = (&c.ops[..], &c.comparators[..]) else {
            return None;
        };
        let left = match &*c.left {
            Expr::Name(n) => self.read(n.id.as_str()),
            _ => return None,
        };
        let right = Value::of_literal(right);
        if left == Value::Unknown || right == Value::Unknown {
            return None;
        }
        match op {
            CmpOp::Is | CmpOp::Eq => Some(left == right),
            CmpOp::IsNot | CmpOp::NotEq => Some(left != right),
            _ => None,
        }
    }

    /// `session.get_transaction()`, `session.in_transaction()`, `session.is_active`: true
    /// for a body that did work (when it did none, committing nothing changes nothing).
    fn session_has_work(&self, e: &Expr) -> bool {
        let (receiver, attr) = match e {
            Expr::Call(c) if c.arguments.is_empty() => match &*c.func {
                Expr::Attribute(a) => (&*a.value, a.attr.as_str()),
                _ => return false,
            },
            Expr::Attribute(a) => (&*a.value, a.attr.as_str()),
            _ => return false,
        };
        let called = matches!(e, Expr::Call(_));
        dotted(receiver).as_deref() == Some(self.session.as_str())
            && match attr {
                "get_transaction" | "in_transaction" => called,
                "is_active" => !called,
                _ => false,
            }
    }
}

/// Names a statement binds, other than through a plain `x = ...` handled by `Env::run`.
fn bound_names(s: &Stmt) -> Vec<String> {
    let mut out = vec![];
    let mut target = |t: &Expr| {
        if let Expr::Name(n) = t {
            out.push(n.id.to_string());
        }
    };
    match s {
        Stmt::Assign(a) => a.targets.iter().for_each(&mut target),
        Stmt::AugAssign(a) => target(&a.target),
        Stmt::AnnAssign(a) => target(&a.target),
        Stmt::For(f) => target(&f.target),
        Stmt::With(w) => w
            .items
            .iter()
            .filter_map(|i| i.optional_vars.as_deref())
            .for_each(&mut target),
        _ => {}
    }
    out
}

/// Whether `stmts`, run in order from `env`, call `session.<method>()` for a caller at the
/// defaults: the call itself, or inside an `if` (without `else`) whose condition holds.
/// `None` when such an `if` depends on something unknown.
pub(crate) fn calls_method(
    env: &mut Env,
    stmts: &[Stmt],
    session: &str,
    method: &str,
) -> Option<bool> {
    let mut found = false;
    for s in stmts {
        if syntax::is_session_call(s, session, method) {
            found = true;
        } else if let Stmt::If(i) = s {
            let branches =
                std::iter::once(&i.body).chain(i.elif_else_clauses.iter().map(|c| &c.body));
            if branches
                .into_iter()
                .any(|b| mentions_call(b, session, method))
            {
                if !i.elif_else_clauses.is_empty() {
                    return None;
                }
                if env.truth(&i.test)? {
                    found |= calls_method(env, &i.body, session, method)?;
                }
            }
        }
        env.run(std::slice::from_ref(s));
    }
    Some(found)
}

fn mentions_call(stmts: &[Stmt], session: &str, method: &str) -> bool {
    let mut all = vec![];
    syntax::walk_stmts(stmts, &mut all);
    all.iter()
        .any(|s| syntax::is_session_call(s, session, method))
}

/// How a handler ends for a caller at the defaults: `Some(true)` when it re-raises
/// (`raise`, or `if <holds>: raise` last), `Some(false)` when it does not, `None` when
/// that depends on something unknown.
pub(crate) fn handler_reraises(env: &Env, body: &[Stmt]) -> Option<bool> {
    match body.last() {
        Some(Stmt::Raise(r)) if r.exc.is_none() => Some(true),
        Some(Stmt::If(i)) if i.elif_else_clauses.is_empty() => match i.body.last() {
            Some(Stmt::Raise(r)) if r.exc.is_none() => env.truth(&i.test),
            _ => Some(false),
        },
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(src: &str) -> ast::StmtFunctionDef {
        let parsed = ruff_python_parser::parse_module(src).expect("parses");
        match parsed.into_syntax().body.remove(0) {
            Stmt::FunctionDef(f) => f,
            _ => panic!("a function"),
        }
    }

    fn cond(env: &Env, src: &str) -> Option<bool> {
        let parsed = ruff_python_parser::parse_expression(src).expect("parses");
        env.truth(parsed.expr())
    }

    const SCOPE: &str = "def session_scope(*, hass=None, session=None, exception_filter=None, \
                         read_only=False):\n    pass\n";

    #[test]
    fn defaults_decide_the_guard_conditions() {
        let f = function(SCOPE);
        let env = Env::at_defaults(&f.parameters, "session");
        assert_eq!(
            cond(&env, "session.get_transaction() and not read_only"),
            Some(true)
        );
        assert_eq!(
            cond(&env, "not exception_filter or not exception_filter(err)"),
            Some(true)
        );
        assert_eq!(cond(&env, "read_only"), Some(false));
        assert_eq!(cond(&env, "hass is not None"), Some(false));
        assert_eq!(
            env.consulted(),
            vec!["exception_filter", "hass", "read_only"]
        );
    }

    #[test]
    fn unknown_values_leave_conditions_open() {
        let f = function("def g(session, flag):\n    pass\n");
        let env = Env::at_defaults(&f.parameters, "session");
        assert_eq!(cond(&env, "flag"), None);
        assert_eq!(cond(&env, "flag and False"), Some(false));
        assert_eq!(cond(&env, "flag or True"), Some(true));
        assert_eq!(cond(&env, "session.dirty"), None);
        assert_eq!(cond(&env, "other.get_transaction()"), None);
    }

    #[test]
    fn locals_hold_their_literal_only_when_bound_on_every_path() {
        let f = function(
            "def g(session):\n    need = False\n    if x:\n        other = True\n    pass\n",
        );
        let mut env = Env::at_defaults(&f.parameters, "session");
        env.run(&f.body);
        assert_eq!(cond(&env, "need"), Some(false));
        assert_eq!(cond(&env, "other"), None);
        assert_eq!(cond(&env, "undefined"), None);
    }

    #[test]
    fn a_commit_under_an_open_condition_is_not_derived() {
        let f = function(
            "def g(session, flag):\n    if flag:\n        session.commit()\n    \
             if True:\n        session.flush()\n",
        );
        let env = Env::at_defaults(&f.parameters, "session");
        assert_eq!(
            calls_method(&mut env.clone(), &f.body, "session", "commit"),
            None
        );
        assert_eq!(
            calls_method(&mut env.clone(), &f.body[1..], "session", "commit"),
            Some(false)
        );
    }
}
