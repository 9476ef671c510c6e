//! Pass 1 for Rust: what each file defines that other files' transactions depend on
//! (project transaction types with their drop behaviour, functions that begin one, closure
//! helpers, and how often closure-taking functions are called), merged into a
//! [`CrateIndex`] that [`crate::analyze_in`] consults for names its file does not define.
//!
//! Names are matched by their last path segment. A name two files define with different
//! facts is ambiguous and resolves to nothing known.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::HashMap;
use std::sync::Arc;

use ra_ap_syntax::ast::SourceFile;

use crate::helpers::{self, ClosureHelper};
use crate::syntax::LineIndex;
use crate::tx::{self, DropRollback, Locals};
use crate::Edition;

/// A function or method that returns a transaction: the last segment of the type it
/// returns (under `Result` / `Option` / `Box`), and whether its body calls
/// `set_drop_behavior`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeginFact {
    pub returns: String,
    pub sets_drop_behavior: bool,
}

/// What the files of the run say about one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry<T> {
    One(T),
    /// Two files define it differently: never guessed.
    Ambiguous,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Facts {
    types: Vec<(String, DropRollback)>,
    begins: Vec<(String, BeginFact)>,
    helpers: Vec<ClosureHelper>,
    closure_calls: Vec<(String, usize)>,
}

/// What one Rust file defines for the others (pass 1). Cheap to clone and to send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RustFacts(Arc<Facts>);

impl RustFacts {
    /// True when the file defines nothing the index keeps.
    pub fn is_empty(&self) -> bool {
        *self.0 == Facts::default()
    }
}

/// The words some fact needs in the text: files without any of them define nothing the
/// index keeps (a begin, a transaction type or a helper), nor call a helper with a closure
/// over a transaction.
const FACT_WORDS: [&[u8]; 7] = [
    b"transaction",
    b"savepoint",
    b"begin",
    b"commit",
    b"rollback",
    b"drop_behavior",
    b"drop for",
];

/// A cheap byte test: false means [`collect_facts`] finds nothing in `text`, so the file
/// need not be parsed in pass 1.
pub fn may_define_facts(text: &str) -> bool {
    mentions_any(text, &FACT_WORDS) || mentions_tx(text.as_bytes())
}

/// Words every transaction shape the rules find mentions.
const BLOCK_WORDS: [&[u8]; 4] = [b"transaction", b"begin", b"commit", b"rollback"];

/// A cheap byte test: false means [`crate::analyze`] finds nothing in `text`, so the file
/// need not be parsed in pass 2.
pub fn may_contain_blocks(text: &str) -> bool {
    mentions_any(text, &BLOCK_WORDS)
}

/// One of `words` is in `text`, in any case.
fn mentions_any(text: &str, words: &[&[u8]]) -> bool {
    let bytes = text.as_bytes();
    words
        .iter()
        .any(|w| bytes.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)))
}

/// `Tx` anywhere (`AppTx`, `TxGuard`), or `tx` not inside a lowercase word (`tx`,
/// `with_tx`, `&tx`; not `ctx`).
fn mentions_tx(bytes: &[u8]) -> bool {
    bytes.windows(2).enumerate().any(|(i, w)| {
        w == b"Tx"
            || (w == b"tx"
                && (i == 0
                    || !(bytes[i - 1].is_ascii_lowercase() || bytes[i - 1].is_ascii_digit())))
    })
}

/// The facts one file defines. A file that does not parse defines none: what it says
/// cannot be trusted.
pub fn collect_facts(text: &str, edition: Edition) -> RustFacts {
    if !may_define_facts(text) {
        return RustFacts::default();
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let parse = SourceFile::parse(text, edition.to_syntax());
    if !parse.errors().iter().all(crate::is_crlf_in_literal) {
        return RustFacts::default();
    }
    let file = parse.tree();
    let empty = CrateIndex::default();
    let locals = Locals::collect(&file, &empty);
    let txs = tx::find_transactions(&file, &LineIndex::new(text), &locals);
    let mut closure_calls: Vec<(String, usize)> =
        helpers::closure_call_counts(&file).into_iter().collect();
    closure_calls.sort();
    RustFacts(Arc::new(Facts {
        types: locals.transaction_types(),
        begins: locals.begin_functions(),
        helpers: helpers::find_helpers(&file, &txs)
            .into_iter()
            .map(|(h, _)| h)
            .collect(),
        closure_calls,
    }))
}

/// The facts of every file of a run, by name.
#[derive(Debug, Clone, Default)]
pub struct CrateIndex {
    types: HashMap<String, Entry<DropRollback>>,
    begins: HashMap<String, Entry<BeginFact>>,
    helpers: HashMap<String, Entry<ClosureHelper>>,
    closure_calls: HashMap<String, usize>,
}

fn merge<T: PartialEq>(map: &mut HashMap<String, Entry<T>>, name: &str, value: T) {
    match map.entry(name.to_string()) {
        MapEntry::Vacant(v) => {
            v.insert(Entry::One(value));
        }
        MapEntry::Occupied(mut o) => {
            if *o.get() != Entry::One(value) {
                o.insert(Entry::Ambiguous);
            }
        }
    }
}

impl CrateIndex {
    /// Merge the facts of the files of a run (the analysed file's own included).
    pub fn build(facts: impl IntoIterator<Item = RustFacts>) -> CrateIndex {
        let mut index = CrateIndex::default();
        for file in facts {
            for (name, drop) in &file.0.types {
                merge(&mut index.types, name, drop.clone());
            }
            for (name, begin) in &file.0.begins {
                merge(&mut index.begins, name, begin.clone());
            }
            for helper in &file.0.helpers {
                merge(&mut index.helpers, &helper.name, helper.clone());
            }
            for (name, n) in &file.0.closure_calls {
                *index.closure_calls.entry(name.clone()).or_insert(0) += n;
            }
        }
        index
    }

    /// True when no file contributed a fact.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
            && self.begins.is_empty()
            && self.helpers.is_empty()
            && self.closure_calls.is_empty()
    }

    pub(crate) fn transaction_type(&self, name: &str) -> Option<&Entry<DropRollback>> {
        self.types.get(name)
    }

    pub(crate) fn begin(&self, name: &str) -> Option<&Entry<BeginFact>> {
        self.begins.get(name)
    }

    /// Every helper name with what the run says about it.
    pub(crate) fn helpers(&self) -> impl Iterator<Item = (&String, &Entry<ClosureHelper>)> {
        self.helpers.iter()
    }

    /// Calls passing a closure to the function `name`, over every file of the run.
    pub(crate) fn closure_calls(&self, name: &str) -> usize {
        self.closure_calls.get(name).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE_FILE: &str = "pub struct AppTx<'c> { inner: rusqlite::Transaction<'c> }\nimpl AppTx<'_> { pub fn commit(self) -> rusqlite::Result<()> { self.inner.commit() } }\n";
    const BEGIN_FILE: &str =
        "impl Db { pub fn begin_transaction(&mut self) -> Result<AppTx<'_>, Error> { todo!() } }\n";

    #[test]
    fn facts_name_types_begins_and_helpers() {
        let types = collect_facts(TYPE_FILE, Edition::E2021);
        assert_eq!(types.0.types.len(), 1);
        assert_eq!(types.0.types[0].0, "AppTx");
        assert!(matches!(types.0.types[0].1, DropRollback::Yes(_)));
        let begins = collect_facts(BEGIN_FILE, Edition::E2021);
        assert_eq!(
            begins.0.begins,
            [(
                "begin_transaction".to_string(),
                BeginFact {
                    returns: "AppTx".into(),
                    sets_drop_behavior: false
                }
            )]
        );
        assert!(collect_facts("fn main() { println!(\"hi\"); }", Edition::E2021).is_empty());
    }

    #[test]
    fn facts_and_the_index_can_be_shared_between_threads() {
        fn shared<T: Send + Sync + Clone>() {}
        shared::<RustFacts>();
        shared::<CrateIndex>();
    }

    #[test]
    fn the_prefilter_passes_every_file_with_facts() {
        assert!(may_define_facts(TYPE_FILE));
        assert!(may_define_facts("with_tx(conn, |tx| Ok(()))"));
        assert!(may_define_facts("struct AppTx;"));
        assert!(may_define_facts("impl<'a> Drop for Guard<'a> {}"));
        assert!(!may_define_facts(
            "fn ctx(c: &Context) -> Text { c.text() }"
        ));
        assert!(!may_define_facts("fn main() { println!(\"hi\"); }"));
    }

    #[test]
    fn a_file_that_does_not_parse_defines_nothing() {
        let broken = format!("{TYPE_FILE}\nfn broken( {{");
        assert!(collect_facts(&broken, Edition::E2021).is_empty());
    }

    #[test]
    fn different_definitions_of_one_name_are_ambiguous() {
        let other = "pub struct AppTx { id: u64 }\nimpl AppTx { pub fn commit(self) {} }\n";
        let same = CrateIndex::build([
            collect_facts(TYPE_FILE, Edition::E2021),
            collect_facts(TYPE_FILE, Edition::E2021),
        ]);
        assert!(matches!(
            same.transaction_type("AppTx"),
            Some(Entry::One(DropRollback::Yes(_)))
        ));
        let clash = CrateIndex::build([
            collect_facts(TYPE_FILE, Edition::E2021),
            collect_facts(other, Edition::E2021),
        ]);
        assert_eq!(clash.transaction_type("AppTx"), Some(&Entry::Ambiguous));
        assert!(CrateIndex::default().is_empty());
        assert!(!clash.is_empty());
    }

    #[test]
    fn files_without_transaction_words_are_not_parsed_in_pass_2() {
        assert!(may_contain_blocks("let tx = conn.Transaction()?;"));
        assert!(may_contain_blocks("conn.execute_batch(\"BEGIN\")"));
        assert!(!may_contain_blocks("fn main() { println!(\"hi\"); }"));
    }
}
