//! The duplication map behind `codemod report`: every block `plan` found, counted per file
//! and per class, grouped into clusters of one structural shape, with the lines the
//! planned rewrites remove measured from the plan's diff.

use std::collections::{BTreeMap, BTreeSet};

use analyzer::{Kind, Safety};
use serde::Serialize;

use crate::baseline::Key;
use crate::classify::FileClass;
use crate::collect::{Collected, File, Item};
use crate::report::{FileError, Skipped};
use codemod_core::BlockInfo;

#[derive(Debug, Serialize)]
pub struct Report {
    /// Which rewrites the diff counts: `safe and review` (plan's default) or `safe`.
    pub rewrites_counted: &'static str,
    pub totals: Totals,
    pub files: Vec<FileRow>,
    pub classes: Vec<ClassRow>,
    /// Largest first; every block is in exactly one cluster.
    pub clusters: Vec<Cluster>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<FileError>,
}

#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub files_scanned: usize,
    pub files_with_blocks: usize,
    pub blocks: usize,
    pub blocks_by_kind: BTreeMap<&'static str, usize>,
    pub fixable_blocks: usize,
    /// Lines of all blocks, first to last line.
    pub block_lines: usize,
    /// Lines of the blocks that manage the session (not the work done with it).
    pub session_lines: usize,
    /// From the plan's diff: lines deleted, lines added, deleted minus added.
    pub lines_removed: usize,
    pub lines_added: usize,
    pub net_lines_removed: i64,
    pub clusters: usize,
    /// Clusters with more than one block, and the blocks in them.
    pub repeated_clusters: usize,
    pub blocks_in_repeated_clusters: usize,
}

#[derive(Debug, Serialize)]
pub struct FileRow {
    pub path: String,
    pub class: FileClass,
    pub blocks: usize,
    pub blocks_by_kind: BTreeMap<&'static str, usize>,
    pub block_lines: usize,
    pub session_lines: usize,
    pub lines_removed: usize,
    pub lines_added: usize,
    pub net_lines_removed: i64,
}

#[derive(Debug, Serialize)]
pub struct ClassRow {
    pub path: String,
    /// The enclosing class, or `(module level)`.
    pub class: String,
    pub blocks: usize,
    pub session_lines: usize,
    pub block_lines: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub kind: Kind,
    pub scope: String,
    pub safety: Safety,
    pub fixable: bool,
    pub block_lines: usize,
    pub session_lines: usize,
    /// Diff lines inside the block: deleted, added.
    pub lines_removed: usize,
    pub lines_added: usize,
    /// Where the member differs from the representative: field -> the member's value.
    pub differences: BTreeMap<&'static str, String>,
}

#[derive(Debug, Serialize)]
pub struct Cluster {
    pub id: usize,
    /// Short stable hash of the shape.
    pub fingerprint: String,
    pub kind: Kind,
    pub shape: String,
    pub size: usize,
    pub files: usize,
    pub session_lines: usize,
    pub net_lines_removed: i64,
    pub representative: Member,
    /// The representative's source lines.
    pub representative_text: String,
    /// The representative's concrete values (factory, exceptions...), what members differ in.
    pub representative_details: BTreeMap<&'static str, String>,
    /// All members, the representative first.
    pub members: Vec<Member>,
}

impl Cluster {
    /// How member `i` differs from the representative, for the renderers: `None` for the
    /// representative itself, else `(field, member's value, representative's value)`, `-`
    /// for an empty value (empty when only the work inside differs).
    pub fn member_differences(&self, i: usize) -> Option<Vec<(&'static str, &str, &str)>> {
        if i == 0 {
            return None;
        }
        Some(
            self.members[i]
                .differences
                .iter()
                .map(|(k, v)| {
                    let rep = self
                        .representative_details
                        .get(k)
                        .map_or("", String::as_str);
                    (*k, dash(v), dash(rep))
                })
                .collect(),
        )
    }
}

fn dash(v: &str) -> &str {
    if v.is_empty() {
        "-"
    } else {
        v
    }
}

/// Deleted lines (old line numbers) and added lines (attributed to the old line they
/// follow) of a unified diff.
pub fn diff_lines(diff: &str) -> (Vec<usize>, Vec<usize>) {
    let mut removed = vec![];
    let mut added = vec![];
    let mut old = 0usize;
    let mut in_hunk = false;
    for line in diff.lines() {
        if let Some(rest) = line.strip_prefix("@@ -") {
            let start = rest
                .split([',', ' '])
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(1);
            old = start;
            in_hunk = true;
            continue;
        }
        if !in_hunk || line.starts_with("--- ") || line.starts_with("+++ ") {
            continue;
        }
        match line.as_bytes().first() {
            Some(b' ') => old += 1,
            Some(b'-') => {
                removed.push(old);
                old += 1;
            }
            Some(b'+') => added.push(old.saturating_sub(1)),
            Some(b'\\') => {}
            _ => old += 1,
        }
    }
    (removed, added)
}

/// The report of a run: counts per file and per class, and the blocks clustered by shape.
pub fn build(run: &Collected, safe_only: bool) -> Report {
    let mut tally = Tally::new(run);
    for file in &run.files {
        tally.add_file(file);
    }
    let Tally {
        mut totals,
        files,
        classes,
        by_shape,
    } = tally;
    totals.files_with_blocks = files.len();
    totals.net_lines_removed = totals.lines_removed as i64 - totals.lines_added as i64;

    let clusters = clusters(by_shape);
    totals.clusters = clusters.len();
    totals.repeated_clusters = clusters.iter().filter(|c| c.size > 1).count();
    totals.blocks_in_repeated_clusters =
        clusters.iter().filter(|c| c.size > 1).map(|c| c.size).sum();

    Report {
        rewrites_counted: if safe_only { "safe" } else { "safe and review" },
        totals,
        files,
        classes: sorted_classes(classes),
        clusters,
        skipped: run.skipped.clone(),
        errors: run.errors.clone(),
    }
}

/// A block as its cluster sees it: the member, its concrete values and its source lines.
#[derive(Clone)]
struct ShapeMember {
    member: Member,
    details: BTreeMap<&'static str, String>,
    text: String,
}

/// What `build` gathers file by file.
struct Tally {
    totals: Totals,
    files: Vec<FileRow>,
    /// (path, class) -> its row.
    classes: BTreeMap<(String, String), ClassRow>,
    /// (kind, shape) -> its blocks.
    by_shape: BTreeMap<(Kind, String), Vec<ShapeMember>>,
}

impl Tally {
    fn new(run: &Collected) -> Tally {
        let totals = Totals {
            files_scanned: run.counts.files_scanned,
            blocks_by_kind: Kind::of(&run.counts.languages)
                .map(|k| (k.as_str(), 0))
                .collect(),
            ..Totals::default()
        };
        Tally {
            totals,
            files: vec![],
            classes: BTreeMap::new(),
            by_shape: BTreeMap::new(),
        }
    }

    /// One file: its row, added to the totals, and its blocks.
    fn add_file(&mut self, file: &File) {
        let (removed, added) = file.diff.as_deref().map(diff_lines).unwrap_or_default();
        let per_block = diff_lines_per_block(&file.items, &removed, &added);
        let mut row = FileRow {
            path: file.display.clone(),
            class: file.class,
            blocks: file.items.len(),
            blocks_by_kind: BTreeMap::new(),
            block_lines: 0,
            session_lines: 0,
            lines_removed: removed.len(),
            lines_added: added.len(),
            net_lines_removed: removed.len() as i64 - added.len() as i64,
        };
        // Lines are counted once per file even where blocks nest.
        let mut block_lines: BTreeSet<usize> = BTreeSet::new();
        for (item, diff) in file.items.iter().zip(per_block) {
            let b = &item.block;
            *row.blocks_by_kind
                .entry(item.finding.kind.as_str())
                .or_default() += 1;
            block_lines.extend(b.start_line..=b.end_line);
            row.session_lines += b.session_lines;
            self.add_block(file, item, diff);
        }
        row.block_lines = block_lines.len();
        let totals = &mut self.totals;
        totals.blocks += row.blocks;
        totals.block_lines += row.block_lines;
        totals.session_lines += row.session_lines;
        totals.lines_removed += row.lines_removed;
        totals.lines_added += row.lines_added;
        self.files.push(row);
    }

    /// One block, with the diff lines it holds (deleted, added): counted by kind, in its
    /// class's row, and among its shape's members.
    fn add_block(
        &mut self,
        file: &File,
        item: &Item,
        (lines_removed, lines_added): (usize, usize),
    ) {
        let (b, f) = (&item.block, &item.finding);
        *self
            .totals
            .blocks_by_kind
            .entry(f.kind.as_str())
            .or_default() += 1;
        self.totals.fixable_blocks += usize::from(f.applied);
        self.add_to_class(&file.display, b);
        let member = Member {
            path: file.display.clone(),
            line: f.line,
            column: f.column,
            kind: f.kind,
            scope: b.scope.clone(),
            safety: f.safety,
            fixable: f.applied,
            block_lines: b.end_line + 1 - b.start_line,
            session_lines: b.session_lines,
            lines_removed,
            lines_added,
            differences: BTreeMap::new(),
        };
        self.by_shape
            .entry((f.kind, b.shape.clone()))
            .or_default()
            .push(ShapeMember {
                member,
                details: b.details.clone(),
                text: b.text.clone(),
            });
    }

    fn add_to_class(&mut self, path: &str, b: &BlockInfo) {
        let class = b
            .class
            .clone()
            .unwrap_or_else(|| "(module level)".to_string());
        let c = self
            .classes
            .entry((path.to_string(), class.clone()))
            .or_insert_with(|| ClassRow {
                path: path.to_string(),
                class,
                blocks: 0,
                session_lines: 0,
                block_lines: 0,
            });
        c.blocks += 1;
        c.session_lines += b.session_lines;
        c.block_lines += b.end_line + 1 - b.start_line;
    }
}

/// The diff lines (deleted, added) each of `items`' blocks holds: a line goes to the
/// innermost block holding it.
fn diff_lines_per_block(items: &[Item], removed: &[usize], added: &[usize]) -> Vec<(usize, usize)> {
    let owner = |line: usize| -> Option<usize> {
        items
            .iter()
            .map(|i| (i.block.start_line, i.block.end_line))
            .enumerate()
            .filter(|(_, (s, e))| *s <= line && line <= *e)
            .min_by_key(|(_, (s, e))| e - s)
            .map(|(i, _)| i)
    };
    let mut per_block = vec![(0usize, 0usize); items.len()];
    for &l in removed {
        if let Some(i) = owner(l) {
            per_block[i].0 += 1;
        }
    }
    for &l in added {
        if let Some(i) = owner(l) {
            per_block[i].1 += 1;
        }
    }
    per_block
}

/// One cluster per shape, largest first (then most session lines), numbered from 1.
fn clusters(by_shape: BTreeMap<(Kind, String), Vec<ShapeMember>>) -> Vec<Cluster> {
    let mut clusters: Vec<Cluster> = by_shape
        .into_iter()
        .map(|((kind, shape), members)| cluster(kind, shape, members))
        .collect();
    clusters.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then(b.session_lines.cmp(&a.session_lines))
            .then(a.kind.cmp(&b.kind))
            .then(a.shape.cmp(&b.shape))
    });
    for (i, c) in clusters.iter_mut().enumerate() {
        c.id = i + 1;
    }
    clusters
}

/// A shape's blocks in path and line order, the first the representative; `id` is set
/// once the clusters are sorted.
fn cluster(kind: Kind, shape: String, mut entries: Vec<ShapeMember>) -> Cluster {
    entries.sort_by(|a, b| (&a.member.path, a.member.line).cmp(&(&b.member.path, b.member.line)));
    let rep = entries[0].clone();
    let members: Vec<Member> = entries
        .into_iter()
        .map(|e| with_differences(e, &rep.details))
        .collect();
    let files: BTreeSet<&str> = members.iter().map(|m| m.path.as_str()).collect();
    Cluster {
        id: 0,
        fingerprint: shape_fingerprint(kind, &shape),
        kind,
        size: members.len(),
        files: files.len(),
        session_lines: members.iter().map(|m| m.session_lines).sum(),
        net_lines_removed: members
            .iter()
            .map(|m| m.lines_removed as i64 - m.lines_added as i64)
            .sum(),
        shape,
        representative: rep.member,
        representative_text: rep.text,
        representative_details: rep.details,
        members,
    }
}

/// The member with where its concrete values differ from the representative's: its own
/// value, or empty for one it lacks.
fn with_differences(entry: ShapeMember, rep_details: &BTreeMap<&'static str, String>) -> Member {
    let ShapeMember {
        member: mut m,
        details,
        ..
    } = entry;
    for (k, v) in &details {
        if rep_details.get(k) != Some(v) {
            m.differences.insert(k, v.clone());
        }
    }
    for k in rep_details.keys() {
        if !details.contains_key(k) {
            m.differences.insert(k, String::new());
        }
    }
    m
}

/// Short stable hash of a kind and shape: the baseline key's fingerprint with no path or
/// scope.
fn shape_fingerprint(kind: Kind, shape: &str) -> String {
    Key {
        path: String::new(),
        code: kind.as_str().to_string(),
        scope: String::new(),
        block: shape.to_string(),
    }
    .fingerprint()[..8]
        .to_string()
}

/// Most session lines first, then by path and class.
fn sorted_classes(classes: BTreeMap<(String, String), ClassRow>) -> Vec<ClassRow> {
    let mut classes: Vec<ClassRow> = classes.into_values().collect();
    classes.sort_by(|a, b| {
        b.session_lines
            .cmp(&a.session_lines)
            .then(a.path.cmp(&b.path))
            .then(a.class.cmp(&b.class))
    });
    classes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lines_follow_old_line_numbers() {
        let diff = "--- a/x.py\n+++ b/x.py\n@@ -3,6 +3,4 @@\n def f():\n-    s = F()\n-    try:\n+    with g() as s:\n         s.add(1)\n-    finally:\n-        s.close()\n x = 1\n";
        let (removed, added) = diff_lines(diff);
        assert_eq!(removed, vec![4, 5, 7, 8]);
        assert_eq!(added, vec![5]);
    }

    const DB: &str = "from contextlib import contextmanager\n\
        from sqlalchemy.orm import sessionmaker\n\n\
        SessionLocal = sessionmaker()\n\n\
        @contextmanager\n\
        def session_scope():\n    session = SessionLocal()\n    try:\n        yield session\n        \
        session.commit()\n    except Exception:\n        session.rollback()\n        raise\n    \
        finally:\n        session.close()\n";

    /// The report of a project made of `db.py` and `files`: totals, a line per file and
    /// class, and per cluster a line, its representative (and text) and its members.
    fn report_of(files: &[(&str, &str)], safe_only: bool) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join("pyproject.toml"), "[project]\nname = \"t\"\n").unwrap();
        std::fs::write(root.join("db.py"), DB).unwrap();
        for (name, text) in files {
            std::fs::write(root.join(name), text).unwrap();
        }
        let selection = if safe_only {
            rewriter::Selection::SafeOnly
        } else {
            rewriter::Selection::SafeAndReview
        };
        let run = crate::collect::collect(&[root], None, selection).unwrap();
        let report = build(&run, safe_only);
        let member = |m: &Member| {
            format!(
                "{}:{}:{} {} {:?} {:?} fixable={} lines={}/{} -{} +{} {:?}",
                m.path,
                m.line,
                m.column,
                m.scope,
                m.kind,
                m.safety,
                m.fixable,
                m.block_lines,
                m.session_lines,
                m.lines_removed,
                m.lines_added,
                m.differences
            )
        };
        let mut out = vec![format!(
            "{} {}",
            report.rewrites_counted,
            serde_json::to_string(&report.totals).unwrap()
        )];
        for f in &report.files {
            out.push(format!("file {}", serde_json::to_string(f).unwrap()));
        }
        for c in &report.classes {
            out.push(format!("class {}", serde_json::to_string(c).unwrap()));
        }
        for c in &report.clusters {
            out.push(format!(
                "cluster {} {} {:?} size={} files={} session_lines={} net={} [{}] {:?}",
                c.id,
                c.fingerprint,
                c.kind,
                c.size,
                c.files,
                c.session_lines,
                c.net_lines_removed,
                c.shape,
                c.representative_details
            ));
            out.push(format!("  representative {}", member(&c.representative)));
            out.push(format!("  {:?}", c.representative_text));
            out.extend(c.members.iter().map(|m| format!("  member {}", member(m))));
        }
        let root = format!("{}/", std::fs::canonicalize(dir.path()).unwrap().display());
        out.iter().map(|l| l.replace(&root, "")).collect()
    }

    /// `a.py`: a class with two blocks of one shape, a leaked session, a raw `with` holding
    /// a manual block (diff lines go to the inner one); `b.py`: the shape again in another
    /// class, a double commit. The raw `with` is a review rewrite: the safe-only count
    /// leaves its diff lines out.
    const A: &[&str] = &[
        "from db import SessionLocal",
        "",
        "",
        "class Repo:",
        "    def get(self, x):",
        "        session = SessionLocal()",
        "        try:",
        "            session.add(x)",
        "            session.commit()",
        "        except Exception:",
        "            session.rollback()",
        "            raise",
        "        finally:",
        "            session.close()",
        "",
        "    def put(self, x):",
        "        s = SessionLocal()",
        "        try:",
        "            s.add(x)",
        "            s.commit()",
        "        except ValueError:",
        "            s.rollback()",
        "            raise",
        "        finally:",
        "            s.close()",
        "",
        "",
        "def leak(x):",
        "    s = SessionLocal()",
        "    s.add(x)",
        "    s.commit()",
        "",
        "",
        "def nested(x):",
        "    with SessionLocal() as outer:",
        "        outer.add(x)",
        "        inner = SessionLocal()",
        "        try:",
        "            inner.add(x)",
        "            inner.commit()",
        "        finally:",
        "            inner.close()",
    ];
    const B: &[&str] = &[
        "from db import SessionLocal, session_scope",
        "",
        "",
        "class Other:",
        "    def get(self, x):",
        "        db = SessionLocal()",
        "        try:",
        "            db.add(x)",
        "            db.commit()",
        "        except KeyError:",
        "            db.rollback()",
        "            raise",
        "        finally:",
        "            db.close()",
        "",
        "",
        "def twice(x):",
        "    with session_scope() as s:",
        "        s.add(x)",
        "        s.commit()",
    ];

    fn lines(l: &[&str]) -> String {
        l.iter().map(|l| format!("{l}\n")).collect()
    }

    #[test]
    fn report_counts_files_classes_and_clusters() {
        let files = [("a.py", lines(A)), ("b.py", lines(B))];
        let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        assert_eq!(
            report_of(&files, false),
            &[
                "safe and review {\"files_scanned\":3,\"files_with_blocks\":2,\"blocks\":7,\"blocks_by_kind\":{\"async-without-context-manager\":0,\"double-transaction\":1,\"leaked-session\":1,\"manual-lifecycle\":4,\"raw-factory-with\":1,\"session-per-iteration\":0,\"shared-session\":0},\"fixable_blocks\":7,\"block_lines\":39,\"session_lines\":33,\"lines_removed\":36,\"lines_added\":9,\"net_lines_removed\":27,\"clusters\":5,\"repeated_clusters\":1,\"blocks_in_repeated_clusters\":3}",
                "file {\"path\":\"a.py\",\"class\":\"production\",\"blocks\":5,\"blocks_by_kind\":{\"leaked-session\":1,\"manual-lifecycle\":3,\"raw-factory-with\":1},\"block_lines\":29,\"session_lines\":24,\"lines_removed\":26,\"lines_added\":7,\"net_lines_removed\":19}",
                "file {\"path\":\"b.py\",\"class\":\"production\",\"blocks\":2,\"blocks_by_kind\":{\"double-transaction\":1,\"manual-lifecycle\":1},\"block_lines\":10,\"session_lines\":9,\"lines_removed\":10,\"lines_added\":2,\"net_lines_removed\":8}",
                "class {\"path\":\"a.py\",\"class\":\"Repo\",\"blocks\":2,\"session_lines\":16,\"block_lines\":18}",
                "class {\"path\":\"a.py\",\"class\":\"(module level)\",\"blocks\":3,\"session_lines\":8,\"block_lines\":17}",
                "class {\"path\":\"b.py\",\"class\":\"Other\",\"blocks\":1,\"session_lines\":8,\"block_lines\":9}",
                "class {\"path\":\"b.py\",\"class\":\"(module level)\",\"blocks\":1,\"session_lines\":1,\"block_lines\":1}",
                "cluster 1 3aed05eb ManualLifecycle size=3 files=2 session_lines=24 net=21 [manual-lifecycle: S = _(); try: …; commit | except _: rollback; raise | finally: close] {\"exceptions\": \"Exception\", \"factory\": \"SessionLocal()\", \"raises\": \"\", \"session\": \"session\"}",
                "  representative a.py:6:9 Repo.get ManualLifecycle Safe fixable=true lines=9/8 -8 +1 {}",
                "  \"session = SessionLocal()\\ntry:\\n    session.add(x)\\n    session.commit()\\nexcept Exception:\\n    session.rollback()\\n    raise\\nfinally:\\n    session.close()\"",
                "  member a.py:6:9 Repo.get ManualLifecycle Safe fixable=true lines=9/8 -8 +1 {}",
                "  member a.py:17:9 Repo.put ManualLifecycle Safe fixable=true lines=9/8 -8 +1 {\"exceptions\": \"ValueError\", \"session\": \"s\"}",
                "  member b.py:6:9 Other.get ManualLifecycle Safe fixable=true lines=9/8 -8 +1 {\"exceptions\": \"KeyError\", \"session\": \"db\"}",
                "cluster 2 433d0dc8 ManualLifecycle size=1 files=1 session_lines=5 net=4 [manual-lifecycle: S = _(); try: …; commit | finally: close] {\"exceptions\": \"\", \"factory\": \"SessionLocal()\", \"raises\": \"\", \"session\": \"inner\"}",
                "  representative a.py:37:9 nested ManualLifecycle Safe fixable=true lines=6/5 -5 +1 {}",
                "  \"inner = SessionLocal()\\ntry:\\n    inner.add(x)\\n    inner.commit()\\nfinally:\\n    inner.close()\"",
                "  member a.py:37:9 nested ManualLifecycle Safe fixable=true lines=6/5 -5 +1 {}",
                "cluster 3 823ac831 LeakedSession size=1 files=1 session_lines=2 net=1 [leaked-session: S = _(); …; commit] {\"factory\": \"SessionLocal()\", \"session\": \"s\"}",
                "  representative a.py:29:5 leak LeakedSession Safe fixable=true lines=3/2 -3 +2 {}",
                "  \"s = SessionLocal()\\ns.add(x)\\ns.commit()\"",
                "  member a.py:29:5 leak LeakedSession Safe fixable=true lines=3/2 -3 +2 {}",
                "cluster 4 05b683d0 RawFactoryWith size=1 files=1 session_lines=1 net=0 [raw-factory-with: with _() as S: …] {\"factory\": \"SessionLocal()\", \"session\": \"outer\"}",
                "  representative a.py:35:5 nested RawFactoryWith Review fixable=true lines=8/1 -1 +1 {}",
                "  \"with SessionLocal() as outer:\\n    outer.add(x)\\n    inner = SessionLocal()\\n    try:\\n        inner.add(x)\\n        inner.commit()\\n    finally:\\n        inner.close()\"",
                "  member a.py:35:5 nested RawFactoryWith Review fixable=true lines=8/1 -1 +1 {}",
                "cluster 5 780e15be DoubleTransaction size=1 files=1 session_lines=1 net=1 [double-transaction: S.commit() at the end of the block] {\"guard\": \"session_scope()\", \"session\": \"s\"}",
                "  representative b.py:20:9 twice DoubleTransaction Safe fixable=true lines=1/1 -1 +0 {}",
                "  \"s.commit()\"",
                "  member b.py:20:9 twice DoubleTransaction Safe fixable=true lines=1/1 -1 +0 {}",
            ]
        );
        assert_eq!(
            report_of(&files, true),
            &[
                "safe {\"files_scanned\":3,\"files_with_blocks\":2,\"blocks\":7,\"blocks_by_kind\":{\"async-without-context-manager\":0,\"double-transaction\":1,\"leaked-session\":1,\"manual-lifecycle\":4,\"raw-factory-with\":1,\"session-per-iteration\":0,\"shared-session\":0},\"fixable_blocks\":6,\"block_lines\":39,\"session_lines\":33,\"lines_removed\":35,\"lines_added\":8,\"net_lines_removed\":27,\"clusters\":5,\"repeated_clusters\":1,\"blocks_in_repeated_clusters\":3}",
                "file {\"path\":\"a.py\",\"class\":\"production\",\"blocks\":5,\"blocks_by_kind\":{\"leaked-session\":1,\"manual-lifecycle\":3,\"raw-factory-with\":1},\"block_lines\":29,\"session_lines\":24,\"lines_removed\":25,\"lines_added\":6,\"net_lines_removed\":19}",
                "file {\"path\":\"b.py\",\"class\":\"production\",\"blocks\":2,\"blocks_by_kind\":{\"double-transaction\":1,\"manual-lifecycle\":1},\"block_lines\":10,\"session_lines\":9,\"lines_removed\":10,\"lines_added\":2,\"net_lines_removed\":8}",
                "class {\"path\":\"a.py\",\"class\":\"Repo\",\"blocks\":2,\"session_lines\":16,\"block_lines\":18}",
                "class {\"path\":\"a.py\",\"class\":\"(module level)\",\"blocks\":3,\"session_lines\":8,\"block_lines\":17}",
                "class {\"path\":\"b.py\",\"class\":\"Other\",\"blocks\":1,\"session_lines\":8,\"block_lines\":9}",
                "class {\"path\":\"b.py\",\"class\":\"(module level)\",\"blocks\":1,\"session_lines\":1,\"block_lines\":1}",
                "cluster 1 3aed05eb ManualLifecycle size=3 files=2 session_lines=24 net=21 [manual-lifecycle: S = _(); try: …; commit | except _: rollback; raise | finally: close] {\"exceptions\": \"Exception\", \"factory\": \"SessionLocal()\", \"raises\": \"\", \"session\": \"session\"}",
                "  representative a.py:6:9 Repo.get ManualLifecycle Safe fixable=true lines=9/8 -8 +1 {}",
                "  \"session = SessionLocal()\\ntry:\\n    session.add(x)\\n    session.commit()\\nexcept Exception:\\n    session.rollback()\\n    raise\\nfinally:\\n    session.close()\"",
                "  member a.py:6:9 Repo.get ManualLifecycle Safe fixable=true lines=9/8 -8 +1 {}",
                "  member a.py:17:9 Repo.put ManualLifecycle Safe fixable=true lines=9/8 -8 +1 {\"exceptions\": \"ValueError\", \"session\": \"s\"}",
                "  member b.py:6:9 Other.get ManualLifecycle Safe fixable=true lines=9/8 -8 +1 {\"exceptions\": \"KeyError\", \"session\": \"db\"}",
                "cluster 2 433d0dc8 ManualLifecycle size=1 files=1 session_lines=5 net=4 [manual-lifecycle: S = _(); try: …; commit | finally: close] {\"exceptions\": \"\", \"factory\": \"SessionLocal()\", \"raises\": \"\", \"session\": \"inner\"}",
                "  representative a.py:37:9 nested ManualLifecycle Safe fixable=true lines=6/5 -5 +1 {}",
                "  \"inner = SessionLocal()\\ntry:\\n    inner.add(x)\\n    inner.commit()\\nfinally:\\n    inner.close()\"",
                "  member a.py:37:9 nested ManualLifecycle Safe fixable=true lines=6/5 -5 +1 {}",
                "cluster 3 823ac831 LeakedSession size=1 files=1 session_lines=2 net=1 [leaked-session: S = _(); …; commit] {\"factory\": \"SessionLocal()\", \"session\": \"s\"}",
                "  representative a.py:29:5 leak LeakedSession Safe fixable=true lines=3/2 -3 +2 {}",
                "  \"s = SessionLocal()\\ns.add(x)\\ns.commit()\"",
                "  member a.py:29:5 leak LeakedSession Safe fixable=true lines=3/2 -3 +2 {}",
                "cluster 4 05b683d0 RawFactoryWith size=1 files=1 session_lines=1 net=0 [raw-factory-with: with _() as S: …] {\"factory\": \"SessionLocal()\", \"session\": \"outer\"}",
                "  representative a.py:35:5 nested RawFactoryWith Review fixable=false lines=8/1 -0 +0 {}",
                "  \"with SessionLocal() as outer:\\n    outer.add(x)\\n    inner = SessionLocal()\\n    try:\\n        inner.add(x)\\n        inner.commit()\\n    finally:\\n        inner.close()\"",
                "  member a.py:35:5 nested RawFactoryWith Review fixable=false lines=8/1 -0 +0 {}",
                "cluster 5 780e15be DoubleTransaction size=1 files=1 session_lines=1 net=1 [double-transaction: S.commit() at the end of the block] {\"guard\": \"session_scope()\", \"session\": \"s\"}",
                "  representative b.py:20:9 twice DoubleTransaction Safe fixable=true lines=1/1 -1 +0 {}",
                "  \"s.commit()\"",
                "  member b.py:20:9 twice DoubleTransaction Safe fixable=true lines=1/1 -1 +0 {}",
            ]
        );
    }
}
