//! `read FILE --at T`: the state of a capture at a moment. The moments and the expected states
//! come from tshark's reading of the capture (tests/golden/at, written by
//! scripts/golden_at.sh): when each TCP connection began and ended, and which end sent the
//! first FIN. RFC 793: the end that closes first and sees the other's FIN waits in TIME_WAIT;
//! the other end, its FIN acknowledged, is CLOSED.

use std::ops::ControlFlow;

use inspect::source::file::FileSource;
use inspect::source::Ts;

use crate::support::{inspect, inspect_ok, json_lines, n, of_type, root, s, Test};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(between_two_connections_the_first_is_closed_and_the_second_not_begun),
        trial!(after_the_second_closes_its_closing_end_waits_in_time_wait),
        trial!(seconds_after_the_first_frame_name_the_same_moment),
        trial!(text_shows_the_tables_and_the_moment),
        trial!(a_moment_that_is_not_one_is_a_usage_error),
    ]
}

/// One TCP segment as tshark read it.
struct Seg {
    stream: u32,
    ts: Ts,
    src: (String, u16),
    dst: (String, u16),
    syn: bool,
    ack: bool,
    fin: bool,
}

fn golden() -> Vec<Seg> {
    let text = std::fs::read_to_string(root().join("tests/golden/at/web.pcap.tsv")).expect("golden file");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let (sec, frac) = f[1].split_once('.').expect("epoch with fraction");
            let nsec: u32 = format!("{frac:0<9}")[..9].parse().unwrap();
            Seg {
                stream: f[0].parse().unwrap(),
                ts: Ts { sec: sec.parse().unwrap(), nsec },
                src: (f[2].to_string(), f[3].parse().unwrap()),
                dst: (f[4].to_string(), f[5].parse().unwrap()),
                syn: f[6] == "1",
                ack: f[7] == "1",
                fin: f[8] == "1",
            }
        })
        .collect()
}

/// What tshark's segments say of one stream: its originator, responder, first and last
/// segment, and which end (true: the originator) sent the first FIN.
struct Stream {
    orig: (String, u16),
    resp: (String, u16),
    first: Ts,
    last: Ts,
    orig_closed_first: bool,
}

fn stream(segs: &[Seg], n: u32) -> Stream {
    let mine: Vec<&Seg> = segs.iter().filter(|x| x.stream == n).collect();
    let syn = mine.iter().find(|x| x.syn && !x.ack).expect("a SYN");
    let fin = mine.iter().find(|x| x.fin).expect("a FIN");
    Stream {
        orig: syn.src.clone(),
        resp: syn.dst.clone(),
        first: mine[0].ts,
        last: mine[mine.len() - 1].ts,
        orig_closed_first: fin.src == syn.src,
    }
}

fn mid(a: Ts, b: Ts) -> Ts {
    a.plus_secs(b.secs_since(a) / 2.0)
}

fn conns_at(at: &str) -> Vec<serde_json::Value> {
    let out = inspect_ok(["read", "captures/web.pcap", "--at", at, "--format", "json", "--no-sandbox"]);
    json_lines(&out)
}

fn ends(c: &serde_json::Value) -> ((String, u16), (String, u16)) {
    (
        (s(&c["id.orig_h"]).to_string(), n(&c["id.orig_p"]) as u16),
        (s(&c["id.resp_h"]).to_string(), n(&c["id.resp_p"]) as u16),
    )
}

/// The states an end that closed first and one that closed second stand in once the last ACK
/// went by: (orig_state, resp_state).
fn closed_states(st: &Stream) -> (&'static str, &'static str) {
    if st.orig_closed_first {
        ("TIME_WAIT", "CLOSED")
    } else {
        ("CLOSED", "TIME_WAIT")
    }
}

fn between_two_connections_the_first_is_closed_and_the_second_not_begun() {
    let segs = golden();
    let (a, b) = (stream(&segs, 0), stream(&segs, 1));
    let at = mid(a.last, b.first);
    let objs = conns_at(&at.to_string());
    let head = of_type(&objs, "at");
    assert_eq!(head.len(), 1, "{objs:?}");
    assert!((head[0]["ts"].as_f64().unwrap() - at.as_secs_f64()).abs() < 1e-6);
    let conns = of_type(&objs, "conn");
    assert_eq!(conns.len(), 1, "only the first connection exists at {at}: {conns:?}");
    let c = conns[0];
    assert_eq!(ends(c), (a.orig.clone(), a.resp.clone()));
    let (o, r) = closed_states(&a);
    assert_eq!((s(&c["orig_state"]), s(&c["resp_state"])), (o, r), "{c}");
    assert_eq!(s(&c["conn_state"]), "SF");
    assert!(!conns.iter().any(|c| ends(c).1 == b.resp), "the second has not begun");
    // The ARP exchange before the first connection put the server in the table.
    let arp = of_type(&objs, "arp");
    assert!(arp.iter().any(|e| s(&e["ip"]) == a.resp.0), "{arp:?}");
}

fn after_the_second_closes_its_closing_end_waits_in_time_wait() {
    let segs = golden();
    let b = stream(&segs, 1);
    // Just after its last ACK: well within every timeout.
    let at = b.last.plus_secs(0.001);
    let objs = conns_at(&at.to_string());
    let conns = of_type(&objs, "conn");
    let c = conns.iter().find(|c| ends(c) == (b.orig.clone(), b.resp.clone())).expect("the second connection");
    let (o, r) = closed_states(&b);
    assert_eq!((s(&c["orig_state"]), s(&c["resp_state"])), (o, r), "{c}");
    // Halfway through it, after the handshake, both ends are established.
    let mine: Vec<&Seg> = segs.iter().filter(|x| x.stream == 1).collect();
    let at = mid(mine[2].ts, mine[3].ts);
    let objs = conns_at(&at.to_string());
    let c = of_type(&objs, "conn").into_iter().find(|c| ends(c).1 == b.resp).cloned().expect("the second connection");
    assert_eq!((s(&c["orig_state"]), s(&c["resp_state"])), ("ESTABLISHED", "ESTABLISHED"), "{c}");
}

fn seconds_after_the_first_frame_name_the_same_moment() {
    let mut src = FileSource::open(root().join("captures/web.pcap").to_str().unwrap()).unwrap();
    let mut first = None;
    src.for_each(|f| {
        first = Some(f.ts);
        ControlFlow::Break(())
    })
    .unwrap();
    let segs = golden();
    let (a, b) = (stream(&segs, 0), stream(&segs, 1));
    let at = mid(a.last, b.first);
    let rel = at.secs_since(first.unwrap());
    let by_time = conns_at(&at.to_string());
    let by_offset = conns_at(&format!("+{rel:.6}"));
    let conns = |o: &[serde_json::Value]| of_type(o, "conn").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(conns(&by_time), conns(&by_offset));
    assert_eq!(by_time.len(), by_offset.len());
}

fn text_shows_the_tables_and_the_moment() {
    let segs = golden();
    let (a, b) = (stream(&segs, 0), stream(&segs, 1));
    let at = mid(a.last, b.first);
    let out = inspect_ok(["read", "captures/web.pcap", "--at", &at.to_string(), "--no-sandbox"]);
    assert!(out.starts_with(&format!("── state at {at} UTC, after 14 frames ──\n")), "{out}");
    assert!(out.contains("TIME_WAIT"), "{out}");
    assert!(!out.contains(&format!(":{}", b.resp.1)), "{out}");
    assert!(out.contains("No alerts open."), "{out}");
    // The whole capture read: nothing is printed but the state.
    assert!(!out.contains("GET /"), "{out}");
}

fn a_moment_that_is_not_one_is_a_usage_error() {
    let run = inspect(["read", "captures/web.pcap", "--at", "noon"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("'noon' is not a moment"), "{}", run.stderr);
}
