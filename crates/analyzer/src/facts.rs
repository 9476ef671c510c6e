//! Pass 1 on one file: the factories, generator dependencies and guards it defines.

use ruff_python_ast::{self as ast, Expr, ModModule, Stmt};
use ruff_python_parser::Parsed;
use ruff_text_size::Ranged;

use crate::conditions::{self, Env};
use crate::guards;
use crate::index::{
    CallBinding, FactoryDef, FactoryFnDef, FileFacts, GeneratorDef, GuardDef, GuardShape,
};
use crate::lifecycle::{Lifecycle, RollbackOn};
use crate::resolve::{FileImports, RootBinding};
use crate::source::SourceFile;
use crate::syntax::{self, dotted, last_segment, method_call_stmt};

/// Cheap text test for pass 1: can this file define a factory, a generator dependency or a
/// guard? Files that cannot are not parsed in pass 1.
pub fn may_define_facts(text: &str) -> bool {
    static NEEDLES: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    NEEDLES
        .get_or_init(|| {
            // Makers (`sessionmaker`, `scoped_session`), `Session(...)`, and the guards and
            // generators built on them all spell "ession" somewhere; `yield` alone would
            // parse every generator of the tree.
            // `.remove()`: a scoped_session registry removed at teardown.
            aho_corasick::AhoCorasick::new(["ession", "SESSION", ".remove()"])
                .expect("fixed needles build")
        })
        .is_match(text)
}

/// Pass 1 on one parsed file.
pub fn collect_facts(
    file: &SourceFile,
    parsed: &Parsed<ModModule>,
    module: Option<String>,
) -> FileFacts {
    let mut facts = FileFacts {
        path: file.path.clone(),
        module,
        ..Default::default()
    };
    let body = &parsed.syntax().body;
    let is_package = file.path.file_stem().is_some_and(|s| s == "__init__");
    // Root bindings do not depend on the module's name; it is known only to the index.
    let imports = FileImports::collect("", is_package, body);
    imports_facts(body, &mut facts);
    facts.with_uses = crate::uses::with_uses(file, body, &imports);
    facts.summaries = crate::summaries::collect(body, &imports);
    let mut c = Collector {
        file,
        facts: &mut facts,
        wrapped: vec![],
        module_body: body,
        imports: &imports,
    };
    c.suite(&parsed.syntax().body, None);
    let wrapped = std::mem::take(&mut c.wrapped);
    for (name, function, line) in wrapped {
        c.wrapped_guard(&parsed.syntax().body, &name, &function, line);
    }
    facts.removes = crate::teardown::removes(file, body, &imports);
    record_creators(&mut facts, &imports);
    facts
}

/// What the root of every name a factory, guard, generator or alias is made from is bound
/// to in this file: the index resolves them once module names are known.
fn record_creators(facts: &mut FileFacts, imports: &FileImports) {
    let names = facts
        .guards
        .iter()
        .map(|g| &g.created_by)
        .chain(facts.generators.iter().map(|g| &g.created_by))
        .chain(facts.factory_fns.iter().map(|d| &d.created_by))
        .chain(facts.aliases.iter().map(|a| &a.2));
    let mut creators: Vec<(String, RootBinding)> = names
        .map(|n| (n.clone(), imports.root_binding(n)))
        .collect();
    creators.sort_by(|a, b| a.0.cmp(&b.0));
    creators.dedup_by(|a, b| a.0 == b.0);
    facts.creators = creators;
}

struct Collector<'a> {
    file: &'a SourceFile,
    facts: &'a mut FileFacts,
    /// `get_db = contextmanager(get_session)`: (bound name, wrapped function, line).
    wrapped: Vec<(String, String, usize)>,
    module_body: &'a [Stmt],
    imports: &'a FileImports,
}

/// The modules a file imports (absolute ones, for the import roots), whether it imports
/// relatively, and its module-level `from` imports (re-exports).
fn imports_facts(body: &[Stmt], facts: &mut FileFacts) {
    use ruff_python_ast::visitor::{walk_stmt, Visitor};
    struct V<'f>(&'f mut FileFacts);
    impl<'a> Visitor<'a> for V<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Import(i) => {
                    for a in &i.names {
                        self.0.imported.push(a.name.to_string());
                    }
                }
                Stmt::ImportFrom(f) if f.level > 0 => self.0.relative_imports = true,
                Stmt::ImportFrom(f) => {
                    if let Some(m) = &f.module {
                        self.0.imported.push(m.to_string());
                        for a in &f.names {
                            self.0.imported.push(format!("{m}.{}", a.name));
                        }
                    }
                }
                _ => walk_stmt(self, stmt),
            }
        }
    }
    let mut v = V(facts);
    for s in body {
        v.visit_stmt(s);
    }
    facts.imported.sort();
    facts.imported.dedup();
    for s in body {
        if let Stmt::ImportFrom(_) = s {
            facts.reexports.extend(crate::resolve::import_bindings(s));
        }
    }
}

/// The source text of what a maker or session call binds to: its first positional
/// argument or `bind=` (`engine` in `sessionmaker(bind=engine)` and `Session(engine)`).
pub(crate) fn bind_text(file: &SourceFile, value: &Expr) -> Option<String> {
    let Expr::Call(call) = value else { return None };
    let arg = call.arguments.args.first().or_else(|| {
        call.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "bind"))
            .map(|k| &k.value)
    })?;
    dotted(arg).or_else(|| Some(file.text[arg.range()].to_string()))
}

/// Like `bind_text` without the file: the dotted form of the bind argument, if simple.
pub(crate) fn bind_text_of(call: &ruff_python_ast::ExprCall) -> Option<String> {
    let arg = call.arguments.args.first().or_else(|| {
        call.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "bind"))
            .map(|k| &k.value)
    })?;
    dotted(arg)
}

/// `getattr(settings, "Session", None)`: `settings.Session`.
fn getattr_source(value: &Expr) -> Option<String> {
    let Expr::Call(call) = value else { return None };
    if dotted(&call.func).as_deref() != Some("getattr") {
        return None;
    }
    match &call.arguments.args[..] {
        [obj, Expr::StringLiteral(attr), ..] => Some(format!("{}.{}", dotted(obj)?, attr.value)),
        _ => None,
    }
}

/// `sessionmaker(class_=X)`: `X`.
fn maker_class(value: &Expr) -> Option<String> {
    let Expr::Call(call) = value else { return None };
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "class_"))
        .and_then(|k| dotted(&k.value))
}

/// What a call creates, if it is a call of one of SQLAlchemy's makers (resolved through the
/// file's imports): (is_async, has_begin). `scoped_session` has no `.begin()` of its own.
fn maker_call(value: &Expr, imports: &FileImports) -> Option<(bool, bool)> {
    let Expr::Call(call) = value else { return None };
    let callee = dotted(&call.func)?;
    if !crate::provenance::names_maker(imports, &callee) {
        return None;
    }
    match last_segment(&callee) {
        "sessionmaker" => {
            let async_class = call.arguments.keywords.iter().any(|k| {
                k.arg.as_ref().is_some_and(|a| a.as_str() == "class_")
                    && dotted(&k.value).is_some_and(|d| last_segment(&d) == "AsyncSession")
            });
            Some((async_class, true))
        }
        "async_sessionmaker" => Some((true, true)),
        "scoped_session" | "async_scoped_session" => {
            let inner_async = call
                .arguments
                .args
                .first()
                .and_then(|a| maker_call(a, imports))
                .is_some_and(|(a, _)| a);
            Some((
                inner_async || callee.ends_with("async_scoped_session"),
                false,
            ))
        }
        _ => None,
    }
}

impl Collector<'_> {
    fn line(&self, r: impl Ranged) -> usize {
        self.file.line_of(r.start())
    }

    fn suite(&mut self, body: &[Stmt], class: Option<&str>) {
        for stmt in body {
            self.stmt(stmt, class);
        }
    }

    fn stmt(&mut self, stmt: &Stmt, class: Option<&str>) {
        match stmt {
            Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                for t in targets {
                    self.binding(t, value, None);
                }
                if class.is_none() {
                    self.call_binding(targets, value);
                }
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(value),
                ..
            }) => self.binding(target, value, None),
            Stmt::ClassDef(c) => {
                if let Some(g) = guards::class_guard(c) {
                    self.facts.guards.push(GuardDef {
                        name: c.name.to_string(),
                        created_by: g.created_by,
                        class: None,
                        is_async: g.is_async,
                        lifecycle: g.lifecycle,
                        line: self.line(c.name.range),
                        shape: GuardShape::Class,
                        params: vec![],
                        lifecycle_params: vec![],
                        nested: class.is_some(),
                    });
                }
                self.suite(&c.body, Some(c.name.as_str()))
            }
            Stmt::FunctionDef(f) => {
                self.function(f, class, false);
                if let (Some(_), Some(attr)) = (class, getter_of(f)) {
                    self.facts
                        .aliases
                        .push((f.name.to_string(), true, format!("self.{attr}")));
                    self.facts.getters.push(f.name.to_string());
                }
                // Factories are often bound in `__init__` (`self.Session = sessionmaker()`).
                let mut all = vec![];
                syntax::walk_stmts(&f.body, &mut all);
                for s in all {
                    match s {
                        Stmt::Assign(a) => {
                            for t in &a.targets {
                                self.binding(t, &a.value, class);
                            }
                        }
                        Stmt::FunctionDef(inner) => self.function(inner, None, true),
                        _ => {}
                    }
                }
            }
            Stmt::If(i) => {
                self.suite(&i.body, class);
                for c in &i.elif_else_clauses {
                    self.suite(&c.body, class);
                }
            }
            Stmt::Try(t) => {
                self.suite(&t.body, class);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    self.suite(&h.body, class);
                }
                self.suite(&t.orelse, class);
                self.suite(&t.finalbody, class);
            }
            Stmt::With(w) => self.suite(&w.body, class),
            _ => {}
        }
    }

    /// `class`: the class whose method holds the binding (`self.X = ...` there makes `X` an
    /// attribute of that class's instances).
    fn binding(&mut self, target: &Expr, value: &Expr, class: Option<&str>) {
        let (name, attribute) = match target {
            Expr::Name(n) => (n.id.to_string(), false),
            Expr::Attribute(a) => (a.attr.id.to_string(), true),
            _ => return,
        };
        let owner = match target {
            Expr::Attribute(a) if dotted(&a.value).as_deref() == Some("self") => {
                class.map(str::to_string)
            }
            _ => None,
        };
        if let Some((is_async, has_begin)) = maker_call(value, self.imports) {
            self.facts.factories.push(FactoryDef {
                name,
                attribute,
                is_async,
                has_begin,
                registry: !has_begin,
                owner,
                removed_at: None,
                line: self.line(target),
                qualified: String::new(),
                bind: bind_text(self.file, value),
                class_: maker_class(value),
                getter: false,
            });
        } else if let Some(src) = dotted(value).or_else(|| getattr_source(value)) {
            self.facts.aliases.push((name, attribute, src));
        } else if let Expr::Call(call) = value {
            let wraps = dotted(&call.func).is_some_and(|d| {
                matches!(last_segment(&d), "contextmanager" | "asynccontextmanager")
            });
            if let (true, Some(Expr::Name(f)), false) =
                (wraps, call.arguments.args.first(), attribute)
            {
                let line = self.line(target);
                self.wrapped.push((name, f.id.to_string(), line));
            }
        }
    }

    /// `def new_session(): return SessionLocal()`, or `s = SessionLocal(); ...; return s`:
    /// a function that makes the session it returns. Kept by the index only when the
    /// callee is one of the tree's factories.
    fn factory_fn(&mut self, f: &ast::StmtFunctionDef) {
        let Some(made) = syntax::factory_body(&f.body) else {
            return;
        };
        let Expr::Call(call) = made.call else { return };
        let Some(created_by) = dotted(&call.func) else {
            return;
        };
        if let Some((is_async, has_begin)) = maker_call(made.call, self.imports) {
            self.facts
                .maker_fns
                .push((f.name.to_string(), is_async, has_begin));
            return;
        }
        self.facts.factory_fns.push(FactoryFnDef {
            name: f.name.to_string(),
            created_by,
            configures: !made.bare,
            line: self.line(f.name.range),
            qualified: String::new(),
        });
    }

    /// `def get_db_session(): return _scope()`: a guard it returns.
    fn returns_guard(&mut self, f: &ast::StmtFunctionDef, class: Option<&str>, nested: bool) {
        let yielded =
            |g: &ast::StmtFunctionDef| yielded_session(g).map(|y| (y.created_by, y.lifecycle));
        let Some(g) = guards::returned_guard(f, self.module_body, yielded) else {
            return;
        };
        self.facts.guards.push(GuardDef {
            name: f.name.to_string(),
            created_by: g.created_by,
            class: class.map(str::to_string),
            is_async: g.is_async,
            lifecycle: g.lifecycle,
            line: self.line(f.name.range),
            shape: GuardShape::ReturnsGuard,
            params: guards::required_params(f),
            lifecycle_params: vec![],
            nested,
        });
    }

    /// `factory = self.get_session_factory(name)` in `f`, where that method (or a function
    /// of this module) is annotated `-> sessionmaker`: the annotation, which the index
    /// resolves to SQLAlchemy's maker like any other name of the file.
    fn typed_maker(
        &self,
        f: &ast::StmtFunctionDef,
        class: Option<&str>,
        local: &str,
    ) -> Option<String> {
        if local.contains('.') {
            return None;
        }
        let mut all = vec![];
        syntax::walk_stmts(&f.body, &mut all);
        let value = all.iter().find_map(|s| {
            syntax::assign_name_target(s).and_then(|(n, v)| (n == local).then_some(v))
        })?;
        let Expr::Call(call) = value else { return None };
        let callee = dotted(&call.func)?;
        let (scope, name) = match callee.split_once('.') {
            Some(("self", m)) if !m.contains('.') => (self.class_body(class?)?, m),
            None => (self.module_body, callee.as_str()),
            _ => return None,
        };
        let def = scope.iter().find_map(|s| match s {
            Stmt::FunctionDef(d) if d.name.as_str() == name => Some(d),
            _ => None,
        })?;
        let annotation = dotted(def.returns.as_deref()?)?;
        crate::provenance::names_maker(self.imports, &annotation).then_some(annotation)
    }

    /// The body of the module-level class `name`.
    fn class_body(&self, name: &str) -> Option<&[Stmt]> {
        self.module_body.iter().find_map(|s| match s {
            Stmt::ClassDef(c) if c.name.as_str() == name => Some(&c.body[..]),
            _ => None,
        })
    }

    /// `x = f(...)` at module level with `f` imported or defined here.
    fn call_binding(&mut self, targets: &[Expr], value: &Expr) {
        let [Expr::Name(n)] = targets else { return };
        let Expr::Call(call) = value else { return };
        let Some(callee) = dotted(&call.func) else {
            return;
        };
        let binding = self.imports.root_binding(&callee);
        if matches!(binding, RootBinding::Unbound | RootBinding::SelfAttr) {
            return;
        }
        self.facts.call_bindings.push(CallBinding {
            name: n.id.to_string(),
            callee,
            binding,
            line: self.line(n.range),
        });
    }

    /// `get_db = contextmanager(get_session)`: a guard named `get_db` with the lifecycle
    /// of the generator it wraps.
    fn wrapped_guard(&mut self, body: &[Stmt], name: &str, function: &str, line: usize) {
        let Some(f) = body.iter().find_map(|s| match s {
            Stmt::FunctionDef(f) if f.name.as_str() == function => Some(f),
            _ => None,
        }) else {
            return;
        };
        let Some(found) = yielded_session(f) else {
            return;
        };
        let Some(lifecycle) = found.lifecycle else {
            return;
        };
        let params = found.params(f);
        self.facts.guards.push(GuardDef {
            name: name.to_string(),
            created_by: found.created_by,
            class: None,
            is_async: f.is_async,
            lifecycle,
            line,
            shape: GuardShape::Wrapped,
            params,
            lifecycle_params: found.lifecycle_params,
            nested: false,
        });
    }

    fn function(&mut self, f: &ast::StmtFunctionDef, class: Option<&str>, nested: bool) {
        if !syntax::has_yield(&f.body) {
            if class.is_none() && !f.is_async && !nested {
                self.factory_fn(f);
            }
            self.returns_guard(f, class, nested);
            return;
        }
        let decorated = guards::is_context_manager_decorated(f);
        let Some(mut found) = yielded_session(f) else {
            return;
        };
        if let Some(maker) = self.typed_maker(f, class, &found.created_by) {
            found.created_by = maker;
        }
        if decorated {
            let Some(lifecycle) = found.lifecycle else {
                return;
            };
            let params = found.params(f);
            self.facts.guards.push(GuardDef {
                name: f.name.to_string(),
                created_by: found.created_by,
                class: class.map(str::to_string),
                is_async: f.is_async,
                lifecycle,
                line: self.line(f.name.range),
                shape: GuardShape::ContextManager,
                params,
                lifecycle_params: found.lifecycle_params,
                nested,
            });
        } else if class.is_none() && !nested {
            let creation = found
                .creation_range
                .map(|r| self.file.text[r.start().to_usize()..r.end().to_usize()].to_string());
            self.facts.generators.push(GeneratorDef {
                name: f.name.to_string(),
                created_by: found.created_by,
                creation,
                is_async: f.is_async,
                line: self.line(f.name.range),
                qualified: String::new(),
            });
        }
    }
}

/// `def get_session(self): if self._get_session is None: raise ...; return
/// self._get_session()`: a method that only calls an attribute of its instance and returns
/// what it made, so its calls make what that attribute makes. The attribute's name.
fn getter_of(f: &ast::StmtFunctionDef) -> Option<&str> {
    let (last, before) = f.body.split_last()?;
    let Stmt::Return(ast::StmtReturn { value: Some(v), .. }) = last else {
        return None;
    };
    let Expr::Call(call) = &**v else { return None };
    let Expr::Attribute(a) = &*call.func else {
        return None;
    };
    let checks_only = before.iter().all(|s| match s {
        Stmt::Expr(e) => e.value.is_string_literal_expr(),
        Stmt::If(i) => i.elif_else_clauses.is_empty() && matches!(&i.body[..], [Stmt::Raise(_)]),
        _ => false,
    });
    (checks_only && call.arguments.is_empty() && dotted(&a.value).as_deref() == Some("self"))
        .then(|| a.attr.as_str())
}

/// A session created and yielded by a generator function.
struct YieldedSession {
    created_by: String,
    creation_range: Option<ruff_text_size::TextRange>,
    /// `None` when the shape is too unusual to derive (then it is not used as a guard).
    lifecycle: Option<Lifecycle>,
    /// Parameters the session comes from (`hass` of `get_instance(hass).get_session()`, a
    /// `session` parameter yielded as is): a call without them has no session.
    needs: Vec<String>,
    /// Parameters the lifecycle's conditions read (`read_only`): it holds at their defaults.
    lifecycle_params: Vec<String>,
}

impl YieldedSession {
    /// What callers of the guard `f` must pass: its required parameters, and those the
    /// session comes from (`session_scope(*, hass=None, session=None)` has no session
    /// without one of them).
    fn params(&self, f: &ast::StmtFunctionDef) -> Vec<String> {
        let mut params = guards::required_params(f);
        for n in &self.needs {
            if !params.contains(n) {
                params.push(n.clone());
            }
        }
        params
    }
}

/// Find `s = F(...)` / `with F(...) as s` whose `s` is yielded, and derive what the code
/// around the `yield` does to it.
fn yielded_session(f: &ast::StmtFunctionDef) -> Option<YieldedSession> {
    let body = &f.body[..];
    let mut all = vec![];
    syntax::walk_stmts(body, &mut all);
    for stmt in &all {
        let (name, call, with_body) = match stmt {
            Stmt::With(w) => {
                let Some((name, call)) = with_session(w) else {
                    continue;
                };
                (name, call, Some(w))
            }
            _ => {
                let Some((name, value)) = syntax::assign_name_target(stmt) else {
                    continue;
                };
                if !syntax::yields_name(body, name) {
                    continue;
                }
                let value = match value {
                    Expr::Await(a) => &*a.value,
                    v => v,
                };
                let Expr::Call(call) = value else {
                    continue;
                };
                (name, call, None)
            }
        };
        let mut env = Env::at_defaults(&f.parameters, name);
        let (created_by, lifecycle) = match with_body {
            Some(w) => with_lifecycle(w, name, call, &mut env)?,
            // `get_instance(hass).get_session()`: an attribute factory of a returned
            // object, known by its attribute name.
            None => match dotted(&call.func).or_else(|| match &*call.func {
                Expr::Attribute(a) => Some(a.attr.to_string()),
                _ => None,
            }) {
                Some(c) => (c, derive(body, name, &mut env)),
                None => continue,
            },
        };
        return Some(YieldedSession {
            created_by,
            creation_range: Some(call.range()),
            lifecycle,
            needs: session_params(f, name, call),
            lifecycle_params: env.consulted(),
        });
    }
    None
}

/// `with F(...) as s[, s.begin()]:` whose body yields `s`.
fn with_session(w: &ast::StmtWith) -> Option<(&str, &ast::ExprCall)> {
    let first = w.items.first()?;
    let Some(Expr::Name(var)) = first.optional_vars.as_deref() else {
        return None;
    };
    let Expr::Call(call) = &first.context_expr else {
        return None;
    };
    dotted(&call.func)?;
    let name = var.id.as_str();
    syntax::yields_name(&w.body, name).then_some((name, call))
}

/// The factory and lifecycle of `with F(...) as s:` (closes) or `with F.begin() as s:` /
/// `with F() as s, s.begin():` (also commits and rolls back).
fn with_lifecycle(
    w: &ast::StmtWith,
    name: &str,
    call: &ast::ExprCall,
    env: &mut Env,
) -> Option<(String, Option<Lifecycle>)> {
    let callee = dotted(&call.func)?;
    let begin_item = w
        .items
        .get(1)
        .is_some_and(|i| syntax::method_call_expr(&i.context_expr) == Some((name, "begin")));
    let (created_by, base) = if let Some(f) = callee.strip_suffix(".begin") {
        (f.to_string(), Lifecycle::SQLALCHEMY_BEGIN)
    } else if begin_item {
        (callee.clone(), Lifecycle::SQLALCHEMY_BEGIN)
    } else {
        (callee.clone(), Lifecycle::SQLALCHEMY_CLOSE_ONLY)
    };
    // An unusual shape inside the `with` means no derived lifecycle: not a guard.
    let lifecycle = derive(&w.body, name, env).map(|mut l| {
        l.closes = true;
        if base.commits {
            l.commits = true;
            l.rollback_on = RollbackOn::BaseException;
        }
        l
    });
    Some((created_by, lifecycle))
}

/// The parameters of `f` the yielded session `name` comes from.
fn session_params(f: &ast::StmtFunctionDef, name: &str, creation: &ast::ExprCall) -> Vec<String> {
    let p = &f.parameters;
    let params: Vec<&str> = p
        .posonlyargs
        .iter()
        .chain(&p.args)
        .chain(&p.kwonlyargs)
        .map(|a| a.parameter.name.as_str())
        .filter(|n| !matches!(*n, "self" | "cls"))
        .collect();
    let mut names = syntax::names_in(&creation.func);
    let args = &creation.arguments;
    for e in args
        .args
        .iter()
        .chain(args.keywords.iter().map(|k| &k.value))
    {
        names.extend(syntax::names_in(e));
    }
    let mut needs: Vec<String> = names
        .into_iter()
        .filter(|n| params.contains(&n.as_str()))
        .collect();
    needs.dedup();
    if params.contains(&name) {
        needs.push(name.to_string());
    }
    needs
}

/// Derive commit / rollback / close from the `try` that holds `yield name`, for a caller at
/// the parameters' defaults (`env`): a commit under `if not read_only:` commits, a rollback
/// under a flag still false at the `yield` does not happen for errors of the body.
fn derive(body: &[Stmt], name: &str, env: &mut Env) -> Option<Lifecycle> {
    let mut all = vec![];
    syntax::walk_stmts(body, &mut all);
    let is_yield = |s: &Stmt| matches!(s, Stmt::Expr(e) if matches!(&*e.value, Expr::Yield(_)));
    // A bare `yield s` without try: nothing is committed, rolled back or closed here.
    let try_stmt = all.iter().find_map(|s| match s {
        Stmt::Try(t) if t.body.iter().any(&is_yield) => Some(t),
        _ => None,
    });
    let Some(t) = try_stmt else {
        return Some(Lifecycle {
            commits: false,
            rollback_on: RollbackOn::Never,
            reraises: true,
            translates: false,
            closes: false,
        });
    };
    // What holds at the `yield`: the statements before the `try` when it is at this level.
    match body
        .iter()
        .position(|s| matches!(s, Stmt::Try(x) if std::ptr::eq(x, t)))
    {
        Some(at) => env.run(&body[..at]),
        None => env.forget(body),
    }
    let yield_at = t.body.iter().position(is_yield)?;
    env.run(&t.body[..yield_at]);
    let mut after = env.clone();
    let commits = conditions::calls_method(&mut after, &t.body[yield_at + 1..], name, "commit")?
        | conditions::calls_method(&mut after, &t.orelse, name, "commit")?;
    let handlers = handlers_lifecycle(t, name, env)?;
    let closes = t
        .finalbody
        .iter()
        .any(|s| method_call_stmt(s).is_some_and(|(r, m)| r == name && m == "close"));
    Some(Lifecycle {
        commits,
        closes,
        ..handlers
    })
}

/// Rollback, re-raise and translation from the handlers of the guard's `try`, for errors
/// of the body (raised at the `yield`, with `env` as it holds there).
fn handlers_lifecycle(t: &ast::StmtTry, name: &str, env: &Env) -> Option<Lifecycle> {
    // Handlers are tried in order: the widest one that rolls back decides what is covered;
    // a guard that only rolls back narrow errors is not treated as one.
    let mut rollback_on = RollbackOn::Never;
    let mut reraises = true;
    let mut translates = false;
    let mut narrow_only = false;
    for h in &t.handlers {
        let ast::ExceptHandler::ExceptHandler(h) = h;
        let rolls_back = conditions::calls_method(&mut env.clone(), &h.body, name, "rollback")?;
        match h.body.last() {
            Some(Stmt::Raise(r)) if r.exc.is_some() => translates = true,
            _ => {
                let mut before_last = env.clone();
                before_last.run(&h.body[..h.body.len().saturating_sub(1)]);
                if !conditions::handler_reraises(&before_last, &h.body)? {
                    reraises = false;
                }
            }
        }
        if rolls_back {
            match h.type_.as_deref().and_then(dotted).as_deref() {
                None => rollback_on = RollbackOn::BaseException,
                Some(n) if last_segment(n) == "BaseException" => {
                    rollback_on = RollbackOn::BaseException
                }
                Some(n) if last_segment(n) == "Exception" => {
                    if rollback_on == RollbackOn::Never {
                        rollback_on = RollbackOn::Exception;
                    }
                }
                Some(_) => narrow_only = true,
            }
        }
    }
    if narrow_only && rollback_on == RollbackOn::Never {
        return None;
    }
    Some(Lifecycle {
        commits: false,
        rollback_on,
        reraises,
        translates,
        closes: false,
    })
}
