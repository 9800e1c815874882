//! Times the stages of `inspect read -q` one at a time, on one thread, so that a change to one
//! stage can be measured without the other threads' noise: reading every frame into its
//! [`Input`], then the connection tracker alone over those inputs, then the SYN-flood detector
//! alone, each with the look-ahead the pipeline gives it.
//! `cargo run -p inspect-bench --profile dist --bin stage_times -- FILE [conn|flood|all]`
//!
//! All inputs are kept in memory, which `read` never does: the first figure includes that
//! vector's page faults and is an upper bound of the reading thread's work.

use std::ops::ControlFlow;
use std::time::Instant;

use inspect::analyze::flood::FloodAnalyzer;
use inspect::analyze::tcp::{ConnConfig, ConnTracker};
use inspect::analyze::{Analyzer, Events, LookAhead};
use inspect::decode::{input, Input};
use inspect::pipeline::shards::look_ahead;
use inspect::source::file::FileSource;
use inspect_bench::defaults;

/// Feeds every input to `a` with the look-ahead; returns the seconds it took.
fn run<A: Analyzer + LookAhead>(a: &mut A, xs: &[Input]) -> f64 {
    let mut evs = Events::default();
    let t = Instant::now();
    for chunk in xs.chunks(4096) {
        look_ahead(a, chunk, |a, _, x| {
            a.packet(x, &mut evs);
            evs.drain();
        });
    }
    t.elapsed().as_secs_f64()
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: stage_times FILE [conn|flood|all]");
        std::process::exit(2);
    };
    let which = std::env::args().nth(2).unwrap_or_else(|| "all".into());
    let mut src = FileSource::open(&path).unwrap_or_else(|e| {
        eprintln!("stage_times: {e}");
        std::process::exit(1);
    });
    let mut xs: Vec<Input> = Vec::new();
    let t = Instant::now();
    let res = src.for_each(|f| {
        xs.push(input(&f));
        ControlFlow::Continue(())
    });
    let read = t.elapsed().as_secs_f64();
    if let Err(e) = res {
        eprintln!("stage_times: {e}");
        std::process::exit(1);
    }
    println!("read, decode, input:   {read:.3} s ({} packets)", xs.len());
    if which == "all" || which == "conn" {
        let mut a = ConnTracker::new(ConnConfig { records: false, ..defaults().conn }, 0, 1);
        println!("connection tracker:    {:.3} s", run(&mut a, &xs));
    }
    if which == "all" || which == "flood" {
        let mut a = FloodAnalyzer::new(defaults().flood);
        println!("SYN-flood detector:    {:.3} s", run(&mut a, &xs));
    }
}
