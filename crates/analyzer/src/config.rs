//! `[tool.codemod]` in `pyproject.toml`, a `codemod.toml`, or `[package.metadata.codemod]`
//! / `[workspace.metadata.codemod]` in a `Cargo.toml`: the first found walking up from the
//! scanned path. Unknown keys and bad values are errors naming the file and key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Expression of the sync guard, e.g. `get_db_session()` or `db_manager.session_scope()`.
    pub guard: Option<String>,
    /// Import statement that brings the sync guard, e.g. `from app.db import get_db_session`.
    pub guard_import: Option<String>,
    /// Expression of the async guard, e.g. `get_async_session()`.
    pub async_guard: Option<String>,
    /// Import statement that brings the async guard.
    pub async_guard_import: Option<String>,
    /// What the sync guard does when its definition is not in the tree:
    /// `["commit", "rollback", "close"]` (any subset).
    pub guard_lifecycle: Option<Vec<LifecycleStep>>,
    /// The same for the async guard.
    pub async_guard_lifecycle: Option<Vec<LifecycleStep>>,
    /// Extra callables whose call creates a session (`make_session`, `db.new_session`).
    #[serde(default)]
    pub factories: Vec<String>,
    /// Extra callables whose call creates an async session.
    #[serde(default)]
    pub async_factories: Vec<String>,
    /// Names that look like factories but are not (`Session` of another library...).
    #[serde(default)]
    pub ignore_factories: Vec<String>,
    /// Path globs (relative to the config's folder) that are never scanned.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `codemod audit` codes not reported in files matching a glob (relative to the config's
    /// folder; a glob without `/` also matches the file name anywhere):
    /// `per-file-ignores = { "tests/**" = ["SES002"], "legacy.py" = ["ALL"] }`.
    #[serde(default)]
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    /// The lowest SQLAlchemy version the code must run on (`"1.3"`), instead of what the
    /// project's requirements declare: forms missing from it are not written.
    pub sqlalchemy_version: Option<String>,
    /// The largest source file read: bytes (`10000000`) or with a unit (`"10 MB"`,
    /// `"64 MiB"`). Larger files are reported and skipped. Default 64 MiB.
    pub max_file_size: Option<FileSize>,
}

/// `max-file-size` as written: a number of bytes or a string with a unit.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum FileSize {
    Bytes(u64),
    Text(String),
}

/// The largest `max-file-size` accepted (the parser's offsets are 32-bit; the text is
/// held several times over while it is planned).
const MAX_MAX_FILE_SIZE: u64 = 1 << 30;

impl FileSize {
    /// The size in bytes, or why it is not one.
    fn bytes(&self) -> Result<u64, String> {
        let n = match self {
            FileSize::Bytes(n) => *n,
            FileSize::Text(t) => parse_size(t).ok_or_else(|| {
                format!("`{t}` is not a size like 10000000, \"10 MB\" or \"64 MiB\"")
            })?,
        };
        if n == 0 || n > MAX_MAX_FILE_SIZE {
            return Err(format!("{n} bytes: must be between 1 byte and 1 GiB"));
        }
        Ok(n)
    }
}

/// `"10 MB"`, `"64MiB"`, `"500 kB"`, `"1000"` in bytes.
fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// One thing a guard does around its body, as `guard-lifecycle` names it.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LifecycleStep {
    /// Commits when the body succeeds.
    Commit,
    /// Rolls back on `Exception` and re-raises.
    Rollback,
    /// Closes on every path.
    Close,
}

/// The lifecycle a `guard-lifecycle` list declares.
pub fn lifecycle_from(steps: &[LifecycleStep]) -> crate::lifecycle::Lifecycle {
    use crate::lifecycle::{Lifecycle, RollbackOn};
    Lifecycle {
        commits: steps.contains(&LifecycleStep::Commit),
        rollback_on: if steps.contains(&LifecycleStep::Rollback) {
            RollbackOn::Exception
        } else {
            RollbackOn::Never
        },
        reraises: true,
        translates: false,
        closes: steps.contains(&LifecycleStep::Close),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A loaded configuration and where it came from.
#[derive(Debug, Clone, Default)]
pub struct LoadedConfig {
    pub config: Config,
    /// The file it was read from; `None` when defaults apply.
    pub path: Option<PathBuf>,
    /// Folder `exclude` globs are relative to.
    pub root: PathBuf,
    exclude: Option<GlobSet>,
    /// `per-file-ignores`, compiled: the matcher and the codes it ignores.
    per_file_ignores: Vec<(GlobSet, Vec<String>)>,
}

impl LoadedConfig {
    /// Whether `path` (absolute or relative to the current folder) is excluded by config.
    /// The largest source file read (`max-file-size`, checked when loaded).
    pub fn max_file_size(&self) -> u64 {
        self.config
            .max_file_size
            .as_ref()
            .and_then(|s| s.bytes().ok())
            .unwrap_or(crate::source::DEFAULT_MAX_FILE_SIZE)
    }

    pub fn is_excluded(&self, path: &Path) -> bool {
        let Some(set) = &self.exclude else {
            return false;
        };
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let rel = rel.strip_prefix("./").unwrap_or(rel);
        set.is_match(rel)
    }

    /// The `per-file-ignores` codes that apply to `path` (absolute or relative to the
    /// config's folder), in config order; may repeat.
    pub fn ignored_codes(&self, path: &Path) -> Vec<&str> {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let rel = rel.strip_prefix("./").unwrap_or(rel);
        let name = rel.file_name().map(Path::new);
        self.per_file_ignores
            .iter()
            .filter(|(set, _)| set.is_match(rel) || name.is_some_and(|n| set.is_match(n)))
            .flat_map(|(_, codes)| codes.iter().map(String::as_str))
            .collect()
    }

    /// Walk up from `start` to the first folder with a config, stopping at the repository
    /// root (the folder holding `.git`): a config above the repository belongs to someone
    /// else. In one folder, `codemod.toml` wins over `[tool.codemod]` in `pyproject.toml`,
    /// which wins over `Cargo.toml`'s `[package.metadata.codemod]`, then its
    /// `[workspace.metadata.codemod]`. A package manifest without its own section takes
    /// its workspace's section (from the workspace root above it) when that has one.
    pub fn discover(start: &Path) -> Result<LoadedConfig, ConfigError> {
        let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        let mut dir = if start.is_dir() {
            Some(start.as_path())
        } else {
            start.parent()
        };
        while let Some(d) = dir {
            if let Some(found) = config_in(d)? {
                return Ok(found);
            }
            if d.join(".git").exists() {
                break;
            }
            dir = d.parent();
        }
        Ok(LoadedConfig {
            root: if start.is_dir() {
                start.clone()
            } else {
                start.parent().map(Path::to_path_buf).unwrap_or_default()
            },
            ..Default::default()
        })
    }

    /// Load a `codemod.toml` (top-level keys), a `pyproject.toml` (`[tool.codemod]`) or a
    /// `Cargo.toml` (`[package.metadata.codemod]`, else `[workspace.metadata.codemod]`).
    pub fn from_file(path: &Path) -> Result<LoadedConfig, ConfigError> {
        let text = read(path)?;
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = path.file_name().and_then(|n| n.to_str());
        let cfg = match name {
            Some("pyproject.toml") => parse_pyproject(path, &text)?.unwrap_or_default(),
            Some("Cargo.toml") => parse_cargo(path, &text)?.own().unwrap_or_default(),
            _ => toml::from_str::<Config>(&text).map_err(|e| invalid(path, &text, &e))?,
        };
        Self::build(cfg, Some(path.to_path_buf()), root)
    }

    fn build(
        config: Config,
        path: Option<PathBuf>,
        root: PathBuf,
    ) -> Result<LoadedConfig, ConfigError> {
        let file = path.clone().unwrap_or_default();
        let bad = |key: &str, message: String| ConfigError::Invalid {
            path: file.clone(),
            message: format!("key `{key}`: {message}"),
        };
        for (key, expr) in [
            ("guard", &config.guard),
            ("async-guard", &config.async_guard),
        ] {
            if let Some(expr) = expr {
                if let Err(why) = check_guard_expression(expr) {
                    let shown: String = expr.chars().take(80).collect();
                    return Err(bad(key, format!("`{shown}` {why}")));
                }
            }
        }
        for (key, import, guard) in [
            ("guard-import", &config.guard_import, &config.guard),
            (
                "async-guard-import",
                &config.async_guard_import,
                &config.async_guard,
            ),
        ] {
            if let Some(import) = import {
                check_guard_import(import, guard.as_deref()).map_err(|why| bad(key, why))?;
            }
        }
        for (key, list) in [
            ("factories", &config.factories),
            ("async-factories", &config.async_factories),
        ] {
            for name in list {
                let dotted = !name.is_empty()
                    && name.split('.').all(|p| {
                        !p.is_empty() && p.chars().all(|c| c == '_' || c.is_alphanumeric())
                    });
                if !dotted {
                    return Err(bad(key, format!("`{name}` is not a dotted name")));
                }
            }
        }
        if let Some(v) = &config.sqlalchemy_version {
            let parts: Vec<&str> = v.split('.').collect();
            let numeric = parts.len() <= 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            if !numeric {
                return Err(bad(
                    "sqlalchemy-version",
                    format!("`{v}` is not a version like \"1.3\" or \"1.4.54\""),
                ));
            }
        }
        if let Some(size) = &config.max_file_size {
            size.bytes().map_err(|why| bad("max-file-size", why))?;
        }
        let exclude = if config.exclude.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for g in &config.exclude {
                b.add(Glob::new(g).map_err(|e| bad("exclude", e.to_string()))?);
                // `dir` and `dir/` also exclude everything below.
                let below = format!("{}/**", g.trim_end_matches('/'));
                b.add(Glob::new(&below).map_err(|e| bad("exclude", e.to_string()))?);
            }
            Some(b.build().map_err(|e| bad("exclude", e.to_string()))?)
        };
        let mut per_file_ignores = Vec::new();
        for (g, codes) in &config.per_file_ignores {
            let key = "per-file-ignores";
            let mut b = GlobSetBuilder::new();
            b.add(Glob::new(g).map_err(|e| bad(key, e.to_string()))?);
            let below = format!("{}/**", g.trim_end_matches('/'));
            b.add(Glob::new(&below).map_err(|e| bad(key, e.to_string()))?);
            let set = b.build().map_err(|e| bad(key, e.to_string()))?;
            per_file_ignores.push((set, codes.clone()));
        }
        Ok(LoadedConfig {
            config,
            path,
            root,
            exclude,
            per_file_ignores,
        })
    }
}

/// The config of folder `d`, by the precedence `discover` documents.
fn config_in(d: &Path) -> Result<Option<LoadedConfig>, ConfigError> {
    let codemod = d.join("codemod.toml");
    if codemod.is_file() {
        return LoadedConfig::from_file(&codemod).map(Some);
    }
    let pyproject = d.join("pyproject.toml");
    if pyproject.is_file() {
        let text = read(&pyproject)?;
        if let Some(cfg) = parse_pyproject(&pyproject, &text)? {
            return LoadedConfig::build(cfg, Some(pyproject), d.to_path_buf()).map(Some);
        }
    }
    let cargo = d.join("Cargo.toml");
    if !cargo.is_file() {
        return Ok(None);
    }
    let manifest = parse_cargo(&cargo, &read(&cargo)?)?;
    let is_package = manifest.package.is_some();
    let workspace_dir = manifest.package.as_ref().and_then(|p| p.workspace.clone());
    if let Some(cfg) = manifest.own() {
        return LoadedConfig::build(cfg, Some(cargo), d.to_path_buf()).map(Some);
    }
    if !is_package {
        return Ok(None);
    }
    let Some(root) = workspace_root(d, workspace_dir.as_deref())? else {
        return Ok(None);
    };
    let manifest = root.join("Cargo.toml");
    let section = parse_cargo(&manifest, &read(&manifest)?)?.workspace_section();
    match section {
        Some(cfg) => LoadedConfig::build(cfg, Some(manifest), root).map(Some),
        None => Ok(None),
    }
}

/// The workspace root of the package in `dir`: `package.workspace` when the manifest sets
/// it, else the nearest folder above with a `Cargo.toml` holding `[workspace]`, up to the
/// repository root. Cargo's `members` / `exclude` lists are not read.
fn workspace_root(dir: &Path, declared: Option<&str>) -> Result<Option<PathBuf>, ConfigError> {
    if let Some(rel) = declared {
        let root = dir.join(rel);
        let root = if root.ends_with("Cargo.toml") {
            root.parent().map(Path::to_path_buf).unwrap_or(root)
        } else {
            root
        };
        return Ok(root.join("Cargo.toml").is_file().then_some(root));
    }
    if dir.join(".git").exists() {
        return Ok(None);
    }
    let mut up = dir.parent();
    while let Some(d) = up {
        let manifest = d.join("Cargo.toml");
        if manifest.is_file()
            && parse_cargo(&manifest, &read(&manifest)?)?
                .workspace
                .is_some()
        {
            return Ok(Some(d.to_path_buf()));
        }
        if d.join(".git").exists() {
            break;
        }
        up = d.parent();
    }
    Ok(None)
}

/// The parts of a Cargo manifest config discovery reads; every other key is ignored.
#[derive(Deserialize)]
struct CargoManifest {
    package: Option<CargoPackage>,
    workspace: Option<CargoSection>,
}

#[derive(Deserialize)]
struct CargoPackage {
    metadata: Option<CargoMetadata>,
    /// `package.workspace`: the path to the workspace root, when not the folder above.
    workspace: Option<String>,
}

#[derive(Deserialize)]
struct CargoSection {
    metadata: Option<CargoMetadata>,
}

#[derive(Deserialize)]
struct CargoMetadata {
    codemod: Option<Config>,
}

impl CargoManifest {
    /// The manifest's own section: the package's, else the workspace's.
    fn own(self) -> Option<Config> {
        let package = self
            .package
            .and_then(|p| p.metadata)
            .and_then(|m| m.codemod);
        package.or_else(|| self.workspace.and_then(|w| w.metadata)?.codemod)
    }

    fn workspace_section(self) -> Option<Config> {
        self.workspace.and_then(|w| w.metadata)?.codemod
    }
}

/// A `Cargo.toml` read for its codemod sections. They are deserialized in place, so an
/// unknown key is an error with its line.
fn parse_cargo(path: &Path, text: &str) -> Result<CargoManifest, ConfigError> {
    toml::from_str(text).map_err(|e| invalid(path, text, &e))
}

/// A `guard-import` is one import statement, and it binds the root name of the guard it
/// is for (`from app.db import db_registry` for `db_registry.session()`).
fn check_guard_import(import: &str, guard: Option<&str>) -> Result<(), String> {
    use ruff_python_ast::Stmt;
    let shown: String = import.chars().take(80).collect();
    let parsed = ruff_python_parser::parse_module(import)
        .map_err(|_| format!("`{shown}` is not one import statement"))?;
    let bound: Vec<String> = match &parsed.syntax().body[..] {
        [Stmt::Import(i)] => i
            .names
            .iter()
            .map(|a| match &a.asname {
                Some(n) => n.to_string(),
                None => a.name.split('.').next().unwrap_or_default().to_string(),
            })
            .collect(),
        [Stmt::ImportFrom(f)] => f
            .names
            .iter()
            .map(|a| a.asname.as_ref().unwrap_or(&a.name).to_string())
            .collect(),
        _ => return Err(format!("`{shown}` is not one import statement")),
    };
    let Some(guard) = guard else { return Ok(()) };
    let root = guard.split(['(', '.']).next().unwrap_or_default().trim();
    if bound.iter().any(|b| b == root) {
        Ok(())
    } else {
        Err(format!(
            "`{shown}` does not bind `{root}`, the name the guard `{guard}` starts with"
        ))
    }
}

/// The longest guard expression accepted.
const MAX_GUARD_LEN: usize = 200;

/// A guard is written into source as it is: it must be one call of a dotted name whose
/// arguments are names, attributes or constants (`session_scope(hass=self.hass)`) - no
/// comment, line break, `await`, lambda, walrus or nested call.
fn check_guard_expression(expr: &str) -> Result<(), String> {
    use ruff_python_ast::Expr;
    if expr.len() > MAX_GUARD_LEN {
        return Err(format!("is longer than {MAX_GUARD_LEN} characters"));
    }
    if expr.contains(['#', '\n', '\r']) {
        return Err("holds a comment or a line break".into());
    }
    let parsed = ruff_python_parser::parse_expression(expr)
        .map_err(|_| "is not a Python expression".to_string())?;
    let one_call = "must be one call of a dotted name, like `get_db_session()`";
    let Expr::Call(call) = parsed.expr() else {
        return Err(one_call.into());
    };
    if crate::syntax::dotted(&call.func).is_none() {
        return Err(one_call.into());
    }
    let plain = |e: &Expr| {
        matches!(
            e,
            Expr::Name(_)
                | Expr::StringLiteral(_)
                | Expr::NumberLiteral(_)
                | Expr::BooleanLiteral(_)
                | Expr::NoneLiteral(_)
        ) || (matches!(e, Expr::Attribute(_)) && crate::syntax::dotted(e).is_some())
    };
    let args_plain = call.arguments.args.iter().all(plain)
        && call
            .arguments
            .keywords
            .iter()
            .all(|k| k.arg.is_some() && plain(&k.value));
    if !args_plain {
        return Err(
            "passes an argument that is not a name, an attribute or a constant (no calls, \
             `await`, lambdas or walrus in a guard)"
                .into(),
        );
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, ConfigError> {
    // Only a regular file is read (a FIFO named codemod.toml must not block the run).
    let failed = |source: std::io::Error| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = crate::source::read_regular(path)
        .map_err(|e| failed(std::io::Error::other(e.to_string())))?;
    String::from_utf8(bytes)
        .map_err(|e| failed(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// A TOML error as `line L, column C: message`, without the excerpt of the line that
/// `toml` adds (a line of a megabyte would be quoted whole).
fn invalid(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let at = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before[line_start..].chars().count() + 1;
            format!("line {line}, column {column}: ")
        }
        None => String::new(),
    };
    ConfigError::Invalid {
        path: path.to_path_buf(),
        message: format!("{at}{}", e.message().trim_end().replace('\n', " ")),
    }
}

/// `Ok(None)` when the pyproject has no `[tool.codemod]` table.
fn parse_pyproject(path: &Path, text: &str) -> Result<Option<Config>, ConfigError> {
    #[derive(Deserialize)]
    struct Pyproject {
        tool: Option<Tool>,
    }
    #[derive(Deserialize)]
    struct Tool {
        codemod: Option<toml::Value>,
    }
    let doc: Pyproject = toml::from_str(text).map_err(|e| invalid(path, text, &e))?;
    let Some(value) = doc.tool.and_then(|t| t.codemod) else {
        return Ok(None);
    };
    Config::deserialize(value)
        .map(Some)
        .map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: format!("[tool.codemod]: {}", e.to_string().trim_end()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "codemod.toml", "gaurd = \"x()\"\n");
        let err = LoadedConfig::discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("codemod.toml"), "{err}");
        assert!(err.contains("gaurd"), "{err}");
    }

    #[test]
    fn pyproject_table_is_found_walking_up() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "pyproject.toml",
            "[project]\nname='x'\n[tool.codemod]\nguard = \"db.scope()\"\nexclude = [\"migrations\"]\n",
        );
        let sub = dir.path().join("pkg");
        std::fs::create_dir(&sub).unwrap();
        let cfg = LoadedConfig::discover(&sub).unwrap();
        assert_eq!(cfg.config.guard.as_deref(), Some("db.scope()"));
        assert!(cfg.is_excluded(&cfg.root.join("migrations/v1.py")));
        assert!(!cfg.is_excluded(&cfg.root.join("pkg/v1.py")));
    }

    #[test]
    fn discovery_stops_at_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("codemod.toml"), "guard = \"outside()\"\n").unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), "not toml [").unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("src")).unwrap();
        let found = LoadedConfig::discover(&repo.join("src")).unwrap();
        assert!(found.path.is_none(), "{:?}", found.path);
        assert_eq!(found.config.guard, None);
    }

    const PACKAGE: &str = "[package]\nname = \"jobs\"\nversion = \"0.1.0\"\n";

    fn mkdir(dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        dir.to_path_buf()
    }

    #[test]
    fn cargo_package_metadata_is_a_config() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = format!("{PACKAGE}\n[package.metadata.codemod]\nexclude = [\"src/generated\"]\n\n[dependencies]\nrusqlite = \"0.31\"\n");
        write(dir.path(), "Cargo.toml", &manifest);
        let cfg = LoadedConfig::discover(&mkdir(&dir.path().join("src"))).unwrap();
        assert!(cfg.path.as_ref().unwrap().ends_with("Cargo.toml"));
        assert!(cfg.is_excluded(&cfg.root.join("src/generated/schema.rs")));
        assert!(!cfg.is_excluded(&cfg.root.join("src/lib.rs")));
        let cfg = LoadedConfig::from_file(&dir.path().join("Cargo.toml")).unwrap();
        assert_eq!(cfg.config.exclude, ["src/generated"]);
    }

    #[test]
    fn unknown_key_in_cargo_metadata_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        for section in ["package", "workspace"] {
            let head = if section == "package" {
                PACKAGE
            } else {
                "[workspace]\nmembers = []\n"
            };
            let manifest =
                format!("{head}\n[{section}.metadata.codemod]\nexclude = []\ngaurd = \"x()\"\n");
            write(dir.path(), "Cargo.toml", &manifest);
            let err = LoadedConfig::discover(dir.path()).unwrap_err().to_string();
            let line = manifest
                .lines()
                .position(|l| l.starts_with("gaurd"))
                .unwrap()
                + 1;
            assert!(err.contains("Cargo.toml: "), "{err}");
            assert!(err.contains(&format!("line {line}, column 1")), "{err}");
            assert!(err.contains("gaurd"), "{err}");
        }
    }

    #[test]
    fn one_folder_precedence_codemod_pyproject_package_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let guard = |d: &Path| LoadedConfig::discover(d).unwrap().config.guard;
        write(d, "Cargo.toml", &format!("{PACKAGE}[package.metadata.codemod]\nguard = \"package()\"\n[workspace.metadata.codemod]\nguard = \"workspace()\"\n"));
        assert_eq!(guard(d).as_deref(), Some("package()"));
        write(
            d,
            "pyproject.toml",
            "[tool.codemod]\nguard = \"pyproject()\"\n",
        );
        assert_eq!(guard(d).as_deref(), Some("pyproject()"));
        write(d, "codemod.toml", "guard = \"codemod()\"\n");
        assert_eq!(guard(d).as_deref(), Some("codemod()"));
        std::fs::remove_file(d.join("codemod.toml")).unwrap();
        std::fs::remove_file(d.join("pyproject.toml")).unwrap();
        write(
            d,
            "Cargo.toml",
            "[workspace]\n[workspace.metadata.codemod]\nguard = \"workspace()\"\n",
        );
        assert_eq!(guard(d).as_deref(), Some("workspace()"));
    }

    #[test]
    fn a_member_without_a_section_takes_its_workspace_s() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.metadata.codemod]\nexclude = [\"crates/jobs/src/legacy.rs\"]\n");
        let member = mkdir(&root.join("crates/jobs"));
        write(&member, "Cargo.toml", PACKAGE);
        let cfg = LoadedConfig::discover(&mkdir(&member.join("src"))).unwrap();
        assert_eq!(cfg.path.as_deref(), Some(root.join("Cargo.toml").as_path()));
        assert_eq!(cfg.root, root);
        assert!(cfg.is_excluded(&root.join("crates/jobs/src/legacy.rs")));
        // A folder between the member and the root does not come first: the member's
        // manifest is nearer and names its workspace.
        write(
            &root.join("crates"),
            "codemod.toml",
            "guard = \"between()\"\n",
        );
        assert_eq!(LoadedConfig::discover(&member).unwrap().config.guard, None);
        // Its own section wins over the workspace's.
        write(
            &member,
            "Cargo.toml",
            &format!("{PACKAGE}[package.metadata.codemod]\nguard = \"own()\"\n"),
        );
        let cfg = LoadedConfig::discover(&member).unwrap();
        assert_eq!(cfg.config.guard.as_deref(), Some("own()"));
        assert!(cfg.config.exclude.is_empty());
    }

    #[test]
    fn a_declared_workspace_path_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = mkdir(&dir.path().join("ws"));
        write(
            &root,
            "Cargo.toml",
            "[workspace]\n[workspace.metadata.codemod]\nguard = \"ws()\"\n",
        );
        let member = mkdir(&dir.path().join("elsewhere/jobs"));
        write(
            &member,
            "Cargo.toml",
            &format!("{PACKAGE}workspace = \"../../ws\"\n"),
        );
        let cfg = LoadedConfig::discover(&member).unwrap();
        assert_eq!(cfg.config.guard.as_deref(), Some("ws()"));
    }

    #[test]
    fn manifests_without_a_section_are_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "codemod.toml", "guard = \"above()\"\n");
        write(root, "Cargo.toml", "[workspace]\nmembers = [\"jobs\"]\n");
        let member = mkdir(&root.join("jobs"));
        write(&member, "Cargo.toml", PACKAGE);
        let cfg = LoadedConfig::discover(&member).unwrap();
        assert_eq!(cfg.config.guard.as_deref(), Some("above()"));
        // The repository root ends the search for a workspace too.
        let repo = mkdir(&root.join("repo"));
        mkdir(&repo.join(".git"));
        write(
            root,
            "Cargo.toml",
            "[workspace]\n[workspace.metadata.codemod]\nguard = \"outside()\"\n",
        );
        write(&repo, "Cargo.toml", PACKAGE);
        assert_eq!(LoadedConfig::discover(&repo).unwrap().config.guard, None);
    }

    #[test]
    fn guard_expressions_are_one_plain_call() {
        assert!(check_guard_expression("get_db_session()").is_ok());
        assert!(check_guard_expression("db_manager.session_scope()").is_ok());
        assert!(check_guard_expression("session_scope(hass=self.hass, read_only=True)").is_ok());
        for bad in [
            "get_db_session() # c",
            "await get_db_session()",
            "__import__(\"os\").system(\"id\") or get_db_session()",
            "get_db_session(x=__import__(\"os\"))",
            "(lambda: s)()",
            "get_db_session(x := 1)",
            "get_db_session",
            "get_db_session()\nimport os",
        ] {
            assert!(check_guard_expression(bad).is_err(), "{bad}");
        }
        assert!(check_guard_expression(&format!("g({})", "a".repeat(300))).is_err());
    }

    #[test]
    fn guard_imports_bind_the_guard_s_root_name() {
        let ok = [
            ("from app.db import get_db_session", "get_db_session()"),
            ("from app.db import db_registry", "db_registry.session()"),
            ("from app import db as database", "database.scope()"),
            ("import app.db", "app.db.scope()"),
        ];
        for (import, guard) in ok {
            assert_eq!(check_guard_import(import, Some(guard)), Ok(()), "{import}");
        }
        for (import, guard) in [
            ("from app.db import SessionLocal", "get_db_session()"),
            ("import app.db as db", "app.db.scope()"),
            ("from app.db import x; import os", "x()"),
            ("x = 1", "x()"),
        ] {
            assert!(check_guard_import(import, Some(guard)).is_err(), "{import}");
        }
    }

    #[test]
    fn bad_guard_expression_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "codemod.toml", "guard = \"get_db(\"\n");
        let err = LoadedConfig::discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("`guard`"), "{err}");
    }

    #[test]
    fn per_file_ignores_match_paths_and_file_names() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "codemod.toml",
            "[per-file-ignores]\n\"tests/**\" = [\"SES002\"]\n\"conftest.py\" = [\"ALL\"]\n\"scripts\" = [\"SES001\", \"SES007\"]\n",
        );
        let cfg = LoadedConfig::discover(dir.path()).unwrap();
        let root = cfg.root.clone();
        assert_eq!(
            cfg.ignored_codes(&root.join("tests/unit/test_a.py")),
            ["SES002"]
        );
        assert_eq!(cfg.ignored_codes(&root.join("pkg/conftest.py")), ["ALL"]);
        assert_eq!(
            cfg.ignored_codes(&root.join("scripts/seed.py")),
            ["SES001", "SES007"]
        );
        assert!(cfg.ignored_codes(&root.join("app/service.py")).is_empty());
        // A bad glob names the key.
        write(
            dir.path(),
            "codemod.toml",
            "[per-file-ignores]\n\"a/[\" = [\"SES001\"]\n",
        );
        let err = LoadedConfig::discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("per-file-ignores"), "{err}");
    }

    #[test]
    fn max_file_size_takes_bytes_or_a_unit_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let size = |v: &str| {
            write(
                dir.path(),
                "codemod.toml",
                &format!("max-file-size = {v}\n"),
            );
            LoadedConfig::discover(dir.path()).map(|c| c.max_file_size())
        };
        assert_eq!(size("1000").unwrap(), 1000);
        assert_eq!(size("\"10 MB\"").unwrap(), 10_000_000);
        assert_eq!(size("\"64MiB\"").unwrap(), 64 << 20);
        for bad in ["0", "\"ten\"", "\"5 TB\"", "\"2 GiB\""] {
            let err = size(bad).unwrap_err().to_string();
            assert!(err.contains("key `max-file-size`"), "{bad}: {err}");
        }
        std::fs::remove_file(dir.path().join("codemod.toml")).unwrap();
        let default = LoadedConfig::discover(dir.path()).unwrap().max_file_size();
        assert_eq!(default, crate::source::DEFAULT_MAX_FILE_SIZE);
    }

    #[test]
    fn sqlalchemy_version_must_be_a_version() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "codemod.toml", "sqlalchemy-version = \"1.3\"\n");
        let cfg = LoadedConfig::discover(dir.path()).unwrap();
        assert_eq!(cfg.config.sqlalchemy_version.as_deref(), Some("1.3"));
        write(
            dir.path(),
            "codemod.toml",
            "sqlalchemy-version = \">=1.3\"\n",
        );
        let err = LoadedConfig::discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("`sqlalchemy-version`"), "{err}");
    }

    #[test]
    fn pyproject_without_table_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "pyproject.toml", "[project]\nname='x'\n");
        let cfg = LoadedConfig::discover(dir.path()).unwrap();
        assert!(cfg.path.is_none());
    }
}
