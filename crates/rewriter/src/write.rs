//! Atomic writes: a temp file in the same folder, then rename, and only if the file on disk
//! is still the one that was planned.

use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: changed since it was planned; nothing written (re-run plan)")]
    Changed { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Write `new` to `path` through a temp file in the same folder plus rename, only if the
/// file still holds `expected` (refuses to clobber a file changed since it was planned).
/// The file's permissions are kept.
pub fn write_atomic(path: &Path, expected: &[u8], new: &[u8]) -> Result<(), WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let current = std::fs::read(path).map_err(io)?;
    if current != expected {
        return Err(WriteError::Changed {
            path: path.to_path_buf(),
        });
    }
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.permissions().readonly() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "file is read-only; nothing written",
        )));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".codemod-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(new).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    std::fs::set_permissions(tmp.path(), meta.permissions()).map_err(io)?;
    // Last look: the file must not have changed while we prepared the new text.
    if std::fs::read(path).map_err(io)? != expected {
        return Err(WriteError::Changed {
            path: path.to_path_buf(),
        });
    }
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_file_changed_since_planned() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        std::fs::write(&p, "x = 2\n").unwrap();
        let err = write_atomic(&p, b"x = 1\n", b"x = 3\n").unwrap_err();
        assert!(matches!(err, WriteError::Changed { .. }));
        assert_eq!(std::fs::read(&p).unwrap(), b"x = 2\n");
    }

    #[test]
    fn writes_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        write_atomic(&p, b"x = 1\n", b"x = 3\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"x = 3\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
