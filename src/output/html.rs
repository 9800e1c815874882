//! The page of `inspect report`: one HTML file with everything inline (styles, pictures as
//! SVG), no script and no link, so that it opens anywhere, offline, as an attachment.

use std::io::{self, Write};

use super::plot::{stamp, Picture};
use crate::report::alert::{endpoint, Pattern};
use crate::report::traffic::{ConvRow, EndpointRow, TrafficReport};
use crate::report::Report;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f0f0}\
figure{margin:1em 0}figcaption{font-size:.9em;color:#555}svg{max-width:100%;height:auto}";

/// `s` with HTML's special characters escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn table(w: &mut dyn Write, head: &[&str], rows: &[Vec<(String, bool)>]) -> io::Result<()> {
    write!(w, "<table>")?;
    // A table of names and values has no heading row.
    if head.iter().any(|h| !h.is_empty()) {
        write!(w, "<tr>")?;
        for h in head {
            write!(w, "<th>{}</th>", escape(h))?;
        }
        writeln!(w, "</tr>")?;
    }
    for r in rows {
        write!(w, "<tr>")?;
        for (cell, num) in r {
            if *num {
                write!(w, "<td class=\"n\">{}</td>", escape(cell))?;
            } else {
                write!(w, "<td>{}</td>", escape(cell))?;
            }
        }
        writeln!(w, "</tr>")?;
    }
    writeln!(w, "</table>")
}

fn text(s: impl ToString) -> (String, bool) {
    (s.to_string(), false)
}

fn num(s: impl ToString) -> (String, bool) {
    (s.to_string(), true)
}

fn conv_rows(rows: &[ConvRow]) -> Vec<Vec<(String, bool)>> {
    rows.iter()
        .map(|r| {
            vec![text(&r.addr_a), text(&r.addr_b), num(r.frames_ab), num(r.bytes_ab), num(r.frames_ba), num(r.bytes_ba), num(format!("{:.6}", r.rel_start)), num(format!("{:.4}", r.duration))]
        })
        .collect()
}

fn end_rows(rows: &[EndpointRow]) -> Vec<Vec<(String, bool)>> {
    rows.iter().map(|r| vec![text(&r.addr), num(r.frames()), num(r.bytes()), num(r.tx_bytes), num(r.rx_bytes)]).collect()
}

/// Writes the page of `files`: the counters' report `t`, the analyzers' report `r`, and the
/// pictures (SVG).
pub fn page(w: &mut dyn Write, files: &[String], t: &TrafficReport, r: &Report, pics: &[Picture]) -> io::Result<()> {
    let name = files.join(", ");
    writeln!(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>")?;
    writeln!(w, "<title>inspect report: {}</title><style>{STYLE}</style></head><body>", escape(&name))?;
    writeln!(w, "<h1>inspect report: {}</h1>", escape(&name))?;
    writeln!(w, "<h2 id=\"summary\">Summary</h2>")?;
    let mut rows = vec![vec![text("frames"), num(t.frames)], vec![text("bytes"), num(t.bytes)], vec![text("duration"), num(format!("{:.3} s", t.duration))]];
    if let (Some(a), Some(b)) = (r.stats.first, r.stats.last) {
        rows.push(vec![text("first frame"), text(stamp(a))]);
        rows.push(vec![text("last frame"), text(stamp(b))]);
    }
    if let Some(c) = &r.conns {
        rows.push(vec![text("TCP connections"), num(c.tcp)]);
        rows.push(vec![text("UDP flows"), num(c.udp)]);
        rows.push(vec![text("ICMP flows"), num(c.icmp)]);
        rows.push(vec![text("most connections at once"), num(c.peak)]);
    }
    rows.push(vec![text("SYN-flood alerts"), num(r.alerts.len())]);
    table(w, &["", ""], &rows)?;

    writeln!(w, "<h2 id=\"pictures\">Pictures</h2>")?;
    for p in pics {
        let svg = String::from_utf8_lossy(&p.bytes);
        // The picture's own XML declaration has no place inside HTML.
        let svg = match svg.find("<svg") {
            Some(at) => &svg[at..],
            None => &svg[..],
        };
        writeln!(w, "<figure id=\"{}\">{svg}<figcaption>{}</figcaption></figure>", escape(&p.name), escape(&p.title))?;
    }

    writeln!(w, "<h2 id=\"talkers\">Top talkers (IPv4, by bytes)</h2>")?;
    table(w, &["address", "frames", "bytes", "tx bytes", "rx bytes"], &end_rows(&t.talkers))?;
    for (kind, rows) in &t.conv {
        writeln!(w, "<h2 id=\"conv-{kind}\">Conversations ({kind}, most frames first)</h2>")?;
        table(w, &["address A", "address B", "frames A→B", "bytes A→B", "frames B→A", "bytes B→A", "rel start", "duration"], &conv_rows(rows))?;
    }
    if let Some(c) = &r.conns {
        writeln!(w, "<h2 id=\"states\">Connection states</h2>")?;
        let rows: Vec<Vec<(String, bool)>> = c.by_state.iter().filter(|(_, n)| *n > 0).map(|(s, n)| vec![text(s), text(s.meaning()), num(n)]).collect();
        table(w, &["conn_state", "meaning", "connections"], &rows)?;
    }
    writeln!(w, "<h2 id=\"alerts\">SYN-flood alerts</h2>")?;
    if r.alerts.is_empty() {
        writeln!(w, "<p>none</p>")?;
    } else {
        let rows: Vec<Vec<(String, bool)>> = r
            .alerts
            .iter()
            .map(|a| {
                let target = match a.pattern {
                    Pattern::OnePort => endpoint(a.dst, a.dport.unwrap_or(0)),
                    Pattern::MultiPort => a.dst.to_string(),
                    Pattern::Carpet => format!("{}/{}", a.dst, a.prefix),
                };
                vec![num(a.id), text(target), text(stamp(a.start)), text(stamp(a.end)), num(format!("{:.3}", a.duration)), num(a.syns), num(a.peak_syn_rate), num(a.half_open), num(a.sources)]
            })
            .collect();
        table(w, &["id", "target", "start", "end", "seconds", "SYNs", "peak SYN/s", "half open", "sources"], &rows)?;
    }
    writeln!(w, "</body></html>")
}
