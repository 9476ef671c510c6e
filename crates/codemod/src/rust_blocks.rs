//! Block information for a Rust file's findings, from the Rust front-end's block facts;
//! suppression comments read as `// codemod: ignore[RS001]`, on the block's first line
//! or on comment lines right above it.

use analyzer::SourceFile;
use rewriter::PlannedFinding;

use crate::blocks::{parse_suppression, BlockInfo};

/// Block information for every finding of one Rust file, in the findings' order.
pub fn describe(
    file: &SourceFile,
    edition: lang_rust::Edition,
    findings: &[PlannedFinding],
) -> Vec<BlockInfo> {
    let ranges: Vec<std::ops::Range<usize>> = findings
        .iter()
        .map(|f| f.range.start().to_usize()..f.range.end().to_usize())
        .collect();
    lang_rust::describe(&file.text, edition, &ranges)
        .into_iter()
        .zip(findings)
        .map(|(facts, f)| BlockInfo {
            suppressed: suppressed(&facts.comments),
            shape: format!("{}: {}", f.kind, facts.shape),
            scope: facts.scope,
            class: facts.class,
            session: facts.session,
            start_line: facts.start_line,
            end_line: facts.end_line,
            session_lines: facts.session_lines,
            details: Default::default(),
            header: facts.header,
            text: facts.text,
        })
        .collect()
}

/// The codes the comments suppress (`Some(empty)`: all), as for Python blocks.
fn suppressed(comments: &[String]) -> Option<Vec<String>> {
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
    fn suppression_comments_name_codes_or_all() {
        let c = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(suppressed(&c(&["// keep"])), None);
        assert_eq!(
            suppressed(&c(&[
                "// codemod: ignore[RS001]",
                "// codemod: ignore[RS003]"
            ])),
            Some(vec!["RS001".to_string(), "RS003".to_string()])
        );
        assert_eq!(
            suppressed(&c(&["// codemod: ignore[RS001]", "// codemod: ignore"])),
            Some(vec![])
        );
    }
}
