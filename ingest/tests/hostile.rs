//! Hostile lines through the parser: any JSON nesting depth without growing the stack,
//! any number of fields and any string sizes within the line limit without per-field
//! memory, and what is matched against NUL bytes, invalid UTF-8, unpaired surrogate
//! escapes and overlong numbers (README, "Bad input").

use tripline_ingest::{FieldId, FieldPlan, FieldValue, Parsed, Parser, Reject};

/// A Sysmon process start (flat schema) with these extra members (raw JSON text).
fn process(members: &str) -> Vec<u8> {
    format!(
        r#"{{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"web01",{members}}}"#
    )
    .into_bytes()
}

fn field(plan: &FieldPlan, name: &str) -> FieldId {
    plan.lookup(name)
        .unwrap_or_else(|| panic!("{name} is planned"))
}

/// The value of `name` in `line` as a parsed event, owned.
fn value(line: &[u8], name: &str) -> Result<Option<Vec<u8>>, Reject> {
    let plan = FieldPlan::standard();
    let mut parser = Parser::new();
    let event = match parser.parse(&plan, line)? {
        Parsed::Event(event) => event,
        Parsed::Header => panic!("not a header"),
    };
    Ok(event.get(field(&plan, name)).as_bytes().map(<[u8]>::to_vec))
}

/// Runs `f` on a thread with a small stack: recursion over the input would overflow it.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("no stack overflow, no panic");
}

#[test]
fn any_nesting_depth_is_handled_without_recursion() {
    on_small_stack(|| {
        let depth = 1_000_000;
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            // Under a key nobody wants, under a wanted key, and as an embedded document.
            let deep = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            for members in [
                format!(r#""Other":{deep},"Image":"cmd.exe""#),
                format!(r#""Image":"cmd.exe","CommandLine":{deep}"#),
                format!(r#""Image":"cmd.exe","EventData":{deep}"#),
            ] {
                assert_eq!(
                    value(&process(&members), "Image"),
                    Ok(Some(b"cmd.exe".to_vec()))
                );
            }
            // Unbalanced at that depth: rejected, not overflowed.
            let unbalanced = format!(r#""Other":{}1"#, open.repeat(depth));
            assert!(matches!(
                value(&process(&unbalanced), "Image"),
                Err(Reject::MalformedJson(_))
            ));
        }
    });
}

#[test]
fn any_number_of_fields_keeps_the_first_of_each_and_costs_no_memory_per_field() {
    let plan = FieldPlan::standard();
    let mut members: Vec<String> = (0..200_000).map(|i| format!(r#""k{i}":"v{i}""#)).collect();
    members.insert(100_000, r#""Image":"first.exe""#.into());
    members.push(r#""Image":"second.exe""#.into());
    let line = process(&members.join(","));
    let mut parser = Parser::new();
    let event = parser.parse(&plan, &line).unwrap().event().unwrap();
    assert_eq!(
        event.get(field(&plan, "Image")),
        FieldValue::String(b"first.exe")
    );
    // Keyword searches see every string value, and nothing else is recorded: the parser's
    // per-event state is one slot per planned field, whatever the line holds.
    let mut strings = 0;
    event.any_string(|_| {
        strings += 1;
        false
    });
    assert!(strings > 200_000, "{strings}");
}

#[test]
fn string_sizes_are_bounded_by_the_line() {
    // A 4 MiB command line of escapes unescapes to no more than its escaped size.
    let escaped = "\\u0041\\n\\\\".repeat(4 << 20 >> 4);
    let line = process(&format!(r#""CommandLine":"{escaped}""#));
    let got = value(&line, "CommandLine").unwrap().unwrap();
    assert_eq!(got.len(), escaped.len() / 10 * 3);
    assert!(got.len() <= line.len());
    assert!(got.starts_with(b"A\n\\A\n\\"));
}

#[test]
fn nul_bytes_and_invalid_utf8_are_matched_as_bytes() {
    // Raw NUL and invalid UTF-8 inside a string: the line is evaluated, the bytes are the
    // value as they are.
    let mut line = process(r#""CommandLine":"cmd RAW /c""#);
    let at = line.windows(3).position(|w| w == b"RAW").unwrap();
    line.splice(at..at + 3, *b"\x00\xff\xc0");
    assert_eq!(
        value(&line, "CommandLine"),
        Ok(Some(b"cmd \x00\xff\xc0 /c".to_vec()))
    );
    // A NUL escape is a NUL byte.
    let line = process(r#""CommandLine":"a\u0000b""#);
    assert_eq!(value(&line, "CommandLine"), Ok(Some(b"a\x00b".to_vec())));
    // Outside strings they are not JSON.
    assert!(matches!(
        value(b"{\"EventID\":1\x00}", "Image"),
        Err(Reject::MalformedJson(_))
    ));
    assert_eq!(
        value(b"\x00\x00", "Image"),
        Err(Reject::AccessLog(
            tripline_ingest::AccessLogError::UnknownFormat
        ))
    );
}

#[test]
fn unpaired_surrogate_escapes_become_the_replacement_character() {
    let line = process(r#""CommandLine":"a\ud800b\udc00c\ud83d\ude00d\ud800""#);
    assert_eq!(
        value(&line, "CommandLine"),
        Ok(Some(
            "a\u{fffd}b\u{fffd}c\u{1f600}d\u{fffd}".as_bytes().to_vec()
        ))
    );
    // An escape that is not four hex digits is a bad escape.
    let line = process(r#""CommandLine":"\ud8""#);
    assert_eq!(
        value(&line, "CommandLine"),
        Err(Reject::MalformedJson(tripline_ingest::JsonError::BadEscape))
    );
}

#[test]
fn overlong_numbers_are_kept_as_text() {
    // Valid JSON numbers of any length are kept as their literal text (matched as text);
    // as an event id they are no event id, never a wrapped one.
    let digits = "9".repeat(10_000);
    let line = format!(
        r#"{{"EventID":{digits},"Channel":"Security","Hostname":"h","Size":-1.5e{digits}}}"#
    );
    let plan = FieldPlan::standard();
    let mut parser = Parser::new();
    let event = parser
        .parse(&plan, line.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(event.event_id(), None);
    assert_eq!(
        event.get(field(&plan, "EventID")),
        FieldValue::Number(digits.as_bytes())
    );
    let wrapping = r#"{"EventID":4294967297,"Channel":"Security","Hostname":"h"}"#;
    let event = parser
        .parse(&plan, wrapping.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(event.event_id(), None, "2^32 + 1 is not event 1");
    // Malformed numbers are rejected.
    for bad in ["01", "1.", "-", "1e", "+1", "0x10", "NaN", "Infinity"] {
        let line = format!(r#"{{"EventID":{bad},"Channel":"Security","Hostname":"h"}}"#);
        assert!(
            matches!(
                parser.parse(&plan, line.as_bytes()),
                Err(Reject::MalformedJson(_))
            ),
            "{bad}"
        );
    }
}
