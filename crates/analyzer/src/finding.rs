//! What the analyzer reports: one `Finding` per manual block or report-only shape.

pub use codemod_core::{Kind, Safety};
