//! Ingest over the real public event logs in `../shared/data/events`: every line is
//! parsed or rejected with a reason, schemas are detected, and known events read right.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tripline_ingest::source::{InputSpec, OpenOptions, expand, open};
use tripline_ingest::{EventKind, FieldId, FieldPlan, Framed, LineFramer, Parsed, Parser};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/events")
}

#[derive(Default, Debug)]
struct Tally {
    lines: u64,
    by_schema_kind: BTreeMap<(String, String), u64>,
    rejects: BTreeMap<&'static str, u64>,
    /// (file, line, parent image, image) of process starts whose parent is w3wp or tomcat.
    web_parents: Vec<(String, u64, String, String)>,
    untimed: u64,
    headers: u64,
}

fn scan_all() -> Tally {
    let (inputs, errors) = expand(&[InputSpec::Path(data_dir())]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        inputs.len() > 590,
        "expected the ~598 event files, found {}",
        inputs.len()
    );
    let plan = FieldPlan::standard();
    let mut parser = Parser::new();
    let mut tally = Tally::default();
    for input in &inputs {
        parser.begin_source();
        let mut reader = open(
            input,
            OpenOptions {
                max_decompressed_bytes: None,
            },
        )
        .unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut bytes).unwrap();
        let mut framer = LineFramer::default();
        let mut on_line = |framed: Framed<'_>| {
            tally.lines += 1;
            let Framed::Line(line) = framed else {
                *tally.rejects.entry("line_too_long").or_default() += 1;
                return;
            };
            match parser.parse(&plan, line.bytes) {
                Ok(Parsed::Header) => tally.headers += 1,
                Ok(Parsed::Event(event)) => {
                    let key = (
                        event.schema().key().to_owned(),
                        event.kind().key().to_owned(),
                    );
                    *tally.by_schema_kind.entry(key).or_default() += 1;
                    if event.timestamp().is_none() {
                        tally.untimed += 1;
                    }
                    if event.kind() == EventKind::ProcessStart {
                        let text = |f| {
                            String::from_utf8_lossy(event.bytes(f).unwrap_or_default()).into_owned()
                        };
                        let parent = text(FieldId::PARENT_IMAGE);
                        let lower = parent.to_ascii_lowercase();
                        if lower.ends_with("\\w3wp.exe") || lower.ends_with("\\tomcat9.exe") {
                            tally.web_parents.push((
                                input.name.to_string(),
                                line.number,
                                parent,
                                text(FieldId::IMAGE),
                            ));
                        }
                    }
                }
                Err(reason) => *tally.rejects.entry(reason.key()).or_default() += 1,
            }
        };
        framer.push(&bytes, &mut on_line);
        framer.finish(&mut on_line);
    }
    tally
}

#[test]
fn every_real_line_is_an_event_or_a_counted_reject() {
    let tally = scan_all();
    let events: u64 = tally.by_schema_kind.values().sum();
    let rejected: u64 = tally.rejects.values().sum();
    eprintln!("{tally:#?}");
    assert_eq!(events + rejected, tally.lines);
    assert_eq!(tally.headers, 0, "no W3C logs among the public event logs");
    // The data README counts 36,098 events in these files; none of them is malformed.
    assert_eq!(events, 36_098, "rejects: {:?}", tally.rejects);
    assert_eq!(tally.untimed, 0, "every real event has a parsable time");
    let count = |schema: &str, kind: &str| {
        tally
            .by_schema_kind
            .get(&(schema.to_owned(), kind.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    // Process creation: Sysmon 1 or Security 4688, 2,916 in all (data README); ProxyLogon
    // has 13 + 12 flat, the Log4Shell Sentinel files 2 + 2.
    assert_eq!(
        count("evtx", "process_start") + count("flat", "process_start"),
        2_916
    );
    assert_eq!(count("flat", "process_start"), 29);
    // Sysmon 11: 537 in all, 301 + 4 of them flat.
    assert_eq!(
        count("evtx", "file_create") + count("flat", "file_create"),
        537
    );
    assert_eq!(count("mde", "other"), 9);
}

#[test]
fn web_server_children_read_from_every_shape() {
    let tally = scan_all();
    let children: Vec<String> = tally
        .web_parents
        .iter()
        .map(|(file, _, _, image)| {
            let file = file.rsplit('/').next().unwrap_or(file);
            format!("{file} -> {}", image.rsplit('\\').next().unwrap_or(image))
        })
        .collect();
    let has = |needle: &str| children.iter().any(|c| c.contains(needle));
    assert!(
        has("proxylogon_ssrf_rce_poc_2021-03-14T01401970.json -> cmd.exe"),
        "{children:#?}"
    );
    assert!(
        has("LM_typical_IIS_webshell_sysmon_1_10_traces.jsonl -> cmd.exe"),
        "{children:#?}"
    );
    assert!(
        has("discovery_sysmon_1_iis_pwd_and_config_discovery_appcmd.jsonl -> powershell.exe"),
        "{children:#?}"
    );
    // Log4Shell on Tomcat: Sysmon 1 with its data embedded as a JSON string, and 4688.
    assert_eq!(
        children
            .iter()
            .filter(|c| c.contains("log4shell") && c.ends_with("powershell.exe"))
            .count(),
        2,
        "{children:#?}"
    );
}
