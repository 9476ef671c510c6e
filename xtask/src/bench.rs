//! `cargo xtask bench blocks`: how planning scales with the rewrites in one file;
//! `cargo xtask bench rust`: planning a generated Rust crate of 600 modules.
//!
//! For each size N it writes a project (the example's `pyproject.toml`, `app/db.py` and
//! `app/models.py`) plus one module of N manual blocks, runs `codemod plan` on that module
//! a few times, and prints the median wall time, the time per block and the peak memory.
//! Planning and its diff must stay linear in the blocks: the run fails when the time per
//! block of the largest size exceeds `--max-growth` times that of the smallest.
//!
//! `bench rust` writes the crate of `rust_crate` once into the cache folder, runs
//! `codemod plan --format json` on it once to warm up (and to check that it finds what the
//! generator put there), then times `--runs` more and prints the median, min and max wall
//! time, files per second, peak RSS and CPU time over wall time (above 1 when files are
//! planned in parallel; `RAYON_NUM_THREADS` sets the threads). It asserts no time.

mod rust_crate;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

#[derive(clap::Subcommand)]
pub enum Args {
    /// Time `codemod plan` on one file of many blocks; fail if it grows faster than linear.
    Blocks(BlocksArgs),
    /// Time `codemod plan --format json` on a generated Rust crate of many modules.
    Rust(RustArgs),
}

#[derive(clap::Args)]
pub struct RustArgs {
    /// The codemod binary to time (default: a release build of this workspace).
    #[arg(long)]
    codemod: Option<PathBuf>,
    /// Modules in the generated crate.
    #[arg(long, default_value_t = 600)]
    files: usize,
    /// Timed runs after the warm-up.
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Where the generated crate is kept [default: $XDG_CACHE_HOME/session-codemod/bench or ~/.cache/session-codemod/bench]
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
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
        Args::Rust(args) => rust(args),
    }
}

fn blocks(args: BlocksArgs) -> Result<ExitCode> {
    if args.sizes.is_empty() || args.runs == 0 {
        bail!("--sizes and --runs must not be empty or zero");
    }
    let exe = codemod_binary(args.codemod)?;
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

fn codemod_binary(given: Option<PathBuf>) -> Result<PathBuf> {
    match given {
        Some(path) => {
            std::fs::canonicalize(&path).with_context(|| format!("--codemod {}", path.display()))
        }
        None => release_binary(),
    }
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
    let run = run_timed(exe, dir, &["plan", "app/blocks.py"], &plan_txt)?;
    let summary = std::fs::read_to_string(&plan_txt)?;
    if !summary.contains(&format!("rewrites:       safe {blocks}\n")) {
        bail!("codemod plan did not plan {blocks} safe rewrites (see its summary)");
    }
    Ok((run.seconds, run.peak_bytes))
}

/// What one timed run of codemod took.
struct Timed {
    seconds: f64,
    /// User and system CPU time of the process.
    cpu_seconds: f64,
    peak_bytes: u64,
}

/// Run `exe args` in `dir` with its stdout in `out`; it must exit 0.
fn run_timed(exe: &Path, dir: &Path, args: &[&str], out: &Path) -> Result<Timed> {
    let start = Instant::now();
    let child = Command::new(exe)
        .args(args)
        .current_dir(dir)
        .stdout(std::fs::File::create(out)?)
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
        bail!(
            "codemod {} failed in {} (status {status})",
            args.join(" "),
            dir.display()
        );
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Timed {
        seconds,
        cpu_seconds: secs(usage.ru_utime) + secs(usage.ru_stime),
        peak_bytes: u64::try_from(usage.ru_maxrss)? * 1024,
    })
}

fn rust(args: RustArgs) -> Result<ExitCode> {
    if args.files == 0 || args.runs == 0 {
        bail!("--files and --runs must not be zero");
    }
    let exe = codemod_binary(args.codemod)?;
    let cache = match args.cache {
        Some(dir) => std::path::absolute(dir)?,
        None => crate::corpus::cache_home()?.join("bench"),
    };
    let dir = cached_crate(&cache, args.files)?;
    let expected = rust_crate::expected(args.files);
    let out = cache.join("plan.json");
    let plan = ["plan", "--format", "json"];
    let warm = run_timed(&exe, &dir, &plan, &out)?;
    let lines = check_rust_plan(&out, &dir, args.files + 1, &expected)?;
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into());
    println!(
        "bench rust: {} files, {lines} lines ({}); RAYON_NUM_THREADS={threads}; warm-up {:.3} s",
        args.files + 1,
        dir.display(),
        warm.seconds
    );
    let runs = (0..args.runs)
        .map(|_| run_timed(&exe, &dir, &plan, &out))
        .collect::<Result<Vec<Timed>>>()?;
    print_rust_runs(&runs, args.files + 1);
    Ok(ExitCode::SUCCESS)
}

/// The generated crate in `cache`, written when missing (into a temp folder renamed into
/// place, so an interrupted write is never taken for a crate).
fn cached_crate(cache: &Path, files: usize) -> Result<PathBuf> {
    let dir = cache.join(format!("rust-crate-v{}-{files}", rust_crate::VERSION));
    if !dir.is_dir() {
        std::fs::create_dir_all(cache).with_context(|| cache.display().to_string())?;
        let scratch = tempfile::tempdir_in(cache)?;
        rust_crate::write(scratch.path(), files)?;
        std::fs::rename(scratch.keep(), &dir)?;
    }
    Ok(dir)
}

/// The plan must have read every file and found what the generator wrote; the crate's
/// line count.
fn check_rust_plan(
    out: &Path,
    dir: &Path,
    files: usize,
    expected: &[(&str, usize)],
) -> Result<usize> {
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(out)?)?;
    let summary = &doc["summary"];
    if summary["files_scanned"].as_u64() != Some(files as u64) {
        bail!(
            "codemod scanned {} files, not {files}",
            summary["files_scanned"]
        );
    }
    for (kind, count) in expected {
        let found = summary["blocks_by_kind"][kind].as_u64().unwrap_or(0);
        if found != *count as u64 {
            bail!("codemod found {found} {kind}, the generator wrote {count}");
        }
    }
    let mut lines = 0;
    for entry in std::fs::read_dir(dir.join("src"))? {
        lines += std::fs::read_to_string(entry?.path())?.lines().count();
    }
    Ok(lines)
}

fn print_rust_runs(runs: &[Timed], files: usize) {
    let mut wall: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
    wall.sort_by(f64::total_cmp);
    let median = wall[wall.len() / 2];
    let cpu = runs.iter().map(|r| r.cpu_seconds).sum::<f64>() / runs.len() as f64;
    let wall_mean = wall.iter().sum::<f64>() / wall.len() as f64;
    let peak = runs.iter().map(|r| r.peak_bytes).max().unwrap_or(0);
    println!(
        "{} runs: median {median:.3} s, min {:.3} s, max {:.3} s; {:.0} files/s; peak RSS {} MB; CPU {cpu:.3} s per run ({:.2}x wall)",
        runs.len(),
        wall[0],
        wall[wall.len() - 1],
        files as f64 / median,
        peak >> 20,
        cpu / wall_mean
    );
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
