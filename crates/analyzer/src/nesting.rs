//! How deep a file's expressions nest, estimated from its text before it is parsed: the
//! parser and every pass after it recurse once per level, so a file nested deeper than the
//! threads' stacks hold is refused by name instead of ending the process.
//!
//! The estimate is made in one pass over the bytes, skipping comments and strings. Each
//! bracket opens a level; each operator, `.`, `not`, `lambda` and postfix bracket (a call
//! or subscript) adds one to the level it is written at, since a chain of them nests one
//! node per link; a `,`, a `;` or the end of a logical line starts a new sibling at that
//! level, and `:` does inside `[]` / `{}` (slices and dict entries). The estimate is never
//! below the real depth of a chain, and at most a few times above it.

/// Estimated levels beyond which a file is not parsed. CPython compiles nothing near this:
/// it stops at 200 nested brackets, and with a RecursionError near 10,000 chained
/// operators, attributes or subscripts.
pub const MAX_NESTING: usize = 20_000;

/// The 1-based line where the estimated nesting first exceeds `limit`, if it does.
pub fn too_deep(text: &str, limit: usize) -> Option<usize> {
    // Each level takes at least a byte: shorter files are not scanned.
    if text.len() <= limit {
        return None;
    }
    Scan::new(text.as_bytes(), limit).run()
}

struct Scan<'t> {
    bytes: &'t [u8],
    at: usize,
    line: usize,
    limit: usize,
    /// Per open bracket (the module level first): the bracket, and the links of the chain
    /// being written at that level.
    levels: Vec<(u8, usize)>,
    depth: usize,
}

impl<'t> Scan<'t> {
    fn new(bytes: &'t [u8], limit: usize) -> Self {
        Scan {
            bytes,
            at: 0,
            line: 1,
            limit,
            levels: vec![(b'\n', 0)],
            depth: 1,
        }
    }

    fn run(mut self) -> Option<usize> {
        while self.at < self.bytes.len() {
            let b = self.bytes[self.at];
            match b {
                b'\n' => {
                    self.line += 1;
                    if self.levels.len() == 1 {
                        self.sibling();
                    }
                }
                b'#' => self.skip_comment(),
                b'\'' | b'"' => {
                    self.skip_string(false);
                    continue;
                }
                b'(' | b'[' | b'{' => {
                    self.link();
                    self.levels.push((b, 0));
                    self.depth += 1;
                }
                b')' | b']' | b'}' => {
                    if self.levels.len() > 1 {
                        let (_, links) = self.levels.pop().unwrap_or_default();
                        self.depth -= links + 1;
                    }
                }
                b',' | b';' => self.sibling(),
                b':' if matches!(self.levels.last(), Some((b'[' | b'{', _))) => self.sibling(),
                b'+' | b'-' | b'*' | b'/' | b'%' | b'@' | b'&' | b'|' | b'^' | b'~' | b'<'
                | b'>' | b'=' | b'!' | b'.' => self.link(),
                b if b.is_ascii_alphabetic() || b == b'_' => {
                    self.word();
                    continue;
                }
                _ => {}
            }
            if self.depth > self.limit {
                return Some(self.line);
            }
            self.at += 1;
        }
        None
    }

    /// One more link of the chain at the current level.
    fn link(&mut self) {
        if let Some((_, links)) = self.levels.last_mut() {
            *links += 1;
            self.depth += 1;
        }
    }

    /// A new sibling at the current level: its chain starts over.
    fn sibling(&mut self) {
        if let Some((_, links)) = self.levels.last_mut() {
            self.depth -= *links;
            *links = 0;
        }
    }

    fn skip_comment(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at] != b'\n' {
            self.at += 1;
        }
        self.at = self.at.saturating_sub(1);
    }

    /// A name or keyword; a string prefix (`rb"..."`, `f'...'`) takes the string with it.
    fn word(&mut self) {
        let start = self.at;
        while self.at < self.bytes.len()
            && (self.bytes[self.at].is_ascii_alphanumeric() || self.bytes[self.at] == b'_')
        {
            self.at += 1;
        }
        let word = &self.bytes[start..self.at];
        let quoted = matches!(self.bytes.get(self.at), Some(b'\'' | b'"'));
        let prefix = word.len() <= 2
            && word
                .iter()
                .all(|c| matches!(c.to_ascii_lowercase(), b'r' | b'b' | b'u' | b'f' | b't'));
        if quoted && prefix {
            let formatted = word.iter().any(|c| matches!(c, b'f' | b'F' | b't' | b'T'));
            self.skip_string(formatted);
        } else if matches!(word, b"not" | b"lambda" | b"and" | b"or" | b"if" | b"await") {
            self.link();
        }
    }

    /// A string literal from its opening quote. In an f-string each replacement field
    /// (`{`, not `{{`) counts as a bracket: fields nest strings in strings.
    fn skip_string(&mut self, formatted: bool) {
        let quote = self.bytes[self.at];
        let triple = self.bytes[self.at..].starts_with(&[quote; 3]);
        self.at += if triple { 3 } else { 1 };
        let mut fields = 0usize;
        while self.at < self.bytes.len() {
            let b = self.bytes[self.at];
            match b {
                b'\\' => self.at += 1,
                b'\n' => {
                    self.line += 1;
                    if !triple {
                        break;
                    }
                }
                b'{' if formatted => {
                    if self.bytes.get(self.at + 1) == Some(&b'{') {
                        self.at += 1;
                    } else {
                        fields += 1;
                        if self.depth + fields > self.limit {
                            self.depth += fields;
                            return;
                        }
                    }
                }
                b'}' if formatted && fields > 0 => fields -= 1,
                _ if b == quote && (!triple || self.bytes[self.at..].starts_with(&[quote; 3])) => {
                    self.at += if triple { 3 } else { 1 };
                    return;
                }
                _ => {}
            }
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deep(src: &str) -> Option<usize> {
        Scan::new(src.as_bytes(), 1_000).run()
    }

    #[test]
    fn chains_and_brackets_count_one_level_a_link() {
        let n = 2_000;
        for src in [
            format!("x = {}\n", vec!["a"; n].join("+")),
            format!("x = {}a{}\n", "f(".repeat(n), ")".repeat(n)),
            format!("x = a{}\n", ".b".repeat(n)),
            format!("x = a{}\n", "[0]".repeat(n)),
            format!("x = {}a\n", "not ".repeat(n)),
            format!("x = {}a\n", "lambda: ".repeat(n)),
            format!("x = 1\n\ny = {}a{}\n", "(".repeat(n), ")".repeat(n)),
        ] {
            let line = src.lines().count();
            assert_eq!(deep(&src), Some(line), "{}", &src[..40.min(src.len())]);
        }
    }

    #[test]
    fn long_flat_code_is_not_deep() {
        let n = 5_000;
        for src in [
            // A data table: many siblings, each shallow.
            format!("DATA = [{}]\n", vec!["-1.5 * x.y"; n].join(", ")),
            format!(
                "D = {{{}}}\n",
                (0..n)
                    .map(|i| format!("{i}: a[{i}:]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "x = a + b\n".repeat(n),
            format!("s = '{}'\n", "(((".repeat(n)),
            format!("s = \"\"\"\n{}\n\"\"\"\n", "a+".repeat(n)),
            format!("# {}\nx = 1\n", "[".repeat(n)),
            format!("x = f'{{{{{}}}}}'\n", "a+".repeat(n)),
        ] {
            assert_eq!(deep(&src), None, "{}", &src[..40.min(src.len())]);
        }
    }

    #[test]
    fn replacement_fields_nest_in_f_strings() {
        let n = 1_100;
        let src = format!("x = {}a{}\n", "f'{".repeat(n), "}'".repeat(n));
        assert!(deep(&src).is_some());
    }

    #[test]
    fn the_limit_is_in_levels() {
        assert_eq!(too_deep(&format!("x = {}", "(".repeat(50)), 10), Some(1));
        assert_eq!(too_deep("x = ((a))\n", 10), None);
    }
}
