//! The interactive commands through a real terminal (tmux): `codemod apply -i` answered
//! y / n / q and n / a, checking the file holds exactly the accepted rewrites; and the
//! refusals without a terminal (`apply -i`, `migrate review`), plus the scripted review
//! flags of `codemod migrate review`.
//!
//! Needs `tmux` (CI installs it); without it the terminal tests say so and pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::*;

const PART: &str = "app/services/part_service.py";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_codemod")
}

fn project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inventory");
    copy_tree(&example(), &dir);
    (tmp, dir)
}

fn codemod(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// `(kind, class)` of every rewrite `plan` would still make in `rel`, counted.
fn planned_rewrites(dir: &Path, rel: &str) -> BTreeMap<(String, String), usize> {
    let out = codemod(dir, &["plan", "--format", "json", rel]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut counts = BTreeMap::new();
    for file in json["files"].as_array().unwrap() {
        for r in file["rewrites"].as_array().unwrap() {
            if r["applied"] == Value::Bool(true) {
                let key = (
                    r["kind"].as_str().unwrap().to_string(),
                    r["safety"].as_str().unwrap().to_string(),
                );
                *counts.entry(key).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// The safe rewrites `apply -i` offers, in the order it offers them: (line, kind).
fn offered(dir: &Path, rel: &str) -> Vec<(usize, String)> {
    let out = codemod(dir, &["plan", "--format", "json", rel]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found = vec![];
    for file in json["files"].as_array().unwrap() {
        for r in file["rewrites"].as_array().unwrap() {
            if r["applied"] == Value::Bool(true) && r["safety"] == "safe" {
                found.push((
                    r["line"].as_u64().unwrap() as usize,
                    r["kind"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    found.sort();
    found
}

/// A detached tmux session on its own server, killed on drop.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    /// Run `command` (a shell line) in a new 200x50 terminal; the server's socket is
    /// `socket` (in the test's temp folder).
    fn start(socket: PathBuf, command: &str) -> Tmux {
        let t = Tmux { socket };
        let out = t.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "50",
            "-s",
            "t",
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.tmux(&["set-option", "-t", "t", "history-limit", "20000"]);
        t
    }

    fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "t"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out waiting for {needle:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn answer(&self, keys: &str) {
        let out = self.tmux(&["send-keys", "-t", "t", keys, "Enter"]);
        assert!(out.status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// Run `codemod apply -i FILE` in tmux and give `answers`, each after its prompt;
/// returns the whole screen once the command has exited.
fn apply_interactively(dir: &Path, file: &str, answers: &[&str]) -> String {
    let done = dir.join(".exit-code");
    let command = format!(
        "cd '{}' && '{}' apply -i {file}; echo $? > '{}'; sleep 60",
        dir.display(),
        bin(),
        done.display()
    );
    let tmux = Tmux::start(dir.with_file_name("tmux.sock"), &command);
    let first = tmux.wait_for("(1/");
    let total = first
        .split("(1/")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .and_then(|n| n.parse::<usize>().ok())
        .expect("a prompt (1/N)");
    assert!(
        total >= 3,
        "expected at least 3 rewrites to answer\n{first}"
    );
    for (i, a) in answers.iter().enumerate() {
        tmux.wait_for(&format!(
            "({}/{total}) Apply this rewrite [y,n,a,q,?]?",
            i + 1
        ));
        tmux.answer(a);
    }
    let start = Instant::now();
    while !done.is_file() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "apply -i did not exit; screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let screen = tmux.screen();
    let code = std::fs::read_to_string(&done).unwrap();
    std::fs::remove_file(&done).unwrap();
    assert_eq!(code.trim(), "0", "screen:\n{screen}");
    screen
}

fn minus(
    mut a: BTreeMap<(String, String), usize>,
    key: (&str, &str),
) -> BTreeMap<(String, String), usize> {
    let k = (key.0.to_string(), key.1.to_string());
    let n = a.get_mut(&k).expect("present");
    *n -= 1;
    if *n == 0 {
        a.remove(&k);
    }
    a
}

#[test]
fn apply_interactive_yes_no_quit_writes_exactly_the_accepted_rewrite() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install -y tmux)");
        return;
    }
    let (_tmp, dir) = project();
    let original = std::fs::read_to_string(dir.join(PART)).unwrap();
    let before = planned_rewrites(&dir, PART);
    let offers = offered(&dir, PART);
    assert!(offers.len() >= 3, "{offers:?}");
    let (first_line, first_kind) = offers[0].clone();
    let second_line = offers[1].0;

    let screen = apply_interactively(&dir, PART, &["y", "n", "q"]);
    // Each prompt came with the rewrite's class, reason and diff.
    assert!(
        screen.contains(&format!(
            "{PART}:{first_line} {first_kind} [safe] `get_db_session()`"
        )),
        "{screen}"
    );
    assert!(
        screen.contains("with get_db_session() as session:"),
        "{screen}"
    );
    assert!(screen.contains("applied 1 of "), "{screen}");

    let after = std::fs::read_to_string(dir.join(PART)).unwrap();
    // Only the first rewrite: everything from the second offered block on is intact, and
    // re-planning finds every other rewrite still to do.
    let rest: String = original
        .split_inclusive('\n')
        .skip(second_line - 1)
        .collect();
    assert!(after.ends_with(&rest), "{after}");
    assert_ne!(after, original);
    let head: String = after.split_inclusive('\n').take(second_line - 1).collect();
    assert!(head.contains("with get_db_session() as session:"), "{head}");
    assert_eq!(
        planned_rewrites(&dir, PART),
        minus(before, (first_kind.as_str(), "safe"))
    );
}

#[test]
fn apply_interactive_no_then_all_writes_every_rewrite_but_the_first() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install -y tmux)");
        return;
    }
    let (_tmp, dir) = project();
    let first_kind = offered(&dir, PART)[0].1.clone();
    let safe_before: usize = planned_rewrites(&dir, PART)
        .iter()
        .filter(|((_, class), _)| class == "safe")
        .map(|(_, n)| n)
        .sum();
    let screen = apply_interactively(&dir, PART, &["n", "a"]);
    assert!(
        screen.contains(&format!("applied {} of {safe_before}", safe_before - 1)),
        "{screen}"
    );
    let left = planned_rewrites(&dir, PART);
    let safe_left: Vec<_> = left.iter().filter(|((_, c), _)| c == "safe").collect();
    assert_eq!(safe_left, [(&(first_kind, "safe".to_string()), &1)]);
}

#[test]
fn apply_interactive_refuses_without_a_terminal() {
    let (_tmp, dir) = project();
    let original = std::fs::read(dir.join(PART)).unwrap();
    let out = codemod(&dir, &["apply", "-i", PART]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
    assert_eq!(std::fs::read(dir.join(PART)).unwrap(), original);
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn migrate_review_from_the_command_line() {
    let (_tmp, dir) = project();
    git(&dir, &["init", "-q"]);
    git(&dir, &["config", "user.name", "Migration Test"]);
    git(&dir, &["config", "user.email", "migration@example.com"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "start"]);

    let out = codemod(&dir, &["migrate"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("5 pending review"), "{text}");

    // No terminal, no flags: the pending files and the flags to use, exit 2.
    let out = codemod(&dir, &["migrate", "review"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--accept PATH"), "{err}");
    assert!(err.contains("app/services/order_service.py"), "{err}");

    let out = codemod(
        &dir,
        &[
            "migrate",
            "review",
            "--accept",
            PART,
            "--reject",
            "app/services/order_service.py",
            "--reason",
            "not now",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // The accepted file fails its check: restored, failed, exit 1.
    let original = std::fs::read(dir.join(PART)).unwrap();
    let out = codemod(&dir, &["migrate", "--check", "echo broken; false"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(std::fs::read(dir.join(PART)).unwrap(), original);

    let out = codemod(&dir, &["migrate", "status"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0/5 files migrated"), "{text}");
    assert!(text.contains("1 failed"), "{text}");
    assert!(
        text.contains("skipped         app/services/order_service.py: rejected in review: not now"),
        "{text}"
    );
    assert!(text.contains("blocks left:"), "{text}");
}

/// Three manual transactions in one Rust file, each rewritten on its own.
const LEDGER_RS: &str = "use rusqlite::{Connection, Result};

pub fn open_account(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(\"INSERT INTO accounts DEFAULT VALUES\", []) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}

pub fn close_account(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(\"DELETE FROM accounts\", []) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}

pub fn reset(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(\"UPDATE accounts SET balance = 0\", []) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}
";

#[test]
fn apply_interactive_on_a_rust_file_writes_exactly_the_accepted_rewrites() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install -y tmux)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    write(
        &dir,
        "Cargo.toml",
        "[package]\nname = \"ledger\"\nedition = \"2021\"\n",
    );
    write(&dir, "src/lib.rs", LEDGER_RS);
    let screen = apply_interactively(&dir, "src/lib.rs", &["y", "n", "y"]);
    assert!(
        screen.contains("src/lib.rs:4 manual-transaction [safe]"),
        "{screen}"
    );
    assert!(screen.contains("applied 2 of 3"), "{screen}");
    let after = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    // The second function keeps its rollback; the first and the third lost theirs.
    let rollbacks: Vec<usize> = after
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("rollback"))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(rollbacks.len(), 1, "{after}");
    let second = after.find("pub fn close_account").unwrap();
    let third = after.find("pub fn reset").unwrap();
    assert!(after[second..third].contains("tx.rollback()"), "{after}");
}
