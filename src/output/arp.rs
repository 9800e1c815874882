//! Rendering the ARP table and its events: a comfy-table for people, `arp` / `arp_event` /
//! `arp_summary` JSON objects for programs.
//!
//! Everything here reads only [`ArpReport`], so a file run, `inspect arp`, `arp-scan` and a live
//! capture redrawing its table every second all show the same thing the same way.

use std::fmt::Write as _;
use std::io::{self, Write};

use comfy_table::Cell;

use crate::output::json;
use crate::output::table::{count, num_cell, table, Tbl};
use crate::report::arp::{ArpEvent, ArpReport, Mac};
use crate::report::Report;
use crate::source::Ts;

/// A float epoch time back as a timestamp, rounded to the microsecond it was written from.
fn ts_of(secs: f64) -> Ts {
    let micros = (secs * 1e6).round() as i64;
    Ts { sec: micros.div_euclid(1_000_000), nsec: (micros.rem_euclid(1_000_000) * 1000) as u32 }
}

/// Time of day (`HH:MM:SS.ffffff`), or the full date and time when `full`.
fn time(secs: f64, full: bool) -> String {
    let t = ts_of(secs);
    if full {
        t.to_string()
    } else {
        let (_, _, _, h, m, s) = t.civil();
        format!("{h:02}:{m:02}:{s:02}.{:06}", t.nsec / 1000)
    }
}

fn mac_text(m: Option<Mac>) -> String {
    m.map(|m| m.to_string()).unwrap_or_else(|| "-".into())
}

/// Whether the table's times span more than one UTC day (then dates are shown).
fn spans_days(r: &ArpReport) -> bool {
    let days = r
        .entries
        .iter()
        .flat_map(|e| [e.first_seen, e.last_seen])
        .chain(r.events.iter().map(|e| e.ts))
        .map(|t| ts_of(t).sec.div_euclid(86_400));
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for d in days {
        lo = lo.min(d);
        hi = hi.max(d);
    }
    lo < hi
}

/// One event as a line, arpwatch style: time, name, address, MAC, and what it was before.
pub fn event_line(e: &ArpEvent) -> String {
    let mut s = format!("{} arp: {} {}", time(e.ts, false), e.event.name(), e.ip);
    if let Some(m) = e.mac {
        let _ = write!(s, " {m}");
    }
    if let Some(m) = e.old_mac {
        let _ = write!(s, " (was {m})");
    }
    s.push_str(&event_detail(e));
    if e.frame > 0 {
        let _ = write!(s, ", frame {}", e.frame);
    }
    s
}

/// The extras of an event, as text after its values.
fn event_detail(e: &ArpEvent) -> String {
    use crate::report::arp::ArpEventKind as K;
    match (e.event, e.eth_src, e.count) {
        (K::EthernetMismatch, Some(src), _) => format!(", frame from {src}"),
        (K::UnansweredRequest, _, Some(n)) => format!(", {} unanswered", count(n, "request", "requests")),
        (K::ArpStorm, _, Some(n)) => format!(", {} within 1 s", count(n, "request", "requests")),
        _ => String::new(),
    }
}

/// The ARP table as a comfy-table (for the end of a run and for live redraws).
pub fn entries_table(r: &ArpReport) -> Tbl {
    let full = spans_days(r);
    // On a narrow terminal: how the entry was learned, when it was first seen, and the counts go
    // first; the address, MAC and state stay.
    let mut t = table(&["IP", "MAC", "vendor", "state", "learned", "first seen", "last seen", "packets", "changes"])
        .expendable(&[4, 5, 7, 8, 6, 2]);
    for e in &r.entries {
        let mut changes = e.changes.to_string();
        if !e.previous_macs.is_empty() {
            let prev: Vec<String> = e.previous_macs.iter().map(Mac::to_string).collect();
            let _ = write!(changes, " (was {})", prev.join(", "));
        }
        t.add_row(vec![
            Cell::new(e.ip),
            Cell::new(mac_text(e.mac)),
            Cell::new(e.vendor.as_deref().unwrap_or("")),
            Cell::new(e.state.name()),
            Cell::new(e.learned.name()),
            Cell::new(time(e.first_seen, full)),
            Cell::new(time(e.last_seen, full)),
            num_cell(e.packets),
            Cell::new(changes),
        ]);
    }
    t
}

/// The events kept in the report as a comfy-table.
pub fn events_table(r: &ArpReport) -> Tbl {
    let full = spans_days(r);
    let mut t = table(&["time", "event", "IP", "MAC", "old MAC", "detail", "frame"]).expendable(&[6, 5, 0]);
    for e in &r.events {
        let detail = event_detail(e);
        t.add_row(vec![
            Cell::new(time(e.ts, full)),
            Cell::new(e.event.name()),
            Cell::new(e.ip),
            Cell::new(mac_text(e.mac)),
            Cell::new(mac_text(e.old_mac)),
            Cell::new(detail.trim_start_matches(", ")),
            num_cell(if e.frame > 0 { e.frame.to_string() } else { "-".into() }),
        ]);
    }
    t
}

/// The counters line over the table.
fn headline(r: &ArpReport) -> String {
    let mut s = format!(
        "ARP table: {} from {} ({}, {}",
        count(r.entries.len() as u64, "entry", "entries"),
        count(r.packets, "ARP packet", "ARP packets"),
        count(r.requests, "request", "requests"),
        count(r.replies, "reply", "replies")
    );
    if r.probes > 0 {
        let _ = write!(s, ", {}", count(r.probes, "probe", "probes"));
    }
    if r.other > 0 {
        let _ = write!(s, ", {} other", r.other);
    }
    s.push(')');
    if let Some(t) = r.as_of {
        let _ = write!(s, ", states as of {} UTC", ts_of(t));
    }
    if r.evicted > 0 || r.expired > 0 {
        let _ = write!(s, "; {} evicted at the cap of {}, {} expired", r.evicted, r.capacity, r.expired);
    }
    s
}

/// The ARP section of the text summary: the table, then the events.
pub fn report_text(w: &mut dyn Write, r: &ArpReport, tables: bool) -> io::Result<()> {
    if r.packets == 0 && r.entries.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(w, "{}", headline(r))?;
    if !r.entries.is_empty() && tables {
        writeln!(w, "{}", entries_table(r))?;
    }
    if r.events_total == 0 {
        return writeln!(w, "ARP events: none");
    }
    let counts: Vec<String> = r.event_counts.iter().map(|(k, c)| format!("{c} {k}")).collect();
    write!(w, "ARP events: {} ({})", r.events_total, counts.join(", "))?;
    if r.events.is_empty() {
        // A live capture off a terminal printed each one as it happened, and keeps them out
        // of the table.
        write!(w, "; each shown above as it happened")?;
    } else if (r.events.len() as u64) < r.events_total {
        write!(w, "; the last {} shown", r.events.len())?;
    }
    writeln!(w)?;
    if !r.events.is_empty() && tables {
        writeln!(w, "{}", events_table(r))?;
    }
    Ok(())
}

/// Events a live redraw shows under the table.
const LIVE_EVENTS: usize = 8;

/// The live redraw (`capture --arp`): the counters, the table, and the latest events as lines.
pub fn live_text(w: &mut dyn Write, r: &ArpReport) -> io::Result<()> {
    writeln!(w, "{}", headline(r))?;
    if !r.entries.is_empty() {
        writeln!(w, "{}", entries_table(r))?;
    }
    for e in r.events.iter().skip(r.events.len().saturating_sub(LIVE_EVENTS)) {
        writeln!(w, "{}", event_line(e))?;
    }
    Ok(())
}

/// The ARP part of the JSON summary: one `arp` object per entry and one `arp_summary`. The
/// `arp_event` objects were written as the events happened.
pub fn report_json(w: &mut dyn Write, r: &ArpReport) -> io::Result<()> {
    for e in &r.entries {
        writeln!(w, "{}", json::event("arp", e))?;
    }
    let counts: serde_json::Map<String, serde_json::Value> =
        r.event_counts.iter().map(|(k, c)| (k.clone(), serde_json::Value::from(*c))).collect();
    let v = serde_json::json!({
        "event_type": "arp_summary",
        "entries": r.entries.len(),
        "packets": r.packets,
        "requests": r.requests,
        "replies": r.replies,
        "probes": r.probes,
        "other": r.other,
        "events": r.events_total,
        "event_counts": counts,
        "evicted": r.evicted,
        "expired": r.expired,
        "capacity": r.capacity,
        "as_of": r.as_of,
    });
    writeln!(w, "{v}")
}

/// `inspect arp` in text: the ARP table and events, and any input that ended early.
pub fn report_only_text(w: &mut dyn Write, r: &Report) -> io::Result<()> {
    match &r.arp {
        Some(a) if a.packets > 0 || !a.entries.is_empty() => report_text(w, a, true)?,
        _ => writeln!(w, "No ARP packets in {} frames.", r.stats.packets)?,
    }
    for e in &r.errors {
        writeln!(w, "Input ended early: {}", e.message)?;
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::report::arp::ArpEventKind;
    use std::net::Ipv4Addr;

    #[test]
    fn event_line_names_old_and_new() {
        let e = ArpEvent {
            event: ArpEventKind::ChangedEthernetAddress,
            ts: 1_700_000_000.25,
            ip: Ipv4Addr::new(10, 0, 0, 2),
            mac: Some(Mac([2, 0, 0, 0, 0, 3])),
            old_mac: Some(Mac([2, 0, 0, 0, 0, 2])),
            eth_src: None,
            count: None,
            frame: 11,
        };
        assert_eq!(
            event_line(&e),
            "22:13:20.250000 arp: changed ethernet address 10.0.0.2 02:00:00:00:00:03 (was 02:00:00:00:00:02), frame 11"
        );
    }

    #[test]
    fn float_times_round_to_the_microsecond() {
        // 0.935746 has no exact binary form; rounding must give it back, not .935745.
        let t = ts_of(1_700_000_000.935746);
        assert_eq!((t.sec, t.nsec), (1_700_000_000, 935_746_000));
        assert_eq!(ts_of(-0.5), Ts { sec: -1, nsec: 500_000_000 });
    }

    #[test]
    fn live_redraw_shows_the_table_and_the_latest_events() {
        let ev = |i: u8| ArpEvent {
            event: ArpEventKind::NewStation,
            ts: 1_700_000_000.0 + i as f64,
            ip: Ipv4Addr::new(10, 0, 0, i),
            mac: Some(Mac([2, 0, 0, 0, 0, i])),
            old_mac: None,
            eth_src: None,
            count: None,
            frame: i as u64,
        };
        let r = ArpReport { events: (1..=10).map(ev).collect(), events_total: 10, packets: 10, ..ArpReport::default() };
        let mut out = Vec::new();
        live_text(&mut out, &r).unwrap_or_default();
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("ARP table: 0 entries from 10 ARP packets"), "{text}");
        assert_eq!(text.lines().filter(|l| l.contains(" arp: new station ")).count(), LIVE_EVENTS);
        assert!(text.contains("10.0.0.10 ") && !text.contains("10.0.0.2 "), "{text}");
    }
}
