//! `inspect arp` and the ARP part of `inspect read`, run as a user runs them, on real captures.
//!
//! Expected values come from two places: what `captures/README.md` says was done while
//! recording `captures/arp.pcap`, and tshark's reading of the same files
//! (`tests/golden/arp/*.tsv`, written by `scripts/arp-golden.sh`), from which the table and the
//! events are worked out here independently of the analyzer.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{help_options, inspect, inspect_ok, json_lines, of_type, root, Need, Test, CORPUS};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(corpus_tables_match_tshark, Need::Corpus),
        trial!(arp_capture_matches_tshark),
        trial!(arp_capture_mac_change_and_gratuitous),
        trial!(arp_text_is_the_table_and_events_only),
        trial!(arp_table_line_counts_agree_with_their_nouns),
        trial!(read_ends_with_the_arp_table_and_shows_events_as_they_happen),
        trial!(read_json_streams_arp_events_and_ends_with_entries),
        trial!(bad_arp_options_are_usage_errors),
        trial!(arp_help_shows_only_arp_options),
        trial!(arp_scan_refuses_what_it_cannot_do),
    ]
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
    let path = root().join(format!("tests/golden/arp/{name}.tsv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").to_string();
            Golden {
                frame: get(0).parse().unwrap_or_else(|e| panic!("{name}: frame number in {l:?}: {e}")),
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
    let run = inspect(["arp", "--format", "json", "--arp-gc", "0", input]);
    assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
    let objs = json_lines(&run.stdout);
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
        events
            .iter()
            .filter(|e| e["event"] == kind)
            .map(|e| e["frame"].as_u64().unwrap_or_else(|| panic!("{name}: event without a frame: {e}")))
            .collect()
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

fn corpus_tables_match_tshark() {
    for name in ["dhcp-rfc4388", "isakmp4500", "mptcp-fclose", "802.1ad_QinQ", "bgp-lu-multiple-labels"] {
        check_against_tshark(&format!("{CORPUS}/tcpdump/{name}.pcap"), name);
    }
}

fn arp_capture_matches_tshark() {
    check_against_tshark("captures/arp.pcap", "arp");
}

/// What the recording did (captures/README.md): 10.0.0.2 moved from :02 to :03 and announced it.
fn arp_capture_mac_change_and_gratuitous() {
    let objs = json_lines(&inspect_ok(["arp", "--format", "json", "--net", "10.0.0.0/24", "captures/arp.pcap"]));
    let events = of_type(&objs, "arp_event");
    let changed: Vec<&&Value> = events.iter().filter(|e| e["event"] == "changed ethernet address").collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0]["ip"], "10.0.0.2");
    assert_eq!(changed[0]["mac"], "02:00:00:00:00:03");
    assert_eq!(changed[0]["old_mac"], "02:00:00:00:00:02");
    assert!(changed[0]["ts"].as_f64().is_some(), "{}", changed[0]);
    // arping -U twice before the change and twice after (frames 5, 6, 11, 12).
    assert_eq!(events.iter().filter(|e| e["event"] == "gratuitous").count(), 4);
    // Every who-has was answered, the change was announced, everyone is on 10.0.0.0/24.
    for quiet in ["unanswered request", "duplicate address", "bogon", "flip flop", "arp storm", "ethernet broadcast"] {
        assert!(events.iter().all(|e| e["event"] != quiet), "unexpected {quiet}");
    }
    let entries = of_type(&objs, "arp");
    let b = entries.iter().find(|e| e["ip"] == "10.0.0.2").expect("an entry for 10.0.0.2");
    // The last frame is its reply, so it is reachable at the end.
    assert_eq!(b["mac"], "02:00:00:00:00:03");
    assert_eq!(b["state"], "reachable");
    assert_eq!(b["previous_macs"], serde_json::json!(["02:00:00:00:00:02"]));
}

fn arp_text_is_the_table_and_events_only() {
    let out = inspect_ok(["arp", "captures/arp.pcap"]);
    assert!(!out.contains("ARP, Request"), "no packet lines:\n{out}");
    assert!(!out.contains("Summary:"), "no run summary:\n{out}");
    // 20 frames, of which 14 ARP: 8 who-has and 6 is-at.
    assert!(out.contains("ARP table: 2 entries from 14 ARP packets (8 requests, 6 replies)"), "{out}");
    let row = out
        .lines()
        .find(|l| l.contains("10.0.0.2 ") && l.contains("02:00:00:00:00:03"))
        .unwrap_or_else(|| panic!("no row of 10.0.0.2:\n{out}"));
    assert!(row.contains("reachable"), "{row}");
    assert!(out.contains("changed ethernet address"), "{out}");
}

/// web.pcap starts with one who-has and its answer: the counts are singular.
fn arp_table_line_counts_agree_with_their_nouns() {
    let out = inspect_ok(["arp", "captures/web.pcap"]);
    assert!(out.contains("ARP table: 2 entries from 2 ARP packets (1 request, 1 reply)"), "{out}");
    let out = inspect_ok(["read", "captures/web.pcap"]);
    assert!(out.contains("\nARP table: 2 entries from 2 ARP packets (1 request, 1 reply)"), "{out}");
}

fn read_ends_with_the_arp_table_and_shows_events_as_they_happen() {
    let out = inspect_ok(["read", "captures/arp.pcap"]);
    let lines: Vec<&str> = out.lines().collect();
    // The change is reported right after frame 11's line, the first announcement from :03.
    let at = lines
        .iter()
        .position(|l| l.contains("arp: changed ethernet address 10.0.0.2"))
        .unwrap_or_else(|| panic!("no event line:\n{out}"));
    assert!(at > 0, "the event line follows its packet's line");
    let before = lines[at - 1];
    assert!(
        before.starts_with("11:20:33.567482 ARP, Request who-has 10.0.0.2") && before.ends_with("tell 10.0.0.2, length 44"),
        "{before}"
    );
    let table = lines.iter().position(|l| l.starts_with("ARP table:")).unwrap_or_else(|| panic!("no table:\n{out}"));
    let summary = lines.iter().position(|l| l.starts_with("Summary:")).unwrap_or_else(|| panic!("no summary:\n{out}"));
    assert!(table > summary, "the table comes after the summary");
    assert!(lines[table..].iter().any(|l| l.starts_with("ARP events: 7")), "{out}");
}

fn read_json_streams_arp_events_and_ends_with_entries() {
    let objs = json_lines(&inspect_ok(["read", "--format", "json", "captures/arp.pcap"]));
    let kinds: Vec<&str> = objs.iter().map(|o| o["event_type"].as_str().unwrap_or("")).collect();
    let first_event = kinds.iter().position(|k| *k == "arp_event").expect("arp_event objects");
    let last_packet = kinds.iter().rposition(|k| *k == "packet").expect("packet objects");
    assert!(first_event < last_packet, "events are streamed among packets");
    let first_entry = kinds.iter().position(|k| *k == "arp").expect("arp entries");
    assert!(first_entry > last_packet, "the entries come after the packets");
    for e in of_type(&objs, "arp_event") {
        for k in ["event", "ts", "ip", "mac", "old_mac"] {
            assert!(e.get(k).is_some(), "arp_event without {k}: {e}");
        }
    }
}

fn bad_arp_options_are_usage_errors() {
    for args in [
        ["arp", "--net", "10.0.0.0/33", "captures/arp.pcap"],
        ["arp", "--arp-timeout", "-1", "captures/arp.pcap"],
        ["arp", "--arp-reachable", "soon", "captures/arp.pcap"],
    ] {
        let run = inspect(args);
        assert_eq!(run.code, Some(2), "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    let run = inspect(["arp", "/nonexistent/x.pcap"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("/nonexistent/x.pcap"), "{}", run.stderr);
}

/// `arp` takes the ARP options and the input's: nothing of the connection tracker, the flood
/// detector or the packet views, which it does not run.
fn arp_help_shows_only_arp_options() {
    let help = inspect_ok(["arp", "--help"]);
    let options = help_options(&help);
    for wanted in ["--net", "--arp-reachable", "--arp-timeout", "--arp-gc", "--arp-storm-rate", "--format", "--count"] {
        assert!(options.iter().any(|o| o == wanted), "arp --help lacks {wanted}: {options:?}");
    }
    let allowed = ["--format", "-c", "--count", "-h", "--help", "--net", "--no-sandbox", "--sandbox"];
    for o in &options {
        assert!(o.starts_with("--arp-") || allowed.contains(&o.as_str()), "arp --help shows {o}:\n{help}");
    }
    for unwanted in ["--max-conns", "--flood-", "--threads", "--time-wait"] {
        assert!(!help.contains(unwanted), "arp --help mentions {unwanted}:\n{help}");
    }
}

/// Checks made before any socket is opened, so they need no privilege.
fn arp_scan_refuses_what_it_cannot_do() {
    let run = inspect(["arp-scan", "-i", "lo", "10.0.0.0/8"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(run.stderr.trim_end(), "inspect: arp-scan: refusing to scan 10.0.0.0/8: 16777216 addresses; at most a /16");
    let run = inspect(["arp-scan", "-i", "no-such-if0", "10.0.0.0/24"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.starts_with("inspect: no-such-if0: no such interface (available: "), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}
