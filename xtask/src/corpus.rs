//! `cargo xtask corpus`: run `codemod` over a fixed set of real PyPI packages.
//!
//! For every package it downloads a wheel (or an sdist when no wheel exists),
//! keeps its `.py` files in a cache outside the repository, then measures:
//! what `codemod plan` finds, how long it takes next to `ruff --select SIM115`,
//! and whether `codemod apply` output re-parses and is idempotent.
//! It also records the guards `codemod guard` reports, and checks that every import
//! `apply` added resolves in the package tree (`imports.rs`).
//! The process exits non-zero when any output is invalid, any file is not
//! idempotent, codemod panicked, or an added import does not resolve, so the
//! command can be used as a gate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};

mod classes;
mod guards;
mod imports;
mod rust;

use guards::GuardFacts;
use imports::AddedImport;

/// Packages measured when no `--package` is given.
///
/// All of them drive SQLAlchemy sessions by hand somewhere (commit/rollback/close
/// around a `Session()` or `settings.Session()`).
/// apache-superset 3.x and ckan 2.10 only ship sdists for these versions. open-webui (a
/// FastAPI app with `get_db = contextmanager(get_session)`) and arize-phoenix (async
/// sessions) are applications rather than libraries.
const DEFAULT_PACKAGES: &[&str] = &[
    "apache-airflow==1.10.15",
    "mlflow==2.9.2",
    "Flask-AppBuilder==4.3.11",
    "SQLAlchemy-Utils==0.41.1",
    "apache-superset==3.1.3",
    "ckan==2.10.4",
    "apache-airflow==2.7.3",
    "open-webui==0.3.32",
    "arize-phoenix==4.0.0",
];

/// Packages whose own session guard is not a plain module-level `@contextmanager`
/// function, measured by default together with DEFAULT_PACKAGES (and, like them,
/// replaced by `--package`). Use counts are `with` items calling the guard,
/// counted with CPython's `ast` over the wheel's files (2026-12-02).
const GUARD_PACKAGES: &[&str] = &[
    // Class-based context manager: `Session = sessionmaker(class_=ContextSession)` in
    // flexget/manager.py, whose `__exit__` commits or rolls back
    // (flexget/utils/sqlalchemy_utils.py); 139 `with Session() as session:`.
    "FlexGet==3.22.8",
    // Parameterised guard: `@contextmanager _create_scoped_session(scoped_session,
    // ignore_integrity_error=False)` in optuna/storages/_rdb/storage.py, reached as
    // `with _create_scoped_session(self.scoped_session[, True]) as session:`; 29 uses.
    "optuna==5.0.0",
    // Parameterised guard: `session_scope(*, hass=None, session=None, read_only=False, ...)`
    // in homeassistant/components/recorder/util.py; 69 uses (45 `session=`, 13
    // `hass=, read_only=`, 7 `session=, read_only=`, 4 `session=, exception_filter=`).
    // 2023.12 because later releases use Python 3.12+ syntax the 3.11 venv cannot parse.
    "homeassistant==2023.12.4",
    // Methods reached through an instance: `db_registry = DatabaseRegistry()` with
    // `@contextmanager def session(self)` / `@asynccontextmanager async def async_session`
    // (letta/server/db.py): 113 `with db_registry.session()`, 94 `async with
    // db_registry.async_session()`; also `db_context = contextmanager(get_db)` (1 use).
    "letta==0.7.29",
    // Methods reached through an instance: `db_manager = DBManager()` with `@contextmanager
    // def session_context(self, session=None)` (keylime/models/base/db.py), 13 uses of
    // `db_manager.session_context()`; `SessionManager.session_context(engine)`
    // (keylime/db/keylime_db.py), 2 uses through instances; and the function
    // `session_context()` (cloud_verifier_tornado.py) wrapping the latter, 25 uses.
    "keylime==7.14.3",
];

/// Packages where rewrites once planned safe broke working code (a commit reached
/// through a helper, `with Session(...)` on SQLAlchemy 1.3, HTTP sessions taken for
/// database sessions, a commit moved past a call that opens its own session), measured
/// by default too.
const SOUNDNESS_PACKAGES: &[&str] = &[
    // alembic migrations `with orm.Session(bind=bind) as session, session.begin():`
    // around helpers that commit.
    "optuna==3.6.1",
    // `requests.Session()` helpers beside `Session = sessionmaker()`; a commit two calls
    // down (notify/notifiers/telegram.py).
    "FlexGet==3.11.41",
    // Pinned `SQLAlchemy >= 1.2.9, < 1.4`.
    "Kallithea==0.7.0",
    "pywps==4.6.0",
];

const DEFAULT_RUFF: &str = "0.8.6";

/// Notes per package shown in report.md (report.json has all of them).
const MAX_NOTES: usize = 20;

/// Exit code of a Rust program that panicked.
const PANIC_EXIT_CODE: i32 = 101;

/// Which corpus `cargo xtask corpus` measures.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    /// PyPI packages (DEFAULT_PACKAGES and the other lists below).
    Python,
    /// crates.io crates (`rust::DEFAULT_CRATES`), checked with `cargo check` before and after.
    Rust,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which corpus to measure
    #[arg(long, value_enum, default_value_t = Lang::Python)]
    lang: Lang,

    /// Cache directory [default: $XDG_CACHE_HOME/session-codemod/corpus or ~/.cache/session-codemod/corpus]
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,

    /// Package requirement to measure, e.g. `mlflow==2.9.2` (repeatable; replaces the default lists)
    #[arg(long = "package", value_name = "SPEC")]
    packages: Vec<String>,

    /// Write every finding to `<cache>/findings-<pkg>.txt`
    #[arg(long)]
    list_findings: bool,

    /// Use this codemod binary instead of building `-p codemod` in release mode
    #[arg(long, value_name = "PATH")]
    codemod: Option<PathBuf>,

    /// Also plan every package with this codemod binary (say, a build from before a change
    /// to the analysis) and put its safe / review / manual counts beside this build's
    #[arg(long, value_name = "PATH")]
    baseline: Option<PathBuf>,

    /// ruff version installed into `<cache>/venv` for the timing baseline
    #[arg(long, value_name = "VERSION", default_value = DEFAULT_RUFF)]
    ruff_version: String,

    /// Time `codemod plan` and ruff this many times each and report the fastest run
    #[arg(long, value_name = "N", default_value_t = 3)]
    repeat: usize,

    /// Kill a codemod or ruff run after this many seconds (counted as a panic for codemod)
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    timeout: u64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.lang == Lang::Rust {
        return rust::run(&args);
    }
    let workspace = workspace_root();
    let cache = match &args.cache {
        Some(dir) => absolute(dir)?,
        None => default_cache_dir()?,
    };
    ensure_outside(&cache, &workspace)?;
    fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    eprintln!("corpus: cache at {}", cache.display());

    let specs: Vec<String> = if args.packages.is_empty() {
        DEFAULT_PACKAGES
            .iter()
            .chain(GUARD_PACKAGES)
            .chain(SOUNDNESS_PACKAGES)
            .map(|s| s.to_string())
            .collect()
    } else {
        args.packages.clone()
    };

    // Fetch every package first; one failing package does not stop the others.
    let mut trees = Vec::new();
    let mut failures = Vec::new();
    for spec in &specs {
        match fetch_package(&cache, spec) {
            Ok(tree) => trees.push(tree),
            Err(err) => {
                eprintln!("corpus: {spec}: FAILED: {err:#}");
                failures.push(Failure {
                    spec: spec.clone(),
                    error: format!("{err:#}"),
                });
            }
        }
    }

    let venv = ensure_venv(&cache, &args.ruff_version)?;
    let codemod = match &args.codemod {
        Some(path) => absolute(path)?,
        None => build_codemod(&workspace)?,
    };
    eprintln!("corpus: codemod binary {}", codemod.display());
    let baseline = args.baseline.as_deref().map(absolute).transpose()?;

    let timeout = Duration::from_secs(args.timeout);
    let mut reports = Vec::new();
    let mut measure_failures = 0usize;
    for tree in &trees {
        eprintln!("corpus: measuring {}", tree.id);
        match measure(
            &cache,
            &venv,
            &codemod,
            tree,
            timeout,
            args.list_findings,
            args.repeat.max(1),
            baseline.as_deref(),
        ) {
            Ok(report) => reports.push(report),
            Err(err) => {
                eprintln!("corpus: {}: FAILED: {err:#}", tree.id);
                measure_failures += 1;
                failures.push(Failure {
                    spec: tree.spec.clone(),
                    error: format!("{err:#}"),
                });
            }
        }
    }

    let totals = Totals::of(&reports);
    let full = FullReport {
        codemod: codemod.display().to_string(),
        ruff_version: args.ruff_version.clone(),
        python: venv.python.display().to_string(),
        repeat: args.repeat.max(1),
        packages: reports,
        totals,
        failures,
    };
    let markdown = render_markdown(&full);
    println!("{markdown}");
    fs::write(cache.join("report.md"), &markdown)?;
    fs::write(
        cache.join("report.json"),
        serde_json::to_string_pretty(&full)? + "\n",
    )?;
    eprintln!(
        "corpus: wrote {} and {}",
        cache.join("report.md").display(),
        cache.join("report.json").display()
    );

    if full.packages.is_empty() {
        bail!("no package could be measured");
    }
    Ok(gate(
        &full.totals,
        measure_failures,
        &cache.join("report.md"),
    ))
}

/// Prints what failed and returns failure when any gate is not met.
fn gate(t: &Totals, measure_failures: usize, report_md: &Path) -> ExitCode {
    let mut failed = false;
    if t.invalid_outputs > 0
        || t.non_idempotent > 0
        || t.panics > 0
        || t.tool_failures > 0
        || measure_failures > 0
    {
        eprintln!(
            "corpus: GATE FAILED: {} invalid outputs, {} non-idempotent files, {} panics, \
             {} codemod runs without usable output, {} packages not measured",
            t.invalid_outputs, t.non_idempotent, t.panics, t.tool_failures, measure_failures
        );
        failed = true;
    }
    let unresolved = t.imports_added - t.imports_resolving;
    if unresolved > 0 {
        eprintln!(
            "corpus: GATE FAILED: {unresolved} of the {} imports `codemod apply` added do not \
             resolve in their package tree (listed under \"Unresolved added imports\" in {})",
            t.imports_added,
            report_md.display()
        );
        failed = true;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

// ---------------------------------------------------------------------------
// Locations

fn workspace_root() -> PathBuf {
    // xtask/Cargo.toml sits directly under the workspace root.
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

fn default_cache_dir() -> Result<PathBuf> {
    Ok(cache_home()?.join("corpus"))
}

/// `$XDG_CACHE_HOME/session-codemod` or `~/.cache/session-codemod`.
pub fn cache_home() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        _ => {
            let home = std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .ok_or_else(|| anyhow!("neither XDG_CACHE_HOME nor HOME is set; pass --cache"))?;
            PathBuf::from(home).join(".cache")
        }
    };
    Ok(base.join("session-codemod"))
}

fn absolute(path: &Path) -> Result<PathBuf> {
    Ok(std::path::absolute(path)?)
}

/// Refuses a cache inside the repository, so the command never writes there.
fn ensure_outside(cache: &Path, workspace: &Path) -> Result<()> {
    let workspace = fs::canonicalize(workspace).unwrap_or_else(|_| workspace.to_path_buf());
    // The cache may not exist yet: canonicalize its closest existing ancestor.
    let mut existing = cache.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(|n| n.to_owned()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut resolved = fs::canonicalize(&existing).unwrap_or(existing);
    for name in rest.into_iter().rev() {
        resolved.push(name);
    }
    if resolved.starts_with(&workspace) {
        bail!(
            "cache {} is inside the repository {}; choose a directory outside it",
            resolved.display(),
            workspace.display()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Download and extraction

/// One extracted package.
struct Tree {
    spec: String,
    /// `<normalized-name>-<version>`, also the directory name under `trees/`.
    id: String,
    archive: PathBuf,
    archive_bytes: u64,
    path: PathBuf,
}

fn fetch_package(cache: &Path, spec: &str) -> Result<Tree> {
    // One download directory per spec, so that the archive belonging to a spec
    // is known without asking the index again.
    let download_dir = cache.join("downloads").join(slug(spec));
    fs::create_dir_all(&download_dir)?;
    let archive = match find_archive(&download_dir)? {
        Some(archive) => {
            eprintln!("corpus: {spec}: cached {}", file_name(&archive));
            archive
        }
        None => download(spec, &download_dir)?,
    };
    let archive_bytes = fs::metadata(&archive)?.len();
    let (name, version) = archive_name_version(&archive)?;
    let id = format!("{}-{}", normalize_name(&name), version);
    let tree = cache.join("trees").join(&id);
    if tree.is_dir() {
        eprintln!("corpus: {spec}: tree {} already extracted", tree.display());
    } else {
        extract(&archive, &tree, cache)?;
    }
    let py_files = list_files(&tree)?.len();
    eprintln!(
        "corpus: {spec}: {} ({:.1} MB) -> {} .py files",
        file_name(&archive),
        archive_bytes as f64 / 1e6,
        py_files
    );
    Ok(Tree {
        spec: spec.to_string(),
        id,
        archive,
        archive_bytes,
        path: tree,
    })
}

fn download(spec: &str, dir: &Path) -> Result<PathBuf> {
    let attempts: [(&str, &[&str]); 2] = [
        (
            "wheel",
            &["--no-binary", ":none:", "--only-binary", ":all:"],
        ),
        ("sdist", &["--no-binary", ":all:"]),
    ];
    let mut errors = Vec::new();
    for (what, flags) in attempts {
        eprintln!("corpus: {spec}: downloading {what}");
        let output = Command::new("python3")
            .args(["-m", "pip", "download", "--quiet", "--no-deps"])
            .arg("--ignore-requires-python")
            .args(flags)
            .arg("-d")
            .arg(dir)
            .arg(spec)
            .stdin(Stdio::null())
            .output()
            .context("running python3 -m pip download")?;
        if output.status.success() {
            if let Some(archive) = find_archive(dir)? {
                return Ok(archive);
            }
            errors.push(format!("{what}: pip succeeded but left no archive"));
        } else {
            errors.push(format!(
                "{what}: {}",
                tail(&String::from_utf8_lossy(&output.stderr), 3)
            ));
        }
    }
    bail!("pip download failed: {}", errors.join("; "))
}

/// The wheel (preferred) or sdist in a download directory.
fn find_archive(dir: &Path) -> Result<Option<PathBuf>> {
    let mut wheel = None;
    let mut sdist = None;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = file_name(&path);
        if name.ends_with(".whl") {
            wheel = Some(path);
        } else if name.ends_with(".tar.gz") || name.ends_with(".zip") {
            sdist = Some(path);
        }
    }
    Ok(wheel.or(sdist))
}

/// Name and version from `name-version-...whl` or `name-version.tar.gz`.
fn archive_name_version(archive: &Path) -> Result<(String, String)> {
    let name = file_name(archive);
    let parsed = if let Some(stem) = name.strip_suffix(".whl") {
        let mut parts = stem.splitn(3, '-');
        match (parts.next(), parts.next()) {
            (Some(n), Some(v)) => Some((n.to_string(), v.to_string())),
            _ => None,
        }
    } else {
        name.strip_suffix(".tar.gz")
            .or_else(|| name.strip_suffix(".zip"))
            .and_then(|stem| stem.rsplit_once('-'))
            .map(|(n, v)| (n.to_string(), v.to_string()))
    };
    parsed.ok_or_else(|| anyhow!("cannot read name and version from {name}"))
}

/// Extracts `archive` into `tree`, keeping only `.py` files.
///
/// Extraction happens in a staging directory that is renamed at the end, so an
/// interrupted run never leaves a half-filled tree behind.
fn extract(archive: &Path, tree: &Path, cache: &Path) -> Result<()> {
    let trees = tree.parent().expect("tree has a parent");
    fs::create_dir_all(trees)?;
    let staging = tempfile::Builder::new()
        .prefix(".extract-")
        .tempdir_in(cache)?;
    let raw = staging.path().join("raw");
    let kept = staging.path().join("kept");
    fs::create_dir_all(&raw)?;
    let name = file_name(archive);
    let status = if name.ends_with(".tar.gz") {
        Command::new("tar")
            .arg("xzf")
            .arg(archive)
            .arg("-C")
            .arg(&raw)
            .status()
    } else {
        Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(archive)
            .arg(&raw)
            .status()
    }
    .with_context(|| format!("extracting {name}"))?;
    if !status.success() {
        bail!("extracting {name} failed ({status})");
    }
    let mut count = 0usize;
    for file in list_files(&raw)? {
        let rel = file.strip_prefix(&raw)?;
        let dest = kept.join(rel);
        fs::create_dir_all(dest.parent().expect("file has a parent"))?;
        fs::copy(&file, &dest)?;
        count += 1;
    }
    if count == 0 {
        bail!("{name} contains no .py files");
    }
    fs::rename(&kept, tree).with_context(|| format!("moving tree to {}", tree.display()))?;
    Ok(())
}

/// Every regular `.py` file under `dir` (symlinks are not followed), sorted.
fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    list_files_with(dir, "py")
}

/// Every regular file named `*.<ext>` under `dir` (symlinks are not followed), sorted.
fn list_files_with(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) -> Result<()> {
        for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                walk(&path, ext, out)?;
            } else if kind.is_file() && path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, ext, &mut out)?;
    out.sort();
    Ok(out)
}

/// Copies every file (not only `.py`) of `from` into `to`.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &dest)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

/// PEP 503 name normalization.
fn normalize_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn slug(spec: &str) -> String {
    spec.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join(" | ")
}

// ---------------------------------------------------------------------------
// Tools

struct Venv {
    python: PathBuf,
    ruff: PathBuf,
}

fn ensure_venv(cache: &Path, ruff_version: &str) -> Result<Venv> {
    let dir = cache.join("venv");
    let venv = Venv {
        python: dir.join("bin").join("python"),
        ruff: dir.join("bin").join("ruff"),
    };
    if !venv.python.exists() {
        eprintln!("corpus: creating venv {}", dir.display());
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .context("running python3 -m venv")?;
        if !status.success() {
            bail!("python3 -m venv {} failed ({status})", dir.display());
        }
    }
    let wanted = format!("ruff {ruff_version}");
    let installed = Command::new(&venv.ruff)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if installed.as_deref() != Some(wanted.as_str()) {
        eprintln!("corpus: installing ruff=={ruff_version} into the venv");
        let status = Command::new(&venv.python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(format!("ruff=={ruff_version}"))
            .status()
            .context("running pip install ruff")?;
        if !status.success() {
            bail!("pip install ruff=={ruff_version} failed ({status})");
        }
    }
    Ok(venv)
}

fn build_codemod(workspace: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("corpus: cargo build --release -p codemod");
    let status = Command::new(&cargo)
        .args(["build", "--release", "-p", "codemod"])
        .current_dir(workspace)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release -p codemod failed ({status})");
    }
    let output = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace)
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed ({})", output.status);
    }
    #[derive(Deserialize)]
    struct Metadata {
        target_directory: PathBuf,
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout)?;
    let binary = metadata.target_directory.join("release").join("codemod");
    if !binary.is_file() {
        bail!("{} does not exist after the build", binary.display());
    }
    Ok(binary)
}

/// How a measured child process ended.
struct Outcome {
    status: ExitStatus,
    wall: Duration,
    max_rss_kb: u64,
    timed_out: bool,
}

impl Outcome {
    /// Panicked (exit 101), died from a signal, or was killed by the timeout.
    fn crashed(&self) -> bool {
        self.timed_out
            || self.status.code() == Some(PANIC_EXIT_CODE)
            || self.status.signal().is_some()
    }

    fn describe(&self) -> String {
        if self.timed_out {
            format!("timed out after {:.0} s", self.wall.as_secs_f64())
        } else if let Some(code) = self.status.code() {
            format!("exit code {code}")
        } else {
            self.status.to_string()
        }
    }
}

/// Runs `cmd` with stdout and stderr sent to files; measures wall time and the
/// child's own peak RSS (from `wait4`, so earlier children do not count).
fn run_measured(
    mut cmd: Command,
    stdout: &Path,
    stderr: &Path,
    timeout: Duration,
) -> Result<Outcome> {
    cmd.stdin(Stdio::null())
        .stdout(File::create(stdout)?)
        .stderr(File::create(stderr)?);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("spawning {:?}", cmd.get_program()))?;
    let pid = child.id() as libc::pid_t;
    let mut timed_out = false;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain old data; zeroed is a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointers to locals; pid is our own unreaped child.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            return Ok(Outcome {
                status: ExitStatus::from_raw(status),
                wall: start.elapsed(),
                max_rss_kb: u64::try_from(usage.ru_maxrss).unwrap_or(0),
                timed_out,
            });
        }
        if reaped == -1 {
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(err).context("wait4");
            }
        }
        if !timed_out && start.elapsed() > timeout {
            // Not reaped yet, so the pid still belongs to our child.
            let _ = child.kill();
            timed_out = true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

// ---------------------------------------------------------------------------
// codemod's JSON output

#[derive(Deserialize, Default)]
#[serde(default)]
struct Plan {
    files: Vec<PlanFile>,
    errors: Vec<PlanError>,
    summary: PlanSummary,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanFile {
    path: String,
    rewrites: Vec<PlanRewrite>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanRewrite {
    line: u64,
    column: u64,
    kind: String,
    safety: String,
    reason: String,
    applied: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanError {
    path: String,
    line: Option<u64>,
    kind: String,
    message: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanSummary {
    files_scanned: u64,
    files_parsed: u64,
    files_changed: u64,
    blocks_by_kind: BTreeMap<String, u64>,
    rewrites_by_class: BTreeMap<String, u64>,
}

fn is_input_error(kind: &str) -> bool {
    matches!(kind, "syntax" | "encoding" | "io")
}

/// Runs `codemod plan --format json dir`, keeping its output under `run_dir`.
fn run_plan(
    codemod: &Path,
    dir: &Path,
    run_dir: &Path,
    label: &str,
    timeout: Duration,
) -> Result<(Outcome, Option<Plan>, Vec<String>)> {
    let stdout = run_dir.join(format!("{label}.json"));
    let stderr = run_dir.join(format!("{label}.stderr"));
    let mut cmd = Command::new(codemod);
    cmd.args(["plan", "--format", "json"]).arg(dir);
    let outcome = run_measured(cmd, &stdout, &stderr, timeout)?;
    let mut notes = Vec::new();
    let plan = match serde_json::from_slice::<Plan>(&fs::read(&stdout)?) {
        Ok(plan) => Some(plan),
        Err(err) => {
            notes.push(format!(
                "`codemod plan` ({label}) printed no valid JSON ({err}); {}; stderr: {}",
                outcome.describe(),
                tail(&fs::read_to_string(&stderr).unwrap_or_default(), 3)
            ));
            None
        }
    };
    if !outcome.status.success() && plan.is_some() {
        notes.push(format!(
            "`codemod plan` ({label}) exited with {}",
            outcome.describe()
        ));
    }
    Ok((outcome, plan, notes))
}

// ---------------------------------------------------------------------------
// Measuring one package

#[derive(Serialize, Default)]
struct PackageReport {
    spec: String,
    package: String,
    archive: String,
    archive_bytes: u64,
    tree: String,
    py_files: usize,
    files_scanned: u64,
    files_parsed: u64,
    files_with_findings: u64,
    files_changed_by_plan: u64,
    files_changed_by_apply: u64,
    blocks: u64,
    blocks_by_kind: BTreeMap<String, u64>,
    safe: u64,
    review: u64,
    manual: u64,
    input_parse_failures: u64,
    internal_errors: u64,
    invalid_outputs: u64,
    invalid_output_files: Vec<String>,
    /// Changed files whose input did not parse with CPython either.
    changed_unparseable_inputs: Vec<String>,
    non_idempotent: u64,
    non_idempotent_files: Vec<String>,
    panics: u64,
    /// plan or re-plan runs that printed no valid JSON without crashing.
    tool_failures: u64,
    plan_wall_s: f64,
    plan_peak_rss_mb: f64,
    apply_wall_s: f64,
    ruff_wall_s: f64,
    ruff_sim115_findings: u64,
    /// Guards `codemod guard` listed (0 when it prints no list).
    guards_found: u64,
    guard: GuardFacts,
    /// Imported names `apply --all --include-review` added, and how many resolve.
    imports_added: u64,
    imports_resolving: u64,
    added_imports: Vec<AddedImport>,
    notes: Vec<String>,
    /// Classes the `--baseline` build planned (absent without one).
    baseline: Option<classes::ClassCounts>,
    /// Clauses of review reasons by kind.
    review_kinds: BTreeMap<String, u64>,
}

fn measure(
    cache: &Path,
    venv: &Venv,
    codemod: &Path,
    tree: &Tree,
    timeout: Duration,
    list_findings: bool,
    repeat: usize,
    baseline: Option<&Path>,
) -> Result<PackageReport> {
    let run_dir = cache.join("runs").join(&tree.id);
    fs::create_dir_all(&run_dir)?;
    let originals = list_files(&tree.path)?;
    // Reading every file first keeps them in the page cache, so neither
    // codemod nor ruff pays for a cold disk, and gives the bytes to compare
    // against after `apply`.
    let original_bytes = originals
        .iter()
        .map(|f| fs::read(f).with_context(|| format!("reading {}", f.display())))
        .collect::<Result<Vec<_>>>()?;
    let mut notes = Vec::new();
    let mut panics = 0u64;
    let mut tool_failures = 0u64;

    // 1. Plan on the pristine tree, then ruff on the same tree.
    let (plan_outcome, plan, plan_notes) =
        run_plan(codemod, &tree.path, &run_dir, "plan", timeout)?;
    notes.extend(plan_notes);
    panics += u64::from(plan_outcome.crashed());
    tool_failures += u64::from(plan.is_none() && !plan_outcome.crashed());
    let plan_ok = plan.is_some();
    // Further runs only for timing: keep the fastest wall time, largest RSS.
    let mut plan_wall = plan_outcome.wall;
    let mut plan_rss_kb = plan_outcome.max_rss_kb;
    for _ in 1..repeat {
        let mut cmd = Command::new(codemod);
        cmd.args(["plan", "--format", "json"]).arg(&tree.path);
        let again = run_measured(
            cmd,
            &run_dir.join("plan-again.json"),
            &run_dir.join("plan-again.stderr"),
            timeout,
        )?;
        if again.status.success() {
            plan_wall = plan_wall.min(again.wall);
            plan_rss_kb = plan_rss_kb.max(again.max_rss_kb);
        }
    }

    let ruff_out = run_dir.join("ruff.txt");
    let mut ruff_wall = None;
    for _ in 0..repeat {
        let mut ruff = Command::new(&venv.ruff);
        ruff.args([
            "check",
            "--select",
            "SIM115",
            "--no-cache",
            "--exit-zero",
            "--isolated",
            "--output-format",
            "concise",
        ])
        .arg(&tree.path);
        let outcome = run_measured(ruff, &ruff_out, &run_dir.join("ruff.stderr"), timeout)?;
        if !outcome.status.success() {
            notes.push(format!("ruff failed ({})", outcome.describe()));
            break;
        }
        ruff_wall = Some(ruff_wall.map_or(outcome.wall, |w: Duration| w.min(outcome.wall)));
    }
    let ruff_findings = fs::read_to_string(&ruff_out)?
        .lines()
        .filter(|l| l.contains(" SIM115 "))
        .count() as u64;

    let (guard, guard_panics) = run_guard(codemod, &tree.path, &run_dir, timeout, &mut notes)?;
    panics += guard_panics;

    let baseline_counts = match baseline {
        Some(b) => {
            let (outcome, base_plan, base_notes) =
                run_plan(b, &tree.path, &run_dir, "plan-baseline", timeout)?;
            notes.extend(base_notes);
            if outcome.crashed() {
                notes.push(format!("baseline plan {}", outcome.describe()));
            }
            base_plan.map(|p| classes::ClassCounts::of(&p.summary.rewrites_by_class))
        }
        None => None,
    };
    let plan = plan.unwrap_or_default();
    let s = &plan.summary;
    let now = classes::ClassCounts::of(&s.rewrites_by_class);
    let mut review_kinds = BTreeMap::new();
    classes::count_review_reasons(
        plan.files
            .iter()
            .flat_map(|f| &f.rewrites)
            .filter(|r| r.safety == "review")
            .map(|r| r.reason.as_str()),
        &mut review_kinds,
    );
    let input_parse_failures = plan
        .errors
        .iter()
        .filter(|e| is_input_error(&e.kind))
        .count() as u64;
    let internal_errors = plan.errors.iter().filter(|e| e.kind == "internal").count() as u64;
    panics += internal_errors;
    for e in plan.errors.iter().filter(|e| e.kind == "internal") {
        notes.push(format!("internal error: {}: {}", e.path, e.message));
    }

    if list_findings {
        let path = cache.join(format!("findings-{}.txt", tree.id));
        write_findings(&path, &plan, &tree.path)?;
        eprintln!("corpus: {}: findings in {}", tree.id, path.display());
    }

    // 2. Apply on a copy.
    let copy_dir = tempfile::Builder::new()
        .prefix(&format!("corpus-{}-", tree.id))
        .tempdir()?;
    let copy = copy_dir.path().join(&tree.id);
    copy_tree(&tree.path, &copy)?;
    let mut apply = Command::new(codemod);
    apply
        .args(["apply", "--all", "--include-review"])
        .arg(&copy);
    let apply_stderr = run_dir.join("apply.stderr");
    let apply_outcome = run_measured(apply, &run_dir.join("apply.stdout"), &apply_stderr, timeout)?;
    if apply_outcome.crashed() {
        panics += 1;
    }
    if !apply_outcome.status.success() {
        notes.push(format!(
            "`codemod apply` failed ({}); stderr: {}",
            apply_outcome.describe(),
            tail(&fs::read_to_string(&apply_stderr).unwrap_or_default(), 3)
        ));
    }

    // 3. Which files changed, and do they still parse?
    let copies = list_files(&copy)?;
    let mut changed = Vec::new();
    for (original, before) in originals.iter().zip(&original_bytes) {
        let rel = original.strip_prefix(&tree.path)?;
        let after = copy.join(rel);
        match fs::read(&after) {
            Ok(bytes) if bytes == *before => {}
            Ok(_) => changed.push((original.clone(), after, rel.to_path_buf())),
            Err(_) => notes.push(format!("`codemod apply` removed {}", rel.display())),
        }
    }
    if copies.len() > originals.len() {
        notes.push(format!(
            "`codemod apply` created {} new .py files",
            copies.len() - originals.len()
        ));
    }
    let checks = check_parses(&venv.python, &changed)?;
    let added_imports =
        imports::added_imports(&venv.python, &imports::package_roots(&copy)?, &changed)?;
    let mut invalid_output_files = Vec::new();
    let mut changed_unparseable_inputs = Vec::new();
    for ((_, _, rel), check) in changed.iter().zip(&checks) {
        let rel = rel.display().to_string();
        match (&check.orig, &check.new) {
            (None, Some(err)) => invalid_output_files.push(format!("{rel}: {err}")),
            (Some(_), _) => changed_unparseable_inputs.push(rel),
            (None, None) => {}
        }
    }
    if !changed_unparseable_inputs.is_empty() {
        notes.push(format!(
            "{} changed files did not parse with CPython before the rewrite",
            changed_unparseable_inputs.len()
        ));
    }
    if plan_ok && apply_outcome.status.success() && changed.len() as u64 != s.files_changed {
        notes.push(format!(
            "plan's summary.files_changed is {}, `apply --all --include-review` changed {} files",
            s.files_changed,
            changed.len()
        ));
    }

    // 4. Idempotency: planning the rewritten copy must apply nothing.
    // Meaningless when apply crashed half-way (already counted as a panic).
    let replan = if apply_outcome.crashed() {
        notes.push("idempotency not checked because `codemod apply` crashed".to_string());
        Plan::default()
    } else {
        let (replan_outcome, replan, replan_notes) =
            run_plan(codemod, &copy, &run_dir, "replan", timeout)?;
        notes.extend(replan_notes);
        panics += u64::from(replan_outcome.crashed());
        tool_failures += u64::from(replan.is_none() && !replan_outcome.crashed());
        replan.unwrap_or_default()
    };
    let replan_internal = replan
        .errors
        .iter()
        .filter(|e| e.kind == "internal")
        .count() as u64;
    panics += replan_internal;
    for e in replan.errors.iter().filter(|e| e.kind == "internal") {
        notes.push(format!(
            "internal error after apply: {}: {}",
            e.path, e.message
        ));
    }
    let non_idempotent_files: Vec<String> = replan
        .files
        .iter()
        .filter(|f| f.rewrites.iter().any(|r| r.applied))
        .map(|f| relative(&f.path, &copy))
        .collect();

    Ok(PackageReport {
        spec: tree.spec.clone(),
        package: tree.id.clone(),
        archive: file_name(&tree.archive),
        archive_bytes: tree.archive_bytes,
        tree: tree.path.display().to_string(),
        py_files: originals.len(),
        files_scanned: s.files_scanned,
        files_parsed: s.files_parsed,
        files_with_findings: plan.files.iter().filter(|f| !f.rewrites.is_empty()).count() as u64,
        files_changed_by_plan: s.files_changed,
        files_changed_by_apply: changed.len() as u64,
        blocks: s.blocks_by_kind.values().sum(),
        blocks_by_kind: s.blocks_by_kind.clone(),
        safe: now.safe,
        review: now.review,
        manual: now.manual,
        input_parse_failures,
        internal_errors,
        invalid_outputs: invalid_output_files.len() as u64,
        invalid_output_files,
        changed_unparseable_inputs,
        non_idempotent: non_idempotent_files.len() as u64,
        non_idempotent_files,
        panics,
        tool_failures,
        plan_wall_s: plan_wall.as_secs_f64(),
        plan_peak_rss_mb: plan_rss_kb as f64 / 1024.0,
        apply_wall_s: apply_outcome.wall.as_secs_f64(),
        ruff_wall_s: ruff_wall.map_or(f64::NAN, |w| w.as_secs_f64()),
        ruff_sim115_findings: ruff_findings,
        guards_found: guard.guards.len() as u64,
        guard,
        imports_added: added_imports.len() as u64,
        imports_resolving: added_imports.iter().filter(|a| a.resolves).count() as u64,
        added_imports,
        notes,
        baseline: baseline_counts,
        review_kinds,
    })
}

/// Runs `codemod guard --format json dir`; returns what it says and 1 if it crashed.
fn run_guard(
    codemod: &Path,
    dir: &Path,
    run_dir: &Path,
    timeout: Duration,
    notes: &mut Vec<String>,
) -> Result<(GuardFacts, u64)> {
    let stdout = run_dir.join("guard.json");
    let stderr = run_dir.join("guard.stderr");
    let mut cmd = Command::new(codemod);
    cmd.args(["guard", "--format", "json"]).arg(dir);
    let outcome = run_measured(cmd, &stdout, &stderr, timeout)?;
    let facts = match GuardFacts::parse(&fs::read(&stdout)?) {
        Ok(facts) => facts,
        Err(err) => {
            notes.push(format!(
                "`codemod guard` printed no valid JSON ({err}); {}; stderr: {}",
                outcome.describe(),
                tail(&fs::read_to_string(&stderr).unwrap_or_default(), 3)
            ));
            GuardFacts::default()
        }
    };
    Ok((facts, u64::from(outcome.crashed())))
}

/// `path` relative to `root` when it lies under it (codemod may print either).
fn relative(path: &str, root: &Path) -> String {
    Path::new(path)
        .strip_prefix(root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_string())
}

fn write_findings(path: &Path, plan: &Plan, root: &Path) -> Result<()> {
    let mut out = String::new();
    for file in &plan.files {
        let rel = relative(&file.path, root);
        for r in &file.rewrites {
            let applied = if r.applied { "" } else { " (not applied)" };
            writeln!(
                out,
                "{rel}:{}:{} {} {}{applied} {}",
                r.line, r.column, r.kind, r.safety, r.reason
            )?;
        }
    }
    for e in &plan.errors {
        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        writeln!(
            out,
            "{}{line} error-{} {}",
            relative(&e.path, root),
            e.kind,
            e.message.replace('\n', " ")
        )?;
    }
    fs::write(path, out)?;
    Ok(())
}

#[derive(Deserialize)]
struct ParseCheck {
    orig: Option<String>,
    new: Option<String>,
}

/// Parses the original and rewritten version of every changed file with
/// CPython's `ast`, in one process.
fn check_parses(python: &Path, changed: &[(PathBuf, PathBuf, PathBuf)]) -> Result<Vec<ParseCheck>> {
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    const SCRIPT: &str = r#"
import ast, json, sys, warnings
warnings.simplefilter("ignore")
def error(path):
    try:
        with open(path, "rb") as f:
            ast.parse(f.read(), filename=path)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError) as e:
        return "%s: %s" % (type(e).__name__, e)
    return None
json.dump([{"orig": error(o), "new": error(n)} for o, n in json.load(sys.stdin)], sys.stdout)
"#;
    let pairs: Vec<(&Path, &Path)> = changed
        .iter()
        .map(|(o, n, _)| (o.as_path(), n.as_path()))
        .collect();
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("spawning python for the parse check")?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(&serde_json::to_vec(&pairs)?)?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("python parse check failed ({})", output.status);
    }
    let checks: Vec<ParseCheck> = serde_json::from_slice(&output.stdout)?;
    if checks.len() != changed.len() {
        bail!(
            "python parse check returned {} results for {} files",
            checks.len(),
            changed.len()
        );
    }
    Ok(checks)
}

// ---------------------------------------------------------------------------
// Report

#[derive(Serialize)]
struct Failure {
    spec: String,
    error: String,
}

#[derive(Serialize, Default)]
struct Totals {
    py_files: usize,
    files_scanned: u64,
    files_parsed: u64,
    files_with_findings: u64,
    blocks: u64,
    safe: u64,
    review: u64,
    manual: u64,
    input_parse_failures: u64,
    invalid_outputs: u64,
    non_idempotent: u64,
    panics: u64,
    tool_failures: u64,
    guards_found: u64,
    imports_added: u64,
    imports_resolving: u64,
    plan_wall_s: f64,
    ruff_wall_s: f64,
    max_plan_peak_rss_mb: f64,
}

impl Totals {
    fn of(reports: &[PackageReport]) -> Self {
        let mut t = Totals::default();
        for r in reports {
            t.py_files += r.py_files;
            t.files_scanned += r.files_scanned;
            t.files_parsed += r.files_parsed;
            t.files_with_findings += r.files_with_findings;
            t.blocks += r.blocks;
            t.safe += r.safe;
            t.review += r.review;
            t.manual += r.manual;
            t.input_parse_failures += r.input_parse_failures;
            t.invalid_outputs += r.invalid_outputs;
            t.non_idempotent += r.non_idempotent;
            t.panics += r.panics;
            t.tool_failures += r.tool_failures;
            t.guards_found += r.guards_found;
            t.imports_added += r.imports_added;
            t.imports_resolving += r.imports_resolving;
            t.plan_wall_s += r.plan_wall_s;
            t.ruff_wall_s += r.ruff_wall_s;
            t.max_plan_peak_rss_mb = t.max_plan_peak_rss_mb.max(r.plan_peak_rss_mb);
        }
        t
    }
}

#[derive(Serialize)]
struct FullReport {
    codemod: String,
    ruff_version: String,
    python: String,
    /// Wall times are the fastest of this many runs.
    repeat: usize,
    packages: Vec<PackageReport>,
    totals: Totals,
    failures: Vec<Failure>,
}

fn render_markdown(report: &FullReport) -> String {
    let mut out = String::new();
    out.push_str("| package | files | files parsed | files with findings | blocks | safe | review | manual | input parse failures | invalid outputs | non-idempotent | panics | codemod plan wall s | ruff SIM115 wall s | peak RSS MB |\n");
    out.push_str("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for r in &report.packages {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.1} |",
            r.package,
            r.files_scanned,
            r.files_parsed,
            r.files_with_findings,
            r.blocks,
            r.safe,
            r.review,
            r.manual,
            r.input_parse_failures,
            r.invalid_outputs,
            r.non_idempotent,
            r.panics,
            r.plan_wall_s,
            r.ruff_wall_s,
            r.plan_peak_rss_mb
        );
    }
    let t = &report.totals;
    let _ = writeln!(
        out,
        "| **total** | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.1} (max) |",
        t.files_scanned,
        t.files_parsed,
        t.files_with_findings,
        t.blocks,
        t.safe,
        t.review,
        t.manual,
        t.input_parse_failures,
        t.invalid_outputs,
        t.non_idempotent,
        t.panics,
        t.plan_wall_s,
        t.ruff_wall_s,
        t.max_plan_peak_rss_mb
    );
    let _ = writeln!(
        out,
        "\ncodemod: `{}`; ruff {} (`check --select SIM115 --no-cache --exit-zero --isolated`); wall times are the fastest of {} runs, peak RSS the largest; panics = internal errors + exit 101 / signal / timeout of plan, apply or re-plan.",
        report.codemod, report.ruff_version, report.repeat
    );
    let rows: Vec<classes::Row> = report
        .packages
        .iter()
        .map(|r| classes::Row {
            package: &r.package,
            now: classes::ClassCounts {
                safe: r.safe,
                review: r.review,
                manual: r.manual,
            },
            baseline: r.baseline,
        })
        .collect();
    let mut kinds = BTreeMap::new();
    for r in &report.packages {
        for (k, n) in &r.review_kinds {
            *kinds.entry(k.clone()).or_default() += n;
        }
    }
    out.push_str(&classes::render(&rows, &kinds));
    out.push_str(&render_guards(report));
    out.push_str(&render_unresolved(report));
    if t.tool_failures > 0 {
        let _ = writeln!(
            out,
            "\n**{} codemod plan runs printed no usable JSON** (see notes).",
            t.tool_failures
        );
    }
    let mut notes = String::new();
    for r in &report.packages {
        let files = r
            .invalid_output_files
            .iter()
            .map(|f| format!("invalid output: {f}"))
            .chain(
                r.non_idempotent_files
                    .iter()
                    .map(|f| format!("non-idempotent: {f}")),
            );
        let lines: Vec<String> = r.notes.iter().cloned().chain(files).collect();
        for line in lines.iter().take(MAX_NOTES) {
            let _ = writeln!(notes, "- {}: {}", r.package, line);
        }
        if lines.len() > MAX_NOTES {
            let _ = writeln!(
                notes,
                "- {}: ... {} more in report.json",
                r.package,
                lines.len() - MAX_NOTES
            );
        }
    }
    for f in &report.failures {
        let _ = writeln!(notes, "- {}: FAILED: {}", f.spec, f.error);
    }
    if !notes.is_empty() {
        out.push_str("\nNotes:\n");
        out.push_str(&notes);
    }
    out
}

/// Per package: guards found, the targets chosen, rewrites by class, added imports.
fn render_guards(report: &FullReport) -> String {
    let mut out = String::from(
        "\n| package | guards found | sync target | async target | safe | review | manual | imports added | imports resolving |\n\
         |---|--:|---|---|--:|--:|--:|--:|--:|\n",
    );
    let target =
        |t: &Option<guards::Target>| t.as_ref().map_or("none".to_string(), |t| t.describe());
    for r in &report.packages {
        let listed = if r.guard.listed { "" } else { " (no list)" };
        let _ = writeln!(
            out,
            "| {} | {}{listed} | {} | {} | {} | {} | {} | {} | {} |",
            r.package,
            r.guards_found,
            target(&r.guard.sync),
            target(&r.guard.r#async),
            r.safe,
            r.review,
            r.manual,
            r.imports_added,
            r.imports_resolving
        );
    }
    let t = &report.totals;
    let _ = writeln!(
        out,
        "| **total** | {} | | | {} | {} | {} | {} | {} |",
        t.guards_found, t.safe, t.review, t.manual, t.imports_added, t.imports_resolving
    );
    out.push_str(
        "\nGuards and targets from `codemod guard --format json` (source: `discovered`, `config` or \
         `sqlalchemy-begin` = the `F.begin()` fallback; `uses ?` and `(no list)`: this codemod does not \
         report them). Imports: names `apply --all --include-review` added (new statements or joined \
         onto an existing `from X import ...`), resolved by `xtask/src/corpus/added_imports.py` in the \
         package tree.\n",
    );
    out
}

/// Added imports that do not resolve, then those whose module imports the file back.
fn render_unresolved(report: &FullReport) -> String {
    let unresolved = render_imports(report, |a| !a.resolves);
    let back = render_imports(report, |a| a.resolves && a.imports_back);
    let mut out = String::new();
    if !unresolved.is_empty() {
        out = format!("\n**Unresolved added imports:**\n{unresolved}");
    }
    if !back.is_empty() {
        let _ = write!(
            out,
            "\nAdded imports whose module imports the rewritten module back at its top level \
             (possible import cycle; not a gate):\n{back}"
        );
    }
    out
}

/// One line per added import that `pick` selects, at most MAX_NOTES per package.
fn render_imports(report: &FullReport, pick: impl Fn(&AddedImport) -> bool) -> String {
    let mut out = String::new();
    for r in &report.packages {
        let picked: Vec<&AddedImport> = r.added_imports.iter().filter(|a| pick(a)).collect();
        for a in picked.iter().take(MAX_NOTES) {
            let _ = writeln!(
                out,
                "- {}: {}:{} `{}`: {}",
                r.package, a.file, a.line, a.statement, a.detail
            );
        }
        if picked.len() > MAX_NOTES {
            let _ = writeln!(
                out,
                "- {}: ... {} more in report.json",
                r.package,
                picked.len() - MAX_NOTES
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions_from_archives() {
        let cases = [
            (
                "apache_airflow-1.10.15-py2.py3-none-any.whl",
                "apache_airflow",
                "1.10.15",
            ),
            ("apache-superset-3.1.3.tar.gz", "apache-superset", "3.1.3"),
            ("ckan-2.10.4.zip", "ckan", "2.10.4"),
        ];
        for (file, name, version) in cases {
            let (n, v) = archive_name_version(Path::new(file)).unwrap();
            assert_eq!((n.as_str(), v.as_str()), (name, version), "{file}");
        }
        assert!(archive_name_version(Path::new("README")).is_err());
    }

    #[test]
    fn pep503_names_and_slugs() {
        assert_eq!(normalize_name("Flask_AppBuilder"), "flask-appbuilder");
        assert_eq!(normalize_name("zope..interface"), "zope-interface");
        assert_eq!(slug("mlflow>=2,<3"), "mlflow__2__3");
    }

    #[test]
    fn cache_inside_the_repository_is_refused() {
        let root = workspace_root();
        assert!(ensure_outside(&root.join("target/not-yet/corpus"), &root).is_err());
        let outside = tempfile::tempdir().unwrap();
        assert!(ensure_outside(&outside.path().join("a/b"), &root).is_ok());
    }

    fn import(statement: &str, resolves: bool, imports_back: bool) -> AddedImport {
        AddedImport {
            file: "app/x.py".to_string(),
            line: 3,
            statement: statement.to_string(),
            joined: false,
            resolves,
            detail: "why".to_string(),
            imports_back,
        }
    }

    #[test]
    fn unresolved_imports_are_listed_and_fail_the_gate() {
        let package = PackageReport {
            package: "pkg-1.0".to_string(),
            imports_added: 3,
            imports_resolving: 2,
            added_imports: vec![
                import("from app.db import get_db_session", true, false),
                import("from app.db import missing", false, false),
                import("from app.settings import scope", true, true),
            ],
            ..PackageReport::default()
        };
        let report = FullReport {
            codemod: "codemod".to_string(),
            ruff_version: DEFAULT_RUFF.to_string(),
            python: "python".to_string(),
            repeat: 1,
            totals: Totals::of(std::slice::from_ref(&package)),
            packages: vec![package],
            failures: Vec::new(),
        };
        let md = render_markdown(&report);
        assert!(
            md.contains("**Unresolved added imports:**\n- pkg-1.0: app/x.py:3 `from app.db import missing`: why\n"),
            "{md}"
        );
        assert!(md.contains("possible import cycle"), "{md}");
        assert!(
            md.contains("| pkg-1.0 | 0 (no list) | none | none | 0 | 0 | 0 | 3 | 2 |"),
            "{md}"
        );
        let md_path = Path::new("report.md");
        assert_eq!(gate(&report.totals, 0, md_path), ExitCode::FAILURE);
        let ok = Totals {
            imports_added: 2,
            imports_resolving: 2,
            ..Totals::default()
        };
        assert_eq!(gate(&ok, 0, md_path), ExitCode::SUCCESS);
    }

    #[test]
    fn measured_run_reports_exit_code_and_rss() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; exit 101"]);
        let outcome = run_measured(
            cmd,
            &dir.path().join("o"),
            &dir.path().join("e"),
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(outcome.crashed());
        assert!(outcome.max_rss_kb > 0);
        assert_eq!(fs::read_to_string(dir.path().join("o")).unwrap(), "out\n");
    }
}
