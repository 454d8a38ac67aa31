//! The SigmaHQ regression oracle: a rule run alone over its own recorded events must
//! raise at least the number of alerts SigmaHQ's CI expects. Tests come from the
//! repository's `regression_data/INDEX.tsv` or from a rule's `regression_tests_path`;
//! [`test_rule_file`] also runs the rule's own `tripline.examples`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rsigma_parser::parse_sigma_yaml;
use serde::Deserialize;

use crate::alert::Alert;
use crate::examples::{ExampleOutcome, check_examples};
use crate::ruleset::{RuleSetBuilder, collect_rule_files};
use crate::scanner::{Rejected, ScanConfig, Scanner, Sink};
use crate::sigma::EXAMPLES_KEY;

/// The top-level rule attribute that points at a rule's regression data.
pub const REGRESSION_TESTS_KEY: &str = "regression_tests_path";

/// One positive test: run rule `rule_id` of `rule_path` alone over `events_path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegressionTest {
    pub rule_id: String,
    pub title: String,
    pub rule_path: PathBuf,
    /// Events as `evtx_dump` JSON lines.
    pub events_path: PathBuf,
    /// The test passes with at least this many alerts of the rule; more are fine.
    pub min_matches: u64,
}

/// What running a [`RegressionTest`] gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegressionOutcome {
    /// Alerts of the rule under test.
    pub matches: u64,
    pub passed: bool,
    /// Why the test failed: the compile error, unreadable files, rejected events, or
    /// too few matches.
    pub error: Option<String>,
}

impl RegressionOutcome {
    fn failed(error: String) -> RegressionOutcome {
        RegressionOutcome {
            matches: 0,
            passed: false,
            error: Some(error),
        }
    }
}

/// Reads `regression_data/INDEX.tsv` under the SigmaHQ repository root `sigma_root`
/// (columns `rule_id, match_count_min, events_in_file, rule_path, events_jsonl,
/// logsource, title`; paths relative to the root; an empty minimum means 1).
pub fn load_index(sigma_root: &Path) -> io::Result<Vec<RegressionTest>> {
    let path = sigma_root.join("regression_data/INDEX.tsv");
    let text = std::fs::read_to_string(&path)?;
    let bad = |line: usize, why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}:{line}: {why}", path.display()),
        )
    };
    let mut tests = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        let [
            rule_id,
            min,
            _events,
            rule_path,
            events_path,
            _logsource,
            title,
        ] = columns[..]
        else {
            return Err(bad(i + 1, "expected 7 tab-separated columns"));
        };
        let min_matches = match min {
            "" => 1,
            n => n
                .parse()
                .map_err(|_| bad(i + 1, "match_count_min is not a number"))?,
        };
        tests.push(RegressionTest {
            rule_id: rule_id.into(),
            title: title.into(),
            rule_path: sigma_root.join(rule_path),
            events_path: sigma_root.join(events_path),
            min_matches,
        });
    }
    Ok(tests)
}

/// The SigmaHQ repository root for a rule file: its nearest ancestor that holds a
/// `regression_data` directory.
pub fn find_sigma_root(rule_path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(rule_path).ok()?;
    absolute
        .ancestors()
        .skip(1)
        .find(|dir| dir.join("regression_data").is_dir())
        .map(Path::to_path_buf)
}

#[derive(Deserialize)]
struct InfoFile {
    #[serde(default)]
    regression_tests_info: Vec<InfoTest>,
}

#[derive(Deserialize)]
struct InfoTest {
    path: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    match_count: Option<u64>,
}

/// The tests an `info.yml` (path relative to `sigma_root`) lists for a rule. Each
/// `.evtx` sample is read as the `.jsonl` beside it; a sample of another type, or one
/// without its `.jsonl`, is an error (the rule's tests cannot run here).
pub fn tests_from_info(
    sigma_root: &Path,
    info_path: &str,
    rule_id: &str,
    title: &str,
    rule_path: &Path,
) -> Result<Vec<RegressionTest>, String> {
    let info_file = sigma_root.join(info_path);
    let text =
        std::fs::read_to_string(&info_file).map_err(|e| format!("{}: {e}", info_file.display()))?;
    let info: InfoFile = yaml_serde::from_str(&text)
        .map_err(|e| format!("{}: not a regression info file: {e}", info_file.display()))?;
    if info.regression_tests_info.is_empty() {
        return Err(format!("{}: lists no tests", info_file.display()));
    }
    info.regression_tests_info
        .iter()
        .map(|test| {
            let kind = test.kind.as_deref().unwrap_or("evtx");
            let evtx = test.path.strip_suffix(".evtx");
            let (true, Some(stem)) = (kind == "evtx", evtx) else {
                return Err(format!(
                    "{}: only evtx samples can be run (type {kind})",
                    test.path
                ));
            };
            let events_path = sigma_root.join(format!("{stem}.jsonl"));
            if !events_path.is_file() {
                return Err(format!(
                    "{}: no {} beside it (convert with `evtx_dump -o jsonl`)",
                    test.path,
                    events_path.display()
                ));
            }
            Ok(RegressionTest {
                rule_id: rule_id.into(),
                title: title.into(),
                rule_path: rule_path.into(),
                events_path,
                min_matches: test.match_count.unwrap_or(1),
            })
        })
        .collect()
}

/// Runs one test: compiles the rule's file with a builder from `new_builder` (e.g.
/// `&RuleSetBuilder::new`), scans the events, and counts the rule's alerts.
pub fn run(test: &RegressionTest, new_builder: &dyn Fn() -> RuleSetBuilder) -> RegressionOutcome {
    match std::fs::read_to_string(&test.rule_path) {
        Ok(text) => run_text(test, &text, new_builder),
        Err(e) => RegressionOutcome::failed(format!("{}: {e}", test.rule_path.display())),
    }
}

fn run_text(
    test: &RegressionTest,
    rule_text: &str,
    new_builder: &dyn Fn() -> RuleSetBuilder,
) -> RegressionOutcome {
    let events = match std::fs::read(&test.events_path) {
        Ok(events) => events,
        Err(e) => {
            return RegressionOutcome::failed(format!("{}: {e}", test.events_path.display()));
        }
    };
    let mut builder = new_builder();
    builder.add_sigma_yaml(&test.rule_path.display().to_string(), rule_text);
    let (rules, errors) = builder.build();
    let id = Some(test.rule_id.as_str());
    if !rules.rules().iter().any(|m| m.id.as_deref() == id) {
        // The source path is left out so that reasons read the same on every machine.
        let own: Vec<String> = errors
            .iter()
            .filter(|e| e.rule.as_deref().is_none_or(|r| Some(r) == id))
            .map(|e| format!("{}: {}", e.construct, e.reason))
            .collect();
        return RegressionOutcome::failed(if own.is_empty() {
            format!("the file has no rule with id {}", test.rule_id)
        } else {
            own.join("; ")
        });
    }
    let mut counter = AlertCounter {
        rule_id: &test.rule_id,
        matches: 0,
        rejected: 0,
        first_reject: None,
    };
    let mut scanner = Scanner::new(Arc::new(rules), ScanConfig::default());
    scanner.begin_source(test.events_path.display().to_string(), &mut counter);
    scanner.feed(&events, &mut counter);
    scanner.finish(&mut counter);
    let matches = counter.matches;
    let error = if counter.rejected > 0 {
        Some(format!(
            "ingest rejected {} of {} lines ({})",
            counter.rejected,
            scanner.stats().lines_read,
            counter.first_reject.unwrap_or_default()
        ))
    } else if matches < test.min_matches {
        Some(format!("matches {matches} of {}", test.min_matches))
    } else {
        None
    };
    RegressionOutcome {
        matches,
        passed: error.is_none(),
        error,
    }
}

/// Counts the alerts of one rule, and rejected lines.
struct AlertCounter<'t> {
    rule_id: &'t str,
    matches: u64,
    rejected: u64,
    first_reject: Option<String>,
}

impl Sink for AlertCounter<'_> {
    fn alert(&mut self, alert: Alert) {
        if alert.rule.id.as_deref() == Some(self.rule_id) {
            self.matches += 1;
        }
    }

    fn reject(&mut self, rejected: &Rejected<'_>) {
        self.rejected += 1;
        self.first_reject
            .get_or_insert_with(|| format!("line {}: {}", rejected.line, rejected.reason));
    }
}

/// A rule's verdict over all its tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// The rule has tests that cannot run here (e.g. no converted sample).
    Skip,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "SKIP",
        })
    }
}

/// Every test of one rule that has regression data and/or examples.
#[derive(Clone, Debug)]
pub struct RuleReport {
    pub rule_path: PathBuf,
    /// The rule's id, else its name, else its title.
    pub rule: String,
    pub title: String,
    pub regression: Vec<(RegressionTest, RegressionOutcome)>,
    /// Why the rule's regression tests could not be run, when it has some.
    pub regression_unavailable: Option<String>,
    pub examples: Vec<ExampleOutcome>,
}

impl RuleReport {
    pub fn verdict(&self) -> Verdict {
        let failed = self.regression.iter().any(|(_, o)| !o.passed)
            || self.examples.iter().any(|e| !e.passed());
        if failed {
            Verdict::Fail
        } else if self.regression.is_empty() && self.examples.is_empty() {
            Verdict::Skip
        } else {
            Verdict::Pass
        }
    }
}

const NO_ROOT: &str = "no SigmaHQ root given, and no ancestor of the rule holds regression_data/";

/// Where to find regression data for [`test_rule_file`].
#[derive(Clone, Copy, Debug)]
pub enum SigmaRoot<'p> {
    /// The nearest ancestor of each rule file holding `regression_data/`.
    Detect,
    Given(&'p Path),
}

/// Tests every rule of one Sigma file that opts in to regression data
/// (`regression_tests_path`) or carries `tripline.examples`. Rules with neither are
/// left out; a file that cannot be read or parsed is an `Err`.
pub fn test_rule_file(
    path: &Path,
    root: SigmaRoot<'_>,
    new_builder: &dyn Fn() -> RuleSetBuilder,
) -> Result<Vec<RuleReport>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let collection = parse_sigma_yaml(&text).map_err(|e| format!("does not parse: {e}"))?;
    let source = path.display().to_string();
    let has_examples = collection
        .rules
        .iter()
        .map(|r| &r.custom_attributes)
        .chain(collection.correlations.iter().map(|c| &c.custom_attributes))
        .any(|a| a.contains_key(EXAMPLES_KEY));
    let mut examples = if has_examples {
        check_examples(&source, &text)
    } else {
        Vec::new()
    };
    let detected;
    let sigma_root = match root {
        SigmaRoot::Given(dir) => Some(dir),
        SigmaRoot::Detect => {
            detected = find_sigma_root(path);
            detected.as_deref()
        }
    };
    let mut reports = Vec::new();
    let rules = collection.rules.iter().map(|r| {
        let attributes = &r.custom_attributes;
        (&r.id, &r.name, &r.title, attributes)
    });
    let correlations = collection.correlations.iter().map(|c| {
        let attributes = &c.custom_attributes;
        (&c.id, &c.name, &c.title, attributes)
    });
    for (id, name, title, attributes) in rules.chain(correlations) {
        // Example outcomes name their rule by name, else id, else title.
        let label = name.as_ref().or(id.as_ref()).unwrap_or(title);
        let (own, rest): (Vec<_>, Vec<_>) = examples.into_iter().partition(|e| &e.rule == label);
        examples = rest;
        let mut report = RuleReport {
            rule_path: path.into(),
            rule: id.as_ref().or(name.as_ref()).unwrap_or(title).clone(),
            title: title.clone(),
            regression: Vec::new(),
            regression_unavailable: None,
            examples: own,
        };
        let info = attributes.get(REGRESSION_TESTS_KEY);
        if info.is_none() && report.examples.is_empty() {
            continue;
        }
        if let Some(info) = info {
            let tests = match (info.as_str(), id, sigma_root) {
                (None, _, _) => Err(format!("`{REGRESSION_TESTS_KEY}` must be a string")),
                (_, None, _) => Err("a rule with regression data needs an `id`".into()),
                (_, _, None) => Err(NO_ROOT.into()),
                (Some(info), Some(id), Some(root)) => tests_from_info(root, info, id, title, path),
            };
            match tests {
                Ok(tests) => {
                    for test in tests {
                        let outcome = run_text(&test, &text, new_builder);
                        report.regression.push((test, outcome));
                    }
                }
                Err(why) => report.regression_unavailable = Some(why),
            }
        }
        reports.push(report);
    }
    // Examples of a document the parser could not attribute (e.g. the file failed to
    // compile as a whole) are reported under the file's first rule.
    if !examples.is_empty() {
        match reports.first_mut() {
            Some(first) => first.examples.extend(examples),
            None => {
                return Err(examples
                    .iter()
                    .filter_map(|e| e.error.clone())
                    .collect::<Vec<_>>()
                    .join("; "));
            }
        }
    }
    Ok(reports)
}

/// The Sigma files under `path` (a file, or every `.yml`/`.yaml` below a directory,
/// sorted), or why `path` cannot be read.
pub fn rule_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    collect_rule_files(path, &mut files, &mut errors);
    match errors.first() {
        Some(e) => Err(format!("{}: {}", e.source_name, e.reason)),
        None => Ok(files),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"
title: Whoami
id: 11111111-2222-3333-4444-555555555555
logsource: {product: windows, category: process_creation}
detection:
  selection: {Image|endswith: '\whoami.exe'}
  condition: selection
regression_tests_path: regression_data/rules/whoami/info.yml
"#;

    const INFO: &str = r#"
id: 99999999-2222-3333-4444-555555555555
rule_metadata:
    - id: 11111111-2222-3333-4444-555555555555
      title: Whoami
regression_tests_info:
    - name: Positive Detection Test
      type: evtx
      provider: Microsoft-Windows-Sysmon
      match_count: 2
      path: regression_data/rules/whoami/11111111-2222-3333-4444-555555555555.evtx
"#;

    fn event(image: &str) -> String {
        format!(
            r#"{{"Event":{{"System":{{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws1"}},"EventData":{{"Image":"{image}"}}}}}}"#
        )
    }

    /// A SigmaHQ-shaped tree: the rule, its info.yml, its events and an INDEX.tsv.
    fn tree(events: &[String]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("regression_data/rules/whoami");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(root.path().join("rules/windows")).unwrap();
        std::fs::write(root.path().join("rules/windows/whoami.yml"), RULE).unwrap();
        std::fs::write(data.join("info.yml"), INFO).unwrap();
        std::fs::write(
            data.join("11111111-2222-3333-4444-555555555555.jsonl"),
            events.join("\n"),
        )
        .unwrap();
        std::fs::write(
            root.path().join("regression_data/INDEX.tsv"),
            "rule_id\tmatch_count_min\tevents_in_file\trule_path\tevents_jsonl\tlogsource\ttitle\n\
             11111111-2222-3333-4444-555555555555\t\t2\trules/windows/whoami.yml\t\
             regression_data/rules/whoami/11111111-2222-3333-4444-555555555555.jsonl\t\
             windows/process_creation/None\tWhoami\n",
        )
        .unwrap();
        root
    }

    #[test]
    fn the_index_reads_paths_from_the_root_and_defaults_the_minimum() {
        let root = tree(&[]);
        let tests = load_index(root.path()).unwrap();
        assert_eq!(tests.len(), 1);
        assert_eq!(tests[0].min_matches, 1);
        assert_eq!(tests[0].title, "Whoami");
        assert!(tests[0].rule_path.is_file());
        assert!(tests[0].events_path.is_file());
    }

    #[test]
    fn a_rule_passes_with_at_least_its_minimum_and_fails_below() {
        let whoami = event(r"C:\\Windows\\System32\\WHOAMI.EXE");
        let other = event(r"C:\\Windows\\System32\\cmd.exe");
        let root = tree(&[whoami.clone(), other.clone(), whoami.clone()]);
        let file = root.path().join("rules/windows/whoami.yml");
        let reports = test_rule_file(&file, SigmaRoot::Detect, &RuleSetBuilder::new).unwrap();
        assert_eq!(reports.len(), 1);
        let (test, outcome) = &reports[0].regression[0];
        assert_eq!(test.min_matches, 2);
        assert_eq!(outcome.matches, 2);
        assert_eq!(reports[0].verdict(), Verdict::Pass);

        let root = tree(&[whoami, other]);
        let test = &load_index(root.path()).unwrap()[0];
        let test = RegressionTest {
            min_matches: 2,
            ..test.clone()
        };
        let outcome = run(&test, &RuleSetBuilder::new);
        assert_eq!(outcome.matches, 1);
        assert!(!outcome.passed);
        assert_eq!(outcome.error.as_deref(), Some("matches 1 of 2"));
    }

    #[test]
    fn a_rule_that_does_not_compile_fails_with_the_construct() {
        let root = tree(&[event("x")]);
        let file = root.path().join("rules/windows/whoami.yml");
        std::fs::write(&file, RULE.replace("process_creation", "no_such_category")).unwrap();
        let outcome = run(&load_index(root.path()).unwrap()[0], &RuleSetBuilder::new);
        assert!(!outcome.passed);
        let error = outcome.error.unwrap();
        assert!(
            error.starts_with("logsource: category `no_such_category`"),
            "{error}"
        );
    }

    #[test]
    fn rejected_sample_lines_fail_the_test() {
        let whoami = event(r"C:\\Windows\\System32\\whoami.exe");
        let root = tree(&[whoami, "{not json".into()]);
        let outcome = run(&load_index(root.path()).unwrap()[0], &RuleSetBuilder::new);
        assert!(!outcome.passed);
        assert!(
            outcome
                .error
                .unwrap()
                .starts_with("ingest rejected 1 of 2 lines")
        );
    }

    #[test]
    fn missing_samples_and_roots_skip_instead_of_failing() {
        let root = tree(&[]);
        let file = root.path().join("rules/windows/whoami.yml");
        std::fs::remove_file(
            root.path()
                .join("regression_data/rules/whoami/11111111-2222-3333-4444-555555555555.jsonl"),
        )
        .unwrap();
        let reports = test_rule_file(&file, SigmaRoot::Detect, &RuleSetBuilder::new).unwrap();
        assert_eq!(reports[0].verdict(), Verdict::Skip);
        assert!(
            reports[0]
                .regression_unavailable
                .as_ref()
                .unwrap()
                .contains("no ")
        );

        let elsewhere = tempfile::tempdir().unwrap();
        let reports = test_rule_file(
            &file,
            SigmaRoot::Given(elsewhere.path()),
            &RuleSetBuilder::new,
        )
        .unwrap();
        assert_eq!(reports[0].verdict(), Verdict::Skip);
    }

    #[test]
    fn rules_without_tests_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain.yml");
        std::fs::write(
            &file,
            RULE.replace("regression_tests_path", "# regression_tests_path"),
        )
        .unwrap();
        let reports = test_rule_file(&file, SigmaRoot::Detect, &RuleSetBuilder::new).unwrap();
        assert!(reports.is_empty());
    }
}
