//! `codemod audit [PATH...]`: the findings of `plan` as a lint: a code and a severity per
//! finding, suppressions, per-file ignores, file classes, a baseline, and an exit code for
//! CI (`--fail-on`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use analyzer::Safety;
use owo_colors::OwoColorize;
use rewriter::Selection;
use serde::Serialize;

use super::{exit, CmdResult, UsageError};
use crate::baseline::{self, Baseline, Key};
use crate::classify::FileClass;
use crate::codes::{self, Rule, Severity};
use crate::collect::{self, Collected};
use crate::{render, sarif};
use codemod_core::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// Grouped by severity, then file.
    Text,
    /// `{"findings": [...], "summary": {...}}`.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Files and folders to audit (folders are walked for `*.py` and `*.rs`, honouring .gitignore).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Exit 1 when a finding at or above this severity is reported, or a file that mentions
    /// sessions cannot be parsed (it may hide findings).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Report only these codes (comma separated or repeated; `SES004` or `double-transaction`).
    #[arg(long, value_delimiter = ',', value_name = "CODE")]
    pub select: Vec<String>,
    /// Never report these codes.
    #[arg(long, value_delimiter = ',', value_name = "CODE")]
    pub ignore: Vec<String>,
    /// Leave out tests, scripts and experiments (`*_fixed.py`...).
    #[arg(long)]
    pub production_only: bool,
    /// Report only findings not recorded in this baseline file.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Record the findings reported now in FILE (then exit 0).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Use this config file instead of discovering one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// A reported finding.
#[derive(Debug, Clone)]
pub struct Finding {
    pub path: String,
    /// The path's bytes, for URIs (SARIF) that must name the file exactly.
    pub path_bytes: Vec<u8>,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub code: &'static str,
    pub kind: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The message without the rule's title (the text output names the rule already).
    pub detail: String,
    pub fixable: bool,
    pub safety: Safety,
    pub class: FileClass,
    pub key: Key,
}

/// Why a finding is not reported.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Hidden {
    /// `# codemod: ignore[...]` on the line.
    pub inline: usize,
    /// Config `per-file-ignores`.
    pub per_file: usize,
    /// Not production code, with `--production-only`.
    pub non_production: usize,
    /// In the baseline.
    pub baselined: usize,
}

pub struct Audit {
    pub findings: Vec<Finding>,
    pub hidden: Hidden,
    /// Files with findings that are not production code (reported or not): path -> class.
    pub non_production: BTreeMap<String, FileClass>,
    /// Baseline entries no finding matched.
    pub baseline_fixed: usize,
    /// The languages of the run: whose rules the summary and SARIF list.
    pub languages: Vec<Language>,
}

/// What `plan` says about this block, then how to fix it.
fn detail(reason: &str, safety: Safety, fixable: bool) -> String {
    let fix = match (fixable, safety) {
        (true, Safety::Safe) => "fix: `codemod apply`".to_string(),
        (true, _) => "fix: `codemod apply --include-review`, then review the change".to_string(),
        (false, Safety::Manual) => "fix by hand".to_string(),
        (false, _) => "fix: re-run `codemod apply` after the enclosing rewrite".to_string(),
    };
    format!("{reason} ({fix})")
}

fn parse_codes(flag: &str, items: &[String]) -> Result<Vec<&'static Rule>, UsageError> {
    codes::parse_list(items.iter().map(String::as_str)).map_err(|bad| {
        UsageError(format!(
            "{flag}: unknown code `{bad}` (codes: {}; see docs/rules.md)",
            codes::RULES
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// `per-file-ignores` must name known codes: checked before anything runs.
fn check_per_file_ignores(c: &analyzer::LoadedConfig) -> Result<(), UsageError> {
    for (glob, list) in &c.config.per_file_ignores {
        if let Err(bad) = codes::parse_list(list.iter().map(String::as_str)) {
            let file = c
                .path
                .as_deref()
                .map_or("config".to_string(), |p| p.display().to_string());
            return Err(UsageError(format!(
                "{file}: key `per-file-ignores` (\"{glob}\"): unknown code `{bad}`"
            )));
        }
    }
    Ok(())
}

/// Apply the selection, suppressions, classes and baseline to the run's findings.
pub fn audit(
    run: &Collected,
    select: &[&'static Rule],
    ignore: &[&'static Rule],
    production_only: bool,
    mut baseline: Option<Baseline>,
) -> Audit {
    let mut out = Audit {
        findings: vec![],
        hidden: Hidden::default(),
        non_production: BTreeMap::new(),
        baseline_fixed: 0,
        languages: run.counts.languages.clone(),
    };
    for file in &run.files {
        let abs = run.root.join(&file.rel);
        let per_file = codes::parse_list(run.config.ignored_codes(&abs)).unwrap_or_default();
        if file.class != FileClass::Production {
            out.non_production.insert(file.display.clone(), file.class);
        }
        for item in &file.items {
            let f = &item.finding;
            // A Rust `#[cfg(test)]` module is test code in any file.
            let class = if f.test_code {
                FileClass::Test
            } else {
                file.class
            };
            let rule = codes::rule(f.kind);
            if !select.is_empty() && !select.iter().any(|r| r.code() == rule.code()) {
                continue;
            }
            if ignore.iter().any(|r| r.code() == rule.code()) {
                continue;
            }
            if let Some(list) = &item.block.suppressed {
                let hit = list.is_empty()
                    || list
                        .iter()
                        .any(|c| codes::lookup(c).is_some_and(|r| r.code() == rule.code()));
                if hit {
                    out.hidden.inline += 1;
                    continue;
                }
            }
            if per_file.iter().any(|r| r.code() == rule.code()) {
                out.hidden.per_file += 1;
                continue;
            }
            if production_only && class != FileClass::Production {
                out.hidden.non_production += 1;
                continue;
            }
            let key = Key {
                path: file.rel.clone(),
                code: rule.code().to_string(),
                scope: item.block.scope.clone(),
                block: item.block.header.clone(),
            };
            if let Some(b) = baseline.as_mut() {
                if b.absorb(&key) {
                    out.hidden.baselined += 1;
                    continue;
                }
            }
            let fixable = f.applied;
            let detail = detail(&f.reason, f.safety, fixable);
            out.findings.push(Finding {
                path: file.display.clone(),
                path_bytes: file.display_bytes.clone(),
                line: f.line,
                column: f.column,
                end_line: item.block.end_line.max(f.line),
                code: rule.code(),
                kind: rule.kind.as_str(),
                severity: rule.severity,
                message: format!("{}: {detail}", rule.title),
                detail,
                fixable,
                safety: f.safety,
                class,
                key,
            });
        }
    }
    out.baseline_fixed = baseline.map_or(0, |b| b.unmatched());
    out
}

pub fn run(args: AuditArgs) -> CmdResult {
    let select = parse_codes("--select", &args.select)?;
    let ignore = parse_codes("--ignore", &args.ignore)?;
    let baseline = match &args.baseline {
        Some(p) => Some(Baseline::read(p).map_err(UsageError)?),
        None => None,
    };
    // Same selection as `plan`'s default: `fixable` means `plan` rewrites it.
    let run = collect::collect(
        &args.paths,
        args.config.as_deref(),
        Selection::SafeAndReview,
    )?;
    check_per_file_ignores(&run.config)?;
    let result = audit(&run, &select, &ignore, args.production_only, baseline);

    for err in &run.errors {
        render::print_error(err);
    }
    let mut code = if run.has_internal_error() {
        exit::INTERNAL
    } else {
        exit::OK
    };

    if let Some(path) = &args.write_baseline {
        let n = baseline::write(path, result.findings.iter().map(|f| f.key.clone()))
            .map_err(UsageError)?;
        let _ = writeln!(
            anstream::stderr(),
            "wrote {n} finding{} to baseline {}",
            if n == 1 { "" } else { "s" },
            path.display()
        );
        return Ok(code);
    }

    let failing = args.fail_on.map_or(0, |t| {
        result.findings.iter().filter(|f| f.severity >= t).count()
    });
    let printed = match args.format {
        AuditFormat::Text => print_text(&run, &result, args.fail_on, failing),
        AuditFormat::Json => print_json(&run, &result, args.fail_on, failing),
        AuditFormat::Sarif => print_sarif(&result),
        AuditFormat::Github => print_github(&result),
    };
    if let Err(e) = printed {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            render::print_usage_error(&format!("cannot write output: {e}"));
            code = code.max(exit::FILE_ERRORS);
        }
    }
    if failing > 0 {
        code = code.max(exit::FILE_ERRORS);
    }
    // A file that names sessions (only such files are parsed) but does not parse may hide
    // findings: the gate does not pass over it.
    let unparsed = run.unparsed_targets;
    if args.fail_on.is_some() && unparsed > 0 {
        let _ = writeln!(
            anstream::stderr(),
            "--fail-on: {unparsed} file{} that mention{} sessions could not be parsed and may \
             hide findings",
            if unparsed == 1 { "" } else { "s" },
            if unparsed == 1 { "s" } else { "" },
        );
        code = code.max(exit::FILE_ERRORS);
    }
    Ok(code)
}

// ---------------------------------------------------------------------------------------
// Output

fn severity_label(s: Severity) -> String {
    let label = s.as_str().to_uppercase();
    match s {
        Severity::Critical => label.red().bold().to_string(),
        Severity::High => label.red().to_string(),
        Severity::Medium => label.yellow().to_string(),
        Severity::Low => label.blue().to_string(),
    }
}

fn write_group(
    out: &mut impl Write,
    findings: &[&Finding],
    tag_class: bool,
) -> std::io::Result<()> {
    for s in Severity::DESCENDING {
        let mut of: Vec<&&Finding> = findings.iter().filter(|f| f.severity == s).collect();
        if of.is_empty() {
            continue;
        }
        of.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
        writeln!(out, "{} ({})", severity_label(s), of.len())?;
        let mut current: Option<&str> = None;
        for f in of {
            if current != Some(f.path.as_str()) {
                if tag_class {
                    writeln!(out, "  {} [{}]", f.path.bold(), f.class)?;
                } else {
                    writeln!(out, "  {}", f.path.bold())?;
                }
                current = Some(&f.path);
            }
            let safety = if f.fixable {
                format!("[{}]", f.safety).green().to_string()
            } else {
                format!("[{}]", f.safety).magenta().to_string()
            };
            writeln!(
                out,
                "    {}:{} {} {} {} {}",
                f.line,
                f.column,
                f.code.bold(),
                f.kind.cyan(),
                safety,
                f.detail
            )?;
        }
    }
    Ok(())
}

fn count_by_severity(findings: &[Finding]) -> BTreeMap<&'static str, usize> {
    let mut m: BTreeMap<&'static str, usize> = Severity::DESCENDING
        .iter()
        .map(|s| (s.as_str(), 0))
        .collect();
    for f in findings {
        *m.entry(f.severity.as_str()).or_default() += 1;
    }
    m
}

fn print_text(
    run: &Collected,
    a: &Audit,
    fail_on: Option<Severity>,
    failing: usize,
) -> std::io::Result<()> {
    let mut out = anstream::stdout().lock();
    let production: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| f.class == FileClass::Production)
        .collect();
    let other: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| f.class != FileClass::Production)
        .collect();
    write_group(&mut out, &production, false)?;
    if !other.is_empty() {
        if !production.is_empty() {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{}",
            "not production code (tests, scripts, experiments; --production-only leaves them out)"
                .bold()
        )?;
        write_group(&mut out, &other, true)?;
    }
    if !a.findings.is_empty() {
        writeln!(out)?;
    }
    for note in &run.notes {
        writeln!(out, "{} {note}", "note:".blue().bold())?;
    }
    let sev = count_by_severity(&a.findings);
    let sev_text: Vec<String> = Severity::DESCENDING
        .iter()
        .map(|s| format!("{} {}", s, sev[s.as_str()]))
        .collect();
    writeln!(out, "{}", "summary".bold())?;
    writeln!(
        out,
        "  findings:       {} ({})",
        a.findings.len(),
        sev_text.join(", ")
    )?;
    writeln!(
        out,
        "  fixable:        {} (`codemod plan` shows the rewrites)",
        a.findings.iter().filter(|f| f.fixable).count()
    )?;
    let h = &a.hidden;
    writeln!(
        out,
        "  not reported:   {} suppressed inline, {} per-file-ignores, {} not production, {} in baseline",
        h.inline, h.per_file, h.non_production, h.baselined
    )?;
    if a.baseline_fixed > 0 {
        writeln!(
            out,
            "  baseline:       {} recorded finding{} no longer found",
            a.baseline_fixed,
            if a.baseline_fixed == 1 { "" } else { "s" }
        )?;
    }
    writeln!(
        out,
        "  files:          {} scanned, {} with findings, {} skipped",
        run.counts.files_scanned,
        run.files.len(),
        run.skipped.len()
    )?;
    let errors = run.errors.len();
    let line = format!("  errors:         {errors}");
    if errors > 0 {
        writeln!(out, "{} (see stderr)", line.red())?;
    } else {
        writeln!(out, "{line}")?;
    }
    if let Some(t) = fail_on {
        let verdict = if failing > 0 {
            format!("{failing} at or above {t}: failing")
                .red()
                .bold()
                .to_string()
        } else {
            format!("none at or above {t}").green().to_string()
        };
        writeln!(out, "  --fail-on {t}: {verdict}")?;
    }
    out.flush()
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    code: &'a str,
    severity: Severity,
    message: &'a str,
    fixable: bool,
    safety: Safety,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    findings: usize,
    by_severity: BTreeMap<&'static str, usize>,
    by_code: BTreeMap<&'static str, usize>,
    fixable: usize,
    not_reported: &'a Hidden,
    baseline_no_longer_found: usize,
    non_production_files: &'a BTreeMap<String, FileClass>,
    files_scanned: usize,
    files_with_findings: usize,
    skipped: &'a [crate::report::Skipped],
    errors: &'a [crate::report::FileError],
    notes: &'a [String],
    fail_on: Option<Severity>,
    failing: usize,
}

fn print_json(
    run: &Collected,
    a: &Audit,
    fail_on: Option<Severity>,
    failing: usize,
) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        findings: Vec<JsonFinding<'a>>,
        summary: JsonSummary<'a>,
    }
    let mut by_code: BTreeMap<&'static str, usize> = codes::rules_of(&a.languages)
        .map(|r| (r.code(), 0))
        .collect();
    for f in &a.findings {
        *by_code.entry(f.code).or_default() += 1;
    }
    let doc = Doc {
        findings: a
            .findings
            .iter()
            .map(|f| JsonFinding {
                path: &f.path,
                line: f.line,
                column: f.column,
                code: f.code,
                severity: f.severity,
                message: &f.message,
                fixable: f.fixable,
                safety: f.safety,
            })
            .collect(),
        summary: JsonSummary {
            findings: a.findings.len(),
            by_severity: count_by_severity(&a.findings),
            by_code,
            fixable: a.findings.iter().filter(|f| f.fixable).count(),
            not_reported: &a.hidden,
            baseline_no_longer_found: a.baseline_fixed,
            non_production_files: &a.non_production,
            files_scanned: run.counts.files_scanned,
            files_with_findings: run.files.len(),
            skipped: &run.skipped,
            errors: &run.errors,
            notes: &run.notes,
            fail_on,
            failing,
        },
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &doc)?;
    writeln!(out)?;
    out.flush()
}

fn print_sarif(a: &Audit) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(
        &mut out,
        &sarif::to_value(&a.findings, &a.languages, env!("CARGO_PKG_VERSION")),
    )?;
    writeln!(out)?;
    out.flush()
}

/// Workflow-command escaping: `%`, CR, LF in data; also `:` and `,` in properties.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=..,line=..,col=..,endLine=..,title=..::message`, one per finding.
pub fn github_line(f: &Finding) -> String {
    let level = match f.severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "notice",
    };
    let class = if f.class == FileClass::Production {
        String::new()
    } else {
        format!(" ({} file)", f.class)
    };
    format!(
        "::{level} file={},line={},col={},endLine={},title={}::{}",
        escape_property(&f.path),
        f.line,
        f.column,
        f.end_line,
        escape_property(&format!("{} {} ({}){class}", f.code, f.kind, f.severity)),
        escape_data(&f.message)
    )
}

fn print_github(a: &Audit) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for f in &a.findings {
        writeln!(out, "{}", github_line(f))?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping() {
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("x\ny: z"), "x%0Ay: z");
    }
}
