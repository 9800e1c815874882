//! The connection view: totals per Zeek conn_state and per way of leaving the table, then a
//! comfy-table of connections sorted by start, and with `-V` each connection's state timeline.
//!
//! The table is bounded (`--max-rows`); the totals above it always cover every connection, and
//! the view says how many matching connections it did not list.

use std::io::{self, Write};

use comfy_table::Cell;

use super::table::{count, num_cell, table};
use crate::report::conn::{ConnRecord, ConnSummary};

fn endpoint(h: std::net::IpAddr, p: u16) -> String {
    match h {
        std::net::IpAddr::V6(_) => format!("[{h}]:{p}"),
        std::net::IpAddr::V4(_) => format!("{h}:{p}"),
    }
}

fn state_name(r: &ConnRecord, orig: bool) -> &'static str {
    let s = if orig { r.orig_state } else { r.resp_state };
    s.map(|s| s.name()).unwrap_or("-")
}

/// The connection table written a row at a time as connections leave (`inspect conns`
/// without `--sort`): memory stays flat however many rows there are. Columns have fixed
/// widths (a longer value widens its row), less the columns a narrow terminal has no room for;
/// with `--format tsv`, tab-separated values.
pub struct RowStream {
    max: usize,
    tsv: bool,
    /// Columns left out to fit the terminal.
    hidden: [bool; 11],
    written: u64,
    unlisted: u64,
    /// Whether a row was of a connection already open when the capture began.
    mid_stream: bool,
}

/// What the `*` after a start time means.
const MID_STREAM_NOTE: &str =
    "* already open when the capture began: the originator is a guess, Zeek's (the peer of a well-known server port, else the first sender)";

const HEADER: [&str; 11] =
    ["start", "proto", "originator", "responder", "orig state", "resp state", "conn_state", "history", "pkts o/r", "bytes o/r", "duration"];
const WIDTHS: [usize; 11] = [17, 5, 21, 21, 11, 11, 10, 10, 9, 13, 9];
/// The columns a narrow terminal drops, least important first: the duration and packet counts,
/// then the RFC 793 states (Zeek's conn_state stays), the protocol, the start and the history.
const EXPENDABLE: [usize; 9] = [10, 8, 4, 5, 1, 0, 7, 9, 6];
/// Which columns are numbers (aligned right).
const RIGHT: [bool; 11] = [false, false, false, false, false, false, false, false, true, true, true];

impl RowStream {
    /// A table of at most `max` rows, fitting `width` columns if given (a terminal's).
    pub fn new(max: usize, tsv: bool, width: Option<usize>) -> RowStream {
        let mut hidden = [false; 11];
        if let Some(width) = width.filter(|_| !tsv) {
            for (h, hide) in hidden.iter_mut().zip(super::table::hidden_columns(&WIDTHS, &EXPENDABLE, width)) {
                *h = hide;
            }
        }
        RowStream { max, tsv, hidden, written: 0, unlisted: 0, mid_stream: false }
    }

    /// The columns shown: index and width.
    fn shown(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        WIDTHS.iter().copied().enumerate().filter(|(i, _)| !self.hidden.get(*i).copied().unwrap_or(false))
    }

    fn line(&self, w: &mut dyn Write, cells: &[String]) -> io::Result<()> {
        if self.tsv {
            return writeln!(w, "{}", cells.join("\t"));
        }
        let mut s = String::from("│");
        for (n, (i, width)) in self.shown().enumerate() {
            let c = cells.get(i).map(String::as_str).unwrap_or("");
            if n > 0 {
                s.push('┆');
            }
            if RIGHT.get(i).copied().unwrap_or(false) {
                s.push_str(&format!(" {c:>width$} "));
            } else {
                s.push_str(&format!(" {c:<width$} "));
            }
        }
        s.push('│');
        writeln!(w, "{s}")
    }

    fn border(&self, w: &mut dyn Write, left: char, mid: char, right: char, fill: char) -> io::Result<()> {
        let parts: Vec<String> = self.shown().map(|(_, n)| fill.to_string().repeat(n + 2)).collect();
        writeln!(w, "{left}{}{right}", parts.join(&mid.to_string()))
    }

    /// Writes `r` (the header first, before the first row).
    pub fn row(&mut self, w: &mut dyn Write, r: &ConnRecord) -> io::Result<()> {
        if self.written as usize >= self.max {
            self.unlisted += 1;
            return Ok(());
        }
        if self.written == 0 {
            if !self.tsv {
                self.border(w, '┌', '┬', '┐', '─')?;
            }
            self.line(w, &HEADER.map(String::from))?;
            if !self.tsv {
                self.border(w, '╞', '╪', '╡', '═')?;
            }
        }
        self.written += 1;
        self.mid_stream |= r.mid_stream;
        self.line(w, &cells(r))
    }

    /// Closes the table, and says how many rows it left out.
    pub fn finish(&mut self, w: &mut dyn Write) -> io::Result<()> {
        if self.written > 0 && !self.tsv {
            self.border(w, '└', '┴', '┘', '─')?;
        }
        if self.mid_stream {
            writeln!(w, "{MID_STREAM_NOTE}")?;
        }
        if self.unlisted > 0 {
            let noun = if self.unlisted == 1 { "connection" } else { "connections" };
            writeln!(w, "{} more {noun} not listed (the table shows the first {} to leave; --max-rows)", self.unlisted, self.max)?;
        }
        self.written = 0;
        self.unlisted = 0;
        Ok(())
    }
}

/// A connection's row, as text.
fn cells(r: &ConnRecord) -> [String; 11] {
    let (_, _, _, h, m, sec) = r.start.civil();
    [
        format!("{h:02}:{m:02}:{sec:02}.{:06}{}", r.start.nsec / 1000, if r.mid_stream { " *" } else { "" }),
        r.proto.to_string(),
        endpoint(r.orig_h, r.orig_p),
        endpoint(r.resp_h, r.resp_p),
        state_name(r, true).to_string(),
        state_name(r, false).to_string(),
        r.conn_state.to_string(),
        r.history.clone(),
        format!("{}/{}", r.orig_pkts, r.resp_pkts),
        format!("{}/{}", r.orig_bytes, r.resp_bytes),
        format!("{:.6}", r.duration),
    ]
}

/// Writes the connection summary as text, and the table of connections when `rows`.
pub fn text(w: &mut dyn Write, s: &ConnSummary, verbose: bool, rows: bool, tables: bool) -> io::Result<()> {
    writeln!(w)?;
    let icmp = if s.icmp > 0 { format!(", {} ICMP", s.icmp) } else { String::new() };
    writeln!(
        w,
        "Connections: {} TCP, {} UDP{icmp}; at most {} tracked at once (cap {}), {} evicted",
        s.tcp, s.udp, s.peak, s.max_conns, s.evicted
    )?;
    if !s.by_state.is_empty() && tables {
        let mut t = table(&["conn_state", "connections", "meaning"]);
        for (state, n) in &s.by_state {
            t.add_row(vec![Cell::new(state), num_cell(n), Cell::new(state.meaning())]);
        }
        writeln!(w, "{t}")?;
    }
    if !s.by_end.is_empty() {
        let parts: Vec<String> = s.by_end.iter().map(|(e, n)| format!("{e} {n}")).collect();
        writeln!(w, "Left the table: {}", parts.join(", "))?;
    }
    let total = s.tcp + s.udp + s.icmp;
    if total == 0 {
        return Ok(());
    }
    if !s.filter.is_empty() {
        writeln!(w, "Filter: {} ({} of {} match)", s.filter, s.matched, count(total, "connection", "connections"))?;
    }
    if s.rows.is_empty() || !rows {
        return Ok(());
    }
    let mut t = table(&HEADER).expendable(&EXPENDABLE);
    for r in &s.rows {
        let (_, _, _, h, m, sec) = r.start.civil();
        t.add_row(vec![
            Cell::new(format!("{h:02}:{m:02}:{sec:02}.{:06}{}", r.start.nsec / 1000, if r.mid_stream { " *" } else { "" })),
            Cell::new(r.proto),
            Cell::new(endpoint(r.orig_h, r.orig_p)),
            Cell::new(endpoint(r.resp_h, r.resp_p)),
            Cell::new(state_name(r, true)),
            Cell::new(state_name(r, false)),
            Cell::new(r.conn_state),
            Cell::new(&r.history),
            num_cell(format!("{}/{}", r.orig_pkts, r.resp_pkts)),
            num_cell(format!("{}/{}", r.orig_bytes, r.resp_bytes)),
            num_cell(format!("{:.6}", r.duration)),
        ]);
    }
    writeln!(w, "{t}")?;
    if s.rows.iter().any(|r| r.mid_stream) {
        writeln!(w, "{MID_STREAM_NOTE}")?;
    }
    let unlisted = s.matched.saturating_sub(s.rows.len() as u64);
    if unlisted > 0 {
        let noun = if unlisted == 1 { "connection" } else { "connections" };
        writeln!(w, "{unlisted} more {noun} not listed (the table shows the first {} by start; --max-rows)", s.max_rows)?;
    }
    if verbose {
        for r in &s.rows {
            if r.timeline.is_empty() {
                continue;
            }
            writeln!(w)?;
            let rtt = match (r.rtt_syn_synack, r.rtt_synack_ack) {
                (Some(a), Some(b)) => format!(", handshake {:.6} s + {:.6} s", a, b),
                (Some(a), None) => format!(", SYN to SYN-ACK {:.6} s", a),
                _ => String::new(),
            };
            writeln!(
                w,
                "{} {} {} -> {} {} ({}, retransmissions {}/{}{rtt}, {})",
                r.uid,
                r.proto,
                endpoint(r.orig_h, r.orig_p),
                endpoint(r.resp_h, r.resp_p),
                r.conn_state,
                r.history,
                r.orig_retrans,
                r.resp_retrans,
                r.end.name().replace('_', " ")
            )?;
            for tr in &r.timeline {
                writeln!(w, "  +{:>12.6} s  {:<4}  {:<11} -> {}", tr.t, tr.end, tr.from.name(), tr.to.name())?;
            }
        }
    }
    Ok(())
}

/// Writes the connection totals as one `conn_summary` JSON object (the connections themselves
/// were streamed as `conn` events).
pub fn json(w: &mut dyn Write, s: &ConnSummary) -> io::Result<()> {
    fn map<K: std::fmt::Display>(v: &[(K, u64)]) -> serde_json::Map<String, serde_json::Value> {
        v.iter().map(|(k, n)| (k.to_string(), serde_json::Value::from(*n))).collect()
    }
    let mut v = serde_json::json!({
        "event_type": "conn_summary",
        "tcp": s.tcp,
        "udp": s.udp,
        "conn_states": map(&s.by_state),
        "ends": map(&s.by_end),
        "evicted": s.evicted,
        "max_conns": s.max_conns,
        "peak": s.peak,
        "matched": s.matched,
    });
    // Only when there are any, so that the summary of a capture without ICMP is as it was.
    if s.icmp > 0 {
        if let Some(m) = v.as_object_mut() {
            m.insert("icmp".to_string(), serde_json::Value::from(s.icmp));
        }
    }
    writeln!(w, "{v}")
}
