//! Pass 1: what the whole tree defines. Factories (`SessionLocal = sessionmaker(...)`),
//! generator dependencies (`def get_db(): ... yield db`) and guards (`@contextmanager` that
//! yields a session), merged into one `ProjectIndex` that pass 2 reads.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::LoadedConfig;
use crate::lifecycle::Lifecycle;
use crate::resolve::{same_path, FileImports, Resolved};
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
    /// `self.SessionLocal = SessionLocal`: (bound name, is attribute, source last segment).
    pub aliases: Vec<(String, bool, String)>,
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
    pub line: usize,
    /// `module.name` (set when the index is built; empty for attribute factories).
    pub qualified: String,
    /// What it binds to (`engine`), as written.
    pub bind: Option<String>,
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
    pub lifecycle: Lifecycle,
    pub source: GuardSource,
    /// Module that defines it (no import needed there).
    #[serde(skip)]
    pub defined_in: Option<PathBuf>,
    /// Name of the factory it makes its sessions from (`SessionLocal`), when known.
    #[serde(skip)]
    pub factory: Option<String>,
}

/// What `codemod guard` prints.
#[derive(Debug, Clone, Serialize)]
pub struct GuardReport {
    pub sync: Option<ChosenGuard>,
    pub r#async: Option<ChosenGuard>,
    /// Ambiguities and absences, each naming the config key that settles it.
    pub notes: Vec<String>,
}

pub struct ProjectIndex {
    pub(crate) config: LoadedConfig,
    pub(crate) factories: Vec<(FactoryDef, PathBuf)>,
    pub(crate) generators: Vec<(GeneratorDef, PathBuf)>,
    /// Functions that return a session made by one of `factories`.
    pub(crate) factory_fns: Vec<(FactoryFnDef, PathBuf)>,
    pub(crate) guards: Vec<(GuardDef, PathBuf, Option<String>)>,
    pub(crate) report: GuardReport,
    /// First segments of the scanned tree's modules: imports from elsewhere are not ours.
    pub(crate) tree_roots: std::collections::HashSet<String>,
    /// Every name a manual block can start from, searched in one pass per file.
    pub(crate) block_needles: Option<aho_corasick::AhoCorasick>,
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
            begin_on_session: false,
            note,
        });
    }
    factory.session_begin.map(|r| BlockGuard {
        expr: text[r].to_string(),
        import: None,
        lifecycle: Lifecycle::SQLALCHEMY_BEGIN,
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
    /// Merge pass-1 facts and config; choose the guards.
    pub fn build(config: LoadedConfig, facts: Vec<FileFacts>) -> ProjectIndex {
        let mut factories = vec![];
        let mut generators = vec![];
        let mut factory_fns = vec![];
        let mut guards = vec![];
        let mut aliases = vec![];
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
                }
                factories.push((d, f.path.clone()));
            }
            for mut g in f.generators {
                g.qualified = format!("{module}.{}", g.name);
                generators.push((g, f.path.clone()));
            }
            for mut d in f.factory_fns {
                d.qualified = format!("{module}.{}", d.name);
                factory_fns.push((d, f.path.clone()));
            }
            for g in f.guards {
                guards.push((g, f.path.clone(), f.module.clone()));
            }
            for a in f.aliases {
                aliases.push((a, f.path.clone()));
            }
        }
        for (list, is_async) in [
            (&config.config.factories, false),
            (&config.config.async_factories, true),
        ] {
            for name in list {
                factories.push((
                    FactoryDef {
                        name: last_segment(name).to_string(),
                        attribute: name.contains('.'),
                        is_async,
                        has_begin: false,
                        line: 0,
                        qualified: if name.contains('.') {
                            String::new()
                        } else {
                            name.clone()
                        },
                        bind: None,
                    },
                    config.path.clone().unwrap_or_default(),
                ));
            }
        }
        // `self.SessionLocal = SessionLocal`: the alias is a factory too (one level is enough
        // in practice; two rounds cover an alias of an alias).
        for _ in 0..2 {
            let mut added = vec![];
            for ((name, attribute, source), path) in &aliases {
                let Some((src, _)) = factories.iter().find(|(f, _)| &f.name == source) else {
                    continue;
                };
                if !factories.iter().any(|(f, _)| &f.name == name) {
                    added.push((
                        FactoryDef {
                            name: name.clone(),
                            attribute: *attribute,
                            ..src.clone()
                        },
                        path.clone(),
                    ));
                }
            }
            factories.extend(added);
        }
        let ignore = &config.config.ignore_factories;
        factories.retain(|(f, _)| !ignore.iter().any(|i| last_segment(i) == f.name));
        factories.sort_by(|a, b| (&a.1, a.0.line).cmp(&(&b.1, b.0.line)));
        generators.sort_by(|a, b| (&a.1, a.0.line).cmp(&(&b.1, b.0.line)));
        // Only functions returning what one of our factories makes (not `requests.Session()`).
        factory_fns.retain(|(d, _)| {
            factories
                .iter()
                .any(|(f, _)| f.name == last_segment(&d.created_by))
        });
        factory_fns.sort_by(|a, b| (&a.1, a.0.line).cmp(&(&b.1, b.0.line)));
        guards.sort_by(|a, b| (&a.1, a.0.line).cmp(&(&b.1, b.0.line)));

        let mut index = ProjectIndex {
            config,
            factories,
            generators,
            factory_fns,
            guards,
            report: GuardReport {
                sync: None,
                r#async: None,
                notes: vec![],
            },
            tree_roots,
            block_needles: None,
        };
        // Guards created from something that is no session factory are not guards.
        let known: Vec<(GuardDef, PathBuf, Option<String>)> = index
            .guards
            .iter()
            .filter(|(g, _, _)| index.is_session_creator(&g.created_by))
            .cloned()
            .collect();
        index.guards = known;
        index.report = index.choose_guards();
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

    fn is_session_creator(&self, callee: &str) -> bool {
        let last = last_segment(callee);
        matches!(last, "Session" | "AsyncSession")
            || self.factories.iter().any(|(f, _)| f.name == last)
            || self.generators.iter().any(|(g, _)| g.name == last)
    }

    fn choose_guards(&self) -> GuardReport {
        let mut notes = vec![];
        let cfg = &self.config.config;
        let mut pick = |is_async: bool| -> Option<ChosenGuard> {
            let (expr_key, import_key, expr, import) = if is_async {
                (
                    "async-guard",
                    "async-guard-import",
                    &cfg.async_guard,
                    &cfg.async_guard_import,
                )
            } else {
                ("guard", "guard-import", &cfg.guard, &cfg.guard_import)
            };
            let flavour = if is_async { "async" } else { "sync" };
            if let Some(expr) = expr {
                let callee = expr.split('(').next().unwrap_or(expr).trim();
                let def = self
                    .guards
                    .iter()
                    .find(|(g, _, _)| g.is_async == is_async && g.name == last_segment(callee));
                let lifecycle = def.map_or(STANDARD_GUARD, |(g, _, _)| g.lifecycle);
                if def.is_none() {
                    notes.push(format!(
                        "{flavour} guard `{expr}` (from config) is not defined in the scanned tree; \
                         assuming it commits on success, rolls back on Exception and closes"
                    ));
                }
                return Some(ChosenGuard {
                    expr: expr.clone(),
                    import: import.as_deref().map(Import::from_statement),
                    lifecycle,
                    source: GuardSource::Config {
                        path: self.config.path.clone().unwrap_or_default(),
                    },
                    defined_in: def.map(|(_, p, _)| p.clone()),
                    // Named in config: trusted for every block, whatever its factory.
                    factory: None,
                });
            }
            let _ = import_key;
            let candidates: Vec<_> = self
                .guards
                .iter()
                .filter(|(g, _, _)| g.is_async == is_async && g.lifecycle.reraises)
                .collect();
            let methods: Vec<_> = candidates
                .iter()
                .filter(|(g, _, _)| g.class.is_some())
                .collect();
            let functions: Vec<_> = candidates
                .iter()
                .filter(|(g, _, _)| g.class.is_none())
                .collect();
            for (g, p, _) in &methods {
                notes.push(format!(
                    "{flavour} guard candidate `{}.{}` ({}:{}) is a method: set [tool.codemod] \
                     {expr_key} = \"<instance>.{}()\" and {import_key} to use it",
                    g.class.as_deref().unwrap_or_default(),
                    g.name,
                    p.display(),
                    g.line,
                    g.name
                ));
            }
            // Prefer guards that do the whole job (commit, rollback, close).
            let full: Vec<_> = functions
                .iter()
                .filter(|(g, _, _)| {
                    g.lifecycle.commits && g.lifecycle.rolls_back() && g.lifecycle.closes
                })
                .collect();
            let chosen = match (full.len(), functions.len()) {
                (1, _) => Some(**full[0]),
                (0, 1) => Some(*functions[0]),
                (0, 0) => None,
                _ => {
                    let names: Vec<String> = (if full.is_empty() {
                        functions.clone()
                    } else {
                        full.iter().map(|g| **g).collect()
                    })
                    .iter()
                    .map(|(g, p, _)| format!("`{}` ({}:{})", g.name, p.display(), g.line))
                    .collect();
                    notes.push(format!(
                        "{flavour} guard is ambiguous: {}; set [tool.codemod] {expr_key} (and \
                         {import_key}) to choose; {flavour} blocks are not rewritten until then",
                        names.join(", ")
                    ));
                    return None;
                }
            };
            if let Some((g, path, module)) = chosen {
                let module = module.clone().or_else(|| {
                    path.file_stem()
                        .and_then(|s| s.to_str())
                        .map(str::to_string)
                });
                return Some(ChosenGuard {
                    expr: format!("{}()", g.name),
                    import: module.map(|m| Import::From {
                        module: m,
                        name: g.name.clone(),
                    }),
                    lifecycle: g.lifecycle,
                    source: GuardSource::Discovered {
                        path: path.clone(),
                        line: g.line,
                    },
                    defined_in: Some(path.clone()),
                    factory: Some(self.maker_of(&g.created_by)),
                });
            }
            let has_maker = self
                .factories
                .iter()
                .any(|(f, _)| f.is_async == is_async && f.has_begin);
            let has_other = self.generators.iter().any(|(g, _)| g.is_async == is_async)
                || self
                    .factories
                    .iter()
                    .any(|(f, _)| f.is_async == is_async && !f.has_begin);
            if has_maker || has_other {
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
            // SQLAlchemy's own guards: `F.begin()` for sessionmakers, `Session(bind) as s,
            // s.begin()` for sessions made with arguments (`guard_for` picks per block).
            Some(ChosenGuard {
                expr: "<factory>.begin()".into(),
                import: None,
                lifecycle: Lifecycle::SQLALCHEMY_BEGIN,
                source: GuardSource::SqlalchemyBegin,
                defined_in: None,
                factory: None,
            })
        };
        let sync = pick(false);
        let r#async = pick(true);
        GuardReport {
            sync,
            r#async,
            notes,
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
        needles.extend(self.guards.iter().map(|(g, _, _)| g.name.clone()));
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
            let resolved = imports.resolve(&gen);
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
                configured_by: d.configures.then(|| d.name.clone()),
            });
        }
        let no_args = call.arguments.args.is_empty() && call.arguments.keywords.is_empty();
        if let Some(f) = self.resolve_factory(&callee, imports) {
            return Some(FactoryMatch {
                maker: f.name.clone(),
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
        let resolved = imports.resolve(callee);
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
        let last = last_segment(callee);
        let named = |attribute_ok: bool| {
            self.factories
                .iter()
                .map(|(f, _)| f)
                .find(|f| f.name == last && (attribute_ok || !f.attribute))
        };
        match imports.resolve(callee) {
            Resolved::SelfAttr(_) => named(true),
            Resolved::Qualified(q) => {
                let exact = self.factories.iter().map(|(f, _)| f).find(|f| {
                    !f.attribute && !f.qualified.is_empty() && same_path(&f.qualified, &q)
                });
                // `db.SessionLocal()` on an object of ours: an attribute factory, but only
                // when the root is our own code, never `requests.Session()`.
                let ours = self
                    .tree_roots
                    .contains(q.split('.').next().unwrap_or_default());
                exact.or_else(|| {
                    (ours && callee.contains('.'))
                        .then(|| {
                            self.factories
                                .iter()
                                .map(|(f, _)| f)
                                .find(|f| f.attribute && f.name == last)
                        })
                        .flatten()
                })
            }
            // A parameter or local object (`app_state.SessionLocal()`): only factories bound
            // as attributes, never a plain name that shares the last segment (a local
            // `Session = sessionmaker()` must not make `boto3.Session()` a factory). A bare
            // unbound name: a local binding or a star import.
            Resolved::Unbound(d) if d.contains('.') => self
                .factories
                .iter()
                .map(|(f, _)| f)
                .find(|f| f.name == last && f.attribute),
            Resolved::Unbound(_) => named(false),
        }
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

    /// Lifecycle of a project guard called as `expr` (by callee name), if it is one.
    pub(crate) fn guard_call(&self, expr: &ruff_python_ast::Expr) -> Option<Lifecycle> {
        use ruff_python_ast::Expr;
        let Expr::Call(call) = expr else { return None };
        let callee = crate::syntax::dotted(&call.func)?;
        let last = last_segment(&callee);
        for (flavour, cfg) in [
            (&self.report.sync, &self.config.config.guard),
            (&self.report.r#async, &self.config.config.async_guard),
        ] {
            if let (Some(chosen), Some(cfg)) = (flavour, cfg) {
                let cfg_callee = cfg.split('(').next().unwrap_or(cfg).trim();
                if cfg_callee == callee {
                    return Some(chosen.lifecycle);
                }
            }
        }
        self.guards
            .iter()
            .find(|(g, _, _)| g.name == last && (g.class.is_none() || callee.contains('.')))
            .map(|(g, _, _)| g.lifecycle)
    }

    /// The guard to write for a block whose session comes from `factory`.
    pub(crate) fn guard_for(
        &self,
        factory: &FactoryMatch,
        file: &Path,
        text: &str,
    ) -> Result<BlockGuard, String> {
        let chosen = if factory.is_async {
            &self.report.r#async
        } else {
            &self.report.sync
        };
        let flavour = if factory.is_async { "async " } else { "" };
        let Some(chosen) = chosen else {
            return Err(format!(
                "no {flavour}guard: add one (`codemod guard --suggest`) or set [tool.codemod] {}guard",
                if factory.is_async { "async-" } else { "" }
            ));
        };
        if chosen.source == GuardSource::SqlalchemyBegin {
            return sqlalchemy_guard(factory, text, None).ok_or_else(|| {
                format!(
                    "no {flavour}guard in the tree and `{}` is no sessionmaker: add a guard \
                     (`codemod guard --suggest`) or set [tool.codemod] guard",
                    factory.callee
                )
            });
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
                return sqlalchemy_guard(factory, text, Some(note.clone())).ok_or_else(|| {
                    format!(
                        "`{}` makes sessions from `{guard_factory}`, this block from `{}`; \
                         set [tool.codemod] guard if they are the same",
                        chosen.expr, factory.maker
                    )
                });
            }
        }
        // Both paths come from the same walk (or the same test tree): plain equality.
        let same_file = chosen.defined_in.as_deref().is_some_and(|d| d == file);
        Ok(BlockGuard {
            expr: chosen.expr.clone(),
            import: if same_file {
                None
            } else {
                chosen.import.clone()
            },
            lifecycle: chosen.lifecycle,
            begin_on_session: false,
            note: None,
        })
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

fn last_segment(d: &str) -> &str {
    crate::syntax::last_segment(d)
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
