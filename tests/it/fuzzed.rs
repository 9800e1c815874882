//! What fuzzing found (and the fuzz targets' first inputs showed): each crash, hang or blow-up,
//! kept here as the input that caused it, run as a user would run it. See docs/FUZZING.md.
//!
//! Filters nested or chained thousands deep overflowed the stack (the parsers, the matching and
//! the compiling recurse once per operator or bracket): they are now refused with one line; a
//! filter at the limit still works, on the reading thread too.
//!
//! `capture_filter` holds every compiled program to the kernel's checks of a socket filter: a
//! shift by a constant of 32 or more compiled, and the kernel would have refused it when the
//! capture attached it. It is refused when compiled now, in libpcap's words.

use crate::support::{inspect, inspect_ok, Need, Test};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(deep_display_filters_are_refused_not_overflowed),
        trial!(deep_capture_expressions_are_refused_not_overflowed, Need::PureRust),
        trial!(programs_the_kernel_would_refuse_are_refused_first, Need::PureRust),
    ]
}

const WEB: &str = "captures/web.pcap";
/// `MAX_NESTING` of src/filter/lex.rs.
const LIMIT: usize = 500;

/// Expressions past the limit: nested, negated and chained, each far too deep for a stack.
fn too_deep(and: &str, not: &str) -> Vec<String> {
    let n = 20_000;
    vec![format!("{}tcp{}", "(".repeat(n), ")".repeat(n)), format!("{}tcp", not.repeat(n)), vec!["tcp"; n].join(and), format!("{}tcp{}", "(".repeat(LIMIT + 1), ")".repeat(LIMIT + 1))]
}

/// Expressions at the limit, each meaning `tcp`.
fn at_limit(and: &str, not: &str) -> Vec<String> {
    vec![format!("{}tcp{}", "(".repeat(LIMIT), ")".repeat(LIMIT)), format!("{}tcp", not.repeat(LIMIT)), vec!["tcp"; LIMIT / 2].join(and)]
}

fn frames(args: &[&str]) -> String {
    let mut all = vec!["read", "-T", "fields", "-e", "frame.number"];
    all.extend_from_slice(args);
    inspect_ok(&all)
}

fn deep_display_filters_are_refused_not_overflowed() {
    for e in too_deep("&&", "!") {
        let run = inspect(["read", "-q", "-Y", e.as_str(), WEB]);
        assert_eq!(run.code, Some(2), "{}", &run.stderr[..run.stderr.len().min(300)]);
        assert!(run.stderr.contains("more than 500 operators and brackets: the filter nests too deep"), "{}", &run.stderr[..run.stderr.len().min(300)]);
    }
    let want = frames(&["-Y", "tcp", WEB]);
    assert!(want.lines().count() > 10);
    for e in at_limit("&&", "!") {
        for threads in ["1", "4"] {
            assert_eq!(frames(&["--threads", threads, "-Y", e.as_str(), WEB]), want, "{}...", &e[..40]);
        }
    }
}

fn deep_capture_expressions_are_refused_not_overflowed() {
    for e in too_deep("&&", "!") {
        let run = inspect(["read", "-q", WEB, e.as_str()]);
        assert_eq!(run.code, Some(2), "{}", &run.stderr[..run.stderr.len().min(300)]);
        assert!(run.stderr.contains("more than 500 operators and brackets: the filter nests too deep"), "{}", &run.stderr[..run.stderr.len().min(300)]);
    }
    let want = frames(&[WEB, "tcp"]);
    let [nested, negated, chain] = <[String; 3]>::try_from(at_limit(" and ", "not ")).unwrap_or_else(|_| panic!("three"));
    for e in [nested, negated] {
        // The expression is compiled again where the frames are read, on the reading thread.
        assert_eq!(frames(&[WEB, e.as_str()]), want, "{}...", &e[..40]);
    }
    // A chain this long needs jumps past 255 instructions, which this build's compiler does
    // not make: one line, as for any expression it cannot compile.
    let run = inspect(["read", "-q", WEB, chain.as_str()]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("too large for classic BPF's 255-instruction jumps"), "{}", &run.stderr[..run.stderr.len().min(300)]);
}

/// The fuzzer's `len <<814 >7`: the kernel refuses a shift by 32 or more (EINVAL when the
/// capture attaches the program); libpcap refuses the expression first, and so does this build,
/// with libpcap's words (`tcpdump -d 'len << 32 > 1'`: "shift by more than 31 bits").
fn programs_the_kernel_would_refuse_are_refused_first() {
    for (e, why) in [
        ("len <<814 >7", "shift by more than 31 bits"),
        ("ip[0] >> 32 = 0", "shift by more than 31 bits"),
        ("len / 0 > 1", "division by zero"),
        ("len % 0 > 1", "modulus by zero"),
    ] {
        let run = inspect(["read", "-q", WEB, e]);
        assert_eq!(run.code, Some(2), "{e}: {}", run.stderr);
        assert_eq!(run.stderr.lines().next(), Some(format!("inspect: -f '{e}': {why}").as_str()), "{e}");
    }
    // 31 is the largest shift: it compiles, and runs.
    let run = inspect(["read", "-q", WEB, "len << 31 > 1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}
