//! The live redraw of `capture --conns` / `--arp`: the tables of a snapshot report, once a
//! second, so a running capture shows its connection and ARP state as it changes.
//!
//! Each table is drawn by the same renderer as the end-of-run summary; [`conns_text`],
//! [`arp_text`] and their JSON twins are the one place that binds the redraw to them.

use std::io::{self, Write};

use crate::output::table::count;
use crate::report::Report;

/// Which tables a redraw shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveTables {
    /// The TCP connection table.
    pub conns: bool,
    /// The ARP table.
    pub arp: bool,
}

/// ANSI: cursor home, clear screen (only used when stdout is a terminal showing nothing else).
const CLEAR: &str = "\x1b[H\x1b[2J";

/// The text redraw: a status line, then each table asked for.
pub fn redraw_text(w: &mut dyn Write, r: &Report, t: LiveTables, clear: bool) -> io::Result<()> {
    if clear {
        w.write_all(CLEAR.as_bytes())?;
    }
    let s = &r.stats;
    let at = s.last.map(|l| l.to_string()).unwrap_or_else(|| "-".into());
    writeln!(
        w,
        "── live: {}, {}, last at {at} UTC ──",
        count(s.packets, "packet", "packets"),
        count(s.bytes, "byte", "bytes")
    )?;
    if t.conns {
        conns_text(w, r)?;
    }
    if t.arp {
        arp_text(w, r)?;
    }
    Ok(())
}

/// The JSON redraw: one `snapshot` object, then each table's own objects.
pub fn redraw_json(w: &mut dyn Write, r: &Report, t: LiveTables) -> io::Result<()> {
    let s = &r.stats;
    let v = serde_json::json!({
        "event_type": "snapshot",
        "packets": s.packets,
        "bytes": s.bytes,
        "last_ts": s.last.map(|t| t.as_secs_f64()),
    });
    writeln!(w, "{v}")?;
    if t.conns {
        conns_json(w, r)?;
    }
    if t.arp {
        arp_json(w, r)?;
    }
    Ok(())
}

// The tables come from each analyzer's `Analyzer::snapshot`: the connection tracker lists the
// connections still in its table (with totals over every connection so far), the ARP
// analyzer its whole table.

/// The connection table of `r` as text: the open connections, under the run's totals so far.
pub fn conns_text(w: &mut dyn Write, r: &Report) -> io::Result<()> {
    match &r.conns {
        Some(c) => {
            let closed: u64 = c.by_end.iter().map(|(_, n)| n).sum();
            let open = (c.tcp + c.udp + c.icmp).saturating_sub(closed);
            writeln!(w, "Connections open now: {open} (listed below), closed so far: {closed}")?;
            crate::output::conns::text(w, c, false, true, true)
        }
        None => writeln!(w, "(connection table: the connection tracker is not running)"),
    }
}

/// The ARP table of `r` as text.
pub fn arp_text(w: &mut dyn Write, r: &Report) -> io::Result<()> {
    match &r.arp {
        Some(a) => crate::output::arp::live_text(w, a),
        None => writeln!(w, "(ARP table: the ARP analyzer is not running)"),
    }
}

/// The connection table of `r` as JSON lines: one `conn_open` object per open connection
/// listed (Zeek field names, `end` is `open`), then the `conn_summary` totals so far.
pub fn conns_json(w: &mut dyn Write, r: &Report) -> io::Result<()> {
    match &r.conns {
        Some(c) => {
            for row in &c.rows {
                writeln!(w, "{}", crate::output::json::event("conn_open", row))?;
            }
            crate::output::conns::json(w, c)
        }
        None => Ok(()),
    }
}

/// The ARP table of `r` as JSON lines.
pub fn arp_json(w: &mut dyn Write, r: &Report) -> io::Result<()> {
    match &r.arp {
        Some(a) => crate::output::arp::report_json(w, a),
        None => Ok(()),
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::source::Ts;

    fn report(packets: u64) -> Report {
        let mut r = Report::default();
        r.stats.packets = packets;
        r.stats.bytes = packets * 60;
        r.stats.last = Some(Ts {
            sec: 86_400,
            nsec: 0,
        });
        r
    }

    #[test]
    fn text_redraw_clears_only_when_asked() {
        let mut a = Vec::new();
        redraw_text(&mut a, &report(3), LiveTables::default(), false).unwrap();
        let a = String::from_utf8(a).unwrap();
        assert_eq!(
            a,
            "── live: 3 packets, 180 bytes, last at 1970-01-02 00:00:00.000000 UTC ──\n"
        );
        let mut b = Vec::new();
        redraw_text(&mut b, &report(3), LiveTables::default(), true).unwrap();
        assert!(String::from_utf8(b).unwrap().starts_with(CLEAR));
    }

    #[test]
    fn json_redraw_is_a_snapshot_object() {
        let mut a = Vec::new();
        redraw_json(
            &mut a,
            &report(2),
            LiveTables {
                conns: true,
                arp: true,
            },
        )
        .unwrap();
        let first = String::from_utf8(a).unwrap();
        let v: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
        assert_eq!(v["event_type"], "snapshot");
        assert_eq!(v["packets"], 2);
        assert_eq!(v["last_ts"], 86_400.0);
    }
}
