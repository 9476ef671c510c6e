//! `codemod migrate`: the incremental migration of the `migrate` library (also
//! `cargo xtask migrate`).

use super::CmdResult;

pub fn run(args: migrate::MigrateArgs) -> CmdResult {
    Ok(migrate::main(args))
}
