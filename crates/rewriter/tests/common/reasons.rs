//! The reason check: every line a reason cites exists in the file it is about and holds
//! what the reason says is there (`commit at line 12` cites a line that commits, `the
//! handler at line 9` an `except`, `passes the session to `f`` a line calling `f`). Run
//! over every finding of the testdata by the case snapshots.
#![allow(dead_code)]

/// One cited line: where it sits in the reason and the line number.
struct Cite {
    at: usize,
    end: usize,
    line: usize,
}

/// Every `line N`, `lines A-B` and `(line N)` of a reason (both ends of a range).
fn cites(reason: &str) -> Vec<Cite> {
    let mut out = vec![];
    let b = reason.as_bytes();
    let mut i = 0;
    while let Some(k) = reason[i..].find("line") {
        let at = i + k;
        i = at + 4;
        let mut j = i;
        if b.get(j) == Some(&b's') {
            j += 1;
        }
        if b.get(j) != Some(&b' ') || (at > 0 && b[at - 1].is_ascii_alphanumeric()) {
            continue;
        }
        j += 1;
        let mut first = true;
        loop {
            let start = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if start == j {
                break;
            }
            let line = reason[start..j].parse().unwrap();
            out.push(Cite { at, end: j, line });
            if first && b.get(j) == Some(&b'-') {
                first = false;
                j += 1;
                continue;
            }
            break;
        }
        i = j.max(i);
    }
    out
}

/// The last backticked span of `s`, without its backticks.
fn last_code(s: &str) -> Option<&str> {
    let end = s.rfind('`')?;
    let start = s[..end].rfind('`')?;
    Some(&s[start + 1..end])
}

/// The first backticked span of `s`.
fn first_code(s: &str) -> Option<&str> {
    let start = s.find('`')?;
    let len = s[start + 1..].find('`')?;
    Some(&s[start + 1..start + 1 + len])
}

/// The identifier a code span names: `store.persist` -> `persist`, `rollback()` ->
/// `rollback`, `self.repo` -> `self.repo` (kept whole when it has no call).
fn callee(code: &str) -> &str {
    let code = code.split('(').next().unwrap_or(code);
    code.rsplit('.').next().unwrap_or(code)
}

/// What the words around a citation say the line holds: each alternative is a text the
/// line must contain (any one of them). Empty: the line only has to hold code.
fn claim(before: &str, after: &str) -> Vec<String> {
    let clause = before.rsplit([';', ':']).next().unwrap_or(before);
    let tail = |w: &str| before.ends_with(w);
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    if tail("commit at ") {
        return own(&["commit"]);
    }
    if tail("rollback at ") {
        return own(&["rollback"]);
    }
    if tail("removed from it at ") {
        return own(&["remove("]);
    }
    if tail("handler at ") {
        return own(&["except"]);
    }
    if tail("`try:` at ") {
        return own(&["try"]);
    }
    if tail("`return` at ") || tail("returned at ") {
        return own(&["return"]);
    }
    if tail("loop at ") {
        return own(&["for ", "while "]);
    }
    if tail("body at ") {
        if let Some(code) = last_code(before) {
            return vec![callee(code).to_string()];
        }
    }
    if let Some(rest) = after.strip_prefix(" passes the session to ") {
        if let Some(code) = first_code(rest) {
            return vec![callee(code).to_string()];
        }
    }
    if tail("(") {
        if clause.contains("global or nonlocal") {
            return own(&["global", "nonlocal"]);
        }
        // The line where the nested function uses the name.
        if clause.contains("nested function or lambda") {
            if let Some(code) = first_code(clause) {
                return vec![code.to_string()];
            }
        }
        if clause.contains("is stored on") || clause.contains("itself is used") {
            if let Some(code) = last_code(clause).or_else(|| first_code(clause)) {
                return vec![code.to_string()];
            }
        }
    }
    vec![]
}

/// What is wrong with the lines `reason` cites in `text` (empty when nothing).
pub fn check(text: &str, reason: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut wrong = vec![];
    for c in cites(reason) {
        let Some(line) = c.line.checked_sub(1).and_then(|i| lines.get(i)) else {
            wrong.push(format!(
                "cites line {} of a {}-line file",
                c.line,
                lines.len()
            ));
            continue;
        };
        let code = line.trim();
        if code.is_empty() || code.starts_with('#') {
            wrong.push(format!(
                "cites line {}, which holds no code: {line:?}",
                c.line
            ));
            continue;
        }
        let wants = claim(&reason[..c.at], &reason[c.end..]);
        if !wants.is_empty() && !wants.iter().any(|w| line.contains(w.as_str())) {
            wrong.push(format!(
                "says line {} holds {}, but it is {code:?}",
                c.line,
                wants.join(" or ")
            ));
        }
    }
    wrong
}

#[test]
fn the_check_catches_a_wrong_line() {
    let text = "def f(s):\n    s.add(1)\n\n    s.commit()\n";
    assert!(check(text, "commit at line 4 is the last").is_empty());
    assert_eq!(check(text, "commit at line 2 is the last").len(), 1);
    assert_eq!(check(text, "used outside it (line 3)").len(), 1);
    assert_eq!(check(text, "used outside it (line 9)").len(), 1);
    assert!(check(text, "lines 2-4 are the work").is_empty());
    assert_eq!(
        check(text, "line 2 passes the session to `m.persist`, which").len(),
        1
    );
    assert!(check(
        text,
        "`s` is captured by a nested function or lambda (line 1)"
    )
    .is_empty());
}
