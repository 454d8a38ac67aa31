//! Alert output formats: NDJSON (the documented format), a table for people, CSV for
//! spreadsheets.

use std::io::{self, Write};

use tripline_engine::{Alert, EventRecord};

use crate::args::Format;

/// Writes alerts in one format.
pub struct AlertWriter {
    format: Format,
    out: Box<dyn Write>,
    wrote_header: bool,
}

impl AlertWriter {
    pub fn new(format: Format, out: Box<dyn Write>) -> AlertWriter {
        AlertWriter {
            format,
            out,
            wrote_header: false,
        }
    }

    pub fn write(&mut self, alert: &Alert) -> io::Result<()> {
        match self.format {
            Format::Ndjson => {
                self.out.write_all(alert.to_json().as_bytes())?;
                self.out.write_all(b"\n")
            }
            Format::Table => {
                if !self.wrote_header {
                    self.wrote_header = true;
                    writeln!(
                        self.out,
                        "{:<30}  {:<8}  {:<32}  {:<24}  {:<19}  WHAT",
                        "TIME", "LEVEL", "RULE", "HOST", "EVIDENCE"
                    )?;
                }
                write_table_row(&mut self.out, alert)
            }
            Format::Csv => {
                if !self.wrote_header {
                    self.wrote_header = true;
                    writeln!(self.out, "{}", CSV_HEADER.join(","))?;
                }
                write_csv_row(&mut self.out, alert)
            }
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn time(alert: &Alert) -> String {
    alert
        .timestamp
        .map(|t| t.to_string())
        .unwrap_or_else(|| "-".into())
}

/// A one-line description of what an event shows.
fn describe(record: &EventRecord) -> String {
    let e = &record.event;
    let r = &e.request;
    if r.method.is_some() || r.uri.is_some() || r.status.is_some() {
        let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        return format!(
            "{} {} {} -> {}",
            or_dash(&r.client_ip),
            or_dash(&r.method),
            or_dash(&r.uri),
            or_dash(&r.status)
        );
    }
    let name = |n: &Option<String>, p: &Option<String>| {
        n.clone()
            .or_else(|| p.clone())
            .unwrap_or_else(|| "?".into())
    };
    match (&e.file_path, &e.process.command_line) {
        (Some(file), _) => format!("{} wrote {file}", name(&e.process.name, &e.process.path)),
        (None, command_line) => {
            let parent = name(&e.parent.name, &e.parent.path);
            let child = name(&e.process.name, &e.process.path);
            match command_line {
                Some(cl) => format!("{parent} -> {child}: {cl}"),
                None => format!("{parent} -> {child}"),
            }
        }
    }
}

fn source(record: &EventRecord) -> String {
    format!("{}:{}", record.source.file, record.source.line)
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut clipped: String = text.chars().take(width.saturating_sub(1)).collect();
        clipped.push('…');
        clipped
    }
}

fn write_table_row(out: &mut dyn Write, alert: &Alert) -> io::Result<()> {
    let last = alert.events.last();
    writeln!(
        out,
        "{:<30}  {:<8}  {:<32}  {:<24}  {:<19}  {}",
        time(alert),
        alert.rule.level.as_deref().unwrap_or("-"),
        clip(alert.rule.label(), 32),
        clip(alert.host.as_deref().unwrap_or("-"), 24),
        clip(alert.evidence.as_deref().unwrap_or("-"), 19),
        last.map(|r| clip(&describe(r), 100)).unwrap_or_default(),
    )?;
    for record in &alert.events {
        writeln!(
            out,
            "{:<30}  {:>8}  {}{}",
            "",
            "at",
            source(record),
            if alert.events.len() > 1 {
                format!("  ({})", clip(&describe(record), 80))
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}

const CSV_HEADER: [&str; 25] = [
    "timestamp",
    "level",
    "rule_name",
    "rule_id",
    "title",
    "risk_score",
    "host",
    "evidence",
    "events",
    "sources",
    "process_name",
    "process_path",
    "command_line",
    "user",
    "sha256",
    "parent_name",
    "parent_path",
    "parent_command_line",
    "file_path",
    "client_ip",
    "method",
    "uri",
    "status",
    "user_agent",
    "referer",
];

/// One row per alert: its last (triggering) event's fields (process, file, web request),
/// and every event's source.
fn write_csv_row(out: &mut dyn Write, alert: &Alert) -> io::Result<()> {
    let last = alert.events.last().map(|r| &r.event);
    let opt = |v: Option<&Option<String>>| v.and_then(|v| v.clone()).unwrap_or_default();
    let sources: Vec<String> = alert.events.iter().map(|r| source(r)).collect();
    let fields = [
        time(alert),
        alert.rule.level.clone().unwrap_or_default(),
        alert.rule.name.clone().unwrap_or_default(),
        alert.rule.id.clone().unwrap_or_default(),
        alert.rule.title.clone(),
        alert
            .rule
            .risk_score
            .map(|r| r.to_string())
            .unwrap_or_default(),
        alert.host.clone().unwrap_or_default(),
        alert.evidence.as_deref().unwrap_or_default().to_owned(),
        alert.events.len().to_string(),
        sources.join(";"),
        opt(last.map(|e| &e.process.name)),
        opt(last.map(|e| &e.process.path)),
        opt(last.map(|e| &e.process.command_line)),
        opt(last.map(|e| &e.process.user)),
        opt(last.map(|e| &e.process.sha256)),
        opt(last.map(|e| &e.parent.name)),
        opt(last.map(|e| &e.parent.path)),
        opt(last.map(|e| &e.parent.command_line)),
        opt(last.map(|e| &e.file_path)),
        opt(last.map(|e| &e.request.client_ip)),
        opt(last.map(|e| &e.request.method)),
        opt(last.map(|e| &e.request.uri)),
        opt(last.map(|e| &e.request.status)),
        opt(last.map(|e| &e.request.user_agent)),
        opt(last.map(|e| &e.request.referer)),
    ];
    let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    writeln!(out, "{}", row.join(","))
}

/// RFC 4180 quoting; also neutralises spreadsheet formulas (a field starting with
/// `=`, `+`, `-` or `@` gets a leading `'`), since command lines are attacker-controlled.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting_and_formula_guard() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_field("-enc x,y"), "\"'-enc x,y\"");
    }

    #[test]
    fn clip_marks_cut_text() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
