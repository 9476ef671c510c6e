//! Pass 1: what the whole tree defines. Factories (`SessionLocal = sessionmaker(...)`),
//! generator dependencies (`def get_db(): ... yield db`) and guards (`@contextmanager` that
//! yields a session), merged into one `ProjectIndex` that pass 2 reads.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::classify::FileClass;
use crate::config::{ConfigError, LoadedConfig};
use crate::lifecycle::Lifecycle;
use crate::registry::Guard;
use crate::resolve::{same_path, FileImports, Resolved, RootBinding};
use crate::rewrite::Import;

/// What one file defines. Small: no text is kept, so pass 1 holds little per file.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    pub path: PathBuf,
    /// Dotted module name (`app.db`) when the file sits in a package.
    pub module: Option<String>,
    pub factories: Vec<FactoryDef>,
    pub generators: Vec<GeneratorDef>,
    pub factory_fns: Vec<FactoryFnDef>,
    pub guards: Vec<GuardDef>,
    /// `self.SessionLocal = SessionLocal`: (bound name, is attribute, dotted source).
    pub aliases: Vec<(String, bool, String)>,
    /// Methods that only return `self.<attr>()` (their aliases are `getter` factories).
    pub getters: Vec<String>,
    /// What the root of each dotted name sessions are made from (`created_by` of guards,
    /// generators, factory functions; alias sources) is bound to in this file.
    pub creators: Vec<(String, RootBinding)>,
    /// `registry.remove()` where a request ends (teardown hooks, middleware, `finally:`).
    pub removes: Vec<crate::teardown::RemoveCall>,
    /// Absolute module names the file imports (`a.b` and `a.b.c` for `from a.b import c`):
    /// where the tree's import roots are.
    pub imported: Vec<String>,
    /// The file imports with `from .x import ...`.
    pub relative_imports: bool,
    /// Module-level `from x import n [as m]`: re-exports, followed when resolving.
    pub reexports: Vec<(String, RootBinding)>,
    /// Module-level `x = f(...)` with `f` imported or defined here: instances of manager
    /// classes (`db_manager = DatabaseManager()`) and factories made by functions
    /// (`_factory = make_factory()`).
    pub call_bindings: Vec<CallBinding>,
    /// Functions returning a session maker (`def make_factory(): return sessionmaker()`):
    /// (name, is_async, has_begin).
    pub maker_fns: Vec<(String, bool, bool)>,
    /// Every `with f(...) as x:` item: the guard uses counted to choose the target.
    pub with_uses: Vec<WithUse>,
    /// What each function does with the sessions it receives (before resolution).
    pub summaries: crate::summaries::FileSummaries,
}

/// `x = f(...)` at module level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallBinding {
    pub name: String,
    pub callee: String,
    pub binding: RootBinding,
    pub line: usize,
}

/// One `with <callee>(<args>) [as x]:` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithUse {
    pub callee: String,
    pub binding: RootBinding,
    /// Source text between the parentheses.
    pub args: String,
    pub line: usize,
    /// The class whose method holds it (for `self.method()`).
    pub class: Option<String>,
}

/// A name bound to a session factory: `SessionLocal = sessionmaker(...)`,
/// `self.Session = async_sessionmaker(...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactoryDef {
    /// The bound name, or the attribute name for `self.X = ...` / `obj.X = ...`.
    pub name: String,
    /// Bound as an attribute (`self.X`), so matched as `<anything>.X()`.
    pub attribute: bool,
    pub is_async: bool,
    /// `sessionmaker` / `async_sessionmaker` (has `.begin()`); `scoped_session` has not.
    pub has_begin: bool,
    /// A `scoped_session` registry: its call returns the thread's (request's) session.
    pub registry: bool,
    /// `self.X = ...` in a method of this class (attribute factories).
    pub owner: Option<String>,
    /// A registry removed where requests end: that `path:line`.
    pub removed_at: Option<String>,
    pub line: usize,
    /// `module.name` (set when the index is built); `module.Class.name` for attribute
    /// factories bound in a method of `Class`, else empty for attribute factories.
    pub qualified: String,
    /// What it binds to (`engine`), as written.
    pub bind: Option<String>,
    /// `sessionmaker(class_=ContextSession)`: the session class it makes, as written.
    pub class_: Option<String>,
    /// Made by a method that only returns `self.<attr>()` (`def get_session(self)`): a
    /// common method name, so never matched on an object of unknown type by name alone.
    pub getter: bool,
}

/// `def get_db(): db = SessionLocal(); try: yield db finally: db.close()` (not decorated):
/// used as `next(get_db())` by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorDef {
    pub name: String,
    /// Dotted callee that creates the session it yields.
    pub created_by: String,
    /// Source text of the call that creates the session it yields (`Session(engine)`).
    pub creation: Option<String>,
    pub is_async: bool,
    pub line: usize,
    /// `module.name` (set when the index is built).
    pub qualified: String,
}

/// A module-level function that makes a session and returns it: `def new_session():
/// return SessionLocal()`. Its calls are factory calls; the function itself is not a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactoryFnDef {
    pub name: String,
    /// Dotted callee that creates the session it returns.
    pub created_by: String,
    /// It passes arguments to the factory or does more to the session before returning it
    /// (`session.info[...] = ...`): a guard would not make the same session.
    pub configures: bool,
    pub line: usize,
    /// `module.name` (set when the index is built).
    pub qualified: String,
}

/// A `@contextmanager` / `@asynccontextmanager` that yields a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardDef {
    pub name: String,
    /// Dotted callee that creates the session inside it (`SessionLocal`, `Session`).
    #[serde(skip)]
    pub created_by: String,
    /// Class the guard is a method of, if any (then it is called as `self.name()`).
    pub class: Option<String>,
    pub is_async: bool,
    pub lifecycle: Lifecycle,
    pub line: usize,
    pub shape: GuardShape,
    /// Parameters callers must pass (`hass` of `session_scope(*, hass)`), or one of which
    /// they must pass when the session comes from them (`hass=None, session=None`).
    pub params: Vec<String>,
    /// Parameters the lifecycle depends on (`read_only` of `if not read_only: commit()`):
    /// it is the lifecycle of calls that leave them at their defaults.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_params: Vec<String>,
    /// Defined inside a function: reachable only through what returns it, never imported.
    pub nested: bool,
}

/// How a guard is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuardShape {
    /// `@contextmanager` / `@asynccontextmanager` function (or method, with `class`).
    ContextManager,
    /// `get_db = contextmanager(get_session)`.
    Wrapped,
    /// A plain function returning a guard (`return _scope()`, `return F.begin()`).
    ReturnsGuard,
    /// A class with `__enter__` / `__exit__`, or a sessionmaker whose `class_=` is one.
    Class,
}

/// Where the guard in use comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "source")]
pub enum GuardSource {
    /// `[tool.codemod] guard = ...`
    Config { path: PathBuf },
    /// Found in the scanned tree.
    Discovered { path: PathBuf, line: usize },
    /// SQLAlchemy's own `Factory.begin()`, used where the tree has no guard.
    SqlalchemyBegin,
}

/// The guard chosen for one flavour (sync or async).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChosenGuard {
    /// Call expression, e.g. `get_db_session()`.
    pub expr: String,
    pub import: Option<Import>,
    /// `import` is the config's `guard-import`, trusted as written (else the project
    /// model derived it and resolves it file by file).
    #[serde(skip)]
    pub import_from_config: bool,
    pub lifecycle: Lifecycle,
    pub source: GuardSource,
    /// Module that defines it (no import needed there).
    #[serde(skip)]
    pub defined_in: Option<PathBuf>,
    /// Name of the factory it makes its sessions from (`SessionLocal`), when known.
    #[serde(skip)]
    pub factory: Option<String>,
    /// Its lifecycle was derived or declared (not assumed).
    pub lifecycle_known: bool,
    /// Production `with` uses of it.
    pub uses: usize,
}

/// What `codemod guard` prints.
#[derive(Debug, Clone, Serialize)]
pub struct GuardReport {
    pub sync: Option<ChosenGuard>,
    pub r#async: Option<ChosenGuard>,
    /// Ambiguities and absences, each naming the config key that settles it.
    pub notes: Vec<String>,
    /// Every guard of the tree, with its uses.
    pub guards: Vec<crate::registry::Guard>,
}

pub struct ProjectIndex {
    pub(crate) config: LoadedConfig,
    pub(crate) factories: Vec<(FactoryDef, PathBuf)>,
    pub(crate) generators: Vec<(GeneratorDef, PathBuf)>,
    /// Functions that return a session made by one of `factories`.
    pub(crate) factory_fns: Vec<(FactoryFnDef, PathBuf)>,
    pub(crate) guards: Vec<crate::registry::Guard>,
    /// Module names and what resolving names across files needs.
    pub(crate) modules: crate::registry::Modules,
    pub(crate) report: GuardReport,
    /// First segments of the scanned tree's modules: imports from elsewhere are not ours.
    pub(crate) tree_roots: std::collections::HashSet<String>,
    /// Every name a manual block can start from, searched in one pass per file.
    pub(crate) block_needles: Option<aho_corasick::AhoCorasick>,
    /// What each function of the tree does with a session it receives.
    pub(crate) summaries: crate::summaries::Summaries,
    /// The SQLAlchemy versions the project allows: SQLAlchemy's own guard forms are
    /// written only where every one of them has the form.
    pub(crate) sqla: crate::sqla_version::ProjectRanges,
    /// Functions shaped like factory functions whose session is no SQLAlchemy one:
    /// (qualified name, where their session comes from).
    pub(crate) not_factory_fns: Vec<(String, String)>,
}

impl Serialize for Import {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_statement())
    }
}

impl Import {
    pub fn to_statement(&self) -> String {
        match self {
            Import::From { module, name } => format!("from {module} import {name}"),
            Import::Statement(s) => s.clone(),
        }
    }
}

/// Dotted module name of a file: walk up while the folder has an `__init__.py`.
pub fn module_name(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?.to_string();
    let package = package_of(path.parent().unwrap_or(Path::new("")));
    let mut parts: Vec<String> = package
        .map(|p| p.split('.').map(str::to_string).collect())
        .unwrap_or_default();
    if stem != "__init__" {
        parts.push(stem);
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.join("."))
}

/// The dotted package a folder is (`None` when it has no `__init__.py`), cached per folder:
/// every file of a tree asks, and the answer costs a few file-system calls.
fn package_of(dir: &Path) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Option<String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(dir).cloned()) {
        return hit;
    }
    // Walked paths are absolute already; only relative ones need the file system.
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
    };
    let answer = if abs.join("__init__.py").is_file() {
        let name = abs.file_name().and_then(|n| n.to_str()).map(str::to_string);
        match (name, abs.parent()) {
            (Some(name), Some(parent)) => Some(match package_of(parent) {
                Some(p) => format!("{p}.{name}"),
                None => name,
            }),
            (Some(name), None) => Some(name),
            _ => None,
        }
    } else {
        None
    };
    if let Ok(mut c) = cache.lock() {
        c.insert(dir.to_path_buf(), answer.clone());
    }
    answer
}

pub use crate::facts::{collect_facts, may_define_facts};

/// What a call expression creates, as far as the index can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FactoryMatch {
    /// Source-level callee (`SessionLocal`, `self.Session`, `next(get_db())` -> `get_db`).
    pub callee: String,
    pub is_async: bool,
    /// `callee.begin()` exists (the callee is a sessionmaker called without arguments).
    pub begin_fallback: bool,
    /// `with <call> as s, s.begin():` is SQLAlchemy's own guard for it (a sessionmaker
    /// called with arguments, `Session(engine)`): the call's range.
    pub session_begin: Option<ruff_text_size::TextRange>,
    /// The factory the session really comes from (a generator's own factory for
    /// `next(get_db())`), to check a guard makes the same kind of session.
    pub maker: String,
    /// The session comes from a `scoped_session` registry: the thread's shared session.
    pub registry: bool,
    /// That registry is removed where requests end (teardown hook, middleware, `finally:`).
    pub registry_removed: bool,
    /// The session comes from a function of ours that sets it up beyond what the factory
    /// does (`open_session(tag)`): its name. A guard would make a different session.
    pub configured_by: Option<String>,
}

/// A guard resolved for one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockGuard {
    pub expr: String,
    pub import: Option<Import>,
    pub lifecycle: Lifecycle,
    /// `with <expr> as s, s.begin():` (SQLAlchemy's guard for a session called with
    /// arguments) rather than `with <expr> as s:`.
    pub begin_on_session: bool,
    /// Why this guard and not the codebase's, when that is the case.
    pub note: Option<String>,
    /// The lifecycle was derived or declared, not assumed.
    pub lifecycle_known: bool,
}

/// SQLAlchemy's own guard for a block's factory: `F.begin()` for a sessionmaker called
/// without arguments, `F(args) as s, s.begin()` otherwise.
fn sqlalchemy_guard(
    factory: &FactoryMatch,
    text: &str,
    note: Option<String>,
) -> Option<BlockGuard> {
    if factory.begin_fallback {
        return Some(BlockGuard {
            expr: format!("{}.begin()", factory.callee),
            import: None,
            lifecycle: Lifecycle::SQLALCHEMY_BEGIN,
            lifecycle_known: true,
            begin_on_session: false,
            note,
        });
    }
    factory.session_begin.map(|r| BlockGuard {
        expr: text[r].to_string(),
        import: None,
        lifecycle: Lifecycle::SQLALCHEMY_BEGIN,
        lifecycle_known: true,
        begin_on_session: true,
        note,
    })
}

impl BlockGuard {
    /// The `with` items binding `name`.
    pub fn items(&self, name: &str) -> String {
        if self.begin_on_session {
            format!("{} as {name}, {name}.begin()", self.expr)
        } else {
            format!("{} as {name}", self.expr)
        }
    }
}

const STANDARD_GUARD: Lifecycle = Lifecycle {
    commits: true,
    rollback_on: crate::lifecycle::RollbackOn::Exception,
    reraises: true,
    translates: false,
    closes: true,
};

impl ProjectIndex {
    /// Merge pass-1 facts and config; choose the guards. The project root is the config's
    /// folder (or where discovery started).
    pub fn build(config: LoadedConfig, facts: Vec<FileFacts>) -> ProjectIndex {
        let root = std::fs::canonicalize(&config.root).unwrap_or_else(|_| config.root.clone());
        Self::build_in(&root, config, facts)
    }

    /// `build` with the project root given (the folder of the nearest `pyproject.toml`,
    /// `setup.cfg`, `setup.py` or `.git`).
    pub fn build_in(root: &Path, config: LoadedConfig, mut facts: Vec<FileFacts>) -> ProjectIndex {
        let modules = modules_of(root, &mut facts);
        let mut factories = vec![];
        let mut generators = vec![];
        let mut factory_fns = vec![];
        let mut guard_defs = vec![];
        let mut aliases = vec![];
        let mut getters = std::collections::HashSet::new();
        let mut uses = vec![];
        let mut maker_fns = vec![];
        let mut made = vec![];
        let mut local_summaries = vec![];
        let mut by_file = std::collections::HashMap::new();
        let mut removes = vec![];
        let mut tree_roots = std::collections::HashSet::new();
        for f in facts {
            let module = f.module.clone().unwrap_or_else(|| {
                f.path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string()
            });
            tree_roots.insert(module.split('.').next().unwrap_or_default().to_string());
            for mut d in f.factories {
                if !d.attribute {
                    d.qualified = format!("{module}.{}", d.name);
                } else if let Some(owner) = &d.owner {
                    d.qualified = format!("{module}.{owner}.{}", d.name);
                }
                factories.push((d, f.path.clone()));
            }
            by_file.insert(f.path.clone(), f.creators);
            removes.extend(f.removes.into_iter().map(|r| (r, f.path.clone())));
            for mut g in f.generators {
                g.qualified = format!("{module}.{}", g.name);
                generators.push((g, f.path.clone()));
            }
            for mut d in f.factory_fns {
                d.qualified = format!("{module}.{}", d.name);
                factory_fns.push((d, f.path.clone()));
            }
            for g in f.guards {
                guard_defs.push((g, f.path.clone()));
            }
            for g in f.getters {
                getters.insert((f.path.clone(), g));
            }
            for a in f.aliases {
                aliases.push((a, f.path.clone()));
            }
            for (name, is_async, has_begin) in f.maker_fns {
                maker_fns.push((format!("{module}.{name}"), is_async, has_begin));
            }
            for b in f.call_bindings {
                made.push((b, f.path.clone(), module.clone()));
            }
            uses.extend(f.with_uses.into_iter().map(|u| (f.path.clone(), u)));
            local_summaries.push((f.path.clone(), Some(module.clone()), f.summaries));
        }
        let creators = Creators {
            modules: &modules,
            by_file,
            roots: &tree_roots,
        };
        factories.extend(made_factories(&modules, &maker_fns, &made));
        factories.extend(config_factories(&config));
        extend_aliases(&mut factories, &aliases, &getters, &creators);
        let ignore = &config.config.ignore_factories;
        factories.retain(|(f, _)| !ignore.iter().any(|i| last_segment(i) == f.name));
        factories.sort_by(|a, b| (&a.1, a.0.line).cmp(&(&b.1, b.0.line)));
        mark_removed_registries(&mut factories, &removes, &creators);
        // Only functions returning what one of our factories makes (not `requests.Session()`).
        let mut not_factory_fns = vec![];
        factory_fns.retain(|(d, path)| {
            let resolved = creators.resolve(path, &d.created_by);
            let found = creators.factory_at(&factories, path, &d.created_by, &resolved);
            if found.is_none() {
                let ours = |root: &str| tree_roots.contains(root);
                let origin = crate::provenance::origin(&resolved, ours, None);
                not_factory_fns.push((d.qualified.clone(), origin));
            }
            found.is_some()
        });
        factory_fns.sort_by(|a, b| (&a.1, a.0.line).cmp(&(&b.1, b.0.line)));
        // Generators and guards whose session is no SQLAlchemy one are neither.
        generators
            .retain(|(g, path)| creators.makes_sessions(path, &g.created_by, &factories, &[]));
        generators.sort_by(|a, b| (&a.1, a.0.line).cmp(&(&b.1, b.0.line)));
        guard_defs.retain(|(g, path)| {
            creators.makes_sessions(path, &g.created_by, &factories, &generators)
        });
        guard_defs.extend(factory_class_guards(&factories, &guard_defs));
        guard_defs.sort_by(|a, b| (&a.1, a.0.line).cmp(&(&b.1, b.0.line)));
        let sqla = crate::sqla_version::ProjectRanges::detect(root, &config);
        drop(creators);

        let mut index = ProjectIndex {
            config,
            factories,
            generators,
            factory_fns,
            guards: vec![],
            report: GuardReport {
                sync: None,
                r#async: None,
                notes: vec![],
                guards: vec![],
            },
            tree_roots,
            block_needles: None,
            not_factory_fns,
            modules,
            summaries: Default::default(),
            sqla,
        };
        index.guards = crate::registry::resolve_guards(guard_defs, &uses, &index.modules);
        index.report = index.choose_guards();
        index.summaries = crate::summaries::Summaries::build(local_summaries, &index);
        if !index.factories.is_empty() || !index.generators.is_empty() {
            index.report.notes.extend(index.sqla.note());
        }
        index.report.notes.extend(index.registry_notes());
        index.block_needles = aho_corasick::AhoCorasick::new(index.block_needle_list()).ok();
        index
    }

    /// The factory name behind a creating callee: a generator's own factory for
    /// `get_db`, else the callee's last segment.
    fn maker_of(&self, callee: &str) -> String {
        let last = last_segment(callee);
        self.generators
            .iter()
            .find(|(g, _)| g.name == last)
            .map(|(g, _)| last_segment(&g.created_by).to_string())
            .unwrap_or_else(|| last.to_string())
    }

    /// Whether the guard's factory and the block's make the same sessions: the same name, or
    /// `Session(engine)` against a factory bound to `engine`.
    fn same_maker(&self, guard: &str, block: &str) -> bool {
        if guard == block {
            return true;
        }
        let bind_of = |m: &str| -> Option<String> {
            if let Some((_, rest)) = m.split_once('(') {
                return Some(rest.trim_end_matches(')').trim().to_string());
            }
            self.factories
                .iter()
                .find(|(f, _)| f.name == m)
                .and_then(|(f, _)| f.bind.clone())
        };
        matches!((bind_of(guard), bind_of(block)), (Some(a), Some(b)) if !a.is_empty() && a == b)
    }

    /// One note per `scoped_session` registry removed where requests end: its sessions are
    /// the requests', closed there, and are not reported as leaks.
    fn registry_notes(&self) -> Vec<String> {
        let project = self.project_dir();
        self.factories
            .iter()
            .filter_map(|(f, path)| {
                let removed_at = f.removed_at.as_ref()?;
                let rel = path.strip_prefix(project).unwrap_or(path);
                Some(format!(
                    "`{}` ({}:{}) is a scoped_session registry removed where requests end \
                     ({removed_at}): sessions taken from it are closed there, so they are not \
                     reported as leaks",
                    f.name,
                    rel.display(),
                    f.line
                ))
            })
            .collect()
    }

    fn choose_guards(&self) -> GuardReport {
        let mut notes = vec![];
        let sync = self.choose_guard(false, &mut notes);
        let r#async = self.choose_guard(true, &mut notes);
        GuardReport {
            sync,
            r#async,
            notes,
            guards: self.guards.clone(),
        }
    }

    /// The target for one flavour: config, else the production guard production code uses
    /// most, else SQLAlchemy's own `F.begin()`.
    fn choose_guard(&self, is_async: bool, notes: &mut Vec<String>) -> Option<ChosenGuard> {
        let flavour = if is_async { "async" } else { "sync" };
        if let Some(chosen) = self.config_guard(is_async, notes) {
            return Some(chosen);
        }
        let expr_key = if is_async { "async-guard" } else { "guard" };
        let flavoured = |g: &&Guard| g.def.is_async == is_async && g.def.lifecycle.reraises;
        let candidates: Vec<&Guard> = self
            .guards
            .iter()
            .filter(flavoured)
            .filter(|g| g.file_class == FileClass::Production && g.reachable() && g.args_agree())
            .collect();
        for g in self.guards.iter().filter(flavoured) {
            if g.file_class == FileClass::Production && g.reachable() && !g.args_agree() {
                notes.push(disagreeing_args_note(g, flavour, expr_key));
            }
            if g.file_class == FileClass::Production && !g.def.nested && !g.reachable() {
                notes.push(format!(
                    "{flavour} guard candidate `{}` ({}:{}) is a method the tree reaches only \
                     through `self`: set [tool.codemod] {expr_key} = \"<instance>.{}()\" to use it",
                    g.qualified,
                    g.path.display(),
                    g.def.line,
                    g.def.name
                ));
            }
        }
        let full: Vec<&Guard> = candidates
            .iter()
            .copied()
            .filter(|g| {
                let l = &g.def.lifecycle;
                l.commits && l.rolls_back() && l.closes
            })
            .collect();
        let mut pool = if full.is_empty() { candidates } else { full };
        pool.sort_by(|a, b| b.production_uses.cmp(&a.production_uses));
        match pool.as_slice() {
            [] => {
                self.no_guard_note(is_async, notes);
                Some(ChosenGuard {
                    expr: "<factory>.begin()".into(),
                    import: None,
                    import_from_config: false,
                    lifecycle: Lifecycle::SQLALCHEMY_BEGIN,
                    lifecycle_known: true,
                    source: GuardSource::SqlalchemyBegin,
                    defined_in: None,
                    factory: None,
                    uses: 0,
                })
            }
            [first, second, ..] if first.production_uses == second.production_uses => {
                let names: Vec<String> = pool
                    .iter()
                    .filter(|g| g.production_uses == first.production_uses)
                    .map(|g| format!("`{}` ({}:{})", g.def.name, g.path.display(), g.def.line))
                    .collect();
                notes.push(format!(
                    "{flavour} guard is ambiguous: {}, each with {} production uses; set \
                     [tool.codemod] {expr_key} (and {expr_key}-import) to choose; {flavour} \
                     blocks are not rewritten until then",
                    names.join(", "),
                    first.production_uses
                ));
                None
            }
            [first, rest @ ..] => {
                if let Some(second) = rest.first() {
                    if second.production_uses * 2 > first.production_uses {
                        notes.push(format!(
                            "{flavour} guard: chose `{}` ({} production uses) over `{}` ({}); \
                             set [tool.codemod] {expr_key} to choose another",
                            first.expr(),
                            first.production_uses,
                            second.expr(),
                            second.production_uses
                        ));
                    }
                }
                Some(self.chosen_from(first))
            }
        }
    }

    fn chosen_from(&self, g: &Guard) -> ChosenGuard {
        ChosenGuard {
            expr: g.expr(),
            import: import_of(g),
            import_from_config: false,
            lifecycle: g.def.lifecycle,
            lifecycle_known: true,
            source: GuardSource::Discovered {
                path: g.path.clone(),
                line: g.def.line,
            },
            defined_in: Some(g.path.clone()),
            factory: Some(self.maker_of(&g.def.created_by)),
            uses: g.production_uses,
        }
    }

    /// `[tool.codemod] guard = ...`: its lifecycle from its definition, else from
    /// `guard-lifecycle`, else unknown (never assumed).
    fn config_guard(&self, is_async: bool, notes: &mut Vec<String>) -> Option<ChosenGuard> {
        let cfg = &self.config.config;
        let (expr, import, declared, key) = if is_async {
            (
                &cfg.async_guard,
                &cfg.async_guard_import,
                &cfg.async_guard_lifecycle,
                "async-guard-lifecycle",
            )
        } else {
            (
                &cfg.guard,
                &cfg.guard_import,
                &cfg.guard_lifecycle,
                "guard-lifecycle",
            )
        };
        let expr = expr.as_ref()?;
        let flavour = if is_async { "async" } else { "sync" };
        let def = self.config_guard_def(expr, is_async);
        let (lifecycle, known) = match (def, declared) {
            (Some(g), _) => (g.def.lifecycle, true),
            (None, Some(list)) => (crate::config::lifecycle_from(list), true),
            (None, None) => {
                notes.push(format!(
                    "{flavour} guard `{expr}` (from config) is not defined in the scanned tree \
                     and its lifecycle is unknown: set [tool.codemod] {key} (e.g. [\"commit\", \
                     \"rollback\", \"close\"]); rewrites into it are review until then"
                ));
                (STANDARD_GUARD, false)
            }
        };
        let import_from_config = import.is_some();
        let import = match import {
            Some(statement) => Some(Import::from_statement(statement)),
            None => def.and_then(|g| derived_config_import(expr, g)),
        };
        Some(ChosenGuard {
            expr: expr.clone(),
            import,
            import_from_config,
            lifecycle,
            lifecycle_known: known,
            source: GuardSource::Config {
                path: self.config.path.clone().unwrap_or_default(),
            },
            defined_in: def.map(|g| g.path.clone()),
            // Named in config: trusted for every block, whatever its factory.
            factory: None,
            uses: def.map_or(0, |g| g.production_uses),
        })
    }

    /// The definition in the tree of the guard config names as `expr`.
    fn config_guard_def(&self, expr: &str, is_async: bool) -> Option<&Guard> {
        let callee = expr.split('(').next().unwrap_or(expr).trim();
        self.guards.iter().find(|g| {
            g.def.is_async == is_async && g.def.name == last_segment(callee) && !g.def.nested
        })
    }

    /// A config guard nothing can import: no `guard-import`, and no definition in the
    /// tree the project model could write an import of. Every rewrite into it would be
    /// refused file by file, so it is a config error naming the key.
    pub fn config_guard_error(&self) -> Option<ConfigError> {
        let cfg = &self.config.config;
        for (is_async, key, expr, import) in [
            (false, "guard", &cfg.guard, &cfg.guard_import),
            (
                true,
                "async-guard",
                &cfg.async_guard,
                &cfg.async_guard_import,
            ),
        ] {
            let Some(expr) = expr else { continue };
            let def = self.config_guard_def(expr, is_async);
            if import.is_some() || def.and_then(|g| derived_config_import(expr, g)).is_some() {
                continue;
            }
            return Some(ConfigError::Invalid {
                path: self.config.path.clone().unwrap_or_default(),
                message: format!(
                    "key `{key}`: `{expr}` is not defined in the scanned tree under an \
                     importable name and there is no `{key}-import`, so no rewrite could \
                     import it: set {key}-import (e.g. \"from app.db import {}\")",
                    root_name(expr)
                ),
            });
        }
        None
    }

    fn no_guard_note(&self, is_async: bool, notes: &mut Vec<String>) {
        let flavour = if is_async { "async" } else { "sync" };
        let expr_key = if is_async { "async-guard" } else { "guard" };
        let has_maker = self
            .factories
            .iter()
            .any(|(f, _)| f.is_async == is_async && f.has_begin);
        let has_other = self.generators.iter().any(|(g, _)| g.is_async == is_async)
            || self
                .factories
                .iter()
                .any(|(f, _)| f.is_async == is_async && !f.has_begin);
        let below_1_4 = self.sqla.some_below(crate::sqla_version::Version::V1_4);
        if (has_maker || has_other) && below_1_4 {
            notes.push(format!(
                "no {flavour} guard found in the tree, and SQLAlchemy's own (`<factory>.begin()`, \
                 `session.begin()`) needs 1.4 while the project allows older versions: blocks are not \
                 rewritten; `codemod guard --suggest` prints a guard module to add, or set \
                 [tool.codemod] {expr_key}"
            ));
        } else if has_maker || has_other {
            notes.push(format!(
                "no {flavour} guard found in the tree{}; `codemod guard --suggest` prints a \
                 guard module to add, or set [tool.codemod] {expr_key}",
                if has_maker {
                    ": blocks on a sessionmaker use SQLAlchemy's `<factory>.begin()`, other \
                     blocks are not rewritten"
                } else {
                    ": blocks on `Session(...)` use SQLAlchemy's `session.begin()`, other \
                     blocks are not rewritten"
                }
            ));
        }
    }

    /// Cheap text test for pass 2: can this file contain a manual block? Files that cannot
    /// are counted as scanned but never parsed.
    pub fn may_contain_blocks(&self, text: &str) -> bool {
        match &self.block_needles {
            Some(needles) => needles.is_match(text),
            None => true,
        }
    }

    /// Factory, generator and guard names, `Session(` and the configured guards.
    fn block_needle_list(&self) -> Vec<String> {
        let mut needles = vec!["Session(".to_string()];
        needles.extend(self.factories.iter().map(|(f, _)| f.name.clone()));
        needles.extend(self.generators.iter().map(|(g, _)| g.name.clone()));
        needles.extend(self.factory_fns.iter().map(|(d, _)| d.name.clone()));
        needles.extend(self.guards.iter().map(|g| g.def.name.clone()));
        for g in [&self.config.config.guard, &self.config.config.async_guard]
            .into_iter()
            .flatten()
        {
            needles.push(last_segment(g.split('(').next().unwrap_or(g)).to_string());
        }
        needles.retain(|n| !n.is_empty());
        needles.sort();
        needles.dedup();
        needles
    }

    pub fn guard_report(&self) -> &GuardReport {
        &self.report
    }

    pub fn config(&self) -> &LoadedConfig {
        &self.config
    }

    /// What `call` creates: a factory call, `next(generator())`, `Session(engine)`.
    pub(crate) fn factory_call(
        &self,
        expr: &ruff_python_ast::Expr,
        imports: &FileImports,
    ) -> Option<FactoryMatch> {
        use ruff_python_ast::Expr;
        let Expr::Call(call) = expr else { return None };
        let callee = crate::syntax::dotted(&call.func)?;
        let last = last_segment(&callee);
        if callee == "next" && call.arguments.args.len() == 1 {
            let Expr::Call(inner) = &call.arguments.args[0] else {
                return None;
            };
            let gen = crate::syntax::dotted(&inner.func)?;
            let resolved = self.resolve(imports, &gen);
            let (g, _) = self
                .generators
                .iter()
                .find(|(g, _)| !g.is_async && names_def(&resolved, &gen, &g.name, &g.qualified))?;
            return Some(FactoryMatch {
                callee: gen,
                is_async: g.is_async,
                begin_fallback: false,
                session_begin: None,
                maker: self.maker_of(&g.created_by),
                registry: false,
                registry_removed: false,
                configured_by: None,
            });
        }
        if self
            .config
            .config
            .ignore_factories
            .iter()
            .any(|i| i == &callee || i == last)
        {
            return None;
        }
        if let Some(d) = self.factory_fn(&callee, imports) {
            let made_by = last_segment(&d.created_by);
            let is_async = self
                .factories
                .iter()
                .any(|(f, _)| f.name == made_by && f.is_async);
            return Some(FactoryMatch {
                callee: callee.clone(),
                is_async,
                begin_fallback: false,
                session_begin: None,
                maker: made_by.to_string(),
                registry: false,
                registry_removed: false,
                configured_by: d.configures.then(|| d.name.clone()),
            });
        }
        let no_args = call.arguments.args.is_empty() && call.arguments.keywords.is_empty();
        if let Some(f) = self.resolve_factory(&callee, imports) {
            return Some(FactoryMatch {
                maker: f.name.clone(),
                registry: f.registry,
                registry_removed: f.removed_at.is_some(),
                callee,
                is_async: f.is_async,
                begin_fallback: f.has_begin && no_args,
                session_begin: f.has_begin.then(|| ruff_text_size::Ranged::range(call)),
                configured_by: None,
            });
        }
        // The makers themselves (`sessionmaker()`) make factories, not sessions.
        if matches!(
            last,
            "sessionmaker" | "async_sessionmaker" | "scoped_session" | "async_scoped_session"
        ) {
            return None;
        }
        let has_bind = !call.arguments.args.is_empty()
            || call
                .arguments
                .keywords
                .iter()
                .any(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "bind"));
        if has_bind && imports.is_sqlalchemy(&callee) && matches!(last, "Session" | "AsyncSession")
        {
            let is_async = last == "AsyncSession";
            return Some(FactoryMatch {
                maker: format!(
                    "{callee}({})",
                    crate::facts::bind_text_of(call).unwrap_or_default()
                ),
                callee,
                is_async,
                registry: false,
                registry_removed: false,
                begin_fallback: false,
                session_begin: Some(ruff_text_size::Ranged::range(call)),
                configured_by: None,
            });
        }
        None
    }

    /// The factory a dotted callee names, after import resolution.
    /// A call of one of our factory functions: by import, or by bare name in its own module.
    fn factory_fn(&self, callee: &str, imports: &FileImports) -> Option<&FactoryFnDef> {
        let resolved = self.resolve(imports, callee);
        self.factory_fns
            .iter()
            .map(|(d, _)| d)
            .find(|d| names_def(&resolved, callee, &d.name, &d.qualified))
    }

    /// Whether `qualified` (`module.function`) is one of our factory functions: its own
    /// session is what it returns, not a block.
    pub(crate) fn is_factory_fn(&self, qualified: &str) -> bool {
        self.factory_fns
            .iter()
            .any(|(d, _)| same_path(&d.qualified, qualified))
    }

    fn resolve_factory(&self, callee: &str, imports: &FileImports) -> Option<&FactoryDef> {
        let resolved = self.resolve(imports, callee);
        let stars = imports.star_modules();
        find_factory(
            &self.factories,
            &self.modules,
            &resolved,
            callee,
            imports.module(),
            &stars,
            &self.tree_roots,
        )
    }

    /// Where the session of a call that is no factory call comes from, when its callee is
    /// named like a session factory (`requests.Session`, `get_http_session`): for the
    /// summary's count of what was left out.
    pub(crate) fn not_database(
        &self,
        expr: &ruff_python_ast::Expr,
        imports: &FileImports,
    ) -> Option<(String, String)> {
        use ruff_python_ast::Expr;
        let Expr::Call(call) = expr else { return None };
        let callee = crate::syntax::dotted(&call.func)?;
        let resolved = self.resolve(imports, &callee);
        let named = crate::provenance::named_like_session(&callee)
            || matches!(&resolved, Resolved::Qualified(q) if crate::provenance::named_like_session(q));
        if !named {
            return None;
        }
        // A method of a factory (`Session.object_session(obj)`) makes no session.
        if let Some((parent, _)) = callee.rsplit_once('.') {
            if self.resolve_factory(parent, imports).is_some() {
                return None;
            }
        }
        // A helper of ours shaped like a factory function: where its session comes from.
        let helper = match &resolved {
            Resolved::Qualified(q) => self
                .not_factory_fns
                .iter()
                .find(|(f, _)| same_path(f, q))
                .map(|(_, o)| o.as_str()),
            _ => None,
        };
        if self.factory_call(expr, imports).is_some() || self.begin_factory(expr, imports).is_some()
        {
            return None;
        }
        // SQLAlchemy's own `Session()` without a bind is not another library's session.
        if matches!(&resolved, Resolved::Qualified(q) if crate::provenance::is_sqlalchemy_path(q)) {
            return None;
        }
        let ours = |root: &str| self.tree_roots.contains(root);
        Some((callee, crate::provenance::origin(&resolved, ours, helper)))
    }

    /// `F.begin()` on a sessionmaker factory: SQLAlchemy's own guard.
    pub(crate) fn begin_factory(
        &self,
        expr: &ruff_python_ast::Expr,
        imports: &FileImports,
    ) -> Option<FactoryMatch> {
        use ruff_python_ast::Expr;
        let Expr::Call(call) = expr else { return None };
        let Expr::Attribute(a) = &*call.func else {
            return None;
        };
        if a.attr.as_str() != "begin" {
            return None;
        }
        let callee = crate::syntax::dotted(&a.value)?;
        let f = self
            .resolve_factory(&callee, imports)
            .filter(|f| f.has_begin)?;
        Some(FactoryMatch {
            maker: f.name.clone(),
            registry: f.registry,
            registry_removed: f.removed_at.is_some(),
            callee,
            is_async: f.is_async,
            begin_fallback: true,
            session_begin: None,
            configured_by: None,
        })
    }

    /// The codebase has its own guard (config or discovered) for this flavour.
    pub(crate) fn has_project_guard(&self, is_async: bool) -> bool {
        let chosen = if is_async {
            &self.report.r#async
        } else {
            &self.report.sync
        };
        chosen
            .as_ref()
            .is_some_and(|c| c.source != GuardSource::SqlalchemyBegin)
    }

    /// Lifecycle of a guard of the tree (or the configured one) called as `expr` in the
    /// file at `path`: any guard counts, each by its own lifecycle.
    pub(crate) fn guard_call(
        &self,
        expr: &ruff_python_ast::Expr,
        imports: &FileImports,
        path: &Path,
    ) -> Option<Lifecycle> {
        use ruff_python_ast::Expr;
        let Expr::Call(call) = expr else { return None };
        let callee = crate::syntax::dotted(&call.func)?;
        for (flavour, cfg) in [
            (&self.report.sync, &self.config.config.guard),
            (&self.report.r#async, &self.config.config.async_guard),
        ] {
            if let (Some(chosen), Some(cfg)) = (flavour, cfg) {
                let cfg_callee = cfg.split('(').next().unwrap_or(cfg).trim();
                if cfg_callee == callee && chosen.lifecycle_known {
                    return Some(chosen.lifecycle);
                }
            }
        }
        // `match_resolved` follows re-exports itself.
        let resolved = imports.resolve(&callee);
        let i = crate::registry::match_resolved(
            &self.guards,
            &self.modules,
            path,
            &resolved,
            &callee,
            None,
        )?;
        // `session_scope(read_only=True)`: not the lifecycle derived at the defaults.
        let def = &self.guards[i].def;
        (!def.call_sets_lifecycle(call)).then_some(def.lifecycle)
    }

    /// What the call `c` in the file at `path` does to what it receives, and whether it
    /// opens a session of its own.
    pub(crate) fn call_effect(
        &self,
        c: &ruff_python_ast::ExprCall,
        imports: &FileImports,
        path: &Path,
    ) -> crate::summaries::CallEffect<'_> {
        self.summaries.call_effect(c, imports, path, self)
    }

    /// A callee resolved through the file's imports and the tree's re-exports.
    pub(crate) fn resolve(&self, imports: &FileImports, callee: &str) -> Resolved {
        match imports.resolve(callee) {
            Resolved::Qualified(q) => Resolved::Qualified(self.modules.follow(&q)),
            other => other,
        }
    }

    /// Dotted module name of a file, as Python resolves it in this project.
    pub fn module_of(&self, path: &Path) -> Option<String> {
        self.modules.module_of(path)
    }

    /// The guard to write for a block whose session comes from `factory`.
    pub(crate) fn guard_for(
        &self,
        factory: &FactoryMatch,
        file: &Path,
        text: &str,
        imports: &FileImports,
    ) -> Result<BlockGuard, String> {
        let chosen = if factory.is_async {
            &self.report.r#async
        } else {
            &self.report.sync
        };
        let flavour = if factory.is_async { "async " } else { "" };
        if factory.registry
            && chosen
                .as_ref()
                .is_some_and(|c| c.source == GuardSource::SqlalchemyBegin)
        {
            return Err(format!(
                "no {flavour}guard in the tree and `{}` is a scoped_session registry, which has \
                 no `begin()` guard of its own: its session is the thread's, shared with the \
                 code around this block; add a guard (`codemod guard --suggest`) or fix by hand",
                factory.callee
            ));
        }
        let Some(chosen) = chosen else {
            return Err(format!(
                "no {flavour}guard: add one (`codemod guard --suggest`) or set [tool.codemod] {}guard",
                if factory.is_async { "async-" } else { "" }
            ));
        };
        if chosen.source == GuardSource::SqlalchemyBegin {
            let guard = sqlalchemy_guard(factory, text, None).ok_or_else(|| {
                format!(
                    "no {flavour}guard in the tree and `{}` is no sessionmaker: add a guard \
                     (`codemod guard --suggest`) or set [tool.codemod] guard",
                    factory.callee
                )
            })?;
            return self.in_project_sqlalchemy(guard, file);
        }
        // The codebase's guard makes sessions from its own factory: a block on another
        // factory (another engine, a migration's connection) keeps its own, through
        // SQLAlchemy's guard.
        if let Some(guard_factory) = &chosen.factory {
            if !self.same_maker(guard_factory, &factory.maker) {
                let note = format!(
                    "SQLAlchemy's guard, not `{}`: that guard makes sessions from \
                     `{guard_factory}`, this block from `{}`",
                    chosen.expr, factory.maker
                );
                let guard =
                    sqlalchemy_guard(factory, text, Some(note.clone())).ok_or_else(|| {
                        format!(
                            "`{}` makes sessions from `{guard_factory}`, this block from `{}`; \
                             set [tool.codemod] guard if they are the same",
                            chosen.expr, factory.maker
                        )
                    })?;
                return self.in_project_sqlalchemy(guard, file);
            }
        }
        Ok(BlockGuard {
            expr: chosen.expr.clone(),
            import: self.import_for(chosen, file, imports)?,
            lifecycle: chosen.lifecycle,
            lifecycle_known: chosen.lifecycle_known,
            begin_on_session: false,
            note: None,
        })
    }

    /// The codebase's guard makes sessions from another factory than `factory`: a block on
    /// it keeps SQLAlchemy's guard (see `guard_for`).
    pub(crate) fn guard_makes_other_sessions(&self, factory: &FactoryMatch) -> bool {
        let chosen = if factory.is_async {
            &self.report.r#async
        } else {
            &self.report.sync
        };
        chosen
            .as_ref()
            .filter(|c| c.source != GuardSource::SqlalchemyBegin)
            .and_then(|c| c.factory.as_deref())
            .is_some_and(|g| !self.same_maker(g, &factory.maker))
    }

    /// SQLAlchemy's own guard, if every SQLAlchemy version the project allows has its form:
    /// `Session` (or a sessionmaker's session) as a context manager and `F.begin()` are
    /// 1.4. (`F.begin()` of an `async_sessionmaker` exists wherever the 2.0 factory does;
    /// no rewrite writes `async_sessionmaker` itself.)
    fn in_project_sqlalchemy(&self, guard: BlockGuard, file: &Path) -> Result<BlockGuard, String> {
        let form = if guard.begin_on_session {
            format!("`{}` as a context manager with `.begin()`", guard.expr)
        } else {
            format!("`{}`", guard.expr)
        };
        self.sqla
            .for_file(file)
            .check(&form, crate::sqla_version::Version::V1_4)
            .map(|()| guard)
    }

    /// The SQLAlchemy versions the project holding `path` allows.
    pub fn sqlalchemy_versions(&self, path: &Path) -> &crate::sqla_version::SqlaVersions {
        self.sqla.for_file(path)
    }

    /// The import a file needs for the chosen guard: none in its own module or when the file
    /// already binds it; a config `guard-import` as written; else one that resolves, by the
    /// project's module map, from this file to the guard (relative when the file imports
    /// its siblings relatively). `Err` (the block stays manual) when none resolves.
    fn import_for(
        &self,
        chosen: &ChosenGuard,
        file: &Path,
        imports: &FileImports,
    ) -> Result<Option<Import>, String> {
        // Both paths come from the same walk (or the same test tree): plain equality.
        if chosen.defined_in.as_deref().is_some_and(|d| d == file) {
            return Ok(None);
        }
        let Some(import) = &chosen.import else {
            return match chosen.source {
                GuardSource::Discovered { .. } => Err(format!(
                    "the guard `{}` is defined in a file no import can reach (its path is no \
                     module name under the project's import roots)",
                    chosen.expr
                )),
                // A config guard without `guard-import` works only where its name is bound.
                GuardSource::Config { .. } => {
                    let root = root_name(&chosen.expr);
                    match imports.root_binding(root) {
                        crate::resolve::RootBinding::Unbound => Err(format!(
                            "the config guard `{}` has no `guard-import`, and `{root}` is not \
                             bound in this file: the rewrite would raise NameError; set \
                             guard-import",
                            chosen.expr
                        )),
                        _ => Ok(None),
                    }
                }
                _ => Ok(None),
            };
        };
        let Import::From { module, name } = import else {
            return Ok(Some(import.clone())); // config statement: trusted as written
        };
        if chosen.import_from_config {
            return Ok(Some(import.clone()));
        }
        let target = self.modules.follow(&format!("{module}.{name}"));
        match self.resolve(imports, name) {
            Resolved::Qualified(q) if same_path(&q, &target) => return Ok(None),
            Resolved::Qualified(q) => {
                return Err(format!(
                    "`{name}` already names `{q}` in this file, so the guard `{}` cannot be \
                     imported here under its name",
                    chosen.expr
                ))
            }
            _ => {}
        }
        let module_file = match self.modules.map.find(module) {
            Some(crate::modules::ModuleFile::File(p)) => p,
            _ => {
                return Err(format!(
                    "the guard's module `{module}` does not resolve from this project's import \
                     roots, so `from {module} import {name}` would not import here"
                ))
            }
        };
        if module_file == crate::modules::normalize(file) {
            return Ok(None);
        }
        if imports.imports_relatively() {
            if let Some(rel) = self.modules.map.relative_module(file, &module_file) {
                return Ok(Some(Import::From {
                    module: rel,
                    name: name.clone(),
                }));
            }
        }
        Ok(Some(import.clone()))
    }

    /// A ready-to-paste guard module (sync and async) built on the tree's own factory.
    pub fn suggest_guard_module(&self) -> String {
        crate::suggest::guard_module(self)
    }
}

impl Import {
    /// `from m import n` becomes `From` (so it can join an existing import); anything else
    /// is kept verbatim.
    pub fn from_statement(stmt: &str) -> Import {
        if let Ok(parsed) = ruff_python_parser::parse_module(stmt) {
            if let [ruff_python_ast::Stmt::ImportFrom(f)] = &parsed.syntax().body[..] {
                if f.level == 0 && f.names.len() == 1 && f.names[0].asname.is_none() {
                    if let Some(m) = &f.module {
                        return Import::From {
                            module: m.to_string(),
                            name: f.names[0].name.to_string(),
                        };
                    }
                }
            }
        }
        Import::Statement(stmt.trim().to_string())
    }
}

/// Module names for every file of the facts (set on the facts too) and what the index
/// needs of each file to resolve names across files.
fn modules_of(root: &Path, facts: &mut [FileFacts]) -> crate::registry::Modules {
    use crate::registry::{FileModule, Modules};
    let map = crate::modules::ModuleMap::build(
        root,
        facts.iter().map(|f| (f.path.as_path(), &f.imported[..])),
    );
    let mut modules = Modules {
        map,
        ..Default::default()
    };
    for f in facts.iter_mut() {
        if let Some(m) = modules.map.module_of(&f.path) {
            f.module = Some(m);
        }
        let is_package = f.path.file_stem().is_some_and(|s| s == "__init__");
        if let Some(m) = &f.module {
            modules.by_module.insert(m.clone(), f.path.clone());
        }
        modules.files.insert(
            f.path.clone(),
            FileModule {
                module: f.module.clone(),
                is_package,
                reexports: std::mem::take(&mut f.reexports),
                instances: vec![],
                relative_imports: f.relative_imports,
            },
        );
    }
    for f in facts.iter() {
        let instances = crate::registry::resolve_instances(&modules, &f.path, &f.call_bindings);
        if let Some(m) = modules.files.get_mut(&f.path) {
            m.instances = instances;
        }
    }
    modules
}

/// `_factory = make_factory()` where `make_factory` returns a sessionmaker: a factory.
fn made_factories(
    modules: &crate::registry::Modules,
    maker_fns: &[(String, bool, bool)],
    made: &[(CallBinding, PathBuf, String)],
) -> Vec<(FactoryDef, PathBuf)> {
    made.iter()
        .filter_map(|(b, path, module)| {
            let Resolved::Qualified(q) = modules.resolve_in(path, &b.binding, &b.callee) else {
                return None;
            };
            let q = modules.follow(&q);
            let (_, is_async, has_begin) = maker_fns.iter().find(|(m, _, _)| same_path(m, &q))?;
            Some((
                FactoryDef {
                    name: b.name.clone(),
                    attribute: false,
                    is_async: *is_async,
                    has_begin: *has_begin,
                    registry: !*has_begin,
                    owner: None,
                    removed_at: None,
                    line: b.line,
                    qualified: format!("{module}.{}", b.name),
                    bind: None,
                    class_: None,
                    getter: false,
                },
                path.clone(),
            ))
        })
        .collect()
}

/// `[tool.codemod] factories` / `async-factories`.
fn config_factories(config: &LoadedConfig) -> Vec<(FactoryDef, PathBuf)> {
    let mut out = vec![];
    for (list, is_async) in [
        (&config.config.factories, false),
        (&config.config.async_factories, true),
    ] {
        for name in list {
            out.push((
                FactoryDef {
                    name: last_segment(name).to_string(),
                    attribute: name.contains('.'),
                    is_async,
                    has_begin: false,
                    registry: false,
                    owner: None,
                    removed_at: None,
                    line: 0,
                    // As written: a dotted name is matched as that expression.
                    qualified: name.clone(),
                    bind: None,
                    class_: None,
                    getter: false,
                },
                config.path.clone().unwrap_or_default(),
            ));
        }
    }
    out
}

/// `self.SessionLocal = SessionLocal`: the alias is a factory too when its source resolves
/// to one (one level is enough in practice; two rounds cover an alias of an alias).
fn extend_aliases(
    factories: &mut Vec<(FactoryDef, PathBuf)>,
    aliases: &[((String, bool, String), PathBuf)],
    getters: &std::collections::HashSet<(PathBuf, String)>,
    creators: &Creators,
) {
    for _ in 0..2 {
        let mut added = vec![];
        for ((name, attribute, source), path) in aliases {
            let resolved = creators.resolve(path, source);
            let module = creators.modules.module_of(path).unwrap_or_default();
            let found = creators.factory_at(factories, path, source, &resolved);
            let Some(src) = found else { continue };
            let qualified = if *attribute {
                String::new()
            } else {
                format!("{module}.{name}")
            };
            let known = factories.iter().any(|(f, _)| {
                &f.name == name && f.attribute == *attribute && f.qualified == qualified
            });
            if !known {
                added.push((
                    FactoryDef {
                        name: name.clone(),
                        attribute: *attribute,
                        qualified,
                        owner: None,
                        getter: getters.contains(&(path.clone(), name.clone())),
                        ..src.clone()
                    },
                    path.clone(),
                ));
            }
        }
        factories.extend(added);
    }
}

/// `Session = sessionmaker(class_=ContextSession)` where `ContextSession` is a class-based
/// guard: `with Session() as s:` enters that guard.
fn factory_class_guards(
    factories: &[(FactoryDef, PathBuf)],
    guards: &[(GuardDef, PathBuf)],
) -> Vec<(GuardDef, PathBuf)> {
    factories
        .iter()
        .filter_map(|(f, path)| {
            let class = last_segment(f.class_.as_deref()?);
            let (g, _) = guards
                .iter()
                .find(|(g, _)| g.shape == GuardShape::Class && g.name == class)?;
            (!f.attribute).then(|| {
                (
                    GuardDef {
                        name: f.name.clone(),
                        created_by: f.name.clone(),
                        line: f.line,
                        nested: false,
                        ..g.clone()
                    },
                    path.clone(),
                )
            })
        })
        .collect()
}

/// The import the project model derives for a guard found in the tree: the one its
/// own uses write, else `from <its module> import <name>`.
fn import_of(g: &Guard) -> Option<Import> {
    g.written.iter().find_map(|w| w.import.clone()).or_else(|| {
        g.module.clone().map(|m| Import::From {
            module: m,
            name: g.def.name.clone(),
        })
    })
}

/// The import of a config guard with no `guard-import`, derived from its definition in
/// the tree: only when that import binds the name the expression starts with.
fn derived_config_import(expr: &str, g: &Guard) -> Option<Import> {
    let import = import_of(g)?;
    let binds = match &import {
        Import::From { name, .. } => name == root_name(expr),
        _ => false,
    };
    binds.then_some(import)
}

/// The name a guard expression starts with: `get_db` in `get_db()`, `db` in `db.scope()`.
fn root_name(expr: &str) -> &str {
    expr.split(['.', '(']).next().unwrap_or_default().trim()
}

fn last_segment(d: &str) -> &str {
    crate::syntax::last_segment(d)
}

/// Why a production guard called with different arguments at different sites is no target.
fn disagreeing_args_note(g: &Guard, flavour: &str, expr_key: &str) -> String {
    let forms: Vec<String> = g
        .target_forms()
        .take(3)
        .map(|w| format!("`{}` {}", w.expr, w.uses))
        .collect();
    let more = g.target_forms().count().saturating_sub(forms.len());
    let forms = match (forms.is_empty(), more) {
        (true, _) => "only with arguments its lifecycle depends on".to_string(),
        (false, 0) => format!("with different arguments ({})", forms.join(", ")),
        (false, n) => format!(
            "with different arguments ({}, and {n} more)",
            forms.join(", ")
        ),
    };
    format!(
        "{flavour} guard candidate `{}` ({}:{}) is not a target: production code calls it \
         {forms}, none of which fits every block; set [tool.codemod] {expr_key} to the call \
         to rewrite blocks into",
        g.qualified,
        g.path.display(),
        g.def.line
    )
}

impl GuardDef {
    /// Whether `call` may set a parameter the lifecycle depends on: by keyword, or through
    /// `**opts`, `*args` or more positional arguments than the required ones.
    pub(crate) fn call_sets_lifecycle(&self, call: &ruff_python_ast::ExprCall) -> bool {
        if self.lifecycle_params.is_empty() {
            return false;
        }
        let a = &call.arguments;
        a.keywords.iter().any(|k| match &k.arg {
            None => true,
            Some(name) => self.lifecycle_params.iter().any(|p| p == name.as_str()),
        }) || a.args.iter().any(|e| e.is_starred_expr())
            || a.args.len() > self.params.len()
    }
}

/// The pass-1 root bindings of the names sessions are made from, per file.
struct Creators<'m> {
    modules: &'m crate::registry::Modules,
    by_file: std::collections::HashMap<PathBuf, Vec<(String, RootBinding)>>,
    /// First segments of the tree's modules.
    roots: &'m std::collections::HashSet<String>,
}

impl Creators<'_> {
    /// `dotted`, as written in the file at `path`, resolved through its imports and the
    /// tree's re-exports.
    fn resolve(&self, path: &Path, dotted: &str) -> Resolved {
        let binding = self
            .by_file
            .get(path)
            .and_then(|b| b.iter().find(|(d, _)| d == dotted))
            .map_or(RootBinding::Unbound, |(_, b)| b.clone());
        self.modules.resolve_followed(path, &binding, dotted)
    }

    /// The tree's factory `dotted` (resolved as `resolved`) names in the file at `path`.
    fn factory_at<'f>(
        &self,
        factories: &'f [(FactoryDef, PathBuf)],
        path: &Path,
        dotted: &str,
        resolved: &Resolved,
    ) -> Option<&'f FactoryDef> {
        let module = self.modules.module_of(path).unwrap_or_default();
        find_factory(
            factories,
            self.modules,
            resolved,
            dotted,
            &module,
            &[],
            self.roots,
        )
    }

    /// Whether `created_by` (in the file at `path`) makes SQLAlchemy sessions: a session
    /// class of SQLAlchemy / SQLModel, one of the tree's factories, or one of `generators`.
    fn makes_sessions(
        &self,
        path: &Path,
        created_by: &str,
        factories: &[(FactoryDef, PathBuf)],
        generators: &[(GeneratorDef, PathBuf)],
    ) -> bool {
        let resolved = self.resolve(path, created_by);
        if let Resolved::Qualified(q) = &resolved {
            // A maker itself: a local typed as one (`factory: sessionmaker`).
            if crate::provenance::is_session_class(q)
                || crate::provenance::is_maker(q)
                || generators.iter().any(|(g, _)| same_path(&g.qualified, q))
            {
                return true;
            }
        }
        if self
            .factory_at(factories, path, created_by, &resolved)
            .is_some()
        {
            return true;
        }
        // `get_instance(hass).get_session()`: kept as the attribute's name alone. Here a
        // getter counts too: a guard that yields what it makes and commits, rolls back or
        // closes it around the `yield` says itself that it is a session.
        matches!(&resolved, Resolved::Unbound(d) if !d.contains('.'))
            && (attribute_factory(factories, created_by).is_some()
                || factories
                    .iter()
                    .any(|(f, _)| f.getter && f.name == created_by))
    }
}

/// Names other libraries give their sessions (`requests.Session`, `boto3.Session`,
/// `aiohttp.ClientSession`): on an object of unknown type they prove nothing.
const SHARED_NAMES: [&str; 2] = ["Session", "ClientSession"];

/// A factory bound as an attribute (`obj.X = sessionmaker(...)`) named `name`, called on an
/// object of unknown type (`self.hass.recorder.get_session()`): only under a name no other
/// library uses for its sessions.
fn attribute_factory<'a>(
    factories: &'a [(FactoryDef, PathBuf)],
    name: &str,
) -> Option<&'a FactoryDef> {
    if SHARED_NAMES.contains(&name) {
        return None;
    }
    factories
        .iter()
        .map(|(f, _)| f)
        .find(|f| f.attribute && !f.getter && f.name == name)
}

/// The factory a resolved callee names. By qualified name (through re-exports); `self.X()`
/// for a factory bound as an attribute (or in this module's class bodies); `obj.X()` where
/// `obj` is a module-level instance of a class whose methods bind `self.X`; a bare name
/// bound in this file (inside a function) or brought by a star import of `stars`; a config
/// factory named as written. On any other object (`client.Session()`,
/// `self.boto3.Session()`) only an attribute factory under a name of its own.
fn find_factory<'a>(
    factories: &'a [(FactoryDef, PathBuf)],
    modules: &crate::registry::Modules,
    resolved: &Resolved,
    callee: &str,
    module: &str,
    stars: &[String],
    roots: &std::collections::HashSet<String>,
) -> Option<&'a FactoryDef> {
    let mut all = factories.iter().map(|(f, _)| f);
    let exact = |q: &str| {
        factories
            .iter()
            .map(|(f, _)| f)
            .find(|f| !f.attribute && !f.qualified.is_empty() && same_path(&f.qualified, q))
    };
    let last = last_segment(callee);
    match resolved {
        Resolved::SelfAttr(attr) if callee.matches('.').count() == 1 => {
            let here = format!("{module}.{attr}");
            all.find(|f| &f.name == attr && (f.attribute || same_path(&f.qualified, &here)))
        }
        Resolved::SelfAttr(_) => attribute_factory(factories, last),
        Resolved::Qualified(q) => exact(q).or_else(|| {
            let (owner, attr) = q.rsplit_once('.')?;
            if let Some(class) = crate::registry::instance_class(modules, owner) {
                let bound = format!("{}.{attr}", modules.follow(&class));
                return all
                    .find(|f| f.attribute && f.owner.is_some() && same_path(&f.qualified, &bound));
            }
            // An object of a module of ours (`state.db.SessionLocal()`), of unknown type.
            let ours = roots.contains(q.split('.').next().unwrap_or_default());
            (ours && callee.contains('.'))
                .then(|| attribute_factory(factories, last))
                .flatten()
        }),
        Resolved::Unbound(d) if !d.contains('.') => exact(&format!("{module}.{d}")).or_else(|| {
            stars
                .iter()
                .find_map(|m| exact(&modules.follow(&format!("{m}.{d}"))))
        }),
        // A parameter or local object: a config factory named as written, else as above.
        Resolved::Unbound(d) => all
            .find(|f| f.attribute && f.line == 0 && f.qualified == *d)
            .or_else(|| attribute_factory(factories, last)),
    }
}

/// `registry.remove()` where requests end marks the `scoped_session` registry it removes.
fn mark_removed_registries(
    factories: &mut [(FactoryDef, PathBuf)],
    removes: &[(crate::teardown::RemoveCall, PathBuf)],
    creators: &Creators,
) {
    let modules = creators.modules;
    let project = modules.map.project().to_path_buf();
    let mut marks = vec![];
    for (r, path) in removes {
        let resolved = modules.resolve_followed(path, &r.binding, &r.registry);
        let Some(f) = creators.factory_at(factories, path, &r.registry, &resolved) else {
            continue;
        };
        if let Some(i) = factories.iter().position(|(g, _)| std::ptr::eq(g, f)) {
            let rel = path.strip_prefix(&project).unwrap_or(path);
            marks.push((i, format!("{}:{}", rel.display(), r.line)));
        }
    }
    for (i, at) in marks {
        let f = &mut factories[i].0;
        if f.registry && f.removed_at.is_none() {
            f.removed_at = Some(at);
        }
    }
}

/// Whether a call of `callee` (resolved through the file's imports) calls the module-level
/// function `name` defined as `qualified`: by import, or by bare name in its own module.
fn names_def(resolved: &Resolved, callee: &str, name: &str, qualified: &str) -> bool {
    last_segment(callee) == name
        && match resolved {
            Resolved::Qualified(q) => same_path(q, qualified),
            Resolved::Unbound(d) => !d.contains('.'),
            Resolved::SelfAttr(_) => false,
        }
}

impl ProjectIndex {
    /// `codemod guard --suggest [--write FILE]`: the guard module, the file its imports
    /// were computed for (`target`, or `session_guard.py` next to the source's module) and
    /// the sources not used with why; `Err` says why nothing can be suggested. `files` are
    /// the tree's files, read to count each source's production uses.
    pub fn suggest_guard(
        &self,
        files: &[PathBuf],
        target: Option<&Path>,
    ) -> Result<(String, PathBuf, Vec<String>), String> {
        crate::suggest::suggest(self, files, target).map(|s| (s.text, s.target, s.skipped))
    }

    /// The project folder: file classes are relative to it.
    pub fn project_dir(&self) -> &Path {
        self.modules.map.project()
    }
}

impl crate::summaries::Resolver for ProjectIndex {
    fn resolve_site(&self, path: &Path, binding: &RootBinding, dotted: &str) -> Resolved {
        self.modules.resolve_followed(path, binding, dotted)
    }

    fn is_ours(&self, qualified: &str) -> bool {
        self.tree_roots
            .contains(qualified.split('.').next().unwrap_or_default())
    }

    fn may_open(&self, last: &str) -> bool {
        matches!(last, "begin" | "Session" | "AsyncSession")
            || self.factories.iter().any(|(f, _)| f.name == last)
            || self.factory_fns.iter().any(|(d, _)| d.name == last)
            || self.guards.iter().any(|g| g.def.name == last)
    }

    fn opens(&self, path: &Path, resolved: &Resolved, dotted: &str) -> bool {
        let last = last_segment(dotted);
        let factory = self.factories.iter().any(|(f, _)| match resolved {
            Resolved::Qualified(q) => !f.attribute && same_path(&f.qualified, q),
            Resolved::SelfAttr(_) | Resolved::Unbound(_) => f.attribute && f.name == last,
        });
        // `F.begin()` on a factory.
        let begin = last == "begin"
            && self.factories.iter().any(|(f, _)| {
                f.has_begin && dotted.rsplit('.').nth(1).is_some_and(|n| n == f.name)
            });
        let made_by_fn = self
            .factory_fns
            .iter()
            .any(|(d, _)| names_def(resolved, dotted, &d.name, &d.qualified));
        let sqlalchemy = matches!(resolved, Resolved::Qualified(q)
            if q.starts_with("sqlalchemy") && matches!(last, "Session" | "AsyncSession"));
        factory
            || begin
            || made_by_fn
            || sqlalchemy
            || crate::registry::match_resolved(
                &self.guards,
                &self.modules,
                path,
                resolved,
                dotted,
                None,
            )
            .is_some()
    }
}
