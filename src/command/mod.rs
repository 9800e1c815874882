//! The commands: each takes its validated configuration and an output, and returns what its
//! run leaves behind, or how it failed.

pub mod arp_scan;
pub mod at;
pub mod capture;
pub mod follow;
pub mod interfaces;
pub mod ladder;
pub mod merge_alerts;
pub mod privdrop;
pub mod read;
pub mod replay;
pub mod report;
pub mod segments;
pub mod stats;
pub mod subnet;

use std::io::{self, BufWriter, IsTerminal, Write};

use crate::config::Config;
use crate::error::RunError;
use crate::pipeline::Leftovers;

/// Runs one command, writing to standard output.
pub fn run(config: Config) -> Result<Leftovers, RunError> {
    let stdout = io::stdout();
    crate::output::table::init(crate::output::table::Style { tsv: config.format() == crate::output::Format::Tsv, fit: stdout.is_terminal() });
    if let Config::Replay(c) = &config {
        // The dashboard writes to the terminal itself, from the thread it runs on.
        return replay::run(c).map(|()| Leftovers::default());
    }
    if let Config::Capture(c) = &config {
        if c.args.tui {
            // The dashboard's thread writes to the terminal too: standard output stays unlocked.
            return capture::run(c, BufWriter::new(io::stdout())).map(|()| Leftovers::default());
        }
    }
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match config {
        Config::Read(c) => match c.at {
            Some(at) => at::run(&c, at, out),
            None => read::run(&c, out),
        },
        Config::Capture(c) => capture::run(&c, out).map(|()| Leftovers::default()),
        Config::ArpScan(a) => arp_scan::run(&a, out).map(|()| Leftovers::default()),
        Config::Subnet { query, format } => subnet::run(&query, format, out).map(|()| Leftovers::default()),
        Config::Stats(c) => stats::run(*c, out),
        Config::Report(c) => report::run(&c, out).map(|()| Leftovers::default()),
        Config::Ladder(c) => ladder::run(&c, out).map(|()| Leftovers::default()),
        Config::Follow(c) => follow::run(&c, out).map(|()| Leftovers::default()),
        Config::Replay(_) => Ok(Leftovers::default()),
        Config::MergeAlerts(c) => merge_alerts::run(&c, out).map(|()| Leftovers::default()),
        Config::Interfaces { format } => {
            interfaces::render(&mut out, &interfaces::list(), format)?;
            out.flush()?;
            Ok(Leftovers::default())
        }
    }
}
