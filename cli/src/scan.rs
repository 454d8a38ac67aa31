//! `tripline scan`: reads the inputs in large chunks, feeds the engine's scanner, writes
//! alerts as they come, and reports what could not be read.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use tripline_engine::{
    Alert, CorrelationLimits, Placeholders, Rejected, RuleSet, RuleSetBuilder, ScanConfig, Scanner,
    Severity, Sink,
};
use tripline_ingest::FieldMap;
use tripline_ingest::mapped::MappedFile;
use tripline_ingest::source::{
    self, Compression, Input, InputErrorKind, InputSpec, Location, OpenOptions, Opened,
};

use crate::args::{Format, Limit, RuleConfig, RuleSource, ScanArgs};
use crate::output::AlertWriter;
use crate::progress::{Progress, Snapshot};
use crate::report::{RejectReporter, stats_text};
use crate::{EXIT_INPUT_ERRORS, EXIT_OK};

/// Bytes read from an input at a time.
const CHUNK: usize = 4 << 20;
/// Default bound on a compressed input's expansion: this many times its size on disk...
const MAX_EXPANSION: u64 = 1_000;
/// ... but never less than this (small files may compress very well).
const MIN_DECOMPRESSED_LIMIT: u64 = 1 << 30;
/// Default bound for compressed stdin, whose compressed size is unknown.
const STDIN_DECOMPRESSED_LIMIT: u64 = 64 << 30;
/// Rule compilation failures shown on stderr by `scan` (all of them with `rules list`).
const RULE_ERRORS_SHOWN: usize = 5;

/// Loads the rule set the arguments ask for. Rules that fail to compile are reported on
/// stderr (unless `quiet`) and left out; no usable rule at all is an error.
pub fn load_rules(source: &RuleSource, quiet: bool) -> Result<(RuleSet, usize)> {
    let mut builder = rule_builder(&source.config)?;
    if source.rules.is_empty() || source.builtin {
        builder.add_builtin();
    }
    for path in &source.rules {
        builder.add_path(path);
    }
    let (rules, errors) = builder.build();
    if !quiet {
        for e in errors.iter().take(RULE_ERRORS_SHOWN) {
            match e.severity {
                Severity::Refused => diagnostic!("tripline: warning: rule not loaded: {e}"),
                Severity::Warning => diagnostic!("tripline: {e}"),
            }
        }
        if errors.len() > RULE_ERRORS_SHOWN {
            diagnostic!(
                "tripline: warning: ... and {} more (see `tripline rules check`)",
                errors.len() - RULE_ERRORS_SHOWN
            );
        }
    }
    if rules.rules().is_empty() {
        bail!("no usable rules were loaded ({} failed)", errors.len());
    }
    Ok((rules, errors.len()))
}

/// A rule-set builder with the user's field map and placeholders, if any.
pub fn rule_builder(config: &RuleConfig) -> Result<RuleSetBuilder> {
    let mut map = FieldMap::builtin();
    if let Some(path) = &config.mapping {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        map.merge(FieldMap::from_yaml(&text).with_context(|| format!("{}", path.display()))?);
    }
    let mut builder = RuleSetBuilder::with_field_map(map);
    if let Some(path) = &config.placeholders {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let values: Placeholders =
            yaml_serde::from_str::<std::collections::BTreeMap<String, Vec<String>>>(&text)
                .with_context(|| {
                    format!(
                        "{}: expected a map from placeholder name to a list of values",
                        path.display()
                    )
                })?
                .into_iter()
                .collect();
        builder.placeholders(values);
    }
    Ok(builder)
}

struct CliSink {
    writer: AlertWriter,
    rejects: RejectReporter,
    /// The first error writing alerts; a closed pipe ends the scan quietly.
    write_error: Option<io::Error>,
}

impl Sink for CliSink {
    fn alert(&mut self, alert: Alert) {
        if self.write_error.is_none()
            && let Err(e) = self.writer.write(&alert)
        {
            self.write_error = Some(e);
        }
    }

    fn reject(&mut self, rejected: &Rejected<'_>) {
        self.rejects.report(rejected);
    }
}

/// Feeds one input to the scanner: the alerts go out as they are known, progress is shown.
struct Fed<'a> {
    scanner: &'a mut Scanner,
    sink: &'a mut CliSink,
    progress: &'a mut Progress,
    files_done: usize,
    host_from: Option<&'a str>,
    /// Bytes of the input fed so far.
    read: u64,
}

/// How feeding an input ended, when it did not stop at a read error.
enum Ended {
    AtTheEnd,
    /// Alerts can no longer be written: the scan stops.
    OutputClosed,
}

impl Fed<'_> {
    /// Reads `opened` in chunks into buffers that travel to the workers and come back;
    /// `Err` says why reading stopped.
    fn read(
        &mut self,
        input: &Input,
        opened: Opened,
        buffer: &mut Vec<u8>,
    ) -> Result<Ended, String> {
        if opened.compression != Compression::None {
            // Sizes on disk no longer say how much is left to read.
            self.progress.forget_total();
        }
        let Opened {
            mut reader,
            compression,
        } = opened;
        self.begin(input);
        loop {
            // Top the buffer up to size: it may be one a worker gave back.
            buffer.resize(CHUNK, 0);
            match reader.read(buffer) {
                Ok(0) => return Ok(Ended::AtTheEnd),
                Ok(n) => {
                    buffer.truncate(n);
                    self.read += n as u64;
                    *buffer = self.scanner.feed_owned(std::mem::take(buffer), self.sink);
                    if !self.after_feed() {
                        return Ok(Ended::OutputClosed);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let what = match InputErrorKind::from_read_error(e, compression) {
                        InputErrorKind::TooLarge { limit } => format!(
                            "decompressed size exceeds the limit of {limit} bytes \
                             (decompression-bomb guard; see --max-decompressed)"
                        ),
                        kind => kind.to_string(),
                    };
                    return Err(self.stopped(input, &what));
                }
            }
        }
    }

    /// Feeds the mapped chunks of a plain file, shared with the workers without a copy.
    fn mapped(&mut self, input: &Input, mut file: MappedFile) -> Result<Ended, String> {
        self.begin(input);
        loop {
            match file.next_chunk() {
                Ok(None) => return Ok(Ended::AtTheEnd),
                Ok(Some(chunk)) => {
                    self.read += (*chunk).as_ref().len() as u64;
                    self.scanner.feed_shared(chunk, self.sink);
                    if !self.after_feed() {
                        return Ok(Ended::OutputClosed);
                    }
                }
                Err(e) => return Err(self.stopped(input, &format!("cannot map it: {e}"))),
            }
        }
    }

    fn begin(&mut self, input: &Input) {
        self.scanner.begin_source(input.name.clone(), self.sink);
        self.scanner
            .set_source_host(source_host(self.host_from, input));
    }

    /// Flushes the alerts (they go out as soon as they are known, also to a pipe) and
    /// shows progress; `false` when alerts can no longer be written.
    fn after_feed(&mut self) -> bool {
        if self.sink.write_error.is_none()
            && let Err(e) = self.sink.writer.flush()
        {
            self.sink.write_error = Some(e);
        }
        if self.sink.write_error.is_some() {
            return false;
        }
        let stats = self.scanner.stats();
        self.progress.update(&Snapshot {
            // With worker threads, counted as results come back.
            bytes_done: stats.bytes_read,
            files_done: self.files_done,
            events: stats.lines_evaluated,
            alerts: stats.alerts(),
        });
        true
    }

    fn stopped(&self, input: &Input, what: &str) -> String {
        let lines = self.scanner.source_lines();
        format!(
            "{}: stopped after {lines} complete lines ({} bytes), which were scanned: {what}",
            input.name, self.read
        )
    }
}

pub fn run(args: ScanArgs) -> Result<u8> {
    let started = Instant::now();
    let (rules, _) = load_rules(&args.rules, args.quiet)?;
    let rules = Arc::new(rules);

    let stdout_is_terminal = io::stdout().is_terminal();
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout())),
    };
    let format = args
        .format
        .unwrap_or(if args.output.is_none() && stdout_is_terminal {
            Format::Table
        } else {
            Format::Ndjson
        });
    let rejects_file: Option<Box<dyn Write>> = match &args.rejects {
        Some(path) => Some(Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ))),
        None => None,
    };
    let mut sink = CliSink {
        writer: AlertWriter::new(format, out),
        rejects: RejectReporter::new(args.quiet, rejects_file),
        write_error: None,
    };

    let specs: Vec<InputSpec> = if args.inputs.is_empty() {
        vec![InputSpec::Stdin]
    } else {
        args.inputs.iter().map(|a| InputSpec::from_arg(a)).collect()
    };
    let (inputs, listing_errors) = source::expand(&specs);
    let mut input_errors = listing_errors.len();
    for e in &listing_errors {
        diagnostic!("tripline: {e}");
    }
    let total_bytes = inputs
        .iter()
        .map(|i| match i.location {
            Location::File(_) => i.size,
            Location::Stdin => None,
        })
        .sum::<Option<u64>>();
    let mut progress = Progress::new(args.quiet, total_bytes, inputs.len());

    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let config = ScanConfig {
        max_line: args.max_line,
        correlation: CorrelationLimits {
            max_lateness: args.max_lateness,
            max_events_per_group: args.max_group_events.max(1),
            max_state: args.max_state,
            shards: args.shards.unwrap_or(usize::from(threads > 1)),
            suppress: args.suppress,
        },
        prefilter: !args.no_prefilter,
        threads,
    };
    let mut scanner = Scanner::new(rules.clone(), config);
    let mut buffer = Vec::new();
    for (done, input) in inputs.iter().enumerate() {
        let mut fed = Fed {
            scanner: &mut scanner,
            sink: &mut sink,
            progress: &mut progress,
            files_done: done,
            host_from: args.host_from.as_deref(),
            read: 0,
        };
        let outcome = if args.mmap {
            MappedFile::open(input, CHUNK)
        } else {
            Ok(None)
        };
        let outcome = match outcome {
            Ok(Some(file)) => fed.mapped(input, file),
            Ok(None) => {
                let options = OpenOptions {
                    max_decompressed_bytes: decompressed_limit(args.max_decompressed, input),
                };
                match source::open_detected(input, options) {
                    Ok(opened) => fed.read(input, opened, &mut buffer),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(Ended::AtTheEnd) => {}
            Ok(Ended::OutputClosed) => break,
            Err(message) => {
                input_errors += 1;
                diagnostic!("tripline: {message}");
            }
        }
    }
    scanner.finish(&mut sink);
    progress.finish();
    if sink.write_error.is_none()
        && let Err(e) = sink.writer.flush()
    {
        sink.write_error = Some(e);
    }
    let stats = scanner.stats().clone();
    sink.rejects.finish(&stats);
    if let Some(e) = sink.rejects.file_error.take() {
        diagnostic!("tripline: cannot write the rejects file: {e}");
    }
    let elapsed = started.elapsed();
    if args.stats {
        use std::io::Write as _;
        let text = stats_text(&stats, &rules, elapsed, input_errors);
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    if let Some(path) = &args.stats_json {
        let mut json = stats.to_json(&rules);
        let secs = elapsed.as_secs_f64();
        json["input_errors"] = input_errors.into();
        json["elapsed_seconds"] = secs.into();
        json["bytes_per_second"] = (stats.bytes_read as f64 / secs.max(1e-9)).round().into();
        json["lines_per_second"] = (stats.lines_read as f64 / secs.max(1e-9)).round().into();
        let text = serde_json::to_string_pretty(&json)? + "\n";
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    match sink.write_error {
        // `tripline scan | head`: the reader is gone, which is not an error of ours.
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(EXIT_OK),
        Some(e) => bail!("cannot write alerts: {e}"),
        None => {}
    }
    Ok(if input_errors > 0 {
        EXIT_INPUT_ERRORS
    } else {
        EXIT_OK
    })
}

/// The most bytes `input` may decompress to: `--max-decompressed`, else
/// [`MAX_EXPANSION`] times its size on disk but at least [`MIN_DECOMPRESSED_LIMIT`], else
/// (stdin) [`STDIN_DECOMPRESSED_LIMIT`].
fn decompressed_limit(given: Option<Limit>, input: &Input) -> Option<u64> {
    match given {
        Some(Limit::Bytes(limit)) => Some(limit),
        Some(Limit::None) => None,
        None => Some(match (&input.location, input.size) {
            (Location::File(_), Some(size)) => size
                .saturating_mul(MAX_EXPANSION)
                .max(MIN_DECOMPRESSED_LIMIT),
            _ => STDIN_DECOMPRESSED_LIMIT,
        }),
    }
}

/// The host `--host-from` gives an input's events that name none: `path` is the name of
/// the input's directory (none for stdin or a file at the root), anything else is the name.
fn source_host(host_from: Option<&str>, input: &Input) -> Option<Arc<str>> {
    match host_from? {
        "path" => match &input.location {
            Location::File(path) => path
                .parent()?
                .file_name()
                .map(|name| Arc::from(name.to_string_lossy().as_ref())),
            Location::Stdin => None,
        },
        name => Some(Arc::from(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decompression_is_bounded_by_default() {
        let file = |size| Input {
            name: Arc::from("a.gz"),
            location: Location::File("a.gz".into()),
            size,
        };
        assert_eq!(decompressed_limit(None, &file(Some(10))), Some(1 << 30));
        assert_eq!(
            decompressed_limit(None, &file(Some(5 << 20))),
            Some(5_000 << 20)
        );
        assert_eq!(decompressed_limit(None, &file(None)), Some(64 << 30));
        assert_eq!(decompressed_limit(None, &Input::stdin()), Some(64 << 30));
        assert_eq!(
            decompressed_limit(Some(Limit::Bytes(7)), &Input::stdin()),
            Some(7)
        );
        assert_eq!(decompressed_limit(Some(Limit::None), &file(Some(1))), None);
    }

    #[test]
    fn host_from_path_is_the_directory_name() {
        let file = |p: &str| Input {
            name: Arc::from(p),
            location: Location::File(p.into()),
            size: None,
        };
        let host = |option, input: &Input| source_host(option, input).map(|h| h.to_string());
        assert_eq!(
            host(Some("path"), &file("/logs/web01/access.log")).as_deref(),
            Some("web01")
        );
        assert_eq!(host(Some("path"), &file("access.log")), None);
        assert_eq!(host(Some("path"), &Input::stdin()), None);
        assert_eq!(
            host(Some("edge-7"), &Input::stdin()).as_deref(),
            Some("edge-7")
        );
        assert_eq!(host(None, &file("/logs/web01/access.log")), None);
    }
}
