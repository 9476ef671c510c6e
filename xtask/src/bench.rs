//! `cargo xtask bench blocks`: how planning scales with the rewrites in one file.
//!
//! For each size N it writes a project (the example's `pyproject.toml`, `app/db.py` and
//! `app/models.py`) plus one module of N manual blocks, runs `codemod plan` on that module
//! a few times, and prints the median wall time, the time per block and the peak memory.
//! Planning and its diff must stay linear in the blocks: the run fails when the time per
//! block of the largest size exceeds `--max-growth` times that of the smallest.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

#[derive(clap::Subcommand)]
pub enum Args {
    /// Time `codemod plan` on one file of many blocks; fail if it grows faster than linear.
    Blocks(BlocksArgs),
}

#[derive(clap::Args)]
pub struct BlocksArgs {
    /// The codemod binary to time (default: a release build of this workspace).
    #[arg(long)]
    codemod: Option<PathBuf>,
    /// Blocks in the planned file, one run of the table each.
    #[arg(long, value_delimiter = ',', default_values_t = [4_000, 20_000, 40_000, 80_000, 200_000])]
    sizes: Vec<usize>,
    /// Timed runs per size (the median is printed).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Largest allowed ratio of time per block, largest size over smallest.
    #[arg(long, default_value_t = 2.5)]
    max_growth: f64,
}

/// One size's figures.
struct Row {
    blocks: usize,
    seconds: f64,
    peak_bytes: u64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args {
        Args::Blocks(args) => blocks(args),
    }
}

fn blocks(args: BlocksArgs) -> Result<ExitCode> {
    if args.sizes.is_empty() || args.runs == 0 {
        bail!("--sizes and --runs must not be empty or zero");
    }
    let exe = match args.codemod {
        Some(path) => {
            std::fs::canonicalize(&path).with_context(|| format!("--codemod {}", path.display()))?
        }
        None => release_binary()?,
    };
    let example = workspace_root().join("examples/inventory_service");
    let mut rows = vec![];
    for &blocks in &args.sizes {
        let dir = tempfile::tempdir()?;
        project_of_blocks(&example, dir.path(), blocks)?;
        let mut times = vec![];
        let mut peak_bytes = 0;
        for _ in 0..args.runs {
            let (seconds, peak) = time_plan(&exe, dir.path(), blocks)?;
            times.push(seconds);
            peak_bytes = peak_bytes.max(peak);
        }
        times.sort_by(f64::total_cmp);
        let row = Row {
            blocks,
            seconds: times[times.len() / 2],
            peak_bytes,
        };
        print_row(&row);
        rows.push(row);
    }
    Ok(verdict(&rows, args.max_growth))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn release_binary() -> Result<PathBuf> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-q", "-p", "codemod"])
        .current_dir(workspace_root())
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release -p codemod failed");
    }
    Ok(workspace_root().join("target/release/codemod"))
}

/// The example's project files and `app/blocks.py` with `blocks` manual blocks.
fn project_of_blocks(example: &Path, dir: &Path, blocks: usize) -> Result<()> {
    std::fs::create_dir_all(dir.join("app"))?;
    for rel in [
        "pyproject.toml",
        "app/__init__.py",
        "app/db.py",
        "app/models.py",
    ] {
        std::fs::copy(example.join(rel), dir.join(rel)).with_context(|| rel.to_string())?;
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("app/blocks.py"))?);
    out.write_all(b"from app.db import SessionLocal\nfrom app.models import Part\n")?;
    for i in 0..blocks {
        write!(
            out,
            "\n\ndef add_part_{i}(name):\n    session = SessionLocal()\n    try:\n        \
             session.add(Part(name=name))\n        session.commit()\n    except Exception:\n        \
             session.rollback()\n        raise\n    finally:\n        session.close()\n"
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Wall seconds and peak memory of one `codemod plan app/blocks.py`, which must plan
/// every block as a safe rewrite (its output goes to `plan.txt`).
fn time_plan(exe: &Path, dir: &Path, blocks: usize) -> Result<(f64, u64)> {
    let plan_txt = dir.join("plan.txt");
    let start = Instant::now();
    let child = Command::new(exe)
        .args(["plan", "app/blocks.py"])
        .current_dir(dir)
        .stdout(std::fs::File::create(&plan_txt)?)
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: waits for our own child; wait4 fills `status` and `usage`.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    let seconds = start.elapsed().as_secs_f64();
    if rc != pid {
        bail!("waiting for codemod: {}", std::io::Error::last_os_error());
    }
    // SAFETY: initialised by the successful wait4 above.
    let usage = unsafe { usage.assume_init() };
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("codemod plan failed in {} (status {status})", dir.display());
    }
    let summary = std::fs::read_to_string(&plan_txt)?;
    if !summary.contains(&format!("rewrites:       safe {blocks}\n")) {
        bail!("codemod plan did not plan {blocks} safe rewrites (see its summary)");
    }
    Ok((seconds, u64::try_from(usage.ru_maxrss)? * 1024))
}

fn print_row(row: &Row) {
    println!(
        "{:>8} blocks  {:>8.2} s  {:>6.1} µs/block  {:>6} MB peak",
        row.blocks,
        row.seconds,
        per_block_us(row),
        row.peak_bytes >> 20
    );
}

fn per_block_us(row: &Row) -> f64 {
    row.seconds * 1e6 / row.blocks as f64
}

/// Linear enough: the time per block grows at most `max_growth` times from the
/// smallest size to the largest.
fn verdict(rows: &[Row], max_growth: f64) -> ExitCode {
    let smallest = rows.iter().min_by_key(|r| r.blocks).expect("rows");
    let largest = rows.iter().max_by_key(|r| r.blocks).expect("rows");
    let growth = per_block_us(largest) / per_block_us(smallest);
    println!(
        "time per block, {} over {} blocks: x{growth:.2} (allowed x{max_growth})",
        largest.blocks, smallest.blocks
    );
    if growth > max_growth {
        println!("not linear");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
