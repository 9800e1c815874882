//! `read --threads N` for N of 2, 3 and 8 against `--threads 1`: the same bytes on stdout and
//! stderr and the same exit status, on every capture of `captures/` in every view, the corpus
//! read in one run, several files at once, a count limit, a missing file, `conns`, and a
//! generated capture of many batches where the flood detector and the connection tracker both
//! raise events and the connection table's cap is hit. The reference is the binary's own
//! one-thread run (whose output the other modules check against tcpdump and tshark).

use std::path::PathBuf;

use crate::support::frames::{tcp, ACK, RST, SYN};
use crate::support::pcap::{micros, Pcap};
use crate::support::{capture_files, inspect, json_lines, of_type, Need, Run, Test, TempDir, CORPUS};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(every_view_of_every_capture_is_the_same),
        trial!(the_corpus_read_in_one_run_is_the_same, Need::Corpus),
        trial!(several_files_a_count_and_a_missing_file_are_the_same),
        trial!(conns_is_the_same),
        trial!(events_from_both_threads_keep_their_order_across_batches),
    ]
}

/// The thread counts compared with one thread.
const THREADS: [&str; 3] = ["2", "3", "8"];

/// Runs `inspect COMMAND --threads N ARGS` for one thread and for each of [`THREADS`], and
/// checks they agree; the one-thread run.
fn same_for(command: &str, args: &[&str]) -> Run {
    let run = |threads: &str| {
        let mut a = vec![command, "--threads", threads];
        a.extend_from_slice(args);
        inspect(&a)
    };
    let one = run("1");
    for n in THREADS {
        let other = run(n);
        assert_eq!(one.code, other.code, "exit status differs with --threads {n} for {command} {args:?}");
        assert!(
            one.out_bytes == other.out_bytes,
            "stdout differs with --threads {n} for {command} {args:?}{}",
            first_difference(&one.stdout, &other.stdout)
        );
        assert!(
            one.err_bytes == other.err_bytes,
            "stderr differs with --threads {n} for {command} {args:?}: {:?} vs {:?}",
            one.stderr,
            other.stderr
        );
    }
    one
}

/// `inspect read` with every thread count agrees with one thread.
fn same(args: &[&str]) -> Run {
    same_for("read", args)
}

/// Where two outputs part, for the failure message.
fn first_difference(a: &str, b: &str) -> String {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for i in 1.. {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (None, None) => return String::new(),
            (x, y) => return format!(": line {i}:\n  one thread: {x:?}\n  more:       {y:?}"),
        }
    }
    String::new()
}

fn every_view_of_every_capture_is_the_same() {
    // The recorded captures and, under captures/tunnels, the tunnels wrapped around them
    // (scripts/wrap_tunnels.py): each frame's outer and inner flows may fall in different shards.
    let files = capture_files("captures");
    assert!(files.len() >= 22 + 18, "{files:?}");
    for f in &files {
        for view in [&[][..], &["--format", "json"], &["-q"], &["-V"], &["-q", "--format", "json"]] {
            let mut args: Vec<&str> = view.to_vec();
            args.push(f);
            let one = same(&args);
            assert_eq!(one.code, Some(0), "{args:?}: {}", one.stderr);
        }
    }
}

fn the_corpus_read_in_one_run_is_the_same() {
    // Hundreds of odd files (bad link types, cut records, broken headers) through one pipeline.
    let files = capture_files(&format!("{CORPUS}/tcpdump"));
    assert!(files.len() > 100, "{} files", files.len());
    let all: Vec<&str> = files.iter().map(String::as_str).collect();
    let one = same(&all);
    assert!(one.stdout.contains("\nSummary: "), "a summary at the end");
    let mut json = vec!["--format", "json"];
    json.extend_from_slice(&all);
    same(&json);
}

fn several_files_a_count_and_a_missing_file_are_the_same() {
    let files = capture_files("captures");
    let mut all: Vec<&str> = files.iter().map(String::as_str).collect();
    all.insert(all.len() / 2, "no-such-file.pcap");
    let one = same(&all);
    assert_eq!(one.code, Some(1), "a missing input fails the run");
    assert!(one.stderr.contains("no-such-file.pcap"), "{}", one.stderr);
    let mut json = vec!["--format", "json"];
    json.extend_from_slice(&all);
    same(&json);
    let mut counted = vec!["-c", "7"];
    counted.extend_from_slice(&all);
    let one = same(&counted);
    assert!(one.stdout.contains("Summary: 7 packets"), "{}", one.stdout);
}

fn conns_is_the_same() {
    let files = capture_files("captures");
    let mut args = vec!["--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let one = same_for("conns", &args);
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    assert!(of_type(&json_lines(&one.stdout), "conn").len() > 300, "the connections of every capture");
}

/// 30,000 frames, about seven batches of 4,096: SYN, SYN-ACK, ACK, RST traffic to port 80 all
/// along, and from the 10th second a flood of SYNs from many sources to port 443, so alerts and
/// connection reports come out interleaved. After the 20th second the capture skips ten seconds:
/// the next frame both closes the alert and expires connections, so one frame carries events of
/// both, which must come out in pipeline order.
fn generated_capture(dir: &TempDir) -> PathBuf {
    let (server, alt) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut pcap = Pcap::micro();
    for i in 0..30_000u32 {
        let sec = u64::from(i / 1000 + if i >= 20_000 { 10 } else { 0 });
        let at = micros(sec * 1_000_000 + u64::from(i % 1000) * 1000);
        let client = [192, 168, (i >> 8) as u8, i as u8];
        let port = 1024 + (i % 50_000) as u16;
        let seg = if (10..20).contains(&sec) && i % 2 == 0 {
            tcp([172, 16, (i >> 8) as u8, i as u8], port, server, 443).flags(SYN)
        } else {
            match i % 4 {
                0 => tcp(client, port, alt, 80).flags(SYN),
                1 => tcp(alt, 80, client, port - 1).flags(SYN | ACK),
                2 => tcp(client, port - 2, alt, 80).flags(ACK),
                _ => tcp(client, port - 3, alt, 80).flags(RST),
            }
        };
        pcap.add(at, &seg.seq(1).ack(1).frame());
    }
    pcap.write(dir, "batches.pcap")
}

fn events_from_both_threads_keep_their_order_across_batches() {
    let dir = TempDir::new("threads");
    let path = generated_capture(&dir);
    let p = path.to_string_lossy().into_owned();
    let timers = ["--time-wait", "1", "--syn-timeout", "1"];

    let mut args = vec!["--format", "json"];
    args.extend(timers);
    args.push(&p);
    let text = same(&args).ok();
    let lines: Vec<&str> = text.lines().collect();
    let first_alert = lines.iter().position(|l| l.contains("\"event_type\":\"alert\""));
    let conns_after = first_alert.map(|a| lines.iter().skip(a).filter(|l| l.contains("\"event_type\":\"conn\"")).count());
    assert!(conns_after.is_some_and(|n| n > 0), "the capture must raise an alert with connection reports after it");
    // The frame after the gap: its connection reports come before the alert's close.
    let close = lines
        .iter()
        .position(|l| l.contains("\"event_type\":\"alert\"") && l.contains("\"closed\"") && l.contains("\"dport\":443"))
        .expect("the alert closes after the gap");
    assert!(close > 0 && lines[close - 1].contains("\"event_type\":\"conn\""), "conn reports precede the close");

    // With the connection table capped at 100, evictions join the events, in every view.
    for view in [&["--format", "json"][..], &[], &["-q"], &["-q", "--format", "json"]] {
        let mut args: Vec<&str> = view.to_vec();
        args.extend(timers);
        args.extend(["--max-conns", "100", &p]);
        let one = same(&args).ok();
        if view == ["--format", "json"] {
            let objs = json_lines(&one);
            let summary = of_type(&objs, "conn_summary");
            assert_eq!(summary.len(), 1, "one conn_summary");
            assert!(summary[0]["evicted"].as_u64().is_some_and(|e| e > 0), "the cap is hit: {}", summary[0]);
            assert!(summary[0]["peak"].as_u64().is_some_and(|p| p <= 100), "{}", summary[0]);
            assert!(!of_type(&objs, "alert").is_empty(), "the flood is still found");
            assert!(objs.iter().any(|o| o["event_type"] == "conn" && o["end"] == "evicted"), "evicted connections are reported");
        }
    }
}
