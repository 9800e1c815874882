//! Application transactions: DNS queries paired with their answers (Zeek's dns.log), DHCP
//! exchanges with the address they lease (dhcp.log), ICMP echo requests paired with their
//! replies (`icmp_echo`), and the tallies of the report's tables.
//!
//! It runs inside each flow shard, beside the connection tracker, which hands it the bytes of
//! the packets it reads (a DNS or DHCP datagram, a DNS message over TCP, an ICMP header) with
//! the connection's uid. A query and its answer share a flow, so they meet in one shard; a DHCP
//! exchange spans flows (the client's broadcast, the server's reply), so DHCP messages are kept
//! and grouped by transaction id only at the end, over all shards, in frame order. Every table
//! is bounded: past its cap the oldest waiting entry is reported as unanswered.

pub mod dnstcp;
pub mod http;
pub mod report;
pub mod session;
pub mod tls;

use std::collections::VecDeque;
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use crate::decode::app::{self as appdec, dhcp, dns, AppProto};
use crate::decode::key::{IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP};
use crate::decode::{FlowKey, FlowSeg, Input};
use crate::report::app::{AppReport, DhcpRecord, DnsRecord, EchoRecord};
use crate::report::Event;
use crate::source::Ts;

pub use report::Tally;

/// Most queries or echo requests waiting for an answer in one shard.
const PENDING_CAP: usize = 1 << 16;
/// Most DHCP messages kept for the end of the run in one shard.
const DHCP_CAP: usize = 1 << 16;

/// The bytes of a frame the application layer reads, as (offset, length) in the frame: a DNS
/// or DHCP datagram, a TCP segment on the DNS port, an ICMP message from its header on.
#[inline]
pub fn span(f: &FlowSeg) -> Option<(usize, usize)> {
    let (at, n) = (f.payload.0 as usize, f.payload.1 as usize);
    let (sport, dport) = (f.src().1, f.dst().1);
    match f.key.proto {
        IPPROTO_UDP => appdec::udp(sport, dport).map(|_| (at, n)),
        IPPROTO_TCP => appdec::tcp(sport, dport).map(|_| (at, n)),
        // The ICMP header (8 bytes) and as much of a quoted packet as names it.
        IPPROTO_ICMP | IPPROTO_ICMPV6 => Some((at.checked_sub(8)?, n.min(128) + 8)),
        _ => None,
    }
}

/// The connection a message belongs to, as the tracker knows it.
pub struct ConnRef {
    /// Its uid.
    pub uid: String,
    /// Originator's address and port, then the responder's.
    pub orig: (IpAddr, u16),
    /// The responder.
    pub resp: (IpAddr, u16),
    /// The frame's place among all frames of the run (every shard counts every frame).
    pub order: u64,
}

/// What one packet carried, parsed: enough to pair it.
pub enum Seen {
    /// A DNS message.
    Dns { proto: AppProto, tcp: bool, header: dns::Header, msg: Option<hickory_proto::op::Message>, len: usize },
    /// A DHCP message.
    Dhcp(Box<dhcp::Dhcp>),
    /// An ICMP echo request or reply.
    Echo { request: bool, id: u16, seq: u16 },
}

impl Seen {
    /// The protocol, for the connection's `service`.
    pub fn service(&self) -> Option<&'static str> {
        match self {
            Seen::Dns { msg: Some(_), .. } => Some("dns"),
            Seen::Dhcp(_) => Some("dhcp"),
            _ => None,
        }
    }
}

/// Reads what the application layer cares about in `bytes` (the [`span`] of the frame).
pub fn parse(f: &FlowSeg, bytes: &[u8]) -> Option<Seen> {
    let (sport, dport) = (f.src().1, f.dst().1);
    match f.key.proto {
        IPPROTO_UDP => match appdec::udp(sport, dport)? {
            AppProto::Dhcp => dhcp::parse(bytes).ok().map(|d| Seen::Dhcp(Box::new(d))),
            AppProto::Dhcpv6 => None,
            proto => {
                let header = dns::Header::of(bytes)?;
                Some(Seen::Dns { proto, tcp: false, header, msg: dns::parse(bytes).ok(), len: bytes.len() })
            }
        },
        IPPROTO_TCP => {
            let m = dns::tcp_message(bytes)?;
            let header = dns::Header::of(m)?;
            Some(Seen::Dns { proto: AppProto::Dns, tcp: true, header, msg: dns::parse(m).ok(), len: m.len() })
        }
        IPPROTO_ICMP | IPPROTO_ICMPV6 => {
            let t = *bytes.first()?;
            let request = match (f.key.proto, t) {
                (IPPROTO_ICMP, 8) | (IPPROTO_ICMPV6, 128) => true,
                (IPPROTO_ICMP, 0) | (IPPROTO_ICMPV6, 129) => false,
                _ => return None,
            };
            let w = |i: usize| bytes.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
            Some(Seen::Echo { request, id: w(4)?, seq: w(6)? })
        }
        _ => None,
    }
}

struct PendingDns {
    rec: DnsRecord,
    sent: Ts,
}

struct PendingEcho {
    rec: EchoRecord,
    sent: Ts,
}

/// One shard's transactions.
#[derive(Default)]
pub struct AppTracker {
    dns: FxHashMap<(FlowKey, u16), PendingDns>,
    dns_order: VecDeque<(FlowKey, u16, u64)>,
    echo: FxHashMap<(FlowKey, u16, u16), PendingEcho>,
    echo_order: VecDeque<(FlowKey, u16, u16, u64)>,
    dhcp: Vec<DhcpMsg>,
    tally: Tally,
}

fn secs(t: Ts) -> f64 {
    t.sec as f64 + t.nsec as f64 / 1e9
}

fn between(a: Ts, b: Ts) -> f64 {
    (b.sec - a.sec) as f64 + (b.nsec as f64 - a.nsec as f64) / 1e9
}

impl AppTracker {
    /// One packet's application message `seen`, of flow `f` in connection `c`, at frame `x`.
    pub fn packet(&mut self, x: &Input, f: &FlowSeg, seen: Seen, c: ConnRef, out: &mut dyn FnMut(Event)) {
        match seen {
            Seen::Dns { proto, tcp, header, msg, len } => self.dns((x.ts, x.number, f.key), (proto, tcp), header, msg, len, c, out),
            Seen::Dhcp(d) => {
                if self.dhcp.len() < DHCP_CAP {
                    let (s, d2) = (f.src(), f.dst());
                    self.dhcp.push(((c.order, x.number), x.ts, c.uid, s.0, s.1, d2.0, d2.1, d));
                }
            }
            Seen::Echo { request, id, seq } => self.echo(x, f, request, id, seq, c, out),
        }
    }

    /// A DNS message read from the reassembled stream of a TCP connection (flow `key`), whole
    /// at frame `number` captured at `ts`.
    pub fn dns_tcp(&mut self, (ts, number, key): (Ts, u64, FlowKey), bytes: &[u8], c: ConnRef, out: &mut dyn FnMut(Event)) {
        let Some(header) = dns::Header::of(bytes) else { return };
        let msg = dns::parse(bytes).ok();
        self.dns((ts, number, key), (AppProto::Dns, true), header, msg, bytes.len(), c, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn dns(
        &mut self,
        (ts, number, fkey): (Ts, u64, FlowKey),
        (proto, tcp): (AppProto, bool),
        h: dns::Header,
        msg: Option<hickory_proto::op::Message>,
        len: usize,
        c: ConnRef,
        out: &mut dyn FnMut(Event),
    ) {
        let _ = len;
        let key = (fkey, h.id);
        if !h.response() {
            let Some(m) = msg else { return };
            let (query, qclass, qtype) = match m.queries().first() {
                Some(q) => (Some(dns::name_text(q.name())), Some(u16::from(q.query_class())), Some(u16::from(q.query_type()))),
                None => (None, None, None),
            };
            let rec = DnsRecord {
                ts: secs(ts),
                uid: c.uid,
                orig_h: c.orig.0,
                orig_p: c.orig.1,
                resp_h: c.resp.0,
                resp_p: c.resp.1,
                proto: if tcp { "tcp" } else { "udp" },
                trans_id: h.id,
                rtt: None,
                query,
                qclass,
                qclass_name: qclass.map(|q| dns::class_name(q).into_owned()),
                qtype,
                qtype_name: qtype.map(|t| dns::type_name(t).into_owned()),
                rcode: None,
                rcode_name: None,
                aa: false,
                tc: false,
                rd: h.rd(),
                ra: false,
                z: 0,
                answers: Vec::new(),
                ttls: Vec::new(),
                rejected: false,
                answered: false,
                frame: number,
                reply_frame: None,
                service: proto_name(proto),
                order: c.order,
            };
            if let Some(old) = self.dns.insert(key, PendingDns { rec, sent: ts }) {
                // The same id asked again before an answer: the first is left unanswered.
                self.unanswered_dns(old.rec, out);
            }
            self.dns_order.push_back((fkey, h.id, c.order));
            while self.dns.len() > PENDING_CAP {
                let Some((k, id, frame)) = self.dns_order.pop_front() else { break };
                if self.dns.get(&(k, id)).is_some_and(|p| p.rec.order == frame) {
                    if let Some(p) = self.dns.remove(&(k, id)) {
                        self.unanswered_dns(p.rec, out);
                    }
                }
            }
            return;
        }
        let Some(PendingDns { mut rec, sent }) = self.dns.remove(&key) else {
            // An answer without its query (the capture began after it): counted, not logged.
            self.tally.dns_orphans += 1;
            return;
        };
        let rcode = dns::rcode(&h, msg.as_ref());
        rec.rtt = Some(between(sent, ts));
        rec.rcode = Some(rcode);
        rec.rcode_name = Some(dns::rcode_name(rcode).into_owned());
        rec.aa = h.aa();
        rec.tc = h.tc();
        rec.ra = h.ra();
        rec.z = h.z() as u8;
        rec.rejected = rcode == 5;
        rec.answered = true;
        rec.reply_frame = Some(number);
        if let Some(m) = &msg {
            for r in m.answers() {
                if let Some(a) = dns::answer_text(r) {
                    rec.answers.push(a);
                    rec.ttls.push(r.ttl() as f64);
                }
            }
        }
        self.tally.dns(&rec);
        out(Event::Dns(Box::new(rec)));
    }

    fn unanswered_dns(&mut self, rec: DnsRecord, out: &mut dyn FnMut(Event)) {
        self.tally.dns(&rec);
        out(Event::Dns(Box::new(rec)));
    }

    #[allow(clippy::too_many_arguments)]
    fn echo(&mut self, x: &Input, f: &FlowSeg, request: bool, id: u16, seq: u16, c: ConnRef, out: &mut dyn FnMut(Event)) {
        let key = (f.key, id, seq);
        if request {
            let (src, dst) = (f.src().0, f.dst().0);
            let rec = EchoRecord {
                ts: secs(x.ts),
                uid: c.uid,
                orig_h: src,
                resp_h: dst,
                ident: id,
                seq,
                reply_ts: None,
                rtt: None,
                answered: false,
                frame: x.number,
                reply_frame: None,
                order: c.order,
            };
            if let Some(old) = self.echo.insert(key, PendingEcho { rec, sent: x.ts }) {
                self.tally.echo(&old.rec);
                out(Event::IcmpEcho(Box::new(old.rec)));
            }
            self.echo_order.push_back((f.key, id, seq, c.order));
            while self.echo.len() > PENDING_CAP {
                let Some((k, i, s, frame)) = self.echo_order.pop_front() else { break };
                if self.echo.get(&(k, i, s)).is_some_and(|p| p.rec.order == frame) {
                    if let Some(p) = self.echo.remove(&(k, i, s)) {
                        self.tally.echo(&p.rec);
                        out(Event::IcmpEcho(Box::new(p.rec)));
                    }
                }
            }
            return;
        }
        // A reply pairs with a request sent the other way.
        let Some(p) = self.echo.get(&key).filter(|p| p.rec.orig_h == f.dst().0) else { return };
        let _ = p;
        let Some(PendingEcho { mut rec, sent }) = self.echo.remove(&key) else { return };
        rec.reply_ts = Some(secs(x.ts));
        rec.rtt = Some(between(sent, x.ts));
        rec.answered = true;
        rec.reply_frame = Some(x.number);
        self.tally.echo(&rec);
        out(Event::IcmpEcho(Box::new(rec)));
    }

    /// Gathers another shard's state into this one (at the end of the run).
    pub fn join(&mut self, other: AppTracker) {
        self.dns.extend(other.dns);
        self.echo.extend(other.echo);
        self.dhcp.extend(other.dhcp);
        self.tally.merge(other.tally);
    }

    /// Ends the run: the queries and echo requests never answered (in frame order), then the
    /// DHCP exchanges; the tables go into `report`.
    pub fn finish(&mut self, report: &mut AppReport, out: &mut dyn FnMut(Event)) {
        let mut dns: Vec<PendingDns> = self.dns.drain().map(|(_, v)| v).collect();
        dns.sort_by_key(|p| p.rec.order);
        for p in dns {
            self.unanswered_dns(p.rec, out);
        }
        let mut echo: Vec<PendingEcho> = self.echo.drain().map(|(_, v)| v).collect();
        echo.sort_by_key(|p| p.rec.order);
        for p in echo {
            self.tally.echo(&p.rec);
            out(Event::IcmpEcho(Box::new(p.rec)));
        }
        self.dhcp.sort_by_key(|m| m.0);
        for rec in dhcp_exchanges(std::mem::take(&mut self.dhcp)) {
            self.tally.dhcp(&rec);
            out(Event::Dhcp(Box::new(rec)));
        }
        self.tally.fill(report);
    }
}

fn proto_name(p: AppProto) -> &'static str {
    match p {
        AppProto::Mdns => "mdns",
        AppProto::Llmnr => "llmnr",
        _ => "dns",
    }
}

/// A DHCP message kept for the end: (its order and frame), time, connection uid, source and
/// destination, and the message.
type DhcpMsg = ((u64, u64), Ts, String, IpAddr, u16, IpAddr, u16, Box<dhcp::Dhcp>);

/// Zeek's dhcp.log: the messages of one transaction id, in frame order, as one record.
fn dhcp_exchanges(msgs: Vec<DhcpMsg>) -> Vec<DhcpRecord> {
    let mut xids: Vec<u32> = Vec::new();
    let mut by_xid: FxHashMap<u32, DhcpRecord> = FxHashMap::default();
    for ((order, frame), ts, uid, src, sport, _dst, dport, d) in msgs {
        let rec = by_xid.entry(d.xid).or_insert_with(|| {
            xids.push(d.xid);
            DhcpRecord {
                ts: secs(ts),
                uids: Vec::new(),
                client_addr: None,
                server_addr: None,
                client_port: None,
                server_port: None,
                mac: None,
                host_name: None,
                domain: None,
                requested_addr: None,
                assigned_addr: None,
                lease_time: None,
                msg_types: Vec::new(),
                duration: 0.0,
                trans_id: d.xid,
                frames: Vec::new(),
                order,
            }
        });
        if !rec.uids.contains(&uid) {
            rec.uids.push(uid);
        }
        rec.frames.push(frame);
        rec.duration = (secs(ts) - rec.ts).max(0.0);
        if let Some(t) = d.msg_type {
            rec.msg_types.push(dhcp::type_name(t).into_owned());
        }
        let unspecified = |a: &IpAddr| a.is_unspecified() || matches!(a, IpAddr::V4(v) if v.is_broadcast());
        if d.op == 1 {
            if d.htype == 1 && d.chaddr.len() == 6 {
                let mut m = String::new();
                crate::output::line::push_mac(&mut m, &d.chaddr);
                rec.mac = Some(m);
            }
            if !unspecified(&src) {
                rec.client_addr = Some(src);
            }
            rec.client_port = Some(sport);
            rec.server_port.get_or_insert(dport);
            if let Some(h) = &d.hostname {
                rec.host_name = Some(h.clone());
            }
            if let Some(a) = d.requested {
                rec.requested_addr = Some(a);
            }
            if !d.ciaddr.is_unspecified() {
                rec.client_addr = Some(IpAddr::V4(d.ciaddr));
            }
        } else {
            if !unspecified(&src) {
                rec.server_addr = Some(src);
            }
            rec.server_port = Some(sport);
            rec.client_port.get_or_insert(dport);
            if d.msg_type == Some(5) || d.msg_type.is_none() {
                if !d.yiaddr.is_unspecified() {
                    rec.assigned_addr = Some(d.yiaddr);
                }
                if let Some(t) = d.lease_time {
                    rec.lease_time = Some(t as f64);
                }
            }
            if let Some(h) = &d.domain {
                rec.domain = Some(h.clone());
            }
        }
    }
    xids.into_iter().filter_map(|x| by_xid.remove(&x)).collect()
}
