//! The analyzer: parse Python sources, find hand-managed database sessions, classify them.
//!
//! Data flow: `SourceFile` -> `parse` -> `index::collect_facts` (pass 1, whole tree) ->
//! `ProjectIndex` (factories, generator dependencies, guards) -> `analyze` (pass 2, per file)
//! -> `Finding`s, each with an optional `Rewrite` that the rewriter crate lowers to text edits.

pub mod blocks;
pub mod classify;
pub mod compile_check;
pub mod config;
pub mod finding;
pub mod index;
pub mod modules;
pub mod registry;
pub mod source;
pub mod sqla_version;

mod analyze;
mod conditions;
mod facts;
mod guards;
mod lifecycle;
mod nesting;
mod provenance;
mod resolve;
mod rewrite;
mod rules;
mod suggest;
mod summaries;
mod syntax;
mod teardown;
mod uses;

pub use analyze::{analyze, analyze_counting, Finding};
pub use config::{Config, ConfigError, LoadedConfig};
pub use facts::{collect_facts, may_define_facts};
pub use finding::{Kind, Safety};
pub use index::{module_name, FileFacts, GuardReport, GuardSource, ProjectIndex};
pub use lifecycle::Lifecycle;
pub use provenance::{summary_line as not_database_summary, NotDatabase};
pub use resolve::RootBinding;
pub use rewrite::{EditOp, Import, Rewrite};
pub use source::{parse, parse_text, skip_reason, skip_reason_in, InputError, SourceFile};
