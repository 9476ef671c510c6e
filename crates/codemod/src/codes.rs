//! The audit rules (codes, severities, titles) live in core, beside the kinds they
//! describe; the CLI reads them from here.

pub use codemod_core::rules::*;
