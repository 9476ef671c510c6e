//! What the two property tests (`mutations.rs`, `pipeline_fuzz.rs`) share: their proptest
//! settings and how a panic of a case is reported.

use proptest::test_runner::{Config, RngSeed};

pub fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// `PROPTEST_CASES` and `PROPTEST_RNG_SEED` when set, else the suite's slice: `cases`
/// cases from the fixed `seed`. Reproducers are kept by hand, not in proptest's files.
pub fn config(cases: u32, seed: u64) -> Config {
    // `Config::default()` reads the PROPTEST_* variables.
    let base = Config::default();
    Config {
        cases: if env_set("PROPTEST_CASES") {
            base.cases
        } else {
            cases
        },
        rng_seed: if env_set("PROPTEST_RNG_SEED") {
            base.rng_seed
        } else {
            RngSeed::Fixed(seed)
        },
        failure_persistence: None,
        ..base
    }
}

/// The message of a caught panic.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
