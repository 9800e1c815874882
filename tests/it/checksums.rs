//! TCP and UDP checksums: `tcp.checksum.status` and `udp.checksum.status` frame by frame against
//! tshark's with validation on (`scripts/golden_checksums.sh` keeps them in
//! `tests/golden/checksums/`), except that a checksum left to the sender's network card counts
//! unverified; and `--check-checksums`, Zeek's rule for the connection records: a packet whose
//! checksum is bad is noted (`C`/`c`) and otherwise ignored, so it feeds no stream.

use std::collections::HashMap;

use crate::support::frames::{tcp, udp, ACK, PSH, SYN};
use crate::support::pcap::{micros, Pcap};
use crate::support::{inspect, inspect_ok, json_lines, n, root, s, Need, TempDir, Test};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(statuses_are_tsharks_on_captures),
        trial!(statuses_are_tsharks_on_the_corpus, Need::Corpus),
        trial!(filters_and_json_name_the_status),
        trial!(a_bad_segment_is_noted_and_ignored),
        trial!(bad_checksums_in_real_captures_leave_their_letters, Need::Corpus),
    ]
}

/// The golden file of each capture, and the capture it was made from.
fn goldens(corpus: bool) -> Vec<(String, String)> {
    let dir = root().join("tests/golden/checksums");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".tsv") else { continue };
        let file = match stem.strip_prefix("captures_") {
            Some(f) => format!("captures/{f}"),
            None => format!("../shared/corpus/{}", stem.replacen('_', "/", 1)),
        };
        if file.starts_with("captures/") != corpus {
            out.push((dir.join(&name).to_string_lossy().into_owned(), file));
        }
    }
    out.sort();
    out
}

/// What inspect should say of each frame: tshark's statuses, an offloaded bad one unverified.
fn expected(golden: &str) -> HashMap<String, (String, String)> {
    let text = std::fs::read_to_string(golden).unwrap();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let (mut t, mut u) = (f[1].to_string(), f[2].to_string());
            if f[3] == "1" {
                if t == "0" { t = "2".into() } else { u = "2".into() }
            }
            (f[0].to_string(), (t, u))
        })
        .collect()
}

fn check(corpus: bool) {
    let mut frames = 0;
    let mut seen = [0usize; 5];
    for (golden, file) in goldens(corpus) {
        let want = expected(&golden);
        let got = inspect_ok(["read", "-T", "fields", "-e", "frame.number", "-e", "tcp.checksum.status", "-e", "udp.checksum.status", &file]);
        let mut rows = 0;
        for l in got.lines() {
            let f: Vec<&str> = l.split('\t').collect();
            let w = want.get(f[0]).unwrap_or_else(|| panic!("{file}: frame {} is not in tshark's", f[0]));
            assert_eq!((f[1], f[2]), (w.0.as_str(), w.1.as_str()), "{file} frame {}", f[0]);
            for v in [f[1], f[2]] {
                if let Ok(k) = v.parse::<usize>() {
                    seen[k] += 1;
                }
            }
            rows += 1;
        }
        assert_eq!(rows, want.len(), "{file}");
        frames += rows;
    }
    assert!(frames > 100, "{frames} frames");
    // Good and unverified (offloaded) in both sets; bad ones in the corpus.
    assert!(seen[1] > 0 && seen[2] > 0 && (!corpus || seen[0] > 0), "{seen:?}");
}

fn statuses_are_tsharks_on_captures() {
    check(false);
}

fn statuses_are_tsharks_on_the_corpus() {
    check(true);
}

/// `-Y` takes the status by name or number, as Wireshark does; JSON has it as a number.
fn filters_and_json_name_the_status() {
    let want = expected(&root().join("tests/golden/checksums/captures_dhcp.pcap.tsv").to_string_lossy());
    let mut good: Vec<u64> = want.iter().filter(|(_, (_, u))| u == "1").map(|(k, _)| k.parse().unwrap()).collect();
    good.sort();
    assert!(!good.is_empty());
    for f in ["udp.checksum.status == \"Good\"", "udp.checksum.status == good", "udp.checksum.status == 1"] {
        let got: Vec<u64> = inspect_ok(["read", "-T", "fields", "-e", "frame.number", "-Y", f, "captures/dhcp.pcap"]).lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(got, good, "{f}");
    }
    let run = inspect(["read", "-Y", "udp.checksum.status == Fine", "captures/dhcp.pcap"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("\"Fine\" is not a checksum status"), "{}", run.stderr);
    let json = json_lines(&inspect_ok(["read", "--format", "json", "captures/dhcp.pcap"]));
    for p in json.iter().filter(|v| v["event_type"] == "packet") {
        let frame = n(&p["frame.number"]).to_string();
        let st = &p["udp.checksum.status"];
        match want.get(&frame) {
            Some((_, u)) if !u.is_empty() => assert_eq!(st.to_string(), *u, "frame {frame}"),
            _ => assert!(st.is_null(), "frame {frame}: {st}"),
        }
    }
}

/// A data segment and a server ACK with bad checksums: with `--check-checksums` each leaves its
/// letter (`C` from the originator, `c` from the responder), neither is counted, and the bytes
/// that reach the stream are the good retransmission's, not the bad segment's (which would
/// otherwise win as the first copy and make the good one an inconsistent retransmission).
fn a_bad_segment_is_noted_and_ignored() {
    let (c, sv) = ([10, 2, 0, 1], [10, 2, 0, 2]);
    let bad = |mut f: Vec<u8>, at: usize| {
        f[at] ^= 0x5a;
        f
    };
    // The TCP checksum sits 16 bytes into the TCP header, the UDP one 6: after Ethernet and IPv4.
    let frames = [
        tcp(c, 40000, sv, 80).flags(SYN).seq(100).frame(),
        tcp(sv, 80, c, 40000).flags(SYN | ACK).seq(500).ack(101).frame(),
        tcp(c, 40000, sv, 80).flags(ACK).seq(101).ack(501).frame(),
        bad(tcp(c, 40000, sv, 80).flags(ACK | PSH).seq(101).ack(501).data(b"hellx").frame(), 14 + 20 + 16),
        tcp(c, 40000, sv, 80).flags(ACK | PSH).seq(101).ack(501).data(b"hello").frame(),
        bad(tcp(sv, 80, c, 40000).flags(ACK).seq(501).ack(106).frame(), 14 + 20 + 16),
        tcp(sv, 80, c, 40000).flags(ACK).seq(501).ack(106).frame(),
        udp(c, 5000, sv, 5001, b"ping"),
        bad(udp(sv, 5001, c, 5000, b"pong"), 14 + 20 + 6),
    ];
    let mut p = Pcap::micro();
    for (k, f) in frames.iter().enumerate() {
        p.add(micros(1_700_000_000_000_000 + k as u64 * 1000), f);
    }
    let dir = TempDir::new("checksums");
    let path = p.write(&dir, "bad.pcap");
    let file = path.to_str().unwrap();
    let status = inspect_ok(["read", "-T", "fields", "-e", "tcp.checksum.status", "-e", "udp.checksum.status", file]);
    assert_eq!(status, "1\t\n1\t\n1\t\n0\t\n1\t\n0\t\n1\t\n\t1\n\t0\n");
    let conns = |extra: &[&str]| {
        let mut a = vec!["read", "-q", "--reassemble", "all", "--format", "json", file];
        a.extend_from_slice(extra);
        let v = json_lines(&inspect_ok(&a));
        let by_proto = |p: &str| v.iter().find(|c| c["event_type"] == "conn" && c["proto"] == p).cloned().unwrap();
        let sum = v.iter().find(|c| c["event_type"] == "stream_summary").cloned().unwrap();
        (by_proto("tcp"), by_proto("udp"), sum)
    };
    let (t, u, sum) = conns(&[]);
    assert!(!s(&t["history"]).contains(['C', 'c']), "{t}");
    assert_eq!((n(&t["orig_pkts"]), n(&t["resp_pkts"]), n(&u["resp_pkts"])), (4, 3, 1));
    assert_eq!(n(&sum["inconsistent"]), 1, "{sum}");
    let (t, u, sum) = conns(&["--check-checksums"]);
    let h = s(&t["history"]);
    assert!(h.contains('C') && h.contains('c'), "{t}");
    assert_eq!((n(&t["orig_pkts"]), n(&t["resp_pkts"]), n(&u["resp_pkts"])), (3, 2, 0));
    assert_eq!(s(&u["history"]), "Dc", "{u}");
    assert_eq!((n(&sum["inconsistent"]), n(&sum["delivered"])), (0, 5), "{sum}");
}

/// In corpus captures with bad checksums (not offloaded ones), `--check-checksums` takes each
/// bad packet out of its connection's counts and leaves a `C` or `c`.
fn bad_checksums_in_real_captures_leave_their_letters() {
    for name in ["tcpdump_bgp-as-path-oobr.pcap", "tcpdump_smb_data_print-oobr.pcapng"] {
        let (golden, file) = goldens(true).into_iter().find(|(g, _)| g.ends_with(&format!("{name}.tsv"))).unwrap();
        let bad = expected(&golden).values().filter(|(t, u)| t == "0" || u == "0").count() as u64;
        assert!(bad > 0, "{file}");
        let conns = |extra: &[&str]| {
            let mut a = vec!["conns", "--format", "json", &file];
            a.extend_from_slice(extra);
            json_lines(&inspect_ok(&a)).into_iter().filter(|c| c["event_type"] == "conn" && c["proto"] != "icmp").collect::<Vec<_>>()
        };
        let pkts = |cs: &[serde_json::Value]| cs.iter().map(|c| n(&c["orig_pkts"]) + n(&c["resp_pkts"])).sum::<u64>();
        let (plain, checked) = (conns(&[]), conns(&["--check-checksums"]));
        assert!(plain.iter().all(|c| !s(&c["history"]).contains(['C', 'c'])), "{file}");
        assert!(checked.iter().any(|c| s(&c["history"]).contains(['C', 'c'])), "{file}: {checked:?}");
        assert_eq!(pkts(&plain) - pkts(&checked), bad, "{file}");
    }
}
