//! `codemod guard --suggest`: a guard module built on the session factory or generator
//! dependency that production code uses most, for a team whose codebase has none.
//!
//! A source qualifies when it is defined at module level in a production file (never a test
//! factory, a local variable, a fixture, or a generator that yields no session) and every
//! name its creating expression needs is a module-level binding there, so it can be
//! imported from the file the guard is written to. Sources are ranked by their production
//! uses: word occurrences of the name in production files, outside import lines and the
//! definition line.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};

use crate::classify::{classify, FileClass};
use crate::index::ProjectIndex;
use crate::modules::{absolute_module, ModuleFile};

/// The file name assumed when no `--write FILE` says where the module goes.
pub const DEFAULT_FILE: &str = "session_guard.py";

/// A suggested guard module.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// The module's text.
    pub text: String,
    /// The file its imports were computed for.
    pub target: PathBuf,
    /// Sources considered and not used, each with why.
    pub skipped: Vec<String>,
}

/// Where a new guard gets its sessions from.
#[derive(Debug, Clone)]
struct Source {
    name: String,
    /// "factory" or "generator dependency".
    kind: &'static str,
    path: PathBuf,
    line: usize,
    /// The creating expression (`SessionLocal()`, `Session(engine)`).
    create: String,
    /// Names the expression needs: imported as the source's module imports them (an import
    /// from outside the tree), else from the source's module.
    needs: Vec<Need>,
    uses: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Need {
    /// A statement copied from the source's module (`from sqlalchemy.orm import Session`).
    External(String),
    /// A module-level name of the source's module.
    Local(String),
}

/// How a module binds a name at module level.
#[derive(Debug, Clone)]
enum Binding {
    /// Imported from outside the tree: the statement that imports just this name.
    External(String),
    /// Assigned, defined, or imported from the tree itself.
    Local,
}

/// What the suggestion needs to know of one Python file.
struct ModuleScope {
    bindings: HashMap<String, Binding>,
    body: Vec<Stmt>,
}

fn read_scope(path: &Path, tree_roots: &std::collections::HashSet<String>) -> Option<ModuleScope> {
    let text = String::from_utf8(crate::source::read_regular(path).ok()?).ok()?;
    let parsed = ruff_python_parser::parse_module(&text).ok()?;
    let body = parsed.into_syntax().body;
    let mut bindings = HashMap::new();
    module_bindings(&body, tree_roots, &mut bindings);
    Some(ModuleScope {
        bindings,
        body: body.into_iter().collect(),
    })
}

/// Names bound at module level (also inside module-level `if` / `try` / `with`).
fn module_bindings(
    body: &[Stmt],
    tree_roots: &std::collections::HashSet<String>,
    out: &mut HashMap<String, Binding>,
) {
    let ours = |module: &str| tree_roots.contains(module.split('.').next().unwrap_or_default());
    for stmt in body {
        match stmt {
            Stmt::Assign(a) => a.targets.iter().for_each(|t| store_names(t, out)),
            Stmt::AnnAssign(a) if a.value.is_some() => store_names(&a.target, out),
            Stmt::AugAssign(a) => store_names(&a.target, out),
            Stmt::FunctionDef(f) => {
                out.insert(f.name.to_string(), Binding::Local);
            }
            Stmt::ClassDef(c) => {
                out.insert(c.name.to_string(), Binding::Local);
            }
            Stmt::Import(i) => {
                for a in &i.names {
                    let (bound, stmt) = match &a.asname {
                        Some(asname) => {
                            (asname.to_string(), format!("import {} as {asname}", a.name))
                        }
                        None => {
                            let root = a.name.split('.').next().unwrap_or_default();
                            (root.to_string(), format!("import {}", a.name))
                        }
                    };
                    let b = if ours(&a.name) {
                        Binding::Local
                    } else {
                        Binding::External(stmt)
                    };
                    out.insert(bound, b);
                }
            }
            Stmt::ImportFrom(f) => {
                let module = f.module.as_ref().map(|m| m.to_string()).unwrap_or_default();
                for a in &f.names {
                    let bound = a.asname.as_ref().unwrap_or(&a.name).to_string();
                    let b = if f.level > 0 || module.is_empty() || ours(&module) {
                        Binding::Local
                    } else {
                        let alias = a
                            .asname
                            .as_ref()
                            .map(|s| format!(" as {s}"))
                            .unwrap_or_default();
                        Binding::External(format!("from {module} import {}{alias}", a.name))
                    };
                    out.insert(bound, b);
                }
            }
            Stmt::If(i) => {
                module_bindings(&i.body, tree_roots, out);
                for c in &i.elif_else_clauses {
                    module_bindings(&c.body, tree_roots, out);
                }
            }
            Stmt::Try(t) => {
                module_bindings(&t.body, tree_roots, out);
                module_bindings(&t.orelse, tree_roots, out);
                module_bindings(&t.finalbody, tree_roots, out);
            }
            Stmt::With(w) => module_bindings(&w.body, tree_roots, out),
            _ => {}
        }
    }
}

fn store_names(target: &Expr, out: &mut HashMap<String, Binding>) {
    match target {
        Expr::Name(n) => {
            out.insert(n.id.to_string(), Binding::Local);
        }
        Expr::Tuple(t) => t.elts.iter().for_each(|e| store_names(e, out)),
        Expr::List(l) => l.elts.iter().for_each(|e| store_names(e, out)),
        Expr::Starred(s) => store_names(&s.value, out),
        _ => {}
    }
}

/// A top-level function of the module by name.
fn top_function<'b>(body: &'b [Stmt], name: &str) -> Option<&'b ast::StmtFunctionDef> {
    body.iter().find_map(|s| match s {
        Stmt::FunctionDef(f) if f.name.as_str() == name => Some(f),
        _ => None,
    })
}

/// Parameters and every name a function binds in its body (nested scopes included, which
/// only over-approximates).
fn function_locals(f: &ast::StmtFunctionDef) -> BTreeSet<String> {
    struct L(BTreeSet<String>);
    impl<'a> Visitor<'a> for L {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Name(n) = expr {
                if n.ctx == ExprContext::Store {
                    self.0.insert(n.id.to_string());
                }
            }
            walk_expr(self, expr);
        }
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Import(i) => i.names.iter().for_each(|a| {
                    let bound = a.asname.as_ref().map(|s| s.to_string());
                    self.0.insert(bound.unwrap_or_else(|| {
                        a.name.split('.').next().unwrap_or_default().to_string()
                    }));
                }),
                Stmt::ImportFrom(i) => i.names.iter().for_each(|a| {
                    self.0
                        .insert(a.asname.as_ref().unwrap_or(&a.name).to_string());
                }),
                Stmt::FunctionDef(d) => {
                    self.0.insert(d.name.to_string());
                }
                Stmt::ClassDef(c) => {
                    self.0.insert(c.name.to_string());
                }
                _ => {}
            }
            walk_stmt(self, stmt);
        }
    }
    let mut l = L(BTreeSet::new());
    let p = &f.parameters;
    for param in p.posonlyargs.iter().chain(&p.args).chain(&p.kwonlyargs) {
        l.0.insert(param.parameter.name.to_string());
    }
    for v in p.vararg.iter().chain(p.kwarg.iter()) {
        l.0.insert(v.name.to_string());
    }
    for s in &f.body {
        l.visit_stmt(s);
    }
    l.0
}

fn production(index: &ProjectIndex, path: &Path) -> bool {
    let project = index.modules.map.project();
    classify(path.strip_prefix(project).unwrap_or(path)) == FileClass::Production
}

fn rel(index: &ProjectIndex, path: &Path) -> String {
    let project = index.modules.map.project();
    path.strip_prefix(project)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// A factory bound by `name = sessionmaker(...)` at module level of a production file.
fn factory_source(
    index: &ProjectIndex,
    f: &crate::index::FactoryDef,
    path: &Path,
) -> Result<Source, String> {
    if f.attribute || f.line == 0 {
        return Err("an attribute or configured factory, not a module-level name".into());
    }
    if !production(index, path) {
        return Err("defined in a test, script or experiment file".into());
    }
    let scope = read_scope(path, &index.tree_roots).ok_or("its file cannot be read")?;
    if !scope.bindings.contains_key(&f.name) {
        return Err("bound inside a function or class, not at module level".into());
    }
    Ok(Source {
        name: f.name.clone(),
        kind: "factory",
        path: path.to_path_buf(),
        line: f.line,
        create: format!("{}()", f.name),
        needs: vec![Need::Local(f.name.clone())],
        uses: 0,
    })
}

/// A generator dependency (`def get_session(): with Session(engine) as s: yield s`): its
/// creating expression, when every name in it is importable from its module.
fn generator_source(
    index: &ProjectIndex,
    g: &crate::index::GeneratorDef,
    path: &Path,
) -> Result<Source, String> {
    if !production(index, path) {
        return Err("defined in a test, script or experiment file".into());
    }
    let creation = g
        .creation
        .as_deref()
        .ok_or("its session's creation is not a call")?;
    let scope = read_scope(path, &index.tree_roots).ok_or("its file cannot be read")?;
    let f = top_function(&scope.body, &g.name).ok_or("not a module-level function")?;
    if !f.decorator_list.is_empty() {
        return Err("decorated (a fixture or a wrapped function), not a plain dependency".into());
    }
    let parsed = ruff_python_parser::parse_expression(creation).map_err(|e| e.to_string())?;
    let create = match parsed.expr() {
        // `with F.begin() as s`: the guard makes the session itself.
        Expr::Call(c) => match &*c.func {
            Expr::Attribute(a) if a.attr.as_str() == "begin" => format!("{}()", g.created_by),
            _ => creation.to_string(),
        },
        _ => return Err("its session's creation is not a call".into()),
    };
    let locals = function_locals(f);
    let mut needs = vec![];
    for name in crate::syntax::names_in(parsed.expr()) {
        if locals.contains(&name) {
            return Err(format!(
                "`{name}` in `{creation}` is a parameter or local of `{}`",
                g.name
            ));
        }
        match scope.bindings.get(&name) {
            Some(Binding::External(stmt)) => needs.push(Need::External(stmt.clone())),
            Some(Binding::Local) => needs.push(Need::Local(name)),
            None => {
                return Err(format!(
                    "`{name}` in `{creation}` is not bound at module level"
                ))
            }
        }
    }
    if !makes_session(index, &g.created_by, &scope) {
        return Err(format!("`{}` is not a session factory", g.created_by));
    }
    Ok(Source {
        name: g.name.clone(),
        kind: "generator dependency",
        path: path.to_path_buf(),
        line: g.line,
        create,
        needs,
        uses: 0,
    })
}

/// `Session` / `AsyncSession` imported from SQLAlchemy or SQLModel, or a factory of the tree.
fn makes_session(index: &ProjectIndex, created_by: &str, scope: &ModuleScope) -> bool {
    let root = created_by.split('.').next().unwrap_or(created_by);
    let last = crate::syntax::last_segment(created_by);
    if index.factories.iter().any(|(f, _)| f.name == last) {
        return true;
    }
    matches!(last, "Session" | "AsyncSession")
        && matches!(scope.bindings.get(root), Some(Binding::External(s))
            if s.contains("sqlalchemy") || s.contains("sqlmodel"))
}

/// Every qualifying source of one flavour, most used first, and why the others were left.
fn ranked(
    index: &ProjectIndex,
    is_async: bool,
    uses: &HashMap<String, usize>,
) -> (Vec<Source>, Vec<String>) {
    let mut found = vec![];
    let mut skipped = vec![];
    let factories = index
        .factories
        .iter()
        .filter(|(f, _)| f.is_async == is_async)
        .map(|(f, p)| (&f.name, "factory", p, f.line, factory_source(index, f, p)));
    let generators = index
        .generators
        .iter()
        .filter(|(g, _)| g.is_async == is_async)
        .map(|(g, p)| {
            (
                &g.name,
                "generator dependency",
                p,
                g.line,
                generator_source(index, g, p),
            )
        });
    for (name, kind, path, line, result) in factories.chain(generators) {
        match result {
            Ok(mut s) => {
                s.uses = uses.get(&s.name).copied().unwrap_or(0);
                found.push(s);
            }
            Err(why) => skipped.push(format!(
                "{kind} `{name}` ({}:{line}): {why}",
                rel(index, path)
            )),
        }
    }
    // Most production uses first; a factory before a generator built on it at a tie.
    found.sort_by(|a, b| {
        b.uses
            .cmp(&a.uses)
            .then(a.kind.cmp(b.kind))
            .then(a.path.cmp(&b.path))
    });
    (found, skipped)
}

/// Canonical form for comparing paths of the tree (either may be relative or not exist).
fn same_file(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    a == b || canon(a) == canon(b)
}

/// The module to write in `from <module> import ...` in the file `target` to reach the
/// module file `def`: relative when `def`'s module imports relatively, else absolute; each
/// checked to name `def` again.
fn import_module(index: &ProjectIndex, target: &Path, def: &Path) -> Result<String, String> {
    let map = &index.modules.map;
    let module = index
        .module_of(def)
        .ok_or_else(|| format!("{} has no module name", rel(index, def)))?;
    let relative = index
        .modules
        .files
        .get(def)
        .is_some_and(|f| f.relative_imports);
    if relative {
        if let Some(r) = map.relative_module(target, def) {
            let level = r.chars().take_while(|c| *c == '.').count() as u32;
            let here = map.module_of(target).unwrap_or_default();
            let is_package = target.file_stem().is_some_and(|s| s == "__init__");
            if absolute_module(&here, is_package, level, Some(&r[level as usize..])).as_deref()
                == Some(&module)
            {
                return Ok(r);
            }
        }
    }
    let same_root = match (map.root_of(target), map.root_of(def)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    let found = matches!(map.find(&module), Some(ModuleFile::File(f)) if same_file(&f, def));
    if same_root && found {
        return Ok(module);
    }
    Err(format!(
        "`{module}` ({}) cannot be imported from {}: not below the same import root",
        rel(index, def),
        rel(index, target)
    ))
}

/// The import lines of the module: `contextlib`, copied external imports, then the tree's.
fn import_lines(
    index: &ProjectIndex,
    target: &Path,
    sources: &[&Source],
) -> Result<Vec<String>, String> {
    let mut external = BTreeSet::new();
    let mut ours: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in sources {
        for need in &s.needs {
            match need {
                Need::External(stmt) => {
                    external.insert(stmt.clone());
                }
                Need::Local(name) => {
                    let names = ours
                        .entry(import_module(index, target, &s.path)?)
                        .or_default();
                    if !names.contains(name) {
                        names.push(name.clone());
                    }
                }
            }
        }
    }
    let mut lines: Vec<String> = external.into_iter().collect();
    if !lines.is_empty() && !ours.is_empty() {
        lines.push(String::new());
    }
    lines.extend(
        ours.into_iter()
            .map(|(m, names)| format!("from {m} import {}", names.join(", "))),
    );
    Ok(lines)
}

const SYNC_GUARD: &str = r#"

@contextmanager
def get_db_session():
    """Yield a session; commit if the block succeeds, roll back if it raises, always close."""
    session = {create}
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
"#;

const ASYNC_GUARD: &str = r#"

@asynccontextmanager
async def get_async_session():
    """Async twin of `get_db_session`."""
    session = {create}
    try:
        yield session
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    finally:
        await session.close()
"#;

fn render(
    index: &ProjectIndex,
    target: &Path,
    sync: Option<&Source>,
    r#async: Option<&Source>,
) -> Result<String, String> {
    let sources: Vec<&Source> = [sync, r#async].into_iter().flatten().collect();
    let origins: Vec<String> = sources
        .iter()
        .map(|s| {
            format!(
                "the {} `{}` ({}:{}, {} production uses)",
                s.kind,
                s.name,
                rel(index, &s.path),
                s.line,
                s.uses
            )
        })
        .collect();
    let mut out = String::from(
        "\"\"\"Session scope guards: the one place that commits, rolls back and closes.\n\n",
    );
    out.push_str(&format!(
        "Suggested by `codemod guard --suggest` for {}, built on\n{}.\n",
        rel(index, target),
        origins.join(" and\n")
    ));
    out.push_str(
        "Use `with get_db_session() as session:` instead of creating sessions by hand.\n\"\"\"\n",
    );
    let ctx: Vec<&str> = [
        sync.map(|_| "contextmanager"),
        r#async.map(|_| "asynccontextmanager"),
    ]
    .into_iter()
    .flatten()
    .collect();
    out.push_str(&format!("from contextlib import {}\n\n", ctx.join(", ")));
    for line in import_lines(index, target, &sources)? {
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(s) = sync {
        out.push_str(&SYNC_GUARD.replace("{create}", &s.create));
    }
    if let Some(s) = r#async {
        out.push_str(&ASYNC_GUARD.replace("{create}", &s.create));
    }
    if ruff_python_parser::parse_module(&out).is_err() {
        return Err(format!(
            "internal: the suggested module does not parse:\n{out}"
        ));
    }
    Ok(out)
}

/// Word occurrences of each name in the production files among `files`, outside import
/// lines; a definition line (`def get_session(`, `SessionLocal = `) is not a use.
pub fn production_uses(
    index: &ProjectIndex,
    files: &[PathBuf],
    names: &[String],
) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = names.iter().map(|n| (n.clone(), 0)).collect();
    let Ok(needles) = aho_corasick::AhoCorasick::new(names) else {
        return counts;
    };
    let is_word = |c: u8| c == b'_' || c.is_ascii_alphanumeric();
    for path in files.iter().filter(|p| production(index, p)) {
        let Some(text) = crate::source::read_regular(path)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            continue;
        };
        for line in text.lines() {
            let t = line.trim_start();
            if t.starts_with("import ") || t.starts_with("from ") || t.starts_with('#') {
                continue;
            }
            let bytes = line.as_bytes();
            for m in needles.find_iter(line) {
                let before = m.start().checked_sub(1).map(|i| bytes[i]);
                let after = bytes.get(m.end()).copied();
                if before.is_some_and(is_word) || after.is_some_and(is_word) {
                    continue;
                }
                let name = &names[m.pattern().as_usize()];
                let rest = line[m.end()..].trim_start();
                let defines = t.starts_with(&format!("def {name}"))
                    || t.starts_with(&format!("async def {name}"))
                    || (t.starts_with(name.as_str())
                        && rest.starts_with('=')
                        && !rest.starts_with("=="));
                if !defines {
                    *counts.entry(name.clone()).or_default() += 1;
                }
            }
        }
    }
    counts
}

/// The guard module for `target` (default: `session_guard.py` next to the chosen source's
/// module), built on the most used qualifying source of each flavour the tree has.
pub fn suggest(
    index: &ProjectIndex,
    files: &[PathBuf],
    target: Option<&Path>,
) -> Result<Suggestion, String> {
    let mut names: Vec<String> = index
        .factories
        .iter()
        .map(|(f, _)| f.name.clone())
        .collect();
    names.extend(index.generators.iter().map(|(g, _)| g.name.clone()));
    names.sort();
    names.dedup();
    let uses = production_uses(index, files, &names);
    let (sync, mut skipped) = ranked(index, false, &uses);
    let (r#async, skipped_async) = ranked(index, true, &uses);
    skipped.extend(skipped_async);
    let (sync, r#async) = (sync.first(), r#async.first());
    let Some(first) = sync.or(r#async) else {
        return Err(no_source_message(&skipped));
    };
    let (target, header) = match target {
        Some(t) => (t.to_path_buf(), String::new()),
        None => (
            first.path.with_file_name(DEFAULT_FILE),
            format!(
                "# Imports written for {}, next to {}: save it there, or use \
                 `codemod guard --suggest --write FILE`.\n",
                rel(index, &first.path.with_file_name(DEFAULT_FILE)),
                rel(index, &first.path)
            ),
        ),
    };
    let text = header + &render(index, &target, sync, r#async)?;
    Ok(Suggestion {
        text,
        target,
        skipped,
    })
}

fn no_source_message(skipped: &[String]) -> String {
    let mut msg = String::from(
        "no production session factory or generator dependency to build a guard on: bind one \
         at module level (`SessionLocal = sessionmaker(bind=engine)`) or name it in \
         [tool.codemod] factories",
    );
    for s in skipped {
        msg.push_str(&format!("\n  not used: {s}"));
    }
    msg
}

/// `ProjectIndex::suggest_guard_module`: the module for the files the index knows, or a
/// comment saying why there is none.
pub fn guard_module(index: &ProjectIndex) -> String {
    let files: Vec<PathBuf> = index.modules.files.keys().cloned().collect();
    match suggest(index, &files, None) {
        Ok(s) => s.text,
        Err(why) => why.lines().map(|l| format!("# {l}\n")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree in a temp dir, indexed; its files.
    fn index(files: &[(&str, &str)]) -> (tempfile::TempDir, ProjectIndex, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join("pyproject.toml"), "[project]\nname = \"t\"\n").unwrap();
        let mut paths = vec![];
        let mut facts = vec![];
        for (rel, text) in files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            let f = crate::SourceFile::read(&p).unwrap();
            let parsed = crate::parse(&f).unwrap();
            facts.push(crate::collect_facts(&f, &parsed, None));
            paths.push(p);
        }
        let config = crate::LoadedConfig::discover(&root).unwrap();
        let index = ProjectIndex::build_in(&root, config, facts);
        (dir, index, paths)
    }

    const TEST_FACTORY: &str = "from sqlalchemy.orm import sessionmaker\n\
        TestingSessionLocal = sessionmaker()\n\n\
        def test_a():\n    s = TestingSessionLocal()\n    s.close()\n\n\
        def test_b():\n    s = TestingSessionLocal()\n    s.close()\n";

    #[test]
    fn test_factory_ignored_for_the_production_dependency() {
        let (_d, index, files) = index(&[
            ("app/__init__.py", ""),
            (
                "app/db.py",
                "from sqlalchemy.orm import Session\nfrom app.engine import engine\n\n\
                 def get_session():\n    with Session(engine) as session:\n        yield session\n",
            ),
            ("app/engine.py", "engine = None\n"),
            (
                "app/api.py",
                "from app.db import get_session\n\ndef f():\n    s = next(get_session())\n",
            ),
            ("tests/test_api.py", TEST_FACTORY),
        ]);
        let s = suggest(&index, &files, None).unwrap();
        assert!(!s.text.contains("TestingSessionLocal"), "{}", s.text);
        assert!(s.text.contains("session = Session(engine)"), "{}", s.text);
        assert!(s.text.contains("from app.db import engine"), "{}", s.text);
        assert!(
            s.text.contains("from sqlalchemy.orm import Session"),
            "{}",
            s.text
        );
        assert!(s.skipped.iter().any(|w| w.contains("TestingSessionLocal")));
    }

    #[test]
    fn factory_bound_inside_a_function_ignored() {
        let (_d, index, files) = index(&[(
            "app.py",
            "from sqlalchemy.orm import sessionmaker\n\n\
             def main():\n    LocalSession = sessionmaker()\n    s = LocalSession()\n    s.close()\n",
        )]);
        let err = suggest(&index, &files, None).unwrap_err();
        assert!(err.contains("bound inside a function"), "{err}");
    }

    #[test]
    fn generator_on_its_own_parameter_or_a_builtin_ignored() {
        let (_d, index, files) = index(&[(
            "svc.py",
            "from sqlalchemy.orm import Session\n\n\
             def get_session(engine):\n    with Session(engine) as s:\n        yield s\n\n\
             def get_other():\n    with Session(bind=dict()) as s:\n        yield s\n",
        )]);
        let err = suggest(&index, &files, None).unwrap_err();
        assert!(err.contains("parameter or local of `get_session`"), "{err}");
        assert!(err.contains("`dict`"), "{err}");
    }

    #[test]
    fn most_used_production_factory_wins() {
        let (_d, index, files) = index(&[
            (
                "db.py",
                "from sqlalchemy.orm import sessionmaker\nA = sessionmaker()\nB = sessionmaker()\n",
            ),
            (
                "svc.py",
                "from db import A, B\n\ndef f():\n    s = B()\n    t = B()\n    u = A()\n",
            ),
        ]);
        let s = suggest(&index, &files, None).unwrap();
        assert!(s.text.contains("session = B()"), "{}", s.text);
        assert!(s.text.contains("from db import B"), "{}", s.text);
    }
}
