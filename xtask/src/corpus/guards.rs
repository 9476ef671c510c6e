//! What `codemod guard --format json` says about a package: the guards it found
//! and the sync / async target its rewrites use.
//!
//! Parsed leniently: older analyzers print no `guards` list and no `uses` on the
//! targets, which read as an empty list and unknown uses.

use serde::{Deserialize, Serialize};

/// `codemod guard --format json`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GuardDoc {
    sync: Option<TargetJson>,
    r#async: Option<TargetJson>,
    /// Absent from analyzers that predate the list.
    guards: Option<Vec<GuardJson>>,
    notes: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TargetJson {
    expr: String,
    import: Option<String>,
    /// `{"source": "discovered" | "config" | "sqlalchemy-begin", ...}`.
    source: serde_json::Value,
    uses: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GuardJson {
    expr: String,
    import: Option<String>,
    path: String,
    line: Option<u64>,
    shape: String,
    is_async: bool,
    lifecycle_description: String,
    production_uses: Option<u64>,
    test_uses: Option<u64>,
}

/// One guard the analyzer found, as kept in report.json.
#[derive(Serialize, Debug, PartialEq)]
pub struct Guard {
    pub expr: String,
    pub import: Option<String>,
    pub path: String,
    pub line: Option<u64>,
    pub shape: String,
    pub is_async: bool,
    pub lifecycle: String,
    pub production_uses: Option<u64>,
    pub test_uses: Option<u64>,
}

/// The guard a flavour's rewrites use.
#[derive(Serialize, Debug, PartialEq)]
pub struct Target {
    pub expr: String,
    pub import: Option<String>,
    /// `discovered`, `config` or `sqlalchemy-begin` (the `F.begin()` fallback).
    pub source: String,
    /// Uses of it in the tree; `None` when codemod does not say.
    pub uses: Option<u64>,
}

/// The guard facts of one package.
#[derive(Serialize, Debug, Default, PartialEq)]
pub struct GuardFacts {
    /// False when codemod printed no `guards` list (older analyzer).
    pub listed: bool,
    pub guards: Vec<Guard>,
    pub sync: Option<Target>,
    pub r#async: Option<Target>,
    pub notes: Vec<String>,
}

impl GuardFacts {
    pub fn parse(json: &[u8]) -> serde_json::Result<Self> {
        let doc: GuardDoc = serde_json::from_slice(json)?;
        Ok(Self::from(doc))
    }
}

impl From<GuardDoc> for GuardFacts {
    fn from(doc: GuardDoc) -> Self {
        let listed = doc.guards.is_some();
        let guards = doc.guards.unwrap_or_default();
        GuardFacts {
            listed,
            guards: guards.into_iter().map(Guard::from).collect(),
            sync: doc.sync.map(Target::from),
            r#async: doc.r#async.map(Target::from),
            notes: doc.notes,
        }
    }
}

impl From<GuardJson> for Guard {
    fn from(g: GuardJson) -> Self {
        Guard {
            expr: g.expr,
            import: g.import,
            path: g.path,
            line: g.line,
            shape: g.shape,
            is_async: g.is_async,
            lifecycle: g.lifecycle_description,
            production_uses: g.production_uses,
            test_uses: g.test_uses,
        }
    }
}

impl From<TargetJson> for Target {
    fn from(t: TargetJson) -> Self {
        let source = match &t.source {
            serde_json::Value::Object(map) => map.get("source").and_then(|s| s.as_str()),
            serde_json::Value::String(s) => Some(s.as_str()),
            _ => None,
        };
        Target {
            source: source.unwrap_or("unknown").to_string(),
            expr: t.expr,
            import: t.import,
            uses: t.uses,
        }
    }
}

impl Target {
    /// `expr (source, N uses)` for report.md.
    pub fn describe(&self) -> String {
        let uses = self
            .uses
            .map_or_else(|| "uses ?".to_string(), |n| format!("{n} uses"));
        format!("`{}` ({}, {uses})", self.expr, self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todays_output_has_no_list_and_unknown_uses() {
        let json = br#"{
          "sync": {"expr": "<factory>.begin()", "import": null,
                   "lifecycle": {"commits": true}, "source": {"source": "sqlalchemy-begin"},
                   "found_in": "x", "lifecycle_description": "commits"},
          "async": null,
          "notes": ["no async guard"]
        }"#;
        let facts = GuardFacts::parse(json).unwrap();
        assert!(!facts.listed);
        assert!(facts.guards.is_empty());
        let sync = facts.sync.unwrap();
        assert_eq!(sync.source, "sqlalchemy-begin");
        assert_eq!(sync.uses, None);
        assert_eq!(
            sync.describe(),
            "`<factory>.begin()` (sqlalchemy-begin, uses ?)"
        );
        assert!(facts.r#async.is_none());
        assert_eq!(facts.notes, ["no async guard"]);
    }

    #[test]
    fn guard_list_and_uses_are_read() {
        let json = br#"{
          "sync": {"expr": "get_db_session()", "import": "from app.db import get_db_session",
                   "source": {"source": "discovered", "path": "/t/app/db.py", "line": 4},
                   "uses": 7},
          "async": null,
          "notes": [],
          "guards": [{"expr": "get_db_session()", "import": "from app.db import get_db_session",
                      "path": "/t/app/db.py", "line": 4, "shape": "contextmanager-function",
                      "is_async": false, "lifecycle": {}, "lifecycle_description": "commits",
                      "production_uses": 5, "test_uses": 2, "something_new": 1}]
        }"#;
        let facts = GuardFacts::parse(json).unwrap();
        assert!(facts.listed);
        assert_eq!(facts.guards.len(), 1);
        assert_eq!(facts.guards[0].shape, "contextmanager-function");
        assert_eq!(facts.guards[0].production_uses, Some(5));
        assert_eq!(facts.sync.unwrap().uses, Some(7));
    }
}
