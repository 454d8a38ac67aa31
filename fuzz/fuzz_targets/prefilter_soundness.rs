//! Prefilter soundness: the alerts with and without the literal prefilter are the same,
//! for the built-in pack and for a generated rule alone (field, modifiers and values from the
//! fuzzer), on the fuzzer's lines followed by well-formed events of every schema.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tripline_engine::RuleSetBuilder;
use tripline_fuzz::{SAMPLE_EVENTS, assert_prefilter_sound, builtin};

/// Fields the generated rule may test.
const FIELDS: &[&str] = &[
    "Image",
    "CommandLine",
    "ParentImage",
    "TargetFilename",
    "User",
    "cs-uri",
    "cs-user-agent",
    "c-uri",
    "Computer",
    "EventID",
    "OriginalFileName",
    "unknown.dotted.path",
];
/// Modifier chains the generated rule may use.
const MODIFIERS: &[&str] = &[
    "",
    "|contains",
    "|startswith",
    "|endswith",
    "|contains|all",
    "|re",
    "|re|i",
    "|cased",
    "|contains|cased",
    "|base64offset|contains",
    "|windash|contains",
    "|contains|wide",
    "|utf16le|base64",
    "|neq",
    "|exists",
    "|cidr",
    "|gte",
    "|lt",
    "|contains|expand",
];

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    field: u8,
    modifier: u8,
    values: Vec<&'a str>,
    /// Whether the generated rule is a keyword (field-less) search.
    keywords: bool,
    lines: &'a [u8],
}

/// A YAML single-quoted scalar.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''").replace(['\n', '\r'], " "))
}

fn generated_rule(input: &Input<'_>) -> String {
    let values: Vec<String> = input.values.iter().take(8).map(|v| quoted(v)).collect();
    let values = format!("[{}]", values.join(", "));
    let selection = if input.keywords {
        format!("    - {values}\n")
    } else {
        let field = FIELDS[input.field as usize % FIELDS.len()];
        let modifier = MODIFIERS[input.modifier as usize % MODIFIERS.len()];
        format!("        {field}{modifier}: {values}\n")
    };
    let body = if input.keywords {
        "  keywords:\n"
    } else {
        "  selection:\n"
    };
    let condition = if input.keywords {
        "keywords"
    } else {
        "selection"
    };
    format!(
        "title: generated\nname: generated\nlogsource: {{product: windows}}\ndetection:\n{body}{selection}  condition: {condition}\nlevel: low\n"
    )
}

fuzz_target!(|input: Input<'_>| {
    let mut bytes = input.lines.to_vec();
    bytes.push(b'\n');
    bytes.extend_from_slice(SAMPLE_EVENTS.as_bytes());

    let mut builder = RuleSetBuilder::new();
    builder.add_sigma_yaml("generated.yml", &generated_rule(&input));
    let (generated, _) = builder.build();
    for rules in [builtin(), Arc::new(generated)] {
        assert_prefilter_sound(&rules, &bytes);
    }
});
