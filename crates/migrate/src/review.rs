//! `migrate review`: accept or reject pending patches. Accepting moves `<name>.snap.new`
//! over `<name>.snap` (the next run applies it); rejecting deletes the `.snap.new` and
//! records the file as skipped with the reason.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::ledger::{Entry, Ledger, State};
use crate::{sha256_hex, snapshot, Error, Target};

/// Files waiting for review, in path order.
pub fn pending(ledger: &Ledger) -> Vec<(String, Entry)> {
    ledger
        .files
        .iter()
        .filter(|(_, e)| e.state == State::PendingReview)
        .map(|(r, e)| (r.clone(), e.clone()))
        .collect()
}

/// The ledger key `arg` names: the key itself, a path (relative to the current folder or
/// absolute), a snapshot file name, or a unique path suffix.
pub fn resolve(target: &Target, ledger: &Ledger, arg: &str) -> Result<String, Error> {
    let arg_slash = arg.replace('\\', "/");
    if ledger.files.contains_key(&arg_slash) {
        return Ok(arg_slash);
    }
    let path = Path::new(arg);
    if let Ok(abs) = std::path::absolute(path) {
        let abs = match (abs.parent(), abs.file_name()) {
            (Some(dir), Some(name)) => std::fs::canonicalize(dir)
                .map(|d| d.join(name))
                .unwrap_or(abs.clone()),
            _ => abs,
        };
        if let Some(rel) = target.rel(&abs) {
            if ledger.files.contains_key(&rel) {
                return Ok(rel);
            }
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".snap.new")
        .or_else(|| name.strip_suffix(".snap"))
        .unwrap_or(&name);
    if let Some((rel, _)) = ledger.files.iter().find(|(_, e)| e.snapshot == stem) {
        return Ok(rel.clone());
    }
    let hits: Vec<&String> = ledger
        .files
        .keys()
        .filter(|k| k.ends_with(&format!("/{arg_slash}")))
        .collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::Usage(format!(
            "{arg}: not a file of this migration (see `migrate status`)"
        ))),
        many => Err(Error::Usage(format!(
            "{arg}: ambiguous, could be {}",
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn pending_entry<'a>(ledger: &'a mut Ledger, rel: &str) -> Result<&'a mut Entry, Error> {
    let e = ledger
        .files
        .get_mut(rel)
        .ok_or_else(|| Error::Usage(format!("{rel}: not a file of this migration")))?;
    if e.state != State::PendingReview {
        return Err(Error::Usage(format!(
            "{rel}: is {}, not pending review",
            e.state
        )));
    }
    Ok(e)
}

/// Accept the pending patch of `rel`: the next run applies it.
pub fn accept(target: &Target, ledger: &mut Ledger, rel: &str) -> Result<(), Error> {
    let e = pending_entry(ledger, rel)?;
    let now = std::fs::read(target.abs(rel)).map(|b| sha256_hex(&b));
    if now.as_deref().ok() != Some(e.planned_sha256.as_str()) {
        return Err(Error::Usage(format!(
            "{rel}: changed since its patch was planned; run `migrate` again to re-plan it"
        )));
    }
    snapshot::accept(target, &e.snapshot)?;
    e.state = State::Accepted;
    e.reason = Some("accepted in review".to_string());
    Ok(())
}

/// Reject the pending patch of `rel`: recorded as skipped with the reason.
pub fn reject(
    target: &Target,
    ledger: &mut Ledger,
    rel: &str,
    reason: Option<&str>,
) -> Result<(), Error> {
    let e = pending_entry(ledger, rel)?;
    snapshot::remove(&snapshot::pending_path(target, &e.snapshot))?;
    e.state = State::Skipped;
    e.reason = Some(match reason {
        Some(r) => format!("rejected in review: {r}"),
        None => "rejected in review".to_string(),
    });
    Ok(())
}

/// Counts of an interactive review.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reviewed {
    pub accepted: usize,
    pub rejected: usize,
    pub skipped: usize,
}

/// Show each pending patch and ask: a accept / r reject / s skip / q quit. The ledger is
/// saved after every answer.
pub fn interactive_review(
    target: &Target,
    ledger: &mut Ledger,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<Reviewed, Error> {
    let items = pending(ledger);
    let mut counts = Reviewed::default();
    let total = items.len();
    if total == 0 {
        let _ = writeln!(out, "nothing pending review");
        return Ok(counts);
    }
    'files: for (i, (rel, e)) in items.iter().enumerate() {
        let path = snapshot::pending_path(target, &e.snapshot);
        let body = snapshot::read_body(&path).unwrap_or_default();
        let _ = writeln!(out, "\n[{}/{total}] {rel}  ({})", i + 1, path.display());
        if let Some(note) = &e.reason {
            let _ = writeln!(out, "note: {note}");
        }
        let old = snapshot::read_body(&snapshot::accepted_path(target, &e.snapshot));
        if old.is_some() {
            let _ = writeln!(out, "(an earlier accepted patch is in {}.snap)", e.snapshot);
        }
        let _ = write!(out, "{body}");
        loop {
            let _ = write!(
                out,
                "accept this patch? [a]ccept / [r]eject / [s]kip / [q]uit: "
            );
            let _ = out.flush();
            let mut line = String::new();
            if input
                .read_line(&mut line)
                .map_err(|e| crate::io_err("stdin", e))?
                == 0
            {
                break 'files;
            }
            match line.trim() {
                "a" | "accept" => {
                    accept(target, ledger, rel)?;
                    counts.accepted += 1;
                }
                "r" | "reject" => {
                    reject(target, ledger, rel, None)?;
                    counts.rejected += 1;
                }
                "s" | "skip" | "" => counts.skipped += 1,
                "q" | "quit" => break 'files,
                _ => continue,
            }
            ledger.save(target)?;
            break;
        }
    }
    let _ = writeln!(
        out,
        "accepted {}, rejected {}, skipped {}; run `migrate` to apply the accepted patches",
        counts.accepted, counts.rejected, counts.skipped
    );
    Ok(counts)
}
