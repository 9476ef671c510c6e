//! The SQLAlchemy versions the project declares it runs on: `[tool.codemod]
//! sqlalchemy-version`, else the requirements found at the project root (`pyproject.toml`
//! in its PEP 621 / Poetry / PDM / uv sections, `setup.cfg`, string literals of `setup.py`,
//! `requirements*.txt` and `requirements/*.txt` with the files they include, lock files).
//! What matters is the lowest version the declarations allow: a form may be written only
//! if it exists in every allowed version. No code is run.

use std::path::{Path, PathBuf};

use crate::config::LoadedConfig;

/// A release number (`1.3.24`); pre- and post-release tags are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub const ZERO: Version = Version(0, 0, 0);
    /// `Session` / `AsyncSession` as context managers, `sessionmaker.begin()`.
    pub const V1_4: Version = Version(1, 4, 0);
    /// `async_sessionmaker`.
    pub const V2_0: Version = Version(2, 0, 0);

    /// `1`, `1.3`, `1.3.24`, `1.4.0b1`, `1.3.*` (the wildcard reads as 0).
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim().trim_start_matches('v');
        let mut parts = [0u32; 3];
        let mut seen = 0;
        for (i, part) in text.split('.').enumerate() {
            if part == "*" && i > 0 {
                break;
            }
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                return None;
            }
            if i < 3 {
                parts[i] = digits.parse().ok()?;
                seen += 1;
            }
            if digits.len() != part.len() {
                break; // `0b1`, `24.post1`: the release number ends here
            }
        }
        (seen > 0).then_some(Version(parts[0], parts[1], parts[2]))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Version(a, b, 0) => write!(f, "{a}.{b}"),
            Version(a, b, c) => write!(f, "{a}.{b}.{c}"),
        }
    }
}

/// One declaration of SQLAlchemy (or SQLModel) the project makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// Lowest version it allows (`Version::ZERO` for an upper bound alone).
    pub lowest: Version,
    /// Highest version it allows, and whether that one is included; `None`: unbounded.
    pub highest: Option<(Version, bool)>,
    /// What it says and where: "`SQLAlchemy>=1.2.9,<1.4` in setup.py".
    pub what: String,
}

/// The range the project allows, as far as its files tell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SqlaVersions {
    /// The declaration with the lowest bound (config, else files); `None`: nothing
    /// declares a version, and 1.4 is assumed.
    pub lowest: Option<Declaration>,
    /// Highest version any declaration allows (`None`: unbounded or unknown).
    pub highest: Option<(Version, bool)>,
}

impl SqlaVersions {
    /// The config key wins; else every declaration at `root`.
    pub fn detect(root: &Path, config: &LoadedConfig) -> SqlaVersions {
        if let Some(text) = &config.config.sqlalchemy_version {
            if let Some(v) = Version::parse(text) {
                let file = config
                    .path
                    .as_deref()
                    .and_then(Path::file_name)
                    .map_or("config".into(), |n| n.to_string_lossy().into_owned());
                return SqlaVersions {
                    lowest: Some(Declaration {
                        lowest: v,
                        highest: None,
                        what: format!("`sqlalchemy-version = \"{text}\"` in {file}"),
                    }),
                    highest: None,
                };
            }
        }
        Self::from_declarations(declarations_in(root))
    }

    /// The lowest bound over all declarations; SQLModel raises it to 1.4 (it needs it).
    pub fn from_declarations(decls: Vec<(Package, Declaration)>) -> SqlaVersions {
        let sqla: Vec<&Declaration> = decls
            .iter()
            .filter(|(p, _)| *p == Package::Sqlalchemy)
            .map(|(_, d)| d)
            .collect();
        let sqlmodel = decls.iter().find(|(p, _)| *p == Package::Sqlmodel);
        let mut lowest = sqla.iter().min_by_key(|d| d.lowest).map(|d| (*d).clone());
        if let Some((_, m)) = sqlmodel {
            if lowest.as_ref().is_none_or(|d| d.lowest < Version::V1_4) {
                lowest = Some(Declaration {
                    lowest: Version::V1_4,
                    highest: None,
                    what: format!("{} (SQLModel needs SQLAlchemy 1.4)", m.what),
                });
            }
        }
        let highest = if sqla.is_empty() || sqla.iter().any(|d| d.highest.is_none()) {
            None
        } else {
            sqla.iter().filter_map(|d| d.highest).max()
        };
        SqlaVersions { lowest, highest }
    }

    /// The lowest version the project allows (1.4 when nothing says).
    pub fn minimum(&self) -> Version {
        self.lowest.as_ref().map_or(Version::V1_4, |d| d.lowest)
    }

    /// `Err(reason)` when `form` (needing `need`) is missing from a version the project
    /// allows.
    pub fn check(&self, form: &str, need: Version) -> Result<(), String> {
        if self.minimum() >= need {
            return Ok(());
        }
        let allows = match &self.lowest {
            Some(d) if d.lowest == Version::ZERO => {
                format!("the project allows versions below {need} ({})", d.what)
            }
            Some(d) => format!("the project allows {} ({})", d.lowest, d.what),
            None => "the project declares no SQLAlchemy version (1.4 assumed; set \
                     [tool.codemod] sqlalchemy-version)"
                .to_string(),
        };
        Err(format!("{form} needs SQLAlchemy {need}; {allows}"))
    }

    /// The note for the summary when nothing declares a version.
    pub fn note(&self) -> Option<String> {
        self.lowest.is_none().then(|| {
            "no SQLAlchemy version declared at the project root: SQLAlchemy 1.4+ assumed \
             (`with Session(...)`, `<factory>.begin()`); set [tool.codemod] \
             sqlalchemy-version to say otherwise"
                .to_string()
        })
    }
}

/// What a declaration names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Package {
    Sqlalchemy,
    Sqlmodel,
}

/// A PEP 508 requirement for SQLAlchemy or SQLModel (`SQLAlchemy[asyncio]>=1.3,<1.4;
/// python_version > "3"`): the package and its lowest / highest allowed versions.
pub fn parse_requirement(text: &str) -> Option<(Package, Version, Option<(Version, bool)>)> {
    let text = text.trim();
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(text.len());
    let package = match normalize(&text[..name_end]).as_str() {
        "sqlalchemy" => Package::Sqlalchemy,
        "sqlmodel" => Package::Sqlmodel,
        _ => return None,
    };
    let mut rest = text[name_end..].trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        rest = after.split_once(']')?.1.trim_start();
    }
    let rest = rest.split(';').next().unwrap_or_default();
    if rest.trim_start().starts_with('@') {
        return None; // a URL: no version
    }
    let rest = rest.trim().trim_start_matches('(').trim_end_matches(')');
    // SQLModel counts by its presence (it needs SQLAlchemy 1.4); SQLAlchemy by its range.
    match (bounds(rest), package) {
        (Some((lowest, highest)), _) => Some((package, lowest, highest)),
        (None, Package::Sqlmodel) => Some((package, Version::ZERO, None)),
        (None, Package::Sqlalchemy) => None,
    }
}

/// PEP 440 specifiers (`>=1.2.9,<1.4`, `==1.3.*`, `~=1.3`): the lowest version they allow
/// (`ZERO` with no lower bound) and the highest. `None` for no specifier at all.
fn bounds(specs: &str) -> Option<(Version, Option<(Version, bool)>)> {
    let mut lowest: Option<Version> = None;
    let mut highest: Option<(Version, bool)> = None;
    let mut any = false;
    for spec in specs.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let op_end = spec
            .find(|c: char| !matches!(c, '<' | '>' | '=' | '!' | '~'))
            .unwrap_or(spec.len());
        let (op, version) = (&spec[..op_end], spec[op_end..].trim());
        let v = Version::parse(version)?;
        any = true;
        let raise =
            |low: &mut Option<Version>, v| *low = Some(low.map_or(v, |l: Version| l.max(v)));
        let cap = |high: &mut Option<(Version, bool)>, v: (Version, bool)| {
            *high = Some(high.map_or(v, |h| h.min(v)));
        };
        match op {
            ">=" | ">" | "~=" => raise(&mut lowest, v),
            "==" | "===" if version.ends_with(".*") => raise(&mut lowest, v),
            "==" | "===" => {
                raise(&mut lowest, v);
                cap(&mut highest, (v, true));
            }
            "<" => cap(&mut highest, (v, false)),
            "<=" => cap(&mut highest, (v, true)),
            "!=" => {}
            _ => return None,
        }
    }
    any.then(|| (lowest.unwrap_or(Version::ZERO), highest))
}

/// PEP 503 name normalisation: case, and runs of `-`, `_`, `.` are one `-`.
fn normalize(name: &str) -> String {
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

/// Poetry constraints (`^1.3`, `~1.3`, `1.3.24`, `>=1.3,<1.4`, `*`) as PEP 440 bounds.
fn poetry_bounds(constraint: &str) -> Option<(Version, Option<(Version, bool)>)> {
    let c = constraint.trim();
    if c == "*" || c.is_empty() {
        return None;
    }
    if let Some(v) = c.strip_prefix('^') {
        return Some((Version::parse(v)?, None));
    }
    if let Some(v) = c.strip_prefix('~').filter(|v| !v.starts_with('=')) {
        return Some((Version::parse(v)?, None));
    }
    if c.starts_with(|ch: char| ch.is_ascii_digit()) {
        return bounds(&format!("=={c}"));
    }
    bounds(c)
}

/// The SQLAlchemy ranges of a tree: its root's, and those of the projects in folders one
/// or two levels below it that declare their own (an unpacked sdist, the packages of a
/// monorepo). A file gets the range of the nearest project holding it.
#[derive(Debug, Clone, Default)]
pub struct ProjectRanges {
    pub root: SqlaVersions,
    pub below: Vec<(PathBuf, SqlaVersions)>,
    /// `below`'s folders made canonical once, for files named another way (`..`, links).
    canonical_below: Vec<PathBuf>,
}

impl ProjectRanges {
    /// The config key sets one range for the whole tree; else the project files decide.
    pub fn detect(root: &Path, config: &LoadedConfig) -> ProjectRanges {
        let whole = SqlaVersions::detect(root, config);
        if config.config.sqlalchemy_version.is_some() {
            return ProjectRanges {
                root: whole,
                ..Default::default()
            };
        }
        let below: Vec<(PathBuf, SqlaVersions)> = project_folders_below(root)
            .into_iter()
            .filter_map(|dir| {
                let rel = dir.strip_prefix(root).unwrap_or(&dir).to_string_lossy();
                let decls = declarations_at(&dir, &format!("{}/", rel.replace('\\', "/")));
                (!decls.is_empty()).then(|| (dir, SqlaVersions::from_declarations(decls)))
            })
            .collect();
        let canonical_below = below
            .iter()
            .map(|(d, _): &(PathBuf, SqlaVersions)| {
                std::fs::canonicalize(d).unwrap_or_else(|_| d.clone())
            })
            .collect();
        ProjectRanges {
            root: whole,
            below,
            canonical_below,
        }
    }

    /// The range of the project holding `path`.
    pub fn for_file(&self, path: &Path) -> &SqlaVersions {
        if self.below.is_empty() {
            return &self.root;
        }
        let deepest = |dirs: &mut dyn Iterator<Item = (usize, &PathBuf)>, path: &Path| {
            dirs.filter(|(_, d)| path.starts_with(d))
                .max_by_key(|(_, d)| d.components().count())
                .map(|(i, _)| i)
        };
        // As named first; the disk is asked only when that finds nothing.
        let i = deepest(&mut self.below.iter().map(|(d, _)| d).enumerate(), path).or_else(|| {
            let real = std::fs::canonicalize(path).ok()?;
            deepest(&mut self.canonical_below.iter().enumerate(), &real)
        });
        i.map_or(&self.root, |i| &self.below[i].1)
    }

    /// Whether some project of the tree allows a version without `need`.
    pub fn some_below(&self, need: Version) -> bool {
        std::iter::once(&self.root)
            .chain(self.below.iter().map(|(_, v)| v))
            .any(|v| v.check("", need).is_err())
    }

    /// Said once when the root's range is unknown.
    pub fn note(&self) -> Option<String> {
        let note = self.root.note()?;
        if self.below.is_empty() {
            return Some(note);
        }
        let dirs: Vec<String> = self
            .below
            .iter()
            .filter_map(|(d, _)| d.file_name().map(|n| format!("{}/", n.to_string_lossy())))
            .collect();
        let declare = if dirs.len() == 1 {
            "which declares its own"
        } else {
            "which declare their own"
        };
        Some(format!("{note} (outside {}, {declare})", dirs.join(", ")))
    }
}

/// Folders one or two levels below `root` that hold a project file, sorted; hidden
/// folders and virtualenvs are not looked into.
fn project_folders_below(root: &Path) -> Vec<PathBuf> {
    const PROJECT_FILES: [&str; 4] = [
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "requirements.txt",
    ];
    let subdirs = |dir: &Path| -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return vec![];
        };
        let mut v: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                !name.starts_with('.')
                    && !matches!(name.as_str(), "venv" | "node_modules" | "site-packages")
            })
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    };
    let is_project = |dir: &Path| PROJECT_FILES.iter().any(|f| dir.join(f).is_file());
    let mut out = vec![];
    for one in subdirs(root) {
        if is_project(&one) {
            out.push(one);
            continue;
        }
        out.extend(subdirs(&one).into_iter().filter(|two| is_project(two)));
    }
    out
}

/// Every declaration in the project's files at `root`, in a fixed order.
pub fn declarations_in(root: &Path) -> Vec<(Package, Declaration)> {
    declarations_at(root, "")
}

/// The declarations of the project files in `root`; `label` prefixes the file names the
/// declarations cite.
fn declarations_at(root: &Path, label: &str) -> Vec<(Package, Declaration)> {
    let mut out = vec![];
    if let Some(text) = read(&root.join("pyproject.toml")) {
        pyproject(&text, &mut out);
    }
    if let Some(text) = read(&root.join("setup.cfg")) {
        for line in text.lines() {
            let value = setup_cfg_value(line);
            push(&mut out, value, "setup.cfg");
        }
    }
    if let Some(text) = read(&root.join("setup.py")) {
        for literal in string_literals(&text) {
            push(&mut out, &literal, "setup.py");
        }
    }
    for file in requirement_files(root) {
        requirements(root, &file, &mut out, &mut vec![]);
    }
    for lock in ["poetry.lock", "uv.lock", "pdm.lock"] {
        if let Some(text) = read(&root.join(lock)) {
            locked(&text, lock, &mut out);
        }
    }
    // "`...` in setup.py" -> "`...` in pkg/setup.py".
    for (_, d) in &mut out {
        if let Some(at) = d.what.rfind(" in ") {
            d.what.insert_str(at + 4, label);
        }
    }
    out
}

fn read(path: &Path) -> Option<String> {
    // Project files too may be FIFOs or devices: read only regular ones.
    String::from_utf8(crate::source::read_regular(path).ok()?).ok()
}

fn push(out: &mut Vec<(Package, Declaration)>, requirement: &str, file: &str) {
    if let Some((package, lowest, highest)) = parse_requirement(requirement) {
        out.push((
            package,
            Declaration {
                lowest,
                highest,
                what: format!("`{}` in {file}", requirement.trim()),
            },
        ));
    }
}

/// `install_requires = SQLAlchemy>=1.3` or a continuation line `    SQLAlchemy>=1.3`:
/// the requirement text (a key's `=` is one not part of `==`, `>=`...).
fn setup_cfg_value(line: &str) -> &str {
    let t = line.trim();
    let key_end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(t.len());
    let after = t[key_end..].trim_start();
    match after.strip_prefix('=') {
        Some(value) if !value.starts_with('=') => value,
        _ => t,
    }
}

/// The string literals of a Python file (`setup.py`), without running it.
fn string_literals(text: &str) -> Vec<String> {
    use ruff_python_ast::visitor::{walk_expr, Visitor};
    struct Strings(Vec<String>);
    impl<'a> Visitor<'a> for Strings {
        fn visit_expr(&mut self, expr: &'a ruff_python_ast::Expr) {
            if let ruff_python_ast::Expr::StringLiteral(s) = expr {
                self.0.push(s.value.to_str().to_string());
            }
            walk_expr(self, expr);
        }
    }
    let Ok(parsed) = ruff_python_parser::parse_module(text) else {
        return vec![];
    };
    let mut v = Strings(vec![]);
    for stmt in &parsed.syntax().body {
        v.visit_stmt(stmt);
    }
    v.0
}

/// `requirements*.txt` at the root and `*.txt` under `requirements/`, sorted.
fn requirement_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    let list = |dir: &Path, all: bool, files: &mut Vec<PathBuf>| {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".txt") && (all || name.starts_with("requirements")) {
                files.push(e.path());
            }
        }
    };
    list(root, false, &mut files);
    list(&root.join("requirements"), true, &mut files);
    files.sort();
    files
}

/// One requirements file, following `-r` / `-c` includes that stay inside the tree.
fn requirements(
    root: &Path,
    file: &Path,
    out: &mut Vec<(Package, Declaration)>,
    seen: &mut Vec<PathBuf>,
) {
    let Ok(canonical) = std::fs::canonicalize(file) else {
        return;
    };
    if seen.contains(&canonical) || !canonical.starts_with(canonical_root(root)) {
        return;
    }
    seen.push(canonical);
    let Some(text) = read(file) else { return };
    let rel = file.strip_prefix(root).unwrap_or(file).to_string_lossy();
    let rel = rel.replace('\\', "/");
    for line in text.lines() {
        let line = line.split(" #").next().unwrap_or_default().trim();
        let include = ["-r", "--requirement", "-c", "--constraint"]
            .iter()
            .find_map(|flag| line.strip_prefix(flag))
            .map(|rest| rest.trim_start_matches('=').trim());
        if let Some(name) = include {
            let next = file.parent().unwrap_or(root).join(name);
            requirements(root, &next, out, seen);
        } else if !line.starts_with('-') {
            push(out, line, &rel);
        }
    }
}

fn canonical_root(root: &Path) -> PathBuf {
    std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}

/// `[[package]] name = "sqlalchemy" version = "1.3.24"` of a Poetry, uv or PDM lock.
fn locked(text: &str, file: &str, out: &mut Vec<(Package, Declaration)>) {
    let Ok(doc) = toml::from_str::<toml::Value>(text) else {
        return;
    };
    let Some(packages) = doc.get("package").and_then(|p| p.as_array()) else {
        return;
    };
    for p in packages {
        let name = p.get("name").and_then(|n| n.as_str()).unwrap_or_default();
        let version = p
            .get("version")
            .and_then(|n| n.as_str())
            .unwrap_or_default();
        if let Some((package, lowest, highest)) = parse_requirement(&format!("{name}=={version}")) {
            let what = format!("`{name} {version}` in {file}");
            out.push((
                package,
                Declaration {
                    lowest,
                    highest,
                    what,
                },
            ));
        }
    }
}

/// PEP 621 dependencies and optional dependencies, PEP 735 / uv / PDM groups, Poetry.
fn pyproject(text: &str, out: &mut Vec<(Package, Declaration)>) {
    let Ok(doc) = toml::from_str::<toml::Value>(text) else {
        return;
    };
    let strings = |v: Option<&toml::Value>, out: &mut Vec<(Package, Declaration)>| {
        for s in v.and_then(|v| v.as_array()).into_iter().flatten() {
            if let Some(s) = s.as_str() {
                push(out, s, "pyproject.toml");
            }
        }
    };
    let groups = |v: Option<&toml::Value>, out: &mut Vec<(Package, Declaration)>| {
        for (_, list) in v.and_then(|v| v.as_table()).into_iter().flatten() {
            strings(Some(list), out);
        }
    };
    let at = |path: &[&str]| path.iter().try_fold(&doc, |v: &toml::Value, k| v.get(*k));
    strings(at(&["project", "dependencies"]), out);
    groups(at(&["project", "optional-dependencies"]), out);
    groups(at(&["dependency-groups"]), out);
    groups(at(&["tool", "pdm", "dev-dependencies"]), out);
    strings(at(&["tool", "uv", "dev-dependencies"]), out);
    let mut poetry_tables = vec![
        at(&["tool", "poetry", "dependencies"]),
        at(&["tool", "poetry", "dev-dependencies"]),
    ];
    if let Some(g) = at(&["tool", "poetry", "group"]).and_then(|g| g.as_table()) {
        poetry_tables.extend(g.values().map(|t| t.get("dependencies")));
    }
    for table in poetry_tables
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_table())
    {
        for (name, spec) in table {
            poetry_dependency(name, spec, out);
        }
    }
}

/// `sqlalchemy = "^1.3"` or `sqlalchemy = { version = "^1.3", extras = [...] }`.
fn poetry_dependency(name: &str, spec: &toml::Value, out: &mut Vec<(Package, Declaration)>) {
    let package = match normalize(name).as_str() {
        "sqlalchemy" => Package::Sqlalchemy,
        "sqlmodel" => Package::Sqlmodel,
        _ => return,
    };
    let constraint = match spec {
        toml::Value::String(s) => s.as_str(),
        toml::Value::Table(t) => t.get("version").and_then(|v| v.as_str()).unwrap_or("*"),
        _ => "*",
    };
    // A constraint that says nothing (`*`) declares no range.
    let (lowest, highest) = match (poetry_bounds(constraint), package) {
        (Some(b), _) => b,
        (None, Package::Sqlmodel) => (Version::ZERO, None),
        (None, Package::Sqlalchemy) => return,
    };
    out.push((
        package,
        Declaration {
            lowest,
            highest,
            what: format!("`{name} = \"{constraint}\"` in pyproject.toml"),
        },
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn low(req: &str) -> Option<Version> {
        parse_requirement(req).map(|(_, l, _)| l)
    }

    #[test]
    fn versions_parse_release_numbers() {
        assert_eq!(Version::parse("1.3.24"), Some(Version(1, 3, 24)));
        assert_eq!(Version::parse("1.4"), Some(Version(1, 4, 0)));
        assert_eq!(Version::parse("2"), Some(Version(2, 0, 0)));
        assert_eq!(Version::parse("1.4.0b1"), Some(Version(1, 4, 0)));
        assert_eq!(Version::parse("1.3.*"), Some(Version(1, 3, 0)));
        assert_eq!(Version::parse("abc"), None);
        assert_eq!(Version::parse(">=1.3"), None);
        assert_eq!(Version(1, 3, 0).to_string(), "1.3");
        assert_eq!(Version(1, 2, 9).to_string(), "1.2.9");
    }

    #[test]
    fn specifiers_give_the_lowest_allowed_version() {
        assert_eq!(low("SQLAlchemy>=1.2.9,<1.4"), Some(Version(1, 2, 9)));
        assert_eq!(low("sqlalchemy[asyncio] >= 1.4.3"), Some(Version(1, 4, 3)));
        assert_eq!(low("SQLAlchemy==1.3.*"), Some(Version(1, 3, 0)));
        assert_eq!(low("sqlalchemy~=1.4"), Some(Version(1, 4, 0)));
        assert_eq!(low("SQL_Alchemy>1.3.24"), None); // another name
        assert_eq!(low("sql-alchemy>=1.4"), None);
        assert_eq!(low("SqlAlchemy (>=1.3, <2)"), Some(Version(1, 3, 0)));
        assert_eq!(low("sqlalchemy<2.0"), Some(Version::ZERO));
        assert_eq!(low("sqlalchemy!=1.4.0"), Some(Version::ZERO));
        assert_eq!(
            low("sqlalchemy>=2.0; python_version >= '3.8'"),
            Some(Version(2, 0, 0))
        );
        assert_eq!(low("sqlalchemy"), None);
        assert_eq!(low("sqlalchemy @ https://example.invalid/sa.whl"), None);
        assert_eq!(low("flask-sqlalchemy>=3"), None);
        let (p, _, high) = parse_requirement("sqlmodel==0.0.8").unwrap();
        assert_eq!(
            (p, high),
            (Package::Sqlmodel, Some((Version(0, 0, 8), true)))
        );
        let (_, _, high) = parse_requirement("SQLAlchemy>=1.2.9,<1.4").unwrap();
        assert_eq!(high, Some((Version(1, 4, 0), false)));
    }

    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, SqlaVersions) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let versions = SqlaVersions::detect(dir.path(), &LoadedConfig::default());
        (dir, versions)
    }

    #[test]
    fn setup_py_literals_and_setup_cfg_lines() {
        let (_d, v) = project(&[(
            "setup.py",
            "from setuptools import setup\nsetup(install_requires=[\n    \"Babel >= 1.3\",\n    \"SQLAlchemy >= 1.2.9, < 1.4\",\n])\n",
        )]);
        assert_eq!(v.minimum(), Version(1, 2, 9));
        assert_eq!(v.highest, Some((Version(1, 4, 0), false)));
        let err = v.check("`Session(...)` as a context manager", Version::V1_4);
        assert_eq!(
            err.unwrap_err(),
            "`Session(...)` as a context manager needs SQLAlchemy 1.4; the project allows \
             1.2.9 (`SQLAlchemy >= 1.2.9, < 1.4` in setup.py)"
        );
        let (_d, v) = project(&[(
            "setup.cfg",
            "[options]\ninstall_requires =\n    requests\n    sqlalchemy==1.3.24\n[options.extras_require]\nasync = sqlalchemy[asyncio]>=1.4\n",
        )]);
        assert_eq!(v.minimum(), Version(1, 3, 24));
    }

    #[test]
    fn pyproject_sections() {
        let (_d, v) = project(&[(
            "pyproject.toml",
            "[project]\nname='x'\ndependencies = ['sqlalchemy>=1.4,<2']\n",
        )]);
        assert_eq!(v.minimum(), Version::V1_4);
        assert!(v.check("x", Version::V1_4).is_ok());
        assert!(v.check("x", Version::V2_0).is_err());
        let (_d, v) = project(&[(
            "pyproject.toml",
            "[tool.poetry.dependencies]\npython = '^3.8'\nSQLAlchemy = { version = '~1.3', extras = ['mypy'] }\n",
        )]);
        assert_eq!(v.minimum(), Version(1, 3, 0));
        let (_d, v) = project(&[(
            "pyproject.toml",
            "[project]\nname='x'\n[project.optional-dependencies]\ndb = ['SQLAlchemy>=2.0']\n[dependency-groups]\ndev = ['sqlalchemy>=1.4.54', {include-group = 'x'}]\n",
        )]);
        assert_eq!(v.minimum(), Version(1, 4, 54));
        // `*` and a bare name declare nothing: 1.4 is assumed, and the note says so.
        let (_d, v) = project(&[(
            "pyproject.toml",
            "[tool.poetry.dependencies]\nsqlalchemy = '*'\n[project]\nname='x'\ndependencies=['SQLAlchemy']\n",
        )]);
        assert_eq!(v.lowest, None);
        assert_eq!(v.minimum(), Version::V1_4);
        assert!(v.note().is_some());
        assert!(v
            .check("`F.begin()`", Version::V2_0)
            .unwrap_err()
            .contains("declares no SQLAlchemy version"));
    }

    #[test]
    fn requirements_files_and_includes() {
        let (_d, v) = project(&[
            (
                "requirements.txt",
                "-r requirements/base.txt\nflask==2.0  # web\n",
            ),
            (
                "requirements/base.txt",
                "# pinned\nSQLAlchemy==1.3.24 # the ORM\n",
            ),
        ]);
        assert_eq!(v.minimum(), Version(1, 3, 24));
        let d = v.lowest.unwrap();
        assert_eq!(d.what, "`SQLAlchemy==1.3.24` in requirements/base.txt");
        // An upper bound alone allows everything below it.
        let (_d, v) = project(&[("requirements-dev.txt", "sqlalchemy<2\n")]);
        let err = v.check("`F.begin()`", Version::V1_4).unwrap_err();
        assert!(err.contains("allows versions below 1.4"), "{err}");
    }

    #[test]
    fn lock_files_and_sqlmodel() {
        let (_d, v) = project(&[(
            "poetry.lock",
            "[[package]]\nname = \"sqlalchemy\"\nversion = \"1.3.24\"\n\n[[package]]\nname = \"flask\"\nversion = \"2.0\"\n",
        )]);
        assert_eq!(v.minimum(), Version(1, 3, 24));
        assert_eq!(v.highest, Some((Version(1, 3, 24), true)));
        let (_d, v) = project(&[(
            "pyproject.toml",
            "[project]\nname='x'\ndependencies = ['sqlmodel>=0.0.8']\n",
        )]);
        assert_eq!(v.minimum(), Version::V1_4);
        // SQLModel needs 1.4 whatever the SQLAlchemy line says.
        let (_d, v) = project(&[("requirements.txt", "sqlmodel\nsqlalchemy>=1.3\n")]);
        assert_eq!(v.minimum(), Version::V1_4);
    }

    #[test]
    fn a_project_in_a_subfolder_has_its_own_range() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            (
                "Wiki-1.0/setup.py",
                "setup(install_requires=['SQLAlchemy >= 1.2.9, < 1.4'])",
            ),
            (
                "tools/web/pyproject.toml",
                "[project]\ndependencies = ['sqlalchemy>=2.0']\n",
            ),
            ("loose.py", ""),
        ] {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let r = ProjectRanges::detect(dir.path(), &LoadedConfig::default());
        let wiki = r.for_file(&dir.path().join("Wiki-1.0/wiki/pages.py"));
        let why = wiki.check("`Session.begin()`", Version::V1_4).unwrap_err();
        assert!(why.contains("Wiki-1.0/setup.py"), "{why}");
        let web = r.for_file(&dir.path().join("tools/web/app.py"));
        assert_eq!(web.minimum(), Version::parse("2.0").unwrap());
        assert!(r.for_file(&dir.path().join("loose.py")).lowest.is_none());
        assert!(r.some_below(Version::V1_4));
        assert!(r.note().unwrap().contains("outside Wiki-1.0/, web/"));
    }

    #[test]
    fn config_overrides_the_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("requirements.txt"), "SQLAlchemy>=2.0\n").unwrap();
        std::fs::write(
            dir.path().join("codemod.toml"),
            "sqlalchemy-version = \"1.3\"\n",
        )
        .unwrap();
        let config = LoadedConfig::discover(dir.path()).unwrap();
        let v = SqlaVersions::detect(dir.path(), &config);
        assert_eq!(v.minimum(), Version(1, 3, 0));
        let err = v.check("`F.begin()`", Version::V1_4).unwrap_err();
        assert!(
            err.contains("`sqlalchemy-version = \"1.3\"` in codemod.toml"),
            "{err}"
        );
    }
}
