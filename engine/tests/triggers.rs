//! Rules gated by their literals (field automata, trigger sets, keyword gates on the raw
//! line) must still match however the literal is written in the JSON: plain, with `\u`
//! escapes, with escaped slashes, or inside event data embedded as a string.

mod common;

use common::{compile_all, same_with_and_without_prefilter};

const KEYWORD_RULE: &str = r#"
title: keywords over every event of the product
id: 00000000-0000-4000-8000-000000000001
logsource: {product: windows}
detection:
  keywords: ['sekurlsa::logonpasswords', '\mimilib.dll', 'sb://']
  condition: keywords
"#;

const FIELD_RULE: &str = r#"
title: a gated field rule
id: 00000000-0000-4000-8000-000000000002
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\whoami.exe'
    CommandLine|contains: '/all'
  condition: selection
"#;

const PATH_RULE: &str = r#"
title: paths with backslashes and slashes inside their literals
id: 00000000-0000-4000-8000-000000000003
logsource: {category: file_event, product: windows}
detection:
  selection:
    TargetFilename|contains: ['\FrontEnd\HttpProxy\', '/var/www/html/']
  condition: selection
"#;

/// The 1-based lines that raised an alert of rule `id`, with and without the prefilter.
fn lines_alerted(input: &str, id: &str) -> Vec<u64> {
    let rules = compile_all(&[
        ("keywords.yml", KEYWORD_RULE),
        ("field.yml", FIELD_RULE),
        ("path.yml", PATH_RULE),
    ]);
    same_with_and_without_prefilter(&rules, input, |alerts| {
        alerts
            .iter()
            .filter(|a| a.rule.id.as_deref() == Some(id))
            .map(|a| a.events[0].source.line)
            .collect::<Vec<u64>>()
    })
}

const SYSMON: &str = r#""Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"h""#;

#[test]
fn keyword_rules_see_every_spelling_of_their_literals() {
    let lines = [
        format!(r#"{{"EventID":1,{SYSMON},"CommandLine":"x.exe sekurlsa::logonpasswords exit"}}"#),
        // `s` written as a JSON escape.
        format!(r#"{{"EventID":1,{SYSMON},"CommandLine":"x.exe \u0073ekurlsa::LogonPasswords"}}"#),
        // Slashes escaped, as PHP's encoder writes them.
        format!(r#"{{"EventID":3,{SYSMON},"DestinationHostname":"sb:\/\/bus.example"}}"#),
        // Event data embedded as a string: its backslashes are escaped twice.
        r#"{"EventID":7,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"h","TimeGenerated":"2026-11-20T10:00:00Z","EventData":"{\"ImageLoaded\":\"C:\\\\x\\\\MIMILIB.DLL\"}"}"#.to_string(),
        // Nothing: not in a value, only in a key.
        format!(r#"{{"EventID":1,{SYSMON},"sekurlsa::logonpasswords":"x"}}"#),
        format!(r#"{{"EventID":1,{SYSMON},"CommandLine":"notepad.exe"}}"#),
    ];
    let input = lines.join("\n") + "\n";
    assert_eq!(
        lines_alerted(&input, "00000000-0000-4000-8000-000000000001"),
        [1, 2, 3, 4]
    );
}

#[test]
fn gated_field_rules_see_escaped_literals() {
    let lines = [
        format!(
            r#"{{"EventID":1,{SYSMON},"Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all"}}"#
        ),
        format!(
            r#"{{"EventID":1,{SYSMON},"Image":"C:\\Windows\\System32\\\u0077hoami.exe","CommandLine":"whoami \/ALL"}}"#
        ),
        format!(
            r#"{{"EventID":1,{SYSMON},"Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /groups"}}"#
        ),
    ];
    let input = lines.join("\n") + "\n";
    assert_eq!(
        lines_alerted(&input, "00000000-0000-4000-8000-000000000002"),
        [1, 2]
    );
}

#[test]
fn literals_with_inner_backslashes_are_found_in_embedded_event_data() {
    let sentinel = |data: &str| {
        format!(
            r#"{{"EventID":11,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"h","TimeGenerated":"2026-11-20T10:00:00Z","EventData":"{data}"}}"#
        )
    };
    let lines = [
        // Escaped twice, the path's backslashes are four in the raw line.
        sentinel(r#"{\"TargetFilename\":\"C:\\\\x\\\\FrontEnd\\\\HttpProxy\\\\a.aspx\"}"#),
        // Slashes escaped by the inner encoder, then escaped again.
        sentinel(r#"{\"TargetFilename\":\"\\\/var\\\/www\\\/html\\\/a.php\"}"#),
        // Escaped once only by the outer encoder.
        sentinel(r#"{\"TargetFilename\":\"\/var\/www\/html\/b.php\"}"#),
        sentinel(r#"{\"TargetFilename\":\"C:\\\\x\\\\FrontEnd\\\\a.aspx\"}"#),
    ];
    let input = lines.join("\n") + "\n";
    assert_eq!(
        lines_alerted(&input, "00000000-0000-4000-8000-000000000003"),
        [1, 2, 3]
    );
}
