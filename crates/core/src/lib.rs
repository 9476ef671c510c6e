//! The language-neutral core: what every front-end and the CLI share and that knows no
//! language. Unified diffs of a rewritten file, atomic writes that keep a file's bytes and
//! metadata, and the advisory lock a writing run holds on its project.

pub mod diff;
mod lock;
mod write;

pub use lock::{lock_project, ProjectBusy, ProjectLock};
pub use write::{write_atomic, WriteError};
