//! Connection tracking as a user sees it: the `inspect` binary on real captures (against
//! tshark's conversation table, kept as golden files in `tests/golden/conv/` by
//! `scripts/golden_conv.sh`), on the recorded captures of `captures/` (expected values from their
//! README), and on generated packet sequences written to temporary pcap files.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::frames::{tcp, ACK, FIN, PSH, RST, SYN};
use crate::support::pcap::{secs, Pcap};
use crate::support::{help_options, inspect, inspect_ok, json_lines, lines_with, n, root, s, Need, Test, TempDir, CORPUS};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(matches_tshark_conversations_on_captures),
        trial!(matches_tshark_conversations_on_the_corpus, Need::Corpus),
        trial!(web_capture_both_close_orders),
        trial!(nflog_conns_equal_the_same_traffic_on_ethernet),
        trial!(mixed_pcapng_counts_each_copy_once_as_data),
        trial!(time_wait_expires_on_packet_time),
        trial!(refused_connections_are_rej),
        trial!(udp_flows_s0_and_sf),
        trial!(synflood_filters_and_totals),
        trial!(unlisted_and_filtered_counts_agree_with_their_nouns),
        trial!(eviction_keeps_every_packet_accounted),
        trial!(replays_give_identical_output),
        trial!(half_open_expires_and_filters_as_syn_rcvd),
        trial!(idle_connection_expires),
        trial!(new_syn_after_close_starts_a_new_connection),
        trial!(mid_stream_start_takes_zeeks_originator),
        trial!(bad_state_is_a_usage_error),
        trial!(conns_help_has_no_packet_view_options),
        trial!(counts_only_end_of_run_matches_the_records_path),
    ]
}

/// The `conn` objects and the `conn_summary` of `inspect conns --format json ARGS`.
fn conns(args: &[&str]) -> (Vec<Value>, Value) {
    let mut a = vec!["conns", "--format", "json"];
    a.extend_from_slice(args);
    let mut list = Vec::new();
    let mut summary = Value::Null;
    for v in json_lines(&inspect_ok(&a)) {
        match v["event_type"].as_str() {
            Some("conn") => list.push(v),
            Some("conn_summary") => summary = v,
            _ => {}
        }
    }
    (list, summary)
}

// ---- golden data: tshark -z conv,tcp ---------------------------------------------------------

/// A tshark byte cell ("574 bytes", "12 kB") agrees with an exact count.
fn bytes_agree(cell: &str, exact: u64) -> bool {
    let mut it = cell.split_whitespace();
    let (Some(num), Some(unit)) = (it.next().and_then(|x| x.parse::<u64>().ok()), it.next()) else { return false };
    let scale = match unit {
        "bytes" => return num == exact,
        "kB" => 1000,
        "MB" => 1_000_000,
        _ => return false,
    };
    exact / scale == num || (exact + scale / 2) / scale == num
}

type Side = (String, u64);

/// One of tshark's conversations, summed over its rows: frames and bytes lower to higher and
/// higher to lower, and how many rows.
type Theirs = ([u64; 2], [String; 2], usize);

/// The golden conversation tables whose input (`-r FILE` in their first line) is under `dir`:
/// `(golden file, input, its text)`, in name order.
fn conv_goldens(dir: &str) -> Vec<(std::path::PathBuf, String, String)> {
    let golden = root().join("tests/golden/conv");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&golden).unwrap_or_else(|e| panic!("{}: {e}", golden.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{}: {e}", golden.display())).path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header = text.lines().next().unwrap_or("");
        let input = header.rsplit(" -r ").next().unwrap_or("").trim().to_string();
        assert!(!input.is_empty(), "{}: no -r in {header:?}", path.display());
        if input.starts_with(dir) {
            out.push((path, input, text));
        }
    }
    out.sort();
    out
}

fn matches_tshark_conversations_on_captures() {
    let checked = matches_tshark_conversations(&conv_goldens("captures/"));
    assert_eq!(checked, 11, "golden conversation tables of captures/");
}

fn matches_tshark_conversations_on_the_corpus() {
    let checked = matches_tshark_conversations(&conv_goldens(CORPUS));
    assert_eq!(checked, 7, "golden conversation tables of the corpus");
}

/// Ours against each of tshark's conversation tables; the tables checked.
fn matches_tshark_conversations(goldens: &[(std::path::PathBuf, String, String)]) -> usize {
    let mut checked = 0;
    for (path, input, text) in goldens {
        let input = input.as_str();
        // Ours, per unordered endpoint pair (tshark keeps a reused 5-tuple as one row only
        // sometimes; summing both sides per pair compares the same packets either way).
        let (list, _) = conns(&["--max-rows", "0", input]);
        let mut ours: BTreeMap<(Side, Side), [u64; 4]> = BTreeMap::new();
        for c in list.iter().filter(|c| c["proto"] == "tcp") {
            let o = (s(&c["id.orig_h"]).to_string(), n(&c["id.orig_p"]));
            let r = (s(&c["id.resp_h"]).to_string(), n(&c["id.resp_p"]));
            let (key, flip) = if o <= r { ((o, r), false) } else { ((r, o), true) };
            let e = ours.entry(key).or_default();
            let (of, ob, rf, rb) = (n(&c["orig_pkts"]), n(&c["orig_frame_bytes"]), n(&c["resp_pkts"]), n(&c["resp_frame_bytes"]));
            let add = if flip { [rf, rb, of, ob] } else { [of, ob, rf, rb] };
            for (x, y) in e.iter_mut().zip(add) {
                *x += y;
            }
        }
        // Theirs, per unordered endpoint pair too: tshark splits a reused 5-tuple into rows of
        // its own when the new SYN's sequence number is far from the old one. Rows whose bytes
        // tshark rounds to kB are compared alone, as before.
        let mut theirs: BTreeMap<(Side, Side), Theirs> = BTreeMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 8, "{}: {line}", path.display());
            let a = (f[0].to_string(), f[1].parse::<u64>().unwrap_or(0));
            let b = (f[2].to_string(), f[3].parse::<u64>().unwrap_or(0));
            let (b_to_a_frames, b_to_a_bytes, a_to_b_frames, a_to_b_bytes) = (f[4], f[5], f[6], f[7]);
            let (key, flip) = if a <= b { ((a, b), false) } else { ((b, a), true) };
            // [lo→hi, hi→lo]
            let (frames, bytes) = if flip {
                ([b_to_a_frames, a_to_b_frames], [b_to_a_bytes, a_to_b_bytes])
            } else {
                ([a_to_b_frames, b_to_a_frames], [a_to_b_bytes, b_to_a_bytes])
            };
            let e = theirs.entry(key.clone()).or_default();
            for i in 0..2 {
                e.0[i] += frames[i].parse::<u64>().unwrap_or(0);
                let exact = bytes[i].strip_suffix(" bytes").and_then(|n| n.parse::<u64>().ok());
                e.1[i] = match (e.2, exact, e.1[i].strip_suffix(" bytes").and_then(|n| n.parse::<u64>().ok())) {
                    (0, _, _) => bytes[i].to_string(),
                    (_, Some(x), Some(y)) => format!("{} bytes", x + y),
                    _ => panic!("{input} {key:?}: a split conversation with rounded bytes"),
                };
            }
            e.2 += 1;
        }
        for (key, (frames, bytes, _)) in &theirs {
            let Some(e) = ours.get(key) else { panic!("{input}: tshark's conversation {key:?} is missing from ours") };
            // e = [lo→hi frames, lo→hi bytes, hi→lo frames, hi→lo bytes]
            assert_eq!(e[0], frames[0], "{input} {key:?}: frames lower to higher");
            assert_eq!(e[2], frames[1], "{input} {key:?}: frames higher to lower");
            assert!(bytes_agree(&bytes[0], e[1]), "{input} {key:?}: bytes lower to higher {} vs tshark {}", e[1], bytes[0]);
            assert!(bytes_agree(&bytes[1], e[3]), "{input} {key:?}: bytes higher to lower {} vs tshark {}", e[3], bytes[1]);
        }
        let theirs = theirs.len();
        assert_eq!(ours.len(), theirs, "{input}: number of conversations");
        assert!(theirs > 0, "{input}: an empty golden table checks nothing");
        checked += 1;
    }
    checked
}

// ---- the recorded captures ---------------------------------------------------------------------

fn web_capture_both_close_orders() {
    let (list, summary) = conns(&["captures/web.pcap"]);
    assert_eq!(list.len(), 2);
    // Frames 3–14: curl to port 80, the client closes first (12 frames).
    let c = &list[0];
    assert_eq!((s(&c["id.resp_h"]), n(&c["id.resp_p"]), s(&c["id.orig_h"])), ("10.0.0.2", 80, "10.0.0.1"));
    assert_eq!(n(&c["orig_pkts"]) + n(&c["resp_pkts"]), 12);
    assert_eq!((s(&c["orig_state"]), s(&c["resp_state"]), s(&c["conn_state"])), ("TIME_WAIT", "CLOSED", "SF"));
    assert!(s(&c["history"]).starts_with("ShA") && s(&c["history"]).ends_with("Ff"), "{}", c["history"]);
    // The 50-byte body plus headers came back; the request went out.
    assert!(n(&c["resp_bytes"]) > 50 && n(&c["orig_bytes"]) > 0);
    assert!(c["rtt_syn_synack"].as_f64().is_some());
    // Frames 15–24: nc to port 8080, the server closes first (10 frames).
    let c = &list[1];
    assert_eq!(n(&c["id.resp_p"]), 8080);
    assert_eq!(n(&c["orig_pkts"]) + n(&c["resp_pkts"]), 10);
    assert_eq!((s(&c["orig_state"]), s(&c["resp_state"]), s(&c["conn_state"])), ("CLOSED", "TIME_WAIT", "SF"));
    assert!(s(&c["history"]).ends_with("fF"), "{}", c["history"]);
    assert_eq!(summary["conn_states"]["SF"], 2);
    // Zeek conn.log names are all there.
    for k in [
        "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "duration", "orig_bytes", "resp_bytes",
        "conn_state", "history", "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "orig_state", "resp_state",
    ] {
        assert!(!c[k].is_null(), "field {k}");
    }
}

/// `nflog.pcap` logs, through iptables' NFLOG target, the same `curl http://10.0.0.2/hello.txt`
/// that `web.pcap` captures on Ethernet as its first connection, and pings like `ping.pcap`'s
/// (captures/README.md): the link layer differs, the connections must not (but for the client's
/// port). The TCP conversation is also held to tshark's by `matches_tshark_conversations`.
fn nflog_conns_equal_the_same_traffic_on_ethernet() {
    let (nflog, _) = conns(&["captures/nflog.pcap"]);
    let (web, _) = conns(&["captures/web.pcap"]);
    let (ping, _) = conns(&["captures/ping.pcap"]);
    assert_eq!(nflog.len(), 3, "one TCP connection, an IPv4 and an IPv6 ping: {nflog:?}");
    let tcp: Vec<&Value> = nflog.iter().filter(|c| c["proto"] == "tcp").collect();
    assert_eq!(tcp.len(), 1);
    let same = [
        "id.orig_h", "id.resp_h", "id.resp_p", "conn_state", "history", "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes",
        "orig_ip_bytes", "resp_ip_bytes", "orig_state", "resp_state",
    ];
    for k in same {
        assert_eq!(tcp[0][k], web[0][k], "{k}: NFLOG {} vs Ethernet {}", tcp[0][k], web[0][k]);
    }
    // Two echo requests and replies (the recorder checks them with tshark), each an IP packet
    // of the size ping.pcap's are.
    let v4 = nflog.iter().find(|c| c["proto"] == "icmp" && c["id.orig_h"] == "10.0.0.1").expect("IPv4 ping");
    let theirs = ping.iter().find(|c| c["proto"] == "icmp" && c["id.orig_p"] == 8).expect("ping.pcap's echo flow");
    assert_eq!((n(&v4["orig_pkts"]), n(&v4["resp_pkts"])), (2, 2));
    let per = |c: &Value, k: &str, pk: &str| n(&c[k]) / n(&c[pk]).max(1);
    assert_eq!(per(v4, "orig_ip_bytes", "orig_pkts"), per(theirs, "orig_ip_bytes", "orig_pkts"));
    assert_eq!(per(v4, "resp_ip_bytes", "resp_pkts"), per(theirs, "resp_ip_bytes", "resp_pkts"));
    let v6 = nflog.iter().find(|c| c["id.orig_h"] == "fd00::1").expect("IPv6 ping");
    assert_eq!((s(&v6["proto"]), n(&v6["orig_pkts"]), n(&v6["resp_pkts"]), n(&v6["orig_ip_bytes"])), ("icmp", 1, 1, 40 + 64));
}

/// `mixed.pcapng` holds one `curl http://10.0.0.2/hello.txt` seen on both ports of a bridge:
/// every frame twice, with interface ids 0 and 1, microseconds apart (captures/README.md).
///
/// How it is counted, by tshark and by us alike: the interface id is not part of a connection's
/// key, so both copies belong to one connection (tshark's conversation table has one row, with
/// twice the frames and frame bytes of one port; `matches_tshark_conversations` checks ours
/// against it through `tests/golden/conv/mixed.pcapng.tsv`). Each second copy is, on the wire,
/// a retransmission (a segment that occupies sequence space: SYN, data, FIN) or a duplicate ACK
/// (a pure ACK), as Wireshark marks them too; so packets and frame bytes double, while payload
/// bytes count each byte once. The same request, recorded on one interface, is the second
/// connection of `web.pcapng` (same curl, same server, same path).
fn mixed_pcapng_counts_each_copy_once_as_data() {
    let (mixed, summary) = conns(&["captures/mixed.pcapng"]);
    assert_eq!(mixed.len(), 1, "one connection over both interfaces");
    assert_eq!(summary["tcp"], 1);
    let (web, _) = conns(&["captures/web.pcapng"]);
    let one = web.iter().find(|c| c["history"] == "ShADadFf" && n(&c["orig_bytes"]) == n(&mixed[0]["orig_bytes"]));
    let Some(one) = one else { panic!("web.pcapng has no single-interface twin of {}", mixed[0]) };
    let c = &mixed[0];
    for k in ["orig_pkts", "resp_pkts", "orig_frame_bytes", "resp_frame_bytes", "orig_ip_bytes", "resp_ip_bytes"] {
        assert_eq!(n(&c[k]), 2 * n(&one[k]), "{k}: twice the one-interface count");
    }
    for k in ["orig_bytes", "resp_bytes"] {
        assert_eq!(n(&c[k]), n(&one[k]), "{k}: payload counted once");
    }
    // Zeek's retransmission is a segment whose payload was seen (`update_last_seq` in
    // `TCPSessionAdapter.cc`): of the client's copies only the request's, of the server's the
    // response's two segments. The copied SYN, SYN-ACK and FINs and the duplicate pure ACKs
    // carry no payload.
    assert_eq!((n(&c["orig_retrans"]), n(&c["resp_retrans"])), (1, 2));
    assert_eq!((s(&c["conn_state"]), s(&c["orig_state"]), s(&c["resp_state"])), ("SF", "TIME_WAIT", "CLOSED"));
    // Zeek's history notes each direction's first retransmission after the letters of its
    // packet: T after the request's D, t after the response's d.
    assert_eq!(s(&c["history"]), "ShADTadtFf");
}

fn time_wait_expires_on_packet_time() {
    // The first connection ends 0.012 s in and the capture 0.32 s in: a 0.1 s TIME_WAIT runs out.
    let (list, _) = conns(&["--time-wait", "0.1", "captures/web.pcap"]);
    assert_eq!((s(&list[0]["end"]), s(&list[0]["orig_state"])), ("time_wait_expired", "CLOSED"));
    assert_eq!((s(&list[1]["end"]), s(&list[1]["resp_state"])), ("end_of_input", "TIME_WAIT"));
    let text = inspect_ok(["conns", "-V", "--time-wait", "0.1", "captures/web.pcap"]);
    assert!(text.contains("TIME_WAIT   -> CLOSED"), "{text}");
}

fn refused_connections_are_rej() {
    let (list, _) = conns(&["captures/refused.pcap"]);
    let ports: Vec<u64> = list.iter().map(|c| n(&c["id.resp_p"])).collect();
    assert_eq!(ports, vec![81, 8081]);
    for c in &list {
        assert_eq!((s(&c["conn_state"]), s(&c["history"])), ("REJ", "Sr"));
        assert_eq!((s(&c["orig_state"]), s(&c["resp_state"])), ("CLOSED", "CLOSED"));
    }
}

fn udp_flows_s0_and_sf() {
    let (list, summary) = conns(&["captures/udp-unreach.pcap"]);
    let udp: Vec<&Value> = list.iter().filter(|c| c["proto"] == "udp").collect();
    assert_eq!(udp.len(), 4);
    let states: Vec<(u64, &str)> = udp.iter().map(|c| (n(&c["id.resp_p"]), s(&c["conn_state"]))).collect();
    assert_eq!(states, vec![(9999, "S0"), (10000, "S0"), (33434, "S0"), (7, "SF")]);
    let echo = udp[3];
    assert_eq!((n(&echo["orig_bytes"]), n(&echo["resp_bytes"])), (11, 11), "'hello echo\\n' both ways");
    assert!(echo["orig_state"].is_null(), "no TCP states for UDP");
    assert_eq!(summary["udp"], 4);
}

fn synflood_filters_and_totals() {
    let (list, summary) = conns(&["captures/synflood.pcap"]);
    assert_eq!(list.len(), 303);
    assert_eq!((summary["conn_states"]["SF"].as_u64(), summary["conn_states"]["S0"].as_u64()), (Some(3), Some(300)));
    let (half, summary) = conns(&["--state", "SYN_SENT", "captures/synflood.pcap"]);
    assert_eq!((half.len(), n(&summary["matched"])), (300, 300));
    let (mine, _) = conns(&["--host", "10.0.0.1", "captures/synflood.pcap"]);
    assert_eq!(mine.len(), 3);
    let (sf, _) = conns(&["--state", "sf", "--port", "80", "captures/synflood.pcap"]);
    assert_eq!(sf.len(), 3);
    let text = inspect_ok(["conns", "--max-rows", "10", "captures/synflood.pcap"]);
    assert!(text.contains("\n293 more connections not listed"), "{}", lines_with(&text, "not listed"));
}

/// The lines under the table say "1 more connection" and "3 of 303 connections".
fn unlisted_and_filtered_counts_agree_with_their_nouns() {
    let text = inspect_ok(["conns", "--max-rows", "302", "captures/synflood.pcap"]);
    assert!(text.contains("\n1 more connection not listed"), "{}", lines_with(&text, "not listed"));
    let text = inspect_ok(["conns", "--host", "10.0.0.1", "captures/synflood.pcap"]);
    assert!(text.contains("\nFilter: host 10.0.0.1 (3 of 303 connections match)"), "{}", lines_with(&text, "Filter"));
}

fn eviction_keeps_every_packet_accounted() {
    let (list, summary) = conns(&["--max-conns", "10", "captures/synflood.pcap"]);
    let tcp_frames: u64 = 336;
    let pkts: u64 = list.iter().map(|c| n(&c["orig_pkts"]) + n(&c["resp_pkts"])).sum();
    assert_eq!(pkts, tcp_frames, "each TCP packet in exactly one reported connection");
    let evicted = list.iter().filter(|c| c["end"] == "evicted").count() as u64;
    assert!(evicted >= 290, "{evicted}");
    assert_eq!(n(&summary["evicted"]), evicted);
    assert!(n(&summary["peak"]) <= 10);
    let text = inspect_ok(["read", "-q", "--max-conns", "10", "captures/synflood.pcap"]);
    assert!(text.contains(&format!("{evicted} evicted")), "{text}");
}

fn replays_give_identical_output() {
    let a = inspect_ok(["conns", "--format", "json", "captures/synflood.pcap", "captures/web.pcap"]);
    let b = inspect_ok(["conns", "--format", "json", "captures/synflood.pcap", "captures/web.pcap"]);
    assert_eq!(a, b);
}

// ---- generated packet sequences -----------------------------------------------------------------

/// An Ethernet/IPv4/TCP frame carrying `len` payload bytes.
#[allow(clippy::too_many_arguments)]
fn seg(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, len: usize) -> Vec<u8> {
    tcp(src, sport, dst, dport).flags(flags).seq(seq).ack(ack).payload(len).frame()
}

/// Writes a classic microsecond pcap of `(seconds, frame)` records as `name` in `dir`.
fn write_pcap(dir: &TempDir, name: &str, frames: &[(f64, Vec<u8>)]) -> std::path::PathBuf {
    let mut pcap = Pcap::micro();
    for (t, f) in frames {
        pcap.add(secs(*t), f);
    }
    pcap.write(dir, name)
}

const C: [u8; 4] = [192, 0, 2, 1];
const S: [u8; 4] = [192, 0, 2, 2];

fn run_file(p: &Path, extra: &[&str]) -> Vec<Value> {
    let path = p.to_string_lossy().to_string();
    let mut args: Vec<&str> = extra.to_vec();
    args.push(&path);
    conns(&args).0
}

fn half_open_expires_and_filters_as_syn_rcvd() {
    let dir = TempDir::new("tcp-halfopen");
    // SYN, SYN-ACK, no ACK; then 10 s later an unrelated connection attempt.
    let p = write_pcap(
        &dir,
        "halfopen.pcap",
        &[
            (100.0, seg(C, S, 40000, 80, 1000, 0, SYN, 0)),
            (100.001, seg(S, C, 80, 40000, 5000, 1001, SYN | ACK, 0)),
            (110.0, seg(C, S, 40001, 80, 7000, 0, SYN, 0)),
        ],
    );
    let list = run_file(&p, &["--half-open-timeout", "5", "--syn-timeout", "30", "--state", "SYN_RCVD"]);
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!((s(&c["orig_state"]), s(&c["resp_state"])), ("ESTABLISHED", "SYN_RCVD"));
    assert_eq!((s(&c["end"]), s(&c["history"])), ("half_open_timeout", "Sh"));
    // Without the filter the lone SYN is still open at the end (30 s SYN timeout): S0.
    let all = run_file(&p, &["--half-open-timeout", "5", "--syn-timeout", "30"]);
    let states: Vec<&str> = all.iter().map(|c| s(&c["conn_state"])).collect();
    assert_eq!(states, vec!["S1", "S0"]);
    // A 5 s SYN timeout and a later packet: the unanswered SYN expires.
    let p = write_pcap(
        &dir,
        "syn.pcap",
        &[(1.0, seg(C, S, 40000, 80, 1000, 0, SYN, 0)), (9.0, seg(C, S, 40001, 81, 1, 0, SYN, 0))],
    );
    let list = run_file(&p, &["--syn-timeout", "5"]);
    assert_eq!((s(&list[0]["end"]), s(&list[0]["conn_state"])), ("syn_timeout", "S0"));
    assert_eq!(s(&list[1]["end"]), "end_of_input");
}

fn idle_connection_expires() {
    let dir = TempDir::new("tcp-idle");
    let p = write_pcap(
        &dir,
        "idle.pcap",
        &[
            (0.0, seg(C, S, 40000, 80, 1000, 0, SYN, 0)),
            (0.1, seg(S, C, 80, 40000, 5000, 1001, SYN | ACK, 0)),
            (0.2, seg(C, S, 40000, 80, 1001, 5001, ACK, 0)),
            (20.0, seg(C, S, 40001, 80, 1, 0, SYN, 0)),
            // Back on the first connection after it expired: a new, mid-stream connection.
            (21.0, seg(C, S, 40000, 80, 1001, 5001, PSH | ACK, 10)),
        ],
    );
    let list = run_file(&p, &["--idle-timeout", "10"]);
    assert_eq!(list.len(), 3);
    assert_eq!((s(&list[0]["end"]), s(&list[0]["conn_state"])), ("idle_timeout", "S1"));
    let again = list.iter().find(|c| c["mid_stream"] == true).expect("mid-stream connection");
    assert_eq!((n(&again["id.orig_p"]), s(&again["conn_state"]), s(&again["history"])), (40000, "OTH", "D"));
}

fn new_syn_after_close_starts_a_new_connection() {
    let dir = TempDir::new("tcp-reuse");
    let p = write_pcap(
        &dir,
        "reuse.pcap",
        &[
            (1.0, seg(C, S, 40000, 80, 1000, 0, SYN, 0)),
            (1.1, seg(S, C, 80, 40000, 0, 1001, RST | ACK, 0)),
            (2.0, seg(C, S, 40000, 80, 9000, 0, SYN, 0)),
            (2.1, seg(S, C, 80, 40000, 5000, 9001, SYN | ACK, 0)),
            (2.2, seg(C, S, 40000, 80, 9001, 5001, ACK, 0)),
        ],
    );
    let list = run_file(&p, &[]);
    let got: Vec<(&str, &str, &str)> = list.iter().map(|c| (s(&c["conn_state"]), s(&c["history"]), s(&c["end"]))).collect();
    assert_eq!(got, vec![("REJ", "Sr", "reused"), ("S1", "ShA", "end_of_input")]);
    assert_ne!(list[0]["uid"], list[1]["uid"]);
}

/// A connection picked up mid-stream: Zeek guesses the originator from the ports
/// (`WantConnection` in `src/packet_analysis/protocol/tcp/TCP.cc`): the first packet coming from
/// a likely server port (80) makes its receiver the originator, noted `^`; between two ports that
/// are not, the first sender is the originator.
fn mid_stream_start_takes_zeeks_originator() {
    let dir = TempDir::new("tcp-mid");
    // Data from the server first, then the client answers and both close.
    let p = write_pcap(
        &dir,
        "mid.pcap",
        &[
            (1.0, seg(S, C, 80, 40000, 5000, 1000, PSH | ACK, 100)),
            (1.1, seg(C, S, 40000, 80, 1000, 5100, ACK, 0)),
            (1.2, seg(C, S, 40000, 80, 1000, 5100, FIN | ACK, 0)),
            (1.3, seg(S, C, 80, 40000, 5100, 1001, FIN | ACK, 0)),
            (1.4, seg(C, S, 40000, 80, 1001, 5101, ACK, 0)),
            // The same between two ports Zeek knows no server on.
            (2.0, seg(S, C, 41000, 40000, 5000, 1000, PSH | ACK, 100)),
            (2.1, seg(C, S, 40000, 41000, 1000, 5100, ACK, 0)),
        ],
    );
    let list = run_file(&p, &[]);
    let port = |p: u64| list.iter().find(|c| n(&c["id.orig_p"]) == p || n(&c["id.resp_p"]) == p).expect("connection");
    let c = port(80);
    assert_eq!(c["mid_stream"], true);
    assert_eq!((s(&c["id.orig_h"]), n(&c["id.orig_p"]), n(&c["id.resp_p"])), ("192.0.2.1", 40000, 80));
    assert_eq!((s(&c["orig_state"]), s(&c["resp_state"])), ("TIME_WAIT", "CLOSED"));
    // Both ends partial (no SYN), then both closed: SF (`conn_state`).
    assert_eq!((s(&c["history"]), s(&c["conn_state"])), ("^dAFf", "SF"));
    let c = port(41000);
    assert_eq!((s(&c["id.orig_h"]), n(&c["id.orig_p"]), s(&c["history"]), s(&c["conn_state"])), ("192.0.2.2", 41000, "Da", "OTH"));
    let text = inspect_ok(["conns", &p.to_string_lossy()]);
    assert!(text.contains("already open when the capture began"), "{text}");
}

fn bad_state_is_a_usage_error() {
    let run = inspect(["conns", "--state", "NOPE", "x.pcap"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("unknown state 'NOPE'"), "{}", run.stderr);
}

/// `conns` shows the table of connections, never packets: it takes none of the packet views'
/// options (-x, -e, -S).
fn conns_help_has_no_packet_view_options() {
    let help = inspect_ok(["conns", "--help"]);
    let options = help_options(&help);
    for wanted in ["--max-conns", "--state", "--host", "--port", "--max-rows", "--format"] {
        assert!(options.iter().any(|o| o == wanted), "conns --help lacks {wanted}: {options:?}");
    }
    for unwanted in ["-x", "-e", "-S", "--absolute-tcp-sequence-numbers", "-q", "--quiet"] {
        assert!(!options.iter().any(|o| o == unwanted), "conns --help shows {unwanted}:\n{help}");
    }
    for unwanted in ["-x", "-e", "-S"] {
        let run = inspect(["conns", unwanted, "captures/web.pcap"]);
        assert_eq!(run.code, Some(2), "conns {unwanted}: {}", run.stderr);
    }
}

/// The totals of the "Connections" section of a text run (through its "Left the table" line,
/// without the table of connections that follows when packets are shown).
fn conn_section(out: &str) -> String {
    let Some((_, s)) = out.split_once("\nConnections:") else { return String::new() };
    let mut kept = String::new();
    for line in s.lines() {
        kept.push_str(line);
        kept.push('\n');
        if line.starts_with("Left the table:") {
            break;
        }
    }
    kept
}

/// `read -q` keeps only counts and, at the end, counts what is left in the table in one pass in
/// table order; `read` builds every record and drains the table in expiry order. Both must give
/// the same section, including for connections that expired after the last sweep (1 s of
/// packet time) but before the last packet, with packet times out of order.
fn counts_only_end_of_run_matches_the_records_path() {
    let dir = TempDir::new("tcp-ends");
    let p = write_pcap(
        &dir,
        "ends.pcap",
        &[
            // Established at 0 s, idle from then on: expires (idle 10 s) at the sweep at 90 s.
            (0.0, seg(C, S, 41000, 80, 1000, 0, SYN, 0)),
            (0.1, seg(S, C, 80, 41000, 5000, 1001, SYN | ACK, 0)),
            (0.2, seg(C, S, 41000, 80, 1001, 5001, ACK, 0)),
            // Established and last seen at 80.4 s: expired by the last packet (90.9 s) but after
            // the last sweep (90.0 s), so the end of the run finds it.
            (80.2, seg(C, S, 41001, 80, 1000, 0, SYN, 0)),
            (80.3, seg(S, C, 80, 41001, 5000, 1001, SYN | ACK, 0)),
            (80.4, seg(C, S, 41001, 80, 1001, 5001, ACK, 0)),
            // A lone SYN at 85 s (syn timeout 5 s): expired at the end, not at a sweep.
            (85.5, seg(C, S, 41002, 80, 1, 0, SYN, 0)),
            (90.0, seg(C, S, 41003, 80, 1, 0, SYN, 0)),
            // Out of order: older than the packet before it.
            (89.0, seg(C, S, 41004, 80, 1, 0, SYN, 0)),
            // Closed both ways, then TIME_WAIT runs out before the end.
            (86.0, seg(C, S, 41005, 80, 1000, 0, SYN, 0)),
            (86.1, seg(S, C, 80, 41005, 5000, 1001, SYN | ACK, 0)),
            (86.2, seg(C, S, 41005, 80, 1001, 5001, ACK, 0)),
            (86.3, seg(C, S, 41005, 80, 1001, 5001, FIN | ACK, 0)),
            (86.4, seg(S, C, 80, 41005, 5001, 1002, FIN | ACK, 0)),
            (86.5, seg(C, S, 41005, 80, 1002, 5002, ACK, 0)),
            (90.9, seg(C, S, 41006, 80, 1, 0, SYN, 0)),
        ],
    );
    let path = p.to_string_lossy().to_string();
    let opts = ["--idle-timeout", "10", "--syn-timeout", "5", "--time-wait", "4"];
    let mut quiet = vec!["read", "-q"];
    quiet.extend(opts);
    quiet.push(&path);
    let mut full = vec!["read"];
    full.extend(opts);
    full.push(&path);
    let quiet_out = inspect_ok(&quiet);
    let (q, f) = (conn_section(&quiet_out), conn_section(&inspect_ok(&full)));
    assert!(!q.is_empty(), "no Connections section in:\n{quiet_out}");
    // -q keeps the counts and leaves out the tables.
    let counts = |s: &str| s.lines().filter(|l| !l.starts_with(['┌', '│', '╞', '└'])).collect::<Vec<_>>().join("\n");
    assert_eq!(counts(&q), counts(&f));
    assert!(!q.contains('┌') && f.contains('┌'));
    for end in ["idle_timeout", "syn_timeout", "time_wait_expired", "end_of_input"] {
        assert!(q.contains(end), "{end} missing from:\n{q}");
    }
}
