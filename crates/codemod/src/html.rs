//! `report --format html`: one self-contained page (inline CSS and SVG, no external
//! resource): totals, a bar chart of session-management lines per file, a bar chart of
//! blocks per kind for each file, and the clusters with their representative block.
//!
//! A few lines of inline script record, once laid out, how many bars have a non-zero
//! rendered width (`data-bars-rendered` on `<body>`), so a headless browser test can tell
//! the page really rendered.

use std::fmt::Write as _;

use analyzer::Kind;

use crate::clusters::{Cluster, Report};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn kind_colour(k: &str) -> &'static str {
    match k {
        "manual-lifecycle" => "#4e79a7",
        "leaked-session" => "#e15759",
        "raw-factory-with" => "#76b7b2",
        "double-transaction" => "#b07aa1",
        "async-without-context-manager" => "#f28e2b",
        "shared-session" => "#9c755f",
        "session-per-iteration" => "#edc948",
        _ => "#bab0ac",
    }
}

const CSS: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}h3{margin-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
pre{background:#f6f8fa;padding:.7rem;overflow:auto;border-radius:4px}
.totals{display:flex;flex-wrap:wrap;gap:1rem}.totals div{background:#f6f8fa;border-radius:6px;padding:.6rem 1rem}
.totals b{display:block;font-size:1.4rem}.legend span{display:inline-block;margin-right:1rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
.file{display:inline-block;margin:.4rem 1.2rem .4rem 0;vertical-align:top}.muted{color:#666}
";

const SCRIPT: &str = "
window.addEventListener('load',function(){
  var n=0;document.querySelectorAll('svg rect.bar').forEach(function(r){
    if(r.getBoundingClientRect().width>0){n++;}});
  document.body.setAttribute('data-bars-rendered',String(n));
});
";

/// Horizontal bars: one per file, session lines (dark) over lines the plan removes (light).
fn overview_chart(r: &Report, bars: &mut usize) -> String {
    let mut files: Vec<_> = r.files.iter().collect();
    files.sort_by(|a, b| {
        b.session_lines
            .cmp(&a.session_lines)
            .then(a.path.cmp(&b.path))
    });
    let max = files
        .iter()
        .map(|f| f.session_lines.max(f.net_lines_removed.max(0) as usize))
        .max()
        .unwrap_or(1)
        .max(1);
    // Labels: the paths without the folder they all share (the full path is in the tooltip).
    let prefix = common_dir(files.iter().map(|f| f.path.as_str()));
    let label = |p: &str| p[prefix..].to_string();
    let longest = files
        .iter()
        .map(|f| label(&f.path).chars().count())
        .max()
        .unwrap_or(10);
    let label_w = (longest as f64 * 7.0 + 12.0).clamp(120.0, 560.0);
    let bar_w = 420.0;
    let row = 26.0;
    let height = row * files.len() as f64 + 10.0;
    let mut s = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"session-management lines per file\" \
         xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" \
         viewBox=\"0 0 {} {height}\">",
        label_w + bar_w + 80.0,
        label_w + bar_w + 80.0
    );
    for (i, f) in files.iter().enumerate() {
        let y = i as f64 * row + 4.0;
        let w = bar_w * f.session_lines as f64 / max as f64;
        let removed = bar_w * f.net_lines_removed.max(0) as f64 / max as f64;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect class=\"bar\" x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"10\" fill=\"#4e79a7\">\
             <title>{}: {} session lines</title></rect>\
             <rect class=\"bar removed\" x=\"{label_w}\" y=\"{}\" width=\"{removed:.1}\" height=\"8\" fill=\"#a0cbe8\">\
             <title>{}: {} lines removed by the plan</title></rect>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\">{} / {}</text>",
            label_w - 8.0,
            y + 12.0,
            esc(&label(&f.path)),
            esc(&f.path),
            f.session_lines,
            y + 11.0,
            esc(&f.path),
            f.net_lines_removed,
            label_w + w.max(removed) + 6.0,
            y + 12.0,
            f.session_lines,
            f.net_lines_removed
        );
        // Only bars with a width can render as one.
        *bars += usize::from(w > 0.0) + usize::from(removed > 0.0);
    }
    s.push_str("</svg>");
    s
}

/// Byte length of the folder prefix (ending in `/`) all paths share.
fn common_dir<'a>(mut paths: impl Iterator<Item = &'a str>) -> usize {
    let Some(first) = paths.next() else { return 0 };
    let mut len = first.rfind('/').map_or(0, |i| i + 1);
    for p in paths {
        while len > 0 && !(p.len() >= len && p.as_bytes()[..len] == first.as_bytes()[..len]) {
            len = first[..len - 1].rfind('/').map_or(0, |i| i + 1);
        }
    }
    len
}

/// One small chart per file: a bar per kind (blocks).
fn file_chart(f: &crate::clusters::FileRow, bars: &mut usize) -> String {
    let kinds: Vec<(&str, usize)> = Kind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                f.blocks_by_kind.get(k.as_str()).copied().unwrap_or(0),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let max = kinds.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let row = 18.0;
    let label_w = 200.0;
    let bar_w = 160.0;
    let height = row * kinds.len() as f64 + 4.0;
    let mut s = format!(
        "<svg class=\"chart file-chart\" role=\"img\" aria-label=\"blocks per kind in {}\" \
         xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\">",
        esc(&f.path),
        label_w + bar_w + 30.0
    );
    for (i, (k, n)) in kinds.iter().enumerate() {
        let y = i as f64 * row + 2.0;
        let w = bar_w * *n as f64 / max as f64;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\">{k}</text>\
             <rect class=\"bar\" x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"12\" fill=\"{}\">\
             <title>{k}: {n}</title></rect>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\">{n}</text>",
            label_w - 6.0,
            y + 10.0,
            kind_colour(k),
            label_w + w + 4.0,
            y + 10.0
        );
        *bars += 1;
    }
    s.push_str("</svg>");
    s
}

fn cluster_html(s: &mut String, c: &Cluster) {
    let m = &c.representative;
    let _ = write!(
        s,
        "<section class=\"cluster\" id=\"cluster-{}\"><h3>{}. {} × {}</h3>\
         <p class=\"muted\">{} file{}, {} session lines, {} lines removed by the plan</p>\
         <p>Shape: <code>{}</code></p>\
         <p>Representative: <code>{}:{}</code> in <code>{}</code></p><pre>{}</pre>",
        c.id,
        c.id,
        esc(c.kind.as_str()),
        c.size,
        c.files,
        if c.files == 1 { "" } else { "s" },
        c.session_lines,
        c.net_lines_removed,
        esc(&c.shape),
        esc(&m.path),
        m.line,
        esc(&m.scope),
        esc(&c.representative_text)
    );
    s.push_str(
        "<table><tr><th>block</th><th>scope</th><th>rewrite</th><th class=\"n\">session lines</th>\
         <th class=\"n\">lines removed</th><th>how it differs</th></tr>",
    );
    for (i, mm) in c.members.iter().enumerate() {
        let diff = match c.member_differences(i) {
            None => "(representative)".to_string(),
            Some(d) if d.is_empty() => "identical apart from the work inside".to_string(),
            Some(d) => d
                .iter()
                .map(|(k, v, rep)| {
                    format!(
                        "{k}: <code>{}</code> (not <code>{}</code>)",
                        esc(v),
                        esc(rep)
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>"),
        };
        let _ = write!(
            s,
            "<tr><td><code>{}:{}</code></td><td><code>{}</code></td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{diff}</td></tr>",
            esc(&mm.path),
            mm.line,
            esc(&mm.scope),
            mm.safety,
            mm.session_lines,
            mm.lines_removed as i64 - mm.lines_added as i64
        );
    }
    s.push_str("</table></section>");
}

/// The whole page.
pub fn page(r: &Report) -> String {
    let t = &r.totals;
    let mut bars = 0usize;
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Session management report</title><style>",
    );
    s.push_str(CSS);
    s.push_str("</style></head><body>\n<h1>Session management report</h1>\n");
    let _ = writeln!(
        s,
        "<div class=\"totals\">\
         <div><b id=\"total-blocks\">{}</b>blocks</div>\
         <div><b>{}</b>files with blocks (of {} scanned)</div>\
         <div><b>{}</b>session-management lines</div>\
         <div><b>{}</b>lines removed by the plan (-{} +{}, {})</div>\
         <div><b>{}</b>blocks in {} repeated shapes</div></div>",
        t.blocks,
        t.files_with_blocks,
        t.files_scanned,
        t.session_lines,
        t.net_lines_removed,
        t.lines_removed,
        t.lines_added,
        esc(r.rewrites_counted),
        t.blocks_in_repeated_clusters,
        t.repeated_clusters
    );
    s.push_str("<h2>Per file</h2>\n<p class=\"legend\"><span><i style=\"background:#4e79a7\"></i>session-management lines</span><span><i style=\"background:#a0cbe8\"></i>lines the plan removes</span></p>\n");
    s.push_str(&overview_chart(r, &mut bars));
    s.push_str("\n<table><tr><th>file</th><th>class</th><th class=\"n\">blocks</th><th class=\"n\">session lines</th><th class=\"n\">block lines</th><th class=\"n\">lines removed</th></tr>");
    for f in &r.files {
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{} (-{} +{})</td></tr>",
            esc(&f.path),
            f.class,
            f.blocks,
            f.session_lines,
            f.block_lines,
            f.net_lines_removed,
            f.lines_removed,
            f.lines_added
        );
    }
    s.push_str("</table>\n<h2>Blocks per kind, per file</h2>\n");
    for f in &r.files {
        let _ = write!(
            s,
            "<div class=\"file\"><h3><code>{}</code></h3>{}</div>",
            esc(&f.path),
            file_chart(f, &mut bars)
        );
    }
    s.push_str("\n<h2>Per class</h2>\n<table><tr><th>class</th><th>file</th><th class=\"n\">blocks</th><th class=\"n\">session lines</th><th class=\"n\">block lines</th></tr>");
    for c in &r.classes {
        let _ = write!(
            s,
            "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&c.class),
            esc(&c.path),
            c.blocks,
            c.session_lines,
            c.block_lines
        );
    }
    s.push_str("</table>\n<h2>Clusters (largest first)</h2>\n");
    for c in &r.clusters {
        cluster_html(&mut s, c);
    }
    let _ = write!(
        s,
        "\n<script>{SCRIPT}</script>\n<!-- bars: {bars} -->\n</body></html>\n"
    );
    // The bar count the page should render, for tests and curious readers.
    s.replacen("<body>", &format!("<body data-bars=\"{bars}\">"), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_folder() {
        assert_eq!(common_dir(["a/b/x.py", "a/b/c/y.py"].into_iter()), 4);
        assert_eq!(common_dir(["a/b/x.py", "a/c.py"].into_iter()), 2);
        assert_eq!(common_dir(["x.py", "a/c.py"].into_iter()), 0);
        assert_eq!(common_dir(["ab/x.py", "ac/y.py"].into_iter()), 0);
    }

    #[test]
    fn escapes() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
