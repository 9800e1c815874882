//! `read --threads 2` (the default) against `--threads 1`: the same bytes on stdout and stderr
//! and the same exit status, on the real captures, the corpus, several files at once, a count
//! limit, a missing file, and a generated capture of many batches where the flood detector
//! (reading thread) and the connection tracker (writing thread) both raise events.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(args: &[&str]) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_inspect")).args(args).output().expect("run inspect");
    (out.status.code(), out.stdout, out.stderr)
}

/// Runs `inspect read ARGS` with one and with two threads and checks they agree.
fn same(args: &[&str]) {
    let mut one = vec!["read", "--threads", "1"];
    one.extend_from_slice(args);
    let mut two = vec!["read", "--threads", "2"];
    two.extend_from_slice(args);
    let (c1, o1, e1) = run(&one);
    let (c2, o2, e2) = run(&two);
    assert_eq!(c1, c2, "exit status differs for {args:?}");
    assert!(o1 == o2, "stdout differs for {args:?}");
    assert!(e1 == e2, "stderr differs for {args:?}: {} vs {}", String::from_utf8_lossy(&e1), String::from_utf8_lossy(&e2));
}

/// The capture files under `dir` (relative to the crate root), sorted; none if it is absent.
fn files_in(dir: &str) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)) else { return Vec::new() };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    files.into_iter().map(|p| p.to_string_lossy().into_owned()).collect()
}

#[test]
fn every_view_of_every_capture_is_the_same() {
    let files = files_in("captures");
    if files.is_empty() {
        println!("skipped: no captures/ in this checkout");
        return;
    }
    for f in &files {
        for view in [&[][..], &["--format", "json"], &["-q"], &["-V"], &["-q", "--format", "json"]] {
            let mut args: Vec<&str> = view.to_vec();
            args.push(f);
            same(&args);
        }
    }
}

#[test]
fn the_corpus_read_in_one_run_is_the_same() {
    // Hundreds of odd files (bad link types, cut records, broken headers) through one pipeline.
    let files = files_in("../shared/corpus/tcpdump");
    if files.is_empty() {
        println!("skipped: no ../shared/corpus/tcpdump");
        return;
    }
    let all: Vec<&str> = files.iter().map(String::as_str).collect();
    same(&all);
    let mut json = vec!["--format", "json"];
    json.extend_from_slice(&all);
    same(&json);
}

#[test]
fn several_files_a_count_and_a_missing_file_are_the_same() {
    let files = files_in("captures");
    let mut all: Vec<&str> = files.iter().map(String::as_str).collect();
    all.insert(all.len() / 2, "no-such-file.pcap");
    same(&all);
    let mut json = vec!["--format", "json"];
    json.extend_from_slice(&all);
    same(&json);
    let mut counted = vec!["-c", "7"];
    counted.extend_from_slice(&all);
    same(&counted);
}

/// One TCP frame: `(seconds, µs, src, sport, dst, dport, flags)`.
type Seg = (u32, u32, [u8; 4], u16, [u8; 4], u16, u8);

/// A classic pcap of Ethernet/IPv4/TCP frames.
fn pcap(frames: &[Seg]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65_535, 1] {
        if v == 0x0004_0002 {
            out.extend_from_slice(&2u16.to_le_bytes());
            out.extend_from_slice(&4u16.to_le_bytes());
        } else {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    for &(sec, usec, src, sport, dst, dport, flags) in frames {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        f.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0x50, flags, 0x10, 0, 0, 0, 0, 0]);
        for v in [sec, usec, f.len() as u32, f.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&f);
    }
    out
}

#[test]
fn events_from_both_threads_keep_their_order_across_batches() {
    // 30,000 frames (several batches): SYN, SYN-ACK, ACK, RST traffic to port 80 all along, and from the
    // 10th second a flood of SYNs from many sources to port 443, so alerts (reading thread) and
    // connection reports (writing thread) come out interleaved. After the 20th second the
    // capture skips ten seconds: the next frame both closes the alert and expires connections,
    // so one frame carries events from both threads, which must come out in pipeline order.
    let (server, alt) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut frames = Vec::new();
    for i in 0..30_000u32 {
        let (sec, usec) = (i / 1000 + if i >= 20_000 { 10 } else { 0 }, (i % 1000) * 1000);
        let client = [192, 168, (i >> 8) as u8, i as u8];
        let port = 1024 + (i % 50_000) as u16;
        if (10..20).contains(&sec) && i % 2 == 0 {
            frames.push((sec, usec, [172, 16, (i >> 8) as u8, i as u8], port, server, 443, 0x02));
            continue;
        }
        match i % 4 {
            0 => frames.push((sec, usec, client, port, alt, 80, 0x02)),
            1 => frames.push((sec, usec, alt, 80, client, port - 1, 0x12)),
            2 => frames.push((sec, usec, client, port - 2, alt, 80, 0x10)),
            _ => frames.push((sec, usec, client, port - 3, alt, 80, 0x04)),
        }
    }
    let path = std::env::temp_dir().join(format!("inspect-threads-{}.pcap", std::process::id()));
    std::fs::write(&path, pcap(&frames)).expect("write capture");
    let p = path.to_string_lossy().into_owned();
    let (_, json, _) = run(&["read", "--format", "json", "--time-wait", "1", "--syn-timeout", "1", &p]);
    let text = String::from_utf8_lossy(&json);
    let first_alert = text.lines().position(|l| l.contains("\"event_type\":\"alert\""));
    let conns_after = first_alert.map(|a| text.lines().skip(a).filter(|l| l.contains("\"event_type\":\"conn\"")).count());
    assert!(conns_after.is_some_and(|n| n > 0), "the capture must raise an alert with connection reports after it");
    // The frame after the gap: its connection reports come before the alert's close.
    let lines: Vec<&str> = text.lines().collect();
    let close = lines.iter().position(|l| l.contains("\"event_type\":\"alert\"") && l.contains("\"closed\"") && l.contains("\"dport\":443"));
    let close = close.expect("the alert closes after the gap");
    assert!(lines.get(close - 1).is_some_and(|l| l.contains("\"event_type\":\"conn\"")), "conn reports precede the close");
    for view in [&["--format", "json"][..], &[], &["-q"], &["-q", "--format", "json"]] {
        let mut args: Vec<&str> = view.to_vec();
        args.extend_from_slice(&["--time-wait", "1", "--syn-timeout", "1", &p]);
        same(&args);
    }
    let _ = std::fs::remove_file(&path);
}
