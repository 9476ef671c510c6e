//! What every front-end reports: the languages, the finding kinds of each (a stable
//! contract: names and codes appear in JSON output, audit codes, baselines and snapshots)
//! and the safety class of a rewrite.

use serde::Serialize;

/// A source language with a front-end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    Rust,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Python, Language::Rust];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::Rust => "rust",
        }
    }
}

/// The shapes of hand-managed sessions and transactions, Python's first, then Rust's.
/// The kebab-case names and the codes never change meaning; new kinds get new codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Python: `s = F` followed by a `try:` that commits / rolls back / closes by hand.
    ManualLifecycle,
    /// Python: `s = F` with no close on some path.
    LeakedSession,
    /// Python: `with SessionLocal() as s:` while the codebase has a guard.
    RawFactoryWith,
    /// Python: `s.commit()` / `s.rollback()` inside a guard that already does it.
    DoubleTransaction,
    /// Python: `s = async_factory()` without `async with`.
    AsyncWithoutContextManager,
    /// Python: session stored on `self` or a module global and used across calls.
    SharedSession,
    /// Python: a new session created on every iteration of a loop.
    SessionPerIteration,
    /// Rust: begin, commit on success and an explicit rollback on the error path.
    ManualTransaction,
    /// Rust: a rollback right before the transaction goes out of scope on an error exit.
    RedundantRollback,
    /// Rust: `BEGIN` / `COMMIT` / `ROLLBACK` sent as SQL text by hand.
    RawSqlTransaction,
    /// Rust: a transaction dropped without commit on a path that returns `Ok`.
    UncommittedTransaction,
    /// Rust: commit / rollback inside a closure API that manages it, or a nested begin.
    DoubleManagement,
}

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Kind; 12] = [
        Kind::ManualLifecycle,
        Kind::LeakedSession,
        Kind::RawFactoryWith,
        Kind::DoubleTransaction,
        Kind::AsyncWithoutContextManager,
        Kind::SharedSession,
        Kind::SessionPerIteration,
        Kind::ManualTransaction,
        Kind::RedundantRollback,
        Kind::RawSqlTransaction,
        Kind::UncommittedTransaction,
        Kind::DoubleManagement,
    ];

    /// The kinds of the given languages, in code order.
    pub fn of(languages: &[Language]) -> impl Iterator<Item = Kind> + '_ {
        Kind::ALL
            .into_iter()
            .filter(move |k| languages.contains(&k.language()))
    }

    pub fn language(self) -> Language {
        match self {
            Kind::ManualLifecycle
            | Kind::LeakedSession
            | Kind::RawFactoryWith
            | Kind::DoubleTransaction
            | Kind::AsyncWithoutContextManager
            | Kind::SharedSession
            | Kind::SessionPerIteration => Language::Python,
            Kind::ManualTransaction
            | Kind::RedundantRollback
            | Kind::RawSqlTransaction
            | Kind::UncommittedTransaction
            | Kind::DoubleManagement => Language::Rust,
        }
    }

    /// Stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ManualLifecycle => "manual-lifecycle",
            Kind::LeakedSession => "leaked-session",
            Kind::RawFactoryWith => "raw-factory-with",
            Kind::DoubleTransaction => "double-transaction",
            Kind::AsyncWithoutContextManager => "async-without-context-manager",
            Kind::SharedSession => "shared-session",
            Kind::SessionPerIteration => "session-per-iteration",
            Kind::ManualTransaction => "manual-transaction",
            Kind::RedundantRollback => "redundant-rollback",
            Kind::RawSqlTransaction => "raw-sql-transaction",
            Kind::UncommittedTransaction => "uncommitted-transaction",
            Kind::DoubleManagement => "double-management",
        }
    }

    /// Stable audit code: `SES001`..`SES007` for Python, `RS001`..`RS005` for Rust.
    pub fn code(self) -> &'static str {
        match self {
            Kind::ManualLifecycle => "SES001",
            Kind::LeakedSession => "SES002",
            Kind::RawFactoryWith => "SES003",
            Kind::DoubleTransaction => "SES004",
            Kind::AsyncWithoutContextManager => "SES005",
            Kind::SharedSession => "SES006",
            Kind::SessionPerIteration => "SES007",
            Kind::ManualTransaction => "RS001",
            Kind::RedundantRollback => "RS002",
            Kind::RawSqlTransaction => "RS003",
            Kind::UncommittedTransaction => "RS004",
            Kind::DoubleManagement => "RS005",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a rewrite can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// Success and error paths provably do what they did before.
    Safe,
    /// Rewritten, but behaviour changes in the named way.
    Review,
    /// Not rewritten; the reason says why.
    Manual,
}

impl Safety {
    pub fn as_str(self) -> &'static str {
        match self {
            Safety::Safe => "safe",
            Safety::Review => "review",
            Safety::Manual => "manual",
        }
    }
}

impl std::fmt::Display for Safety {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_distinct_and_follow_the_language() {
        let mut codes: Vec<_> = Kind::ALL.iter().map(|k| k.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Kind::ALL.len());
        let mut names: Vec<_> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
        for k in Kind::ALL {
            let prefix = match k.language() {
                Language::Python => "SES",
                Language::Rust => "RS",
            };
            assert!(k.code().starts_with(prefix), "{k}");
        }
        assert_eq!(Kind::of(&[Language::Python]).count(), 7);
        assert_eq!(Kind::of(&[Language::Rust]).count(), 5);
        assert_eq!(Kind::of(&Language::ALL).count(), 12);
    }
}
