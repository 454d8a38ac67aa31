//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tripline_engine::StateBudget;

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
    Scan(Box<ScanArgs>),
    /// Work with rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Measure throughput on your own data and rules: each stage, and the whole scan,
    /// next to the time it takes to just read the inputs.
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub rules: RuleSource,
    /// Worker threads of the whole-scan measurement [default: the number of cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Runs of every measurement; medians are printed.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub runs: usize,
    /// Read at most this much of the inputs (decompressed) into memory: 500M, 2G...
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_byte_size)]
    pub max_bytes: u64,
    /// Inputs: files or directories (recursive, sorted).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<std::ffi::OsString>,
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
    /// Bound on correlation state: group keys (`500000keys`) or bytes (`512MiB`, `2GB`),
    /// or `none`. Past it the least recently fed groups are completed early and evicted
    /// (counted in --stats).
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_state_budget)]
    pub max_state: StateBudget,
    /// Most events kept per correlation group; past it the oldest are evaluated early or
    /// evicted (counted in --stats).
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub max_group_events: usize,
    /// Threads owning the correlation state, each a share of the group keys [default: 0,
    /// on the thread that collects results, with -j 1; else 1].
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
    /// Suppress repeats: an alert of the same rule and group key (the host, for a
    /// detection rule) within DURATION of an emitted one is counted, not written.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub suppress: Option<i64>,
    /// Worker threads [default: the number of cores]. The output is the same for any
    /// number.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Parse every line instead of skipping those that contain none of the rules'
    /// literals (for checking the prefilter: the alerts are the same).
    #[arg(long)]
    pub no_prefilter: bool,
    /// Map plain files into memory instead of reading them. It saves copying every byte
    /// but measured slower here (page faults and TLB misses on every fresh mapping cost
    /// more than the copy), and the file must stay as it is during the scan: one truncated
    /// meanwhile (a log rotated by copytruncate) stops the process with SIGBUS.
    #[arg(long, overrides_with = "no_mmap")]
    pub mmap: bool,
    /// Read plain files (the default; kept for scripts written when mapping was).
    #[arg(long, hide = true, overrides_with = "mmap")]
    pub no_mmap: bool,
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

/// Parses a size limit: a size as [`parse_byte_size`] reads it, or `none`.
pub fn parse_size(text: &str) -> Result<Limit, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(Limit::None);
    }
    parse_byte_size(text).map(Limit::Bytes)
}

/// Parses a size into bytes: `4096`, `500K`/`500KiB` (powers of 1024: K, M, G, T with
/// or without `iB`), `500KB`/`2GB` (powers of 1000).
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 4096, 500M, 512MiB or 2GB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use K, M, G, T, KiB..., KB...)"
            ));
        }
    };
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Parses `90s`, `15m`, `1h`, `2d` (or a bare number of seconds) into nanoseconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    tripline_engine::parse_duration(text)
}

/// Parses a state budget: `500000keys` (group keys), `512MiB`, `2GB`, `1000000` (bytes),
/// or `none`.
pub fn parse_state_budget(text: &str) -> Result<StateBudget, String> {
    let text = text.trim();
    if text == "none" {
        return Ok(StateBudget::Unbounded);
    }
    if let Some(keys) = text.strip_suffix("keys") {
        return keys
            .trim()
            .parse()
            .map(StateBudget::Keys)
            .map_err(|_| format!("`{text}` is not a number of keys like 500000keys"));
    }
    parse_byte_size(text).map(StateBudget::Bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_byte_size("4096"), Ok(4096));
        assert_eq!(parse_byte_size("500M"), Ok(500 << 20));
        assert_eq!(parse_byte_size("2G"), Ok(2 << 30));
        assert_eq!(parse_byte_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_byte_size("2GB"), Ok(2_000_000_000));
        assert!(parse_byte_size("2X").is_err());
        assert!(parse_byte_size("M").is_err());
        assert!(parse_byte_size("99999999999T").is_err());
    }

    #[test]
    fn state_budgets() {
        assert_eq!(
            parse_state_budget("500000keys"),
            Ok(StateBudget::Keys(500_000))
        );
        assert_eq!(
            parse_state_budget("512MiB"),
            Ok(StateBudget::Bytes(512 << 20))
        );
        assert_eq!(
            parse_state_budget("2GB"),
            Ok(StateBudget::Bytes(2_000_000_000))
        );
        assert_eq!(parse_state_budget("none"), Ok(StateBudget::Unbounded));
        assert!(parse_state_budget("12 apples").is_err());
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
