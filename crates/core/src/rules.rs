//! The audit rules: one stable code and one severity per finding kind. `docs/rules.md`
//! explains each (why this severity, before / after).

use serde::Serialize;

use crate::{Kind, Language};

/// How bad a finding is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Most severe first.
    pub const DESCENDING: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audit rule.
#[derive(Debug)]
pub struct Rule {
    pub kind: Kind,
    pub severity: Severity,
    /// One line: what the rule finds.
    pub title: &'static str,
    /// One line: what to do instead.
    pub help: &'static str,
}

/// Every rule, in code order. Codes never change meaning; new kinds get new codes.
pub const RULES: [Rule; 12] = [
    Rule {
        kind: Kind::ManualLifecycle,
        severity: Severity::Medium,
        title: "session lifecycle managed by hand (commit / rollback / close in try blocks)",
        help: "use the guard: `with <guard> as session:` commits, rolls back and closes",
    },
    Rule {
        kind: Kind::LeakedSession,
        severity: Severity::High,
        title: "session created without a guard and not closed on some path",
        help: "use the guard so the session is closed on every path",
    },
    Rule {
        kind: Kind::RawFactoryWith,
        severity: Severity::Low,
        title: "`with <factory>() as s:` bypasses the codebase's guard",
        help: "use the guard, which also commits and rolls back",
    },
    Rule {
        kind: Kind::DoubleTransaction,
        severity: Severity::Critical,
        title: "commit / rollback by hand inside a guard that already manages the transaction",
        help: "let the guard commit and roll back; use `flush()` where the work must be \
               visible before the end of the block",
    },
    Rule {
        kind: Kind::AsyncWithoutContextManager,
        severity: Severity::High,
        title: "async session created without `async with`",
        help: "use `async with <async guard> as session:`",
    },
    Rule {
        kind: Kind::SharedSession,
        severity: Severity::High,
        title: "session stored on `self` or in a module global and shared across calls",
        help: "open one session per operation with the guard",
    },
    Rule {
        kind: Kind::SessionPerIteration,
        severity: Severity::Medium,
        title: "a new session on every iteration of a loop",
        help: "open one session around the loop, or use the guard per item on purpose",
    },
    Rule {
        kind: Kind::ManualTransaction,
        severity: Severity::Medium,
        title: "transaction committed on success and rolled back by hand on the error path",
        help: "let drop roll back: commit on the success path only",
    },
    Rule {
        kind: Kind::RedundantRollback,
        severity: Severity::Low,
        title: "rollback right before an error exit of a transaction that rolls back on drop",
        help: "drop the rollback; the transaction rolls back when it goes out of scope",
    },
    Rule {
        kind: Kind::RawSqlTransaction,
        severity: Severity::Medium,
        title: "`BEGIN` / `COMMIT` / `ROLLBACK` sent as SQL text on a connection",
        help: "use the driver's transaction type, which rolls back when dropped",
    },
    Rule {
        kind: Kind::UncommittedTransaction,
        severity: Severity::High,
        title: "transaction dropped without commit on a path that returns `Ok`",
        help: "commit before returning `Ok`, or return an error so the rollback is intended",
    },
    Rule {
        kind: Kind::DoubleManagement,
        severity: Severity::High,
        title: "commit / rollback inside a closure API that manages the transaction, or a \
                nested begin",
        help: "let the closure API commit and roll back; return `Err` to roll back",
    },
];

/// The rules of the given languages, in code order.
pub fn rules_of(languages: &[Language]) -> impl Iterator<Item = &'static Rule> + '_ {
    RULES
        .iter()
        .filter(move |r| languages.contains(&r.kind.language()))
}

impl Rule {
    /// Stable code, e.g. `SES004` (the kind's).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

pub fn rule(kind: Kind) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.kind == kind)
        .expect("every kind has a rule")
}

/// A rule named by its code (any case) or its kind name (`double-transaction`).
pub fn lookup(name: &str) -> Option<&'static Rule> {
    let name = name.trim();
    RULES
        .iter()
        .find(|r| r.code().eq_ignore_ascii_case(name) || r.kind.as_str() == name)
}

/// Parse a list of codes (`ALL` means every rule). `Err` names the first unknown one.
pub fn parse_list<'a>(
    items: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<&'static Rule>, String> {
    let mut out: Vec<&'static Rule> = Vec::new();
    for item in items {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if item.eq_ignore_ascii_case("ALL") {
            out.extend(RULES.iter());
            continue;
        }
        match lookup(item) {
            Some(r) => out.push(r),
            None => return Err(item.to_string()),
        }
    }
    out.sort_by_key(|r| r.code());
    out.dedup_by_key(|r| r.code());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_rule_with_a_distinct_code() {
        for k in Kind::ALL {
            assert_eq!(RULES.iter().filter(|r| r.kind == k).count(), 1, "{k}");
        }
        let mut codes: Vec<_> = RULES.iter().map(|r| r.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), RULES.len());
    }

    #[test]
    fn lookup_by_code_or_kind() {
        assert_eq!(lookup("ses004").unwrap().kind, Kind::DoubleTransaction);
        assert_eq!(lookup("leaked-session").unwrap().code(), "SES002");
        assert!(lookup("SES999").is_none());
        assert_eq!(parse_list(["ALL"]).unwrap().len(), 12);
        assert_eq!(lookup("rs002").unwrap().kind, Kind::RedundantRollback);
        assert_eq!(rules_of(&[Language::Rust]).count(), 5);
        assert_eq!(parse_list(["SES001", "manual-lifecycle"]).unwrap().len(), 1);
        assert_eq!(parse_list(["x"]).unwrap_err(), "x");
    }

    #[test]
    fn severities_are_ordered() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Medium > Severity::Low);
        assert_eq!(rule(Kind::DoubleTransaction).severity, Severity::Critical);
        assert_eq!(
            rule(Kind::AsyncWithoutContextManager).severity,
            Severity::High
        );
        assert_eq!(rule(Kind::SessionPerIteration).severity, Severity::Medium);
    }
}
