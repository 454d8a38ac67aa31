//! One line through schema detection and field extraction: parsing never panics, every
//! accessor of the event answers, and a parser's reused buffers never change the answer
//! (a line parsed after another gives the same event as on a fresh parser).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tripline_engine::RuleSet;
use tripline_ingest::{FieldId, FieldPlan, Parsed, Parser};

/// The standard plan (every field the map knows) and the built-in pack's.
fn plans() -> [&'static FieldPlan; 2] {
    static STANDARD: OnceLock<FieldPlan> = OnceLock::new();
    static BUILTIN: OnceLock<RuleSet> = OnceLock::new();
    [
        STANDARD.get_or_init(FieldPlan::standard),
        BUILTIN.get_or_init(RuleSet::builtin).plan(),
    ]
}

/// Everything a consumer can ask of one parsed line, owned, for comparisons.
fn describe(parser: &mut Parser, plan: &FieldPlan, line: &[u8]) -> String {
    match parser.parse(plan, line) {
        Err(reason) => format!("reject {}", reason.key()),
        Ok(Parsed::Header) => "header".into(),
        Ok(Parsed::Event(event)) => {
            let mut out = format!(
                "{:?} {:?} {:?} {:?} {:?} {:?}",
                event.schema(),
                event.kind(),
                event.access_format(),
                event.timestamp(),
                event.host(),
                event.event_id(),
            );
            for id in 0..plan.field_count() as u32 {
                let field = FieldId(id);
                for form in event.forms(field) {
                    out.push_str(&format!(" {id}={:?}", form.as_bytes()));
                }
            }
            let mut strings = 0usize;
            event.any_string(|s| {
                strings += s.len();
                false
            });
            out.push_str(&format!(" strings={strings} {:?}", event.summary()));
            out
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // An optional first line is context (a W3C `#Fields:` directive, say) for the second.
    let (context, line) = match memchr::memchr(b'\n', data) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b""[..], data),
    };
    for plan in plans() {
        let mut reused = Parser::new();
        let _ = describe(&mut reused, plan, context);
        let first = describe(&mut reused, plan, line);
        // The same again: buffers left by the first parse must not leak into the second.
        let again = describe(&mut reused, plan, line);
        assert_eq!(first, again, "re-parsing the same line changed the event");
        let mut fresh = Parser::new();
        let _ = describe(&mut fresh, plan, context);
        assert_eq!(first, describe(&mut fresh, plan, line));
    }
});
