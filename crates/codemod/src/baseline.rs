//! `audit --write-baseline FILE` / `--baseline FILE`: today's findings recorded so that only
//! new ones fail. A finding is keyed by its file (relative to the project root), its code,
//! its enclosing scope (`Class.method`) and its statement's first logical line normalised
//! (tokens joined by one space, comments dropped, the session renamed `S`): moving code up
//! or down, re-indenting it or renaming the session keeps the key. Keys are a multiset:
//! two identical blocks in one function need two entries.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub const VERSION: u32 = 1;

/// One finding's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub path: String,
    pub code: String,
    pub scope: String,
    pub block: String,
}

impl Key {
    /// A short stable hash of the key (SARIF `partialFingerprints`), FNV-1a 64.
    pub fn fingerprint(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for part in [&self.path, &self.code, &self.scope, &self.block] {
            for b in part.bytes().chain(std::iter::once(0u8)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{h:016x}")
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    key: Key,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    count: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

/// A loaded baseline: how many findings each key may still absorb.
#[derive(Debug, Default)]
pub struct Baseline {
    left: BTreeMap<Key, usize>,
}

impl Baseline {
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read baseline: {e}", path.display()))?;
        let file: File = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a codemod baseline: {e}", path.display()))?;
        if file.version != VERSION {
            return Err(format!(
                "{}: baseline version {} (this codemod reads version {VERSION}); \
                 re-create it with --write-baseline",
                path.display(),
                file.version
            ));
        }
        let mut left = BTreeMap::new();
        for e in file.findings {
            *left.entry(e.key).or_insert(0) += e.count;
        }
        Ok(Baseline { left })
    }

    /// Whether the baseline still holds `key` (and takes it).
    pub fn absorb(&mut self, key: &Key) -> bool {
        match self.left.get_mut(key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// Entries no finding matched (fixed since the baseline was written).
    pub fn unmatched(&self) -> usize {
        self.left.values().sum()
    }
}

/// Write the keys (sorted, counted) as a baseline file.
pub fn write(path: &Path, keys: impl IntoIterator<Item = Key>) -> Result<usize, String> {
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    let mut total = 0;
    for k in keys {
        *counts.entry(k).or_insert(0) += 1;
        total += 1;
    }
    let file = File {
        version: VERSION,
        findings: counts
            .into_iter()
            .map(|(key, count)| Entry { key, count })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&file).expect("a baseline serialises");
    text.push('\n');
    std::fs::write(path, text)
        .map_err(|e| format!("{}: cannot write baseline: {e}", path.display()))?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(block: &str) -> Key {
        Key {
            path: "app/x.py".into(),
            code: "SES004".into(),
            scope: "f".into(),
            block: block.into(),
        }
    }

    #[test]
    fn round_trip_counts_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.json");
        let n = write(&p, [key("S . commit ( )"), key("S . commit ( )"), key("x")]).unwrap();
        assert_eq!(n, 3);
        let mut b = Baseline::read(&p).unwrap();
        assert!(b.absorb(&key("S . commit ( )")));
        assert!(b.absorb(&key("S . commit ( )")));
        assert!(!b.absorb(&key("S . commit ( )")));
        assert_eq!(b.unmatched(), 1);
        assert_ne!(key("a").fingerprint(), key("b").fingerprint());
        assert_eq!(key("a").fingerprint(), key("a").fingerprint());
    }
}
