//! Rust equivalence harness: rewrites a crate with `lang_rust` to a fixed point, generates a
//! runner crate that holds the code before and after the rewrite, builds it and runs it.
//!
//! The generated crate (a small workspace) lives in a directory the caller picks:
//!
//! ```text
//! <out>/Cargo.toml        the runner package, with the example's dependencies
//! <out>/Cargo.lock        the example's lock, so the dependency versions are the same
//! <out>/before/, after/   the example crate before and after the rewrite, as the
//!                         libraries `before` and `after`
//! <out>/src/main.rs       runner/main.rs: faults, database dumps, comparison, report
//! <out>/src/scenarios.rs  generated from scenarios.toml: one `call` arm per scenario
//! ```
//!
//! Files are written only when their content changes, so a second run rebuilds nothing.
//! Used by `crates/lang-rust/tests/equivalence.rs` and `example_crate.rs` through `#[path]`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lang_rust::{analyze, apply_edits, edition_from_cargo_toml, Safety, TextEdit};
use ra_ap_syntax::ast::{self, HasName};
use ra_ap_syntax::AstNode;

/// More rounds than this means the rewrite keeps finding new work: a bug.
const MAX_ROUNDS: usize = 5;

/// A crate as text: its manifest, its lock and every `.rs` file under `src/`.
#[derive(Debug, Clone)]
pub struct CrateFiles {
    pub manifest: String,
    pub lock: String,
    /// Keyed by the path relative to `src/`.
    pub sources: BTreeMap<PathBuf, String>,
}

impl CrateFiles {
    pub fn read(dir: &Path) -> std::io::Result<CrateFiles> {
        let mut sources = BTreeMap::new();
        collect_rs(&dir.join("src"), Path::new(""), &mut sources)?;
        Ok(CrateFiles {
            manifest: std::fs::read_to_string(dir.join("Cargo.toml"))?,
            lock: std::fs::read_to_string(dir.join("Cargo.lock"))?,
            sources,
        })
    }

    /// The same crate with other sources.
    pub fn with_sources(&self, sources: BTreeMap<PathBuf, String>) -> CrateFiles {
        CrateFiles {
            sources,
            ..self.clone()
        }
    }

    /// Write the crate to `dir` as a workspace of its own, as package `name`.
    pub fn write_standalone(&self, dir: &Path, name: &str) -> std::io::Result<()> {
        // Under the repository's target directory, cargo would otherwise take the
        // repository's workspace for this package's.
        let manifest = format!("{}\n[workspace]\n", self.manifest.trim_end());
        CrateFiles {
            manifest,
            ..self.clone()
        }
        .write(dir, name, None)
    }

    /// Write the crate to `dir` as package `name` (with library `lib`, if given); stale
    /// `.rs` files under `src/` go.
    pub fn write(&self, dir: &Path, name: &str, lib: Option<&str>) -> std::io::Result<()> {
        let mut manifest: toml::Table = self.manifest.parse().expect("example manifest");
        let old_name = manifest["package"]["name"].as_str().unwrap_or_default();
        // The lock names the package too; renamed there, it stays usable with `--locked`.
        let lock = self.lock.replace(
            &format!("name = \"{old_name}\"\n"),
            &format!("name = \"{name}\"\n"),
        );
        manifest["package"]["name"] = toml::Value::String(name.to_string());
        if let Some(lib) = lib {
            let table = manifest
                .entry("lib")
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let table = table.as_table_mut().expect("[lib] is a table");
            table.insert("name".into(), toml::Value::String(lib.to_string()));
        }
        write_if_changed(&dir.join("Cargo.toml"), &manifest.to_string())?;
        write_if_changed(&dir.join("Cargo.lock"), &lock)?;
        let mut existing = BTreeMap::new();
        if dir.join("src").is_dir() {
            collect_rs(&dir.join("src"), Path::new(""), &mut existing)?;
        }
        for stale in existing.keys().filter(|p| !self.sources.contains_key(*p)) {
            std::fs::remove_file(dir.join("src").join(stale))?;
        }
        for (path, text) in &self.sources {
            write_if_changed(&dir.join("src").join(path), text)?;
        }
        Ok(())
    }
}

fn collect_rs(dir: &Path, rel: &Path, out: &mut BTreeMap<PathBuf, String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = rel.join(path.file_name().expect("entry name"));
        if path.is_dir() {
            collect_rs(&path, &name, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.insert(name, std::fs::read_to_string(&path)?);
        }
    }
    Ok(())
}

pub fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

/// A function whose body one round of the rewrite changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rewritten {
    /// `module::function`, the path from the crate root.
    pub function: String,
    pub code: &'static str,
    pub safety: Safety,
}

/// The sources after rewriting to a fixed point.
#[derive(Debug, Clone)]
pub struct Rewrite {
    pub after: BTreeMap<PathBuf, String>,
    /// Rounds run, the last of which planned nothing.
    pub rounds: usize,
    pub functions: BTreeSet<Rewritten>,
}

/// Apply every `Safe` and `Review` edit, re-analyse and repeat until nothing is planned.
pub fn rewrite_to_fixed_point(files: &CrateFiles) -> Rewrite {
    let edition = edition_from_cargo_toml(&files.manifest);
    let mut after = files.sources.clone();
    let mut functions = BTreeSet::new();
    for round in 1..=MAX_ROUNDS {
        let mut changed = false;
        for (path, text) in after.iter_mut() {
            let analysis = analyze(text, edition, false);
            let planned: Vec<_> = analysis
                .findings
                .iter()
                .filter(|f| matches!(f.safety, Safety::Safe | Safety::Review))
                .filter(|f| !f.edits.is_empty())
                .collect();
            for f in &planned {
                functions.insert(Rewritten {
                    function: function_at(path, text, f.range.start),
                    code: f.kind.code(),
                    safety: f.safety,
                });
            }
            let mut edits: Vec<TextEdit> = planned.iter().flat_map(|f| f.edits.clone()).collect();
            edits.sort_by_key(|e| (e.range.start, e.range.end));
            if !edits.is_empty() {
                *text = apply_edits(text, &edits);
                changed = true;
            }
        }
        if !changed {
            return Rewrite {
                after,
                rounds: round,
                functions,
            };
        }
    }
    panic!("the rewrite found new edits in each of {MAX_ROUNDS} rounds");
}

/// The module path of a file under `src/`: `store.rs` -> `store`, `lib.rs` -> ``.
pub fn module_of(path: &Path) -> String {
    let mut parts: Vec<String> = path
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("lib" | "main" | "mod")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// `module::function` of the innermost named function around `offset` (methods as
/// `module::Type::method`).
pub fn function_at(path: &Path, text: &str, offset: usize) -> String {
    let file = ast::SourceFile::parse(text, ra_ap_syntax::Edition::Edition2021).tree();
    let mut names = vec![module_of(path)];
    let at = ra_ap_syntax::TextSize::from(offset as u32);
    let token = file.syntax().token_at_offset(at).right_biased();
    let mut inner: Vec<String> = Vec::new();
    for node in token.iter().flat_map(|t| t.parent_ancestors()) {
        if let Some(f) = ast::Fn::cast(node.clone()) {
            inner.push(f.name().map(|n| n.text().to_string()).unwrap_or_default());
        } else if let Some(imp) = ast::Impl::cast(node) {
            if let Some(ty) = imp.self_ty() {
                inner.push(ty.syntax().text().to_string());
            }
        }
    }
    names.extend(inner.into_iter().rev());
    names.retain(|n| !n.is_empty());
    names.join("::")
}

/// One call of `scenarios.toml`.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub function: String,
    pub label: Option<String>,
    pub sqlx: bool,
    pub args: String,
}

impl Scenario {
    pub fn label(&self) -> String {
        match &self.label {
            Some(l) => format!("{} ({l})", self.function),
            None => self.function.clone(),
        }
    }
}

/// `scenarios.toml`: what the database holds and which calls to make.
#[derive(Debug, Clone)]
pub struct Scenarios {
    pub schema: String,
    pub seed: String,
    pub write_faults: u32,
    pub list: Vec<Scenario>,
}

impl Scenarios {
    pub fn parse(text: &str) -> Result<Scenarios, String> {
        let table: toml::Table = text.parse().map_err(|e| format!("scenarios: {e}"))?;
        let text_of = |t: &toml::Table, key: &str| -> Result<String, String> {
            t.get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("scenarios: `{key}` is missing or not a string"))
        };
        let mut list = Vec::new();
        let entries = table.get("scenario").and_then(|v| v.as_array());
        for entry in entries.into_iter().flatten() {
            let t = entry
                .as_table()
                .ok_or("scenarios: a scenario is not a table")?;
            let driver = t
                .get("driver")
                .and_then(|v| v.as_str())
                .unwrap_or("rusqlite");
            if !matches!(driver, "rusqlite" | "sqlx") {
                return Err(format!("scenarios: unknown driver `{driver}`"));
            }
            list.push(Scenario {
                function: text_of(t, "function")?,
                label: t.get("label").and_then(|v| v.as_str()).map(str::to_string),
                sqlx: driver == "sqlx",
                args: text_of(t, "args")?,
            });
        }
        let write_faults = table.get("write_faults").and_then(|v| v.as_integer());
        Ok(Scenarios {
            schema: text_of(&table, "schema")?,
            seed: text_of(&table, "seed")?,
            write_faults: write_faults.unwrap_or(3) as u32,
            list,
        })
    }

    /// Rewritten functions that no scenario calls.
    pub fn uncovered<'a>(&self, rewrite: &'a Rewrite) -> Vec<&'a str> {
        rewrite
            .functions
            .iter()
            .map(|r| r.function.as_str())
            .filter(|f| !self.list.iter().any(|s| s.function == *f))
            .collect()
    }

    /// The runner's `src/scenarios.rs`.
    pub fn to_rust(&self) -> String {
        let mut out = String::from(
            "//! Generated by harness/rust/generate.rs from scenarios.toml: do not edit.\n\n\
             use crate::{outcome, Db, Driver, Scenario};\n\n",
        );
        writeln!(out, "pub const SCHEMA: &str = {};", self.schema).unwrap();
        writeln!(out, "pub const SEED: &str = {:?};", self.seed).unwrap();
        writeln!(
            out,
            "pub const WRITE_FAULTS: u32 = {};\n",
            self.write_faults
        )
        .unwrap();
        out.push_str("pub const SCENARIOS: &[Scenario] = &[\n");
        for s in &self.list {
            let driver = if s.sqlx { "Sqlx" } else { "Rusqlite" };
            writeln!(
                out,
                "    Scenario {{ label: {:?}, driver: Driver::{driver} }},",
                s.label()
            )
            .unwrap();
        }
        out.push_str("];\n\n/// Run scenario `index` against `before` or `after`.\n");
        out.push_str("pub async fn call(index: usize, after: bool, db: Db<'_>) -> String {\n");
        out.push_str("    match (index, after, db) {\n");
        for (i, s) in self.list.iter().enumerate() {
            for (flag, krate) in [(false, "before"), (true, "after")] {
                let (db, wait) = if s.sqlx {
                    ("Db::Sqlx(pool)", ".await")
                } else {
                    ("Db::Rusqlite(conn)", "")
                };
                writeln!(
                    out,
                    "        ({i}, {flag}, {db}) => outcome({krate}::{}({}){wait}),",
                    s.function, s.args
                )
                .unwrap();
            }
        }
        out.push_str("        _ => unreachable!(\"scenario {index} got the other driver\"),\n");
        out.push_str("    }\n}\n");
        out
    }
}

/// The runner's manifest: the example's dependencies plus the two versions. Each runner
/// gets its own package name: runners that share a target directory must not overwrite
/// each other's binary.
fn runner_manifest(example_manifest: &str, runner: &str) -> String {
    let example: toml::Table = example_manifest.parse().expect("example manifest");
    let mut deps = example
        .get("dependencies")
        .and_then(|d| d.as_table())
        .cloned()
        .unwrap_or_default();
    for name in ["before", "after"] {
        let mut dep = toml::Table::new();
        dep.insert("path".into(), toml::Value::String(name.into()));
        dep.insert(
            "package".into(),
            toml::Value::String(format!("{runner}-{name}")),
        );
        deps.insert(name.into(), toml::Value::Table(dep));
    }
    let mut out = format!(
        "# Generated by harness/rust/generate.rs: do not edit.\n\
         [workspace]\nmembers = [\"before\", \"after\"]\n\n\
         [package]\nname = \"{runner}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n",
    );
    let mut table = toml::Table::new();
    table.insert("dependencies".into(), toml::Value::Table(deps));
    out.push_str(&table.to_string());
    out
}

/// Write the runner crate for `before` vs `after` into `out`.
pub fn generate(
    before: &CrateFiles,
    after: &CrateFiles,
    scenarios: &Scenarios,
    out: &Path,
) -> std::io::Result<()> {
    // Cargo hashes path packages by their place in the workspace, so runners sharing a
    // target directory need package names of their own, or their artifacts collide.
    let dir_name = out.file_name().map(|n| n.to_string_lossy().into_owned());
    let runner: String = format!("runner-{}", dir_name.unwrap_or_default())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    before.write(
        &out.join("before"),
        &format!("{runner}-before"),
        Some("before"),
    )?;
    after.write(
        &out.join("after"),
        &format!("{runner}-after"),
        Some("after"),
    )?;
    let manifest = runner_manifest(&before.manifest, &runner);
    write_if_changed(&out.join("Cargo.toml"), &manifest)?;
    // Cargo adds the runner's own packages; the registry versions stay the example's.
    write_if_changed(&out.join("Cargo.lock"), &before.lock)?;
    write_if_changed(&out.join("src/main.rs"), include_str!("runner/main.rs"))?;
    write_if_changed(&out.join("src/scenarios.rs"), &scenarios.to_rust())
}

/// `cargo <args>` in `dir` with `target_dir` as the target directory.
pub fn cargo(dir: &Path, target_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .expect("run cargo")
}

/// `cargo check --locked` the crate in `dir` (panics when it does not build): its
/// warnings, each the text after `warning:`, cargo's own summary lines left out.
pub fn check_warnings(dir: &Path, target_dir: &Path) -> Vec<String> {
    let out = cargo(
        dir,
        target_dir,
        &["check", "--locked", "--message-format", "short"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "cargo check in {}:\n{stderr}",
        dir.display()
    );
    stderr
        .lines()
        .filter(|l| l.contains("warning:") && !l.starts_with("warning: `"))
        .map(|l| {
            l.split_once("warning:")
                .map_or(l, |(_, w)| w)
                .trim()
                .to_string()
        })
        .collect()
}

/// Build and run the runner crate in `dir`. The output is the runner's report; `Err` when
/// it does not build.
pub fn run(dir: &Path, target_dir: &Path) -> Result<Output, String> {
    let build = cargo(dir, target_dir, &["build", "--quiet"]);
    if !build.status.success() {
        return Err(format!(
            "the runner crate in {} does not build:\n{}",
            dir.display(),
            String::from_utf8_lossy(&build.stderr)
        ));
    }
    Ok(cargo(dir, target_dir, &["run", "--quiet"]))
}
