//! Rules whose condition needs certain event ids are only looked at for events with one
//! of those ids: that must never change an answer, whatever form the id takes in the
//! JSON (number, string, padded, inside an array, null).

mod common;

use common::{compile_all, same_with_and_without_prefilter};

const RULES: [&str; 3] = [
    r#"
title: one id
id: 00000000-0000-4000-8000-00000000000a
logsource: {product: windows, service: sysmon}
detection:
  selection: {EventID: 16}
  condition: selection
"#,
    r#"
title: two ids, one written as a string
id: 00000000-0000-4000-8000-00000000000b
logsource: {product: windows, service: sysmon}
detection:
  config: {EventID: 255}
  state: {EventID: '4'}
  condition: 1 of them
"#,
    r#"
title: every id but one
id: 00000000-0000-4000-8000-00000000000c
logsource: {product: windows, service: sysmon}
detection:
  selection: {EventID: 16}
  condition: not selection
"#,
];

/// For each line, the letters of the rules that alerted on it, with and without the
/// prefilter.
fn rules_alerted(lines: &[String]) -> Vec<String> {
    let names = ["a.yml", "b.yml", "c.yml"];
    let documents: Vec<(&str, &str)> = names.into_iter().zip(RULES).collect();
    let rules = compile_all(&documents);
    same_with_and_without_prefilter(&rules, &lines.join("\n"), |alerts| {
        let mut by_line = vec![String::new(); lines.len()];
        for alert in alerts {
            let id = alert.rule.id.as_deref().unwrap_or_default();
            by_line[alert.events[0].source.line as usize - 1].push_str(&id[id.len() - 1..]);
        }
        by_line
    })
}

fn sysmon(event_id: &str) -> String {
    format!(
        r#"{{"EventID":{event_id},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"h","@timestamp":"2026-11-20T10:00:00Z"}}"#
    )
}

#[test]
fn rules_needing_event_ids_see_every_event_with_one() {
    let cases = [
        ("16", "a"),
        ("1", "c"),
        (r#""16""#, "a"),
        (r#"["16"]"#, "a"),
        (r#"" 255""#, "bc"),
        ("4", "bc"),
        (r#""04""#, "c"),
        ("null", "c"),
    ];
    let lines: Vec<String> = cases.iter().map(|(id, _)| sysmon(id)).collect();
    let want: Vec<&str> = cases.iter().map(|(_, rules)| *rules).collect();
    assert_eq!(rules_alerted(&lines), want);
}
