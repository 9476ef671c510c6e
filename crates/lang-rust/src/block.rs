//! What `audit` and `report` need to know about a finding's block beyond the finding:
//! where it sits (impl type and function), the transaction's name, its extent, the lines
//! spent on transaction management, a structural fingerprint, a line-shift-proof header
//! and the comments on its first line (suppressions are parsed by the caller).

use std::ops::Range;

use ra_ap_syntax::ast::{self, HasName};
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, SyntaxToken, TextSize};

use crate::syntax::LineIndex;
use crate::Edition;

/// Facts about one finding's block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockFacts {
    /// `Type::method`, `function`, or `<module>`.
    pub scope: String,
    /// The type of the innermost enclosing `impl`, if any.
    pub class: Option<String>,
    /// The transaction's binding (`tx`), when the block starts with a `let`.
    pub session: Option<String>,
    /// 1-based first and last line.
    pub start_line: usize,
    pub end_line: usize,
    /// Lines of the block that begin, commit, roll back or send transaction SQL.
    pub session_lines: usize,
    /// Fingerprint: the block's transaction events and exits, names left out.
    pub shape: String,
    /// The first line's tokens joined by one space, comments dropped, the transaction
    /// renamed `S`.
    pub header: String,
    /// The block's source lines.
    pub text: String,
    /// Comments on the block's first line and on comment-only lines right above it.
    pub comments: Vec<String>,
}

/// Words that make up a block's fingerprint.
const SHAPE_WORDS: [&str; 12] = [
    "transaction",
    "unchecked_transaction",
    "begin",
    "commit",
    "rollback",
    "return",
    "match",
    "if",
    "Ok",
    "Err",
    "map_err",
    "execute",
];

/// Facts for each byte range (a finding's `range`) of one file, in order.
pub fn describe(text: &str, edition: Edition, ranges: &[Range<usize>]) -> Vec<BlockFacts> {
    let tree = ast::SourceFile::parse(text, edition.to_syntax()).tree();
    let lines = LineIndex::new(text);
    ranges
        .iter()
        .map(|r| describe_one(text, tree.syntax(), &lines, r.clone()))
        .collect()
}

fn describe_one(
    text: &str,
    root: &SyntaxNode,
    lines: &LineIndex,
    range: Range<usize>,
) -> BlockFacts {
    let start = range.start.min(text.len());
    let end = range.end.clamp(start, text.len());
    let node = covering_node(root, start..end);
    let (scope, class) = scope_of(&node);
    let session = binding_of(&node);
    let start_line = lines.line(start);
    let end_line = lines.line(end.saturating_sub(1).max(start));
    let block_text = whole_lines(text, start, end);
    let tokens: Vec<SyntaxToken> = root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| within(t, start..end))
        .collect();
    BlockFacts {
        scope,
        class,
        session_lines: management_lines(block_text),
        shape: shape_of(&tokens),
        header: header_of(&tokens, lines, start_line, session.as_deref()),
        comments: comments_at(text, root, lines, start, start_line),
        session,
        start_line,
        end_line,
        text: block_text.to_string(),
    }
}

/// The smallest node covering `range` (the root when none does).
fn covering_node(root: &SyntaxNode, range: Range<usize>) -> SyntaxNode {
    let r = ra_ap_syntax::TextRange::new(offset(range.start), offset(range.end));
    match root.covering_element(r) {
        ra_ap_syntax::NodeOrToken::Node(n) => n,
        ra_ap_syntax::NodeOrToken::Token(t) => t.parent().unwrap_or_else(|| root.clone()),
    }
}

/// `(Type::fn or fn or <module>, impl type)`.
fn scope_of(node: &SyntaxNode) -> (String, Option<String>) {
    let func = node
        .ancestors()
        .find_map(ast::Fn::cast)
        .and_then(|f| f.name())
        .map(|n| n.text().to_string());
    let class = node
        .ancestors()
        .find_map(ast::Impl::cast)
        .and_then(|i| i.self_ty())
        .map(|t| t.syntax().text().to_string());
    let scope = match (&class, &func) {
        (Some(c), Some(f)) => format!("{c}::{f}"),
        (None, Some(f)) => f.clone(),
        (_, None) => "<module>".to_string(),
    };
    (scope, class)
}

/// The name a `let` at the block's start binds.
fn binding_of(node: &SyntaxNode) -> Option<String> {
    let stmt = node
        .ancestors()
        .find_map(ast::LetStmt::cast)
        .or_else(|| node.descendants().find_map(ast::LetStmt::cast))?;
    match stmt.pat()? {
        ast::Pat::IdentPat(p) => Some(p.name()?.text().to_string()),
        _ => None,
    }
}

fn within(t: &SyntaxToken, range: Range<usize>) -> bool {
    let r = t.text_range();
    usize::from(r.start()) >= range.start && usize::from(r.end()) <= range.end
}

/// The text from the start of `start`'s line to the end of `end`'s line.
fn whole_lines(text: &str, start: usize, end: usize) -> &str {
    let from = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let to = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    &text[from..to]
}

fn management_lines(block: &str) -> usize {
    const MARKS: [&str; 7] = [
        "transaction(",
        "begin(",
        ".commit(",
        ".rollback(",
        "\"BEGIN",
        "\"COMMIT",
        "\"ROLLBACK",
    ];
    block
        .lines()
        .filter(|l| MARKS.iter().any(|m| l.contains(m)))
        .count()
        .max(1)
}

fn shape_of(tokens: &[SyntaxToken]) -> String {
    let words: Vec<&str> = tokens
        .iter()
        .filter(|t| !t.kind().is_trivia() && t.kind() != SyntaxKind::STRING)
        .map(|t| t.text())
        .filter(|w| SHAPE_WORDS.contains(w))
        .collect();
    words.join(" ")
}

fn header_of(
    tokens: &[SyntaxToken],
    lines: &LineIndex,
    line: usize,
    session: Option<&str>,
) -> String {
    let words: Vec<&str> = tokens
        .iter()
        .filter(|t| lines.line(usize::from(t.text_range().start())) == line)
        .filter(|t| !t.kind().is_trivia())
        .map(|t| match session {
            Some(s) if t.text() == s => "S",
            _ => t.text(),
        })
        .collect();
    words.join(" ")
}

/// Comments on `line` and on the comment-only lines right above it.
fn comments_at(
    text: &str,
    root: &SyntaxNode,
    lines: &LineIndex,
    start: usize,
    line: usize,
) -> Vec<String> {
    let mut first = line;
    let mut at = text[..start].rfind('\n').map_or(0, |i| i + 1);
    while at > 0 {
        let above = text[..at - 1].rfind('\n').map_or(0, |i| i + 1);
        if !text[above..at].trim_start().starts_with("//") {
            break;
        }
        first -= 1;
        at = above;
    }
    root.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::COMMENT)
        .filter(|t| {
            let l = lines.line(usize::from(t.text_range().start()));
            first <= l && l <= line
        })
        .map(|t| t.text().to_string())
        .collect()
}

fn offset(at: usize) -> TextSize {
    TextSize::try_from(at).expect("files are smaller than 4 GiB")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "struct Store;
impl Store {
    fn save(&self, conn: &mut Connection) -> Result<()> {
        // codemod: ignore[RS001]
        let tx = conn.transaction()?; // keep
        if let Err(e) = tx.execute(\"x\", []) {
            tx.rollback()?;
            return Err(e);
        }
        tx.commit()
    }
}
";

    #[test]
    fn block_facts_of_a_method() {
        let start = SRC.find("let tx").unwrap();
        let end = SRC.find("tx.commit()").unwrap() + "tx.commit()".len();
        let facts = describe(SRC, Edition::default(), &[start..end]);
        let f = &facts[0];
        assert_eq!(f.scope, "Store::save");
        assert_eq!(f.class.as_deref(), Some("Store"));
        assert_eq!(f.session.as_deref(), Some("tx"));
        assert_eq!((f.start_line, f.end_line), (5, 10));
        assert_eq!(f.session_lines, 3);
        assert_eq!(f.header, "let S = conn . transaction ( ) ? ;");
        assert_eq!(
            f.shape,
            "transaction if Err execute rollback return Err commit"
        );
        assert_eq!(
            f.comments,
            vec![
                "// codemod: ignore[RS001]".to_string(),
                "// keep".to_string()
            ]
        );
    }

    #[test]
    fn a_range_outside_any_function_is_the_module() {
        let facts = describe("const A: u8 = 1;\n", Edition::default(), &[0..5]);
        assert_eq!(facts[0].scope, "<module>");
        assert_eq!(facts[0].session, None);
    }
}
