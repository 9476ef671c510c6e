//! The language-neutral engine: discover a tree's source files, run pass 1 (each file's
//! facts merged into one index per language) and pass 2 (plan each file against its
//! language's index), in parallel, with a panic in one file reported as that file's
//! error and a progress bar on long runs. Each language is a [`Frontend`]; the
//! [`Project`] is the only place that picks one for a file.
//!
//! `codemod`'s commands and `migrate` both plan through here.

mod frontend;
mod panics;
mod progress;
mod project;
mod python;
mod rust;
pub mod walk;

pub use frontend::Frontend;
pub use panics::{guarded, install_panic_hook};
pub use progress::Progress;
pub use project::{
    file_class, is_source, language_of, project_markers, skip_reason, IndexFailure, Indexed,
    Outcome, Project,
};
pub use python::Python;
pub use rust::Rust;
