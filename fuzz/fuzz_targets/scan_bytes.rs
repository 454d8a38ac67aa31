//! The whole pipeline on arbitrary bytes with the built-in pack: framing, parsing,
//! evaluation and correlation must never panic, and every line must be accounted for.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use tripline_engine::{Alert, RuleSet, ScanConfig, Scanner};

fn rules() -> Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES.get_or_init(|| Arc::new(RuleSet::builtin())).clone()
}

fuzz_target!(|data: &[u8]| {
    let mut scanner = Scanner::new(rules(), ScanConfig::default());
    let mut alerts: Vec<Alert> = Vec::new();
    scanner.begin_source("fuzz", &mut alerts);
    // Split the input at a data-derived point to exercise chunk boundaries.
    let cut = data.first().map_or(0, |b| *b as usize).min(data.len());
    scanner.feed(&data[..cut], &mut alerts);
    scanner.feed(&data[cut..], &mut alerts);
    scanner.finish(&mut alerts);
    assert!(scanner.stats().balanced());
});
