//! Incremental migration of a codebase, one file at a time: plan the target, write each
//! file's patch as an insta-format snapshot for review, apply the accepted ones in order
//! (safest first), run the project's own check after each file and restore the file byte
//! for byte when it fails, and keep a ledger so a later run resumes where this one stopped.
//!
//! Shared by `codemod migrate` and `cargo xtask migrate` (see [`cli`]).
//!
//! Layout of the migration folder (default `DIR/.codemod/`):
//!
//! ```text
//! ledger.toml                      every file's state, hashes, findings, failure output
//! snapshots/<path with / as __>.snap      the accepted (or applied) patch
//! snapshots/<path with / as __>.snap.new  a patch waiting for review
//! ```

pub mod cli;
mod driver;
mod git;
pub mod ledger;
mod review;
pub mod snapshot;
mod status;
mod tree;
mod written;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use cli::{main, MigrateArgs};
pub use driver::{run, Order, RunOptions, RunSummary};
pub use ledger::{Entry, FindingRecord, Ledger, State};
pub use review::{accept, interactive_review, pending, reject, resolve, Reviewed};
pub use status::{status, Status};

/// Exit codes, the same as `codemod`'s.
pub mod exit {
    pub const OK: u8 = 0;
    /// A file failed its check or could not be written.
    pub const FAILED: u8 = 1;
    /// Bad arguments, a dirty tree, no terminal for an interactive review.
    pub const USAGE: u8 = 2;
    /// A bug in the tool.
    pub const INTERNAL: u8 = 3;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments or a target we refuse to touch (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Reading or writing the migration state, running git (exit 1).
    #[error("{0}")]
    Io(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Io(_) => exit::FAILED,
        }
    }
}

pub(crate) fn io_err(what: impl std::fmt::Display, e: impl std::fmt::Display) -> Error {
    Error::Io(format!("{what}: {e}"))
}

/// The migrated tree and where its migration state lives.
#[derive(Debug, Clone)]
pub struct Target {
    /// Canonical path of the tree.
    pub dir: PathBuf,
    /// The migration folder (`DIR/.codemod` unless given).
    pub state: PathBuf,
}

impl Target {
    pub fn new(dir: &Path, state_dir: Option<&Path>) -> Result<Target, Error> {
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "{}: not a folder (--target names the tree to migrate)",
                dir.display()
            )));
        }
        let dir = std::fs::canonicalize(dir).map_err(|e| io_err(dir.display(), e))?;
        let state = match state_dir {
            Some(s) if s.is_absolute() => s.to_path_buf(),
            Some(s) => std::env::current_dir()
                .map_err(|e| io_err("current folder", e))?
                .join(s),
            None => dir.join(".codemod"),
        };
        Ok(Target { dir, state })
    }

    pub fn ledger_path(&self) -> PathBuf {
        self.state.join("ledger.toml")
    }

    pub fn snapshot_dir(&self) -> PathBuf {
        self.state.join("snapshots")
    }

    /// Absolute path of a ledger key (`/`-separated, relative to the tree).
    pub fn abs(&self, rel: &str) -> PathBuf {
        rel.split('/')
            .fold(self.dir.clone(), |p, part| p.join(part))
    }

    /// The ledger key of an absolute path below the tree.
    pub fn rel(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.dir).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    /// The migration folder relative to the tree, when it lies inside it.
    pub fn state_rel(&self) -> Option<String> {
        let state = std::fs::canonicalize(&self.state).unwrap_or_else(|_| self.state.clone());
        self.rel(&state)
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// `codemod <version>`, recorded with every plan.
pub fn tool_version() -> String {
    format!("codemod {}", env!("CARGO_PKG_VERSION"))
}
