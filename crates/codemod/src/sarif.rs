//! `audit --format sarif`: a SARIF 2.1.0 log (typed, from `serde-sarif`) that GitHub code
//! scanning accepts: one rule per code with its severity as the default level, results
//! with a region, a partial fingerprint (the baseline key, so alerts survive line shifts)
//! and the fixable / safety / file-class facts as properties.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run,
    Sarif, Tool, ToolComponent,
};

use crate::codes::{self, Severity};
use crate::commands::audit::Finding;
use codemod_core::Language;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF level of a severity: critical / high block (error), medium warns, low notes.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn result_level(s: Severity) -> ResultLevel {
    match s {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low => ResultLevel::Note,
    }
}

/// GitHub's `security-severity`-like ranking is for security alerts; a plain `precision`
/// and the severity as a tag keep these quality alerts sorted.
fn rule_properties(severity: Severity, kind: &str) -> PropertyBag {
    let mut extra = BTreeMap::new();
    extra.insert("severity".to_string(), json!(severity.as_str()));
    extra.insert("precision".to_string(), json!("high"));
    extra.insert("kind".to_string(), json!(kind));
    PropertyBag::builder()
        .tags(vec![
            "sqlalchemy".to_string(),
            "database-session".to_string(),
            severity.as_str().to_string(),
        ])
        .additional_properties(extra)
        .build()
}

/// A relative path as a URI reference: `/` separated, reserved bytes percent-encoded (a
/// name that is not UTF-8 keeps its bytes: `caf%E9.py`).
fn uri(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    if path.starts_with(b"/") {
        format!("file://{out}")
    } else {
        out
    }
}

/// The whole log.
pub fn log(findings: &[Finding], languages: &[Language], version: &str) -> Sarif {
    let run_rules: Vec<&codes::Rule> = codes::rules_of(languages).collect();
    let rules: Vec<ReportingDescriptor> = run_rules
        .iter()
        .map(|r| {
            ReportingDescriptor::builder()
                .id(r.code().to_string())
                .name(r.kind.as_str().to_string())
                .short_description(
                    MultiformatMessageString::builder()
                        .text(r.title.to_string())
                        .build(),
                )
                .full_description(
                    MultiformatMessageString::builder()
                        .text(format!("{} ({} severity)", r.title, r.severity))
                        .build(),
                )
                .help(
                    MultiformatMessageString::builder()
                        .text(r.help.to_string())
                        .build(),
                )
                .default_configuration(
                    ReportingConfiguration::builder()
                        .level(json!(level(r.severity)))
                        .build(),
                )
                .properties(rule_properties(r.severity, r.kind.as_str()))
                .build()
        })
        .collect();
    let results: Vec<SarifResult> = findings
        .iter()
        .map(|f| {
            let index = run_rules
                .iter()
                .position(|r| r.code() == f.code)
                .unwrap_or(0);
            let mut props = BTreeMap::new();
            props.insert("severity".to_string(), json!(f.severity.as_str()));
            props.insert("fixable".to_string(), json!(f.fixable));
            props.insert("safety".to_string(), json!(f.safety.as_str()));
            props.insert("fileClass".to_string(), json!(f.class.as_str()));
            let mut fingerprints = BTreeMap::new();
            fingerprints.insert("codemodBlock/v1".to_string(), f.key.fingerprint());
            let region = Region::builder()
                .start_line(f.line as i64)
                .start_column(f.column as i64)
                .end_line(f.end_line as i64)
                .build();
            SarifResult::builder()
                .rule_id(f.code.to_string())
                .rule_index(index as i64)
                .level(result_level(f.severity))
                .message(Message::builder().text(f.message.clone()).build())
                .locations(vec![Location::builder()
                    .physical_location(
                        PhysicalLocation::builder()
                            .artifact_location(
                                ArtifactLocation::builder().uri(uri(&f.path_bytes)).build(),
                            )
                            .region(region)
                            .build(),
                    )
                    .build()])
                .partial_fingerprints(fingerprints)
                .properties(PropertyBag::builder().additional_properties(props).build())
                .build()
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("codemod".to_string())
        .full_name(format!("codemod audit {version}"))
        .version(version.to_string())
        .semantic_version(version.to_string())
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .column_kind(json!("unicodeCodePoints"))
        .results(results)
        .build();
    Sarif::builder()
        .schema(SCHEMA.to_string())
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// The log as pretty JSON.
pub fn to_value(findings: &[Finding], languages: &[Language], version: &str) -> Value {
    serde_json::to_value(log(findings, languages, version)).expect("a SARIF log serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(uri(b"app/a b.py"), "app/a%20b.py");
        assert_eq!(uri(b"/abs/x.py"), "file:///abs/x.py");
        assert_eq!(uri(b"caf\xe9.py"), "caf%E9.py");
    }
}
