//! `codemod guard --suggest`: a guard module built on the tree's own factory, for a team
//! whose codebase has none (seed 000 had only a generator dependency).

use crate::index::ProjectIndex;

/// Where a new guard gets its sessions from: an import and the creating expression.
struct Source {
    import: String,
    create: String,
    origin: String,
}

fn source(index: &ProjectIndex, is_async: bool) -> Option<Source> {
    let module_of = |path: &std::path::Path| {
        crate::index::module_name(path).or_else(|| {
            path.file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
        })
    };
    if let Some((f, path)) = index
        .factories
        .iter()
        .find(|(f, _)| f.is_async == is_async && !f.attribute && f.line > 0)
    {
        let module = module_of(path)?;
        return Some(Source {
            import: format!("from {module} import {}", f.name),
            create: format!("{}()", f.name),
            origin: format!("the factory `{}` ({}:{})", f.name, path.display(), f.line),
        });
    }
    // A generator dependency: reuse the expression it creates its session with; the names
    // in it are bound in its module, so they can be imported from there.
    let (g, path) = index
        .generators
        .iter()
        .find(|(g, _)| g.is_async == is_async && g.creation.is_some())?;
    let create = g.creation.clone()?;
    let module = module_of(path)?;
    let mut names: Vec<String> = vec![];
    if let Ok(parsed) = ruff_python_parser::parse_expression(&create) {
        collect_names(parsed.expr(), &mut names);
    }
    if names.is_empty() {
        return None;
    }
    Some(Source {
        import: format!("from {module} import {}", names.join(", ")),
        create,
        origin: format!(
            "the generator dependency `{}` ({}:{})",
            g.name,
            path.display(),
            g.line
        ),
    })
}

fn collect_names(e: &ruff_python_ast::Expr, out: &mut Vec<String>) {
    use ruff_python_ast::visitor::{walk_expr, Visitor};
    struct N<'o>(&'o mut Vec<String>);
    impl<'a> Visitor<'a> for N<'_> {
        fn visit_expr(&mut self, expr: &'a ruff_python_ast::Expr) {
            match expr {
                ruff_python_ast::Expr::Name(n) => {
                    if !self.0.iter().any(|x| x == n.id.as_str()) {
                        self.0.push(n.id.to_string());
                    }
                }
                // Only the root of `a.b.c` is a name to import.
                ruff_python_ast::Expr::Attribute(a) => self.visit_expr(&a.value),
                _ => walk_expr(self, expr),
            }
        }
    }
    N(out).visit_expr(e);
}

pub fn guard_module(index: &ProjectIndex) -> String {
    let sync = source(index, false);
    let r#async = source(index, true);
    if sync.is_none() && r#async.is_none() {
        return "# No session factory found in the scanned tree: nothing to build a guard on.\n\
                # Bind one (`SessionLocal = sessionmaker(bind=engine)`) or name it in\n\
                # [tool.codemod] factories.\n"
            .to_string();
    }
    let mut out = String::new();
    out.push_str(
        "\"\"\"Session scope guards: the one place that commits, rolls back and closes.\n\n",
    );
    out.push_str("Suggested by `codemod guard --suggest`, built on ");
    let origins: Vec<&str> = [&sync, &r#async]
        .into_iter()
        .flatten()
        .map(|s| s.origin.as_str())
        .collect();
    out.push_str(&origins.join(" and "));
    out.push_str(".\nUse `with get_db_session() as session:` instead of creating sessions by hand.\n\"\"\"\n");
    let mut ctx_imports = vec![];
    if sync.is_some() {
        ctx_imports.push("contextmanager");
    }
    if r#async.is_some() {
        ctx_imports.push("asynccontextmanager");
    }
    out.push_str(&format!(
        "from contextlib import {}\n\n",
        ctx_imports.join(", ")
    ));
    for s in [&sync, &r#async].into_iter().flatten() {
        out.push_str(&s.import);
        out.push('\n');
    }
    if let Some(s) = &sync {
        out.push_str(&format!(
            r#"

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
"#,
            create = s.create
        ));
    }
    if let Some(s) = &r#async {
        out.push_str(&format!(
            r#"

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
"#,
            create = s.create
        ));
    }
    out
}
