//! A source file as the tool sees it, whatever its language: UTF-8 text without the BOM,
//! plus what must be restored byte for byte when writing (BOM, newline style), and the
//! line index its offsets are reported by.

use std::path::{Path, PathBuf};

use ruff_source_file::LineIndex;
use ruff_text_size::TextSize;

/// Why a file could not be taken as source text (or, for `Syntax`, parsed).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    #[error("not UTF-8 (first bad byte at line {line}, byte offset {offset})")]
    NotUtf8 { line: usize, offset: usize },
    #[error("contains a NUL byte at line {line}: not a text file")]
    NulByte { line: usize },
    #[error("cannot read: {0}")]
    Io(String),
    /// A FIFO, a device or a socket: opening or reading it could block or never end.
    #[error("not a regular file ({0}): not read")]
    NotRegular(&'static str),
    #[error("{size} bytes, over the limit of {limit} (`max-file-size` in the config): not read")]
    TooLarge { size: u64, limit: u64 },
    /// Deeper than the parser's stack allows (and than CPython compiles).
    #[error(
        "nested more than {limit} levels deep at line {line} (CPython compiles nothing that \
         deep either): not parsed"
    )]
    TooDeep { line: usize, limit: usize },
    #[error("syntax error at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
}

impl InputError {
    /// The 1-based line the problem is on, when there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            InputError::NotUtf8 { line, .. }
            | InputError::NulByte { line }
            | InputError::TooDeep { line, .. }
            | InputError::Syntax { line, .. } => Some(*line),
            InputError::Io(_) | InputError::NotRegular(_) | InputError::TooLarge { .. } => None,
        }
    }
}

/// The largest source file read by default, in bytes (generated modules of tens of
/// megabytes are still planned; beyond this a file is reported and skipped).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;

/// The limit of this run: `max-file-size` of the config, set once by the command that
/// loaded it (every file of a run is read under the same limit).
static MAX_FILE_SIZE: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(DEFAULT_MAX_FILE_SIZE);

pub fn set_max_file_size(bytes: u64) {
    MAX_FILE_SIZE.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

fn max_file_size() -> u64 {
    MAX_FILE_SIZE.load(std::sync::atomic::Ordering::Relaxed)
}

/// The bytes of a regular file of at most `max-file-size` bytes. Anything else (a FIFO, a
/// device such as `/dev/zero` behind a link, a socket) is refused before it is opened, and
/// checked again on the open file, so no read blocks or runs without end.
pub fn read_regular(path: &Path) -> Result<Vec<u8>, InputError> {
    use std::io::Read;
    let io = |e: std::io::Error| InputError::Io(e.to_string());
    regular(&std::fs::metadata(path).map_err(io)?)?;
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    regular(&meta)?;
    let limit = max_file_size();
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// `Err` unless the metadata is a regular file's of at most `max-file-size` bytes.
fn regular(meta: &std::fs::Metadata) -> Result<(), InputError> {
    if !meta.is_file() {
        return Err(InputError::NotRegular(special_kind(meta)));
    }
    if meta.len() > max_file_size() {
        return Err(InputError::TooLarge {
            size: meta.len(),
            limit: max_file_size(),
        });
    }
    Ok(())
}

#[cfg(unix)]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The text after the BOM. All ranges the analyzer reports are offsets into this.
    pub text: String,
    /// The file started with a UTF-8 BOM.
    pub bom: bool,
    /// `"\r\n"` when the file's first line ends that way, else `"\n"`.
    pub newline: &'static str,
    /// Built on first use: most files of a tree are never parsed or reported on.
    line_index: std::sync::OnceLock<LineIndex>,
}

impl SourceFile {
    /// Reads a source file (see `read_regular`).
    pub fn read(path: &Path) -> Result<SourceFile, InputError> {
        Self::from_bytes(path, read_regular(path)?)
    }

    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<SourceFile, InputError> {
        if let Some(pos) = memchr::memchr(0, &bytes) {
            let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(InputError::NulByte { line });
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            InputError::NotUtf8 { line, offset }
        })?;
        Ok(Self::from_text(path, text))
    }

    pub fn from_text(path: &Path, mut text: String) -> SourceFile {
        let bom = text.starts_with('\u{feff}');
        if bom {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let newline = match memchr::memchr(b'\n', text.as_bytes()) {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        SourceFile {
            path: path.to_path_buf(),
            text,
            bom,
            newline,
            line_index: std::sync::OnceLock::new(),
        }
    }

    pub fn line_index(&self) -> &LineIndex {
        self.line_index
            .get_or_init(|| LineIndex::from_source_text(&self.text))
    }

    /// 1-based line of an offset.
    pub fn line_of(&self, offset: TextSize) -> usize {
        self.line_index().line_index(offset).get()
    }

    /// Offset of the start of a 1-based line (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> TextSize {
        let Some(index) = line.checked_sub(1) else {
            return TextSize::default();
        };
        self.line_index().line_start(
            ruff_source_file::OneIndexed::from_zero_indexed(index),
            &self.text,
        )
    }

    /// 1-based column (in characters) of an offset.
    pub fn column_of(&self, offset: TextSize) -> usize {
        self.line_index()
            .line_column(offset, &self.text)
            .column
            .get()
    }

    /// The bytes to write for `text` (a rewrite of `self.text`): BOM restored.
    pub fn to_bytes(&self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() + 3);
        if self.bom {
            out.extend_from_slice("\u{feff}".as_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        out
    }

    /// The file's whole original bytes.
    pub fn original_bytes(&self) -> Vec<u8> {
        self.to_bytes(&self.text)
    }
}

/// Lines searched for `@generated`.
const GENERATED_LINES: usize = 5;

/// Why a file whose line comments start with `comment` (`#`, `//`) is left alone on
/// purpose, if it is: `@generated` near the top, or a `codemod: skip-file` comment line.
pub fn skip_reason_in(text: &str, comment: &'static str) -> Option<&'static str> {
    if text
        .lines()
        .take(GENERATED_LINES)
        .any(|l| l.contains("@generated"))
    {
        return Some("generated (`@generated` in its first lines)");
    }
    let skip_line = |line: &str| {
        let Some(rest) = line.trim().strip_prefix(comment) else {
            return false;
        };
        let Some(rest) = rest.trim_start().strip_prefix("codemod:") else {
            return false;
        };
        rest.trim() == "skip-file"
    };
    if text.lines().any(skip_line) {
        return Some(if comment == "#" {
            "`# codemod: skip-file`"
        } else {
            "`// codemod: skip-file`"
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_crlf_are_remembered() {
        let f = SourceFile::from_text(Path::new("a.py"), "\u{feff}x = 1\r\ny = 2\r\n".into());
        assert!(f.bom);
        assert_eq!(f.newline, "\r\n");
        assert_eq!(f.text, "x = 1\r\ny = 2\r\n");
        assert_eq!(f.original_bytes(), "\u{feff}x = 1\r\ny = 2\r\n".as_bytes());
    }

    #[test]
    fn non_utf8_names_the_line() {
        let err =
            SourceFile::from_bytes(Path::new("a.py"), b"x = 1\ny = '\xff'\n".to_vec()).unwrap_err();
        assert_eq!(
            err,
            InputError::NotUtf8 {
                line: 2,
                offset: 11
            }
        );
    }
}
