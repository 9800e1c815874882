//! The one integration test binary (`cargo test --test main`): the tests of every module of
//! `tests/it/`, run by a libtest-mimic harness that knows what each test needs and reports a
//! test it cannot run here as ignored, with a line on stderr saying why (see
//! `support::harness`). `INSPECT_REQUIRE_ALL=1` turns every such skip into a failure.

#[macro_use]
mod support;

mod it {
    pub mod app;
    pub mod at;
    pub mod arp;
    pub mod arp_scan;
    pub mod capture;
    pub mod checksums;
    pub mod cli;
    pub mod decode;
    pub mod filter;
    pub mod flood;
    pub mod fuzzed;
    pub mod ladder;
    pub mod flood_live;
    pub mod habits;
    pub mod live;
    pub mod logs;
    pub mod plot;
    pub mod readme;
    pub mod robustness;
    pub mod sandbox;
    pub mod stats;
    pub mod scale;
    pub mod streams;
    pub mod subnet;
    pub mod tcp;
    pub mod threads;
    pub mod tui;
    pub mod web;
    pub mod zeek;
}

fn main() -> std::process::ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    let modules = vec![
        ("app", it::app::tests()),
        ("at", it::at::tests()),
        ("arp", it::arp::tests()),
        ("arp_scan", it::arp_scan::tests()),
        ("capture", it::capture::tests()),
        ("checksums", it::checksums::tests()),
        ("cli", it::cli::tests()),
        ("decode", it::decode::tests()),
        ("fuzzed", it::fuzzed::tests()),
        ("filter", it::filter::tests()),
        ("flood", it::flood::tests()),
        ("ladder", it::ladder::tests()),
        ("flood_live", it::flood_live::tests()),
        ("habits", it::habits::tests()),
        ("live", it::live::tests()),
        ("logs", it::logs::tests()),
        ("plot", it::plot::tests()),
        ("readme", it::readme::tests()),
        ("robustness", it::robustness::tests()),
        ("sandbox", it::sandbox::tests()),
        ("stats", it::stats::tests()),
        ("scale", it::scale::tests()),
        ("streams", it::streams::tests()),
        ("subnet", it::subnet::tests()),
        ("tcp", it::tcp::tests()),
        ("web", it::web::tests()),
        ("threads", it::threads::tests()),
        ("tui", it::tui::tests()),
        ("zeek", it::zeek::tests()),
    ];
    let trials = support::harness::trials(&args, modules);
    libtest_mimic::run(&args, trials).exit_code()
}
