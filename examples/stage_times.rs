//! Times the stages of `inspect read -q` one at a time, on one thread, so that a change to one
//! stage can be measured without the other threads' noise: reading and decoding every frame
//! into the tracker's compact input, then the connection tracker alone over those inputs, then
//! the SYN-flood detector alone. Both analyzers are fed with the same look-ahead as the
//! two-thread `read` (windows of 16 inputs, announced two windows ahead).
//! `cargo run --release --example stage_times -- FILE [conn|flood|all]`
//! (`W=` window size and `D=` windows ahead override the look-ahead; `W=0` turns it off).
//!
//! All inputs are kept in memory (88 bytes a packet), which `read` never does: the first
//! figure includes that vector's page faults and is an upper bound of the reading thread's work.

use std::ops::ControlFlow;
use std::time::Instant;

use inspect::analyze::conn::{ConnAnalyzer, ConnConfig, ConnInput};
use inspect::analyze::flood::{FloodAnalyzer, FloodConfig};
use inspect::analyze::Analyzer;
use inspect::decode::{decode, fast};
use inspect::parallel::look_ahead;
use inspect::source::file::FileSource;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Feeds every input to `a` with the look-ahead; returns the seconds it took.
fn run(a: &mut dyn Analyzer, xs: &[ConnInput], w: usize, d: usize) -> f64 {
    let mut evs = Vec::new();
    let t = Instant::now();
    for (i, x) in xs.iter().enumerate() {
        for ahead in look_ahead(xs, i, w, d) {
            a.warm(ahead);
        }
        a.conn_input(x, &mut evs);
        evs.clear();
    }
    t.elapsed().as_secs_f64()
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: stage_times FILE [conn|flood|all]");
        std::process::exit(2);
    };
    let which = std::env::args().nth(2).unwrap_or_else(|| "all".into());
    let (w, d) = (env("W", 16), env("D", 2));
    let mut src = FileSource::open(&path).unwrap_or_else(|e| {
        eprintln!("stage_times: {e}");
        std::process::exit(1);
    });
    let mut xs: Vec<ConnInput> = Vec::new();
    let t = Instant::now();
    let res = src.for_each(|f| {
        // As the reading thread of `read -q` makes it: from the fast path's slices when it
        // takes the frame, else from the decoded packet.
        xs.push(match fast(&f) {
            Some(s) => ConnInput::of_fast(&s, f.ts, f.len),
            None => ConnInput::of_packet(&decode(&f)),
        });
        ControlFlow::Continue(())
    });
    let read = t.elapsed().as_secs_f64();
    if let Err(e) = res {
        eprintln!("stage_times: {e}");
        std::process::exit(1);
    }
    println!("read, decode, compact input: {read:.3} s ({} packets)", xs.len());
    if which == "all" || which == "conn" {
        let mut a = ConnAnalyzer::new(ConnConfig { records: false, ..ConnConfig::default() });
        println!("connection tracker:          {:.3} s", run(&mut a, &xs, w, d));
    }
    if which == "all" || which == "flood" {
        let mut a = FloodAnalyzer::new(FloodConfig::default());
        println!("SYN-flood detector:          {:.3} s", run(&mut a, &xs, w, d));
    }
}
