//! SYN-flood detection as a user sees it: the binary on the recorded hping3 flood
//! (`captures/synflood.pcap`, expected values from `captures/README.md` and tshark's count of
//! its bogon sources) and on pcap files written here from generated packet sequences, whose
//! expected alerts follow from how the sequences are built (rates, counts, which handshakes
//! complete).

use std::ffi::OsStr;
use std::net::Ipv4Addr;
use std::path::Path;

use serde_json::Value;

use crate::support::frames::{tcp, ACK, FIN, PSH, SYN};
use crate::support::pcap::{micros, Pcap};
use crate::support::{inspect, json_lines, Test, TempDir};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(recorded_hping_flood_alerts_once_on_port_80),
        trial!(generated_spoofed_flood_is_described),
        trial!(busy_normal_traffic_raises_nothing),
        trial!(flood_on_one_port_alerts_for_that_port_only),
        trial!(syn_cookie_server_shows_unanswered_synacks),
        trial!(flood_from_few_real_sources_is_not_spoofed),
        trial!(alert_lines_print_as_it_happens_and_in_the_summary),
        trial!(bad_threshold_is_a_usage_error),
    ]
}

/// One TCP segment at a time in microseconds from the start of the file.
#[derive(Clone, Copy)]
struct Seg {
    us: u64,
    src: Ipv4Addr,
    sport: u16,
    dst: Ipv4Addr,
    dport: u16,
    flags: u8,
    seq: u32,
    ack: u32,
}

/// Start of every generated file: 2024-01-01 00:00:00 UTC.
const EPOCH: u64 = 1_704_067_200;

/// The HTTP request a PSH segment carries.
const REQUEST: &[u8] = b"GET / HTTP/1.0\r\n\r\n";

/// A pcap holding `segs` in time order, written as `name` in `dir`.
fn write_pcap(dir: &TempDir, name: &str, segs: &mut [Seg]) -> std::path::PathBuf {
    segs.sort_by_key(|s| s.us);
    let mut pcap = Pcap::micro();
    for s in segs.iter() {
        let payload = if s.flags & PSH != 0 { REQUEST.len() } else { 0 };
        let frame = tcp(s.src.octets(), s.sport, s.dst.octets(), s.dport).flags(s.flags).seq(s.seq).ack(s.ack).payload(payload);
        pcap.add(micros(EPOCH * 1_000_000 + s.us), &frame.frame());
    }
    pcap.write(dir, name)
}

/// A deterministic 64-bit generator (xorshift), so files are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A public unicast address: first octet 1..=223, never 10, 100, 127, 169, 172, 192, 198, 203.
    fn public_addr(&mut self) -> Ipv4Addr {
        loop {
            let v = self.next() as u32;
            let a = (v >> 24) as u8;
            if (1..224).contains(&a) && ![10, 100, 127, 169, 172, 192, 198, 203].contains(&a) {
                return Ipv4Addr::from(v);
            }
        }
    }
}

const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

/// `n` SYNs to SERVER:`port`, one every `gap_us`, from random public addresses, starting at
/// `t0_us`; with `synack`, the server answers each with a SYN-ACK 100 µs later (and nobody
/// answers that).
fn spoofed_flood(rng: &mut Rng, t0_us: u64, n: u64, gap_us: u64, port: u16, synack: bool) -> Vec<Seg> {
    let mut v = Vec::new();
    for i in 0..n {
        let src = rng.public_addr();
        let sport = 1024 + (rng.next() % 60000) as u16;
        let seq = rng.next() as u32;
        let us = t0_us + i * gap_us;
        v.push(Seg { us, src, sport, dst: SERVER, dport: port, flags: SYN, seq, ack: 0 });
        if synack {
            v.push(Seg { us: us + 100, src: SERVER, sport: port, dst: src, dport: sport, flags: SYN | ACK, seq: 7, ack: seq.wrapping_add(1) });
        }
    }
    v
}

/// `n` complete short connections to SERVER:`port`, one starting every `gap_us` from 200
/// clients in 10.1.0.0/16 LAN space, each: handshake with round trip `rtt_us`, a request, and a
/// FIN exchange.
fn busy_normal(t0_us: u64, n: u64, gap_us: u64, rtt_us: u64, port: u16) -> Vec<Seg> {
    let mut v = Vec::new();
    let req = REQUEST.len() as u32;
    for i in 0..n {
        let c = Ipv4Addr::new(10, 1, (i % 200 / 100) as u8, (i % 100) as u8 + 1);
        let cp = 20000 + (i % 40000) as u16;
        let t = t0_us + i * gap_us;
        let h = rtt_us / 2;
        let s = |us, src, sport, dst, dport, flags, seq, ack| Seg { us, src, sport, dst, dport, flags, seq, ack };
        v.push(s(t, c, cp, SERVER, port, SYN, 100, 0));
        v.push(s(t + h, SERVER, port, c, cp, SYN | ACK, 500, 101));
        v.push(s(t + 2 * h, c, cp, SERVER, port, ACK, 101, 501));
        v.push(s(t + 2 * h + 10, c, cp, SERVER, port, PSH | ACK, 101, 501));
        v.push(s(t + 3 * h, SERVER, port, c, cp, FIN | ACK, 501, 101 + req));
        v.push(s(t + 4 * h, c, cp, SERVER, port, FIN | ACK, 101 + req, 502));
        v.push(s(t + 5 * h, SERVER, port, c, cp, ACK, 502, 102 + req));
    }
    v
}

/// Runs `inspect read -q --format json` with extra arguments; returns the JSON objects.
fn run_json(file: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args: Vec<&OsStr> = ["read", "-q", "--format", "json"].iter().chain(extra).map(OsStr::new).collect();
    args.push(file.as_os_str());
    json_lines(&inspect(&args).ok())
}

/// The closed alerts (one per alert: the open event comes first, the closed one at the end).
fn closed_alerts(objs: &[Value]) -> Vec<Value> {
    objs.iter().filter(|o| o["event_type"] == "alert" && o["state"] == "closed").cloned().collect()
}

fn num(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("no number {k} in {v}"))
}

fn ts(us: u64) -> f64 {
    EPOCH as f64 + us as f64 / 1e6
}

fn recorded_hping_flood_alerts_once_on_port_80() {
    let objs = run_json(Path::new("captures/synflood.pcap"), &[]);
    let opened: Vec<_> = objs.iter().filter(|o| o["event_type"] == "alert" && o["state"] == "open").collect();
    assert_eq!(opened.len(), 1, "{objs:?}");
    let alerts = closed_alerts(&objs);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a["alert"], "syn_flood");
    assert_eq!(a["dst"], "10.0.0.2");
    assert_eq!(a["dport"], 80);
    // The README: 300 hping SYNs, ~2 ms apart, plus curl connections before (complete), during
    // and after the flood; the capture ends 1.7 s in, within the 5 s quiet period, so the alert
    // runs from the first hping SYN to the end: 300 + the two later curl SYNs.
    assert_eq!(a["closed_by"], "end_of_input");
    assert_eq!(num(a, "syns"), 302.0);
    // No SYN-ACK reaches the spoofed sources, so all 300 stay half-open; the two curls complete.
    assert_eq!(num(a, "half_open"), 300.0);
    assert_eq!(num(a, "completed"), 2.0);
    // All SYNs from the first curl to the last hping SYN fall within 0.7 s: one window.
    let peak = num(a, "peak_syn_rate");
    assert!((300.0..=302.0).contains(&peak), "{peak}");
    // 300 random sources plus 10.0.0.1 (HyperLogLog within 10 %).
    let sources = num(a, "sources");
    assert!((271.0..=331.0).contains(&sources), "{sources}");
    assert!(num(a, "one_syn_share") > 0.9, "{a}");
    // Random 32-bit sources: about one in eight is multicast or reserved (tshark counts 33).
    assert!(num(a, "bogon_sources") >= 20.0, "{a}");
    assert_eq!(a["spoofed"], true);
    assert!(a["top_sources"].as_array().is_some_and(|t| !t.is_empty()), "{a}");
    let start = num(a, "start");
    assert!(num(a, "end") > start && num(a, "detected") >= start, "{a}");
}

fn generated_spoofed_flood_is_described() {
    let dir = TempDir::new("flood-spoofed");
    let mut rng = Rng(0x1234_5678_9abc_def1);
    // 2,000 SYNs 1 ms apart (1,000 SYN/s for 2 s) from random public addresses, then one normal
    // connection to another port 10 s later that lets the quiet period (5 s) run out.
    let mut segs = spoofed_flood(&mut rng, 0, 2000, 1000, 80, false);
    segs.extend(busy_normal(12_000_000, 1, 1000, 1000, 22));
    let file = write_pcap(&dir, "flood.pcap", &mut segs);
    let alerts = closed_alerts(&run_json(&file, &[]));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!((a["dst"].as_str(), a["dport"].as_u64()), (Some("10.0.0.2"), Some(80)));
    assert_eq!(a["closed_by"], "quiet");
    assert_eq!(num(a, "syns"), 2000.0);
    assert!((num(a, "start") - ts(0)).abs() < 1e-6, "{a}");
    // Every SYN keeps the thresholds crossed (the timeout is longer than the flood): the end is
    // the last SYN.
    assert!((num(a, "end") - ts(1_999_000)).abs() < 1e-6, "{a}");
    // A one-second window of 100 ms buckets spans 0.9 to 1 s: 900 to 1,000 SYNs at 1,000/s.
    let peak = num(a, "peak_syn_rate");
    assert!((900.0..=1000.0).contains(&peak), "{peak}");
    assert_eq!(num(a, "half_open"), 2000.0);
    assert_eq!(num(a, "completed"), 0.0);
    let sources = num(a, "sources");
    assert!((1800.0..=2200.0).contains(&sources), "{sources}");
    assert!(num(a, "one_syn_share") > 0.9, "{a}");
    assert_eq!(num(a, "bogon_sources"), 0.0);
    assert_eq!(a["spoofed"], true);
}

fn busy_normal_traffic_raises_nothing() {
    let dir = TempDir::new("flood-busy");
    // 20,000 complete connections at 2,000 per second for 10 s, 10 ms round trips: about 20
    // handshakes outstanding at any moment, far from 64, though the SYN rate is 20 times 100.
    let mut segs = busy_normal(0, 20_000, 500, 10_000, 443);
    let file = write_pcap(&dir, "busy.pcap", &mut segs);
    let objs = run_json(&file, &[]);
    assert!(objs.iter().all(|o| o["event_type"] != "alert"), "alert on normal traffic");
    let flood = objs.iter().find(|o| o["event_type"] == "flood").expect("the flood counters");
    assert_eq!(flood["alerts"], 0);
    // The same traffic does alert when told that 16 outstanding handshakes are too many: the
    // thresholds are what decides.
    let objs = run_json(&file, &["--flood-half-open", "16"]);
    assert!(!closed_alerts(&objs).is_empty(), "no alert with --flood-half-open 16");
}

fn flood_on_one_port_alerts_for_that_port_only() {
    let dir = TempDir::new("flood-mixed");
    let mut rng = Rng(0xfeed_beef_cafe_f00d);
    // Normal busy HTTPS for 6 s next to a 2 s SYN flood on port 80 of the same server.
    let mut segs = busy_normal(0, 6000, 1000, 5_000, 443);
    segs.extend(spoofed_flood(&mut rng, 2_000_000, 2000, 1000, 80, false));
    let file = write_pcap(&dir, "mixed.pcap", &mut segs);
    let alerts = closed_alerts(&run_json(&file, &[]));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["dport"], 80);
    assert_eq!(num(&alerts[0], "syns"), 2000.0);
    assert_eq!(num(&alerts[0], "completed"), 0.0);
}

fn syn_cookie_server_shows_unanswered_synacks() {
    let dir = TempDir::new("flood-cookies");
    let mut rng = Rng(0x0dd_ba11_5eed);
    // The server answers every spoofed SYN: 500 SYN-ACKs nobody ever answers.
    let mut segs = spoofed_flood(&mut rng, 0, 500, 1000, 80, true);
    segs.extend(busy_normal(10_000_000, 1, 1000, 1000, 22));
    let file = write_pcap(&dir, "cookies.pcap", &mut segs);
    let alerts = closed_alerts(&run_json(&file, &[]));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(num(a, "synacks"), 500.0);
    assert_eq!(num(a, "synacks_unanswered"), 500.0);
    assert_eq!(num(a, "half_open"), 500.0);
    assert!(a["spoof_signs"].as_array().is_some_and(|s| s.iter().any(|x| x == "unanswered_synacks")), "{a}");
    assert_eq!(a["spoofed"], true);
}

fn flood_from_few_real_sources_is_not_spoofed() {
    let dir = TempDir::new("flood-real");
    // Four attackers, 500 SYNs each from successive ports, 4 SYNs per ms in all.
    let attackers = [Ipv4Addr::new(203, 1, 1, 1), Ipv4Addr::new(45, 2, 2, 2), Ipv4Addr::new(88, 3, 3, 3), Ipv4Addr::new(8, 4, 4, 4)];
    let mut segs = Vec::new();
    for i in 0..500u64 {
        for (k, &src) in attackers.iter().enumerate() {
            let us = i * 1000 + k as u64 * 250;
            segs.push(Seg { us, src, sport: 1000 + i as u16, dst: SERVER, dport: 80, flags: SYN, seq: i as u32, ack: 0 });
        }
    }
    let file = write_pcap(&dir, "real.pcap", &mut segs);
    let alerts = closed_alerts(&run_json(&file, &[]));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a["spoofed"], false);
    assert_eq!(num(a, "one_syn_share"), 0.0);
    assert!((3.0..=5.0).contains(&num(a, "sources")), "{a}");
    // Fewer sources than counters: Space-Saving counts them exactly.
    let top = a["top_sources"].as_array().expect("top sources");
    assert_eq!(top.len(), 4);
    for t in top {
        assert_eq!((t["syns"].as_u64(), t["error"].as_u64()), (Some(500), Some(0)), "{t}");
    }
}

fn alert_lines_print_as_it_happens_and_in_the_summary() {
    let dir = TempDir::new("flood-text");
    let mut rng = Rng(99);
    let mut segs = spoofed_flood(&mut rng, 0, 300, 2000, 80, false);
    let file = write_pcap(&dir, "flood.pcap", &mut segs);
    let text = inspect(["read".as_ref(), file.as_os_str()]).ok();
    let lines: Vec<&str> = text.lines().collect();
    // Opens at the 100th SYN: the rate reaches 100 then, and 100 attempts are outstanding.
    let open = lines
        .iter()
        .position(|l| l.starts_with("ALERT syn_flood 10.0.0.2:80 started at"))
        .unwrap_or_else(|| panic!("no open line:\n{text}"));
    assert_eq!(open, 100, "the alert line follows the 100th packet line");
    assert!(lines.iter().any(|l| l.starts_with("ALERT syn_flood 10.0.0.2:80 ended at")), "{text}");
    assert!(text.contains("SYN flood alerts: 1"), "{text}");
}

fn bad_threshold_is_a_usage_error() {
    let run = inspect(["read", "--flood-timeout", "0", "x.pcap"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("seconds above zero"), "{}", run.stderr);
}
