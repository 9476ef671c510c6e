//! A file between its write and its end (check passed, commit made) is `written` in the
//! ledger, with its original bytes kept in the migration folder: a run killed in between
//! leaves a ledger that says so, and the next run finishes the file (runs its check, makes
//! its commit) instead of taking the tool's own write for someone's change.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::ledger::{write_file_atomic, FindingRecord, Ledger, State};
use crate::tree::Planned;
use crate::{git, io_err, sha256_hex, Error, Target};

/// What one run of the migration passes to the files it finishes.
pub(crate) trait Lines {
    fn line(&mut self, s: &str);
}

/// Where the original bytes of a file being written are kept.
fn original_path(target: &Target, snapshot: &str) -> PathBuf {
    target
        .state
        .join("written")
        .join(format!("{snapshot}.orig"))
}

/// Record that `p` is about to be written - its original bytes saved, its entry `written`
/// with the check and commit this run owes it - and save the ledger, before the write.
pub(crate) fn begin(
    target: &Target,
    ledger: &mut Ledger,
    p: &Planned,
    check: Option<&str>,
    commit: bool,
) -> Result<(), Error> {
    let e = ledger
        .files
        .get_mut(&p.rel)
        .expect("queued files are in the ledger");
    write_file_atomic(&original_path(target, &e.snapshot), &p.original)?;
    e.state = State::Written;
    e.applied_sha256 = sha256_hex(&p.new_bytes);
    e.check = check.map(str::to_string);
    e.commit_wanted = commit;
    ledger.save(target)
}

/// The write itself failed: the file is as it was; the entry says why.
pub(crate) fn not_written(target: &Target, ledger: &mut Ledger, rel: &str, why: String) {
    let e = ledger
        .files
        .get_mut(rel)
        .expect("written files are in the ledger");
    let _ = std::fs::remove_file(original_path(target, &e.snapshot));
    e.state = State::Failed;
    e.applied_sha256.clear();
    e.check = None;
    e.commit_wanted = false;
    e.reason = Some(why);
}

/// Files an interrupted run left `written`: the ones on disk as written are finished, the
/// ones never written go back to `accepted`, the ones changed since fail for a person.
pub(crate) fn resume(
    target: &Target,
    ledger: &mut Ledger,
    ui: &mut dyn Lines,
) -> Result<(), Error> {
    let written: Vec<String> = ledger
        .files
        .iter()
        .filter(|(_, e)| e.state == State::Written)
        .map(|(rel, _)| rel.clone())
        .collect();
    for rel in written {
        let e = &ledger.files[&rel];
        let now = std::fs::read(target.abs(&rel)).map(|b| sha256_hex(&b));
        match now {
            Ok(sha) if sha == e.applied_sha256 => {
                ui.line(&format!(
                    "{rel}: written by an interrupted run; finishing it"
                ));
                finish(target, ledger, &rel, ui)?;
            }
            Ok(sha) if sha == e.planned_sha256 => {
                let e = ledger.files.get_mut(&rel).expect("present");
                let _ = std::fs::remove_file(original_path(target, &e.snapshot));
                e.state = State::Accepted;
                e.applied_sha256.clear();
                e.check = None;
                e.commit_wanted = false;
            }
            _ => {
                let why = "changed after an interrupted run wrote it: not checked or \
                           committed; look at it, then run again";
                ui.line(&format!("{rel}: {why}"));
                not_written(target, ledger, &rel, why.to_string());
            }
        }
        ledger.save(target)?;
    }
    Ok(())
}

/// Run the check the file was written under, then make its commit; restore the original
/// bytes when either fails. True when the file ends `applied`.
pub(crate) fn finish(
    target: &Target,
    ledger: &mut Ledger,
    rel: &str,
    ui: &mut dyn Lines,
) -> Result<bool, Error> {
    let e = ledger.files[rel].clone();
    let path = target.abs(rel);
    let kept = original_path(target, &e.snapshot);
    let original = std::fs::read(&kept).map_err(|err| io_err(kept.display(), err))?;
    let new = std::fs::read(&path).map_err(|err| io_err(rel, err))?;
    let fail = |ledger: &mut Ledger, reason: String, output: Option<String>| {
        restore(&path, rel, &new, &original)?;
        not_written(target, ledger, rel, reason);
        ledger.files.get_mut(rel).expect("present").output = output;
        Ok::<bool, Error>(false)
    };
    if let Some(cmd) = &e.check {
        let (ok, status, tail) = run_check(&target.dir, cmd, rel)?;
        if !ok {
            ui.line(&format!(
                "  check failed ({status}); {rel} restored byte for byte"
            ));
            for line in tail.lines() {
                ui.line(&format!("  | {line}"));
            }
            let reason = format!("check `{cmd}` failed ({status}); the file was restored");
            return fail(ledger, reason, Some(tail));
        }
        ui.line("  check passed");
    }
    let commit = if e.commit_wanted {
        match commit_once(target, rel, &commit_message(rel, &e.findings, &e)) {
            Ok(id) => Some(id),
            Err(err) => {
                let _ = Command::new("git")
                    .args(["reset", "--quiet", "--", rel])
                    .current_dir(&target.dir)
                    .status();
                ui.line(&format!("  {err}; {rel} restored"));
                return fail(ledger, format!("{err}; the file was restored"), None);
            }
        }
    } else {
        None
    };
    let order = ledger.next_order;
    ledger.next_order += 1;
    let e = ledger.files.get_mut(rel).expect("present");
    e.state = State::Applied;
    e.applied_order = Some(order);
    e.reason = None;
    e.output = None;
    e.check = None;
    e.commit_wanted = false;
    if let Some(id) = commit {
        ui.line(&format!("  committed {}", &id[..id.len().min(12)]));
        e.commit = Some(id);
    }
    let _ = std::fs::remove_file(kept);
    Ok(true)
}

/// Commit `rel`, unless an interrupted run already did (the file has no change left
/// against HEAD): then that commit's id.
fn commit_once(target: &Target, rel: &str, message: &str) -> Result<String, Error> {
    if git::unchanged(&target.dir, rel)? {
        return git::last_commit_of(&target.dir, rel);
    }
    git::commit(&target.dir, rel, message)
}

/// Put the original bytes back (only over the bytes written) and make sure they are there.
fn restore(path: &Path, rel: &str, written: &[u8], original: &[u8]) -> Result<(), Error> {
    if let Err(e) = rewriter::write_atomic(path, written, original) {
        return Err(Error::Io(format!(
            "{rel}: could not be restored after a failed check ({e}); restore it with git"
        )));
    }
    let now = std::fs::read(path).map_err(|e| io_err(rel, e))?;
    if now != original {
        return Err(Error::Io(format!(
            "{rel}: restored bytes differ from the original; restore it with git"
        )));
    }
    Ok(())
}

/// Lines and characters of a failing check's output kept in the ledger.
const TAIL_LINES: usize = 20;
const TAIL_CHARS: usize = 4000;

/// Run `cmd` with `sh -c` in `dir`, stderr merged into stdout; (passed, status, tail).
fn run_check(dir: &Path, cmd: &str, rel: &str) -> Result<(bool, String, String), Error> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{cmd}"))
        .current_dir(dir)
        .env("CODEMOD_MIGRATE_FILE", rel)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io_err(format!("cannot run the check `{cmd}`"), e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let mut tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n");
    if tail.len() > TAIL_CHARS {
        let mut cut = tail.len() - TAIL_CHARS;
        while !tail.is_char_boundary(cut) {
            cut += 1;
        }
        tail = tail[cut..].to_string();
    }
    let status = match out.status.code() {
        Some(code) => format!("exit {code}"),
        None => "killed by a signal".to_string(),
    };
    Ok((out.status.success(), status, tail))
}

/// One line per rewrite with its class, then what is left for a person.
fn commit_message(rel: &str, findings: &[FindingRecord], e: &crate::Entry) -> String {
    let n = findings.iter().filter(|f| f.rewritten).count();
    let s = if n == 1 { "" } else { "s" };
    let mut msg = format!(
        "codemod: migrate {rel} ({n} rewrite{s})\n\nRewrites (class, line, kind: reason):\n"
    );
    let line =
        |f: &FindingRecord| format!("- {}, line {}, {}: {}\n", f.class, f.line, f.kind, f.reason);
    for f in findings.iter().filter(|f| f.rewritten) {
        msg.push_str(&line(f));
    }
    let left: Vec<_> = findings.iter().filter(|f| !f.rewritten).collect();
    if !left.is_empty() {
        msg.push_str("\nLeft as is:\n");
        for f in left {
            msg.push_str(&line(f));
        }
    }
    msg.push_str(&format!(
        "\nPlanned by {} from sha256 {}",
        e.tool, e.planned_sha256
    ));
    if let Some(cmd) = &e.check {
        msg.push_str(&format!("; checked with `{cmd}`"));
    }
    msg.push('\n');
    msg
}
