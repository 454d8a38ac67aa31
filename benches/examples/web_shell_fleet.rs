//! Writes the correlation benchmarks' web-shell fleet as NDJSON to stdout, for replays
//! through the CLI (peak memory with a million hosts, see BENCHMARKS.md):
//! `cargo run --release -p tripline-benches --example web_shell_fleet -- HOSTS ROUNDS SHELL_EVERY`.

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let (Some(Ok(hosts)), Some(Ok(rounds)), Some(Ok(shell_every))) =
        (args.next(), args.next(), args.next())
    else {
        eprintln!("usage: web_shell_fleet HOSTS ROUNDS SHELL_EVERY");
        std::process::exit(2);
    };
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    tripline_benches::correlation::web_shell_fleet(hosts, rounds, shell_every.max(1), &mut out)?;
    out.flush()
}
