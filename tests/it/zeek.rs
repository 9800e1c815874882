//! Connection records that agree with Zeek's conn.log, rule by rule, on real bytes: the captures
//! `scripts/record_captures.sh` records for these rules (described in `captures/README.md`),
//! files of the corpus that show a rule, and exact sequences built with etherparse.
//!
//! Zeek cannot be installed here and Zeek's own test traces are not in the corpus, so the
//! expected values are derived from Zeek's rules in its source (each test names the function or
//! script it holds); where a Zeek test baseline gives a connection's fields, the sequence built
//! here follows that connection and the test compares with the baseline's fields. Every thread
//! count gives these captures' records alike (`threads.rs` runs every capture of `captures/`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use serde_json::Value;

use inspect::source::file::FileSource;

use crate::support::frames::{tcp, ACK, FIN, PSH, RST, SYN};
use crate::support::pcap::{secs, Pcap};
use crate::support::{inspect_ok, json_lines, n, root, s, Need, Test, TempDir, CORPUS};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(a_reused_four_tuple_starts_a_new_connection),
        trial!(keepalives_and_repeated_control_segments_are_not_retransmissions),
        trial!(a_rst_after_both_ends_closed_keeps_sf),
        trial!(the_fin_rst_baseline_sequence_keeps_sf),
        trial!(one_sided_connections_are_sh_shr_and_s0),
        trial!(a_connection_picked_up_mid_stream_takes_zeeks_originator),
        trial!(a_synack_first_is_flipped_as_zeek_does),
        trial!(udp_from_a_server_port_is_flipped, Need::Corpus),
        trial!(a_rst_with_payload_is_zeeks_retransmission, Need::Corpus),
        trial!(icmp_messages_are_flows_as_zeek_pairs_them),
        trial!(icmpv6_messages_are_flows_too, Need::Corpus),
        trial!(acknowledged_data_never_seen_is_a_content_gap),
        trial!(a_segment_the_capture_missed_is_a_gap),
        trial!(the_miss_end_data_baseline_sequence_has_its_gap),
        trial!(tunneled_connections_are_tshark_conversations),
        trial!(connections_over_802_11_are_those_of_ethernet),
        trial!(a_packet_five_seconds_after_the_close_starts_a_new_connection),
        trial!(syns_five_seconds_after_the_first_start_a_new_attempt),
        trial!(a_half_closed_connection_lasts_zeeks_inactivity_timeout),
        trial!(a_rst_after_its_own_fin_ends_by_zeeks_expire_timer),
        trial!(dns_over_udp_ends_by_zeeks_dns_session_timer),
        trial!(a_dns_response_first_flips_the_roles),
        trial!(tunnels_are_logged_as_zeek_tunnel_log_does),
        trial!(arubas_gre_carries_its_stations_connections),
        trial!(each_a_msdu_subframe_is_a_packet),
        trial!(an_a_msdu_of_a_thousand_subframes_is_read_to_its_end),
        trial!(fragmented_datagrams_count_once_whole),
    ]
}

/// The `conn` records of `inspect conns --format json ARGS`, in the order they left the table.
fn conns(args: &[&str]) -> Vec<Value> {
    let mut a = vec!["conns", "--format", "json", "--max-rows", "0"];
    a.extend_from_slice(args);
    json_lines(&inspect_ok(&a)).into_iter().filter(|v| v["event_type"] == "conn").collect()
}

/// The records with an end on port `port`, by start time.
fn on_port(list: &[Value], port: u64) -> Vec<&Value> {
    let mut v: Vec<&Value> = list.iter().filter(|c| n(&c["id.orig_p"]) == port || n(&c["id.resp_p"]) == port).collect();
    v.sort_by(|a, b| a["ts"].as_f64().partial_cmp(&b["ts"].as_f64()).unwrap_or(std::cmp::Ordering::Equal));
    v
}

/// (conn_state, history, orig_pkts, resp_pkts) of a record.
fn summary(c: &Value) -> (&str, &str, u64, u64) {
    (s(&c["conn_state"]), s(&c["history"]), n(&c["orig_pkts"]), n(&c["resp_pkts"]))
}

/// Port reuse (`TCPSessionAdapter::IsReuse`, called for every packet of a known four-tuple in
/// `IPBasedAnalyzer::AnalyzePacket`): once either end closed the connection with a FIN or a RST,
/// a SYN on its four-tuple starts a new connection with a uid of its own, even one with the
/// old sequence number. `captures/reuse.pcap`: three SYNs from port 40000 with one sequence
/// number to a closed port, each refused; a refused and then an answered connection from port
/// 40001; two complete connections in a row from port 40002.
fn a_reused_four_tuple_starts_a_new_connection() {
    let list = conns(&["captures/reuse.pcap"]);
    assert_eq!(list.len(), 7, "{list:?}");
    let rejected = on_port(&list, 40000);
    assert_eq!(rejected.len(), 3, "three SYNs with one ISN, three connections");
    for c in &rejected {
        assert_eq!(summary(c), ("REJ", "Sr", 1, 1));
    }
    let one = on_port(&list, 40001);
    assert_eq!(one.iter().map(|c| summary(c).0).collect::<Vec<_>>(), ["REJ", "SF"]);
    assert_eq!(summary(one[1]).1, "ShADadFf");
    let two = on_port(&list, 40002);
    assert_eq!(two.iter().map(|c| summary(c)).collect::<Vec<_>>(), [("SF", "ShADadfF", 5, 5), ("SF", "ShADadfF", 5, 5)]);
    let mut uids: Vec<&str> = list.iter().map(|c| s(&c["uid"])).collect();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), 7, "each connection has its own uid");
    let reused = list.iter().filter(|c| c["end"] == "reused").count();
    assert_eq!(reused, 4, "every connection but the last of each four-tuple left for its successor");
}

/// Retransmissions (`update_last_seq` in `TCPSessionAdapter.cc`, `TCP_Endpoint::DidRxmit`): a
/// segment with payload ending at or before the highest sequence number seen. Keep-alive probes
/// (the last byte's sequence number, no payload, as Linux sends them) and their answers carry
/// no payload, so `captures/keepalive.pcap` has no `T`/`t` and no retransmission counted,
/// though tshark marks the probes (its check in `scripts/record_captures.sh`).
fn keepalives_and_repeated_control_segments_are_not_retransmissions() {
    let list = conns(&["captures/keepalive.pcap"]);
    let c = on_port(&list, 9000)[0];
    assert_eq!(summary(c), ("SF", "ShADadFf", 9, 7));
    assert_eq!((n(&c["orig_retrans"]), n(&c["resp_retrans"])), (0, 0));
    // Built: a data segment resent twice, a repeated FIN, a duplicate ACK: one T (its
    // count of 2 scaled: a letter at the first and the tenth), only the data counted.
    let dir = TempDir::new("zeek-rxmit");
    let (c_, s_) = ([192, 0, 2, 1], [192, 0, 2, 2]);
    let seg = |from_c: bool, flags: u8, seq: u32, ack: u32, len: usize| {
        if from_c {
            tcp(c_, 40000, s_, 5000).flags(flags).seq(seq).ack(ack).payload(len).frame()
        } else {
            tcp(s_, 5000, c_, 40000).flags(flags).seq(seq).ack(ack).payload(len).frame()
        }
    };
    let frames = [
        seg(true, SYN, 100, 0, 0),
        seg(false, SYN | ACK, 900, 101, 0),
        seg(true, ACK, 101, 901, 0),
        seg(true, PSH | ACK, 101, 901, 50),
        seg(true, PSH | ACK, 101, 901, 50),
        seg(true, PSH | ACK, 101, 901, 50),
        seg(false, ACK, 901, 151, 0),
        seg(false, ACK, 901, 151, 0),
        seg(true, FIN | ACK, 151, 901, 0),
        seg(true, FIN | ACK, 151, 901, 0),
        seg(false, FIN | ACK, 901, 152, 0),
        seg(true, ACK, 152, 902, 0),
    ];
    let p = write(&dir, "rxmit.pcap", &frames);
    let c = &conns(&[&p])[0];
    assert_eq!(summary(c), ("SF", "ShADTaFf", 8, 4));
    assert_eq!((n(&c["orig_retrans"]), n(&c["resp_retrans"]), n(&c["orig_bytes"])), (2, 0, 50));
}

/// A RST on a connection both ends closed with their FINs leaves it SF (`UpdateClosedState`: a
/// closed endpoint takes the RST only while its peer has not closed). `captures/keepalive.pcap`:
/// the connection on port 40004 closes both ways, then the client sends a RST.
fn a_rst_after_both_ends_closed_keeps_sf() {
    let list = conns(&["captures/keepalive.pcap"]);
    let c = on_port(&list, 40004);
    assert_eq!(c.len(), 1, "the RST is no new connection");
    assert_eq!(summary(c[0]), ("SF", "ShADadfFR", 6, 5));
}

/// The baseline of Zeek's `testing/btest/core/tcp/fin-rst-timeout.zeek` (a PostgreSQL session
/// whose ends each send a FIN and then a RST) reads history `ShADadtFRfr`, conn_state SF: the
/// originator's RST after its FIN resets it while the responder is open, and the responder's
/// FIN then turns that back into a close (`UpdateEstablishedState`). The same sequence, built.
fn the_fin_rst_baseline_sequence_keeps_sf() {
    let dir = TempDir::new("zeek-finrst");
    let (c_, s_) = ([192, 168, 123, 132], [52, 200, 36, 167]);
    let seg = |from_c: bool, flags: u8, seq: u32, ack: u32, len: usize| {
        if from_c {
            tcp(c_, 36934, s_, 5432).flags(flags).seq(seq).ack(ack).payload(len).frame()
        } else {
            tcp(s_, 5432, c_, 36934).flags(flags).seq(seq).ack(ack).payload(len).frame()
        }
    };
    let frames = [
        seg(true, SYN, 1000, 0, 0),
        seg(false, SYN | ACK, 5000, 1001, 0),
        seg(true, ACK, 1001, 5001, 0),
        seg(true, PSH | ACK, 1001, 5001, 8),
        seg(false, ACK, 5001, 1009, 0),
        seg(false, PSH | ACK, 5001, 1009, 20),
        // The server's answer again: a retransmission.
        seg(false, PSH | ACK, 5001, 1009, 20),
        seg(true, FIN | ACK, 1009, 5021, 0),
        seg(true, RST, 1010, 0, 0),
        seg(false, FIN | ACK, 5021, 1010, 0),
        seg(false, RST, 5022, 0, 0),
    ];
    let p = write(&dir, "finrst.pcap", &frames);
    let c = &conns(&[&p])[0];
    assert_eq!((s(&c["conn_state"]), s(&c["history"])), ("SF", "ShADadtFRfr"));
}

/// What a tap sees of one direction only (`conn_state` in `base/protocols/conn/main.zeek`, on
/// Zeek's endpoint states): the client's packets alone leave the responder inactive, so SH
/// once the client's FIN is seen (S0 before it); the server's alone start with its SYN-ACK
/// from port 80, a likely server port, so Zeek makes the client the originator (`^`,
/// `WantConnection`), which stays inactive: SHR. `captures/half-duplex.pcap`.
fn one_sided_connections_are_sh_shr_and_s0() {
    let list = conns(&["captures/half-duplex.pcap"]);
    let client = on_port(&list, 40010)[0];
    assert_eq!(summary(client), ("SH", "SADF", 7, 0));
    let server = on_port(&list, 40011)[0];
    assert_eq!(summary(server), ("SHR", "^hadf", 0, 5));
    assert_eq!((s(&server["id.orig_h"]), n(&server["id.orig_p"]), n(&server["id.resp_p"])), ("10.0.0.1", 40011, 80));
    // The client's packets up to the FIN: S0.
    let dir = TempDir::new("zeek-s0");
    let (c_, s_) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let frames = [
        tcp(c_, 40010, s_, 80).flags(SYN).seq(100).frame(),
        tcp(c_, 40010, s_, 80).flags(ACK).seq(101).ack(901).frame(),
        tcp(c_, 40010, s_, 80).flags(PSH | ACK).seq(101).ack(901).payload(81).frame(),
    ];
    let p = write(&dir, "s0.pcap", &frames);
    assert_eq!(summary(&conns(&[&p])[0]), ("S0", "SAD", 3, 0));
}

/// A connection picked up a second after it opened (`captures/midstream.pcap`, the server on
/// port 443 sending a line every 0.2 s): whichever packet comes first, Zeek takes the client for
/// the originator (`WantConnection`: a first packet from 443, a likely server port, is flipped,
/// `^`; one to it is not); both ends are partial, then closed: SF.
fn a_connection_picked_up_mid_stream_takes_zeeks_originator() {
    let list = conns(&["captures/midstream.pcap"]);
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!((s(&c["id.orig_h"]), n(&c["id.resp_p"]), &c["mid_stream"]), ("10.0.0.1", 443, &Value::Bool(true)));
    assert_eq!(s(&c["conn_state"]), "SF");
    let h = s(&c["history"]);
    assert!(h.starts_with("^d") || h.starts_with('A'), "{h}");
    let text = inspect_ok(["conns", "captures/midstream.pcap"]);
    assert!(text.contains("the originator is a guess, Zeek's"), "{text}");
}

/// A SYN-ACK seen first (`WantConnection`, zeek/zeek#2191): from a likely server port to another
/// port it is flipped at once; between two likely server ports (80 and IRC's 6669) it is not,
/// until an ACK or data follows and Zeek flips it then. The second case is the connection of
/// Zeek's `testing/btest/core/tcp/flip-without-syn.zeek` (`http-on-irc-port-missing-syn`),
/// built from its baseline's fields: originator 141.142.228.5:6669, responder
/// 192.150.187.43:80, history `^hADadFf`, conn_state SF, 6 and 7 packets, 136 and 5007 bytes.
fn a_synack_first_is_flipped_as_zeek_does() {
    let dir = TempDir::new("zeek-flip");
    let (c_, s_) = ([141, 142, 228, 5], [192, 150, 187, 43]);
    let seg = |from_c: bool, flags: u8, seq: u32, ack: u32, len: usize| {
        if from_c {
            tcp(c_, 6669, s_, 80).flags(flags).seq(seq).ack(ack).payload(len).frame()
        } else {
            tcp(s_, 80, c_, 6669).flags(flags).seq(seq).ack(ack).payload(len).frame()
        }
    };
    let (c0, s0) = (1000u32, 50_000u32);
    let mut frames = vec![
        seg(false, SYN | ACK, s0, c0 + 1, 0),
        seg(true, ACK, c0 + 1, s0 + 1, 0),
        seg(true, PSH | ACK, c0 + 1, s0 + 1, 136),
        seg(false, ACK, s0 + 1, c0 + 137, 0),
    ];
    let mut at = s0 + 1;
    for len in [1448u32, 1448, 1448, 663] {
        frames.push(seg(false, PSH | ACK, at, c0 + 137, len as usize));
        at += len;
    }
    frames.insert(6, seg(true, ACK, c0 + 137, s0 + 1 + 2 * 1448, 0));
    frames.push(seg(true, ACK, c0 + 137, at, 0));
    frames.push(seg(true, FIN | ACK, c0 + 137, at, 0));
    frames.push(seg(false, FIN | ACK, at, c0 + 138, 0));
    frames.push(seg(true, ACK, c0 + 138, at + 1, 0));
    let p = write(&dir, "irc-port.pcap", &frames);
    let c = &conns(&[&p])[0];
    assert_eq!((s(&c["id.orig_h"]), n(&c["id.orig_p"]), s(&c["id.resp_h"]), n(&c["id.resp_p"])), ("141.142.228.5", 6669, "192.150.187.43", 80));
    assert_eq!(summary(c), ("SF", "^hADadFf", 6, 7));
    assert_eq!((n(&c["orig_bytes"]), n(&c["resp_bytes"])), (136, 5007));
    // The same SYN-ACK from port 80 to an ephemeral port is flipped with the first packet; a
    // RST answering a SYN-ACK between two ephemeral ports (a scan) is not flipped at all.
    let frames = [
        tcp(s_, 80, c_, 40000).flags(SYN | ACK).seq(7).ack(1001).frame(),
        tcp(s_, 41000, c_, 40001).flags(SYN | ACK).seq(7).ack(1001).frame(),
        tcp(c_, 40001, s_, 41000).flags(RST).seq(1001).frame(),
    ];
    let p = write(&dir, "synack.pcap", &frames);
    let list = conns(&[&p]);
    let web = on_port(&list, 80)[0];
    assert_eq!((n(&web["id.orig_p"]), s(&web["history"]), s(&web["conn_state"])), (40000, "^h", "OTH"));
    let scan = on_port(&list, 41000)[0];
    assert_eq!((n(&scan["id.orig_p"]), s(&scan["history"]), s(&scan["conn_state"])), (41000, "Hr", "REJ"));
}

/// UDP (`UDPAnalyzer::WantConnection`): a datagram from a likely server port to a port that is
/// not makes its receiver the originator. The DHCP offers of the corpus's pcapng tests go from
/// port 67 to 68: Zeek logs the client as originator, `^d`, SHR (only the responder sent).
fn udp_from_a_server_port_is_flipped() {
    let path = format!("{CORPUS}/pcapng-le/basic/test001.pcapng");
    let list = conns(&[&path]);
    let ends = |c: &Value| (s(&c["id.orig_h"]).to_string(), n(&c["id.orig_p"]), s(&c["id.resp_h"]).to_string(), n(&c["id.resp_p"]));
    let offer = list.iter().find(|c| s(&c["id.resp_h"]) == "192.168.0.1").expect("the server's datagrams");
    assert_eq!(ends(offer), ("192.168.0.10".into(), 68, "192.168.0.1".into(), 67));
    assert_eq!(summary(offer), ("SHR", "^d", 0, 2));
    // The client's broadcast from port 68 to 67 is not flipped (68 is no server port).
    let discover = list.iter().find(|c| s(&c["id.resp_h"]) == "255.255.255.255").expect("the broadcast");
    assert_eq!(ends(discover), ("0.0.0.0".into(), 68, "255.255.255.255".into(), 67));
    assert_eq!(summary(discover).1, "D");
}

/// A RST carrying payload (`tcp_rst_diag_payload.pcap` of tcpdump's tests): Zeek's `R`, and,
/// since a RST's payload is not part of the stream (`get_segment_len`), a segment that ends
/// where the highest one seen ended with payload: a retransmission for `update_last_seq`, `T`.
fn a_rst_with_payload_is_zeeks_retransmission() {
    let path = format!("{CORPUS}/tcpdump/tcp_rst_diag_payload.pcap");
    let c = &conns(&[&path])[0];
    assert_eq!((s(&c["history"]), n(&c["orig_retrans"])), ("RT", 1));
}

/// ICMP as Zeek keeps it (`ICMPAnalyzer::InitConnKey`, `ICMP4_counterpart`,
/// `ICMPSessionAdapter::UpdateLength`): `captures/ping.pcap` holds six echo requests of three
/// `ping` runs (three identifiers) and their replies, and one port unreachable. The echoes are
/// one flow, the type as originator port and the counterpart type as responder port, whatever
/// the identifiers, its bytes what follows each 8-byte header; the unreachable is a one-way flow
/// of its own, port the code; conn_state OTH, no history. With `--icmp-timeout 1` (Zeek's
/// `icmp_inactivity_timeout`) the echo flow ends in the 2.5 s pause before the last ping.
fn icmp_messages_are_flows_as_zeek_pairs_them() {
    let list = conns(&["captures/ping.pcap"]);
    let icmp: Vec<&Value> = list.iter().filter(|c| c["proto"] == "icmp").collect();
    assert_eq!(icmp.len(), 2, "{list:?}");
    let echo = icmp.iter().find(|c| n(&c["id.orig_p"]) == 8).expect("echo flow");
    assert_eq!((s(&echo["id.orig_h"]), s(&echo["id.resp_h"]), n(&echo["id.resp_p"])), ("10.0.0.1", "10.0.0.2", 0));
    assert_eq!(summary(echo), ("OTH", "", 6, 6));
    assert_eq!((n(&echo["orig_bytes"]), n(&echo["resp_bytes"]), n(&echo["orig_ip_bytes"])), (336, 336, 504));
    assert!(echo.get("orig_state").is_none(), "no TCP states for ICMP");
    let unreach = icmp.iter().find(|c| n(&c["id.orig_p"]) == 3).expect("unreachable flow");
    assert_eq!((s(&unreach["id.orig_h"]), s(&unreach["id.resp_h"]), n(&unreach["id.resp_p"])), ("10.0.0.2", "10.0.0.1", 3));
    assert_eq!(summary(unreach), ("OTH", "", 1, 0));
    let short = conns(&["--icmp-timeout", "1", "captures/ping.pcap"]);
    let echoes: Vec<&Value> = short.iter().filter(|c| c["proto"] == "icmp" && n(&c["id.orig_p"]) == 8).collect();
    assert_eq!(echoes.iter().map(|c| (n(&c["orig_pkts"]), s(&c["end"]))).collect::<Vec<_>>(), [(5, "icmp_timeout"), (1, "end_of_input")]);
    // The text shows them with TCP and UDP.
    let text = inspect_ok(["conns", "captures/ping.pcap"]);
    assert!(text.contains("Connections: 0 TCP, 1 UDP, 2 ICMP;"), "{text}");
    let summary = json_lines(&inspect_ok(["conns", "--format", "json", "captures/ping.pcap"]))
        .into_iter()
        .find(|v| v["event_type"] == "conn_summary")
        .expect("summary");
    assert_eq!((n(&summary["icmp"]), n(&summary["udp"])), (2, 1));
}

/// ICMPv6 (`ICMP6_counterpart`): a multicast listener report (143) has no counterpart, so it is
/// a one-way flow to its group with the code as port; router advertisements (134) pair with
/// solicitations (133); an echo request (128) is keyed with its reply (129).
fn icmpv6_messages_are_flows_too() {
    let list = conns(&[&format!("{CORPUS}/tcpdump/icmpv6.pcap")]);
    let ports: Vec<(u64, u64, u64)> =
        list.iter().filter(|c| c["proto"] == "icmp").map(|c| (n(&c["id.orig_p"]), n(&c["id.resp_p"]), n(&c["orig_pkts"]))).collect();
    assert!(ports.contains(&(143, 0, 3)), "{ports:?}");
    assert!(ports.contains(&(134, 133, 1)), "{ports:?}");
    let list = conns(&[&format!("{CORPUS}/tcpdump/ipv6-routing-header.pcap")]);
    assert!(list.iter().any(|c| c["proto"] == "icmp" && n(&c["id.orig_p"]) == 128 && n(&c["id.resp_p"]) == 129), "{list:?}");
}

/// Writes frames one millisecond apart into a microsecond pcap; its path.
fn write(dir: &TempDir, name: &str, frames: &[Vec<u8>]) -> String {
    let mut pcap = Pcap::micro();
    for (i, f) in frames.iter().enumerate() {
        pcap.add(secs(100.0 + i as f64 / 1000.0), f);
    }
    pcap.write(dir, name).to_string_lossy().to_string()
}

/// The rows of a tab-separated golden file, as maps from its header's names.
fn golden_rows(path: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    lines.map(|l| header.iter().map(|h| h.to_string()).zip(l.split('\t').map(str::to_string)).collect()).collect()
}

/// Content gaps (`TCP_Reassembler::AckReceived` → `Undelivered` → `Gap`; `TCP_Endpoint::Gap`
/// notes `G`/`g` through `ScaledHistoryEntry`; `content_gap` adds the bytes to `missed_bytes`
/// in `base/protocols/conn/main.zeek`): data the peer acknowledges that was never seen, while
/// both ends are established. `captures/web.pcap` with the server's response header on port
/// 80 and the client's request on port 8080 left out (`scripts/golden_gaps.sh` cuts the same
/// frames with editcap; tshark marks the ACKs of the lost data `ack_lost_segment`): each
/// connection misses exactly the bytes tshark lists, and the letter is the side that sent them.
fn acknowledged_data_never_seen_is_a_content_gap() {
    let golden = golden_rows("tests/golden/gaps/web-cut.tsv");
    let lost: Vec<&BTreeMap<String, String>> = golden.iter().filter(|r| r["kind"] == "lost").collect();
    assert_eq!(lost.len(), 2, "{golden:?}");
    assert!(golden.iter().any(|r| r["kind"] == "acked"), "tshark saw the lost data acknowledged");
    let drop: BTreeSet<u64> = lost.iter().map(|r| r["frame"].parse().expect("frame number")).collect();
    let mut pcap = Pcap::micro();
    let mut src = FileSource::open(&root().join("captures/web.pcap").to_string_lossy()).expect("captures/web.pcap");
    let _ = src.for_each(|f| {
        if !drop.contains(&f.number) {
            pcap.add(u64::try_from(f.ts.as_nanos()).expect("a time after 1970"), f.data);
        }
        ControlFlow::Continue(())
    });
    let dir = TempDir::new("zeek-gaps");
    let p = pcap.write(&dir, "web-cut.pcap").to_string_lossy().to_string();
    let list = conns(&[&p]);
    gaps_are_the_lost_bytes(&lost, &list);
    // Zeek's letters in Zeek's order: the ACK's own letters, then the gap it reveals, then the
    // data that follows the hole (`d`/`D` for the first payload seen from that side).
    let on = |port| on_port(&list, port).first().map(|c| s(&c["history"]).to_string());
    assert_eq!(on(80).as_deref(), Some("ShADagdFf"));
    assert_eq!(on(8080).as_deref(), Some("ShAaGdfF"));
}

/// Each connection of `list` that lost frames of `lost` (golden rows: four-tuple and payload
/// length) misses exactly their bytes, lettered once on the side that sent them.
fn gaps_are_the_lost_bytes(lost: &[&BTreeMap<String, String>], list: &[Value]) {
    for r in lost {
        let (sport, dport): (u64, u64) = (r["sport"].parse().unwrap(), r["dport"].parse().unwrap());
        let c = list
            .iter()
            .find(|c| [n(&c["id.orig_p"]), n(&c["id.resp_p"])] == [sport, dport] || [n(&c["id.orig_p"]), n(&c["id.resp_p"])] == [dport, sport])
            .unwrap_or_else(|| panic!("no connection for {r:?}: {list:?}"));
        let from_orig = s(&c["id.orig_h"]) == r["src"] && n(&c["id.orig_p"]) == sport;
        let missed: u64 = lost.iter().filter(|o| o["sport"] == r["sport"] || o["dport"] == r["sport"]).map(|o| o["len"].parse::<u64>().unwrap()).sum();
        assert_eq!(n(&c["missed_bytes"]), missed, "{c}");
        let history = s(&c["history"]);
        let (mine, other) = if from_orig { ('G', 'g') } else { ('g', 'G') };
        assert_eq!(history.matches(mine).count(), 1, "{history}");
        assert!(!history.contains(other), "{history}");
    }
}

/// `captures/streams-gap.pcap` (`captures/streams.pcap` without one 1448-byte segment of a
/// response, cut by editcap when it was recorded): the client's ACK of the lost segment is a
/// gap of its bytes (`scripts/golden_gaps.sh` records the lost frame and tshark's
/// `ack_lost_segment` ACKs); the segments the port-81 connection lost and retransmitted before
/// any ACK passed them are no gap.
fn a_segment_the_capture_missed_is_a_gap() {
    let golden = golden_rows("tests/golden/gaps/streams-gap.tsv");
    let lost: Vec<&BTreeMap<String, String>> = golden.iter().filter(|r| r["kind"] == "lost").collect();
    assert_eq!(lost.len(), 1, "{golden:?}");
    assert!(golden.iter().any(|r| r["kind"] == "acked"), "tshark saw the lost data acknowledged");
    let list = conns(&["captures/streams-gap.pcap"]);
    gaps_are_the_lost_bytes(&lost, &list);
    let others: u64 = on_port(&list, 81).iter().chain(on_port(&list, 9000).iter()).map(|c| n(&c["missed_bytes"])).sum();
    assert_eq!(others, 0, "{list:?}");
}

/// Zeek's baseline `testing/btest/Baseline/core.tcp.miss-end-data/conn.log` (trace
/// `tcp/miss_end_data.pcap`): an HTTP connection whose whole 2902-byte response was missed;
/// the client's ACK of the server's FIN reveals it (the FIN's own sequence number is no data,
/// `AckReceived`). Zeek logs SF, missed_bytes 2902, history ShADafgF, 5 and 4 packets. The
/// same sequence, built (the baseline's addresses and ports).
fn the_miss_end_data_baseline_sequence_has_its_gap() {
    let dir = TempDir::new("zeek-missend");
    let (c_, s_) = ([192, 168, 122, 230], [77, 238, 160, 184]);
    let seg = |from_c: bool, flags: u8, seq: u32, ack: u32, len: usize| {
        if from_c {
            tcp(c_, 60648, s_, 80).flags(flags).seq(seq).ack(ack).payload(len).frame()
        } else {
            tcp(s_, 80, c_, 60648).flags(flags).seq(seq).ack(ack).payload(len).frame()
        }
    };
    let frames = [
        seg(true, SYN, 1000, 0, 0),
        seg(false, SYN | ACK, 5000, 1001, 0),
        seg(true, ACK, 1001, 5001, 0),
        seg(true, PSH | ACK, 1001, 5001, 538),
        seg(false, ACK, 5001, 1539, 0),
        // The 2902 bytes of the response, 5001..7903, are not in the trace.
        seg(false, FIN | ACK, 7903, 1539, 0),
        seg(true, ACK, 1539, 7904, 0),
        seg(true, FIN | ACK, 1539, 7904, 0),
        seg(false, ACK, 7904, 1540, 0),
    ];
    let p = write(&dir, "missend.pcap", &frames);
    let c = &conns(&[&p])[0];
    assert_eq!(summary(c), ("SF", "ShADafgF", 5, 4));
    assert_eq!((n(&c["missed_bytes"]), n(&c["orig_bytes"])), (2902, 538));
}

/// The capture beside each golden file of `tests/golden/tunnels/`.
fn tunnel_captures() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(root().join("tests/golden/tunnels"))
        .expect("tests/golden/tunnels")
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".tsv")).map(str::to_string))
        .map(|name| {
            let inner = format!("captures/tunnels/{name}.pcap");
            let file = if root().join(&inner).exists() { inner } else { format!("captures/{name}.pcap") };
            (name, file)
        })
        .collect();
    v.sort();
    v
}

/// Tunnels and link shims decoded to the innermost packet (issue 28 rule 6; Zeek's packet
/// analyzers for IP in IP, GRE with PPTP and ERSPAN, VXLAN, Geneve, Teredo, AYIYA, GTP-U,
/// MPLS, PPPoE, VN-Tag, FabricPath): every TCP and UDP connection is one of tshark's
/// conversations (`scripts/golden_tunnels.sh`), inner ones and the outer UDP flows of tunnels
/// over UDP alike, with as many packets; and nothing else is a connection.
fn tunneled_connections_are_tshark_conversations() {
    let files = tunnel_captures();
    assert_eq!(files.len(), 20 + 2, "{files:?}");
    for (name, file) in files {
        let want: BTreeSet<(String, String, String, u64)> = golden_rows(&format!("tests/golden/tunnels/{name}.tsv"))
            .into_iter()
            .map(|r| {
                let (a, b) = (r["a"].clone(), r["b"].clone());
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                (r["proto"].clone(), a, b, r["frames"].parse().expect("frames"))
            })
            .collect();
        let got: BTreeSet<(String, String, String, u64)> = conns(&[&file])
            .iter()
            .filter(|c| c["proto"] != "icmp")
            .map(|c| {
                let a = format!("{}:{}", s(&c["id.orig_h"]), n(&c["id.orig_p"]));
                let b = format!("{}:{}", s(&c["id.resp_h"]), n(&c["id.resp_p"]));
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                (s(&c["proto"]).to_string(), a, b, n(&c["orig_pkts"]) + n(&c["resp_pkts"]))
            })
            .collect();
        assert!(!want.is_empty(), "{name}: tshark lists no conversation");
        assert_eq!(got, want, "{file}: connections (left) and tshark's conversations (right)");
    }
}

/// The IP packets carried over 802.11 (Zeek's `IEEE802_11_Radio` packet analyzer skips the
/// radiotap header by its length; `IEEE802_11` skips management and control frames, data
/// subtypes without data and protected QoS data, reads 3 or 4 addresses and the QoS control,
/// and forwards LLC/SNAP's EtherType): every TCP and UDP connection is one of tshark's
/// conversations (`scripts/golden_tunnels.sh` into `tests/golden/wlan/`), with as many packets;
/// and each record equals, but for its link layer, the record of the Ethernet capture the
/// frames were taken from (`scripts/wrap_wlan.py`), as Zeek's conn.log does not depend on the
/// link. The beacon and the protected frame of `radiotap-web.pcap` make no connection.
fn connections_over_802_11_are_those_of_ethernet() {
    let fields = ["ts", "uid", "proto", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "conn_state", "history",
        "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "orig_bytes", "resp_bytes", "duration", "service"];
    let project = |list: Vec<Value>| -> Vec<Vec<Value>> {
        let mut v: Vec<Vec<Value>> = list.iter().map(|c| fields.iter().map(|f| c[*f].clone()).collect()).collect();
        v.sort_by_key(|r| r.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        v
    };
    for (name, original) in [("radiotap-web", "captures/web.pcap"), ("wlan-dns", "captures/dns.pcap"), ("prism-dns", "captures/dns.pcap")] {
        let file = format!("captures/wlan/{name}.pcap");
        let want: BTreeSet<(String, String, String, u64)> = golden_rows(&format!("tests/golden/wlan/{name}.tsv"))
            .into_iter()
            .map(|r| {
                let (a, b) = (r["a"].clone(), r["b"].clone());
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                (r["proto"].clone(), a, b, r["frames"].parse().expect("frames"))
            })
            .collect();
        let wlan = conns(&[&file]);
        let got: BTreeSet<(String, String, String, u64)> = wlan
            .iter()
            .map(|c| {
                let a = format!("{}:{}", s(&c["id.orig_h"]), n(&c["id.orig_p"]));
                let b = format!("{}:{}", s(&c["id.resp_h"]), n(&c["id.resp_p"]));
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                (s(&c["proto"]).to_string(), a, b, n(&c["orig_pkts"]) + n(&c["resp_pkts"]))
            })
            .collect();
        assert!(want.len() >= 2, "{name}: tshark lists {} conversations", want.len());
        assert_eq!(got, want, "{file}: connections (left) and tshark's conversations (right)");
        assert_eq!(project(wlan), project(conns(&[original])), "{file}: records differ from {original}'s");
    }
}

/// The frames of `file` (number, time in ns, bytes).
fn frames_of(file: &str) -> Vec<(u64, u64, Vec<u8>)> {
    let mut v = Vec::new();
    let mut src = FileSource::open(&root().join(file).to_string_lossy()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let _ = src.for_each(|f| {
        v.push((f.number, u64::try_from(f.ts.as_nanos()).expect("a time after 1970"), f.data.to_vec()));
        ControlFlow::Continue(())
    });
    v
}

/// Zeek's `tcp_close_delay` (5 s, `init-bare.zeek`): when a connection's close completes
/// (`TCPSessionAdapter::ConnectionClosed`: both ends sent a FIN, or one a RST), its
/// `ConnDeleteTimer` removes it 5 s after that packet, whatever comes later; a later packet on
/// the four-tuple makes a new connection with its own uid. The port-80 connection of
/// `captures/web.pcap` (closed by the server's FIN, frame 13), then its last ACK again 4 s
/// and 6 s after that FIN: the first copy belongs to the connection, the second starts another.
/// `--time-wait` sets the delay (Zeek's redef).
fn a_packet_five_seconds_after_the_close_starts_a_new_connection() {
    let frames = frames_of("captures/web.pcap");
    let conn: Vec<&(u64, u64, Vec<u8>)> = frames.iter().filter(|f| (3..=14).contains(&f.0)).collect();
    let close_ns = conn.iter().find(|f| f.0 == 13).expect("frame 13").1;
    let last_ack = &conn.last().expect("frame 14").2;
    let mut pcap = Pcap::micro();
    for (_, ns, b) in &conn {
        pcap.add(*ns, b);
    }
    pcap.add(close_ns + 4_000_000_000, last_ack);
    pcap.add(close_ns + 6_000_000_000, last_ack);
    let dir = TempDir::new("zeek-close-delay");
    let p = pcap.write(&dir, "late-ack.pcap").to_string_lossy().to_string();
    let base = conns(&["captures/web.pcap"]);
    let base = on_port(&base, 80)[0].clone();
    let list = conns(&[&p]);
    assert_eq!(list.len(), 2, "{list:?}");
    let (first, late) = (&list[0], &list[1]);
    assert_eq!(first["uid"], base["uid"], "the connection keeps its uid");
    assert_eq!((s(&first["conn_state"]), n(&first["orig_pkts"]), n(&first["resp_pkts"])), ("SF", n(&base["orig_pkts"]) + 1, n(&base["resp_pkts"])));
    assert_ne!(late["uid"], first["uid"]);
    assert_eq!((n(&late["orig_pkts"]), n(&late["resp_pkts"])), (1, 0), "{late}");
    let late_ts = late["ts"].as_f64().expect("ts");
    assert!((late_ts - (close_ns as f64 / 1e9 + 6.0)).abs() < 1e-5, "{late_ts}");
    // With Zeek's delay redefined to a minute, the late ACK still belongs to the connection.
    let long = conns(&["--time-wait", "60", &p]);
    assert_eq!(long.len(), 1, "{long:?}");
    assert_eq!(n(&long[0]["orig_pkts"]), n(&base["orig_pkts"]) + 2);
}

/// Zeek's `tcp_attempt_delay` (5 s, `init-bare.zeek`): the first SYN of a connection sets
/// `TCPSessionAdapter::AttemptTimer`, which 5 s later removes the connection if the responder
/// never answered (originator in SYN_SENT, responder inactive), however many SYNs came in
/// between; the next SYN, though it repeats the same sequence number, starts a new one. The
/// first SYN of `captures/refused.pcap` sent again as Linux retries it, 1, 3, 7 and 15 s after
/// the first: three attempts, of 3, 1 and 1 packets, each `S0`.
fn syns_five_seconds_after_the_first_start_a_new_attempt() {
    let frames = frames_of("captures/refused.pcap");
    let &(_, t0, ref syn) = frames.iter().find(|f| f.2.get(47) == Some(&0x02)).expect("a SYN alone");
    let mut pcap = Pcap::micro();
    for dt in [0u64, 1, 3, 7, 15] {
        pcap.add(t0 + dt * 1_000_000_000, syn);
    }
    let dir = TempDir::new("zeek-attempt-delay");
    let p = pcap.write(&dir, "syn-retries.pcap").to_string_lossy().to_string();
    let list = conns(&[&p]);
    let got: Vec<(&str, u64, u64)> = list.iter().map(|c| (s(&c["conn_state"]), n(&c["orig_pkts"]), n(&c["resp_pkts"]))).collect();
    assert_eq!(got, [("S0", 3, 0), ("S0", 1, 0), ("S0", 1, 0)], "{list:?}");
    let uids: BTreeSet<&str> = list.iter().map(|c| s(&c["uid"])).collect();
    assert_eq!(uids.len(), 3);
    let starts: Vec<f64> = list.iter().map(|c| c["ts"].as_f64().expect("ts") - t0 as f64 / 1e9).collect();
    for (got, want) in starts.iter().zip([0.0, 7.0, 15.0]) {
        assert!((got - want).abs() < 1e-5, "{starts:?}");
    }
    // Redefined to a minute, the five SYNs are one attempt.
    let long = conns(&["--syn-timeout", "60", &p]);
    assert_eq!(long.len(), 1, "{long:?}");
    assert_eq!(n(&long[0]["orig_pkts"]), 5);
}

/// The port-80 connection of `captures/web.pcap` (frames 3 to 14) written with the frames after
/// frame 12 (the client's FIN) replaced by `later_s` (a frame of it, seconds after frame 12) and
/// `extra` (bytes, ns after frame 12); returns the file's path.
fn web_with_pause(dir: &TempDir, name: &str, later_s: &[(u64, u64)], extra: &[(u64, Vec<u8>)]) -> String {
    let frames = frames_of("captures/web.pcap");
    let conn: Vec<&(u64, u64, Vec<u8>)> = frames.iter().filter(|f| (3..=14).contains(&f.0)).collect();
    let fin_ns = conn.iter().find(|f| f.0 == 12).expect("frame 12").1;
    let mut pcap = Pcap::micro();
    for (no, ns, b) in &conn {
        if *no <= 12 {
            pcap.add(*ns, b);
        }
    }
    let mut late: Vec<(u64, Vec<u8>)> = extra.iter().map(|(dt, b)| (fin_ns + dt, b.clone())).collect();
    for &(no, dt_s) in later_s {
        let f = conn.iter().find(|f| f.0 == no).expect("a frame of the connection");
        late.push((fin_ns + dt_s * 1_000_000_000, f.2.clone()));
    }
    late.sort_by_key(|l| l.0);
    for (ns, b) in &late {
        pcap.add(*ns, b);
    }
    pcap.write(dir, name).to_string_lossy().to_string()
}

/// Zeek's `tcp_inactivity_timeout` (5 min, `init-bare.zeek`; `Session::InactivityTimer`) is what
/// ends a half-closed connection: `TCPSessionAdapter::ExpireTimer` removes one only when an end
/// closed and the other was reset or never sent anything, and `PartialCloseTimer` runs only for
/// a `connection_partial_close` handler, which Zeek's base scripts lack. The port-80 connection
/// of `captures/web.pcap` with the server's FIN and the client's last ACK two minutes after the
/// client's FIN is still the one connection, `SF`; five minutes and a second after it, they
/// make a connection of their own.
fn a_half_closed_connection_lasts_zeeks_inactivity_timeout() {
    let dir = TempDir::new("zeek-half-closed");
    let base = conns(&["captures/web.pcap"]);
    let base = on_port(&base, 80)[0].clone();
    let p = web_with_pause(&dir, "two-minutes.pcap", &[(13, 120), (14, 120)], &[]);
    let list = conns(&[&p]);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["uid"], base["uid"]);
    assert_eq!(summary(&list[0]), summary(&base), "{}", list[0]);
    assert_eq!((n(&list[0]["orig_ip_bytes"]), n(&list[0]["resp_ip_bytes"])), (n(&base["orig_ip_bytes"]), n(&base["resp_ip_bytes"])));
    // A shorter timeout than Zeek's splits it.
    assert_eq!(conns(&["--half-open-timeout", "60", &p]).len(), 2);
    let p = web_with_pause(&dir, "five-minutes.pcap", &[(13, 301), (14, 301)], &[]);
    let list = conns(&[&p]);
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["uid"], base["uid"]);
    assert_eq!((s(&list[0]["end"]), n(&list[0]["orig_pkts"]), n(&list[0]["resp_pkts"])), ("half_open_timeout", 6, 4), "{}", list[0]);
    assert_eq!((n(&list[1]["orig_pkts"]), n(&list[1]["resp_pkts"])), (1, 1), "{}", list[1]);
}

/// Zeek's `TCPSessionAdapter::ConnectionClosed` runs for an end's first FIN or RST only: a RST
/// from the client after its own FIN, while the server is still open, completes no close, so no
/// `ConnDeleteTimer` runs; the `ExpireTimer` ends the connection once nothing came for
/// `tcp_connection_linger` (5 s). The port-80 connection of `captures/web.pcap` to the client's
/// FIN, a RST from the client, then the server's last data segment again 4, 8 and 12 s after the
/// FIN: one connection (with the delete timer it would have ended 5 s after the RST); the same
/// segment 30 s after the FIN starts another.
fn a_rst_after_its_own_fin_ends_by_zeeks_expire_timer() {
    let dir = TempDir::new("zeek-expire-timer");
    let rst = tcp([10, 0, 0, 1], 41710, [10, 0, 0, 2], 80).flags(RST).seq(827_377_063).frame();
    let data = [(10, 4), (10, 8), (10, 12)];
    let p = web_with_pause(&dir, "fin-rst.pcap", &data, &[(1_000_000, rst.clone())]);
    let list = conns(&[&p]);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!((n(&list[0]["orig_pkts"]), n(&list[0]["resp_pkts"])), (7, 7), "{}", list[0]);
    let p = web_with_pause(&dir, "fin-rst-late.pcap", &[(10, 4), (10, 30)], &[(1_000_000, rst)]);
    let list = conns(&[&p]);
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!((n(&list[0]["orig_pkts"]), n(&list[0]["resp_pkts"])), (7, 5), "{}", list[0]);
    assert_eq!((n(&list[1]["orig_pkts"]), n(&list[1]["resp_pkts"])), (0, 1), "{}", list[1]);
}

/// Zeek's DNS analyzer, on a UDP connection whose responder port is one of `DNS::ports`, runs
/// `DNS_Analyzer::ExpireTimer` `dns_session_timeout` (10 s, `init-bare.zeek`) after the start
/// and 10 s after each run; a run that finds the connection idle for 9 s removes it. Timers run
/// when a frame's time passes them, before that frame (`dispatch_packet`). The first query and
/// response of `captures/dns.pcap` (port 53076) sent again 8 s and 19 s later: alone in the
/// file, the run due at 10 s comes with the 19 s query, 11 s after the last packet, and the
/// third exchange is a connection of its own. With an ARP frame every half second the run at
/// 10 s finds 2 s idle, the next is due at 20 s, and an exchange at 17.5 s still belongs to
/// the connection. `--dns-timeout` sets the delay (Zeek's redef).
fn dns_over_udp_ends_by_zeeks_dns_session_timer() {
    let frames = frames_of("captures/dns.pcap");
    let pair: Vec<&(u64, u64, Vec<u8>)> = frames.iter().filter(|f| f.0 == 3 || f.0 == 4).collect();
    let arp = &frames.first().expect("an ARP frame").2;
    let t0 = pair[0].1;
    let write = |name: &str, at: &[u64], arp_every: Option<u64>| {
        let mut all: Vec<(u64, Vec<u8>)> = Vec::new();
        for &dt in at {
            for f in &pair {
                all.push((f.1 + dt, f.2.clone()));
            }
        }
        if let Some(step) = arp_every {
            let end = at.iter().max().copied().unwrap_or(0);
            all.extend((1..).map(|i| t0 + i * step).take_while(|t| *t < t0 + end).map(|t| (t, arp.clone())));
        }
        all.sort_by_key(|f| f.0);
        let mut pcap = Pcap::micro();
        for (ns, b) in &all {
            pcap.add(*ns, b);
        }
        let dir = TempDir::new("zeek-dns-timer");
        let p = pcap.write(&dir, name).to_string_lossy().to_string();
        (dir, p)
    };
    let pkts = |list: &[Value]| -> Vec<(u64, u64)> { list.iter().map(|c| (n(&c["orig_pkts"]), n(&c["resp_pkts"]))).collect() };
    let (_d, alone) = write("alone.pcap", &[0, secs(8.0), secs(19.0)], None);
    let list = conns(&[&alone]);
    assert_eq!(pkts(&list), [(2, 2), (1, 1)], "{list:?}");
    assert_ne!(list[0]["uid"], list[1]["uid"]);
    let late = list[1]["ts"].as_f64().expect("ts") - t0 as f64 / 1e9;
    assert!((late - 19.0).abs() < 1e-5, "{late}");
    assert_eq!(pkts(&conns(&["--dns-timeout", "60", &alone])), [(3, 3)]);
    let (_d, busy) = write("busy.pcap", &[0, secs(8.0), secs(17.5)], Some(secs(0.5)));
    assert_eq!(pkts(&conns(&[&busy])), [(3, 3)]);
}

/// Zeek's DNS analyzer (`DNS_Interpreter::ParseMessage`): when the first DNS message of a
/// connection is a response sent by the originator, the roles flip (`^`), unless the responder's
/// address is multicast. The first UDP exchange of `captures/dns.pcap` with the client's port
/// set to 53 too (UDP checksum 0, which IPv4 allows), so the port rule (`likely_server_ports`
/// on both ends) decides nothing: with the query the querier is the originator; with the
/// response alone Zeek first makes its sender the originator, then flips.
fn a_dns_response_first_flips_the_roles() {
    let frames = frames_of("captures/dns.pcap");
    let udp53: Vec<Vec<u8>> = frames
        .iter()
        .filter(|f| f.2.get(23) == Some(&17) && f.2.get(34..38).is_some_and(|p| p.contains(&0) && p.contains(&53)))
        .take(2)
        .map(|f| {
            let mut b = f.2.clone();
            for at in [34, 36] {
                b.splice(at..at + 2, [0, 53]);
            }
            b.splice(40..42, [0, 0]);
            b
        })
        .collect();
    assert_eq!(udp53.len(), 2, "a query and its response");
    let (query, response) = (&udp53[0], &udp53[1]);
    assert_eq!((query.get(44).map(|b| b & 0x80), response.get(44).map(|b| b & 0x80)), (Some(0), Some(0x80)));
    let dir = TempDir::new("zeek-dns-flip");
    let both = {
        let mut pcap = Pcap::micro();
        pcap.add(secs(100.0), query).add(secs(100.01), response);
        pcap.write(&dir, "both.pcap").to_string_lossy().to_string()
    };
    let alone = {
        let mut pcap = Pcap::micro();
        pcap.add(secs(100.01), response);
        pcap.write(&dir, "alone.pcap").to_string_lossy().to_string()
    };
    let c = &conns(&[&both])[0];
    assert_eq!((s(&c["id.orig_h"]), s(&c["service"]), n(&c["orig_pkts"]), n(&c["resp_pkts"])), ("10.0.0.1", "dns", 1, 1));
    assert!(!s(&c["history"]).contains('^'), "{c}");
    let c = &conns(&[&alone])[0];
    assert_eq!((s(&c["id.orig_h"]), s(&c["id.resp_h"]), n(&c["orig_pkts"]), n(&c["resp_pkts"])), ("10.0.0.1", "10.0.0.2", 0, 1), "{c}");
    assert!(s(&c["history"]).contains('^'), "{c}");
}

/// Zeek's `tunnel.log` (`base/frameworks/tunnels/main.zeek`; baseline
/// `core.tunnels.vxlan/tunnel.log` and `conn.log`): a tunnel is logged DISCOVER when it first
/// carries a connection, and a tunnel over UDP CLOSE when its outer connection goes, with the
/// outer connection's uid; every connection inside lists its tunnels' uids in
/// `tunnel_parents`. Link shims (MPLS, PPPoE, VN-Tag, FabricPath) are no tunnels to Zeek.
fn tunnels_are_logged_as_zeek_tunnel_log_does() {
    let kinds = [
        ("aruba-amsdu", "Tunnel::GRE"),
        ("aruba-gre", "Tunnel::GRE"),
        ("ayiya", "Tunnel::AYIYA"),
        ("erspan-ii", "Tunnel::GRE"),
        ("erspan-iii", "Tunnel::GRE"),
        ("geneve", "Tunnel::GENEVE"),
        ("gre-in-gre", "Tunnel::GRE"),
        ("gre-ip", "Tunnel::GRE"),
        ("gre-teb", "Tunnel::GRE"),
        ("gre-udp", "Tunnel::GRE"),
        ("gtpu", "Tunnel::GTPv1"),
        ("ipip-4in4", "Tunnel::IP"),
        ("ipip-4in6", "Tunnel::IP"),
        ("ipip-6in4", "Tunnel::IP"),
        ("pptp-ip", "Tunnel::GRE"),
        ("teredo", "Tunnel::TEREDO"),
        ("vxlan", "Tunnel::VXLAN"),
        ("fabricpath", ""),
        ("mpls-vlan", ""),
        ("pppoe-ip", ""),
        ("vntag", ""),
    ];
    for (name, file) in tunnel_captures().into_iter().filter(|(n, _)| n != "fragments") {
        let kind = kinds.iter().find(|(n, _)| *n == name).map(|(_, k)| *k).unwrap_or_else(|| panic!("{name}: no kind"));
        let mut a = vec!["conns", "--format", "json", "--max-rows", "0"];
        a.push(&file);
        let all = json_lines(&inspect_ok(&a));
        let tunnels: Vec<&Value> = all.iter().filter(|v| v["event_type"] == "tunnel").collect();
        let conns: Vec<&Value> = all.iter().filter(|v| v["event_type"] == "conn").collect();
        let inner: Vec<&Value> = conns.iter().copied().filter(|c| c.get("tunnel_parents").is_some()).collect();
        if kind.is_empty() {
            assert!(tunnels.is_empty() && inner.is_empty(), "{name}: a shim is no tunnel: {tunnels:?}");
            continue;
        }
        assert!(!inner.is_empty(), "{name}: no connection inside the tunnel");
        let discovered: BTreeSet<&str> =
            tunnels.iter().filter(|t| t["action"] == "Tunnel::DISCOVER").map(|t| s(&t["uid"])).collect();
        for t in &tunnels {
            assert_eq!(s(&t["tunnel_type"]), kind, "{name}: {t}");
        }
        for c in &inner {
            for p in c["tunnel_parents"].as_array().expect("a list") {
                assert!(discovered.contains(s(p)), "{name}: parent {p} of {c} was not discovered");
            }
        }
        let over_udp: Vec<&&Value> = tunnels.iter().filter(|t| n(&t["id.resp_p"]) != 0).collect();
        for t in over_udp.iter().filter(|t| t["action"] == "Tunnel::DISCOVER") {
            let uid = s(&t["uid"]);
            let outer = conns.iter().find(|c| s(&c["uid"]) == uid);
            assert!(outer.is_some_and(|c| c["proto"] == "udp"), "{name}: the tunnel's uid {uid} is its outer UDP connection's");
            assert!(
                tunnels.iter().any(|x| s(&x["uid"]) == uid && x["action"] == "Tunnel::CLOSE"),
                "{name}: the tunnel over UDP closes with its outer connection"
            );
        }
        // An IP tunnel (no ports) is not closed by a connection; it outlives the trace.
        for t in tunnels.iter().filter(|t| n(&t["id.resp_p"]) == 0) {
            assert_eq!(t["action"], "Tunnel::DISCOVER", "{name}: {t}");
        }
    }
}

/// Aruba's GRE (Zeek's `GREAnalyzer`, protocol types 0x8200 to 0x8370 and 0x9000, then its
/// `IEEE802_11` analyzer; baseline `core.tunnels.gre-aruba`): `captures/tunnels/aruba-gre.pcap`
/// carries web.pcap's frames as 802.11 QoS data, A-MSDUs among them. Each TCP connection inside
/// is one of tshark's conversations with its frames (the SYN in an A-MSDU's first subframe
/// too), its parent the one GRE tunnel between the outer addresses tshark reads; the ARP reply
/// under protocol 0x9000 (which tshark 4.0 does not dissect) is read as Zeek reads it.
fn arubas_gre_carries_its_stations_connections() {
    let file = "captures/tunnels/aruba-gre.pcap";
    let all = json_lines(&inspect_ok(["conns", "--format", "json", "--max-rows", "0", file]));
    // The outer addresses of the first frame carrying TCP, as tshark reads them (outer first).
    let rows = golden_rows("tests/golden/decode/captures_tunnels_aruba-gre.pcap.tsv");
    let tcp_row = rows.iter().find(|r| r.get("tcp.srcport").is_some_and(|v| !v.is_empty())).expect("a TCP frame");
    let outer = |f: &str| tcp_row[f].split(',').next().unwrap_or("").to_string();
    let (src, dst) = (outer("ip.src"), outer("ip.dst"));
    assert_eq!(tcp_row["gre.proto"], "0x8210", "{tcp_row:?}");
    let tunnels: Vec<&Value> = all.iter().filter(|v| v["event_type"] == "tunnel").collect();
    assert_eq!(tunnels.len(), 1, "one GRE tunnel, discovered: {tunnels:?}");
    let t = tunnels[0];
    assert_eq!(
        (s(&t["id.orig_h"]), n(&t["id.orig_p"]), s(&t["id.resp_h"]), n(&t["id.resp_p"])),
        (src.as_str(), 0, dst.as_str(), 0),
        "{t}"
    );
    assert_eq!((s(&t["tunnel_type"]), s(&t["action"])), ("Tunnel::GRE", "Tunnel::DISCOVER"), "{t}");
    let want: BTreeSet<(String, String, u64)> = golden_rows("tests/golden/tunnels/aruba-gre.tsv")
        .into_iter()
        .map(|r| (r["a"].clone(), r["b"].clone(), r["frames"].parse().unwrap()))
        .collect();
    assert_eq!(want.len(), 2, "{want:?}");
    let conns: Vec<&Value> = all.iter().filter(|v| v["event_type"] == "conn").collect();
    let got: BTreeSet<(String, String, u64)> = conns
        .iter()
        .map(|c| {
            assert_eq!(c["tunnel_parents"], serde_json::json!([s(&t["uid"])]), "{c}");
            assert_eq!((s(&c["proto"]), s(&c["conn_state"])), ("tcp", "SF"), "{c}");
            let end = |h: &str, p: &str| format!("{}:{}", s(&c[h]), n(&c[p]));
            (end("id.orig_h", "id.orig_p"), end("id.resp_h", "id.resp_p"), n(&c["orig_pkts"]) + n(&c["resp_pkts"]))
        })
        .collect();
    assert_eq!(got, want);
    // The ARP requests tshark reads (web.pcap's, and again in the A-MSDU's second subframe),
    // and web.pcap's reply, which goes under protocol 0x9000.
    let opcodes = |rows: &[BTreeMap<String, String>], op: &str| -> usize {
        rows.iter().filter_map(|r| r.get("arp.opcode")).flat_map(|v| v.split(',')).filter(|v| *v == op).count()
    };
    let web = golden_rows("tests/golden/decode/captures_web.pcap.tsv");
    assert_eq!((opcodes(&web, "1"), opcodes(&web, "2")), (1, 1));
    assert_eq!(rows.iter().filter(|r| r["gre.proto"] == "0x9000").count(), 1);
    let arp = all.iter().find(|v| v["event_type"] == "arp_summary").expect("arp summary");
    assert_eq!((n(&arp["requests"]), n(&arp["replies"])), (opcodes(&rows, "1") as u64, 1), "{arp}");
    assert_eq!(opcodes(&rows, "1"), 2);
}

/// One 802.11 frame (LINKTYPE_IEEE802_11) whose A-MSDU holds 1,000 SYNs from as many sources,
/// padded as IEEE 802.11 pads subframes: 1,000 half-open connections, one packet each, the
/// walk neither stopping early nor going over a subframe twice.
fn an_a_msdu_of_a_thousand_subframes_is_read_to_its_end() {
    let mut frame = vec![0x88, 0x01, 0, 0];
    frame.extend_from_slice(&[2; 18]);
    frame.extend_from_slice(&[0x10, 0, 0x80, 0]);
    for i in 0..1000u16 {
        let ip = tcp([10, 1, (i >> 8) as u8, i as u8], 40000, [10, 0, 0, 2], 80).flags(SYN).frame().split_off(14);
        let msdu = [&[0xaa, 0xaa, 3, 0, 0, 0, 8, 0][..], &ip].concat();
        frame.extend_from_slice(&[1; 12]);
        frame.extend_from_slice(&(msdu.len() as u16).to_be_bytes());
        frame.extend_from_slice(&msdu);
        frame.resize(frame.len() + (4 - (14 + msdu.len()) % 4) % 4, 0);
    }
    let dir = TempDir::new("amsdu-many");
    // LINKTYPE_IEEE802_11.
    let file = Pcap::micro().linktype(105).add(secs(100.0), &frame).write(&dir, "many.pcap");
    let c = conns(&[&file.to_string_lossy()]);
    assert_eq!(c.len(), 1000);
    assert!(c.iter().all(|c| s(&c["conn_state"]) == "S0" && n(&c["orig_pkts"]) == 1), "{:?}", c.first());
    let sources: BTreeSet<&str> = c.iter().map(|c| s(&c["id.orig_h"])).collect();
    assert_eq!(sources.len(), 1000);
}

/// A-MSDUs (Zeek's `IEEE802_11` analyzer forwards each subframe's packet as a packet of its own;
/// baseline `core.tunnels.gre-aruba-amsdu`, whose one connection counts both subframes of its
/// frame): `captures/tunnels/aruba-amsdu.pcap` carries web.pcap's frames over Aruba's GRE, each
/// run of one sender's frames (up to three) as one A-MSDU, padded as IEEE 802.11 pads them.
/// Each connection's packets and IP bytes per direction are those of the inner IP packets
/// tshark reads in every subframe (its `ip.src`, `ip.dst`, `ip.len` and ports, the outer
/// header's first); and the records equal those of the same frames one to a frame.
fn each_a_msdu_subframe_is_a_packet() {
    let file = "captures/tunnels/aruba-amsdu.pcap";
    let mut want: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    let mut aggregated = 0;
    for r in golden_rows("tests/golden/decode/captures_tunnels_aruba-amsdu.pcap.tsv") {
        let list = |f: &str| r.get(f).map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>()).unwrap_or_default();
        let (src, dst, len) = (list("ip.src"), list("ip.dst"), list("ip.len"));
        let (sport, dport) = (list("tcp.srcport"), list("tcp.dstport"));
        let inner = src.len().saturating_sub(1);
        if inner > 1 {
            aggregated += 1;
        }
        for i in 0..inner {
            let end = |a: &[String], p: &[String]| format!("{}:{}", a[i + 1], p.get(i).map_or("", String::as_str));
            let e = want.entry((end(&src, &sport), end(&dst, &dport))).or_default();
            e.0 += 1;
            e.1 += len[i + 1].parse::<u64>().expect("ip.len");
        }
    }
    assert!(aggregated >= 4, "{aggregated} frames with more than one packet");
    // -V says how many subframes each frame holds: tshark's LLC/SNAP headers in it.
    let subframes: Vec<usize> = golden_rows("tests/golden/decode/captures_tunnels_aruba-amsdu.pcap.tsv")
        .iter()
        .map(|r| r.get("llc.type").map_or(0, |v| v.split(',').count()))
        .collect();
    let said: Vec<usize> = inspect_ok(["read", "-V", file])
        .lines()
        .filter_map(|l| l.trim().strip_prefix("A-MSDU"))
        .map(|rest| rest.split_whitespace().next().and_then(|n| n.parse().ok()).expect("a count"))
        .collect();
    assert_eq!(said, subframes);
    let records = conns(&[file]);
    let mut got: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for c in &records {
        let (o, r) = (format!("{}:{}", s(&c["id.orig_h"]), n(&c["id.orig_p"])), format!("{}:{}", s(&c["id.resp_h"]), n(&c["id.resp_p"])));
        got.insert((o.clone(), r.clone()), (n(&c["orig_pkts"]), n(&c["orig_ip_bytes"])));
        got.insert((r, o), (n(&c["resp_pkts"]), n(&c["resp_ip_bytes"])));
    }
    assert_eq!(got, want, "packets and IP bytes each way (left) and tshark's (right)");
    let fields = ["proto", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "conn_state", "history", "orig_pkts", "resp_pkts",
        "orig_ip_bytes", "resp_ip_bytes", "orig_bytes", "resp_bytes", "service"];
    let project = |list: &[Value]| -> Vec<Vec<Value>> { list.iter().map(|c| fields.iter().map(|f| c[*f].clone()).collect()).collect() };
    assert_eq!(project(&records), project(&conns(&["captures/tunnels/aruba-gre.pcap"])));
    for threads in ["1", "2", "4"] {
        let all = json_lines(&inspect_ok(["read", "-q", "--format", "json", "--threads", threads, file]));
        let conns: Vec<Value> = all.into_iter().filter(|v| v["event_type"] == "conn").collect();
        assert_eq!(project(&conns), project(&records), "--threads {threads}");
    }
}

/// IP fragments reassembled before the connection tracker (issue 28 rule 8; Zeek's
/// `FragReassembler`, tshark's reassembly): `captures/fragments.pcap` holds a 3000-byte ping
/// each way over IPv4 and IPv6 and a 1473-byte UDP datagram each way, each in fragments. Each
/// datagram counts once, whole, on the frame that completes it: tshark's
/// `ip.reassembled.length`/`ipv6.reassembled.length` on that frame (its golden fields) give
/// the payload, and the IP bytes are the whole datagram's.
fn fragmented_datagrams_count_once_whole() {
    let rows = golden_rows("tests/golden/decode/captures_fragments.pcap.tsv");
    // The completing frames: (source, reassembled payload length, IP header length).
    let mut whole: Vec<(String, u64, u64)> = Vec::new();
    for r in &rows {
        if let Some(len) = r.get("ip.reassembled.length").filter(|v| !v.is_empty()) {
            whole.push((r["ip.src"].clone(), len.parse().unwrap(), 20));
        }
        if let Some(len) = r.get("ipv6.reassembled.length").filter(|v| !v.is_empty()) {
            // The fixed IPv6 header; the fragment header goes with the fragments.
            whole.push((r["ipv6.src"].clone(), len.parse().unwrap(), 40));
        }
    }
    assert_eq!(whole.len(), 6, "three datagrams each way: {whole:?}");
    let list = conns(&["captures/fragments.pcap"]);
    assert_eq!(list.len(), 3, "{list:?}");
    let mut seen = 0;
    for c in &list {
        for (orig, pkts, ip_bytes) in [(true, "orig_pkts", "orig_ip_bytes"), (false, "resp_pkts", "resp_ip_bytes")] {
            let h = if orig { s(&c["id.orig_h"]) } else { s(&c["id.resp_h"]) };
            let w: Vec<&(String, u64, u64)> = whole.iter().filter(|(src, ..)| src == h).collect();
            let (_, len, hdr) = w.iter().find(|(_, len, _)| if c["proto"] == "udp" { *len < 2000 } else { *len > 2000 }).copied().unwrap_or_else(|| panic!("{h}: {whole:?}"));
            assert_eq!(n(&c[pkts]), 1, "{c}");
            assert_eq!(n(&c[ip_bytes]), len + hdr, "{c}");
            seen += 1;
        }
        // The transport's payload: UDP's after its 8-byte header, ICMP's after its 8 bytes.
        assert_eq!(n(&c["orig_bytes"]), n(&c["orig_ip_bytes"]) - if c["id.orig_h"].as_str().is_some_and(|h| h.contains(':')) { 48 } else { 28 }, "{c}");
    }
    assert_eq!(seen, 6);
}
