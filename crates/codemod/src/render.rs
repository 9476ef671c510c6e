//! Text output. Colour codes are always written; `anstream` strips them unless the stream
//! is a terminal (and honours `NO_COLOR` / `CLICOLOR_FORCE`).

use std::io::{self, Write};

use analyzer::Safety;
use owo_colors::OwoColorize;
use rewriter::{PlannedFinding, Selection};

use crate::report::{FileError, FileReport, RunReport};

fn safety_tag(safety: Safety) -> String {
    let tag = format!("[{safety}]");
    match safety {
        Safety::Safe => tag.green().bold().to_string(),
        Safety::Review => tag.yellow().bold().to_string(),
        Safety::Manual => tag.magenta().bold().to_string(),
    }
}

/// `path:line:col kind [safety] reason`, coloured.
pub fn finding_line(path: &str, f: &PlannedFinding) -> String {
    let mut line = format!(
        "{} {} {} {}",
        format!("{path}:{}:{}", f.line, f.column).bold(),
        f.kind.cyan(),
        safety_tag(f.safety),
        f.reason
    );
    if !f.applied && f.safety != Safety::Manual {
        line.push_str(&format!(" {}", "(not applied)".dimmed()));
    }
    line
}

/// Plain `path:line:col kind [safety] reason` (patch files).
pub fn finding_line_plain(path: &str, f: &PlannedFinding) -> String {
    let mut line = format!(
        "{path}:{}:{} {} [{}] {}",
        f.line, f.column, f.kind, f.safety, f.reason
    );
    if !f.applied && f.safety != Safety::Manual {
        line.push_str(" (not applied)");
    }
    line
}

/// A unified diff with `+` lines green, `-` lines red, hunk headers cyan.
pub fn colored_diff(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + diff.len() / 8);
    for line in diff.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let styled =
            if body.starts_with("+++") || body.starts_with("---") || body.starts_with("diff ") {
                body.bold().to_string()
            } else if body.starts_with('+') {
                body.green().to_string()
            } else if body.starts_with('-') {
                body.red().to_string()
            } else if body.starts_with("@@") {
                body.cyan().to_string()
            } else {
                body.to_string()
            };
        out.push_str(&styled);
        out.push_str(end);
    }
    out
}

/// One file: its findings, then its diff when it changes.
pub fn write_file(out: &mut impl Write, file: &FileReport) -> io::Result<()> {
    for f in &file.findings {
        writeln!(out, "{}", finding_line(&file.display, f))?;
    }
    if let Some(diff) = &file.diff {
        write!(out, "{}", colored_diff(diff))?;
        if !diff.ends_with('\n') {
            writeln!(out)?;
        }
    }
    writeln!(out)
}

fn count_list<'a>(items: impl Iterator<Item = (&'a &'static str, &'a usize)>) -> String {
    let parts: Vec<String> = items
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

/// Notes, then the summary block.
pub fn write_summary(out: &mut impl Write, report: &RunReport) -> io::Result<()> {
    for note in &report.notes {
        writeln!(out, "{} {note}", "note:".blue().bold())?;
    }
    if !report.notes.is_empty() {
        writeln!(out)?;
    }
    let c = &report.counts;
    writeln!(out, "{}", "summary".bold())?;
    let config = report.config.as_deref().unwrap_or("none found (defaults)");
    writeln!(out, "  config:         {config}")?;
    writeln!(out, "  files scanned:  {}", c.files_scanned)?;
    writeln!(out, "  files parsed:   {}", c.files_parsed)?;
    writeln!(out, "  files changed:  {}", c.files_changed)?;
    writeln!(
        out,
        "  manual blocks:  {}",
        count_list(c.blocks_by_kind.iter())
    )?;
    writeln!(
        out,
        "  rewrites:       {}",
        count_list(c.rewrites_by_class.iter())
    )?;
    if c.follow_ups > 0 {
        writeln!(
            out,
            "  follow-ups:     {} (rewrites of commits a rewrite leaves inside its guard; \
             counted above)",
            c.follow_ups
        )?;
    }
    writeln!(out, "  files skipped:  {}", report.skipped.len())?;
    for s in &report.skipped {
        writeln!(out, "    {}: {}", s.path, s.reason)?;
    }
    let errors = report.errors.len();
    let line = format!("  errors:         {errors}");
    if errors > 0 {
        writeln!(out, "{} (see stderr)", line.red())?;
    } else {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `error: path:line: message` on stderr.
pub fn print_error(err: &FileError) {
    // Internal errors say so in their message.
    let _ = writeln!(
        anstream::stderr(),
        "{}: {}",
        "error".red().bold(),
        cut(&err.located())
    );
}

pub fn print_warning(message: &str) {
    let _ = writeln!(
        anstream::stderr(),
        "{}: {}",
        "warning".yellow().bold(),
        cut(message)
    );
}

pub fn print_usage_error(message: &str) {
    let _ = writeln!(
        anstream::stderr(),
        "{}: {}",
        "error".red().bold(),
        cut(message)
    );
}

/// The longest message printed; longer ones (an error quoting a huge line of the input)
/// are cut, saying how much was left out.
const MAX_MESSAGE_CHARS: usize = 1000;

fn cut(message: &str) -> std::borrow::Cow<'_, str> {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => message.into(),
        Some((end, _)) => {
            let left = message[end..].chars().count();
            format!("{} ... ({left} more characters)", &message[..end]).into()
        }
    }
}

/// A `git apply`-able patch for one changed file, opening with an account of its
/// rewrites (text before the first `diff --git` line, which `git apply` skips).
/// When the report keeps its plan, the account also records what `apply --patch` checks
/// before writing: the target, the SHA-256 of the bytes planned and the selection.
pub fn patch(file: &FileReport, selection: Selection) -> Option<String> {
    let diff = file.diff.as_deref()?;
    let applied: Vec<&PlannedFinding> = file.applied().collect();
    let mut out = format!(
        "codemod: {} rewrite{} in {}\n",
        applied.len(),
        if applied.len() == 1 { "" } else { "s" },
        file.display
    );
    for f in &file.findings {
        out.push_str("  ");
        out.push_str(&finding_line_plain(&file.display, f));
        out.push('\n');
    }
    if let Some(plan) = &file.plan {
        let header = PatchHeader {
            target: file.display.clone(),
            sha256: sha256_hex(&plan.file.original_bytes()),
            selection,
        };
        out.push_str(&header.render());
    }
    out.push('\n');
    if !diff.starts_with("diff --git ") {
        out.push_str(&format!("diff --git a/{0} b/{0}\n", file.display));
    }
    out.push_str(diff);
    if !diff.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

/// What `apply --patch` needs from a patch's account: which file, the SHA-256 of its bytes
/// when the patch was made, and the selection the patch was planned with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchHeader {
    pub target: String,
    pub sha256: String,
    pub selection: Selection,
}

impl PatchHeader {
    const TARGET: &'static str = "codemod-target: ";
    const SHA256: &'static str = "codemod-original-sha256: ";
    const SELECTION: &'static str = "codemod-selection: ";

    fn render(&self) -> String {
        let selection = match self.selection {
            Selection::SafeOnly => "safe-only",
            Selection::SafeAndReview => "safe-and-review",
        };
        format!(
            "{}{}\n{}{}\n{}{selection}\n",
            Self::TARGET,
            self.target,
            Self::SHA256,
            self.sha256,
            Self::SELECTION
        )
    }

    /// The header of a patch written by `plan --patch-dir` (read from the account, before
    /// the first `diff --git` line); `None` when a line is missing.
    pub fn parse(patch: &str) -> Option<PatchHeader> {
        let account = &patch[..patch_diff_start(patch)?];
        let value = |key: &str| {
            account
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(str::to_string)
        };
        let selection = match value(Self::SELECTION)?.as_str() {
            "safe-only" => Selection::SafeOnly,
            "safe-and-review" => Selection::SafeAndReview,
            _ => return None,
        };
        Some(PatchHeader {
            target: value(Self::TARGET)?,
            sha256: value(Self::SHA256)?,
            selection,
        })
    }
}

/// Offset of the first `diff --git` line of a patch (where the account ends).
pub fn patch_diff_start(patch: &str) -> Option<usize> {
    if patch.starts_with("diff --git ") {
        return Some(0);
    }
    patch.find("\ndiff --git ").map(|i| i + 1)
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Patch file name of a path: `/` becomes `__`, `.patch` added.
pub fn patch_name(display: &str) -> String {
    let trimmed = display.trim_start_matches('/');
    format!("{}.patch", trimmed.replace(['/', '\\'], "__"))
}

/// `patch_name`, made unique among `used`: `a/b.py` and `a__b.py` both map to
/// `a__b.py.patch`, so the second gets `a__b.py-2.patch`.
pub fn unique_patch_name(display: &str, used: &mut std::collections::HashSet<String>) -> String {
    let base = patch_name(display);
    let stem = base.trim_end_matches(".patch");
    let mut name = base.clone();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{stem}-{n}.patch");
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_patch_names_are_made_unique() {
        let mut used = std::collections::HashSet::new();
        assert_eq!(unique_patch_name("a/b.py", &mut used), "a__b.py.patch");
        assert_eq!(unique_patch_name("a__b.py", &mut used), "a__b.py-2.patch");
        assert_eq!(unique_patch_name("a/b.py", &mut used), "a__b.py-3.patch");
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let long = "é".repeat(1500);
        let shown = cut(&long);
        assert!(shown.starts_with(&"é".repeat(1000)), "{shown}");
        assert!(shown.ends_with(" ... (500 more characters)"), "{shown}");
        assert_eq!(cut("short"), "short");
    }

    #[test]
    fn patch_names() {
        assert_eq!(patch_name("app/db/service.py"), "app__db__service.py.patch");
        assert_eq!(patch_name("/abs/x.py"), "abs__x.py.patch");
    }
}
