//! The whole pipeline on arbitrary bytes with the built-in pack: framing, parsing,
//! evaluation and correlation never panic, every line is accounted for, and the alerts
//! do not depend on where the input was cut into chunks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tripline_engine::ScanConfig;
use tripline_fuzz::{alert_keys, builtin, scan, split};

fuzz_target!(|data: &[u8]| {
    let rules = builtin();
    let (alerts, stats) = scan(&rules, ScanConfig::default(), &split(data));
    assert!(stats.balanced(), "lines not accounted for: {stats:?}");
    let (whole, whole_stats) = scan(&rules, ScanConfig::default(), &[data]);
    assert_eq!(
        alert_keys(&alerts),
        alert_keys(&whole),
        "chunking changed the alerts"
    );
    assert_eq!(stats, whole_stats, "chunking changed the statistics");
});
