//! SYN-flood detection as a user sees it: the binary on the recorded floods (hping3 and
//! thcsyn6 in namespaces: `captures/synflood.pcap`, expected values from `captures/README.md`
//! and tshark's count of its bogon sources; `captures/flood-*.pcap`, with tshark's SYN counts in
//! `tests/golden/flood/` written by `scripts/golden_flood.sh`) and on pcap files written here
//! from generated packet sequences, IPv4 and IPv6, whose expected alerts and notices follow from
//! how the sequences are built (rates, counts, which handshakes complete).

use std::ffi::OsStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use serde_json::Value;

use crate::support::frames::{tcp_ip, ACK, FIN, PSH, RST, SYN};
use crate::support::pcap::{micros, Pcap};
use crate::support::{inspect, json_lines, Test, TempDir};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(recorded_hping_flood_alerts_once_on_port_80),
        trial!(recorded_floods_give_one_alert_per_target_with_tsharks_counts),
        trial!(busy_server_completing_most_handshakes_is_a_surge_not_a_flood),
        trial!(ipv6_flood_is_described_like_ipv4),
        trial!(flood_over_many_ports_of_one_host_is_one_multi_port_alert),
        trial!(flood_over_many_hosts_of_one_subnet_is_one_carpet_alert),
        trial!(two_flooded_servers_of_one_subnet_get_an_alert_each),
        trial!(top_sources_are_only_sources_certain_to_be_heavy),
        trial!(open_and_closed_objects_share_an_id),
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
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
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
        let frame = tcp_ip(s.src, s.sport, s.dst, s.dport).flags(s.flags).seq(s.seq).ack(s.ack).payload(payload);
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

    /// A public unicast address: IPv4 with first octet 1..=223, never 10, 100, 127, 169, 172,
    /// 192, 198, 203; IPv6 in 2a00::/12 (global unicast, no special range).
    fn public_addr(&mut self, fam: Fam) -> IpAddr {
        match fam {
            Fam::V4 => loop {
                let v = self.next() as u32;
                let a = (v >> 24) as u8;
                if (1..224).contains(&a) && ![10, 100, 127, 169, 172, 192, 198, 203].contains(&a) {
                    return Ipv4Addr::from(v).into();
                }
            },
            Fam::V6 => {
                let v = (self.next() as u128) << 64 | self.next() as u128;
                Ipv6Addr::from(0x2a00_u128 << 112 | v >> 12).into()
            }
        }
    }
}

/// An address family: every generated case runs over both.
#[derive(Clone, Copy, Debug)]
enum Fam {
    V4,
    V6,
}

impl Fam {
    /// Host `host` of the servers' subnet (10.0.0.0/24, fd00:1::/64).
    fn server_at(self, host: u8) -> IpAddr {
        match self {
            Fam::V4 => Ipv4Addr::new(10, 0, 0, host).into(),
            Fam::V6 => Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, host as u16).into(),
        }
    }

    /// The server of most cases: 10.0.0.2 or fd00:1::2.
    fn server(self) -> IpAddr {
        self.server_at(2)
    }

    /// One of the LAN clients, 10.1.0.0/16 or fd00:2::/64.
    fn client(self, i: u64) -> IpAddr {
        match self {
            Fam::V4 => Ipv4Addr::new(10, 1, (i % 200 / 100) as u8, (i % 100) as u8 + 1).into(),
            Fam::V6 => Ipv6Addr::new(0xfd00, 2, 0, 0, 0, 0, 0, (i % 200) as u16 + 1).into(),
        }
    }
}

const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

/// `n` SYNs to SERVER:`port`, one every `gap_us`, from random public addresses, starting at
/// `t0_us`; with `synack`, the server answers each with a SYN-ACK 100 µs later (and nobody
/// answers that).
fn spoofed_flood(rng: &mut Rng, t0_us: u64, n: u64, gap_us: u64, port: u16, synack: bool) -> Vec<Seg> {
    spoofed_flood_to(rng, Fam::V4, t0_us, n, gap_us, |_| (SERVER.into(), port), synack)
}

/// `n` spoofed SYNs of family `fam`, the `i`th to `target(i)`, one every `gap_us` from `t0_us`.
fn spoofed_flood_to(
    rng: &mut Rng,
    fam: Fam,
    t0_us: u64,
    n: u64,
    gap_us: u64,
    target: impl Fn(u64) -> (IpAddr, u16),
    synack: bool,
) -> Vec<Seg> {
    let mut v = Vec::new();
    for i in 0..n {
        let src = rng.public_addr(fam);
        let sport = 1024 + (rng.next() % 60000) as u16;
        let seq = rng.next() as u32;
        let us = t0_us + i * gap_us;
        let (dst, port) = target(i);
        v.push(Seg { us, src, sport, dst, dport: port, flags: SYN, seq, ack: 0 });
        if synack {
            v.push(Seg { us: us + 100, src: dst, sport: port, dst: src, dport: sport, flags: SYN | ACK, seq: 7, ack: seq.wrapping_add(1) });
        }
    }
    v
}

/// `n` complete short connections to SERVER:`port`, one starting every `gap_us` from 200
/// clients in 10.1.0.0/16 LAN space, each: handshake with round trip `rtt_us`, a request, and a
/// FIN exchange.
fn busy_normal(t0_us: u64, n: u64, gap_us: u64, rtt_us: u64, port: u16) -> Vec<Seg> {
    busy_service(Fam::V4, t0_us, n, gap_us, rtt_us, port, 100)
}

/// `n` connection attempts to the server of `fam` on `port`, one every `gap_us`, from 200 LAN
/// clients; of each hundred, the first `complete` are served (handshake with round trip
/// `rtt_us`, a request, a FIN exchange), two fifths of the rest refused (RST) and the others
/// never answered (a SYN alone: the client gave up, or the server dropped it).
fn busy_service(fam: Fam, t0_us: u64, n: u64, gap_us: u64, rtt_us: u64, port: u16, complete: u64) -> Vec<Seg> {
    let mut v = Vec::new();
    let req = REQUEST.len() as u32;
    let server = fam.server();
    for i in 0..n {
        let c = fam.client(i);
        let cp = 20000 + (i % 40000) as u16;
        let t = t0_us + i * gap_us;
        let h = rtt_us / 2;
        let s = |us, src, sport, dst, dport, flags, seq, ack| Seg { us, src, sport, dst, dport, flags, seq, ack };
        v.push(s(t, c, cp, server, port, SYN, 100, 0));
        let k = i % 100;
        if k >= complete {
            if (k - complete) * 5 < (100 - complete) * 2 {
                v.push(s(t + h, server, port, c, cp, RST | ACK, 0, 101));
            }
            continue;
        }
        v.push(s(t + h, server, port, c, cp, SYN | ACK, 500, 101));
        v.push(s(t + 2 * h, c, cp, server, port, ACK, 101, 501));
        v.push(s(t + 2 * h + 10, c, cp, server, port, PSH | ACK, 101, 501));
        v.push(s(t + 3 * h, server, port, c, cp, FIN | ACK, 501, 101 + req));
        v.push(s(t + 4 * h, c, cp, server, port, FIN | ACK, 101 + req, 502));
        v.push(s(t + 5 * h, server, port, c, cp, ACK, 502, 102 + req));
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
    // 300 random sources with a SYN each and a client with three: none certainly stands out.
    assert_eq!(a["top_sources"], serde_json::json!([]), "{a}");
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
    // Random sources, one SYN each: no source is certain to be heavier than the others.
    assert_eq!(a["top_sources"], serde_json::json!([]), "{a}");
}

fn busy_normal_traffic_raises_nothing() {
    let dir = TempDir::new("flood-busy");
    // 20,000 complete connections at 2,000 per second for 10 s, 10 ms round trips: about 20
    // handshakes outstanding at any moment, far from 64, though the SYN rate is 20 times 100.
    let mut segs = busy_normal(0, 20_000, 500, 10_000, 443);
    let file = write_pcap(&dir, "busy.pcap", &mut segs);
    let objs = run_json(&file, &[]);
    assert!(objs.iter().all(|o| o["event_type"] != "alert" && o["event_type"] != "notice"), "alert on normal traffic");
    let flood = objs.iter().find(|o| o["event_type"] == "flood").expect("the flood counters");
    assert_eq!((&flood["alerts"], &flood["notices"]), (&0.into(), &0.into()));
    // Told that 16 outstanding handshakes are too many, the same traffic crosses the rate and
    // half-open thresholds; every handshake completes, so that is a surge, not a flood.
    let objs = run_json(&file, &["--flood-half-open", "16"]);
    assert!(closed_alerts(&objs).is_empty(), "a flood alert on traffic that completes every handshake");
    let notices: Vec<_> = objs.iter().filter(|o| o["event_type"] == "notice").collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!((notices[0]["note"].as_str(), notices[0]["p"].as_u64()), (Some("connection_surge"), Some(443)));
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
            let (src, dst) = (src.into(), SERVER.into());
            segs.push(Seg { us, src, sport: 1000 + i as u16, dst, dport: 80, flags: SYN, seq: i as u32, ack: 0 });
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
    let run = inspect(["read", "--flood-completion", "101", "x.pcap"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("--flood-completion"), "{}", run.stderr);
}

/// How the golden files name an alert's target: `ADDR:PORT`, `ADDR:*` (several ports of one
/// address) or `PREFIX:*` (a carpet).
fn target_name(a: &Value) -> String {
    let dst = a["dst"].as_str().unwrap_or("?");
    match a["pattern"].as_str() {
        Some("one_port") => format!("{dst}:{}", a["dport"]),
        Some("multi_port") => format!("{dst}:*"),
        Some("carpet") => format!("{dst}/{}:*", a["prefix"]),
        _ => panic!("no pattern in {a}"),
    }
}

fn recorded_floods_give_one_alert_per_target_with_tsharks_counts() {
    let mut goldens: Vec<_> = std::fs::read_dir("tests/golden/flood")
        .expect("tests/golden/flood")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    goldens.sort();
    assert!(goldens.len() >= 6, "{goldens:?}");
    for golden in goldens {
        let capture = Path::new("captures").join(golden.file_stem().expect("a name"));
        let text = std::fs::read_to_string(&golden).expect("golden file");
        let want: Vec<(&str, f64)> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f[0], f[1].parse().expect("a count"))
            })
            .collect();
        let objs = run_json(&capture, &[]);
        let alerts = closed_alerts(&objs);
        let names: Vec<String> = alerts.iter().map(target_name).collect();
        assert_eq!(alerts.len(), want.len(), "{}: alerts on {names:?}, floods on {want:?}", capture.display());
        for (target, syns) in want {
            let a = alerts
                .iter()
                .find(|a| target_name(a) == target)
                .unwrap_or_else(|| panic!("{}: no alert on {target}, only on {names:?}", capture.display()));
            let got = num(a, "syns");
            assert!((got - syns).abs() <= syns * 0.01, "{}: {target}: {got} SYNs, tshark counts {syns}", capture.display());
            assert_eq!(a["spoofed"], true, "{a}");
            assert_eq!(a["top_sources"], serde_json::json!([]), "random sources: none stands out: {a}");
        }
    }
}

fn busy_server_completing_most_handshakes_is_a_surge_not_a_flood() {
    let dir = TempDir::new("flood-surge");
    for fam in [Fam::V4, Fam::V6] {
        // 5,000 attempts a second for 4 s, 2 ms round trips: 80 of each hundred served, 8
        // refused, 12 never answered, which pile up for the 3 s timeout (1,800 waiting).
        let mut segs = busy_service(fam, 0, 20_000, 200, 2_000, 443, 80);
        let file = write_pcap(&dir, &format!("surge-{fam:?}.pcap"), &mut segs);
        let objs = run_json(&file, &[]);
        assert!(objs.iter().all(|o| o["event_type"] != "alert"), "{fam:?}: a flood alert on a server completing 80 %");
        let notices: Vec<_> = objs.iter().filter(|o| o["event_type"] == "notice").collect();
        assert_eq!(notices.len(), 1, "{fam:?}: {notices:?}");
        let n = notices[0];
        assert_eq!(n["note"], "connection_surge");
        assert_eq!((n["dst"].as_str(), n["p"].as_u64()), (Some(fam.server().to_string().as_str()), Some(443)));
        assert_eq!(n["n"], 20_000, "{n}");
        let share = num(n, "completion_share");
        assert!((0.78..=0.82).contains(&share), "{fam:?}: {share}");
        assert!(num(n, "peak_syn_rate") >= 4900.0 && num(n, "peak_outstanding") >= 1700.0, "{n}");
        assert!(n["msg"].as_str().is_some_and(|m| m.contains("443")), "{n}");
    }
    // Text: a flood on port 80 next to the surge on 443: the alert's table, then the notice's.
    let mut rng = Rng(0x5eed);
    let mut segs = busy_service(Fam::V4, 0, 20_000, 200, 2_000, 443, 80);
    segs.extend(spoofed_flood(&mut rng, 1_000_000, 2000, 1000, 80, false));
    let file = write_pcap(&dir, "surge-and-flood.pcap", &mut segs);
    let text = inspect(["read".as_ref(), "-q".as_ref(), file.as_os_str()]).ok();
    let at = |needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap_or_else(|| panic!("no {needle:?} in\n{text}"));
    assert!(at("ALERT syn_flood 10.0.0.2:80 ended") < at("SYN flood alerts: 1"), "{text}");
    assert!(at("SYN flood alerts: 1") < at("Notices: 1 connection_surge"), "{text}");
    assert!(!text.contains("ALERT syn_flood 10.0.0.2:443"), "{text}");
}

fn ipv6_flood_is_described_like_ipv4() {
    let dir = TempDir::new("flood-v6");
    let mut rng = Rng(0x6666_1234_abcd);
    let server = Fam::V6.server();
    // As generated_spoofed_flood: 2,000 SYNs 1 ms apart, then a normal connection 10 s later.
    let mut segs = spoofed_flood_to(&mut rng, Fam::V6, 0, 2000, 1000, |_| (server, 80), false);
    segs.extend(busy_service(Fam::V6, 12_000_000, 1, 1000, 1000, 22, 100));
    let file = write_pcap(&dir, "flood6.pcap", &mut segs);
    let alerts = closed_alerts(&run_json(&file, &[]));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!((a["dst"].as_str(), a["dport"].as_u64(), a["pattern"].as_str()), (Some("fd00:1::2"), Some(80), Some("one_port")));
    assert_eq!((a["prefix"].as_u64(), a["closed_by"].as_str()), (Some(128), Some("quiet")));
    assert_eq!((num(a, "syns"), num(a, "half_open"), num(a, "completed")), (2000.0, 2000.0, 0.0));
    assert!((num(a, "end") - ts(1_999_000)).abs() < 1e-6, "{a}");
    let sources = num(a, "sources");
    assert!((1800.0..=2200.0).contains(&sources), "{sources}");
    assert!(num(a, "one_syn_share") > 0.9 && a["spoofed"] == true, "{a}");
    let text = inspect(["read".as_ref(), "-q".as_ref(), file.as_os_str()]).ok();
    assert!(text.contains("ALERT syn_flood [fd00:1::2]:80 started at"), "{text}");
}

/// A flood's name, its target for each SYN, how many ports it hits, and their range.
type Shape = (&'static str, Box<dyn Fn(u64) -> (IpAddr, u16)>, u64, [u16; 2]);

fn flood_over_many_ports_of_one_host_is_one_multi_port_alert() {
    let dir = TempDir::new("flood-ports");
    for fam in [Fam::V4, Fam::V6] {
        let server = fam.server();
        // Two shapes: every SYN to the next port (hping3 -p ++1000), and six ports in turn.
        let shapes: [Shape; 2] = [
            ("sweep", Box::new(move |i| (server, 1000 + i as u16)), 3000, [1000, 3999]),
            ("six", Box::new(move |i| (server, [22, 25, 80, 443, 8080, 8443][i as usize % 6])), 6, [22, 8443]),
        ];
        for (name, target, ports, range) in shapes {
            let mut rng = Rng(0xabad_1dea);
            // A busy service on port 993 of the same address, from a second before and on.
            let mut segs = busy_service(fam, 0, 4000, 1000, 2_000, 993, 100);
            segs.extend(spoofed_flood_to(&mut rng, fam, 1_000_000, 3000, 500, target, false));
            let file = write_pcap(&dir, &format!("{name}-{fam:?}.pcap"), &mut segs);
            let objs = run_json(&file, &[]);
            let alerts = closed_alerts(&objs);
            assert_eq!(alerts.len(), 1, "{name} {fam:?}: {:?}", alerts.iter().map(target_name).collect::<Vec<_>>());
            let a = &alerts[0];
            assert_eq!(target_name(a), format!("{server}:*"), "{a}");
            assert_eq!((a["dport"].clone(), a["hosts"].as_u64()), (Value::Null, Some(1)), "{a}");
            let got = num(a, "ports");
            let want = ports as f64;
            assert!((got - want).abs() <= want * 0.15, "{name} {fam:?}: ~{got} ports, {want} flooded");
            assert_eq!(a["port_range"], serde_json::json!(range), "{a}");
            let syns = num(a, "syns");
            assert!((syns - 3000.0).abs() <= 30.0, "{name} {fam:?}: {syns} SYNs of 3000");
            assert!(a["spoofed"] == true && num(a, "completed") == 0.0, "{a}");
            assert!(objs.iter().all(|o| o["event_type"] != "notice"), "{name} {fam:?}: the busy port is not a surge here");
        }
    }
    let file = dir.join("six-V4.pcap");
    let text = inspect(["read".as_ref(), "-q".as_ref(), file.as_os_str()]).ok();
    assert!(text.contains("ALERT syn_flood 10.0.0.2 (multi-port: ~6 ports 22-8443) started at"), "{text}");
}

fn flood_over_many_hosts_of_one_subnet_is_one_carpet_alert() {
    let dir = TempDir::new("flood-carpet");
    for (fam, net, prefix) in [(Fam::V4, "10.0.5.0", 24), (Fam::V6, "fd00:5::", 120)] {
        let host = move |i: u64| -> IpAddr {
            let h = 1 + (i * 7 % 200) as u8;
            match fam {
                Fam::V4 => Ipv4Addr::new(10, 0, 5, h).into(),
                Fam::V6 => Ipv6Addr::new(0xfd00, 5, 0, 0, 0, 0, 0, h as u16).into(),
            }
        };
        let mut rng = Rng(0x00ca_49e7);
        // 3,000 SYNs at 2,000 a second to 200 addresses, port 80, next to a busy server
        // (10.0.0.2:443) of the same /16 that completes everything.
        let mut segs = busy_service(fam, 0, 4000, 1000, 2_000, 443, 100);
        segs.extend(spoofed_flood_to(&mut rng, fam, 1_000_000, 3000, 500, move |i| (host(i), 80), false));
        let file = write_pcap(&dir, &format!("carpet-{fam:?}.pcap"), &mut segs);
        let alerts = closed_alerts(&run_json(&file, &[]));
        assert_eq!(alerts.len(), 1, "{fam:?}: {:?}", alerts.iter().map(target_name).collect::<Vec<_>>());
        let a = &alerts[0];
        assert_eq!(target_name(a), format!("{net}/{prefix}:*"), "{a}");
        assert_eq!((a["pattern"].as_str(), a["dport"].as_u64()), (Some("carpet"), Some(80)), "{a}");
        let hosts = num(a, "hosts");
        assert!((170.0..=230.0).contains(&hosts), "{fam:?}: ~{hosts} hosts of 200");
        let syns = num(a, "syns");
        assert!((syns - 3000.0).abs() <= 30.0, "{fam:?}: {syns} SYNs of 3000");
        assert_eq!(a["spoofed"], true, "{a}");
    }
    let file = dir.join("carpet-V4.pcap");
    let text = inspect(["read".as_ref(), "-q".as_ref(), file.as_os_str()]).ok();
    assert!(text.contains("ALERT syn_flood 10.0.5.0/24 (carpet: ~"), "{text}");
}

fn two_flooded_servers_of_one_subnet_get_an_alert_each() {
    let dir = TempDir::new("flood-two");
    for fam in [Fam::V4, Fam::V6] {
        let (a, b) = (fam.server_at(2), fam.server_at(3));
        let mut rng = Rng(0x7770);
        // 4,000 SYNs at 2,000 a second, every other one to each server.
        let mut segs = spoofed_flood_to(&mut rng, fam, 0, 4000, 500, |i| if i % 2 == 0 { (a, 80) } else { (b, 22) }, false);
        let file = write_pcap(&dir, &format!("two-{fam:?}.pcap"), &mut segs);
        let alerts = closed_alerts(&run_json(&file, &[]));
        let mut names: Vec<String> = alerts.iter().map(target_name).collect();
        names.sort();
        assert_eq!(names, [format!("{a}:80"), format!("{b}:22")], "{fam:?}");
        for x in &alerts {
            assert_eq!(num(x, "syns"), 2000.0, "{x}");
        }
    }
}

fn top_sources_are_only_sources_certain_to_be_heavy() {
    let dir = TempDir::new("flood-top");
    let mut rng = Rng(0x70b5);
    // 4,000 spoofed SYNs, and among them 1,000 from one real attacker (every fifth SYN).
    let heavy: IpAddr = Ipv4Addr::new(45, 1, 2, 3).into();
    let mut segs = spoofed_flood(&mut rng, 0, 5000, 250, 80, false);
    for (i, s) in segs.iter_mut().enumerate() {
        if i % 5 == 0 {
            s.src = heavy;
        }
    }
    let file = write_pcap(&dir, "top.pcap", &mut segs);
    let alerts = closed_alerts(&run_json(&file, &[]));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let top = alerts[0]["top_sources"].as_array().expect("top sources").clone();
    assert_eq!(top.len(), 1, "only the real attacker is certain: {top:?}");
    assert_eq!(top[0]["addr"], "45.1.2.3");
    let (syns, error) = (num(&top[0], "syns"), num(&top[0], "error"));
    assert!(syns >= 1000.0 && syns - error <= 1000.0 && syns - error > error, "{top:?}");
    // A flood from random sources alone: none is certain.
    let mut rng = Rng(0x70b6);
    let mut segs = spoofed_flood(&mut rng, 0, 5000, 250, 80, false);
    let file = write_pcap(&dir, "random.pcap", &mut segs);
    let alerts = closed_alerts(&run_json(&file, &[]));
    assert_eq!(alerts[0]["top_sources"], serde_json::json!([]), "{}", alerts[0]);
}

fn open_and_closed_objects_share_an_id() {
    let dir = TempDir::new("flood-ids");
    let mut rng = Rng(0x1d5);
    // Two floods one after the other on 10.0.0.2:80 (the first closes after the quiet period),
    // and one on 10.0.0.3:22 during the second.
    let other = Fam::V4.server_at(3);
    let mut segs = spoofed_flood(&mut rng, 0, 1000, 1000, 80, false);
    segs.extend(spoofed_flood(&mut rng, 20_000_000, 1000, 1000, 80, false));
    segs.extend(spoofed_flood_to(&mut rng, Fam::V4, 20_000_500, 1000, 1000, |_| (other, 22), false));
    let file = write_pcap(&dir, "ids.pcap", &mut segs);
    let objs = run_json(&file, &[]);
    let alerts: Vec<&Value> = objs.iter().filter(|o| o["event_type"] == "alert").collect();
    assert_eq!(alerts.len(), 6, "{alerts:?}");
    let mut ids: Vec<u64> = alerts.iter().map(|a| num(a, "id") as u64).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three alerts: {alerts:?}");
    for id in ids {
        let of: Vec<&&Value> = alerts.iter().filter(|a| a["id"] == id).collect();
        let states: Vec<&str> = of.iter().filter_map(|a| a["state"].as_str()).collect();
        assert_eq!(states, ["open", "closed"], "alert {id}");
        assert_eq!((&of[0]["dst"], &of[0]["dport"], &of[0]["start"]), (&of[1]["dst"], &of[1]["dport"], &of[1]["start"]));
    }
}
