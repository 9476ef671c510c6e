//! The subcommands and what they share: config loading and exit codes.

pub mod apply;
pub mod audit;
pub mod guard;
pub mod migrate;
pub mod plan;
pub mod report_cmd;

use std::path::{Path, PathBuf};

use analyzer::LoadedConfig;

use crate::walk;

/// Exit codes.
pub mod exit {
    pub const OK: u8 = 0;
    /// Some file could not be processed (`apply`).
    pub const FILE_ERRORS: u8 = 1;
    /// Bad arguments or configuration.
    pub const USAGE: u8 = 2;
    /// A bug in the tool: our rewrite does not parse, or a panic.
    pub const INTERNAL: u8 = 3;
    /// Stopped by SIGINT / SIGTERM between two files (128 + SIGINT, as shells report it).
    pub const INTERRUPTED: u8 = 130;
}

/// A usage or configuration error: printed as `error: ...`, exit 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<analyzer::ConfigError> for UsageError {
    fn from(e: analyzer::ConfigError) -> UsageError {
        UsageError(e.to_string())
    }
}

pub type CmdResult = Result<u8, UsageError>;

/// `--config FILE`, else the first config found walking up from `start`.
pub fn load_config(explicit: Option<&Path>, start: &Path) -> Result<LoadedConfig, UsageError> {
    let config = find_config(explicit, start)?;
    analyzer::source::set_max_file_size(config.max_file_size());
    Ok(config)
}

fn find_config(explicit: Option<&Path>, start: &Path) -> Result<LoadedConfig, UsageError> {
    match explicit {
        Some(path) => {
            if !path.is_file() {
                return Err(UsageError(format!(
                    "{}: config file not found",
                    path.display()
                )));
            }
            Ok(LoadedConfig::from_file(&walk::absolute(path))?)
        }
        None => Ok(LoadedConfig::discover(start)?),
    }
}

/// Every named path must exist (a dangling symlink exists: it is reported when read).
pub fn check_exist(paths: &[PathBuf]) -> Result<(), UsageError> {
    for p in paths {
        if !walk::exists(p) {
            return Err(UsageError(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
    }
    Ok(())
}
