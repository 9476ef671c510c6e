//! The rewriter: lower a file's `Rewrite`s to text edits, apply them, verify the result
//! parses, render diffs, write atomically.
//!
//! Rewrites are applied in rounds: each round re-parses, re-analyzes and applies the
//! rewrites whose edits do not overlap; a nested block deferred by its outer block is
//! applied in the next round, on the text the outer rewrite produced. A rewrite the new
//! text offers that the original did not (a commit left inside the guard a block became)
//! is a follow-up: planned and applied too, so the result is a fixed point and a second
//! run plans nothing.

mod edit;
mod imports;
mod python;
mod rust;
mod rust_crate;

pub use codemod_core::{lock_project, write_atomic, ProjectBusy, ProjectLock, WriteError};
pub use edit::{Edit, OffsetMap};
pub use python::{plan_file, plan_file_described, plan_file_selected};
pub use rust::{plan_rust_file, plan_rust_file_in, RustFile};
pub use rust_crate::rust_file;

pub use codemod_core::plan::{FilePlan, NotDatabase, PlanError, PlannedFinding, Selection};

/// Rounds of rewriting a file can take (nesting depth of blocks).
const MAX_ROUNDS: usize = 8;
