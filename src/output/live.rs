//! What a live capture shows besides packets: on a terminal, the tables of `--conns` and
//! `--arp` redrawn in place once a second, under a status line with the kernel's counts; off
//! one, a line per connection as it leaves the table.
//!
//! Each table is drawn by the same renderer as the end-of-run summary; [`conns_text`] and
//! [`arp_text`] are the one place that binds the redraw to them.

use std::io::{self, Write};

use crate::output::table::count;
use crate::report::conn::{ConnRecord, ConnSummary, TcpState};
use crate::report::Report;
use crate::source::live::KernelStats;

/// Which tables a redraw shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveTables {
    /// The TCP connection table.
    pub conns: bool,
    /// The ARP table.
    pub arp: bool,
}

/// ANSI: cursor home, clear screen.
const CLEAR: &str = "\x1b[H\x1b[2J";

/// The text redraw: a status line, then each table asked for; `clear` first clears the screen.
pub fn redraw_text(w: &mut dyn Write, r: &Report, t: LiveTables, clear: bool, kernel: Option<KernelStats>) -> io::Result<()> {
    if clear {
        w.write_all(CLEAR.as_bytes())?;
    }
    let s = &r.stats;
    let at = s.last.map(|l| l.to_string()).unwrap_or_else(|| "-".into());
    let k = match kernel {
        Some(k) => format!(", {} received by filter, {} dropped by kernel", k.received, k.dropped),
        None => String::new(),
    };
    writeln!(
        w,
        "── live: {}, {}{k}, last at {at} UTC ──",
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

// The tables come from each analyzer's `Analyzer::snapshot`: the connection tracker lists the
// connections still in its table (with totals over every connection so far), the ARP
// analyzer its whole table.

/// Whether a listed connection has ended while still in the table: a TCP connection both of
/// whose ends are closed or waiting out TIME_WAIT. UDP and ICMP flows stay open until their
/// timeout takes them out.
fn closed(r: &ConnRecord) -> bool {
    let done = |s: Option<TcpState>| matches!(s, Some(TcpState::Closed | TcpState::TimeWait));
    r.proto == "tcp" && done(r.orig_state) && done(r.resp_state)
}

/// The headline of the live connection table, counted from the rows it lists.
pub fn conns_headline(c: &ConnSummary) -> String {
    let shut = c.rows.iter().filter(|r| closed(r)).count();
    let open = c.rows.len() - shut;
    let left: u64 = c.by_end.iter().map(|(_, n)| n).sum();
    let in_table = (c.tcp + c.udp + c.icmp).saturating_sub(left);
    let listed = if (c.rows.len() as u64) < in_table {
        format!("the first {} of {in_table} in the table", c.rows.len())
    } else {
        format!("{} in the table", c.rows.len())
    };
    format!("Connections listed below: {listed}, {open} open, {shut} closed; {left} left the table so far")
}

/// The connection table of `r` as text: the connections in the table, under the run's totals.
pub fn conns_text(w: &mut dyn Write, r: &Report) -> io::Result<()> {
    match &r.conns {
        Some(c) => {
            writeln!(w, "{}", conns_headline(c))?;
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

/// One connection that left the table, as a line: when it started, the two ends, Zeek's
/// conn_state and history, packets and payload bytes each way, and why it left.
pub fn conn_line(w: &mut dyn Write, c: &ConnRecord) -> io::Result<()> {
    let ends = |h, p| crate::report::alert::endpoint(h, p);
    let states = match (c.orig_state, c.resp_state) {
        (Some(o), Some(r)) => format!(" {o}/{r}"),
        _ => String::new(),
    };
    writeln!(
        w,
        "{} conn {} {} > {} {}{states} {} pkts {}/{} bytes {}/{} {:.3}s {}",
        c.start,
        c.proto,
        ends(c.orig_h, c.orig_p),
        ends(c.resp_h, c.resp_p),
        c.conn_state,
        if c.history.is_empty() { "-" } else { &c.history },
        c.orig_pkts,
        c.resp_pkts,
        c.orig_bytes,
        c.resp_bytes,
        c.duration,
        c.end,
    )
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::report::conn::{ConnState, End};
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
        redraw_text(&mut a, &report(3), LiveTables::default(), false, Some(KernelStats { received: 4, dropped: 1 })).unwrap();
        let a = String::from_utf8(a).unwrap();
        assert_eq!(
            a,
            "── live: 3 packets, 180 bytes, 4 received by filter, 1 dropped by kernel, last at 1970-01-02 00:00:00.000000 UTC ──\n"
        );
        let mut b = Vec::new();
        redraw_text(&mut b, &report(3), LiveTables::default(), true, None).unwrap();
        assert!(String::from_utf8(b).unwrap().starts_with(CLEAR));
    }

    fn row(proto: &'static str, o: Option<TcpState>, r: Option<TcpState>) -> ConnRecord {
        ConnRecord {
            ts: 1.0,
            uid: "C1".into(),
            orig_h: "10.0.0.1".parse().unwrap(),
            orig_p: 40_000,
            resp_h: "10.0.0.2".parse().unwrap(),
            resp_p: 80,
            proto,
            service: None,
            duration: 0.5,
            orig_bytes: 10,
            resp_bytes: 20,
            conn_state: ConnState::SF,
            history: "ShADadFf".into(),
            missed_bytes: 0,
            tunnel_parents: Vec::new(),
            orig_pkts: 5,
            orig_ip_bytes: 300,
            resp_pkts: 4,
            resp_ip_bytes: 250,
            orig_state: o,
            resp_state: r,
            orig_frame_bytes: 0,
            resp_frame_bytes: 0,
            orig_retrans: 0,
            resp_retrans: 0,
            rtt_syn_synack: None,
            rtt_synack_ack: None,
            mid_stream: false,
            end: End::Open,
            continued: false,
            timeline: Vec::new(),
            start: Ts { sec: 1, nsec: 0 },
            last: Ts { sec: 1, nsec: 500_000_000 },
        }
    }

    /// The case: two finished HTTP connections and a refused one are closed, not open.
    #[test]
    fn open_and_closed_are_counted_from_the_rows() {
        use TcpState::*;
        let c = ConnSummary {
            tcp: 5,
            by_end: vec![(End::TimeWaitExpired, 1)],
            rows: vec![
                row("tcp", Some(TimeWait), Some(Closed)),
                row("tcp", Some(Closed), Some(TimeWait)),
                row("tcp", Some(Closed), Some(Closed)),
                row("tcp", Some(Established), Some(Established)),
            ],
            ..ConnSummary::default()
        };
        assert_eq!(conns_headline(&c), "Connections listed below: 4 in the table, 1 open, 3 closed; 1 left the table so far");
        let c = ConnSummary { tcp: 9, rows: vec![row("udp", None, None)], ..ConnSummary::default() };
        assert_eq!(conns_headline(&c), "Connections listed below: the first 1 of 9 in the table, 1 open, 0 closed; 0 left the table so far");
    }

    #[test]
    fn a_connection_line_says_how_it_went() {
        let mut w = Vec::new();
        let mut r = row("tcp", Some(TcpState::TimeWait), Some(TcpState::Closed));
        r.end = End::TimeWaitExpired;
        conn_line(&mut w, &r).unwrap();
        assert_eq!(
            String::from_utf8(w).unwrap(),
            "1970-01-01 00:00:01.000000 conn tcp 10.0.0.1:40000 > 10.0.0.2:80 SF TIME_WAIT/CLOSED ShADadFf pkts 5/4 bytes 10/20 0.500s time_wait_expired\n"
        );
    }
}
