//! Each record kind's schema and rows: Zeek's field names, types and order for conn.log,
//! dns.log, dhcp.log and notice.log (as Zeek's `base/protocols/conn`, `dns`, `dhcp` and
//! `base/frameworks/notice` scripts log them), and the same conventions for the kinds Zeek has
//! no standard log of (arp.log, stats.log).
//!
//! Values follow Zeek's rules where they decide what is unset: conn.log's `duration`,
//! `orig_bytes` and `resp_bytes` only when the duration is above zero, `history` and `service`
//! only when there is one; `local_orig`/`local_resp` stay unset (no `Site::local_nets`).

use std::borrow::Cow;
use std::net::IpAddr;

use super::{Kind, Ty, Val};
use crate::report::alert::{Alert, AlertState, Notice};
use crate::report::app::{DhcpRecord, DnsRecord};
use crate::report::arp::ArpEvent;
use crate::report::conn::ConnRecord;
use crate::report::web::{HttpRecord, TlsRecord};
use crate::report::{Event, Report};

/// conn.log's fields as Zeek's `Conn::Info` lists them, then any given after them.
macro_rules! conn_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            ("ts", Ty::Time),
            ("uid", Ty::Str),
            ("id.orig_h", Ty::Addr),
            ("id.orig_p", Ty::Port),
            ("id.resp_h", Ty::Addr),
            ("id.resp_p", Ty::Port),
            ("proto", Ty::Enum),
            ("service", Ty::Str),
            ("duration", Ty::Interval),
            ("orig_bytes", Ty::Count),
            ("resp_bytes", Ty::Count),
            ("conn_state", Ty::Str),
            ("local_orig", Ty::Bool),
            ("local_resp", Ty::Bool),
            ("missed_bytes", Ty::Count),
            ("history", Ty::Str),
            ("orig_pkts", Ty::Count),
            ("orig_ip_bytes", Ty::Count),
            ("resp_pkts", Ty::Count),
            ("resp_ip_bytes", Ty::Count),
            ("tunnel_parents", Ty::SetStr),
            ("ip_proto", Ty::Count),
            $($extra),*
        ]
    };
}

/// conn.log, as Zeek's `Conn::Info`.
pub const CONN: &[(&str, Ty)] = conn_fields!();

/// conn.log with `--partial`: Zeek's fields, then what a merge of split captures' runs needs.
pub const CONN_PARTIAL: &[(&str, Ty)] =
    conn_fields!(("last_ts", Ty::Time), ("mid_stream", Ty::Bool), ("continued", Ty::Bool), ("end", Ty::Str));

/// dns.log, as Zeek's `DNS::Info`.
pub const DNS: &[(&str, Ty)] = &[
    ("ts", Ty::Time),
    ("uid", Ty::Str),
    ("id.orig_h", Ty::Addr),
    ("id.orig_p", Ty::Port),
    ("id.resp_h", Ty::Addr),
    ("id.resp_p", Ty::Port),
    ("proto", Ty::Enum),
    ("trans_id", Ty::Count),
    ("rtt", Ty::Interval),
    ("query", Ty::Str),
    ("qclass", Ty::Count),
    ("qclass_name", Ty::Str),
    ("qtype", Ty::Count),
    ("qtype_name", Ty::Str),
    ("rcode", Ty::Count),
    ("rcode_name", Ty::Str),
    ("AA", Ty::Bool),
    ("TC", Ty::Bool),
    ("RD", Ty::Bool),
    ("RA", Ty::Bool),
    ("Z", Ty::Count),
    ("answers", Ty::VecStr),
    ("TTLs", Ty::VecInterval),
    ("rejected", Ty::Bool),
];

/// dhcp.log, as Zeek's `DHCP::Info`.
pub const DHCP: &[(&str, Ty)] = &[
    ("ts", Ty::Time),
    ("uids", Ty::SetStr),
    ("client_addr", Ty::Addr),
    ("server_addr", Ty::Addr),
    ("mac", Ty::Str),
    ("host_name", Ty::Str),
    ("client_fqdn", Ty::Str),
    ("domain", Ty::Str),
    ("requested_addr", Ty::Addr),
    ("assigned_addr", Ty::Addr),
    ("lease_time", Ty::Interval),
    ("client_message", Ty::Str),
    ("server_message", Ty::Str),
    ("msg_types", Ty::VecStr),
    ("duration", Ty::Interval),
];

/// notice.log, as Zeek's `Notice::Info`.
pub const NOTICE: &[(&str, Ty)] = &[
    ("ts", Ty::Time),
    ("uid", Ty::Str),
    ("id.orig_h", Ty::Addr),
    ("id.orig_p", Ty::Port),
    ("id.resp_h", Ty::Addr),
    ("id.resp_p", Ty::Port),
    ("fuid", Ty::Str),
    ("file_mime_type", Ty::Str),
    ("file_desc", Ty::Str),
    ("proto", Ty::Enum),
    ("note", Ty::Enum),
    ("msg", Ty::Str),
    ("sub", Ty::Str),
    ("src", Ty::Addr),
    ("dst", Ty::Addr),
    ("p", Ty::Port),
    ("n", Ty::Count),
    ("peer_descr", Ty::Str),
    ("actions", Ty::SetEnum),
    ("email_dest", Ty::SetStr),
    ("suppress_for", Ty::Interval),
    ("remote_location.country_code", Ty::Str),
    ("remote_location.region", Ty::Str),
    ("remote_location.city", Ty::Str),
    ("remote_location.latitude", Ty::Double),
    ("remote_location.longitude", Ty::Double),
];

/// arp.log: the ARP table's events, named as arpwatch names them.
pub const ARP: &[(&str, Ty)] = &[
    ("ts", Ty::Time),
    ("event", Ty::Str),
    ("ip", Ty::Addr),
    ("mac", Ty::Str),
    ("old_mac", Ty::Str),
    ("eth_src", Ty::Str),
    ("count", Ty::Count),
];

/// stats.log: the run's counters, with Zeek's stats.log names where it has the figure.
pub const STATS: &[(&str, Ty)] = &[
    ("ts", Ty::Time),
    ("peer", Ty::Str),
    ("pkts_proc", Ty::Count),
    ("bytes_recv", Ty::Count),
    ("tcp_conns", Ty::Count),
    ("udp_conns", Ty::Count),
    ("icmp_conns", Ty::Count),
    ("first_ts", Ty::Time),
    ("malformed", Ty::Count),
    ("snapped", Ty::Count),
];

/// http.log, as Zeek's `HTTP::Info` (with `origin`, since Zeek 4.1).
pub const HTTP: &[(&str, Ty)] = &[
    ("ts", Ty::Time),
    ("uid", Ty::Str),
    ("id.orig_h", Ty::Addr),
    ("id.orig_p", Ty::Port),
    ("id.resp_h", Ty::Addr),
    ("id.resp_p", Ty::Port),
    ("trans_depth", Ty::Count),
    ("method", Ty::Str),
    ("host", Ty::Str),
    ("uri", Ty::Str),
    ("referrer", Ty::Str),
    ("version", Ty::Str),
    ("user_agent", Ty::Str),
    ("origin", Ty::Str),
    ("request_body_len", Ty::Count),
    ("response_body_len", Ty::Count),
    ("status_code", Ty::Count),
    ("status_msg", Ty::Str),
    ("info_code", Ty::Count),
    ("info_msg", Ty::Str),
    ("tags", Ty::SetEnum),
    ("username", Ty::Str),
    ("password", Ty::Str),
    ("proxied", Ty::SetStr),
    ("orig_fuids", Ty::VecStr),
    ("orig_filenames", Ty::VecStr),
    ("orig_mime_types", Ty::VecStr),
    ("resp_fuids", Ty::VecStr),
    ("resp_filenames", Ty::VecStr),
    ("resp_mime_types", Ty::VecStr),
];

/// ssl.log, as Zeek's `SSL::Info` with the base scripts.
pub const SSL: &[(&str, Ty)] = &[
    ("ts", Ty::Time),
    ("uid", Ty::Str),
    ("id.orig_h", Ty::Addr),
    ("id.orig_p", Ty::Port),
    ("id.resp_h", Ty::Addr),
    ("id.resp_p", Ty::Port),
    ("version", Ty::Str),
    ("cipher", Ty::Str),
    ("curve", Ty::Str),
    ("server_name", Ty::Str),
    ("resumed", Ty::Bool),
    ("last_alert", Ty::Str),
    ("next_protocol", Ty::Str),
    ("established", Ty::Bool),
    ("ssl_history", Ty::Str),
    ("cert_chain_fps", Ty::VecStr),
    ("client_cert_chain_fps", Ty::VecStr),
    ("sni_matches_cert", Ty::Bool),
];

/// flood_feed.log: one TCP segment the SYN-flood detector acted on (`--partial`), its time
/// exactly (`sec`, `nsec`) besides `ts` in Zeek's precision.
pub const FLOOD_FEED: &[(&str, Ty)] = &[
    ("ts", Ty::Time),
    ("sec", Ty::Count),
    ("nsec", Ty::Count),
    ("src", Ty::Addr),
    ("sport", Ty::Port),
    ("dst", Ty::Addr),
    ("dport", Ty::Port),
    ("flags", Ty::Count),
];

/// The row of the record `e` carries, and its kind (None: no log keeps it).
pub fn row<'a>(e: &'a Event, partial: bool, out: &mut Vec<Val<'a>>) -> Option<Kind> {
    match e {
        Event::Conn(c) => {
            conn(c, out);
            if partial {
                out.extend([Val::F(c.last.as_secs_f64()), Val::B(c.mid_stream), Val::B(c.continued), Val::s(c.end.name())]);
            }
            Some(Kind::Conn)
        }
        Event::Dns(d) => {
            dns(d, out);
            Some(Kind::Dns)
        }
        Event::Dhcp(d) => {
            dhcp(d, out);
            Some(Kind::Dhcp)
        }
        Event::Http(h) => {
            http(h, out);
            Some(Kind::Http)
        }
        Event::Tls(t) => {
            ssl(t, out);
            Some(Kind::Ssl)
        }
        // An alert is logged once, with its final counts.
        Event::Alert(a) if a.state == AlertState::Closed => {
            alert(a, out);
            Some(Kind::Notice)
        }
        Event::Notice(n) => {
            notice(n, out);
            Some(Kind::Notice)
        }
        Event::Arp(a) => {
            arp(a, out);
            Some(Kind::Arp)
        }
        Event::FloodSeg(s) => {
            out.extend([
                Val::F(s.ts.as_secs_f64()),
                Val::N(s.ts.sec.max(0) as u64),
                Val::N(s.ts.nsec.into()),
                Val::A(s.src),
                Val::N(s.sport.into()),
                Val::A(s.dst),
                Val::N(s.dport.into()),
                Val::N(s.flags.into()),
            ]);
            Some(Kind::FloodFeed)
        }
        _ => None,
    }
}

/// The IP protocol number of a conn record (Zeek's `ip_proto`).
fn ip_proto(c: &ConnRecord) -> u64 {
    match (c.proto, c.orig_h) {
        ("tcp", _) => 6,
        ("udp", _) => 17,
        (_, IpAddr::V4(_)) => 1,
        (_, IpAddr::V6(_)) => 58,
    }
}

fn conn<'a>(c: &'a ConnRecord, out: &mut Vec<Val<'a>>) {
    let lasted = c.duration > 0.0;
    out.extend([
        Val::F(c.ts),
        Val::s(&c.uid),
        Val::A(c.orig_h),
        Val::N(c.orig_p.into()),
        Val::A(c.resp_h),
        Val::N(c.resp_p.into()),
        Val::s(c.proto),
        Val::opt(c.service, Val::s),
        if lasted { Val::F(c.duration) } else { Val::Unset },
        if lasted { Val::N(c.orig_bytes) } else { Val::Unset },
        if lasted { Val::N(c.resp_bytes) } else { Val::Unset },
        Val::s(c.conn_state.name()),
        Val::Unset,
        Val::Unset,
        Val::N(c.missed_bytes),
        if c.history.is_empty() { Val::Unset } else { Val::s(&c.history) },
        Val::N(c.orig_pkts),
        Val::N(c.orig_ip_bytes),
        Val::N(c.resp_pkts),
        Val::N(c.resp_ip_bytes),
        if c.tunnel_parents.is_empty() { Val::Unset } else { Val::L(c.tunnel_parents.iter().map(|s| Cow::Borrowed(s.as_str())).collect()) },
        Val::N(ip_proto(c)),
    ]);
}

fn dns<'a>(d: &'a DnsRecord, out: &mut Vec<Val<'a>>) {
    let text = |s: &'a Option<String>| Val::opt(s.as_deref(), Val::s);
    let n = |v: Option<u16>| Val::opt(v, |v| Val::N(v.into()));
    out.extend([
        Val::F(d.ts),
        Val::s(&d.uid),
        Val::A(d.orig_h),
        Val::N(d.orig_p.into()),
        Val::A(d.resp_h),
        Val::N(d.resp_p.into()),
        Val::s(d.proto),
        Val::N(d.trans_id.into()),
        Val::opt(d.rtt, Val::F),
        text(&d.query),
        n(d.qclass),
        text(&d.qclass_name),
        n(d.qtype),
        text(&d.qtype_name),
        n(d.rcode),
        text(&d.rcode_name),
        Val::B(d.aa),
        Val::B(d.tc),
        Val::B(d.rd),
        Val::B(d.ra),
        Val::N(d.z.into()),
        if d.answers.is_empty() { Val::Unset } else { Val::L(d.answers.iter().map(|s| Cow::Borrowed(s.as_str())).collect()) },
        if d.ttls.is_empty() { Val::Unset } else { Val::FL(d.ttls.clone()) },
        Val::B(d.rejected),
    ]);
}

fn http<'a>(h: &'a HttpRecord, out: &mut Vec<Val<'a>>) {
    let text = |s: &'a Option<String>| Val::opt(s.as_deref(), Val::s);
    out.extend([
        Val::F(h.ts),
        Val::s(&h.uid),
        Val::A(h.id.orig_h),
        Val::N(h.id.orig_p.into()),
        Val::A(h.id.resp_h),
        Val::N(h.id.resp_p.into()),
        Val::N(h.trans_depth.into()),
        text(&h.method),
        text(&h.host),
        text(&h.uri),
        Val::Unset,
        text(&h.version),
        text(&h.user_agent),
        Val::Unset,
        Val::N(h.request_body_len),
        Val::N(h.response_body_len),
        Val::opt(h.status_code, |c| Val::N(c.into())),
        text(&h.status_msg),
        Val::Unset,
        Val::Unset,
        // Zeek's tags default to the empty set; no policy script here adds one.
        Val::L(Vec::new()),
    ]);
    out.extend(std::iter::repeat_n(Val::Unset, 9));
}

fn ssl<'a>(t: &'a TlsRecord, out: &mut Vec<Val<'a>>) {
    let text = |s: &'a Option<String>| Val::opt(s.as_deref(), Val::s);
    out.extend([
        Val::F(t.ts),
        Val::s(&t.uid),
        Val::A(t.id.orig_h),
        Val::N(t.id.orig_p.into()),
        Val::A(t.id.resp_h),
        Val::N(t.id.resp_p.into()),
        text(&t.version),
        text(&t.cipher),
        text(&t.curve),
        text(&t.server_name),
        Val::B(t.resumed),
        text(&t.last_alert),
        text(&t.next_protocol),
        Val::B(t.established),
        Val::s(&t.ssl_history),
        fps(&t.cert_chain_fps),
        fps(&t.client_cert_chain_fps),
        Val::opt(t.sni_matches_cert, Val::B),
    ]);
}

fn fps(v: &Option<Vec<String>>) -> Val<'_> {
    Val::opt(v.as_ref(), |v| Val::L(v.iter().map(|s| Cow::Borrowed(s.as_str())).collect()))
}

fn dhcp<'a>(d: &'a DhcpRecord, out: &mut Vec<Val<'a>>) {
    let text = |s: &'a Option<String>| Val::opt(s.as_deref(), Val::s);
    out.extend([
        Val::F(d.ts),
        Val::L(d.uids.iter().map(|s| Cow::Borrowed(s.as_str())).collect()),
        Val::opt(d.client_addr, Val::A),
        Val::opt(d.server_addr, Val::A),
        text(&d.mac),
        text(&d.host_name),
        Val::Unset,
        text(&d.domain),
        Val::opt(d.requested_addr, |a| Val::A(a.into())),
        Val::opt(d.assigned_addr, |a| Val::A(a.into())),
        Val::opt(d.lease_time, Val::F),
        Val::Unset,
        Val::Unset,
        Val::L(d.msg_types.iter().map(|s| Cow::Borrowed(s.as_str())).collect()),
        Val::F(d.duration),
    ]);
}

/// A notice row's fields after `note`, `msg` and `sub`, which neither alerts nor notices have
/// a value for but `src`, `dst`, `p` and `n`.
fn notice_row<'a>(out: &mut Vec<Val<'a>>, ts: f64, note: &'static str, msg: String, sub: String, who: [Val<'a>; 4]) {
    out.extend([Val::F(ts), Val::Unset, Val::Unset, Val::Unset, Val::Unset, Val::Unset, Val::Unset, Val::Unset, Val::Unset]);
    out.extend([Val::s("tcp"), Val::s(note), Val::S(msg.into()), Val::S(sub.into())]);
    out.extend(who);
    out.extend([Val::Unset, Val::L(vec![Cow::Borrowed("Notice::ACTION_LOG")]), Val::L(Vec::new()), Val::Unset]);
    out.extend([Val::Unset, Val::Unset, Val::Unset, Val::Unset, Val::Unset]);
}

fn alert<'a>(a: &'a Alert, out: &mut Vec<Val<'a>>) {
    let target = match a.dport {
        Some(p) => crate::report::alert::endpoint(a.dst, p),
        None => format!("{}/{}", a.dst, a.prefix),
    };
    let msg = format!("SYN flood on {target}: {} SYNs, {} half-open, {} sources{}", a.syns, a.half_open, a.sources, if a.spoofed { " (spoofed)" } else { "" });
    let sub = format!(
        "id={} pattern={} peak_syn_rate={}/s completion={:.3} duration={:.6}",
        a.id,
        serde_json::to_value(a.pattern).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        a.peak_syn_rate,
        a.completion_share,
        a.duration
    );
    let src = match a.top_sources.as_slice() {
        [one] => Val::A(one.addr),
        _ => Val::Unset,
    };
    notice_row(out, a.start.as_secs_f64(), "Inspect::SYN_Flood", msg, sub, [src, Val::A(a.dst), Val::opt(a.dport, |p| Val::N(p.into())), Val::N(a.syns)]);
}

fn notice<'a>(n: &'a Notice, out: &mut Vec<Val<'a>>) {
    notice_row(
        out,
        n.ts.as_secs_f64(),
        "Inspect::Connection_Surge",
        n.msg.clone(),
        n.sub.clone(),
        [Val::opt(n.src, Val::A), Val::A(n.dst), Val::N(n.p.into()), Val::N(n.n)],
    );
}

fn arp<'a>(a: &'a ArpEvent, out: &mut Vec<Val<'a>>) {
    let mac = |m: Option<crate::report::arp::Mac>| Val::opt(m, |m| Val::S(m.to_string().into()));
    out.extend([
        Val::F(a.ts),
        Val::s(a.event.name()),
        Val::A(a.ip.into()),
        mac(a.mac),
        mac(a.old_mac),
        mac(a.eth_src),
        Val::opt(a.count, Val::N),
    ]);
}

/// stats.log's one row, from the end-of-run report.
pub fn stats<'a>(r: &'a Report, out: &mut Vec<Val<'a>>) {
    let s = &r.stats;
    let c = r.conns.as_ref();
    out.extend([
        Val::opt(s.last, |t| Val::F(t.as_secs_f64())),
        Val::s("inspect"),
        Val::N(s.packets),
        Val::N(s.bytes),
        Val::opt(c, |c| Val::N(c.tcp)),
        Val::opt(c, |c| Val::N(c.udp)),
        Val::opt(c, |c| Val::N(c.icmp)),
        Val::opt(s.first, |t| Val::F(t.as_secs_f64())),
        Val::N(s.malformed),
        Val::N(s.snapped),
    ]);
}
