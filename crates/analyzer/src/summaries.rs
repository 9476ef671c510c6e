//! What each function of the project does with a session it receives: commits, rolls
//! back, closes, writes through it, or opens a session of its own. Pass 1 records, per
//! function, the direct effects on each parameter and the calls it passes them to; the
//! index resolves those calls through the project model and iterates to a fixed point, so
//! a commit two calls down is seen at the block that passes the session in.
//!
//! Conservative: a call the model cannot resolve that receives a parameter may do anything
//! to it (`UNKNOWN`). A method called on an object of unknown type stands for every method
//! of that name in the project.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, Stmt};

use crate::resolve::{FileImports, Resolved, RootBinding};
use crate::syntax::{dotted, last_segment};

/// Effect bits on one session (or object) parameter.
pub type Effects = u8;
pub const COMMIT: Effects = 1;
pub const ROLLBACK: Effects = 2;
pub const CLOSE: Effects = 4;
/// Writes through it (`add`, DML, flush) or changes it (attribute stores, other methods).
pub const WRITE: Effects = 8;
/// Passed where the analysis cannot follow.
pub const UNKNOWN: Effects = 16;
/// Ends or may end its transaction.
pub const ENDS: Effects = COMMIT | ROLLBACK | CLOSE;

/// Above this many project methods of one name, a call by that name on an object of
/// unknown type is treated as unknown rather than as all of them.
const MAX_SAME_NAME: usize = 32;

/// Where an argument lands in the callee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    Pos(usize),
    Kw(String),
}

/// One call in a function body: the callee as written and the parameters it receives.
#[derive(Debug, Clone)]
pub struct CallSite {
    pub callee: Box<str>,
    /// What the callee's first name is bound to: an index into `FileSummaries::roots`.
    pub root: u32,
    /// `(parameter index, where it lands)`.
    pub flows: Vec<(usize, Slot)>,
}

/// Pass 1's view of one function or method.
#[derive(Debug, Clone)]
pub struct LocalSummary {
    pub class: Option<String>,
    pub name: String,
    pub params: Vec<String>,
    /// Positional parameters (the rest are keyword-only).
    pub positional: usize,
    pub direct: Vec<Effects>,
    pub calls: Vec<CallSite>,
}

/// Pass 1's view of one file: its functions, and what the first names of their callees
/// are bound to, once per name (many calls share a root).
#[derive(Debug, Clone, Default)]
pub struct FileSummaries {
    pub functions: Vec<LocalSummary>,
    pub roots: Vec<RootBinding>,
}

/// Module-level functions and methods of module-level classes.
pub fn collect(body: &[Stmt], imports: &FileImports) -> FileSummaries {
    let mut roots = Roots {
        imports,
        names: HashMap::new(),
        bindings: vec![],
    };
    let mut functions = vec![];
    for s in body {
        match s {
            Stmt::FunctionDef(f) => functions.push(summarize(f, None, &mut roots)),
            Stmt::ClassDef(c) => {
                for m in &c.body {
                    if let Stmt::FunctionDef(f) = m {
                        functions.push(summarize(f, Some(c.name.to_string()), &mut roots));
                    }
                }
            }
            _ => {}
        }
    }
    FileSummaries {
        functions,
        roots: roots.bindings,
    }
}

/// The file's root bindings, numbered as first asked for.
struct Roots<'i> {
    imports: &'i FileImports,
    names: HashMap<String, u32>,
    bindings: Vec<RootBinding>,
}

impl Roots<'_> {
    fn of(&mut self, callee: &str) -> u32 {
        // `self.x` binds differently from `self`: key by what decides the binding.
        let root = callee.split('.').next().unwrap_or(callee);
        let key = if matches!(root, "self" | "cls") && callee.contains('.') {
            "self."
        } else {
            root
        };
        if let Some(&i) = self.names.get(key) {
            return i;
        }
        let i = self.bindings.len() as u32;
        self.bindings.push(self.imports.root_binding(callee));
        self.names.insert(key.to_string(), i);
        i
    }
}

fn summarize(
    f: &ruff_python_ast::StmtFunctionDef,
    class: Option<String>,
    roots: &mut Roots,
) -> LocalSummary {
    let p = &f.parameters;
    let mut params: Vec<String> = p
        .posonlyargs
        .iter()
        .chain(&p.args)
        .map(|a| a.parameter.name.to_string())
        .collect();
    let positional = params.len();
    params.extend(p.kwonlyargs.iter().map(|a| a.parameter.name.to_string()));
    let mut v = BodyVisitor {
        aliases: params
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect(),
        direct: vec![0; params.len()],
        calls: vec![],
        bare: Default::default(),
        roots,
    };
    for s in &f.body {
        v.visit_stmt(s);
    }
    LocalSummary {
        class,
        name: f.name.to_string(),
        params,
        positional,
        direct: v.direct,
        calls: v.calls,
    }
}

struct BodyVisitor<'r, 'i> {
    /// Names bound to a parameter (the parameter itself, `s = session`).
    aliases: HashMap<String, usize>,
    direct: Vec<Effects>,
    calls: Vec<CallSite>,
    /// Callees already recorded for a call that receives no parameter.
    bare: std::collections::HashSet<String>,
    roots: &'r mut Roots<'i>,
}

impl BodyVisitor<'_, '_> {
    fn param(&self, e: &Expr) -> Option<usize> {
        match e {
            Expr::Name(n) => self.aliases.get(n.id.as_str()).copied(),
            _ => None,
        }
    }

    /// `p.x = ...`, `p[k] = ...`, `del p.x`: the object changes.
    fn store(&mut self, target: &Expr) {
        let base = match target {
            Expr::Attribute(a) => &*a.value,
            Expr::Subscript(s) => &*s.value,
            _ => return,
        };
        if let Some(i) = self.param(base) {
            self.direct[i] |= WRITE;
        }
    }

    fn call(&mut self, c: &ExprCall) {
        if let Expr::Attribute(a) = &*c.func {
            // `session.query(X).filter(...).delete()`: the chain starts at the parameter.
            if let Some(i) = chain_root(&a.value).and_then(|r| self.param(r)) {
                let method = a.attr.as_str();
                let effect = method_effect(method, c);
                self.direct[i] |= effect;
                if !crate::rules::usage::is_session_api(method) {
                    // `repo.save(session)` on a parameter: a method of ours, maybe.
                    self.record(c);
                    return;
                }
                // `session.add(obj)`, `session.refresh(obj)`: the session's own API; what
                // it receives is written with it, or only read.
                for arg in c
                    .arguments
                    .args
                    .iter()
                    .chain(c.arguments.keywords.iter().map(|k| &k.value))
                {
                    if let Some(j) = self.param(arg) {
                        self.direct[j] |= effect & WRITE;
                    }
                }
                return;
            }
        }
        self.record(c);
    }

    /// The call and the parameters it receives, resolved later.
    fn record(&mut self, c: &ExprCall) {
        let mut flows = vec![];
        for (k, arg) in c.arguments.args.iter().enumerate() {
            if let Some(i) = self.param(arg) {
                flows.push((i, Slot::Pos(k)));
            }
        }
        for kw in &c.arguments.keywords {
            if let Some(i) = self.param(&kw.value) {
                match &kw.arg {
                    Some(name) => flows.push((i, Slot::Kw(name.to_string()))),
                    None => self.direct[i] |= UNKNOWN,
                }
            }
        }
        match dotted(&c.func) {
            Some(callee) => {
                // A call that receives no parameter matters only for what it may open: once
                // per callee is enough, and builtins and loggers open nothing.
                if flows.is_empty() && (is_plain(&callee) || !self.bare.insert(callee.clone())) {
                    return;
                }
                let root = self.roots.of(&callee);
                self.calls.push(CallSite {
                    callee: callee.into_boxed_str(),
                    root,
                    flows,
                });
            }
            // `f()(session)`, `handlers[k](session)`: nothing to follow.
            None => {
                for (i, _) in flows {
                    self.direct[i] |= UNKNOWN;
                }
            }
        }
    }
}

impl<'a> Visitor<'a> for BodyVisitor<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Assign(a) => {
                if let ([Expr::Name(t)], Some(i)) = (a.targets.as_slice(), self.param(&a.value)) {
                    self.aliases.insert(t.id.to_string(), i);
                }
                a.targets.iter().for_each(|t| self.store(t));
            }
            Stmt::AugAssign(a) => self.store(&a.target),
            Stmt::AnnAssign(a) => self.store(&a.target),
            Stmt::Delete(d) => d.targets.iter().for_each(|t| self.store(t)),
            // `with create_session() as session:` inside a function whose parameter is
            // `session`: in the body the name is the new session, not the parameter.
            Stmt::With(w) => {
                let mut hidden = vec![];
                for item in &w.items {
                    self.visit_expr(&item.context_expr);
                    if let Some(Expr::Name(n)) = item.optional_vars.as_deref() {
                        if self.param(&item.context_expr).is_none() {
                            if let Some(i) = self.aliases.remove(n.id.as_str()) {
                                hidden.push((n.id.to_string(), i));
                            }
                        }
                    }
                }
                for s in &w.body {
                    self.visit_stmt(s);
                }
                // After the block the name may be either (the `with` may not have run).
                self.aliases.extend(hidden);
                return;
            }
            // `with p.begin():` commits at its end: the call itself is seen below.
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(c) = expr {
            self.call(c);
        }
        visitor::walk_expr(self, expr);
    }
}

/// The name an attribute / call / subscript chain starts from.
fn chain_root(mut e: &Expr) -> Option<&Expr> {
    loop {
        e = match e {
            Expr::Attribute(a) => &a.value,
            Expr::Call(c) => &c.func,
            Expr::Subscript(s) => &s.value,
            Expr::Name(_) => return Some(e),
            _ => return None,
        };
    }
}

/// What calling `method` on a session (or an object) does to it.
fn method_effect(method: &str, call: &ExprCall) -> Effects {
    match method {
        "commit" => COMMIT,
        "rollback" => ROLLBACK,
        "close" | "invalidate" => CLOSE,
        // A `begin()` block commits at its end, or rolls back.
        "begin" => COMMIT | ROLLBACK,
        "execute" => {
            if call
                .arguments
                .args
                .first()
                .is_some_and(crate::rules::usage::is_select)
            {
                0
            } else {
                WRITE
            }
        }
        m if crate::rules::usage::only_reads(m) => 0,
        _ => WRITE,
    }
}

// ---------------------------------------------------------------------------------------
// The project's summaries: resolved and iterated to a fixed point.

/// What a call does, resolved: the functions it may be, borrowed from the summaries.
#[derive(Debug, Clone, Default)]
pub struct CallEffect<'s> {
    reached: Vec<&'s Function>,
    /// The callee (or one it calls) opens its own session.
    pub opens: bool,
    /// Not a function of the project (a library, a parameter): may do anything to what
    /// it receives.
    pub external: bool,
}

impl Function {
    /// Effects on the argument in `slot` of a call of this function; a slot no
    /// parameter takes (`*args`, `**kwargs`) may see anything.
    fn on(&self, slot: &Slot) -> Effects {
        self.param_of(slot).map_or(UNKNOWN, |k| self.effects[k])
    }

    /// The parameter that receives the argument in `slot`.
    fn param_of(&self, slot: &Slot) -> Option<usize> {
        // A bound method's first parameter is the receiver.
        let skip = usize::from(self.is_method);
        match slot {
            Slot::Pos(k) => Some(k + skip).filter(|&k| k < self.positional),
            Slot::Kw(n) => self
                .params
                .iter()
                .skip(skip)
                .position(|p| p == n)
                .map(|k| k + skip),
        }
    }
}

/// A function's calls as the fixed point uses them.
struct Lowered {
    /// Its direct effects and those of unresolved callees: they never change.
    fixed: Vec<Effects>,
    /// A call that makes a session itself.
    opens: bool,
    /// Project functions it calls: it opens a session when one of them does.
    open_deps: Vec<usize>,
    edges: Vec<Edge>,
}

/// The caller's parameter `param` reaches `callee`'s parameter (`None`: a slot no
/// parameter takes, which may see anything).
struct Edge {
    param: usize,
    callee: usize,
    callee_param: Option<usize>,
}

impl CallEffect<'_> {
    /// Effects on the argument in `slot`, over every function the call may be.
    pub fn on(&self, slot: &Slot) -> Effects {
        if self.external {
            return UNKNOWN;
        }
        self.reached.iter().fold(0, |acc, f| acc | f.on(slot))
    }

    /// The first function reached that has `bits` on `slot`: for reasons.
    pub fn which(&self, slot: &Slot, bits: Effects) -> Option<&str> {
        self.reached
            .iter()
            .find(|f| f.on(slot) & bits != 0)
            .map(|f| f.qualified.as_str())
    }
}

#[derive(Debug, Clone)]
struct Function {
    qualified: String,
    is_method: bool,
    params: Vec<String>,
    positional: usize,
    /// Its own effects, before the calls are followed.
    direct: Vec<Effects>,
    effects: Vec<Effects>,
    opens: bool,
}

/// A call site of a function body, resolved once before the fixed point.
#[derive(Debug, Clone)]
struct ResolvedCall {
    targets: Targets,
    /// The call itself makes a session.
    opens: bool,
    /// `(parameter index, where it lands)`.
    flows: Vec<(usize, Slot)>,
    /// A builtin or a logger: reads what it receives.
    plain: bool,
}

/// Which functions a call may reach.
#[derive(Debug, Clone)]
enum Targets {
    Project(Vec<usize>),
    External,
}

#[derive(Debug, Clone, Default)]
pub struct Summaries {
    functions: Vec<Function>,
    by_qualified: HashMap<String, usize>,
    by_method: HashMap<String, Vec<usize>>,
}

/// The project model the summaries resolve calls with.
pub(crate) trait Resolver {
    /// The callee written `dotted` in the file at `path`, resolved and re-exports followed.
    fn resolve_site(&self, path: &Path, binding: &RootBinding, dotted: &str) -> Resolved;
    /// The first segment is one of the tree's own packages.
    fn is_ours(&self, qualified: &str) -> bool;
    /// Cheap test before `opens`: a callee ending in `last` can make a session.
    fn may_open(&self, last: &str) -> bool;
    /// The call makes a session (a factory, a guard, `F.begin()`).
    fn opens(&self, path: &Path, resolved: &Resolved, dotted: &str) -> bool;
}

/// Builtins and loggers: they read their arguments and never change them.
pub(crate) fn is_plain(callee: &str) -> bool {
    matches!(
        callee,
        "str"
            | "int"
            | "float"
            | "bool"
            | "len"
            | "repr"
            | "list"
            | "dict"
            | "tuple"
            | "set"
            | "sorted"
            | "sum"
            | "min"
            | "max"
            | "print"
            | "isinstance"
            | "id"
            | "type"
            | "hash"
    ) || [
        "logger.", "logging.", "log.", "LOGGER.", "_LOGGER.", "_logger.",
    ]
    .iter()
    .any(|p| callee.starts_with(p))
}

impl Summaries {
    pub(crate) fn build(
        files: Vec<(PathBuf, Option<String>, FileSummaries)>,
        model: &dyn Resolver,
    ) -> Summaries {
        let mut me = Summaries::default();
        // (file, class, calls) per function; the files' root bindings beside.
        let mut sites: Vec<(usize, Option<String>, Vec<CallSite>)> = vec![];
        let mut file_roots: Vec<(PathBuf, Vec<RootBinding>)> = vec![];
        for (path, module, summaries) in files {
            let file = file_roots.len();
            for l in summaries.functions {
                let owner = match &l.class {
                    Some(c) => format!("{c}.{}", l.name),
                    None => l.name.clone(),
                };
                let qualified = match &module {
                    Some(m) => format!("{m}.{owner}"),
                    None => owner,
                };
                let i = me.functions.len();
                me.by_qualified.insert(qualified.clone(), i);
                if l.class.is_some() {
                    me.by_method.entry(l.name.clone()).or_default().push(i);
                }
                let is_method = l.class.is_some()
                    && l.params.first().is_some_and(|p| p == "self" || p == "cls");
                me.functions.push(Function {
                    qualified,
                    is_method,
                    params: l.params,
                    positional: l.positional,
                    effects: l.direct.clone(),
                    direct: l.direct,
                    opens: false,
                });
                let class = l.class.map(|c| match &module {
                    Some(m) => format!("{m}.{c}"),
                    None => c,
                });
                sites.push((file, class, l.calls));
            }
            file_roots.push((path, summaries.roots));
        }
        // Only calls that pass a parameter, name a function of the project or may open a
        // session can change a summary: the rest are not resolved at all.
        let project_names: std::collections::HashSet<&str> = me
            .functions
            .iter()
            .map(|f| last_segment(&f.qualified))
            .collect();
        let resolved: Vec<Vec<ResolvedCall>> = sites
            .into_iter()
            .map(|(file, class, calls)| {
                let (path, roots) = &file_roots[file];
                calls
                    .into_iter()
                    .filter(|c| {
                        let last = last_segment(&c.callee);
                        !c.flows.is_empty() || project_names.contains(last) || model.may_open(last)
                    })
                    .map(|c| {
                        let r = model.resolve_site(path, &roots[c.root as usize], &c.callee);
                        ResolvedCall {
                            opens: model.may_open(last_segment(&c.callee))
                                && model.opens(&path, &r, &c.callee),
                            targets: me.targets(&r, &c.callee, class.as_deref(), model),
                            plain: is_plain(&c.callee),
                            flows: c.flows,
                        }
                    })
                    .collect()
            })
            .collect();
        me.fixed_point(resolved);
        me
    }

    /// Propagates effects from callees to callers until nothing changes: a worklist of
    /// the functions whose callees changed (a recursion settles, as the effects only grow
    /// in a finite lattice). The calls are first lowered to what that needs: the effects
    /// that never change (an unresolved callee), and edges from a caller's parameter to a
    /// callee's.
    fn fixed_point(&mut self, resolved: Vec<Vec<ResolvedCall>>) {
        let lowered: Vec<Lowered> = resolved
            .iter()
            .enumerate()
            .map(|(i, calls)| self.lower(i, calls))
            .collect();
        drop(resolved);
        let mut callers: Vec<Vec<usize>> = vec![vec![]; self.functions.len()];
        for (i, l) in lowered.iter().enumerate() {
            for t in l
                .edges
                .iter()
                .map(|e| e.callee)
                .chain(l.open_deps.iter().copied())
            {
                callers[t].push(i);
            }
        }
        for c in &mut callers {
            c.sort_unstable();
            c.dedup();
        }
        for (f, l) in self.functions.iter_mut().zip(&lowered) {
            f.effects = l.fixed.clone();
            f.opens |= l.opens;
        }
        let mut queued = vec![true; self.functions.len()];
        let mut work: Vec<usize> = (0..self.functions.len()).rev().collect();
        while let Some(i) = work.pop() {
            queued[i] = false;
            let l = &lowered[i];
            let opens =
                self.functions[i].opens || l.open_deps.iter().any(|&t| self.functions[t].opens);
            let mut effects = self.functions[i].effects.clone();
            for e in &l.edges {
                effects[e.param] |= e
                    .callee_param
                    .map_or(UNKNOWN, |k| self.functions[e.callee].effects[k]);
            }
            let f = &mut self.functions[i];
            if f.effects != effects || f.opens != opens {
                f.effects = effects;
                f.opens = opens;
                for &c in &callers[i] {
                    if !queued[c] {
                        queued[c] = true;
                        work.push(c);
                    }
                }
            }
        }
    }

    /// One function's calls as edges and constants (see `fixed_point`).
    fn lower(&self, i: usize, calls: &[ResolvedCall]) -> Lowered {
        let mut l = Lowered {
            fixed: self.functions[i].direct.clone(),
            opens: false,
            open_deps: vec![],
            edges: vec![],
        };
        for call in calls {
            l.opens |= call.opens;
            match &call.targets {
                Targets::External => {
                    if !call.plain {
                        call.flows.iter().for_each(|(p, _)| l.fixed[*p] |= UNKNOWN);
                    }
                }
                Targets::Project(ids) => {
                    l.open_deps.extend(ids.iter().copied());
                    for &t in ids {
                        for (p, slot) in &call.flows {
                            l.edges.push(Edge {
                                param: *p,
                                callee: t,
                                callee_param: self.functions[t].param_of(slot),
                            });
                        }
                    }
                }
            }
        }
        l.open_deps.sort_unstable();
        l.open_deps.dedup();
        l.edges.sort_by_key(|e| (e.param, e.callee, e.callee_param));
        l.edges
            .dedup_by_key(|e| (e.param, e.callee, e.callee_param));
        l
    }

    fn targets(
        &self,
        resolved: &Resolved,
        callee: &str,
        class: Option<&str>,
        model: &dyn Resolver,
    ) -> Targets {
        let method = last_segment(callee);
        // A name shared by very many methods (`get`, `update`) tells nothing: unknown.
        let by_name = || match self.by_method.get(method) {
            Some(v) if v.len() <= MAX_SAME_NAME => Targets::Project(v.clone()),
            _ => Targets::External,
        };
        match resolved {
            Resolved::Qualified(q) => {
                if let Some(&i) = self.by_qualified.get(q) {
                    return Targets::Project(vec![i]);
                }
                if let Some(&i) = self.by_qualified.get(&format!("{q}.__init__")) {
                    return Targets::Project(vec![i]);
                }
                if model.is_ours(q) && callee.contains('.') {
                    // `module.instance.method()`, `Class.method()` of ours.
                    return by_name();
                }
                Targets::External
            }
            Resolved::SelfAttr(m) => {
                let own = class.and_then(|c| self.by_qualified.get(&format!("{c}.{m}")).copied());
                match own {
                    Some(i) if callee.matches('.').count() == 1 => Targets::Project(vec![i]),
                    _ => by_name(),
                }
            }
            Resolved::Unbound(d) if d.contains('.') => by_name(),
            Resolved::Unbound(_) => Targets::External,
        }
    }

    /// The union of what the call's possible targets do.
    fn effect_of(&self, targets: &Targets, plain: bool) -> CallEffect<'_> {
        match targets {
            Targets::External => CallEffect {
                external: !plain,
                ..Default::default()
            },
            Targets::Project(ids) => {
                let reached: Vec<&Function> = ids.iter().map(|&i| &self.functions[i]).collect();
                CallEffect {
                    opens: reached.iter().any(|f| f.opens),
                    reached,
                    external: false,
                }
            }
        }
    }

    /// What the call `c` in the file at `path` does (pass 2).
    pub(crate) fn call_effect(
        &self,
        c: &ExprCall,
        imports: &FileImports,
        path: &Path,
        model: &dyn Resolver,
    ) -> CallEffect<'_> {
        let Some(callee) = dotted(&c.func) else {
            return CallEffect {
                external: true,
                ..Default::default()
            };
        };
        let r = model.resolve_site(path, &imports.root_binding(&callee), &callee);
        let opens = model.may_open(last_segment(&callee)) && model.opens(path, &r, &callee);
        let targets = self.targets(&r, &callee, None, model);
        let mut e = self.effect_of(&targets, is_plain(&callee));
        e.opens |= opens;
        e
    }
}

/// The slot each argument of `c` lands in, with the argument.
pub(crate) fn arguments(c: &ExprCall) -> impl Iterator<Item = (Slot, &Expr)> {
    let pos = c
        .arguments
        .args
        .iter()
        .enumerate()
        .map(|(k, a)| (Slot::Pos(k), a));
    let kw = c
        .arguments
        .keywords
        .iter()
        .filter_map(|k| k.arg.as_ref().map(|n| (Slot::Kw(n.to_string()), &k.value)));
    pos.chain(kw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One module `m`: names resolve to `m.<name>`; `repo.<x>` is ours; nothing opens
    /// a session but `SessionLocal`.
    struct OneModule;

    impl Resolver for OneModule {
        fn resolve_site(&self, _: &Path, binding: &RootBinding, dotted: &str) -> Resolved {
            binding.resolve("m", false, dotted)
        }
        fn is_ours(&self, q: &str) -> bool {
            q.starts_with("m.")
        }
        fn may_open(&self, last: &str) -> bool {
            last == "SessionLocal"
        }
        fn opens(&self, _: &Path, _: &Resolved, dotted: &str) -> bool {
            dotted == "SessionLocal"
        }
    }

    fn summaries(src: &str) -> Summaries {
        let parsed = crate::parse_text(src).unwrap();
        let body = &parsed.syntax().body;
        let imports = FileImports::collect("m", false, body);
        let locals = collect(body, &imports);
        Summaries::build(
            vec![(PathBuf::from("m.py"), Some("m".into()), locals)],
            &OneModule,
        )
    }

    fn effects(s: &Summaries, q: &str) -> Vec<Effects> {
        s.functions[s.by_qualified[q]].effects.clone()
    }

    #[test]
    fn commit_two_calls_down_reaches_the_caller() {
        let s = summaries(
            "def save(s, x):\n    s.add(x)\n    s.commit()\n\
             def mid(session, x):\n    save(session, x)\n\
             def top(db):\n    mid(db, 1)\n",
        );
        assert_eq!(effects(&s, "m.save")[0], WRITE | COMMIT);
        assert_eq!(effects(&s, "m.top")[0], WRITE | COMMIT);
        assert_eq!(
            effects(&s, "m.save")[1],
            WRITE,
            "`x` is added: written with the session"
        );
    }

    #[test]
    fn reads_stay_reads_and_chained_deletes_write() {
        let s = summaries(
            "def names(s):\n    return [r.name for r in s.query(T).filter(T.x == 1).all()]\n\
             def purge(s):\n    s.query(T).filter(T.x == 1).delete()\n",
        );
        assert_eq!(effects(&s, "m.names")[0], 0);
        assert_eq!(effects(&s, "m.purge")[0], WRITE);
    }

    #[test]
    fn recursion_settles_and_unknown_callees_are_unknown() {
        let s = summaries(
            "def a(s, n):\n    if n:\n        b(s, n - 1)\n\
             def b(s, n):\n    a(s, n)\n    s.rollback()\n\
             def c(s, cb):\n    cb(s)\n",
        );
        assert_eq!(effects(&s, "m.a")[0], ROLLBACK);
        assert_eq!(
            effects(&s, "m.c")[0],
            UNKNOWN,
            "a callable parameter may do anything"
        );
    }

    #[test]
    fn a_session_of_its_own_under_the_parameters_name_is_not_the_parameter() {
        let s = summaries(
            "def beat(session):\n    session.merge(1)\n    with make() as session:\n        session.commit()\n",
        );
        assert_eq!(effects(&s, "m.beat"), vec![WRITE]);
    }

    #[test]
    fn methods_skip_the_receiver_and_opening_propagates() {
        let s = summaries(
            "class Repo:\n    def save(self, s):\n        s.commit()\n    \
             def refresh_cache(self):\n        x = SessionLocal()\n\
             def use(obj, s):\n    obj.save(s)\n    obj.refresh_cache()\n",
        );
        assert_eq!(
            effects(&s, "m.use")[1],
            COMMIT,
            "by method name on an unknown object"
        );
        assert!(s.functions[s.by_qualified["m.use"]].opens);
        assert!(!s.functions[s.by_qualified["m.Repo.save"]].opens);
    }
}
