//! The hand-written fixtures in `corpus/handwritten/` and the alerts they must raise.

use std::path::PathBuf;

/// The directory of the hand-written fixtures.
pub fn handwritten_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("handwritten")
}

/// One expected alert of the hand-written fixtures: the file, the line of the event that
/// completes the match, and the rule's name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedAlert {
    pub file: String,
    pub line: u64,
    pub rule: String,
}

/// Reads `handwritten-expected-alerts.tsv` (header `file<TAB>line<TAB>rule`), sorted.
pub fn handwritten_expected_alerts() -> std::io::Result<Vec<ExpectedAlert>> {
    const NAME: &str = "handwritten-expected-alerts.tsv";
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(NAME))?;
    let mut rows = Vec::new();
    for (i, row) in text.lines().enumerate().skip(1) {
        if row.trim().is_empty() {
            continue;
        }
        let bad = || {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{NAME}:{}: malformed row", i + 1),
            )
        };
        let mut cols = row.split('\t');
        let (Some(file), Some(line), Some(rule), None) =
            (cols.next(), cols.next(), cols.next(), cols.next())
        else {
            return Err(bad());
        };
        rows.push(ExpectedAlert {
            file: file.to_owned(),
            line: line.parse().map_err(|_| bad())?,
            rule: rule.to_owned(),
        });
    }
    rows.sort();
    Ok(rows)
}
