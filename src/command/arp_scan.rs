//! `inspect arp-scan`: ask every address of a subnet who-has, and show who answered.
//!
//! Passive learning only knows the stations that talk; a scan makes every station on the link
//! answer. The requests are built here (RFC 826 Ethernet/IPv4 ARP, 42 bytes) and sent through a
//! pnet datalink channel at a bounded rate; the answers are fed, as frames, through the same
//! decoder and [`ArpAnalyzer`] as a capture file, so the table (and any `duplicate address`) reads
//! exactly as `inspect arp` would show it. The scan is bounded in size (at most a /16) and in
//! time (addresses / rate + the wait).

use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ipnetwork::Ipv4Network;
use pnet::datalink::{self, Channel, NetworkInterface};

use crate::analyze::arp::{ArpAnalyzer, ArpConfig};
use crate::analyze::{Analyzer, Events};
use crate::cli::{self, ArpOptions, ArpScanArgs};
use crate::decode::{input, linktype};
use crate::error::RunError;
use crate::output::{arp as arp_out, count, json, Format};
use crate::report::arp::{ArpReport, Mac};
use crate::report::{Event, Report};
use crate::source::live::find_interface;
use crate::source::{Frame, Ts};

/// The smallest prefix a scan accepts: a /16 is 65,534 requests.
pub const MIN_PREFIX: u8 = 16;

/// Most requests sent in one turn of the loop when it fell behind the rate.
const BURST: u32 = 8;

/// What a scan did, for its summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScanSummary {
    /// The interface used.
    pub interface: String,
    /// The addresses asked for.
    pub network: String,
    /// The sender address in the requests (0.0.0.0: probes, the interface has no IPv4).
    pub sender_ip: Ipv4Addr,
    /// The interface's MAC, the requests' sender.
    pub sender_mac: Mac,
    /// Requests sent.
    pub sent: u64,
    /// Addresses that answered.
    pub answered: usize,
    /// Seconds the scan took.
    pub duration: f64,
    /// Requests per second asked for.
    pub rate: u32,
}

/// The addresses of `net` a scan asks for: all but the network and broadcast addresses (all of
/// a /31 or /32), and never `own`.
pub fn targets(net: Ipv4Network, own: Option<Ipv4Addr>) -> impl Iterator<Item = Ipv4Addr> {
    let base = u32::from(net.network());
    let size: u64 = 1u64 << (32 - net.prefix() as u32);
    let (lo, hi) = if net.prefix() >= 31 { (0, size) } else { (1, size - 1) };
    (lo..hi).map(move |i| Ipv4Addr::from(base.wrapping_add(i as u32))).filter(move |a| Some(*a) != own)
}

/// One broadcast who-has frame: Ethernet header and the 28-byte ARP body of RFC 826.
pub fn request(src_mac: Mac, src_ip: Ipv4Addr, target: Ipv4Addr) -> [u8; 42] {
    let mut f = [0u8; 42];
    let parts: [&[u8]; 11] = [
        &[0xff; 6],           // destination: broadcast
        &src_mac.0,           // source
        &[0x08, 0x06],        // EtherType ARP
        &[0x00, 0x01],        // hardware type Ethernet
        &[0x08, 0x00],        // protocol type IPv4
        &[6, 4],              // address lengths
        &[0x00, 0x01],        // operation: request
        &src_mac.0,           // sender hardware address
        &src_ip.octets(),     // sender protocol address
        &[0; 6],              // target hardware address: unknown
        &target.octets(),     // target protocol address
    ];
    let mut at = 0;
    for p in parts {
        if let Some(dst) = f.get_mut(at..at + p.len()) {
            dst.copy_from_slice(p);
        }
        at += p.len();
    }
    f
}

/// The network to scan: the one given, or the interface's first IPv4 subnet; refused when
/// larger than a /16 or when there is none.
pub fn scan_network(given: Option<Ipv4Network>, iface: &str, own: Option<Ipv4Network>) -> Result<Ipv4Network, RunError> {
    let net = match (given, own) {
        (Some(n), _) => n,
        (None, Some(n)) => n,
        (None, None) => {
            return Err(RunError::Usage(format!(
                "arp-scan: interface {iface} has no IPv4 address; give the addresses to scan as a CIDR"
            )))
        }
    };
    if net.prefix() < MIN_PREFIX {
        return Err(RunError::Usage(format!(
            "arp-scan: refusing to scan {}/{}: {} addresses; at most a /{MIN_PREFIX}{}",
            net.network(),
            net.prefix(),
            1u64 << (32 - net.prefix() as u32),
            if given.is_none() { " (give a smaller CIDR)" } else { "" }
        )));
    }
    Ipv4Network::new(net.network(), net.prefix()).map_err(|e| RunError::Usage(format!("arp-scan: {e}")))
}

fn wall_clock() -> Ts {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Ts { sec: d.as_secs() as i64, nsec: d.subsec_nanos() }
}

fn channel_error(iface: &str, e: io::Error) -> RunError {
    if e.kind() == io::ErrorKind::PermissionDenied {
        RunError::Input(format!("arp-scan: sending and capturing on {iface} needs root or CAP_NET_RAW"))
    } else {
        RunError::Input(format!("arp-scan: cannot open {iface}: {e}"))
    }
}

/// Runs `inspect arp-scan`: sends the requests, gathers the answers, prints the table.
pub fn run<W: Write>(args: &ArpScanArgs, mut out: W) -> Result<(), RunError> {
    // The same lookup, and so the same message and exit status, as `capture`.
    let iface: NetworkInterface = find_interface(&args.interface).map_err(|e| RunError::Input(e.to_string()))?;
    let own = iface.ips.iter().find_map(|n| match n {
        pnet::ipnetwork::IpNetwork::V4(v4) => Ipv4Network::new(v4.ip(), v4.prefix()).ok(),
        _ => None,
    });
    let net = scan_network(args.cidr, &iface.name, own)?;
    let mac = match iface.mac.map(|m| Mac(m.octets())) {
        Some(m) if m != Mac::ZERO && !m.is_multicast() => m,
        _ => return Err(RunError::Usage(format!("arp-scan: interface {} has no Ethernet address", iface.name))),
    };
    let sender_ip = own.map(|n| n.ip()).unwrap_or(Ipv4Addr::UNSPECIFIED);
    let interval = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
    let config = datalink::Config {
        read_timeout: Some(interval.clamp(Duration::from_millis(1), Duration::from_millis(10))),
        promiscuous: false,
        ..Default::default()
    };
    let (mut tx, mut rx) = match datalink::channel(&iface, config) {
        Ok(Channel::Ethernet(tx, rx)) => (tx, rx),
        Ok(_) => return Err(RunError::Input(format!("arp-scan: {} is not an Ethernet interface", iface.name))),
        Err(e) => return Err(channel_error(&iface.name, e)),
    };

    let d: ArpOptions = cli::defaults();
    let mut analyzer = ArpAnalyzer::new(ArpConfig {
        reachable: d.arp_reachable,
        timeout: d.arp_timeout,
        gc: d.arp_gc,
        net: Some(net),
        storm_rate: d.arp_storm_rate,
        dup_window: d.arp_dup_window,
        max_entries: d.arp_max_entries,
    });
    let mut events: Vec<Event> = Vec::new();
    let mut targets = targets(net, own.map(|n| n.ip())).peekable();
    let start = Instant::now();
    let mut next_send = start;
    let mut done_at: Option<Instant> = None;
    let mut sent = 0u64;
    let mut received = 0u64;
    loop {
        let now = Instant::now();
        let mut burst = 0;
        while burst < BURST && now >= next_send {
            let Some(t) = targets.next() else { break };
            if let Some(Err(e)) = tx.send_to(&request(mac, sender_ip, t), None) {
                return Err(channel_error(&iface.name, e));
            }
            sent += 1;
            burst += 1;
            next_send += interval;
        }
        if targets.peek().is_none() && done_at.is_none() {
            done_at = Some(now + Duration::from_secs_f64(args.wait));
        }
        if done_at.is_some_and(|d| now >= d) {
            break;
        }
        match rx.next() {
            Ok(bytes) => {
                // Our own requests come back on a packet socket; only others' replies count.
                if bytes.get(6..12) == Some(&mac.0[..]) || bytes.get(12..14) != Some(&[0x08, 0x06][..]) {
                    continue;
                }
                if bytes.get(20..22) != Some(&[0x00, 0x02][..]) {
                    continue;
                }
                received += 1;
                let frame =
                    Frame { number: received, ts: wall_clock(), linktype: linktype::ETHERNET, len: bytes.len() as u32, data: bytes, interface: 0, ts_known: true };
                let mut out = Events::default();
                analyzer.packet(&input(&frame), &mut out);
                events.extend(out.drain().map(|(_, e)| e));
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock) => {}
            Err(e) => return Err(RunError::Input(format!("arp-scan: reading {}: {e}", iface.name))),
        }
    }
    let mut report = Report::default();
    analyzer.finish(&mut report, &mut events);
    let arp = report.arp.unwrap_or_default();
    let summary = ScanSummary {
        interface: iface.name.clone(),
        network: net.to_string(),
        sender_ip,
        sender_mac: mac,
        sent,
        answered: arp.entries.iter().filter(|e| e.mac.is_some()).count(),
        duration: start.elapsed().as_secs_f64(),
        rate: args.rate,
    };
    print(&mut out, args.format, &summary, &arp, &events).map_err(RunError::Output)
}

/// Prints a scan's result: its summary line, the table and any events.
pub fn print(w: &mut dyn Write, format: Format, s: &ScanSummary, arp: &ArpReport, events: &[Event]) -> io::Result<()> {
    match format {
        Format::Json => {
            for e in events {
                if let Event::Arp(ev) = e {
                    writeln!(w, "{}", json::event("arp_event", ev))?;
                }
            }
            for e in &arp.entries {
                writeln!(w, "{}", json::event("arp", e))?;
            }
            writeln!(w, "{}", json::event("arp_scan", s))?;
        }
        Format::Text | Format::Tsv => {
            writeln!(
                w,
                "arp-scan: asked {} of {} on {} as {} ({}) at {}/s in {:.1} s: {} answered",
                count(s.sent, "address", "addresses"),
                s.network, s.interface, s.sender_ip, s.sender_mac, s.rate, s.duration, s.answered
            )?;
            arp_out::report_text(w, arp, true)?;
        }
    }
    w.flush()
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::decode::decode;

    #[test]
    fn request_frame_decodes_as_who_has() {
        let me = Mac([2, 0, 0, 0, 0, 9]);
        let f = request(me, Ipv4Addr::new(10, 1, 0, 1), Ipv4Addr::new(10, 1, 0, 7));
        let frame = Frame { number: 1, ts: Ts::default(), linktype: linktype::ETHERNET, len: 42, data: &f, interface: 0, ts_known: true };
        let p = decode(&frame);
        assert_eq!(p.stop, None);
        assert_eq!(p.eth_src(), Some(me.0));
        let a = p.arp().expect("arp");
        assert_eq!((a.op, a.sender_mac, a.sender_ip, a.target_mac, a.target_ip), (1, me.0, Ipv4Addr::new(10, 1, 0, 1), [0; 6], Ipv4Addr::new(10, 1, 0, 7)));
    }

    #[test]
    fn targets_skip_network_broadcast_and_self() {
        let net: Ipv4Network = "10.201.0.0/29".parse().expect("cidr");
        let t: Vec<Ipv4Addr> = targets(net, Some(Ipv4Addr::new(10, 201, 0, 1))).collect();
        assert_eq!(t, (2..=6).map(|i| Ipv4Addr::new(10, 201, 0, i)).collect::<Vec<_>>());
        let p2p: Ipv4Network = "10.0.0.0/31".parse().expect("cidr");
        assert_eq!(targets(p2p, None).count(), 2);
        let sixteen: Ipv4Network = "10.0.0.0/16".parse().expect("cidr");
        assert_eq!(targets(sixteen, None).count(), 65_534);
    }

    #[test]
    fn larger_than_a_slash_16_is_refused() {
        let big: Ipv4Network = "10.0.0.0/15".parse().expect("cidr");
        let err = scan_network(Some(big), "eth0", None).expect_err("refused");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("refusing to scan 10.0.0.0/15"), "{err}");
        let own: Ipv4Network = "192.168.0.7/8".parse().expect("cidr");
        assert!(scan_network(None, "eth0", Some(own)).is_err());
        assert!(scan_network(None, "eth0", None).expect_err("no v4").to_string().contains("no IPv4 address"));
        let host: Ipv4Network = "192.168.3.7/24".parse().expect("cidr");
        assert_eq!(scan_network(None, "eth0", Some(host)).expect("ok").to_string(), "192.168.3.0/24");
    }
}
