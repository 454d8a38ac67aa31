//! The real correlation rules of Hayabusa (../shared/data/hayabusa-rules) on the real
//! logon events of ../shared/data/events. The expected alerts were checked by hand with
//! an independent script over the same files: PW Guessing groups 3,561 wrong-password
//! 4625s of one source, user and logon type (DeepBlueCLI smb-password-guessing), PW Spray
//! 294 explicit-credential 4648s of 41 users from one address (DeepBlueCLI
//! password-spray); every 5 within 5 minutes make an alert and are consumed. User
//! Guessing finds nothing: its only candidates (OpenSSH, non-existent users) have
//! `IpAddress: -`, which the rule's filter excludes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tripline_engine::{Alert, RuleSetBuilder, ScanConfig, Scanner};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// Event files that hold any 4625 or 4648, sorted.
fn logon_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            logon_files(&path, out);
        } else if std::fs::read_to_string(&path)
            .is_ok_and(|t| t.contains("\"EventID\":4625") || t.contains("\"EventID\":4648"))
        {
            out.push(path);
        }
    }
}

#[test]
fn hayabusa_logon_correlations_on_real_events() {
    let mut builder = RuleSetBuilder::new();
    builder.add_path(&data().join("hayabusa-rules"));
    let (rules, errors) = builder.build();
    assert!(errors.is_empty(), "{errors:#?}");
    let rules = Arc::new(rules);
    let mut files = Vec::new();
    logon_files(&data().join("events"), &mut files);
    assert!(files.len() >= 10, "{files:#?}");
    let mut scanner = Scanner::new(rules, ScanConfig::default());
    let mut alerts: Vec<Alert> = Vec::new();
    for file in &files {
        scanner.begin_source(file.display().to_string(), &mut alerts);
        scanner.feed(&std::fs::read(file).unwrap(), &mut alerts);
    }
    scanner.finish(&mut alerts);
    let of =
        |title: &str| -> Vec<&Alert> { alerts.iter().filter(|a| a.rule.title == title).collect() };
    let lines = |a: &Alert| a.events.iter().map(|e| e.source.line).collect::<Vec<_>>();

    let guessing = of("PW Guessing");
    assert_eq!(guessing.len(), 711);
    assert!(guessing.iter().all(|a| {
        a.events.len() == 5
            && a.events[0]
                .source
                .file
                .ends_with("smb-password-guessing-security.jsonl")
    }));
    assert_eq!(lines(guessing[0]), [2, 3, 4, 5, 6]);
    assert_eq!(lines(guessing[710]), [3554, 3555, 3556, 3557, 3558]);
    assert_eq!(
        guessing[0].timestamp.unwrap().to_string(),
        "2016-09-19T16:50:06.725433100Z"
    );
    let group: Vec<(&str, &str)> = guessing[0]
        .group_by
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        group,
        [
            ("TargetUserName", "administrator"),
            ("TargetDomainName", "."),
            ("IpAddress", "192.168.198.149"),
            ("LogonType", "3"),
            ("ProcessName", "-"),
            ("LogonProcessName", "ntlmssp "),
        ]
    );

    let spray = of("PW Spray");
    assert_eq!(spray.len(), 58);
    assert!(
        spray
            .iter()
            .all(|a| a.events.len() == 5
                && a.events[0].source.file.ends_with("password-spray.jsonl"))
    );
    assert_eq!(lines(spray[0]), [2, 3, 4, 5, 6]);
    assert_eq!(lines(spray[57]), [287, 288, 289, 290, 291]);
    assert_eq!(
        spray[0].group_by,
        [
            ("IpAddress".to_owned(), "172.16.144.128".to_owned()),
            ("Computer".to_owned(), "desktop-jr78rlp".to_owned()),
        ]
    );
    assert!(of("User Guessing").is_empty());
    // The base rules do not alert on their own (no `generate`).
    assert_eq!(alerts.len(), 711 + 58);
}
