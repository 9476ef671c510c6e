//! What the analyzer reports: one `Finding` per manual block or report-only shape.

use serde::Serialize;

/// The shapes of hand-managed sessions. The kebab-case names are a stable contract
/// (JSON output, audit codes, snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `s = F` followed by a `try:` that commits / rolls back / closes by hand.
    ManualLifecycle,
    /// `s = F` with no close on some path.
    LeakedSession,
    /// `with SessionLocal() as s:` while the codebase has a guard.
    RawFactoryWith,
    /// `s.commit()` / `s.rollback()` inside a guard that already does it.
    DoubleTransaction,
    /// `s = async_factory()` without `async with`.
    AsyncWithoutContextManager,
    /// Session stored on `self` or a module global and used across calls (report only).
    SharedSession,
    /// A new session created on every iteration of a loop (report only).
    SessionPerIteration,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::ManualLifecycle,
        Kind::LeakedSession,
        Kind::RawFactoryWith,
        Kind::DoubleTransaction,
        Kind::AsyncWithoutContextManager,
        Kind::SharedSession,
        Kind::SessionPerIteration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ManualLifecycle => "manual-lifecycle",
            Kind::LeakedSession => "leaked-session",
            Kind::RawFactoryWith => "raw-factory-with",
            Kind::DoubleTransaction => "double-transaction",
            Kind::AsyncWithoutContextManager => "async-without-context-manager",
            Kind::SharedSession => "shared-session",
            Kind::SessionPerIteration => "session-per-iteration",
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
