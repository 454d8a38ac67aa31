//! A Sigma document through parsing and compilation: never a panic, every error names
//! its source and says why, and what compiles runs over events of every schema with the
//! same alerts with and without the prefilter.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use tripline_engine::RuleSetBuilder;
use tripline_fuzz::{SAMPLE_EVENTS, assert_prefilter_sound};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut builder = RuleSetBuilder::new();
    builder.add_sigma_yaml("fuzz.yml", &text);
    let (rules, errors) = builder.build();
    for error in &errors {
        assert_eq!(error.source_name, "fuzz.yml");
        assert!(
            !error.reason.is_empty(),
            "an error without a reason: {error:?}"
        );
        assert!(!error.to_string().is_empty());
    }
    if rules.rules().is_empty() {
        return;
    }
    assert_prefilter_sound(&Arc::new(rules), SAMPLE_EVENTS.as_bytes());
});
