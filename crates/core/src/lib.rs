//! The language-neutral core: what every front-end and the CLI share. Source files (text,
//! BOM, newline style, line index), finding kinds and safety classes of every language,
//! unified diffs of a rewritten file, atomic writes
//! that keep a file's bytes and metadata, and the advisory lock a writing run holds on
//! its project.

pub mod block;
pub mod diff;
mod kind;
mod lock;
pub mod plan;
pub mod reason;
pub mod rules;
pub mod source;
mod write;

pub use block::BlockInfo;
pub use kind::{Kind, Language, Safety};
pub use lock::{lock_project, ProjectBusy, ProjectLock};
pub use source::{InputError, SourceFile};
pub use write::{write_atomic, WriteError};
