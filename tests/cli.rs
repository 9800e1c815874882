//! What a user sees at the command line: exit statuses, one-line errors that name the input,
//! output kept up to a problem, standard input, a closed pipe, and the analyzers together.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_inspect")).args(args).current_dir(root()).output().expect("run inspect");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned(), out.status.code().unwrap_or(-1))
}

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inspect-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p
}

/// The error output is exactly one line, starting `inspect: ` and naming `input`.
fn one_line_naming(stderr: &str, input: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr:?}");
    assert!(lines[0].starts_with("inspect: ") && lines[0].contains(input), "{stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn missing_file() {
    let (out, err, code) = run(&["read", "no/such/file.pcap"]);
    assert_eq!(code, 1);
    one_line_naming(&err, "no/such/file.pcap");
    assert!(err.contains("No such file"), "{err}");
    assert!(out.is_empty(), "nothing to summarize: {out}");
}

#[test]
fn not_a_capture_says_what_it_is() {
    let p = temp("notes.txt", b"these are notes, not packets\n");
    let (_, err, code) = run(&["read", p.to_str().expect("path")]);
    assert_eq!(code, 1);
    one_line_naming(&err, "notes.txt");
    assert!(err.contains("not a pcap or pcapng file") && err.contains("74 68 65 73"), "{err}");
    let gz = temp("x.pcap.gz", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    let (_, err, _) = run(&["read", gz.to_str().expect("path")]);
    assert!(err.contains("gzip"), "{err}");
}

#[test]
fn truncated_last_record_keeps_what_came_before() {
    let whole = std::fs::read(root().join("captures/web.pcap")).expect("capture");
    let cut = whole.get(..whole.len() - 5).expect("cut");
    let p = temp("cut.pcap", cut);
    let (out, err, code) = run(&["read", p.to_str().expect("path")]);
    assert_eq!(code, 1);
    one_line_naming(&err, "cut.pcap");
    assert!(err.contains("truncated"), "{err}");
    // The 23 whole packets are shown exactly as when the file is whole (ARP event lines aside).
    let packets = |s: &str| -> Vec<String> { s.lines().filter(|l| !l.contains(" arp: ")).take(23).map(str::to_string).collect() };
    let (full, _, _) = run(&["read", "captures/web.pcap"]);
    assert_eq!(packets(&out), packets(&full));
    assert!(out.contains("Summary: 23 packets"), "summary of what was read: {out}");
}

#[test]
fn record_longer_than_allowed() {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&65_535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&300_000u32.to_le_bytes());
    f.extend_from_slice(&300_000u32.to_le_bytes());
    f.resize(f.len() + 300_000, 0);
    let p = temp("long.pcap", &f);
    let (_, err, code) = run(&["read", p.to_str().expect("path")]);
    assert_eq!(code, 1);
    one_line_naming(&err, "long.pcap");
    assert!(err.contains("300000") && err.contains("262144"), "{err}");
}

#[test]
fn unknown_option_is_a_usage_error() {
    let (_, err, code) = run(&["read", "--no-such-option", "captures/web.pcap"]);
    assert_eq!(code, 2);
    assert!(err.contains("--no-such-option"), "{err}");
    let (_, err, code) = run(&["subnet", "10.0.0.1/33"]);
    assert_eq!(code, 2);
    assert!(err.contains("/33"), "{err}");
}

#[test]
fn standard_input() {
    let bytes = std::fs::read(root().join("captures/refused.pcap")).expect("capture");
    let mut child = Command::new(env!("CARGO_BIN_EXE_inspect"))
        .args(["read", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(&bytes).expect("feed");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let (file_out, _, _) = run(&["read", "captures/refused.pcap"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), file_out);
}

/// `inspect read x.pcap | head -1`: the reader of the pipe goes away; inspect stops quietly, 0.
#[test]
fn closed_pipe_exits_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_inspect"))
        .args(["read", "-V", "-x", "captures/synflood.pcap"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 64];
    child.stdout.as_mut().expect("stdout").read_exact(&mut first).expect("some output");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "quiet: {}", String::from_utf8_lossy(&out.stderr));
}

/// The flood detector keeps its own bounded state: with the connection table squeezed to ten
/// entries (evicting all the time) the flood is still found, and every TCP packet is still
/// accounted to a reported connection.
#[test]
fn flood_found_while_connection_table_is_full() {
    let (out, _, code) = run(&["read", "--format", "json", "-q", "--max-conns", "10", "captures/synflood.pcap"]);
    assert_eq!(code, 0);
    let objs: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    let alerts: Vec<&serde_json::Value> = objs.iter().filter(|o| o["event_type"] == "alert").collect();
    assert!(alerts.iter().any(|a| a["alert"] == "syn_flood" && a["dport"] == 80 && a["spoofed"] == true), "{out}");
    let summary = objs.iter().find(|o| o["event_type"] == "conn_summary").expect("conn summary");
    assert!(summary["evicted"].as_u64().unwrap_or(0) > 0, "{summary}");
    let conns: Vec<&serde_json::Value> = objs.iter().filter(|o| o["event_type"] == "conn" && o["proto"] == "tcp").collect();
    let pkts: u64 = conns.iter().map(|c| c["orig_pkts"].as_u64().unwrap_or(0) + c["resp_pkts"].as_u64().unwrap_or(0)).sum();
    let stats = objs.iter().find(|o| o["event_type"] == "stats").expect("stats");
    assert_eq!(Some(pkts), stats["protocols"]["tcp"].as_u64(), "every TCP packet in exactly one connection");
}

/// JSON carries `event_type` on every line, packets with Wireshark's names, and one stats object.
#[test]
fn json_lines_are_typed() {
    let (out, _, code) = run(&["read", "--format", "json", "captures/udp-unreach.pcap"]);
    assert_eq!(code, 0);
    let mut kinds = std::collections::BTreeMap::new();
    for l in out.lines() {
        let v: serde_json::Value = serde_json::from_str(l).expect("json");
        *kinds.entry(v["event_type"].as_str().expect("event_type").to_string()).or_insert(0) += 1;
        if v["event_type"] == "packet" && v.get("icmp.type").is_some() {
            assert_eq!(v["icmp.type"], 3);
            assert_eq!(v["icmp.code"], 3);
        }
    }
    assert_eq!(kinds.get("packet"), Some(&10));
    assert_eq!(kinds.get("stats"), Some(&1));
    assert_eq!(kinds.get("conn"), Some(&4), "three unanswered UDP flows and one answered: {kinds:?}");
}
