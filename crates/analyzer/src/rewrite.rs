//! What a rewrite does, stated on the original text. The rewriter crate lowers these
//! operations to byte edits (token-aware indentation, comment keeping, newline style).

use ruff_text_size::{TextRange, TextSize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOp {
    /// Replace a range with new text. `\n` in `text` becomes the file's newline.
    Replace { range: TextRange, text: String },
    /// Add `unit` at the start of every line that starts inside `range`, except lines that
    /// start inside a multi-line string and blank lines.
    Indent { range: TextRange, unit: String },
    /// Delete the whole lines of a statement or clause. Comments found on those lines are
    /// kept, each on a line of its own at `comment_indent`.
    DeleteLines {
        range: TextRange,
        comment_indent: String,
    },
    /// Insert text at an offset (the start of a line). `\n` becomes the file's newline.
    Insert { at: TextSize, text: String },
}

/// An import the rewrite needs, e.g. `from app.db import get_db_session`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Import {
    /// `from module import name`; `level` > 0 for relative imports.
    From { module: String, name: String },
    /// A whole statement given by config, added verbatim when not already present.
    Statement(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub ops: Vec<EditOp>,
    /// Imports to add once per file.
    pub imports: Vec<Import>,
    /// Imported names the rewrite may leave unused (removed if nothing else uses them).
    pub maybe_unused: Vec<String>,
}
