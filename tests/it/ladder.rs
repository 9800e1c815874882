//! `inspect ladder`: one connection as the textbooks draw it. The arrows' numbers are held
//! against tshark's (the decode goldens of `tests/golden/decode/`); the states each end passes
//! through against RFC 793's diagram, on `captures/web.pcap`'s two close orders (which end
//! closes first is how the capture was recorded: captures/README.md).

use std::collections::HashMap;

use serde_json::Value;

use crate::support::{inspect, inspect_ok, json_lines, n, root, s, Test};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(arrows_carry_tsharks_numbers),
        trial!(the_client_closes_first),
        trial!(the_server_closes_first),
        trial!(explain_names_the_handshake_numbers),
        trial!(long_connections_are_elided_in_the_middle),
        trial!(the_svg_is_xml_with_an_arrow_per_packet),
        trial!(ladder_needs_a_tcp_connection),
    ]
}

fn rungs(args: &[&str]) -> Vec<Value> {
    let mut a = vec!["ladder"];
    a.extend_from_slice(args);
    a.extend(["--format", "json"]);
    json_lines(&inspect_ok(&a))
}

/// tshark's fields of each frame of a capture, by frame number.
fn tshark_fields(golden: &str) -> HashMap<u64, HashMap<String, String>> {
    let path = root().join("tests/golden/decode").join(golden);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    lines
        .map(|l| {
            let row: HashMap<String, String> = names.iter().zip(l.split('\t')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
            (row["frame.number"].parse().unwrap(), row)
        })
        .collect()
}

/// Each arrow's frame, flags, relative numbers and length are tshark's.
fn arrows_carry_tsharks_numbers() {
    let golden = tshark_fields("captures_web.pcap.tsv");
    for stream in ["0", "1"] {
        let r = rungs(&["captures/web.pcap", stream]);
        let num = |frame: u64, f: &str| -> u32 { golden[&frame][f].parse().unwrap_or(0) };
        let isn_c = num(n(&r[0]["frame"]), "tcp.seq_raw");
        let isn_s = num(n(&r[1]["frame"]), "tcp.seq_raw");
        for x in &r {
            let frame = n(&x["frame"]);
            let (mine, theirs) = if s(&x["dir"]) == "client" { (isn_c, isn_s) } else { (isn_s, isn_c) };
            assert_eq!(n(&x["seq"]) as u32, num(frame, "tcp.seq_raw").wrapping_sub(mine), "frame {frame}");
            if frame != n(&r[0]["frame"]) {
                assert_eq!(n(&x["ack"]) as u32, num(frame, "tcp.ack_raw").wrapping_sub(theirs), "frame {frame}");
            }
            assert_eq!(n(&x["len"]), u64::from(num(frame, "tcp.len")), "frame {frame}");
            let flags = u8::from_str_radix(golden[&frame]["tcp.flags"].trim_start_matches("0x"), 16).unwrap() & 0x3f;
            let letters = s(&x["flags"]);
            for (bit, c) in [(0x02, 'S'), (0x01, 'F'), (0x08, 'P'), (0x04, 'R'), (0x10, '.')] {
                assert_eq!(flags & bit != 0, letters.contains(c), "frame {frame}: {letters}");
            }
        }
    }
}

/// The states written beside each column, in order, as `end: state` items.
fn states(r: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for x in r {
        for (end, key) in [("client", "client_states"), ("server", "server_states")] {
            for st in x[key].as_array().unwrap() {
                out.push(format!("{end}: {}", s(st)));
            }
        }
    }
    out
}

/// RFC 793's active close: the client's FIN_WAIT_1, FIN_WAIT_2 and TIME_WAIT, the server's
/// CLOSE_WAIT, LAST_ACK and CLOSED.
fn the_client_closes_first() {
    let r = rungs(&["captures/web.pcap", "0"]);
    assert_eq!(
        states(&r),
        [
            "client: SYN_SENT",
            "client: ESTABLISHED",
            "server: SYN_RCVD",
            "server: ESTABLISHED",
            "client: FIN_WAIT_1",
            "client: FIN_WAIT_2",
            "client: TIME_WAIT",
            "server: CLOSE_WAIT",
            "server: LAST_ACK",
            "server: CLOSED"
        ]
    );
    let text = inspect_ok(["ladder", "captures/web.pcap", "0"]);
    assert!(text.contains("FIN_WAIT_2→TIME_WAIT") && text.contains("CLOSE_WAIT→LAST_ACK"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[2].trim_start().starts_with("CLOSED") && lines[2].ends_with("LISTEN"), "{}", lines[2]);
}

/// The same with the roles swapped: the server waits in TIME_WAIT.
fn the_server_closes_first() {
    let r = rungs(&["captures/web.pcap", "1"]);
    let st = states(&r);
    let tail: Vec<&str> = st.iter().skip(4).map(String::as_str).collect();
    assert_eq!(tail, ["server: FIN_WAIT_1", "client: CLOSE_WAIT", "client: LAST_ACK", "server: FIN_WAIT_2", "server: TIME_WAIT", "client: CLOSED"]);
    // The uid is the one `inspect conns` gives this connection.
    let uid = s(&r[0]["uid"]).to_string();
    let by_uid = rungs(&["captures/web.pcap", "--conn", &uid]);
    assert_eq!(by_uid, r);
}

fn explain_names_the_handshake_numbers() {
    let golden = tshark_fields("captures_web.pcap.tsv");
    let text = inspect_ok(["ladder", "captures/web.pcap", "0", "--explain"]);
    let x: u32 = golden[&3]["tcp.seq_raw"].parse().unwrap();
    let y: u32 = golden[&4]["tcp.seq_raw"].parse().unwrap();
    assert!(text.contains(&format!("[S] seq=x ({x})")), "{text}");
    assert!(text.contains(&format!("[S.] seq=y ({y}) ack=x+1 ({})", x + 1)), "{text}");
    assert!(text.contains(&format!("[.] ack=y+1 ({})", y + 1)), "{text}");
}

fn long_connections_are_elided_in_the_middle() {
    let all = rungs(&["captures/streams.pcap", "3"]);
    let text = inspect_ok(["ladder", "captures/streams.pcap", "3", "--max-rows", "10"]);
    assert!(text.contains(&format!("… {} packets …", all.len() - 10)), "{text}");
    assert_eq!(text.lines().filter(|l| l.contains("──")).count(), 10);
    // The lossy download's retransmissions are marked.
    let retrans = all.iter().filter(|x| x["retransmission"] == true).count();
    assert!(retrans >= 1);
    let full = inspect_ok(["ladder", "captures/streams.pcap", "3", "--max-rows", "1000"]);
    assert_eq!(full.matches("(retransmission)").count(), retrans, "{full}");
}

fn the_svg_is_xml_with_an_arrow_per_packet() {
    let svg = inspect_ok(["ladder", "captures/web.pcap", "0", "--format", "svg"]);
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let lines = root.descendants().filter(|n| n.has_tag_name("line")).count();
    assert_eq!(lines, 2 + 12, "two lifelines and an arrow for each of the 12 packets");
    let texts: Vec<&str> = root.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
    assert!(texts.contains(&"CLOSE_WAIT→LAST_ACK"), "{texts:?}");
}

fn ladder_needs_a_tcp_connection() {
    let run = inspect(["ladder", "captures/web.pcap"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let run = inspect(["ladder", "captures/udp-unreach.pcap", "0"]);
    assert_eq!((run.code, run.stderr.as_str()), (Some(1), "inspect: captures/udp-unreach.pcap: no TCP stream 0: it has none\n"));
}
