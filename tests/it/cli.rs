//! What a user sees at the command line: exit statuses, one-line errors that name the input,
//! output kept up to a problem, standard input, a closed pipe, counts that agree with their
//! nouns, usage errors from clap, and the analyzers together. Expected values follow from the
//! files given (`captures/README.md`, or what the test wrote); no real tool's output is compared
//! here (the golden files are checked in `it::decode`, `it::tcp`, `it::arp` and `it::subnet`).

use std::io::{Read, Write};
use std::process::Stdio;

use serde_json::Value;

use crate::support::frames::udp;
use crate::support::pcap::{secs, Pcap};
use crate::support::{command, inspect, json_lines, of_type, root, Test, TempDir};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(missing_file),
        trial!(not_a_capture_says_what_it_is),
        trial!(truncated_last_record_keeps_what_came_before),
        trial!(record_longer_than_allowed),
        trial!(unknown_option_is_a_usage_error),
        trial!(bad_numbers_are_usage_errors_from_clap),
        trial!(standard_input),
        trial!(closed_pipe_exits_quietly),
        trial!(flood_found_while_connection_table_is_full),
        trial!(json_lines_are_typed),
        trial!(one_packet_is_counted_in_the_singular),
        trial!(nanosecond_capture_keeps_its_nanoseconds),
    ]
}

/// The error output is exactly one line, starting `inspect: ` and naming `input`.
fn one_line_naming(stderr: &str, input: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr:?}");
    assert!(lines[0].starts_with("inspect: ") && lines[0].contains(input), "{stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn missing_file() {
    let run = inspect(["read", "no/such/file.pcap"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    one_line_naming(&run.stderr, "no/such/file.pcap");
    assert!(run.stderr.contains("No such file"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing to summarize: {}", run.stdout);
}

fn not_a_capture_says_what_it_is() {
    let dir = TempDir::new("cli-magic");
    let p = dir.write("notes.txt", b"these are notes, not packets\n");
    let run = inspect(["read".as_ref(), p.as_os_str()]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    one_line_naming(&run.stderr, "notes.txt");
    assert!(run.stderr.contains("not a pcap or pcapng file") && run.stderr.contains("74 68 65 73"), "{}", run.stderr);
    let gz = dir.write("x.pcap.gz", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    let run = inspect(["read".as_ref(), gz.as_os_str()]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("gzip"), "{}", run.stderr);
}

fn truncated_last_record_keeps_what_came_before() {
    let whole = std::fs::read(root().join("captures/web.pcap")).expect("read captures/web.pcap");
    let cut = whole.get(..whole.len() - 5).expect("a capture longer than 5 bytes");
    let dir = TempDir::new("cli-cut");
    let p = dir.write("cut.pcap", cut);
    let run = inspect(["read".as_ref(), p.as_os_str()]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    one_line_naming(&run.stderr, "cut.pcap");
    assert!(run.stderr.contains("truncated"), "{}", run.stderr);
    // The 23 whole packets are shown exactly as when the file is whole (ARP event lines aside).
    let packets = |s: &str| -> Vec<String> { s.lines().filter(|l| !l.contains(" arp: ")).take(23).map(str::to_string).collect() };
    let full = inspect(["read", "captures/web.pcap"]).ok();
    assert_eq!(packets(&run.stdout), packets(&full));
    assert!(run.stdout.contains("Summary: 23 packets"), "summary of what was read: {}", run.stdout);
}

/// A record longer than any link allows (300,000 bytes, above the 262,144 tcpdump takes) in a
/// file whose header announces a snap length of 65,535.
fn record_longer_than_allowed() {
    let dir = TempDir::new("cli-long");
    let p = Pcap::micro().snaplen(65_535).add(secs(1.0), &vec![0u8; 300_000]).write(&dir, "long.pcap");
    let run = inspect(["read".as_ref(), p.as_os_str()]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    one_line_naming(&run.stderr, "long.pcap");
    assert!(run.stderr.contains("300000") && run.stderr.contains("262144"), "{}", run.stderr);
}

fn unknown_option_is_a_usage_error() {
    let run = inspect(["read", "--no-such-option", "captures/web.pcap"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("--no-such-option"), "{}", run.stderr);
    let run = inspect(["subnet", "10.0.0.1/33"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("/33"), "{}", run.stderr);
}

/// Out-of-range numbers are refused by the parser itself (exit 2), before anything is opened.
fn bad_numbers_are_usage_errors_from_clap() {
    let run = inspect(["capture", "-i", "lo", "--snaplen", "262145"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("invalid value '262145' for '--snaplen <N>'"), "{}", run.stderr);
    for threads in ["0", "65"] {
        let run = inspect(["read", "--threads", threads, "captures/web.pcap"]);
        assert_eq!(run.code, Some(2), "--threads {threads}: {}", run.stderr);
        assert!(run.stderr.contains(&format!("invalid value '{threads}' for '--threads <N>'")), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    for threads in ["1", "64"] {
        let run = inspect(["read", "-q", "--threads", threads, "captures/web.pcap"]);
        assert_eq!(run.code, Some(0), "--threads {threads}: {}", run.stderr);
    }
}

fn standard_input() {
    let bytes = std::fs::read(root().join("captures/refused.pcap")).expect("read captures/refused.pcap");
    let mut child = command()
        .args(["read", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start inspect read -");
    child.stdin.take().expect("a stdin pipe").write_all(&bytes).expect("feed the capture");
    let out = child.wait_with_output().expect("wait for inspect");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let file_out = inspect(["read", "captures/refused.pcap"]).ok();
    assert_eq!(String::from_utf8_lossy(&out.stdout), file_out);
}

/// `inspect read x.pcap | head -1`: the reader of the pipe goes away; inspect stops quietly, 0.
fn closed_pipe_exits_quietly() {
    let mut child = command()
        .args(["read", "-V", "-x", "captures/synflood.pcap"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start inspect");
    let mut first = [0u8; 64];
    child.stdout.as_mut().expect("a stdout pipe").read_exact(&mut first).expect("some output");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for inspect");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let (sandbox, rest) = crate::support::split_sandbox(&String::from_utf8_lossy(&out.stderr));
    assert!(sandbox.is_some() && rest.is_empty(), "quiet but for the sandbox line: {}", String::from_utf8_lossy(&out.stderr));
}

/// The flood detector keeps its own bounded state: with the connection table squeezed to ten
/// entries (evicting all the time) the flood is still found, and every TCP packet is still
/// accounted to a reported connection.
fn flood_found_while_connection_table_is_full() {
    let out = inspect(["read", "--format", "json", "-q", "--max-conns", "10", "captures/synflood.pcap"]).ok();
    let objs = json_lines(&out);
    let alerts = of_type(&objs, "alert");
    assert!(alerts.iter().any(|a| a["alert"] == "syn_flood" && a["dport"] == 80 && a["spoofed"] == true), "{out}");
    let summary = objs.iter().find(|o| o["event_type"] == "conn_summary").expect("a conn_summary");
    assert!(summary["evicted"].as_u64().unwrap_or(0) > 0, "{summary}");
    let conns: Vec<&Value> = objs.iter().filter(|o| o["event_type"] == "conn" && o["proto"] == "tcp").collect();
    let pkts: u64 = conns.iter().map(|c| c["orig_pkts"].as_u64().unwrap_or(0) + c["resp_pkts"].as_u64().unwrap_or(0)).sum();
    let stats = objs.iter().find(|o| o["event_type"] == "stats").expect("a stats object");
    assert_eq!(Some(pkts), stats["protocols"]["tcp"].as_u64(), "every TCP packet in exactly one connection");
}

/// JSON carries `event_type` on every line, packets with Wireshark's names, and one stats object.
fn json_lines_are_typed() {
    let out = inspect(["read", "--format", "json", "captures/udp-unreach.pcap"]).ok();
    let mut kinds = std::collections::BTreeMap::new();
    let mut icmp = 0;
    for v in json_lines(&out) {
        let kind = v["event_type"].as_str().unwrap_or_else(|| panic!("no event_type: {v}")).to_string();
        if kind == "packet" && v.get("icmp.type").is_some() {
            assert_eq!(v["icmp.type"], 3, "{v}");
            assert_eq!(v["icmp.code"], 3, "{v}");
            icmp += 1;
        }
        *kinds.entry(kind).or_insert(0) += 1;
    }
    assert!(icmp > 0, "the port unreachables are there");
    assert_eq!(kinds.get("packet"), Some(&10));
    assert_eq!(kinds.get("stats"), Some(&1));
    // Three unanswered UDP flows, one answered, and the three port unreachables as one ICMP flow
    // (Zeek's: one-way messages from one host to another, type 3 code 3).
    assert_eq!(kinds.get("conn"), Some(&5), "{kinds:?}");
}

/// One 60-byte frame: "1 packet", not "1 packets".
fn one_packet_is_counted_in_the_singular() {
    let frame = udp([192, 0, 2, 1], 40000, [192, 0, 2, 2], 53, &[0; 18]);
    assert_eq!(frame.len(), 60);
    let dir = TempDir::new("cli-one");
    let p = Pcap::micro().add(secs(1_700_000_000.5), &frame).write(&dir, "one.pcap");
    let out = inspect(["read".as_ref(), p.as_os_str()]).ok();
    assert!(out.contains("\nSummary: 1 packet, 60 bytes on the wire (60 captured)"), "{out}");
    let out = inspect(["read".as_ref(), "-q".as_ref(), p.as_os_str()]).ok();
    assert!(out.contains("Summary: 1 packet, 60 bytes"), "{out}");
}

/// A nanosecond pcap's times are kept to the nanosecond in JSON (as tshark's frame.time_epoch
/// gives them), and shown to the microsecond in the line view, as `tcpdump -r` shows them.
fn nanosecond_capture_keeps_its_nanoseconds() {
    let frame = udp([192, 0, 2, 1], 40000, [192, 0, 2, 2], 53, b"x");
    let dir = TempDir::new("cli-nano");
    let mut pcap = Pcap::nano();
    pcap.add(1_700_000_000_123_456_789, &frame);
    let p = pcap.write(&dir, "nano.pcap");
    let out = inspect(["read".as_ref(), "--format".as_ref(), "json".as_ref(), p.as_os_str()]).ok();
    let packet = out.lines().find(|l| l.contains("\"event_type\":\"packet\"")).unwrap_or_else(|| panic!("no packet:\n{out}"));
    assert!(packet.contains("\"frame.time_epoch\":1700000000.123456789,"), "{packet}");
    let out = inspect(["read".as_ref(), p.as_os_str()]).ok();
    assert_eq!(out.lines().next(), Some("22:13:20.123456 IP 192.0.2.1.40000 > 192.0.2.2.53: domain [length 1 < 12] (invalid)"));
}
