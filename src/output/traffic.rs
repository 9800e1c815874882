//! Renders `inspect stats`: the tables in the house style (text or TSV), or one JSON object per
//! row; and sparklines, rates over time drawn with Unicode blocks.

use std::io::{self, Write};

use comfy_table::Cell;

use super::table::{count, num_cell, table};
use super::Format;
use crate::report::traffic::{ConvRow, EndpointRow, IoTable, TrafficReport};

/// The eight heights of a sparkline, lowest first.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `values` as a sparkline at most `width` characters wide: each character the largest value
/// of the run of values it stands for, scaled so the largest of all is a full block (all zero:
/// the lowest block everywhere).
pub fn sparkline(values: &[u64], width: usize) -> String {
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let per = values.len().div_ceil(width);
    let buckets: Vec<u64> = values.chunks(per).map(|c| c.iter().copied().max().unwrap_or(0)).collect();
    let top = buckets.iter().copied().max().unwrap_or(0);
    buckets
        .iter()
        .map(|&v| {
            if top == 0 || v == 0 {
                BLOCKS[0]
            } else {
                // 1..=8 steps, so any non-zero value shows above an empty one.
                let level = ((v as u128 * 7).div_ceil(top as u128)) as usize;
                BLOCKS[level.min(7)]
            }
        })
        .collect()
}

/// Seconds with the precision tshark shows a relative start.
fn secs(v: f64, places: usize) -> String {
    format!("{v:.places$}")
}

fn port(p: Option<u16>) -> String {
    p.map(|p| p.to_string()).unwrap_or_default()
}

fn conv_table(kind: &str, rows: &[ConvRow]) -> String {
    let ports = matches!(kind, "tcp" | "udp");
    let mut head = vec!["address A"];
    if ports {
        head.push("port A");
    }
    head.push("address B");
    if ports {
        head.push("port B");
    }
    head.extend(["frames A→B", "bytes A→B", "frames B→A", "bytes B→A", "frames", "bytes", "rel start", "duration", "bits/s A→B", "bits/s B→A"]);
    let n = head.len();
    let mut t = table(&head).expendable(&[n - 1, n - 2, n - 3, n - 4]);
    for r in rows {
        let mut cells = vec![Cell::new(&r.addr_a)];
        if ports {
            cells.push(num_cell(port(r.port_a)));
        }
        cells.push(Cell::new(&r.addr_b));
        if ports {
            cells.push(num_cell(port(r.port_b)));
        }
        let rate = |bytes: u64| if r.duration > 0.0 { format!("{:.0}", bytes as f64 * 8.0 / r.duration) } else { "-".into() };
        cells.extend([
            num_cell(r.frames_ab),
            num_cell(r.bytes_ab),
            num_cell(r.frames_ba),
            num_cell(r.bytes_ba),
            num_cell(r.frames()),
            num_cell(r.bytes()),
            num_cell(secs(r.rel_start, 6)),
            num_cell(secs(r.duration, 4)),
            num_cell(rate(r.bytes_ab)),
            num_cell(rate(r.bytes_ba)),
        ]);
        t.add_row(cells);
    }
    t.to_string()
}

fn end_table(kind: &str, rows: &[EndpointRow]) -> String {
    let ports = matches!(kind, "tcp" | "udp");
    let mut head = vec!["address"];
    if ports {
        head.push("port");
    }
    head.extend(["frames", "bytes", "tx frames", "tx bytes", "rx frames", "rx bytes"]);
    let mut t = table(&head);
    for r in rows {
        let mut cells = vec![Cell::new(&r.addr)];
        if ports {
            cells.push(num_cell(port(r.port)));
        }
        cells.extend([
            num_cell(r.frames()),
            num_cell(r.bytes()),
            num_cell(r.tx_frames),
            num_cell(r.tx_bytes),
            num_cell(r.rx_frames),
            num_cell(r.rx_bytes),
        ]);
        t.add_row(cells);
    }
    t.to_string()
}

fn io_table(io: &IoTable, duration: f64) -> String {
    let mut head = vec!["interval".to_string()];
    for f in &io.filters {
        let name = if f.is_empty() { "all" } else { f.as_str() };
        head.push(format!("{name} frames"));
        head.push(format!("{name} bytes"));
    }
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut t = table(&head);
    let n = io.columns.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..n {
        let start = i as f64 * io.interval;
        // The last interval ends with the capture, as tshark writes it.
        let end = if i + 1 == n { duration.min(start + io.interval) } else { start + io.interval };
        let mut cells = vec![Cell::new(format!("{} <> {}", trim(start), trim(end)))];
        for col in &io.columns {
            let (f, b) = col.get(i).copied().unwrap_or((0, 0));
            cells.push(num_cell(f));
            cells.push(num_cell(b));
        }
        t.add_row(cells);
    }
    t.to_string()
}

/// A number of seconds without trailing zeros (`1`, `0.5`).
fn trim(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Writes the report in `format`.
pub fn render(out: &mut dyn Write, r: &TrafficReport, format: Format) -> io::Result<()> {
    if format == Format::Json {
        return json(out, r);
    }
    let tsv = format == Format::Tsv;
    writeln!(out, "{}, {}, {:.3} s", count(r.frames, "frame", "frames"), count(r.bytes, "byte", "bytes"), r.duration)?;
    if let Some(io) = &r.io {
        for (f, col) in io.filters.iter().zip(&io.columns) {
            let frames: Vec<u64> = col.iter().map(|c| c.0).collect();
            let peak = frames.iter().copied().max().unwrap_or(0);
            let name = if f.is_empty() { "frames" } else { f.as_str() };
            writeln!(out, "{name} per {} s: {} peak {peak}", trim(io.interval), sparkline(&frames, 60))?;
        }
    }
    if !r.phs.is_empty() {
        writeln!(out, "\nProtocol hierarchy")?;
        let mut t = table(&["protocol", "frames", "bytes"]);
        if tsv {
            // TSV keeps every path whole, as frame.protocols spells it.
            for row in &r.phs {
                t.add_row(vec![Cell::new(&row.path), num_cell(row.frames), num_cell(row.bytes)]);
            }
        } else {
            for (path, frames, bytes) in tree(&r.phs) {
                let depth = path.len().saturating_sub(1);
                let label = format!("{}{}", "  ".repeat(depth), path.last().copied().unwrap_or(""));
                t.add_row(vec![Cell::new(label), num_cell(frames), num_cell(bytes)]);
            }
        }
        writeln!(out, "{t}")?;
    }
    if !r.talkers.is_empty() {
        writeln!(out, "\nTop talkers (IPv4, by bytes)")?;
        writeln!(out, "{}", end_table("ip", &r.talkers))?;
    }
    if !r.ports.is_empty() {
        writeln!(out, "\nTop ports (the lower port of each packet, by frames)")?;
        let mut t = table(&["transport", "port", "frames", "bytes"]);
        for p in &r.ports {
            t.add_row(vec![Cell::new(p.transport), num_cell(p.port), num_cell(p.frames), num_cell(p.bytes)]);
        }
        writeln!(out, "{t}")?;
    }
    for (kind, rows) in &r.conv {
        writeln!(out, "\n{} conversations", title(kind))?;
        if rows.is_empty() {
            writeln!(out, "none")?;
        } else {
            writeln!(out, "{}", conv_table(kind, rows))?;
        }
    }
    for (kind, rows) in &r.endpoints {
        if r.overview {
            // The overview shows the IP endpoints as its talkers.
            continue;
        }
        writeln!(out, "\n{} endpoints", title(kind))?;
        if rows.is_empty() {
            writeln!(out, "none")?;
        } else {
            writeln!(out, "{}", end_table(kind, rows))?;
        }
    }
    if let Some(io) = &r.io {
        if !r.overview {
            writeln!(out, "\nI/O statistics (interval {} s)", trim(io.interval))?;
            writeln!(out, "{}", io_table(io, r.duration))?;
        }
    }
    Ok(())
}

/// Names tshark's hierarchy leaves out: pseudo-protocols that only say how the next header is
/// chosen (`ethertype`) and IPv6's extension headers; what they carry is counted under their
/// parent.
fn hidden(name: &str) -> bool {
    name == "ethertype" || name.starts_with("ipv6.")
}

/// The hierarchy as tshark draws it: hidden names dropped, and nodes that then have the same
/// path (ICMPv6 with and without a hop-by-hop header) summed, in the order first seen.
fn tree(rows: &[crate::report::traffic::PhsRow]) -> Vec<(Vec<&str>, u64, u64)> {
    let mut out: Vec<(Vec<&str>, u64, u64)> = Vec::new();
    for row in rows {
        let names: Vec<&str> = row.path.split(':').collect();
        if names.last().is_none_or(|n| hidden(n)) {
            continue;
        }
        let path: Vec<&str> = names.into_iter().filter(|n| !hidden(n)).collect();
        match out.iter_mut().find(|(p, _, _)| *p == path) {
            Some(node) => {
                node.1 += row.frames;
                node.2 += row.bytes;
            }
            None => out.push((path, row.frames, row.bytes)),
        }
    }
    // Parents before children: order by the first appearance of each prefix.
    let order: Vec<Vec<&str>> = out.iter().map(|(p, _, _)| p.clone()).collect();
    let key = |p: &Vec<&str>| (1..=p.len()).map(|k| order.iter().position(|q| q.as_slice() == &p[..k]).unwrap_or(usize::MAX)).collect::<Vec<_>>();
    out.sort_by_key(|(p, _, _)| key(p));
    out
}

fn title(kind: &str) -> &'static str {
    match kind {
        "eth" => "Ethernet",
        "ip" => "IPv4",
        "ipv6" => "IPv6",
        "tcp" => "TCP",
        _ => "UDP",
    }
}

fn json(out: &mut dyn Write, r: &TrafficReport) -> io::Result<()> {
    let mut line = |v: &dyn JsonRow| -> io::Result<()> {
        v.write(out)?;
        out.write_all(b"\n")
    };
    for row in &r.phs {
        line(row)?;
    }
    for (_, rows) in &r.conv {
        for row in rows {
            line(row)?;
        }
    }
    for (_, rows) in &r.endpoints {
        for row in rows {
            line(row)?;
        }
    }
    if let Some(io) = &r.io {
        for row in io.rows() {
            line(&row)?;
        }
    }
    for row in &r.ports {
        line(row)?;
    }
    let summary = serde_json::json!({
        "event_type": "stats_summary",
        "frames": r.frames,
        "bytes": r.bytes,
        "duration": r.duration,
        "start": r.start,
    });
    line(&summary)
}

/// A row that can be written as one JSON object.
trait JsonRow {
    fn write(&self, out: &mut dyn Write) -> io::Result<()>;
}

impl<T: serde::Serialize> JsonRow for T {
    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer(out, self).map_err(io::Error::other)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_sparkline_scales_to_its_largest_value() {
        assert_eq!(sparkline(&[0, 1, 7, 14], 10), "▁▂▅█");
        assert_eq!(sparkline(&[0, 0], 10), "▁▁");
        // Wider than the width: each character the largest of its run.
        assert_eq!(sparkline(&[1, 8, 0, 0, 8, 1], 3), "█▁█");
    }
}
