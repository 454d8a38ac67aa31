//! SigmaHQ's `rules/web` tree: how many rules compile (the `webserver` ones; proxy logs
//! and the Apache/nginx error logs are not ingested and are refused saying so), and what
//! the compiled ones raise on our sample access logs (`tests/access/logs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use tripline_engine::{Alert, RuleSetBuilder, ScanConfig, Scanner};

use crate::{sigma_root, test_file};

#[test]
fn sigmahq_web_rules_compile_and_run_over_access_logs() {
    let mut builder = RuleSetBuilder::new();
    builder.add_path(&sigma_root().join("rules/web"));
    let (rules, errors) = builder.build();
    let proxy = errors
        .iter()
        .filter(|e| e.reason.contains("category `proxy`: proxy logs"))
        .count();
    let error_logs = errors
        .iter()
        .filter(|e| e.reason.contains("error log is not ingested"))
        .count();
    assert_eq!(
        (rules.rules().len(), errors.len(), proxy, error_logs),
        (13, 32, 29, 3),
        "{errors:#?}"
    );

    let rules = Arc::new(rules);
    let mut scanner = Scanner::new(rules.clone(), ScanConfig::default());
    let mut alerts: Vec<Alert> = Vec::new();
    let logs = test_file("access/logs");
    let mut files: Vec<_> = walk(&logs);
    files.sort();
    for file in files {
        scanner.begin_source(file.display().to_string(), &mut alerts);
        scanner.feed(&std::fs::read(&file).unwrap(), &mut alerts);
    }
    scanner.finish(&mut alerts);
    assert_eq!(scanner.stats().lines_rejected, 0);
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for alert in &alerts {
        *by_rule.entry(alert.rule.title.clone()).or_default() += 1;
    }
    // Recon user agents (zgrab, Nikto, sqlmap, Nmap), `.git/`, and SigmaHQ's keyword
    // lists for SQL injection and template injection, which also fire on the decoded
    // `q=select a plan` and `price=${amount}` of benign requests (their documented
    // false positives: searches and template-like parameters).
    let expected: BTreeMap<String, usize> = [
        ("Suspicious User-Agents Related To Recon Tools", 7),
        ("SQL Injection Strings In URI", 6),
        ("Source Code Enumeration Detection by Keyword", 1),
        ("Server Side Template Injection Strings", 6),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_owned(), n))
    .collect();
    assert_eq!(by_rule, expected);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
