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

/// Why a file is not written although it could be (its kind, not an I/O failure).
fn refused(path: &Path, why: String) -> WriteError {
    WriteError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("{why}; nothing written")),
    }
}

/// Where the new text goes: the file itself, or for a symlink the file it points to (the
/// link stays a link), if that lies below the current folder. A file with several hard
/// links is refused: a new file renamed into place would split them.
fn write_target(path: &Path) -> Result<PathBuf, WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let own = std::fs::symlink_metadata(path).map_err(io)?;
    let target = if own.file_type().is_symlink() {
        let real = std::fs::canonicalize(path).map_err(io)?;
        let cwd = std::env::current_dir()
            .and_then(std::fs::canonicalize)
            .map_err(io)?;
        if !real.starts_with(&cwd) {
            return Err(refused(
                path,
                format!(
                    "a symlink to {}, outside the current folder",
                    real.display()
                ),
            ));
        }
        real
    } else {
        path.to_path_buf()
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let links = std::fs::metadata(&target).map_err(io)?.nlink();
        if links > 1 {
            return Err(refused(
                path,
                format!("it has {links} hard links, which a rewrite would split"),
            ));
        }
    }
    Ok(target)
}

/// Give the temp file the owner and group of the file it replaces (as root, or within the
/// user's own groups); when that cannot be done the file is refused, not given away.
#[cfg(unix)]
fn keep_owner(
    tmp: &std::fs::File,
    meta: &std::fs::Metadata,
    path: &Path,
) -> Result<(), WriteError> {
    use std::os::unix::fs::MetadataExt;
    let now = tmp.metadata().map_err(|source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if (now.uid(), now.gid()) == (meta.uid(), meta.gid()) {
        return Ok(());
    }
    std::os::unix::fs::fchown(tmp, Some(meta.uid()), Some(meta.gid())).map_err(|e| {
        refused(
            path,
            format!(
                "cannot keep its owner and group ({}:{}): {e}",
                meta.uid(),
                meta.gid()
            ),
        )
    })
}

/// Give the temp file the extended attributes of the file it replaces (SELinux labels,
/// ACLs, quarantine flags, user data); one that cannot be copied refuses the file. Where
/// the file system has none, there is nothing to keep.
#[cfg(unix)]
fn keep_xattrs(tmp: &std::fs::File, path: &Path) -> Result<(), WriteError> {
    use xattr::FileExt;
    let Ok(names) = xattr::list(path) else {
        return Ok(());
    };
    for name in names {
        let copied = match xattr::get(path, &name) {
            Ok(Some(value)) => tmp.set_xattr(&name, &value),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = copied {
            return Err(refused(
                path,
                format!(
                    "cannot keep its extended attribute {}: {e}",
                    name.to_string_lossy()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_xattrs(_: &std::fs::File, _: &Path) -> Result<(), WriteError> {
    Ok(())
}

#[cfg(not(unix))]
fn keep_owner(_: &std::fs::File, _: &std::fs::Metadata, _: &Path) -> Result<(), WriteError> {
    Ok(())
}

/// Write `new` to `path` through a temp file in the same folder plus rename, only if the
/// file still holds `expected` (refuses to clobber a file changed since it was planned).
/// The file's permissions, owner and group are kept; a symlink is written through (see
/// `write_target`).
pub fn write_atomic(path: &Path, expected: &[u8], new: &[u8]) -> Result<(), WriteError> {
    let target = write_target(path)?;
    let path = target.as_path();
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
        .map_err(|e| {
            // Name the folder: the temp file it could not create never existed.
            // (tempfile's own message names that file: keep only what went wrong.)
            let why = std::io::Error::from(e.kind());
            refused(
                path,
                format!(
                    "cannot create a file in its folder {}: {why}",
                    dir.display()
                ),
            )
        })?;
    tmp.write_all(new).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    keep_owner(tmp.as_file(), &meta, path)?;
    keep_xattrs(tmp.as_file(), path)?;
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
    fn a_hard_linked_file_is_refused_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        std::fs::hard_link(&p, dir.path().join("b.py")).unwrap();
        let err = write_atomic(&p, b"x = 1\n", b"x = 3\n").unwrap_err();
        assert!(err.to_string().contains("2 hard links"), "{err}");
        assert_eq!(std::fs::read(dir.path().join("b.py")).unwrap(), b"x = 1\n");
    }

    #[test]
    fn a_symlink_out_of_the_current_folder_is_refused() {
        // The temp folder is outside the crate folder the tests run in.
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.py");
        std::fs::write(&real, "x = 1\n").unwrap();
        let link = dir.path().join("link.py");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = write_atomic(&link, b"x = 1\n", b"x = 3\n").unwrap_err();
        assert!(
            err.to_string().contains("outside the current folder"),
            "{err}"
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"x = 1\n");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn owner_and_group_are_kept_when_root() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        if std::os::unix::fs::chown(&p, Some(1234), Some(2345)).is_err() {
            return; // not root: the owner cannot be set up, nor lost
        }
        write_atomic(&p, b"x = 1\n", b"x = 3\n").unwrap();
        let meta = std::fs::metadata(&p).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (1234, 2345));
    }

    #[test]
    fn extended_attributes_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        std::fs::write(&p, "old\n").unwrap();
        if xattr::set(&p, "user.codemod.test", b"kept").is_err() {
            eprintln!("skipped: this file system has no user extended attributes");
            return;
        }
        write_atomic(&p, b"old\n", b"new\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new\n");
        assert_eq!(
            xattr::get(&p, "user.codemod.test").unwrap().as_deref(),
            Some(&b"kept"[..])
        );
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
