//! `codemod report [PATH...]`: where the session-management code is and how much of it is
//! the same block copied: per file and per class counts, clusters of same-shaped blocks,
//! and the lines the planned rewrites remove (measured from the plan's diff).

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use rewriter::Selection;

use super::{exit, CmdResult, UsageError};
use crate::clusters::{self, Cluster, Report};
use crate::{collect, html, render};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Tables to paste into an issue.
    Markdown,
    /// The same data as one JSON document.
    Json,
    /// One self-contained page with charts.
    Html,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Files and folders to report on (folders are walked for `*.py` and `*.rs`, honouring .gitignore).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
    /// Count only the safe rewrites in "lines removed" (default: safe and review, as `plan`).
    #[arg(long)]
    pub safe_only: bool,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Use this config file instead of discovering one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(args: ReportArgs) -> CmdResult {
    let selection = if args.safe_only {
        Selection::SafeOnly
    } else {
        Selection::SafeAndReview
    };
    let run = collect::collect(&args.paths, args.config.as_deref(), selection)?;
    for err in &run.errors {
        render::print_error(err);
    }
    let report = clusters::build(&run, args.safe_only);
    let text = match args.format {
        ReportFormat::Markdown => markdown(&report),
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report).expect("the report serialises");
            s.push('\n');
            s
        }
        ReportFormat::Html => html::page(&report),
    };
    let code = if run.has_internal_error() {
        exit::INTERNAL
    } else {
        exit::OK
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| UsageError(format!("{}: cannot write report: {e}", path.display())))?,
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    render::print_usage_error(&format!("cannot write output: {e}"));
                    return Ok(code.max(exit::FILE_ERRORS));
                }
            }
        }
    }
    Ok(code)
}

/// `|` and newlines would break a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn code_span(s: &str) -> String {
    let ticks = if s.contains('`') { "``" } else { "`" };
    format!("{ticks}{s}{ticks}")
}

fn kinds(by_kind: &std::collections::BTreeMap<&'static str, usize>) -> String {
    by_kind
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn differences(c: &Cluster, i: usize) -> String {
    match c.member_differences(i) {
        None => "(representative)".to_string(),
        Some(d) if d.is_empty() => "identical apart from the work inside".to_string(),
        Some(d) => d
            .iter()
            .map(|(k, v, rep)| format!("{k}: {} (not {})", code_span(v), code_span(rep)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The report as Markdown: summary, per-file and per-class tables, clusters.
pub fn markdown(r: &Report) -> String {
    let t = &r.totals;
    let mut s = String::new();
    let _ = writeln!(s, "# Session management report\n");
    let _ = writeln!(
        s,
        "{} hand-managed session blocks in {} of {} files scanned: {} lines, {} of them managing \
         the session. {} blocks share their shape with another ({} clusters of 2 or more). \
         The planned rewrites ({}) remove {} lines net (-{} +{}), measured from `codemod plan`'s diff.\n",
        t.blocks,
        t.files_with_blocks,
        t.files_scanned,
        t.block_lines,
        t.session_lines,
        t.blocks_in_repeated_clusters,
        t.repeated_clusters,
        r.rewrites_counted,
        t.net_lines_removed,
        t.lines_removed,
        t.lines_added,
    );
    let _ = writeln!(
        s,
        "| kind | blocks |\n| --- | ---: |{}\n",
        t.blocks_by_kind
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("\n| {k} | {n} |"))
            .collect::<String>()
    );

    let _ = writeln!(s, "## Per file\n");
    let _ = writeln!(
        s,
        "| file | class | blocks | session lines | block lines | lines removed by the plan | kinds |"
    );
    let _ = writeln!(s, "| --- | --- | ---: | ---: | ---: | ---: | --- |");
    let mut files: Vec<&clusters::FileRow> = r.files.iter().collect();
    files.sort_by(|a, b| {
        b.session_lines
            .cmp(&a.session_lines)
            .then(a.path.cmp(&b.path))
    });
    for f in &files {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} (-{} +{}) | {} |",
            code_span(&cell(&f.path)),
            f.class,
            f.blocks,
            f.session_lines,
            f.block_lines,
            f.net_lines_removed,
            f.lines_removed,
            f.lines_added,
            kinds(&f.blocks_by_kind)
        );
    }
    let _ = writeln!(
        s,
        "| **total** | | **{}** | **{}** | **{}** | **{}** (-{} +{}) | |\n",
        t.blocks,
        t.session_lines,
        t.block_lines,
        t.net_lines_removed,
        t.lines_removed,
        t.lines_added
    );

    let _ = writeln!(s, "## Per class\n");
    let _ = writeln!(s, "| class | file | blocks | session lines | block lines |");
    let _ = writeln!(s, "| --- | --- | ---: | ---: | ---: |");
    for c in &r.classes {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            cell(&c.class),
            code_span(&cell(&c.path)),
            c.blocks,
            c.session_lines,
            c.block_lines
        );
    }
    let _ = writeln!(s);

    let _ = writeln!(s, "## Clusters (largest first)\n");
    let _ = writeln!(
        s,
        "Blocks of one cluster have the same kind, lifecycle (where the session is created, \
         committed, rolled back and closed), handler structure and logging / raising skeleton; \
         names, literals and the work done with the session are ignored.\n"
    );
    for c in r.clusters.iter().filter(|c| c.size > 1) {
        cluster_md(&mut s, c);
    }
    let singles: Vec<&Cluster> = r.clusters.iter().filter(|c| c.size == 1).collect();
    if !singles.is_empty() {
        let _ = writeln!(s, "### Blocks with a shape of their own\n");
        let _ = writeln!(
            s,
            "| cluster | block | scope | kind | session lines | shape |"
        );
        let _ = writeln!(s, "| ---: | --- | --- | --- | ---: | --- |");
        for c in singles {
            let m = &c.representative;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                c.id,
                code_span(&format!("{}:{}", m.path, m.line)),
                code_span(&cell(&m.scope)),
                c.kind,
                m.session_lines,
                code_span(&cell(&c.shape))
            );
        }
        let _ = writeln!(s);
    }
    if !r.errors.is_empty() {
        let _ = writeln!(s, "## Files not read\n");
        for e in &r.errors {
            let _ = writeln!(s, "- {}", code_span(&e.located()));
        }
        let _ = writeln!(s);
    }
    s
}

fn cluster_md(s: &mut String, c: &Cluster) {
    let m = &c.representative;
    let _ = writeln!(
        s,
        "### {}. {} × {} ({} file{}, {} session lines, {} lines removed by the plan)\n",
        c.id,
        c.kind,
        c.size,
        c.files,
        if c.files == 1 { "" } else { "s" },
        c.session_lines,
        c.net_lines_removed
    );
    let _ = writeln!(s, "Shape: {}\n", code_span(&c.shape));
    let _ = writeln!(
        s,
        "Representative: {} in {}:\n",
        code_span(&format!("{}:{}", m.path, m.line)),
        code_span(&m.scope)
    );
    let fence = if c.representative_text.contains("```") {
        "~~~~"
    } else {
        "```"
    };
    let _ = writeln!(s, "{fence}python\n{}\n{fence}\n", c.representative_text);
    let _ = writeln!(
        s,
        "| block | scope | rewrite | session lines | lines removed | how it differs |"
    );
    let _ = writeln!(s, "| --- | --- | --- | ---: | ---: | --- |");
    for (i, mm) in c.members.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            code_span(&format!("{}:{}", mm.path, mm.line)),
            code_span(&cell(&mm.scope)),
            mm.safety,
            mm.session_lines,
            mm.lines_removed as i64 - mm.lines_added as i64,
            cell(&differences(c, i))
        );
    }
    let _ = writeln!(s);
}
