//! `tripline`: the command-line client of tripline-engine. Argument parsing, output
//! formats, progress and exit codes; no detection logic.

/// `eprintln!` for diagnostics that must not stop the scan: when standard error is a
/// pipe whose reader has gone, `eprintln!` panics and the alerts still to come on
/// standard output would be lost; this drops the message instead.
macro_rules! diagnostic {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `println!` for the reports of `rules` and `bench`: when standard output is a pipe
/// whose reader has gone (`tripline rules check --explain-prefilter ... | head`), the
/// command ends quietly with status 0 instead of panicking; another write error ends it
/// with a message and the status of an output that cannot be written.
macro_rules! report_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(i32::from(crate::EXIT_OK));
            }
            diagnostic!("tripline: error: cannot write the report: {e}");
            std::process::exit(i32::from(crate::EXIT_USAGE));
        }
    }};
}

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
            diagnostic!("tripline: error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
