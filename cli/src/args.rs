//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tripline: detection engine for endpoint telemetry and web logs, with Sigma rules.
#[derive(Debug, Parser)]
#[command(name = "tripline", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan telemetry (files, directories, `-` for stdin; .gz/.zst detected by content).
    Scan(ScanArgs),
    /// Work with rules.
    #[command(subcommand)]
    Rules(RulesCommand),
}

/// Which rules to load.
#[derive(Debug, Args, Clone)]
pub struct RuleSource {
    /// Sigma rule file or directory (repeatable). Replaces the built-in pack.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Also load the built-in pack when --rules is given.
    #[arg(long)]
    pub builtin: bool,
    #[command(flatten)]
    pub config: RuleConfig,
}

/// How rules are compiled.
#[derive(Debug, Args, Clone)]
pub struct RuleConfig {
    /// A field map (YAML, the format of ingest/mappings/fields.yml) laid over the built-in
    /// one: how rule field names resolve in each event schema.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Values for `expand` placeholders: a YAML map from placeholder name (without `%`)
    /// to a list of values.
    #[arg(long, value_name = "FILE")]
    pub placeholders: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub rules: RuleSource,
    /// Alert format [default: table on a terminal, ndjson otherwise].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write alerts to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print scan statistics to stderr at the end.
    #[arg(long)]
    pub stats: bool,
    /// Write scan statistics as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,
    /// Write every rejected line (file:line: reason: first bytes) to FILE.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// No progress, no per-line reject reports on stderr (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
    /// Reject lines longer than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = tripline_ingest::DEFAULT_MAX_LINE)]
    pub max_line: usize,
    /// The most bytes one compressed input may expand to (a decompression-bomb guard),
    /// e.g. 500M, 20G, or `none`: past it the input is stopped and reported [default: 1000
    /// times its size on disk, at least 1G; 64G for stdin].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_decompressed: Option<Limit>,
    /// How late (in event time) an event may arrive and still be correlated exactly,
    /// e.g. 90s, 15m, 1h, 2d.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub max_lateness: i64,
    /// Worker threads [default: the number of cores]. The output is the same for any
    /// number.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Parse every line instead of skipping those that contain none of the rules'
    /// literals (for checking the prefilter: the alerts are the same).
    #[arg(long)]
    pub no_prefilter: bool,
    /// The host of events that name none (Apache/nginx combined and common lines):
    /// `path` for the name of each input's directory (/logs/web01/access.log: web01),
    /// anything else for that name. Events that name their host keep it.
    #[arg(long, value_name = "path|NAME")]
    pub host_from: Option<String>,
    /// Inputs: files, directories (recursive, sorted), `-` for stdin. Default: stdin.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<std::ffi::OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Ndjson,
    Table,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the loaded rules.
    List {
        #[command(flatten)]
        rules: RuleSource,
    },
    /// Compile rules and list every one that cannot run, with the construct and why.
    /// Exits 1 when any rule fails.
    Check {
        #[command(flatten)]
        config: RuleConfig,
        /// Also show what the prefilter looks for in raw lines, rule by rule, and which
        /// rules make it evaluate every line.
        #[arg(long)]
        explain_prefilter: bool,
        /// Sigma rule files or directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Run each rule's tests: SigmaHQ regression data (`regression_tests_path`) and
    /// `tripline.examples`. One line per rule with tests; exits 1 when any fails.
    Test(RulesTestArgs),
}

#[derive(Debug, Args)]
pub struct RulesTestArgs {
    /// SigmaHQ repository root that `regression_tests_path` is relative to
    /// [default: the nearest ancestor of each rule file holding `regression_data/`].
    #[arg(long, value_name = "DIR")]
    pub sigma_root: Option<PathBuf>,
    /// Sigma rule files or directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// A size limit given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Bytes(u64),
    None,
}

/// Parses a size: bytes, or a number with `K`, `M`, `G` or `T` (binary multiples), or
/// `none`.
pub fn parse_size(text: &str) -> Result<Limit, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(Limit::None);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 4096, 500M, 20G or none"))?;
    let shift = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use K, M, G or T)"
            ));
        }
    };
    number
        .checked_mul(1 << shift)
        .map(Limit::Bytes)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Parses `90s`, `15m`, `1h`, `2d` (or a bare number of seconds) into nanoseconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 90s, 15m, 1h or 2d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use s, m, h or d)"
            ));
        }
    };
    number
        .checked_mul(seconds)
        .and_then(|s| s.checked_mul(1_000_000_000))
        .ok_or_else(|| format!("`{text}` is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("15m"), Ok(900_000_000_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_duration("2"), Ok(2_000_000_000));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("99999999999999d").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(Limit::Bytes(4096)));
        assert_eq!(parse_size("500M"), Ok(Limit::Bytes(500 << 20)));
        assert_eq!(parse_size("20g"), Ok(Limit::Bytes(20 << 30)));
        assert_eq!(parse_size("1GiB"), Ok(Limit::Bytes(1 << 30)));
        assert_eq!(parse_size("none"), Ok(Limit::None));
        assert!(parse_size("5X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
