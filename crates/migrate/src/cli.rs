//! The command line shared by `codemod migrate` and `cargo xtask migrate`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::driver::{Order, RunOptions};
use crate::ledger::{Ledger, State};
use crate::{exit, review, status, Error, Target};

/// Migrate a tree one file at a time: plan, review each file's patch (an insta-format
/// snapshot), apply the accepted ones with a check after each, resume later.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub command: Option<MigrateCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum MigrateCommand {
    /// Progress from the ledger: files applied / pending / failed, blocks left by kind.
    Status(StatusArgs),
    /// Accept or reject pending patches (asks on a terminal; --accept / --reject otherwise).
    Review(ReviewArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// The tree to migrate.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub target: PathBuf,
    /// The migration folder (ledger and snapshots) [default: DIR/.codemod].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

impl TargetArgs {
    fn resolve(&self) -> Result<Target, Error> {
        Target::new(&self.target, self.state_dir.as_deref())
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Command run (with `sh -c`, in DIR) after each file is written; when it fails the
    /// file is restored byte for byte and marked failed. $CODEMOD_MIGRATE_FILE names the file.
    #[arg(long, value_name = "CMD")]
    pub check: Option<String>,
    /// Go on with the next file after a failure instead of stopping.
    #[arg(long)]
    pub keep_going: bool,
    /// Accept every pending patch without review (scripted runs).
    #[arg(long)]
    pub yes: bool,
    /// Start even with uncommitted changes in DIR (or outside git).
    #[arg(long)]
    pub force: bool,
    /// Stop after N files were written.
    #[arg(long, value_name = "N")]
    pub batch: Option<usize>,
    /// One git commit per applied file, its message listing the rewrites and classes.
    #[arg(long)]
    pub commit: bool,
    /// Apply order: safest (fewest review rewrites, then fewest rewrites) or path.
    #[arg(long, value_enum, default_value_t = Order::Safest)]
    pub order: Order,
    /// Patches include the rewrites classified review.
    #[arg(long)]
    pub include_review: bool,
    /// Try failed files again (when their plan did not change).
    #[arg(long)]
    pub retry_failed: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Accept the pending patch of PATH (repeatable): the next run applies it.
    #[arg(long, value_name = "PATH")]
    pub accept: Vec<String>,
    /// Reject the pending patch of PATH (repeatable): recorded as skipped.
    #[arg(long, value_name = "PATH")]
    pub reject: Vec<String>,
    /// Accept every pending patch.
    #[arg(long, conflicts_with = "reject_all")]
    pub accept_all: bool,
    /// Reject every pending patch.
    #[arg(long)]
    pub reject_all: bool,
    /// Why the patches are rejected (recorded in the ledger).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// Run the command; the exit code.
pub fn main(args: MigrateArgs) -> u8 {
    let result = match args.command {
        None => run_cmd(&args.run),
        Some(MigrateCommand::Status(a)) => status_cmd(&a),
        Some(MigrateCommand::Review(a)) => review_cmd(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            e.exit_code()
        }
    }
}

fn run_cmd(args: &RunArgs) -> Result<u8, Error> {
    let target = args.target.resolve()?;
    let opts = RunOptions {
        check: args.check.clone(),
        keep_going: args.keep_going,
        yes: args.yes,
        force: args.force,
        batch: args.batch,
        commit: args.commit,
        order: args.order,
        include_review: args.include_review,
        retry_failed: args.retry_failed,
    };
    let mut out = std::io::stdout().lock();
    let summary = crate::run(&target, &opts, &mut out)?;
    let _ = out.flush();
    Ok(if summary.failed.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    })
}

fn status_cmd(args: &StatusArgs) -> Result<u8, Error> {
    let target = args.target.resolve()?;
    if !target.ledger_path().is_file() {
        return Err(Error::Usage(format!(
            "{}: no migration here yet (run `migrate --target {}` first)",
            target.ledger_path().display(),
            args.target.target.display()
        )));
    }
    let ledger = Ledger::load(&target)?;
    let mut out = std::io::stdout().lock();
    status(&ledger).render(&mut out);
    Ok(exit::OK)
}

fn review_cmd(args: &ReviewArgs) -> Result<u8, Error> {
    let target = args.target.resolve()?;
    let mut ledger = Ledger::load(&target)?;
    let mut out = std::io::stdout().lock();
    let flags = !args.accept.is_empty() || !args.reject.is_empty();
    if flags || args.accept_all || args.reject_all {
        let mut accept: Vec<String> = args
            .accept
            .iter()
            .map(|a| review::resolve(&target, &ledger, a))
            .collect::<Result<_, _>>()?;
        let mut reject: Vec<String> = args
            .reject
            .iter()
            .map(|a| review::resolve(&target, &ledger, a))
            .collect::<Result<_, _>>()?;
        if let Some(both) = accept.iter().find(|a| reject.contains(a)) {
            return Err(Error::Usage(format!("{both}: both accepted and rejected")));
        }
        let rest = || review::pending(&ledger).into_iter().map(|(r, _)| r);
        if args.accept_all {
            accept.extend(rest().filter(|r| !reject.contains(r)));
        }
        if args.reject_all {
            reject.extend(rest().filter(|r| !accept.contains(r)));
        }
        accept.dedup();
        reject.dedup();
        for rel in &accept {
            review::accept(&target, &mut ledger, rel)?;
            ledger.save(&target)?;
            let _ = writeln!(out, "accepted {rel}");
        }
        for rel in &reject {
            review::reject(&target, &mut ledger, rel, args.reason.as_deref())?;
            ledger.save(&target)?;
            let _ = writeln!(out, "rejected {rel}");
        }
        return Ok(exit::OK);
    }
    let pending = review::pending(&ledger);
    if pending.is_empty() {
        let _ = writeln!(out, "nothing pending review");
        return Ok(exit::OK);
    }
    if !std::io::stdin().is_terminal() {
        let mut msg = String::from(
            "review asks on a terminal; without one, name the files with \
             --accept PATH / --reject PATH (or --accept-all / --reject-all). Pending:",
        );
        for (rel, e) in &pending {
            msg.push_str(&format!(
                "\n  {rel}  ({})",
                crate::snapshot::pending_path(&target, &e.snapshot).display()
            ));
        }
        return Err(Error::Usage(msg));
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    review::interactive_review(&target, &mut ledger, &mut input, &mut out)?;
    ledger.save(&target)?;
    let left = ledger
        .files
        .values()
        .filter(|e| e.state == State::PendingReview)
        .count();
    if left > 0 {
        let _ = writeln!(out, "{left} still pending review");
    }
    Ok(exit::OK)
}
