//! What `audit` and `report` know about a finding's block beyond the finding, whatever
//! the language: extent, enclosing scope, a structural fingerprint, a line-shift-proof
//! header, and the suppression comments that apply to it.

use std::collections::BTreeMap;

use serde::Serialize;

/// Everything known about one finding's block.
#[derive(Debug, Clone, Serialize)]
pub struct BlockInfo {
    /// `Class.method`, `function`, or `<module>`.
    pub scope: String,
    /// The innermost enclosing class, if any.
    pub class: Option<String>,
    /// The session's name (variable, attribute or `as` target), when there is one.
    pub session: Option<String>,
    /// 1-based first and last line of the block.
    pub start_line: usize,
    pub end_line: usize,
    /// Lines of the block that manage the session (creation, `try:` scaffolding, handlers,
    /// `finally:`, commits / rollbacks / closes), blank and comment-only lines left out.
    pub session_lines: usize,
    /// The structural fingerprint: kind, lifecycle, handler and logging / raising skeleton.
    pub shape: String,
    /// Concrete values the fingerprint leaves out (factory, exception types...), for
    /// showing how blocks of one shape differ.
    pub details: BTreeMap<&'static str, String>,
    /// The statement's first logical line, tokens joined by one space, comments dropped
    /// and the session renamed `S`: with the path, code and scope it keys the baseline.
    pub header: String,
    /// The block's source lines.
    pub text: String,
    /// Codes suppressed on the statement's first logical line by `# codemod: ignore[..]`;
    /// `Some(empty)` for a bare `# codemod: ignore`.
    pub suppressed: Option<Vec<String>>,
}

/// The codes of a `codemod: ignore[...]` comment, whatever its comment syntax
/// (`Some(vec![])`: all codes).
pub fn parse_suppression(comment: &str) -> Option<Vec<String>> {
    let mut rest = comment;
    while let Some(at) = rest.find("codemod:") {
        let after = rest[at + "codemod:".len()..].trim_start();
        if let Some(tail) = after.strip_prefix("ignore") {
            if let Some(list) = tail.strip_prefix('[') {
                let end = list.find(']')?;
                let codes: Vec<String> = list[..end]
                    .split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect();
                return if codes.is_empty() { None } else { Some(codes) };
            }
            if tail.is_empty() || tail.starts_with(char::is_whitespace) {
                return Some(vec![]);
            }
        }
        rest = &rest[at + 1..];
    }
    None
}

/// The codes a block's comments suppress together (`Some(empty)`: all).
pub fn suppressed_by(comments: &[String]) -> Option<Vec<String>> {
    let mut out: Option<Vec<String>> = None;
    for codes in comments.iter().filter_map(|c| parse_suppression(c)) {
        if codes.is_empty() {
            return Some(vec![]);
        }
        out.get_or_insert_with(Vec::new).extend(codes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppression_comments() {
        assert_eq!(parse_suppression("# codemod: ignore"), Some(vec![]));
        assert_eq!(
            parse_suppression("#codemod:ignore[SES001, ses004]  -- legacy"),
            Some(vec!["SES001".into(), "ses004".into()])
        );
        assert_eq!(
            parse_suppression("# noqa: E501  # codemod: ignore[SES002]"),
            Some(vec!["SES002".into()])
        );
        assert_eq!(parse_suppression("# codemod: ignored"), None);
        assert_eq!(parse_suppression("# codemod: skip-file"), None);
        assert_eq!(parse_suppression("# codemod: ignore[]"), None);
    }

    #[test]
    fn suppression_comments_name_codes_or_all() {
        let c = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(suppressed_by(&c(&["// keep"])), None);
        assert_eq!(
            suppressed_by(&c(&[
                "// codemod: ignore[RS001]",
                "// codemod: ignore[RS003]"
            ])),
            Some(vec!["RS001".to_string(), "RS003".to_string()])
        );
        assert_eq!(
            suppressed_by(&c(&["// codemod: ignore[RS001]", "// codemod: ignore"])),
            Some(vec![])
        );
    }
}
