//! Hostile rules: YAML alias bombs, deep nesting, long `not` chains, pathological regular
//! expressions and huge value lists either compile and run (in time linear in the input)
//! or are refused with an error naming the file and the rule. None may crash the process.

use std::sync::Arc;

use tripline_engine::{Alert, RuleSet, RuleSetBuilder, ScanConfig, Scanner};

fn compile(yaml: &str) -> (RuleSet, Vec<String>) {
    let mut builder = RuleSetBuilder::new();
    builder.add_sigma_yaml("hostile.yml", yaml);
    let (rules, errors) = builder.build();
    (rules, errors.iter().map(|e| e.to_string()).collect())
}

/// A process-creation rule named `hostile` with this detection.
fn rule(detection: &str) -> String {
    format!(
        "title: Hostile\nname: hostile\nlogsource: {{product: windows, category: process_creation}}\ndetection:\n{detection}level: low\n"
    )
}

/// Asserts that `yaml` is refused with one error naming the file and the rule, whose
/// reason contains `why`.
fn assert_refused(yaml: &str, why: &str) {
    let (rules, errors) = compile(yaml);
    assert!(rules.rules().is_empty(), "compiled: {errors:?}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = &errors[0];
    assert!(
        error.starts_with("hostile.yml: rule hostile: "),
        "the error names the file and the rule: {error}"
    );
    assert!(error.contains(why), "{error}");
    assert!(
        error.len() < 1_000,
        "a readable error: {} bytes",
        error.len()
    );
}

/// Lines numbers of the events that raise alerts.
fn matching_lines(rules: RuleSet, command_lines: &[&str]) -> Vec<u64> {
    let mut input = String::new();
    for command_line in command_lines {
        input.push_str(
            &serde_json::json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Hostname": "ws1", "@timestamp": "2026-11-20T10:00:00Z",
                "Image": r"C:\Windows\System32\cmd.exe", "CommandLine": command_line})
            .to_string(),
        );
        input.push('\n');
    }
    let mut scanner = Scanner::new(Arc::new(rules), ScanConfig::default());
    let mut alerts: Vec<Alert> = Vec::new();
    scanner.begin_source("events", &mut alerts);
    scanner.feed(input.as_bytes(), &mut alerts);
    scanner.finish(&mut alerts);
    assert!(scanner.stats().balanced());
    alerts.iter().map(|a| a.events[0].source.line).collect()
}

#[test]
fn yaml_alias_bombs_are_refused() {
    // Billion laughs: nine levels of nine aliases to the level below.
    let mut yaml = String::from(
        "title: Bomb\nname: hostile\nlogsource: {product: windows, category: process_creation}\n",
    );
    yaml.push_str("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let below = format!("*l{}", level - 1);
        yaml.push_str(&format!(
            "l{level}: &l{level} [{}]\n",
            vec![below; 9].join(", ")
        ));
    }
    yaml.push_str("detection:\n  sel:\n    CommandLine|contains: *l9\n  condition: sel\n");
    assert_refused(&yaml, "repetition limit exceeded");
}

#[test]
fn deeply_nested_yaml_is_refused_before_parsing() {
    for depth in [65, 100_000] {
        let value = format!("{}x{}", "[".repeat(depth), "]".repeat(depth));
        let yaml = rule(&format!(
            "  sel: {{CommandLine: {value}}}\n  condition: sel\n"
        ));
        assert_refused(&yaml, &format!("nested {} deep", depth + 1));
    }
    // Brackets in quoted values and comments do not count.
    let yaml = rule(&format!(
        "  sel: {{CommandLine|contains: '{}'}} # {}\n  condition: sel\n",
        "[".repeat(500),
        "{".repeat(500)
    ));
    assert!(compile(&yaml).1.is_empty());
}

#[test]
fn long_not_chains_are_refused_not_a_stack_overflow() {
    let chain = |n: usize| {
        rule(&format!(
            "  sel: {{CommandLine: x}}\n  condition: {}sel\n",
            "not ".repeat(n)
        ))
    };
    assert_refused(&chain(16_000), "a chain of 16000 `not` in a row");
    assert_refused(&chain(5), "more than the limit of 4");
    // At the limit: an even number of `not` is the selection itself.
    let (rules, errors) = compile(&chain(4));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(matching_lines(rules, &["x", "y"]), [1]);
}

#[test]
fn deep_parentheses_are_refused_with_a_short_reason() {
    for depth in [65, 10_000, 40_000] {
        let condition = format!("{}sel{}", "(".repeat(depth), ")".repeat(depth));
        let yaml = rule(&format!(
            "  sel: {{CommandLine: x}}\n  condition: {condition}\n"
        ));
        assert_refused(&yaml, "ondition");
    }
}

#[test]
fn the_deepest_condition_accepted_compiles_and_runs() {
    // 60 levels of parentheses, each behind a chain of 4 `not` (an even count): about
    // the deepest tree the limits let through, evaluated on an ordinary thread's stack.
    let mut condition = String::from("sel");
    for _ in 0..60 {
        condition = format!("{}(other or {condition})", "not ".repeat(4));
    }
    let yaml = rule(&format!(
        "  sel: {{CommandLine: x}}\n  other: {{CommandLine: nothing}}\n  condition: {condition}\n"
    ));
    let (rules, errors) = compile(&yaml);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(matching_lines(rules, &["y", "x"]), [2]);
}

#[test]
fn conditions_of_many_operators_are_refused_and_the_longest_accepted_runs() {
    // The parser's time grows with the square of the number of operators.
    let condition = |terms: usize, term: &str| {
        rule(&format!(
            "  sel: {{CommandLine: x}}\n  other: {{CommandLine: nothing}}\n  condition: {}\n",
            vec![term; terms].join(" or ")
        ))
    };
    assert_refused(&condition(7_000, "other"), "a condition of 6999 `and`/`or`");
    assert_refused(
        &condition(129, "not other and sel"),
        "more than the limit of 256",
    );
    let (rules, errors) = compile(&condition(128, "not other and sel"));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(matching_lines(rules, &["y", "x"]), [2]);
}

#[test]
fn pathological_regexes_run_in_linear_time_or_are_refused() {
    // Catastrophic for a backtracking engine; the regex crate's engines are linear.
    let yaml = rule("  sel: {CommandLine|re: '^(a+)+$'}\n  condition: sel\n");
    let (rules, errors) = compile(&yaml);
    assert!(errors.is_empty(), "{errors:?}");
    let attack = format!("{}!", "a".repeat(100_000));
    assert_eq!(matching_lines(rules, &[&attack, "aaaa"]), [2]);

    let refused = [
        ("a{1000}{1000}", "exceeds size limit"),
        (".{65535}", "exceeds size limit"),
        ("(a)\\1", "backreferences are not supported"),
        ("(?=a)", "look-around"),
        ("(", "regex parse error"),
    ];
    for (regex, why) in refused {
        let yaml = rule(&format!(
            "  sel: {{CommandLine|re: '{regex}'}}\n  condition: sel\n"
        ));
        assert_refused(&yaml, why);
    }
}

#[test]
fn huge_value_lists_compile_and_oversized_texts_are_refused() {
    let values: String = (0..100_000)
        .map(|i| format!("      - 'needle{i}.'\n"))
        .collect();
    let yaml = rule(&format!(
        "  sel:\n    CommandLine|contains:\n{values}  condition: sel\n"
    ));
    let (rules, errors) = compile(&yaml);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        matching_lines(rules, &["needle7", "x needle99999. y", "needle0."]),
        [2, 3]
    );

    let padding = format!("# {}\n", "x".repeat(9 << 20));
    let yaml = rule(&format!(
        "  sel: {{CommandLine: x}}\n  condition: sel\n{padding}"
    ));
    assert_refused(&yaml, "larger than the limit of 8388608 bytes");
}
