//! `tripline`: the command-line client of tripline-engine. Argument parsing, output
//! formats, progress and exit codes; no detection logic.

mod args;
mod bench;
mod output;
mod progress;
mod report;
mod rules_cmd;
mod rules_test;
mod scan;

use std::process::ExitCode;

use clap::Parser as _;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status: the scan ran and every input was read.
pub const EXIT_OK: u8 = 0;
/// The scan ran, but some input could not be opened, read or decompressed.
pub const EXIT_INPUT_ERRORS: u8 = 1;
/// Bad usage: arguments, rules that cannot be loaded, an output that cannot be written.
pub const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Scan(scan) => scan::run(*scan),
        args::Command::Rules(rules) => rules_cmd::run(rules),
        args::Command::Bench(bench) => bench::run(bench),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("tripline: error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
