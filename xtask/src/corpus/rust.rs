//! `cargo xtask corpus --lang rust`: run `codemod` over a fixed set of crates.io crates.
//!
//! For every crate it downloads the `.crate` tarball into `<cache>/rust/` (kept across
//! runs), then, in a fresh copy of the crate: `cargo check`s it, plans it, applies the
//! safe and review rewrites, re-parses every changed file with `lang_rust`, plans again
//! (idempotency) and `cargo check`s it again. The gate fails on an invalid output, a file
//! that is not idempotent, a panic, or a crate that checked before `apply` and not after.

mod check;
mod measure;
mod report;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use super::{
    absolute, build_codemod, default_cache_dir, ensure_outside, tail, workspace_root, Args,
};

/// One crate of the corpus and how to `cargo check` it.
struct CrateSpec {
    name: &'static str,
    version: &'static str,
    /// Database driver (or ORM) the crate's transactions go through.
    driver: &'static str,
    /// Extra `cargo check` arguments: features that compile the files with findings
    /// (and leave out heavy optional dependencies), `--tests` where findings are in tests.
    check_args: &'static [&'static str],
}

/// Crates measured when no `--package` is given. Findings are `lang_rust::analyze` over
/// every `.rs` file of the tarball, counted 2026-12-04 (RS001 manual-transaction, RS002
/// redundant-rollback, RS003 raw-sql-transaction, RS004 uncommitted-transaction, RS005
/// double-management; "test" = inside test code).
const DEFAULT_CRATES: &[CrateSpec] = &[
    // Task database library behind Taskwarrior 3; rusqlite storage and local sync server
    // with `let t = self.con.transaction()?` per operation, read-only ones never committed.
    // RS004 x21 (manual).
    CrateSpec {
        name: "taskchampion",
        version: "3.1.0",
        driver: "rusqlite",
        check_args: &[
            "--no-default-features",
            "--features",
            "storage-sqlite,server-local,bundled",
        ],
    },
    // Zcash light-wallet storage library: `conn.execute("BEGIN IMMEDIATE", [])` then `COMMIT`
    // or `ROLLBACK` by hand (chain.rs), a deliberate `tx.rollback()` returned as the result
    // (commitment_tree.rs), an `unchecked_transaction` dropped on `Ok` (pool_migration).
    // RS002 x1, RS003 x3 (+1 test), RS004 x1 (all manual).
    CrateSpec {
        name: "zcash_client_sqlite",
        version: "0.23.0",
        driver: "rusqlite",
        check_args: &["--no-default-features"],
    },
    // Migration library (refinery's core) for rusqlite / postgres / mysql / SQL Server: the
    // tiberius driver sends `BEGIN TRAN` / `ROLLBACK` / `COMMIT` as SQL text. RS003 x3.
    CrateSpec {
        name: "refinery-core",
        version: "0.10.1",
        driver: "rusqlite, tiberius",
        check_args: &["--features", "rusqlite,tiberius-config"],
    },
    // Kanidm identity server's core (an application crate): its SQLite backend opens
    // transactions with `conn.execute("BEGIN DEFERRED TRANSACTION" / "BEGIN EXCLUSIVE
    // TRANSACTION", [])` and commits or rolls back by hand (be/idl_sqlite.rs). RS003 x2.
    CrateSpec {
        name: "kanidmd_lib",
        version: "1.7.4",
        driver: "rusqlite",
        check_args: &[],
    },
    // Atuin shell-history client (application): sqlx SQLite databases, `BEGIN` / `COMMIT` as
    // SQL in tests (meta.rs), a rusqlite `transaction_with_behavior(Immediate)` dropped on an
    // early `Ok` (ai_session/database/write.rs). RS003 x2 (test), RS004 x1.
    CrateSpec {
        name: "atuin-client",
        version: "18.24.4",
        driver: "sqlx (sqlite), rusqlite",
        check_args: &["--no-default-features"],
    },
    // Postgres message-queue client library: sqlx transactions (`pool.begin().await?`)
    // returned from early on `Ok` in install/mod.rs and pg_ext/mod.rs. RS004 x2.
    CrateSpec {
        name: "pgmq",
        version: "0.34.0-alpha.7",
        driver: "sqlx (postgres)",
        check_args: &[],
    },
    // ORM with its own driver layer: `tx.rollback().await` before `return Err` in its
    // transaction tests; one test file has CRLF line ends. RS002 x1 (review, test).
    CrateSpec {
        name: "rbatis",
        version: "4.9.8",
        driver: "rbatis (rbdc)",
        check_args: &["--tests"],
    },
    // The ORM itself: a rollback next to a macro call in its transaction tests.
    // RS002 x1 (manual, test).
    CrateSpec {
        name: "sea-orm",
        version: "2.0.4",
        driver: "sea-orm (sqlx sqlite)",
        check_args: &["--features", "sqlx-sqlite,runtime-tokio"],
    },
    // The ORM itself, sqlite backend: `BEGIN` as SQL text in a connection-hook test.
    // RS003 x1 (test). Its tests need the unpublished `diesel_test_helper`: the library only.
    CrateSpec {
        name: "diesel",
        version: "2.4.0",
        driver: "diesel (sqlite)",
        check_args: &["--features", "sqlite"],
    },
];

/// A first `cargo check` of a crate compiles all its dependencies: allow that much.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3600);

/// One crate requested on the command line, with the check arguments it is measured with.
struct Requested {
    name: String,
    version: String,
    driver: String,
    check_args: Vec<String>,
}

impl Requested {
    fn id(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }
}

pub(super) fn run(args: &Args) -> Result<ExitCode> {
    let workspace = workspace_root();
    let cache = match &args.cache {
        Some(dir) => absolute(dir)?,
        None => default_cache_dir()?,
    };
    ensure_outside(&cache, &workspace)?;
    let rust_cache = cache.join("rust");
    fs::create_dir_all(&rust_cache)
        .with_context(|| format!("creating {}", rust_cache.display()))?;
    eprintln!("corpus: rust cache at {}", rust_cache.display());
    if args.baseline.is_some() {
        eprintln!("corpus: --baseline is not supported with --lang rust; ignored");
    }
    let requested = requested_crates(&args.packages)?;

    let mut trees = Vec::new();
    let mut failures = Vec::new();
    for krate in requested {
        match fetch_crate(&rust_cache, &krate) {
            Ok(tree) => trees.push((krate, tree)),
            Err(err) => {
                eprintln!("corpus: {}: FAILED: {err:#}", krate.id());
                failures.push(report::Failure::new(&krate.id(), &err));
            }
        }
    }
    let codemod = match &args.codemod {
        Some(path) => absolute(path)?,
        None => build_codemod(&workspace)?,
    };
    eprintln!("corpus: codemod binary {}", codemod.display());

    let settings = measure::Settings {
        cache: rust_cache.clone(),
        codemod,
        timeout: Duration::from_secs(args.timeout),
        repeat: args.repeat.max(1),
        list_findings: args.list_findings,
    };
    let mut crates = Vec::new();
    for (krate, tree) in &trees {
        eprintln!("corpus: measuring {}", krate.id());
        match measure::measure(&settings, krate, tree) {
            Ok(measured) => crates.push(measured),
            Err(err) => {
                eprintln!("corpus: {}: FAILED: {err:#}", krate.id());
                failures.push(report::Failure::new(&krate.id(), &err));
            }
        }
    }
    report::write(&cache, &settings.codemod, crates, failures)
}

/// The `--package name==version` crates, or DEFAULT_CRATES; a listed crate keeps its
/// check arguments when asked for by name and version.
fn requested_crates(packages: &[String]) -> Result<Vec<Requested>> {
    let listed = |c: &CrateSpec| Requested {
        name: c.name.to_string(),
        version: c.version.to_string(),
        driver: c.driver.to_string(),
        check_args: c.check_args.iter().map(|a| a.to_string()).collect(),
    };
    if packages.is_empty() {
        return Ok(DEFAULT_CRATES.iter().map(listed).collect());
    }
    packages
        .iter()
        .map(|spec| {
            let (name, version) = spec
                .split_once("==")
                .map(|(n, v)| (n.trim(), v.trim()))
                .filter(|(n, v)| !n.is_empty() && !v.is_empty())
                .ok_or_else(|| anyhow!("--package {spec}: expected NAME==VERSION for a crate"))?;
            Ok(DEFAULT_CRATES
                .iter()
                .find(|c| c.name == name && c.version == version)
                .map(listed)
                .unwrap_or_else(|| Requested {
                    name: name.to_string(),
                    version: version.to_string(),
                    driver: "?".to_string(),
                    check_args: Vec::new(),
                }))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Download and extraction

/// One extracted crate: the pristine tree every run copies from.
struct Tree {
    path: PathBuf,
    rs_files: usize,
    /// True when the tarball had no Cargo.lock and one was generated at extraction.
    generated_lockfile: bool,
}

fn fetch_crate(cache: &Path, krate: &Requested) -> Result<Tree> {
    let id = krate.id();
    let downloads = cache.join("downloads");
    fs::create_dir_all(&downloads)?;
    let archive = downloads.join(format!("{id}.crate"));
    if archive.is_file() {
        eprintln!("corpus: {id}: cached {}", archive.display());
    } else {
        download(krate, &archive)?;
    }
    let tree = cache.join("trees").join(&id);
    if tree.is_dir() {
        eprintln!("corpus: {id}: tree {} already extracted", tree.display());
    } else {
        extract(&archive, &id, &tree, cache)?;
    }
    let rs_files = list_rs_files(&tree)?.len();
    eprintln!("corpus: {id}: {rs_files} .rs files");
    Ok(Tree {
        generated_lockfile: tree.join(GENERATED_LOCK_MARK).exists(),
        path: tree,
        rs_files,
    })
}

/// Beside a Cargo.lock that extraction generated (kept outside the copies measured).
const GENERATED_LOCK_MARK: &str = ".corpus-generated-lockfile";

fn download(krate: &Requested, archive: &Path) -> Result<()> {
    let url = format!(
        "https://static.crates.io/crates/{0}/{0}-{1}.crate",
        krate.name, krate.version
    );
    eprintln!("corpus: {}: downloading {url}", krate.id());
    // Download beside the archive and rename, so an interrupted download is never kept.
    let partial = archive.with_extension("crate.partial");
    let output = Command::new("curl")
        .args(["--fail", "--silent", "--show-error", "--location", "-o"])
        .arg(&partial)
        .arg(&url)
        .stdin(Stdio::null())
        .output()
        .context("running curl")?;
    if !output.status.success() {
        let _ = fs::remove_file(&partial);
        bail!(
            "downloading {url} failed ({}): {}",
            output.status,
            tail(&String::from_utf8_lossy(&output.stderr), 3)
        );
    }
    fs::rename(&partial, archive)?;
    Ok(())
}

/// Extracts `<id>/` of the tarball into `tree`, generating a Cargo.lock when it has none.
/// Works in a staging directory renamed at the end, so no half-filled tree is left behind.
fn extract(archive: &Path, id: &str, tree: &Path, cache: &Path) -> Result<()> {
    fs::create_dir_all(tree.parent().expect("tree has a parent"))?;
    let staging = tempfile::Builder::new()
        .prefix(".extract-")
        .tempdir_in(cache)?;
    let status = Command::new("tar")
        .arg("xzf")
        .arg(archive)
        .arg("-C")
        .arg(staging.path())
        .status()
        .context("running tar")?;
    if !status.success() {
        bail!("extracting {} failed ({status})", archive.display());
    }
    let root = staging.path().join(id);
    if !root.join("Cargo.toml").is_file() {
        bail!("{} has no {id}/Cargo.toml", archive.display());
    }
    if !root.join("Cargo.lock").exists() {
        eprintln!("corpus: {id}: no Cargo.lock in the tarball, generating one");
        let status = Command::new(cargo())
            .arg("generate-lockfile")
            .current_dir(&root)
            .status()
            .context("running cargo generate-lockfile")?;
        if !status.success() {
            bail!("cargo generate-lockfile in {id} failed ({status})");
        }
        fs::write(root.join(GENERATED_LOCK_MARK), "")?;
    }
    fs::rename(&root, tree).with_context(|| format!("moving tree to {}", tree.display()))?;
    Ok(())
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Every regular `.rs` file under `dir` (symlinks are not followed), sorted.
fn list_rs_files(dir: &Path) -> Result<Vec<PathBuf>> {
    super::list_files_with(dir, "rs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_specs_name_crates() {
        let asked = requested_crates(&["rbatis==4.9.8".to_string()]).unwrap();
        assert_eq!(asked[0].id(), "rbatis-4.9.8");
        assert_eq!(asked[0].check_args, ["--tests"]);
        let other = requested_crates(&["rusqlite_migration==1.2.0".to_string()]).unwrap();
        assert_eq!(other[0].id(), "rusqlite_migration-1.2.0");
        assert!(other[0].check_args.is_empty());
        assert!(requested_crates(&["rusqlite>=1".to_string()]).is_err());
        assert_eq!(requested_crates(&[]).unwrap().len(), DEFAULT_CRATES.len());
    }
}
