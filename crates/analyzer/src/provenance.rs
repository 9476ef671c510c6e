//! Where a session comes from. Only SQLAlchemy and SQLModel sessions are database sessions:
//! a maker, a session class or a factory counts only when its name resolves, through the
//! file's imports and the project's modules, to SQLAlchemy / SQLModel or to project code
//! proven to make one. `requests.Session`, `aiohttp.ClientSession`, `boto3.Session` and
//! names nothing resolves are left out, and counted so the summary can say so.

use crate::resolve::{FileImports, Resolved};
use crate::syntax::last_segment;

/// The makers of session factories, by their last segment.
const MAKERS: [&str; 4] = [
    "sessionmaker",
    "async_sessionmaker",
    "scoped_session",
    "async_scoped_session",
];

/// A qualified name inside SQLAlchemy or SQLModel.
pub(crate) fn is_sqlalchemy_path(qualified: &str) -> bool {
    ["sqlalchemy", "sqlmodel"].iter().any(|root| {
        qualified
            .strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

/// `sqlalchemy.orm.Session`, `sqlalchemy.ext.asyncio.AsyncSession`, `sqlmodel.Session`...
pub(crate) fn is_session_class(qualified: &str) -> bool {
    is_sqlalchemy_path(qualified) && matches!(last_segment(qualified), "Session" | "AsyncSession")
}

/// `sqlalchemy.orm.sessionmaker`, `sqlalchemy.orm.scoped_session`...
pub(crate) fn is_maker(qualified: &str) -> bool {
    is_sqlalchemy_path(qualified) && MAKERS.contains(&last_segment(qualified))
}

/// Whether `callee`, as written in the file of `imports`, is one of SQLAlchemy's makers:
/// imported from SQLAlchemy, or a bare name a `from sqlalchemy... import *` provides.
pub(crate) fn names_maker(imports: &FileImports, callee: &str) -> bool {
    if !MAKERS.contains(&last_segment(callee)) {
        return false;
    }
    match imports.resolve(callee) {
        Resolved::Qualified(q) => is_maker(&q),
        Resolved::Unbound(d) => !d.contains('.') && imports.star_from_sqlalchemy(),
        Resolved::SelfAttr(_) => false,
    }
}

pub use codemod_core::plan::NotDatabase;

/// A callee named like something that makes a session: `...Session`, `get_session`,
/// `new_db_session`, `ClientSession`. Makers (`sessionmaker`) make factories, not sessions.
pub(crate) fn named_like_session(callee: &str) -> bool {
    let last = last_segment(callee);
    !MAKERS.contains(&last) && last.to_ascii_lowercase().ends_with("session")
}

/// Where a callee that is no database session factory comes from.
pub(crate) fn origin(
    resolved: &Resolved,
    ours: impl Fn(&str) -> bool,
    helper_origin: Option<&str>,
) -> String {
    if let Some(o) = helper_origin {
        return o.to_string();
    }
    match resolved {
        Resolved::Qualified(q) => {
            let root = q.split('.').next().unwrap_or_default();
            if ours(root) {
                "project code".to_string()
            } else {
                root.to_string()
            }
        }
        Resolved::Unbound(d) if d.contains('.') => "unknown object".to_string(),
        Resolved::SelfAttr(_) => "unknown object".to_string(),
        Resolved::Unbound(_) => "unresolved".to_string(),
    }
}

/// The summary line: how many calls were left out and where they come from, most first.
pub fn summary_line(left_out: &[(String, usize)]) -> Option<String> {
    let total: usize = left_out.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let mut by = left_out.to_vec();
    by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let parts: Vec<String> = by.iter().map(|(o, n)| format!("{o} {n}")).collect();
    let calls = if total == 1 { "call" } else { "calls" };
    Some(format!(
        "{total} {calls} named like session factories do not resolve to SQLAlchemy or SQLModel \
         ({}) and were left out",
        parts.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(src: &str) -> FileImports {
        let parsed = ruff_python_parser::parse_module(src).unwrap();
        FileImports::collect("m", false, &parsed.syntax().body)
    }

    #[test]
    fn session_classes_only_from_sqlalchemy_or_sqlmodel() {
        assert!(is_session_class("sqlalchemy.orm.Session"));
        assert!(is_session_class("sqlalchemy.orm.session.Session"));
        assert!(is_session_class("sqlalchemy.ext.asyncio.AsyncSession"));
        assert!(is_session_class("sqlmodel.Session"));
        assert!(!is_session_class("requests.Session"));
        assert!(!is_session_class("boto3.session.Session"));
        assert!(!is_session_class("aiohttp.ClientSession"));
        assert!(!is_session_class("sqlalchemy_utils.Session"));
    }

    #[test]
    fn makers_resolve_through_imports() {
        let i = imports("from sqlalchemy.orm import sessionmaker\nimport sqlalchemy as sa\n");
        assert!(names_maker(&i, "sessionmaker"));
        assert!(names_maker(&i, "sa.orm.scoped_session"));
        let i = imports("from mylib import sessionmaker\n");
        assert!(!names_maker(&i, "sessionmaker"));
        let i = imports("x = 1\n");
        assert!(!names_maker(&i, "sessionmaker"), "unresolved is no maker");
        let i = imports("from sqlalchemy.orm import *\n");
        assert!(names_maker(&i, "sessionmaker"));
    }

    #[test]
    fn names_like_sessions() {
        assert!(named_like_session("requests.Session"));
        assert!(named_like_session("aiohttp.ClientSession"));
        assert!(named_like_session("get_db_session"));
        assert!(!named_like_session("sessionmaker"));
        assert!(!named_like_session("session_scope"));
    }

    #[test]
    fn summary_counts_by_origin() {
        assert_eq!(summary_line(&[]), None);
        let line = summary_line(&[("aiohttp".into(), 1), ("requests".into(), 2)]).unwrap();
        assert_eq!(
            line,
            "3 calls named like session factories do not resolve to SQLAlchemy or SQLModel \
             (requests 2, aiohttp 1) and were left out"
        );
    }
}
