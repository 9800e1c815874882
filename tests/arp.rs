//! `inspect arp` and the ARP part of `inspect read`, run as a user runs them, on real captures.
//!
//! Expected values come from two places: what `captures/README.md` says was done while
//! recording `captures/arp.pcap`, and tshark's reading of the same files
//! (`tests/golden/arp/*.tsv`, written by `scripts/arp-golden.sh`), from which the table and the
//! events are worked out here independently of the analyzer.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

fn inspect(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_inspect")).args(args).output().expect("run inspect");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

fn of_type<'a>(objs: &'a [Value], t: &str) -> Vec<&'a Value> {
    objs.iter().filter(|o| o["event_type"] == t).collect()
}

/// One ARP frame as tshark read it.
struct Golden {
    frame: u64,
    sender_ip: String,
    sender_mac: String,
    gratuitous: bool,
    eth_src: String,
    vendor: String,
}

fn golden(name: &str) -> Vec<Golden> {
    let path = format!("{}/tests/golden/arp/{name}.tsv", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").to_string();
            Golden {
                frame: get(0).parse().expect("frame number"),
                sender_ip: get(2),
                sender_mac: get(3),
                gratuitous: get(5) == "1",
                eth_src: get(6),
                vendor: get(7),
            }
        })
        .collect()
}

fn first_word(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric()).find(|w| !w.is_empty()).unwrap_or("").to_lowercase()
}

/// The table and events tshark's frames imply, checked against `inspect arp --format json`.
fn check_against_tshark(input: &str, name: &str) {
    let g = golden(name);
    assert!(!g.is_empty(), "{name}: empty golden file");
    let (code, out, err) = inspect(&["arp", "--format", "json", "--arp-gc", "0", input]);
    assert_eq!(code, 0, "{name}: {err}");
    let objs = json_lines(&out);
    assert!(of_type(&objs, "packet").is_empty(), "{name}: inspect arp prints no packets");

    // Per sender address: packets, the MAC sequence, and where each event must be.
    let mut per_ip: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
    let (mut new_station, mut changed, mut flip, mut grat, mut mismatch) = (vec![], vec![], vec![], vec![], vec![]);
    for f in &g {
        if f.eth_src != f.sender_mac {
            mismatch.push(f.frame);
        }
        if f.sender_ip == "0.0.0.0" {
            continue;
        }
        if f.gratuitous {
            grat.push(f.frame);
        }
        let (n, macs) = per_ip.entry(f.sender_ip.clone()).or_default();
        *n += 1;
        match macs.last() {
            None => new_station.push(f.frame),
            Some(last) if *last != f.sender_mac => {
                if macs.contains(&f.sender_mac) {
                    flip.push(f.frame);
                } else {
                    changed.push(f.frame);
                }
            }
            Some(_) => {}
        }
        if macs.last() != Some(&f.sender_mac) {
            macs.retain(|m| *m != f.sender_mac);
            macs.push(f.sender_mac.clone());
        }
    }

    let events = of_type(&objs, "arp_event");
    let frames = |kind: &str| -> Vec<u64> {
        events.iter().filter(|e| e["event"] == kind).map(|e| e["frame"].as_u64().unwrap_or(0)).collect()
    };
    assert_eq!(frames("new station"), new_station, "{name}: new station");
    assert_eq!(frames("changed ethernet address"), changed, "{name}: changed ethernet address");
    assert_eq!(frames("flip flop"), flip, "{name}: flip flop");
    assert_eq!(frames("gratuitous"), grat, "{name}: gratuitous");
    assert_eq!(frames("ethernet mismatch"), mismatch, "{name}: ethernet mismatch");

    let entries = of_type(&objs, "arp");
    let learned: BTreeMap<String, &Value> =
        entries.iter().filter(|e| !e["mac"].is_null()).map(|e| (e["ip"].as_str().unwrap_or("").to_string(), *e)).collect();
    assert_eq!(learned.keys().cloned().collect::<Vec<_>>(), per_ip.keys().cloned().collect::<Vec<_>>(), "{name}: stations");
    for (ip, (n, macs)) in &per_ip {
        let e = learned[ip];
        assert_eq!(e["mac"].as_str(), macs.last().map(String::as_str), "{name}: {ip} MAC");
        assert_eq!(e["packets"].as_u64(), Some(*n), "{name}: {ip} packets");
        for k in ["state", "first_seen", "last_seen", "learned"] {
            assert!(!e[k].is_null(), "{name}: {ip} has no {k}");
        }
        // Vendor names from the IEEE registry and from Wireshark's manuf agree on the first word.
        if let Some(t) = g.iter().rev().find(|f| f.sender_ip == *ip && !f.vendor.is_empty()) {
            assert_eq!(first_word(e["vendor"].as_str().unwrap_or("")), first_word(&t.vendor), "{name}: {ip} vendor");
        }
    }
    let summary = of_type(&objs, "arp_summary");
    assert_eq!(summary.len(), 1, "{name}: one arp_summary");
    assert_eq!(summary[0]["packets"].as_u64(), Some(g.len() as u64), "{name}: ARP packets");
    assert_eq!(of_type(&objs, "stats").len(), 1, "{name}: stats object");
}

#[test]
fn corpus_tables_match_tshark() {
    let corpus = format!("{}/../shared/corpus/tcpdump", env!("CARGO_MANIFEST_DIR"));
    for name in ["dhcp-rfc4388", "isakmp4500", "mptcp-fclose", "802.1ad_QinQ", "bgp-lu-multiple-labels"] {
        check_against_tshark(&format!("{corpus}/{name}.pcap"), name);
    }
}

#[test]
fn arp_capture_matches_tshark() {
    check_against_tshark(&format!("{}/captures/arp.pcap", env!("CARGO_MANIFEST_DIR")), "arp");
}

/// What the recording did (captures/README.md): 10.0.0.2 moved from :02 to :03 and announced it.
#[test]
fn arp_capture_mac_change_and_gratuitous() {
    let path = format!("{}/captures/arp.pcap", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = inspect(&["arp", "--format", "json", "--net", "10.0.0.0/24", &path]);
    assert_eq!(code, 0, "{err}");
    let objs = json_lines(&out);
    let events = of_type(&objs, "arp_event");
    let changed: Vec<&&Value> = events.iter().filter(|e| e["event"] == "changed ethernet address").collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["ip"], "10.0.0.2");
    assert_eq!(changed[0]["mac"], "02:00:00:00:00:03");
    assert_eq!(changed[0]["old_mac"], "02:00:00:00:00:02");
    assert!(changed[0]["ts"].as_f64().is_some());
    // arping -U twice before the change and twice after (frames 5, 6, 11, 12).
    assert_eq!(events.iter().filter(|e| e["event"] == "gratuitous").count(), 4);
    // Every who-has was answered, the change was announced, everyone is on 10.0.0.0/24.
    for quiet in ["unanswered request", "duplicate address", "bogon", "flip flop", "arp storm", "ethernet broadcast"] {
        assert!(events.iter().all(|e| e["event"] != quiet), "unexpected {quiet}");
    }
    let entries = of_type(&objs, "arp");
    let b = entries.iter().find(|e| e["ip"] == "10.0.0.2").expect("10.0.0.2");
    // The last frame is its reply, so it is reachable at the end.
    assert_eq!(b["mac"], "02:00:00:00:00:03");
    assert_eq!(b["state"], "reachable");
    assert_eq!(b["previous_macs"], serde_json::json!(["02:00:00:00:00:02"]));
}

#[test]
fn arp_text_is_the_table_and_events_only() {
    let path = format!("{}/captures/arp.pcap", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = inspect(&["arp", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("ARP, Request"), "no packet lines:\n{out}");
    assert!(!out.contains("Summary:"), "no run summary:\n{out}");
    assert!(out.contains("ARP table: 2 entries"), "{out}");
    let row = out.lines().find(|l| l.contains("10.0.0.2 ") && l.contains("02:00:00:00:00:03")).expect("row of 10.0.0.2");
    assert!(row.contains("reachable"), "{row}");
    assert!(out.contains("changed ethernet address"), "{out}");
}

#[test]
fn read_ends_with_the_arp_table_and_shows_events_as_they_happen() {
    let path = format!("{}/captures/arp.pcap", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = inspect(&["read", &path]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    // The change is reported right after frame 11's line, the first announcement from :03.
    let at = lines.iter().position(|l| l.contains("arp: changed ethernet address 10.0.0.2")).expect("event line");
    let before = lines[at - 1];
    assert!(before.starts_with("11:20:33.567482 ARP, Request who-has 10.0.0.2") && before.ends_with("tell 10.0.0.2, length 44"), "{before}");
    let table = lines.iter().position(|l| l.starts_with("ARP table:")).expect("table");
    assert!(table > lines.iter().position(|l| l.starts_with("Summary:")).unwrap_or(usize::MAX), "table after the summary");
    assert!(lines[table..].iter().any(|l| l.starts_with("ARP events: 7")), "{out}");
}

#[test]
fn read_json_streams_arp_events_and_ends_with_entries() {
    let path = format!("{}/captures/arp.pcap", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = inspect(&["read", "--format", "json", &path]);
    assert_eq!(code, 0, "{err}");
    let objs = json_lines(&out);
    let kinds: Vec<&str> = objs.iter().map(|o| o["event_type"].as_str().unwrap_or("")).collect();
    let first_event = kinds.iter().position(|k| *k == "arp_event").expect("events");
    let last_packet = kinds.iter().rposition(|k| *k == "packet").expect("packets");
    assert!(first_event < last_packet, "events are streamed among packets");
    let first_entry = kinds.iter().position(|k| *k == "arp").expect("entries");
    assert!(first_entry > last_packet);
    for e in of_type(&objs, "arp_event") {
        for k in ["event", "ts", "ip", "mac", "old_mac"] {
            assert!(e.get(k).is_some(), "arp_event without {k}: {e}");
        }
    }
}

#[test]
fn bad_arp_options_are_usage_errors() {
    let path = format!("{}/captures/arp.pcap", env!("CARGO_MANIFEST_DIR"));
    for args in [
        vec!["arp", "--net", "10.0.0.0/33", path.as_str()],
        vec!["arp", "--arp-timeout", "-1", path.as_str()],
        vec!["arp", "--arp-reachable", "soon", path.as_str()],
    ] {
        let (code, out, err) = inspect(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = inspect(&["arp", "/nonexistent/x.pcap"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/x.pcap"), "{err}");
}

#[test]
fn arp_scan_refuses_what_it_cannot_do() {
    let (code, _, err) = inspect(&["arp-scan", "-i", "lo", "10.0.0.0/8"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refusing to scan 10.0.0.0/8"), "{err}");
    let (code, _, err) = inspect(&["arp-scan", "-i", "no-such-if0", "10.0.0.0/24"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no interface named no-such-if0"), "{err}");
}
