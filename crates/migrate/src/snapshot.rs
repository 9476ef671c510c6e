//! Each file's patch as an insta-format snapshot: a YAML header between `---` lines
//! (`source`, `description`, `expression`), then the body: one line per finding and the
//! unified diff. Pending patches are `<name>.snap.new`, accepted ones `<name>.snap`, the
//! way insta keeps them, so a person reads them like any snapshot.

use std::path::{Path, PathBuf};

use crate::ledger::{write_file_atomic, FindingRecord};
use crate::{io_err, Error, Target};

/// The snapshot name of a file: its path with `/` as `__` (insta's separator), made
/// unique against the names already `taken`.
pub fn name_for(rel: &str, taken: impl Fn(&str) -> bool) -> String {
    let base: String = rel
        .replace('/', "__")
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    if !taken(&base) {
        return base;
    }
    let hash = &crate::sha256_hex(rel.as_bytes())[..8];
    format!("{base}-{hash}")
}

/// `<name>.snap`.
pub fn accepted_path(target: &Target, name: &str) -> PathBuf {
    target.snapshot_dir().join(format!("{name}.snap"))
}

/// `<name>.snap.new`.
pub fn pending_path(target: &Target, name: &str) -> PathBuf {
    target.snapshot_dir().join(format!("{name}.snap.new"))
}

/// The snapshot body: the findings (class and reason), a blank line, the diff.
pub fn body(findings: &[FindingRecord], diff: &str) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "line {} {} [{}]{} {}\n",
            f.line,
            f.kind,
            f.class,
            if f.rewritten { "" } else { " (not rewritten)" },
            f.reason
        ));
    }
    out.push('\n');
    out.push_str(diff);
    out
}

/// Write a pending snapshot (`.snap.new`) for `rel`.
pub fn write_pending(
    target: &Target,
    name: &str,
    rel: &str,
    description: &str,
    body: &str,
) -> Result<(), Error> {
    let text = render(rel, description, body);
    write_file_atomic(&pending_path(target, name), text.as_bytes())
}

fn render(rel: &str, description: &str, body: &str) -> String {
    let mut out = String::from("---\n");
    out.push_str(&format!("source: {}\n", yaml_str(rel)));
    out.push_str(&format!("description: {}\n", yaml_str(description)));
    out.push_str(&format!(
        "expression: {}\n",
        yaml_str(&format!("codemod migrate: {rel}"))
    ));
    out.push_str("---\n");
    out.push_str(body);
    if !body.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// `.snap.new` becomes `.snap` (the accepted patch replaces any older one).
pub fn accept(target: &Target, name: &str) -> Result<(), Error> {
    let from = pending_path(target, name);
    let to = accepted_path(target, name);
    std::fs::rename(&from, &to).map_err(|e| io_err(from.display(), e))
}

/// Remove a file if present.
pub fn remove(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(path.display(), e)),
    }
}

/// The body of a snapshot file (what follows the header), if it exists and has one.
pub fn read_body(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(rest[end + 5..].to_string())
}

/// A YAML scalar: plain when it cannot be misread, else double-quoted.
fn yaml_str(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
        && !s.starts_with(['-', '.']);
    if plain {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_paths_and_unique() {
        assert_eq!(
            name_for("app/services/x.py", |_| false),
            "app__services__x.py"
        );
        let n = name_for("a/b.py", |n| n == "a__b.py");
        assert!(
            n.starts_with("a__b.py-") && n.len() == "a__b.py-".len() + 8,
            "{n}"
        );
    }

    #[test]
    fn header_is_insta_like_and_body_round_trips() {
        let text = render("app/x.py", "2 rewrites: \"safe\"", "line 1\n\n--- a/x\n");
        assert!(
            text.starts_with("---\nsource: app/x.py\ndescription: \"2 rewrites: \\\"safe\\\"\"\n")
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.snap");
        std::fs::write(&p, &text).unwrap();
        assert_eq!(read_body(&p).unwrap(), "line 1\n\n--- a/x\n");
    }
}
