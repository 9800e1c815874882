//! TCP streams as a user sees them. `inspect follow` against `tshark -z follow`: the same text,
//! byte for byte, for every TCP and UDP stream of the captures of `captures/` and of the corpus,
//! in each of the three modes (`scripts/golden_follow.sh` keeps tshark's outputs as SHA-256 sums
//! in `tests/golden/follow/index.tsv`, and a few whole, to read); segments and messages; and
//! every stream of a run reassembled (`read --reassemble all`).

use sha2::{Digest, Sha256};

use crate::support::frames::{tcp, ACK, PSH, SYN};
use crate::support::pcap::{micros, Pcap};
use crate::support::{inspect, inspect_ok, json_lines, n, root, s, Need, TempDir, Test};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(follow_matches_tshark_on_captures),
        trial!(follow_matches_tshark_on_the_corpus, Need::Corpus),
        trial!(follow_text_reads_as_tshark_writes_it),
        trial!(a_gap_the_client_acknowledged_is_shown_as_missing),
        trial!(json_chunks_hold_the_stream_bytes),
        trial!(a_uid_picks_the_same_stream_as_its_number),
        trial!(a_display_filter_picks_the_stream_tshark_finds),
        trial!(a_bad_display_filter_is_a_usage_error),
        trial!(without_a_stream_the_conversations_are_listed),
        trial!(a_stream_not_in_the_file_is_an_error),
        trial!(length_headers_show_messages_stuck_together_and_split),
        trial!(http_framing_counts_the_messages_tshark_finds),
        trial!(segments_tell_retransmissions_and_gaps),
        trial!(framing_picks_up_after_a_gap),
        trial!(reassembling_every_stream_counts_what_follow_shows),
        trial!(bytes_sent_again_differently_are_a_weird),
        trial!(the_caps_give_up_missing_bytes),
    ]
}

/// Streams `inspect follow` shows differently from tshark, and why. The test fails when one of
/// them agrees after all, so that the list stays true.
const KNOWN: &[(&str, &str, &str)] = &[
    // Both ends on 127.0.0.1: tshark 4.0 takes some of the client's segments for the server's
    // (it tells the sides apart by address first), and its text mixes the two directions.
    ("../shared/corpus/tcpdump/of13_ericsson.pcapng", "tcp", "9"),
    // One 802.11 A-MSDU holds stream 0's last ACK and stream 1's SYN: tshark 4.0's follow tap
    // takes every TCP layer of a frame its stream filter passes, and then leaves out the
    // client's 65-byte request of stream 1 (with no "bytes missing" line).
    ("captures/tunnels/aruba-amsdu.pcap", "tcp", "1"),
];

/// Files of which `inspect follow` numbers or shows some streams of a protocol differently
/// from tshark, because tshark decodes something `inspect` does not (yet): a link type, an
/// encapsulation whose inner packets tshark numbers as streams of their own, a first fragment
/// tshark reads the UDP header of, a datagram quoted in an ICMP error. Their other streams may
/// agree; the test fails when none of a file's streams differs any more.
const UNDECODED: &[(&str, &str)] = &[
    // Link types: PKTAP, PPP.
    ("../shared/corpus/tcpdump/LINKTYPE_USER2_PKTAP.pcap", "udp"),
    ("../shared/corpus/tcpdump/mpls-ldp-hello.pcap", "udp"),
    ("../shared/corpus/tcpdump/wb-oobr.pcap", "udp"),
    // Encapsulations: BGP and RPKI-RTR over MPLS/Juniper, Geneve, MPLS over UDP, NSH, VXLAN, PIM
    // Register, OpenFlow's packet-out (tshark numbers the packet inside as a stream). The TCP
    // inside Geneve agrees with tshark since tunnels are decoded.
    ("../shared/corpus/tcpdump/bgp-aigp.pcap", "tcp"),
    ("../shared/corpus/tcpdump/bgp-bgp_capabilities_print-oobr-1.pcap", "tcp"),
    ("../shared/corpus/tcpdump/bgp-bgp_capabilities_print-oobr-2.pcap", "tcp"),
    ("../shared/corpus/tcpdump/bgp_pmsi_tunnel-oobr.pcap", "tcp"),
    ("../shared/corpus/tcpdump/bgp_vpn_attrset.pcap", "tcp"),
    ("../shared/corpus/tcpdump/gso-ipv4-geneve-ipv4.pcap", "udp"),
    ("../shared/corpus/tcpdump/gso-ipv6-geneve-ipv4.pcap", "udp"),
    ("../shared/corpus/tcpdump/rpki-rtr-oobr.pcap", "tcp"),
    ("../shared/corpus/tcpdump/mpls-over-udp.pcap", "udp"),
    ("../shared/corpus/tcpdump/nsh.pcap", "udp"),
    ("../shared/corpus/tcpdump/vxlan.pcap", "udp"),
    ("../shared/corpus/tcpdump/pim-packet-assortment.pcap", "udp"),
    ("../shared/corpus/tcpdump/of13_ericsson.pcapng", "udp"),
    // Tunnels over UDP (VXLAN, AYIYA, Geneve, GRE in UDP, GTP-U, Teredo): both number the
    // outer UDP flow as a stream, but tshark names its nodes (and tells its directions apart)
    // by the addresses of the packet inside, with the outer ports.
    ("captures/vxlan.pcap", "udp"),
    ("captures/tunnels/ayiya.pcap", "udp"),
    ("captures/tunnels/geneve.pcap", "udp"),
    ("captures/tunnels/gre-udp.pcap", "udp"),
    ("captures/tunnels/gtpu.pcap", "udp"),
    ("captures/tunnels/teredo.pcap", "udp"),
    // First fragments of datagrams never completed: tshark reads the UDP header in them.
    ("../shared/corpus/tcpdump/esp_truncated.pcap", "udp"),
    ("../shared/corpus/tcpdump/lmp-lmp_print_data_link_subobjs-oobr.pcap", "udp"),
    ("../shared/corpus/tcpdump/olsr-oobr-1.pcap", "udp"),
    ("../shared/corpus/tcpdump/radius_attr_asan.pcap", "udp"),
    ("../shared/corpus/tcpdump/rip_error_hexdump.pcap", "udp"),
    ("../shared/corpus/tcpdump/rsvp_uni-oobr-3.pcap", "udp"),
    // A datagram quoted in an ICMP error, of a conversation not otherwise in the file.
    ("../shared/corpus/tcpdump/icmp-cksum-oobr-1.pcap", "udp"),
    ("../shared/corpus/tcpdump/icmp-cksum-oobr-2.pcap", "udp"),
    // The destination tshark puts in the UDP pseudo-header: the segment routing header's
    // last segment, not the IPv6 header's destination.
    ("../shared/corpus/tcpdump/ipv6-srh-insert-cksum.pcap", "udp"),
];

/// One line of the golden index: file, protocol, stream, mode, tshark's output's SHA-256.
struct Golden {
    file: String,
    proto: String,
    stream: String,
    mode: String,
    sum: String,
}

fn goldens() -> Vec<Golden> {
    let path = root().join("tests/golden/follow/index.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "bad golden line: {l}");
            Golden { file: f[0].into(), proto: f[1].into(), stream: f[2].into(), mode: f[3].into(), sum: f[4].into() }
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `inspect follow` for a golden line: its output's SHA-256, or the error it gave.
fn ours(g: &Golden) -> String {
    let mut args = vec!["follow", g.file.as_str(), g.stream.as_str(), "--mode", g.mode.as_str()];
    if g.proto == "udp" {
        args.push("--udp");
    }
    let run = inspect(&args);
    if run.code == Some(0) { sha256(&run.out_bytes) } else { format!("exit {:?}: {}", run.code, run.stderr.trim_end()) }
}

/// Checks every golden line whose file starts with `prefix`: each agrees, or is a known
/// difference that still differs.
fn check(prefix: &str) {
    let mut checked = 0;
    let mut wrong = Vec::new();
    let mut undecoded_differ = std::collections::BTreeSet::new();
    for g in goldens().iter().filter(|g| g.file.starts_with(prefix)) {
        let got = ours(g);
        checked += 1;
        if UNDECODED.contains(&(g.file.as_str(), g.proto.as_str())) {
            if got != g.sum {
                undecoded_differ.insert((g.file.clone(), g.proto.clone()));
            }
            continue;
        }
        let known = KNOWN.iter().any(|&(f, p, n)| f == g.file && p == g.proto && n == g.stream);
        match (got == g.sum, known) {
            (true, false) | (false, true) => {}
            (false, false) => wrong.push(format!(
                "{} {} stream {} --mode {}: differs from tshark (see: diff <(inspect follow {} {} --mode {}{}) <(tshark -r {} -q -z follow,{},{},{}))",
                g.file,
                g.proto,
                g.stream,
                g.mode,
                g.file,
                g.stream,
                g.mode,
                if g.proto == "udp" { " --udp" } else { "" },
                g.file,
                g.proto,
                g.mode,
                g.stream
            )),
            (true, true) => wrong.push(format!("{} {} stream {}: listed as differing from tshark, but agrees: take it off the list", g.file, g.proto, g.stream)),
        }
    }
    for &(f, p) in UNDECODED.iter().filter(|(f, _)| f.starts_with(prefix)) {
        if !undecoded_differ.contains(&(f.to_string(), p.to_string())) {
            wrong.push(format!("{f} {p}: listed as not decoded, but every stream agrees with tshark: take it off the list"));
        }
    }
    assert!(checked > 0, "no golden line for {prefix}");
    note!("{checked} follow outputs of {prefix}: {} wrong", wrong.len());
    assert!(wrong.is_empty(), "{} of {checked}:\n{}", wrong.len(), wrong.join("\n"));
}

fn follow_matches_tshark_on_captures() {
    check("captures/");
}

fn follow_matches_tshark_on_the_corpus() {
    check("../shared/corpus/");
}

/// The whole texts kept beside the sums: what a user reads.
fn follow_text_reads_as_tshark_writes_it() {
    for (file, proto, n) in [("captures/web.pcap", "tcp", "0"), ("captures/web.pcap", "tcp", "1"), ("captures/streams.pcap", "tcp", "1"), ("captures/udp-unreach.pcap", "udp", "3")] {
        let name = std::path::Path::new(file).file_name().and_then(|f| f.to_str()).unwrap_or_default();
        let path = root().join(format!("tests/golden/follow/{name}.{proto}.{n}.txt"));
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut args = vec!["follow", file, n];
        if proto == "udp" {
            args.push("--udp");
        }
        assert_eq!(inspect_ok(&args), want, "inspect follow {file} {n} ({proto})");
    }
    // The pipelined pair: both requests in one chunk, then both answers.
    let text = inspect_ok(["follow", "captures/streams.pcap", "1"]);
    let get = text.find("GET /hello.txt").expect("first request");
    let second = text.find("GET /index.html").expect("second request");
    let answer = text.find("HTTP/1.1 200").expect("an answer");
    assert!(get < second && second < answer, "{text}");
}

/// streams-gap.pcap lacks a segment of the body the client acknowledged: the text says how many
/// bytes are missing where they were, as tshark does, and the JSON says so in a chunk of its own.
fn a_gap_the_client_acknowledged_is_shown_as_missing() {
    let text = inspect_ok(["follow", "captures/streams-gap.pcap", "0"]);
    assert!(text.contains("[1448 bytes missing in capture file]"), "{text}");
    let json = json_lines(&inspect_ok(["follow", "captures/streams-gap.pcap", "0", "--format", "json"]));
    let missing: Vec<_> = json.iter().filter(|c| c["missing"] == true).collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!((s(&missing[0]["dir"]), n(&missing[0]["len"])), ("server", 1448));
    // The server's chunks tile its stream: each starts where the one before ended.
    let mut next = 0;
    for c in json.iter().filter(|c| c["dir"] == "server") {
        assert_eq!(n(&c["offset"]), next, "{c}");
        next += n(&c["len"]);
    }
}

fn hex_bytes(h: &str) -> Vec<u8> {
    (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex")).collect()
}

/// Concatenated, the JSON chunks of each direction are the raw mode's lines.
fn json_chunks_hold_the_stream_bytes() {
    for n in ["0", "2", "3"] {
        let json = json_lines(&inspect_ok(["follow", "captures/streams.pcap", n, "--format", "json"]));
        let raw = inspect_ok(["follow", "captures/streams.pcap", n, "--mode", "raw"]);
        let mut want = [Vec::new(), Vec::new()];
        for l in raw.lines().filter(|l| l.chars().all(|c| c.is_ascii_hexdigit() || c == '\t') && !l.trim().is_empty()) {
            let side = usize::from(l.starts_with('\t'));
            want[side].extend(hex_bytes(l.trim_start()));
        }
        let mut got = [Vec::new(), Vec::new()];
        for c in &json {
            assert_eq!(s(&c["event_type"]), "stream_chunk");
            assert_eq!(c["stream"].to_string(), n);
            assert!(s(&c["uid"]).starts_with('C'), "{c}");
            let side = usize::from(s(&c["dir"]) == "server");
            got[side].extend(hex_bytes(s(&c["hex"])));
        }
        assert_eq!(got, want, "stream {n}");
        assert!(!got[1].is_empty());
    }
}

/// `--conn UID` (the uid `inspect conns` shows) follows the same bytes as the stream's number.
fn a_uid_picks_the_same_stream_as_its_number() {
    let list = json_lines(&inspect_ok(["follow", "captures/streams.pcap", "--format", "json"]));
    assert_eq!(list.len(), 4, "{list:?}");
    let conns = json_lines(&inspect_ok(["conns", "captures/streams.pcap", "--format", "json"]));
    for l in &list {
        let uid = s(&l["uid"]);
        assert!(conns.iter().any(|c| c["uid"] == uid), "uid {uid} of the list is not a connection's");
        let by_uid = inspect_ok(["follow", "captures/streams.pcap", "--conn", uid]);
        let by_number = inspect_ok(["follow", "captures/streams.pcap", &l["stream"].to_string()]);
        assert_eq!(by_uid, by_number, "{uid}");
    }
}

/// `-Y FILTER` picks the stream of the first packet (of the protocol followed) the filter passes:
/// tshark's `tcp.stream`/`udp.stream` of that packet (`tests/golden/follow/picks.tsv`, from
/// `scripts/golden_picks.sh`). The whole stream is shown, as its number would show it, and the
/// ladder draws the same connection.
fn a_display_filter_picks_the_stream_tshark_finds() {
    let path = root().join("tests/golden/follow/picks.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let [file, proto, filter, want] = line.split('\t').collect::<Vec<_>>()[..] else { panic!("bad line: {line}") };
        let mut args = vec!["follow", file, "-Y", filter, "--format", "json"];
        if proto == "udp" {
            args.push("--udp");
        }
        let run = inspect(&args);
        if want == "none" {
            assert_eq!(run.code, Some(1), "{line}: {}", run.stdout);
            let expect = format!("inspect: {file}: no {} packet passes -Y \"{filter}\"", proto.to_uppercase());
            assert!(run.stderr.starts_with(&expect), "{line}: {}", run.stderr);
            assert!(run.stdout.is_empty(), "{line}");
            rows += 1;
            continue;
        }
        let got = run.ok();
        let mut by_number = args.clone();
        by_number[2] = want;
        by_number.remove(3);
        assert_eq!(got, inspect_ok(&by_number), "{line}");
        if let Some(chunk) = json_lines(&got).first() {
            assert_eq!(chunk["stream"].to_string(), want, "{line}");
        }
        if proto == "tcp" {
            let ladder = inspect_ok(["ladder", file, "-Y", filter, "--format", "json"]);
            assert_eq!(ladder, inspect_ok(["ladder", file, want, "--format", "json"]), "{line}");
        }
        rows += 1;
    }
    assert!(rows >= 10, "{rows} picks");
    // The tracker's fields pick too: the first connection to end normally (reuse.pcap's
    // connections follow one another).
    let by_state = inspect_ok(["ladder", "captures/reuse.pcap", "-Y", "conn.state == \"SF\"", "--format", "json"]);
    let conns = json_lines(&inspect_ok(["conns", "captures/reuse.pcap", "--format", "json"]));
    let sf = conns.iter().filter(|c| c["conn_state"] == "SF").min_by(|a, b| a["ts"].as_f64().partial_cmp(&b["ts"].as_f64()).unwrap()).expect("an SF connection");
    assert!(json_lines(&by_state).iter().all(|r| r["uid"] == sf["uid"]), "{by_state}");
}

fn a_bad_display_filter_is_a_usage_error() {
    for cmd in ["follow", "ladder"] {
        let run = inspect([cmd, "captures/web.pcap", "-Y", "tcp.port =="]);
        assert_eq!(run.code, Some(2), "{cmd}: {}", run.stderr);
        assert!(run.stderr.starts_with("inspect: -Y \"tcp.port ==\": "), "{cmd}: {}", run.stderr);
        assert!(run.stdout.is_empty());
        let run = inspect([cmd, "captures/web.pcap", "-Y", "tcp.port == 80", "0"]);
        assert_eq!(run.code, Some(2), "{cmd}: a filter and a number");
    }
    // Finding the stream reads the file once before following it: standard input cannot be.
    let run = inspect(["follow", "-", "-Y", "tcp"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("give a file rather than -"), "{}", run.stderr);
}

fn without_a_stream_the_conversations_are_listed() {
    let text = inspect_ok(["follow", "captures/streams.pcap"]);
    assert!(text.starts_with("4 TCP streams in captures/streams.pcap"), "{text}");
    for port in [":80 ", ":81 ", ":9000 "] {
        assert!(text.contains(port), "{port}: {text}");
    }
    let udp = json_lines(&inspect_ok(["follow", "captures/udp-unreach.pcap", "--udp", "--format", "json"]));
    assert_eq!(udp.len(), 4);
    assert_eq!((n(&udp[3]["client_bytes"]), n(&udp[3]["server_bytes"])), (11, 11));
}

fn a_stream_not_in_the_file_is_an_error() {
    let run = inspect(["follow", "captures/web.pcap", "7"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stderr, "inspect: captures/web.pcap: no TCP stream 7: it has 2 (0 to 1)\n");
    assert!(run.stdout.is_empty());
    let run = inspect(["follow", "captures/refused.pcap", "0", "--udp"]);
    assert_eq!(run.stderr, "inspect: captures/refused.pcap: no UDP stream 0: it has none\n");
    let run = inspect(["follow", "captures/web.pcap", "--conn", "Cnosuchuid00"]);
    assert_eq!((run.code, run.stderr.as_str()), (Some(1), "inspect: captures/web.pcap: no TCP connection with uid Cnosuchuid00\n"));
    let run = inspect(["follow", "no-such-file.pcap", "0"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.starts_with("inspect: no-such-file.pcap: "), "{}", run.stderr);
}

/// streams.pcap's port 9000: the client wrote 3, 3, 1 and 4 length-prefixed messages per
/// flush, then one of 5002 bytes (captures/README.md); the server answered each on its own.
fn length_headers_show_messages_stuck_together_and_split() {
    let text = inspect_ok(["follow", "captures/streams.pcap", "2", "--segments", "--framing", "len2"]);
    assert!(
        text.contains("client → server: 12 messages in 8 segments; 3 segments carry 2+ messages, 1 message spans 4 segments"),
        "{text}"
    );
    assert!(text.contains("server → client: 12 messages in 12 segments; 0 segments carry 2+ messages, no message spans 2+ segments"), "{text}");
    assert!(text.contains("#1–#3 whole") && text.contains("#8–#11 whole") && text.contains("#12 starts") && text.contains("#12 ends"), "{text}");
    // Line framing on the same bytes cannot end the 5002-byte message, which has no line end:
    // it says where it stopped, and why.
    let lines = inspect_ok(["follow", "captures/streams.pcap", "2", "--segments", "--framing", "line"]);
    assert!(lines.contains("framing stops at offset") && lines.contains("bytes into a message"), "{lines}");
    assert!(!lines.contains("client → server: 12 messages"), "{lines}");
}

/// For every TCP stream of captures/ in which tshark's HTTP dissector finds messages (with
/// out-of-order segments put in order, as inspect does), `--framing http` finds as many requests
/// and responses (`tests/golden/follow/http.tsv`); both stop at bytes missing from the capture.
fn http_framing_counts_the_messages_tshark_finds() {
    let path = root().join("tests/golden/follow/http.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        let (file, stream, req, resp) = (f[0], f[1], f[2].parse::<u64>().unwrap(), f[3].parse::<u64>().unwrap());
        let json = json_lines(&inspect_ok(["follow", file, stream, "--framing", "http", "--format", "json"]));
        // Requests and responses of both directions: a capture that starts mid-connection can
        // show the server's bytes first, and its first sender is then the server.
        let count = |field: &str| json.iter().filter(|v| v["event_type"] == "stream_messages").map(|v| n(&v[field])).sum::<u64>();
        assert_eq!((count("requests"), count("responses")), (req, resp), "{file} stream {stream}");
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} streams with HTTP");
}

/// The lossy download of streams.pcap: segments that brought nothing new are retransmissions, and
/// every byte of the body is there once. streams-gap.pcap: the missing segment is a gap, and the
/// framing stops there.
fn segments_tell_retransmissions_and_gaps() {
    let json = json_lines(&inspect_ok(["follow", "captures/streams.pcap", "3", "--segments", "--format", "json"]));
    let server: Vec<_> = json.iter().filter(|v| v["event_type"] == "stream_segment" && v["dir"] == "server").collect();
    assert!(server.iter().any(|v| n(&v["new_bytes"]) == 0), "no retransmission found");
    let total: u64 = server.iter().map(|v| n(&v["new_bytes"])).sum();
    let raw = inspect_ok(["follow", "captures/streams.pcap", "3", "--mode", "raw"]);
    let server_bytes: usize = raw.lines().filter(|l| l.starts_with('\t')).map(|l| l.trim().len() / 2).sum();
    assert_eq!(total, server_bytes as u64);
    let gap = inspect_ok(["follow", "captures/streams-gap.pcap", "0", "--framing", "http"]);
    assert!(gap.contains("1448 bytes missing from the capture at offset"), "{gap}");
    assert!(gap.contains("framing stops at offset") && gap.contains("bytes missing from the capture"), "{gap}");
}

/// streams.pcap's length-prefixed stream without the client's second segment (frame 79: messages
/// #4 to #6): the framing stops at the gap and picks up at the next segment, which starts
/// message #7, so the nine messages not in the lost segment are found, each where the whole
/// stream has it. On streams-gap.pcap's HTTP stream, it picks up at the response after the one
/// the gap cut (tshark's count of it is in `http_framing_counts_the_messages_tshark_finds`).
fn framing_picks_up_after_a_gap() {
    let dir = TempDir::new("resync");
    let gap = dir.path().join("gap.pcap");
    let gap = gap.to_str().unwrap();
    inspect_ok(["read", "-q", "captures/streams.pcap", "-Y", "frame.number != 79", "-w", gap]);
    let client = |file: &str| {
        let v = json_lines(&inspect_ok(["follow", file, "2", "--framing", "len2", "--format", "json"]));
        v.into_iter().filter(|x| x["dir"] == "client").collect::<Vec<_>>()
    };
    let (full, cut) = (client("captures/streams.pcap"), client(gap));
    let summary = |v: &[serde_json::Value]| v.iter().find(|x| x["event_type"] == "stream_messages").cloned().unwrap();
    let (whole, part) = (summary(&full), summary(&cut));
    assert_eq!((n(&whole["messages"]), n(&part["messages"])), (12, 9), "{part}");
    // Where it picked up: the first byte after the gap, the start of the next segment.
    let resumed = &part["resumed"][0];
    assert_eq!((n(&resumed["gap"]), n(&resumed["offset"])), (72, 72), "{part}");
    // Each segment after the gap holds the same parts of messages as in the whole stream,
    // numbered three lower.
    let parts = |v: &[serde_json::Value], seq: u64| {
        let seg = v.iter().find(|x| x["event_type"] == "stream_segment" && n(&x["seq"]) == seq).unwrap_or_else(|| panic!("seq {seq}"));
        seg["messages"].as_array().unwrap().iter().map(|m| (n(&m["message"]), s(&m["part"]).to_string())).collect::<Vec<_>>()
    };
    for seq in [73, 85, 133, 1581, 4477] {
        let want: Vec<_> = parts(&full, seq).into_iter().map(|(k, p)| (k - 3, p)).collect();
        assert_eq!(parts(&cut, seq), want, "seq {seq}");
    }
    let text = inspect_ok(["follow", "captures/streams-gap.pcap", "0", "--framing", "http"]);
    assert!(text.contains("framing picks up at offset 36425: the first message start after the gap"), "{text}");
}

/// `read --reassemble all` over a capture: its stream summary.
fn stream_summary(args: &[&str]) -> serde_json::Value {
    let mut a = vec!["read", "-q", "--reassemble", "all", "--format", "json"];
    a.extend_from_slice(args);
    json_lines(&inspect_ok(&a)).into_iter().find(|v| v["event_type"] == "stream_summary").expect("a stream_summary")
}

/// Every stream of a run reassembled delivers the bytes `follow` shows, one stream at a time;
/// the missing segment of streams-gap.pcap is Zeek's missed bytes; every thread count agrees.
fn reassembling_every_stream_counts_what_follow_shows() {
    for (file, missed) in [("captures/streams.pcap", 0), ("captures/streams-gap.pcap", 1448), ("captures/web.pcap", 0)] {
        let mut shown = 0;
        for l in json_lines(&inspect_ok(["follow", file, "--format", "json"])) {
            let chunks = json_lines(&inspect_ok(["follow", file, &l["stream"].to_string(), "--format", "json"]));
            shown += chunks.iter().filter(|c| c["missing"] != true).map(|c| n(&c["len"])).sum::<u64>();
        }
        let one = stream_summary(&[file, "--threads", "1"]);
        assert_eq!((n(&one["delivered"]), n(&one["missed"])), (shown, missed), "{file}: {one}");
        for t in ["2", "3", "5"] {
            assert_eq!(stream_summary(&[file, "--threads", t]), one, "{file} --threads {t}");
        }
    }
    let lossy = stream_summary(&["captures/streams.pcap"]);
    assert!(n(&lossy["retransmitted"]) > 0 && n(&lossy["held_peak"]) > 0, "{lossy}");
    // Without --reassemble nothing is counted, and the text says so only when asked.
    let plain = inspect_ok(["read", "-q", "captures/streams.pcap"]);
    assert!(!plain.contains("Streams:"), "{plain}");
    let text = inspect_ok(["read", "-q", "--reassemble", "all", "captures/streams-gap.pcap"]);
    assert!(text.contains("Streams: 4 connections reassembled") && text.contains("1448 bytes missing in 1 gap"), "{text}");
}

/// A handshake, then `hello` and, again at the same sequence numbers, `HELLO`: the receiver kept
/// the first copy (the policy Zeek and Suricata report against), so the stream reads `hello`, and
/// the second copy is a weird (Zeek's name, once for the connection) and counted.
fn bytes_sent_again_differently_are_a_weird() {
    let (c, sv) = ([10, 1, 0, 1], [10, 1, 0, 2]);
    let frames = [
        tcp(c, 40000, sv, 80).flags(SYN).seq(100).frame(),
        tcp(sv, 80, c, 40000).flags(SYN | ACK).seq(500).ack(101).frame(),
        tcp(c, 40000, sv, 80).flags(ACK).seq(101).ack(501).frame(),
        tcp(c, 40000, sv, 80).flags(ACK | PSH).seq(101).ack(501).data(b"hello").frame(),
        tcp(c, 40000, sv, 80).flags(ACK | PSH).seq(101).ack(501).data(b"HELLO").frame(),
        tcp(c, 40000, sv, 80).flags(ACK | PSH).seq(104).ack(501).data(b"LO world").frame(),
        tcp(sv, 80, c, 40000).flags(ACK).seq(501).ack(112).frame(),
    ];
    let mut p = Pcap::micro();
    for (k, f) in frames.iter().enumerate() {
        p.add(micros(1_700_000_000_000_000 + k as u64 * 1000), f);
    }
    let dir = TempDir::new("evasion");
    let path = p.write(&dir, "evasion.pcap");
    let file = path.to_str().unwrap();
    let sum = stream_summary(&[file]);
    assert_eq!((n(&sum["inconsistent"]), n(&sum["inconsistent_streams"]), n(&sum["delivered"])), (7, 1, 11), "{sum}");
    let events = json_lines(&inspect_ok(["read", "--reassemble", "all", "--format", "json", file]));
    let weird: Vec<_> = events.iter().filter(|v| v["event_type"] == "weird").collect();
    assert_eq!(weird.len(), 1, "{weird:?}");
    assert_eq!((s(&weird[0]["name"]), n(&weird[0]["frame"])), ("rexmit_inconsistency", 5));
    let conn = events.iter().find(|v| v["event_type"] == "conn").unwrap();
    assert_eq!(weird[0]["uid"], conn["uid"]);
    // Raw mode prints a line per chunk: `hello`, then ` world` (what frame 6 added).
    let raw = inspect_ok(["follow", file, "0", "--mode", "raw"]);
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let chunks: Vec<&str> = raw.lines().filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_hexdigit())).collect();
    assert_eq!(chunks, [hex(b"hello"), hex(b" world")], "{raw}");
}

/// A direction whose out-of-order bytes pass --stream-max-held gives up the bytes missing
/// before them, counted as a gap and a cap hit.
fn the_caps_give_up_missing_bytes() {
    let roomy = stream_summary(&["captures/streams.pcap"]);
    let peak = n(&roomy["held_peak"]);
    let tight = stream_summary(&["captures/streams.pcap", "--stream-max-held", "1448"]);
    assert!(peak > 1448, "{roomy}");
    assert!(n(&tight["cap_hits"]) > 0 && n(&tight["gaps"]) > 0, "{tight}");
    assert!(n(&tight["held_peak"]) <= 1448, "{tight}");
    // The bytes given up were not lost from the count: delivered and missed together cover the
    // same stream.
    assert!(n(&tight["delivered"]) + n(&tight["missed"]) >= n(&roomy["delivered"]), "{tight} {roomy}");
}
