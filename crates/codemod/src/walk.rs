//! Which files a run looks at: explicit files as named, folders walked with `ignore`
//! (`.gitignore`, hidden files), `*.py` and `*.rs` only, config `exclude` pruned.
//!
//! Paths are kept absolute (canonical folders, the file name as found, so a dangling
//! symlink keeps its own name); `display` turns them back into what the user sees.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use analyzer::LoadedConfig;
use codemod_core::Language;
pub use engine::language_of;

use crate::report::{ErrorKind, FileError};

/// A file to look at: where it is and how to print it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// Absolute path.
    pub path: PathBuf,
    /// Relative to the current folder when below it, else absolute; `/` separated.
    pub display: String,
}

impl Target {
    pub fn new(path: PathBuf) -> Target {
        let display = display(&path);
        Target { path, display }
    }
}

/// The files found, sorted by display path, plus what could not be walked.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<Target>,
    pub errors: Vec<FileError>,
}

/// Absolute form of `path`: the folder canonicalized, the last component kept as is (a
/// symlink stays a symlink, a missing file keeps its name).
pub fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) => match std::fs::canonicalize(parent) {
            Ok(parent) => parent.join(name),
            Err(_) => abs.clone(),
        },
        // `/`, or a path ending in `..`.
        _ => std::fs::canonicalize(&abs).unwrap_or(abs),
    }
}

/// Canonical form of a folder (symlinks resolved), `absolute` when that fails.
pub fn canonical_dir(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| absolute(path))
}

/// The canonical current folder, looked up once: `display` runs for every file.
fn current_dir() -> Option<PathBuf> {
    static CWD: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    CWD.get_or_init(|| {
        std::env::current_dir()
            .ok()
            .and_then(|d| std::fs::canonicalize(d).ok())
    })
    .clone()
}

/// The path as the user sees it: relative to the current folder when below it.
fn shown(path: &Path) -> PathBuf {
    match current_dir() {
        Some(cwd) => match path.strip_prefix(&cwd) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            Ok(_) => PathBuf::from("."),
            Err(_) => path.to_path_buf(),
        },
        None => path.to_path_buf(),
    }
}

/// The bytes of the shown path, exactly (for URIs, which percent-encode them).
pub fn display_bytes(path: &Path) -> Vec<u8> {
    let bytes = shown(path).into_os_string().into_encoded_bytes();
    if std::path::MAIN_SEPARATOR == '/' {
        bytes
    } else {
        bytes
            .into_iter()
            .map(|b| if b == b'\\' { b'/' } else { b })
            .collect()
    }
}

/// How a path is shown: relative to the current folder when below it.
pub fn display(path: &Path) -> String {
    let s = lossless(shown(path).as_os_str());
    let s = if std::path::MAIN_SEPARATOR == '/' {
        s
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    };
    printable(&s)
}

/// A name as text: bytes that are not UTF-8 (possible on Unix) become `\xNN` instead of
/// U+FFFD, so two such names stay apart and the shown name says which bytes it holds.
fn lossless(name: &std::ffi::OsStr) -> String {
    let bytes = name.as_encoded_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// A file name shown with its control characters escaped (`\x1b`, `\u{9b}`): a name may
/// hold terminal escape sequences (a title change, a screen clear) that must not reach a
/// terminal, or a log read in one, as they are.
pub fn printable(name: &str) -> String {
    if !name.chars().any(char::is_control) {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        match c {
            c if c.is_control() && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A path the user named is a folder (following symlinks).
pub fn is_dir(path: &Path) -> bool {
    path.is_dir()
}

/// A path the user named exists at all (a dangling symlink exists).
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Files under `paths`: a named non-folder is always taken (whatever its name, ignore
/// files or `exclude`); a folder is walked, keeping `*.py` and `*.rs` not ignored and not excluded.
pub fn collect(paths: &[PathBuf], config: &LoadedConfig) -> Walked {
    let mut files = BTreeSet::new();
    let mut errors = Vec::new();
    for path in paths {
        if is_dir(path) {
            walk_dir(&canonical_dir(path), config, &mut files, &mut errors);
        } else {
            files.insert(absolute(path));
        }
    }
    let mut files: Vec<Target> = files.into_iter().map(Target::new).collect();
    files.sort_by(|a, b| a.display.cmp(&b.display));
    Walked { files, errors }
}

/// The languages of a run's targets, in order; Python alone when there are none.
pub fn languages(targets: &[Target]) -> Vec<Language> {
    let mut out: Vec<Language> = Language::ALL
        .into_iter()
        .filter(|l| targets.iter().any(|t| language_of(&t.path) == *l))
        .collect();
    if out.is_empty() {
        out.push(Language::Python);
    }
    out
}

fn walk_dir(
    root: &Path,
    config: &LoadedConfig,
    files: &mut BTreeSet<PathBuf>,
    errors: &mut Vec<FileError>,
) {
    let options = engine::walk::WalkOptions {
        // A link to a file, or a dangling one (reported when read), is taken.
        file_links: true,
        skip: None,
    };
    let walked = engine::walk::source_files(root, config, &options);
    files.extend(walked.files);
    errors.extend(walked.errors.iter().map(|err| walk_error(root, err)));
}

fn walk_error(root: &Path, err: &ignore::Error) -> FileError {
    fn find(err: &ignore::Error) -> (Option<PathBuf>, Option<usize>, String) {
        match err {
            ignore::Error::WithPath { path, err } => {
                let (_, line, msg) = find(err);
                (Some(path.clone()), line, msg)
            }
            ignore::Error::WithLineNumber { line, err } => {
                let (path, _, msg) = find(err);
                (path, usize::try_from(*line).ok(), msg)
            }
            ignore::Error::WithDepth { err, .. } => find(err),
            ignore::Error::Partial(errs) if !errs.is_empty() => find(&errs[0]),
            ignore::Error::Loop { child, .. } => (Some(child.clone()), None, err.to_string()),
            other => (None, None, other.to_string()),
        }
    }
    let (path, line, message) = find(err);
    let path = path.unwrap_or_else(|| root.to_path_buf());
    FileError {
        path: display(&path),
        line,
        kind: ErrorKind::Io,
        message: format!("cannot walk: {message}"),
    }
}

/// The folder the index is built from: the config's folder when there is a config file,
/// else the nearest ancestor of `start` holding `pyproject.toml`, `setup.cfg`, `setup.py`,
/// `Cargo.toml`, `codemod.toml` or `.git`, else `start` itself (its folder when it is a file).
pub fn project_root(start: &Path, config: &LoadedConfig) -> PathBuf {
    if config.path.is_some() {
        return std::fs::canonicalize(&config.root).unwrap_or_else(|_| config.root.clone());
    }
    marked_root(start).unwrap_or_else(|| start_dir(start))
}

/// The nearest ancestor of `start` (itself included when a folder) holding a root marker.
pub fn marked_root(start: &Path) -> Option<PathBuf> {
    let first = start_dir(start);
    first
        .ancestors()
        .find(|d| engine::project_markers().any(|marker| d.join(marker).exists()))
        .map(Path::to_path_buf)
}

/// `start` made absolute, or its folder when it is not a folder.
fn start_dir(start: &Path) -> PathBuf {
    let start = absolute(start);
    if start.is_dir() {
        return start;
    }
    start.parent().map(Path::to_path_buf).unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_python_files_and_honours_gitignore_and_exclude() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join("codemod.toml"), "exclude = [\"migrations\"]\n").unwrap();
        std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
        for p in ["a.py", "b.txt", "build/x.py", "migrations/m.py", "pkg/c.py"] {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x = 1\n").unwrap();
        }
        let config = LoadedConfig::discover(&root).unwrap();
        let walked = collect(std::slice::from_ref(&root), &config);
        let got: Vec<_> = walked
            .files
            .iter()
            .map(|t| t.path.strip_prefix(&root).unwrap().to_path_buf())
            .collect();
        assert_eq!(got, vec![PathBuf::from("a.py"), PathBuf::from("pkg/c.py")]);
        // Named explicitly: taken even though excluded.
        let walked = collect(&[root.join("migrations/m.py")], &config);
        assert_eq!(walked.files.len(), 1);
    }

    #[test]
    fn project_root_finds_marker() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        let config = LoadedConfig::default();
        assert_eq!(project_root(&root.join("a/b"), &config), root);
        assert_eq!(project_root(&root.join("a/b/x.py"), &config), root);
    }

    #[test]
    fn project_root_finds_setup_files() {
        for marker in ["setup.cfg", "setup.py", "pyproject.toml", "codemod.toml"] {
            let dir = tempfile::tempdir().unwrap();
            let root = std::fs::canonicalize(dir.path()).unwrap();
            std::fs::write(root.join(marker), "").unwrap();
            std::fs::create_dir_all(root.join("app/jobs")).unwrap();
            let config = LoadedConfig::default();
            let file = root.join("app/jobs/cleanup.py");
            assert_eq!(project_root(&file, &config), root, "{marker}");
            assert_eq!(marked_root(&file), Some(root.clone()), "{marker}");
        }
        let dir = tempfile::tempdir().unwrap();
        let bare = std::fs::canonicalize(dir.path()).unwrap().join("x.py");
        assert_eq!(
            project_root(&bare, &LoadedConfig::default()),
            bare.parent().unwrap()
        );
    }
}

#[cfg(test)]
mod printable_tests {
    use super::printable;

    #[test]
    fn control_characters_in_names_are_escaped() {
        assert_eq!(printable("app/db.py"), "app/db.py");
        assert_eq!(printable("a\u{1b}]0;x\u{7}.py"), "a\\x1b]0;x\\x07.py");
        assert_eq!(printable("b\u{9b}2J.py"), "b\\u{9b}2J.py");
        assert_eq!(printable("ünïcode.py"), "ünïcode.py");
    }

    #[cfg(unix)]
    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_escapes() {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.py");
        assert_eq!(super::lossless(name), "caf\\xe9.py");
        let other = std::ffi::OsStr::from_bytes(b"caf\xe8.py");
        assert_ne!(super::lossless(name), super::lossless(other));
    }
}
