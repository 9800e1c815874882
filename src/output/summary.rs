//! The end-of-run summary and event rendering, as text tables (comfy-table) or JSON lines.

use std::io::{self, Write};

use comfy_table::Cell;

use super::table::{count, num_cell, table};

use crate::decode::names;
use crate::output::{alert, json};
use crate::report::{Event, Report};

/// One event as a text line (None: nothing to show in text as it happens, e.g. a finished
/// connection, which the connection table shows at the end).
pub fn event_text(e: &Event) -> Option<String> {
    match e {
        Event::InputError(err) => Some(format!("inspect: {}", err.message)),
        Event::Alert(a) => Some(alert::line(a)),
        // A notice is shown once, after the alerts in the summary.
        Event::Notice(_) => None,
        Event::FloodSeg(_) => None,
        Event::Conn(_) | Event::Tunnel(_) => None,
        // Packets show the messages; the tables at the end, the transactions.
        Event::Message(_) | Event::Http(_) | Event::Tls(_) => None,
        // Transactions are shown in the report's tables.
        Event::Dns(_) | Event::Dhcp(_) | Event::IcmpEcho(_) => None,
        Event::Arp(ev) => Some(crate::output::arp::event_line(ev)),
        Event::Weird(w) => Some(format!(
            "weird: {} {} {} -> {}: {}",
            w.name,
            w.uid,
            crate::output::follow::endpoint((w.orig_h, w.orig_p)),
            crate::output::follow::endpoint((w.resp_h, w.resp_p)),
            w.addl
        )),
    }
}

/// One event as a JSON line: its kind and the text.
pub fn event_json(e: &Event) -> (&'static str, String) {
    match e {
        Event::InputError(err) => ("error", json::event("error", err)),
        Event::Arp(ev) => ("arp_event", json::event("arp_event", ev)),
        Event::Alert(a) => ("alert", json::event("alert", a)),
        Event::Notice(n) => ("notice", json::event("notice", n)),
        Event::FloodSeg(s) => ("flood_seg", json::event("flood_seg", s)),
        Event::Conn(c) => ("conn", json::event("conn", c)),
        Event::Tunnel(t) => ("tunnel", json::event("tunnel", t)),
        Event::Weird(w) => ("weird", json::event("weird", w)),
        Event::Message(m) => ("message", json::event("message", m)),
        Event::Http(h) => ("http", json::event("http", h)),
        Event::Tls(t) => ("tls", json::event("tls", t)),
        Event::Dns(d) => ("dns", json::event("dns", d)),
        Event::Dhcp(d) => ("dhcp", json::event("dhcp", d)),
        Event::IcmpEcho(d) => ("icmp_echo", json::event("icmp_echo", d)),
    }
}

/// What IP fragment reassembly did, in one line; overlaps whose bytes differ are named as the
/// evasion sign they are.
fn reassembly_line(f: &crate::decode::defrag::DefragStats) -> String {
    let mut line = format!(
        "IP fragments: {}, {} reassembled",
        f.fragments,
        count(f.reassembled, "datagram", "datagrams")
    );
    if f.timed_out > 0 {
        line.push_str(&format!(", {} incomplete (timed out or left at the end)", f.timed_out));
    }
    if f.evicted > 0 {
        line.push_str(&format!(", {} dropped to stay within the caps", f.evicted));
    }
    if f.overlaps > 0 {
        line.push_str(&format!(", {} overlapping", count(f.overlaps, "fragment", "fragments")));
    }
    if f.overlap_conflicts > 0 {
        line.push_str(&format!(
            ", {} rewriting bytes already seen (possible evasion)",
            count(f.overlap_conflicts, "fragment", "fragments")
        ));
    }
    line
}

/// The text summary: totals, protocols, link types.
pub fn report_text(w: &mut dyn Write, r: &Report, tables: bool) -> io::Result<()> {
    let s = &r.stats;
    writeln!(w)?;
    writeln!(
        w,
        "Summary: {}, {} on the wire ({} captured), {} malformed{}",
        count(s.packets, "packet", "packets"),
        count(s.bytes, "byte", "bytes"),
        s.captured_bytes,
        s.malformed,
        if s.snapped > 0 { format!(", {} cut by the snap length", s.snapped) } else { String::new() }
    )?;
    if let (Some(a), Some(b)) = (s.first, s.last) {
        writeln!(w, "Time span: {a} to {b} UTC ({:.6} s)", s.duration())?;
    }
    if !s.protocols.is_empty() && tables {
        let mut t = table(&["protocol", "packets", "share"]);
        for (name, c) in &s.protocols {
            let share = if s.packets > 0 { *c as f64 * 100.0 / s.packets as f64 } else { 0.0 };
            t.add_row(vec![Cell::new(name), num_cell(c), num_cell(format!("{share:.1}%"))]);
        }
        writeln!(w, "{t}")?;
    }
    if tables && s.linktypes.len() > 1 || s.linktypes.iter().any(|(l, _)| names::linktype(*l) == "unsupported") {
        let mut t = table(&["link type", "packets"]);
        for (l, c) in &s.linktypes {
            t.add_row(vec![Cell::new(format!("{l} ({})", names::linktype(*l))), num_cell(c)]);
        }
        writeln!(w, "{t}")?;
    }
    if let Some(f) = &s.reassembly {
        writeln!(w, "{}", reassembly_line(f))?;
    }
    alert::summary_text(w, &r.alerts, &r.notices, r.flood.as_ref(), tables)?;
    if let Some(t) = &r.streams {
        streams_text(w, t)?;
    }
    if let Some(web) = &r.web {
        crate::output::web::tables(w, web, tables)?;
    }
    if let Some(a) = &r.arp {
        crate::output::arp::report_text(w, a, tables)?;
    }
    for e in &r.errors {
        writeln!(w, "Input ended early: {}", e.message)?;
    }
    Ok(())
}

/// What reassembling the streams counted, in a few lines.
fn streams_text(w: &mut dyn Write, t: &crate::analyze::stream::StreamTally) -> io::Result<()> {
    writeln!(
        w,
        "Streams: {} reassembled, {} in order, {} retransmitted, {} missing in {}",
        count(t.streams, "connection", "connections"),
        count(t.delivered, "byte", "bytes"),
        count(t.retransmitted, "byte", "bytes"),
        count(t.missed, "byte", "bytes"),
        count(t.gaps, "gap", "gaps"),
    )?;
    if t.inconsistent > 0 {
        writeln!(
            w,
            "  {} retransmitted with different content in {} (an evasion sign: the receiver kept the first copy)",
            count(t.inconsistent, "byte", "bytes"),
            count(t.inconsistent_streams, "stream", "streams")
        )?;
    }
    writeln!(
        w,
        "  out-of-order bytes: one stream held at most {} (caps {} a direction, {} in all); {}",
        t.held_peak,
        t.cap_per_direction,
        t.cap_total,
        if t.cap_hits == 0 { "no cap was reached".to_string() } else { format!("caps reached {} times, missing bytes given up early", t.cap_hits) }
    )
}

/// The JSON summary: one `stats` object (and the other report parts as their own objects).
/// `shown`: the display filter and how many packets it let through.
pub fn report_json(w: &mut dyn Write, r: &Report, shown: Option<(&str, u64)>) -> io::Result<()> {
    let s = &r.stats;
    let protocols: serde_json::Map<String, serde_json::Value> =
        s.protocols.iter().map(|(n, c)| (n.clone(), serde_json::Value::from(*c))).collect();
    let linktypes: serde_json::Map<String, serde_json::Value> =
        s.linktypes.iter().map(|(l, c)| (l.to_string(), serde_json::Value::from(*c))).collect();
    let mut v = serde_json::json!({
        "event_type": "stats",
        "packets": s.packets,
        "bytes": s.bytes,
        "captured_bytes": s.captured_bytes,
        "malformed": s.malformed,
        "snapped": s.snapped,
        "protocols": protocols,
        "linktypes": linktypes,
        "first_ts": s.first.map(|t| t.as_secs_f64()),
        "last_ts": s.last.map(|t| t.as_secs_f64()),
        "duration": s.duration(),
        "errors": r.errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>(),
    });
    if let (Some((filter, n)), Some(m)) = (shown, v.as_object_mut()) {
        m.insert("display_filter".into(), filter.into());
        m.insert("displayed".into(), n.into());
    }
    writeln!(w, "{v}")?;
    if let Some(f) = &s.reassembly {
        writeln!(w, "{}", json::event("reassembly", f))?;
    }
    if let Some(c) = &r.conns {
        crate::output::conns::json(w, c)?;
    }
    if let Some(t) = &r.streams {
        writeln!(w, "{}", json::event("stream_summary", t))?;
    }
    alert::summary_json(w, r.flood.as_ref())?;
    if let Some(a) = r.app.as_ref().filter(|a| !a.is_empty()) {
        writeln!(w, "{}", json::event("app_summary", a))?;
    }
    if let Some(a) = &r.arp {
        crate::output::arp::report_json(w, a)?;
    }
    Ok(())
}
