//! Ground truth: one JSON object per injected scenario, naming its host, the output lines
//! of its events (1-based, after any shuffling) and the built-in rules that must fire.

use std::io::{self, BufRead, Write};

use serde::{Deserialize, Serialize};

/// One injected scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthRecord {
    /// `<kind>-<number>`, e.g. `web_recon-0007`.
    pub scenario: String,
    pub kind: String,
    /// The host's lower-case FQDN (or the web server's name for an access log).
    pub host: String,
    /// The schema the host's lines are written in.
    pub schema: String,
    /// The output file's name (`-` for stdout).
    pub file: String,
    /// 1-based line numbers of the scenario's events in `file`, ascending.
    pub lines: Vec<u64>,
    /// The alerting built-in rules that must fire on these lines (possibly none, when the
    /// schema cannot show what happened).
    pub rules: Vec<String>,
    /// What happened, for people reading the truth.
    #[serde(default)]
    pub note: String,
}

/// Writes records as JSON lines.
pub fn write(out: &mut impl Write, records: &[TruthRecord]) -> io::Result<()> {
    for record in records {
        serde_json::to_writer(&mut *out, record)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// A truth file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("line {line}: {source}")]
    Json {
        line: usize,
        #[source]
        source: serde_json::Error,
    },
}

/// Reads JSON-lines truth; blank lines are skipped.
pub fn read(input: impl BufRead) -> Result<Vec<TruthRecord>, TruthError> {
    let mut records = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line).map_err(|source| TruthError::Json {
            line: i + 1,
            source,
        })?;
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let records = vec![TruthRecord {
            scenario: "web_recon-0007".into(),
            kind: "web_recon".into(),
            host: "web03.corp.example".into(),
            schema: "evtx".into(),
            file: "fleet.ndjson".into(),
            lines: vec![1234, 1240],
            rules: vec!["web_server_suspicious_child".into()],
            note: "w3wp.exe runs whoami".into(),
        }];
        let mut out = Vec::new();
        write(&mut out, &records).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(
            text.starts_with(
                r#"{"scenario":"web_recon-0007","kind":"web_recon","host":"web03.corp.example""#
            ),
            "{text}"
        );
        assert_eq!(read(&out[..]).unwrap(), records);
        let err = read(&b"{\"scenario\":1}\n"[..]).unwrap_err().to_string();
        assert!(err.starts_with("line 1:"), "{err}");
    }
}
