//! File classes live in the analyzer (guard choice needs them); re-exported here.

pub use analyzer::classify::FileClass;
