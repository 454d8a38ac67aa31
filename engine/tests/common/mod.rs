//! Helpers shared by the integration tests: compiling rules and scanning an input with
//! the prefilter on and off.

use std::sync::Arc;

use tripline_engine::{Alert, RuleSet, RuleSetBuilder, ScanConfig, Scanner};

/// A rule set of `(file name, Sigma YAML)` documents that must all compile.
pub fn compile_all(documents: &[(&str, &str)]) -> Arc<RuleSet> {
    let mut builder = RuleSetBuilder::new();
    for (name, yaml) in documents {
        builder.add_sigma_yaml(name, yaml);
    }
    let (rules, errors) = builder.build();
    assert!(errors.is_empty(), "{errors:#?}");
    Arc::new(rules)
}

/// What `answer` makes of the alerts of `input`, which must be the same with the
/// prefilter on and off.
pub fn same_with_and_without_prefilter<T: PartialEq + std::fmt::Debug>(
    rules: &Arc<RuleSet>,
    input: &str,
    answer: impl Fn(&[Alert]) -> T,
) -> T {
    let mut answers = Vec::new();
    for prefilter in [true, false] {
        let config = ScanConfig {
            prefilter,
            ..ScanConfig::default()
        };
        let mut scanner = Scanner::new(rules.clone(), config);
        let mut alerts = Vec::new();
        scanner.begin_source("input.ndjson", &mut alerts);
        scanner.feed(input.as_bytes(), &mut alerts);
        scanner.finish(&mut alerts);
        answers.push(answer(&alerts));
    }
    assert_eq!(answers[0], answers[1], "the prefilter changed the answer");
    answers.pop().expect("two answers")
}
