//! `cargo xtask migrate --target DIR [...]`: the incremental, reviewed, file-by-file
//! migration of a tree. The logic is the `migrate` library, shared with `codemod migrate`.

use std::process::ExitCode;

pub type Args = ::migrate::MigrateArgs;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::from(::migrate::main(args)))
}
