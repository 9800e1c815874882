//! Renders `inspect stats`: the tables in the house style (text or TSV), or one JSON object per
//! row; and sparklines, rates over time drawn with Unicode blocks.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::Range;
use std::sync::mpsc::sync_channel;

use comfy_table::Cell;

use super::table::{count, num_cell, table, Lines};
use super::Format;
use crate::report::traffic::{EndpointRow, IoTable, ServiceRow, Tables, TrafficReport};

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

/// Draws one table from rows handed by `each` (called twice: to measure, then to draw): a line
/// at a time in the house style, or by comfy-table when only it can (see [`Lines::streams`]).
/// Returns whether there was any row (without any, nothing is drawn unless `empty` asks for
/// the header alone).
/// `each` is told whether it is measuring: then a cell need only be as wide as its text.
fn draw(out: &mut dyn Write, head: &[&str], right: &[bool], expendable: &[usize], empty: bool, each: &Each<'_>) -> io::Result<bool> {
    let mut lines = Lines::new(head, right).expendable(expendable);
    each(
        &mut |cells| {
            lines.measure(cells);
            Ok(())
        },
        true,
    )?;
    if lines.rows() == 0 && !empty {
        return Ok(false);
    }
    match lines.streams() {
        Some(shown) => {
            lines.begin(out, &shown)?;
            each(&mut |cells| lines.row(out, &shown, cells), false)?;
            lines.end(out, &shown)?;
        }
        None => {
            let mut t = table(head).expendable(expendable);
            each(
                &mut |cells| {
                    t.add_row(cells.iter().zip(right).map(|(c, &r)| if r { num_cell(c) } else { Cell::new(c) }));
                    Ok(())
                },
                false,
            )?;
            writeln!(out, "{t}")?;
        }
    }
    Ok(true)
}

/// Hands a table's rows, as cells, to a function; told whether they are only measured.
type Each<'a> = dyn Fn(&mut dyn FnMut(&[String]) -> io::Result<()>, bool) -> io::Result<()> + 'a;

/// Hands some rows of a table (those of the range), as cells, to a function; told whether they
/// are only measured. Parts of the table can so be made on several threads at once.
type EachIn<'a> = dyn Fn(Range<usize>, &mut dyn FnMut(&[String]) -> io::Result<()>, bool) -> io::Result<()> + Sync + 'a;

/// Rows from which a table is made on several threads: a smaller one is made on one.
const PARALLEL_ROWS: usize = 16_384;
/// Rows a thread makes into one buffer, which the writing thread writes whole.
const BLOCK_ROWS: usize = 4096;

/// [`draw`] for a table of `n` rows, made on `threads` threads when it is long (a conversation
/// table may have millions of rows, each needing numbers and times written): each measures a
/// part, the widths are merged, then each draws blocks of rows that are written in order.
fn draw_rows(out: &mut dyn Write, head: &[&str], right: &[bool], expendable: &[usize], n: usize, threads: usize, each: &EachIn<'_>) -> io::Result<bool> {
    if threads < 2 || n < PARALLEL_ROWS {
        return draw(out, head, right, expendable, false, &|f, measuring| each(0..n, f, measuring));
    }
    let per = n.div_ceil(threads);
    let parts = std::thread::scope(|s| {
        let measuring: Vec<_> = (0..threads)
            .map(|k| {
                std::thread::Builder::new().name(format!("measure-{k}")).spawn_scoped(s, move || {
                    let mut part = Lines::new(head, right);
                    let rows = (k * per).min(n)..((k + 1) * per).min(n);
                    each(rows, &mut |cells| {
                        part.measure(cells);
                        Ok(())
                    }, true)
                    .map(|()| part)
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        // A panic while measuring is a bug, as it is on one thread: let it out.
        measuring.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect::<io::Result<Vec<Lines>>>()
    })?;
    let mut lines = Lines::new(head, right).expendable(expendable);
    for p in &parts {
        lines.absorb(p);
    }
    let Some(shown) = lines.streams() else {
        // Left to comfy-table, which holds every row anyway.
        return draw(out, head, right, expendable, false, &|f, measuring| each(0..n, f, measuring));
    };
    lines.begin(out, &shown)?;
    in_blocks(out, n, threads, &|rows, buf| {
        let mut l = lines.clone();
        each(rows, &mut |cells| l.row(buf, &shown, cells), false)
    })?;
    lines.end(out, &shown)?;
    Ok(true)
}

/// Makes the rows of a range into a buffer, as text.
type Fill<'a> = dyn Fn(Range<usize>, &mut Vec<u8>) -> io::Result<()> + Sync + 'a;

/// Writes `n` rows that `fill` makes a block at a time, on `threads` threads (block `b` on
/// thread `b % threads`), in order. At most two blocks wait per thread: memory stays flat
/// however long the table.
fn in_blocks(out: &mut dyn Write, n: usize, threads: usize, fill: &Fill<'_>) -> io::Result<()> {
    let blocks = n.div_ceil(BLOCK_ROWS);
    std::thread::scope(|s| {
        let mut made = Vec::new();
        for k in 0..threads {
            let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(2);
            made.push(rx);
            std::thread::Builder::new().name(format!("draw-{k}")).spawn_scoped(s, move || {
                for b in (k..blocks).step_by(threads) {
                    let mut buf = Vec::with_capacity(BLOCK_ROWS * 160);
                    let block = fill(b * BLOCK_ROWS..((b + 1) * BLOCK_ROWS).min(n), &mut buf).map(|()| buf);
                    let failed = block.is_err();
                    // Sending fails once the writer has stopped (its output failed).
                    if tx.send(block).is_err() || failed {
                        return;
                    }
                }
            })?;
        }
        for b in 0..blocks {
            // A thread gone before its blocks were sent panicked; the scope lets its panic out.
            let block = made.get(b % threads).and_then(|rx| rx.recv().ok()).ok_or_else(|| io::Error::other("a drawing thread stopped"))?;
            out.write_all(&block?)?;
        }
        Ok(())
    })
}

/// The width of `v` written with `places` decimals (Rust's exact rounding), where it is plain
/// without writing it: None near a carry into the whole part, which only writing settles.
fn fixed_width(v: f64, places: usize) -> Option<usize> {
    if !v.is_finite() || !(0.0..1e15).contains(&v) {
        return None;
    }
    let whole = v.trunc();
    let frac = v - whole;
    let digits = |w: f64| itoa::Buffer::new().format(w as u64).len();
    if places == 0 {
        return match frac {
            f if f < 0.49 => Some(digits(whole)),
            f if f > 0.51 => Some(digits(whole + 1.0)),
            _ => None,
        };
    }
    (frac < 1.0 - 10f64.powi(-(places as i32))).then(|| digits(whole) + 1 + places)
}

/// Cells reused from row to row, so drawing a table allocates nothing per row.
struct Cells(Vec<String>);

impl Cells {
    fn new(n: usize) -> Cells {
        Cells(vec![String::new(); n])
    }

    /// Sets cell `i` to `v` with `places` decimals; when `measuring`, to as many characters.
    fn fixed(&mut self, i: usize, v: f64, places: usize, measuring: bool) {
        let Some(c) = self.0.get_mut(i) else { return };
        c.clear();
        match fixed_width(v, places).filter(|_| measuring) {
            Some(w) => c.extend(std::iter::repeat_n('0', w)),
            None => {
                let _ = write!(c, "{v:.places$}");
            }
        }
    }

    /// Sets cell `i` to a count (without the formatting machinery: tables have millions).
    fn num(&mut self, i: usize, v: u64) {
        if let Some(c) = self.0.get_mut(i) {
            c.clear();
            c.push_str(itoa::Buffer::new().format(v));
        }
    }

    /// Sets cell `i` to `v`.
    fn text(&mut self, i: usize, v: &str) {
        if let Some(c) = self.0.get_mut(i) {
            c.clear();
            c.push_str(v);
        }
    }

    /// Sets cell `i` to a port, or nothing.
    fn port(&mut self, i: usize, v: Option<u16>) {
        if let Some(c) = self.0.get_mut(i) {
            c.clear();
            if let Some(p) = v {
                c.push_str(itoa::Buffer::new().format(p));
            }
        }
    }

    /// Sets cell `i` to `v`'s text.
    fn set(&mut self, i: usize, v: impl std::fmt::Display) {
        if let Some(c) = self.0.get_mut(i) {
            c.clear();
            let _ = write!(c, "{v}");
        }
    }
}

fn conv_head(kind: &str) -> Vec<&'static str> {
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
    head
}

/// Draws conversation table `i`; false when it has no rows.
fn conv_table(out: &mut dyn Write, kind: &str, tables: &(dyn Tables + Sync), i: usize, threads: usize) -> io::Result<bool> {
    let ports = matches!(kind, "tcp" | "udp");
    let head = conv_head(kind);
    let n = head.len();
    let right: Vec<bool> = head.iter().map(|h| !h.starts_with("address")).collect();
    let each = |rows: Range<usize>, f: &mut dyn FnMut(&[String]) -> io::Result<()>, measuring: bool| {
        let mut cells = Cells::new(n);
        tables.each_conv_in(i, rows, &mut |r| {
            let mut k = 0;
            for (addr, port) in [(&r.addr_a, r.port_a), (&r.addr_b, r.port_b)] {
                cells.text(k, addr);
                k += 1;
                if ports {
                    cells.port(k, port);
                    k += 1;
                }
            }
            for v in [r.frames_ab, r.bytes_ab, r.frames_ba, r.bytes_ba, r.frames(), r.bytes()] {
                cells.num(k, v);
                k += 1;
            }
            cells.fixed(k, r.rel_start, 6, measuring);
            cells.fixed(k + 1, r.duration, 4, measuring);
            // Bits per second ("-" without a duration).
            for (j, bytes) in [(k + 2, r.bytes_ab), (k + 3, r.bytes_ba)] {
                if r.duration > 0.0 {
                    cells.fixed(j, bytes as f64 * 8.0 / r.duration, 0, measuring);
                } else {
                    cells.set(j, "-");
                }
            }
            f(&cells.0)
        })
    };
    draw_rows(out, &head, &right, &[n - 1, n - 2, n - 3, n - 4], tables.conv_rows(i), threads, &each)
}

/// Hands some endpoint rows (those of the range) to a function.
type Visit<'a> = dyn Fn(Range<usize>, &mut dyn FnMut(&EndpointRow) -> io::Result<()>) -> io::Result<()> + Sync + 'a;

/// Draws `n` endpoint rows (`visit` hands them over); false when there are none.
fn end_table(out: &mut dyn Write, kind: &str, n_rows: usize, threads: usize, visit: &Visit<'_>) -> io::Result<bool> {
    let ports = matches!(kind, "tcp" | "udp");
    let mut head = vec!["address"];
    if ports {
        head.push("port");
    }
    head.extend(["frames", "bytes", "tx frames", "tx bytes", "rx frames", "rx bytes"]);
    let n = head.len();
    let right: Vec<bool> = head.iter().map(|h| *h != "address").collect();
    let each = |rows: Range<usize>, f: &mut dyn FnMut(&[String]) -> io::Result<()>, _: bool| {
        let mut cells = Cells::new(n);
        visit(rows, &mut |r| {
            let mut k = 0;
            cells.text(k, &r.addr);
            k += 1;
            if ports {
                cells.port(k, r.port);
                k += 1;
            }
            for v in [r.frames(), r.bytes(), r.tx_frames, r.tx_bytes, r.rx_frames, r.rx_bytes] {
                cells.num(k, v);
                k += 1;
            }
            f(&cells.0)
        })
    };
    draw_rows(out, &head, &right, &[], n_rows, threads, &each)
}

fn io_table(out: &mut dyn Write, io: &IoTable, duration: f64) -> io::Result<bool> {
    let mut head = vec!["interval".to_string()];
    for f in &io.filters {
        let name = if f.is_empty() { "all" } else { f.as_str() };
        head.push(format!("{name} frames"));
        head.push(format!("{name} bytes"));
    }
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let right: Vec<bool> = (0..head.len()).map(|i| i > 0).collect();
    let n = io.columns.iter().map(Vec::len).max().unwrap_or(0);
    let each = |f: &mut dyn FnMut(&[String]) -> io::Result<()>, _: bool| {
        let mut cells = Cells::new(head.len());
        for i in 0..n {
            let start = i as f64 * io.interval;
            // The last interval ends with the capture, as tshark writes it.
            let end = if i + 1 == n { duration.min(start + io.interval) } else { start + io.interval };
            cells.set(0, format_args!("{} <> {}", trim(start), trim(end)));
            for (k, col) in io.columns.iter().enumerate() {
                let (fr, b) = col.get(i).copied().unwrap_or((0, 0));
                cells.set(1 + 2 * k, fr);
                cells.set(2 + 2 * k, b);
            }
            f(&cells.0)?;
        }
        Ok(())
    };
    // An I/O table without intervals (a capture of one frame) is its header, as comfy-table
    // drew it.
    draw(out, &head, &right, &[], true, &each)
}

/// A number of seconds without trailing zeros (`1`, `0.5`).
fn trim(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Writes the report in `format`.
pub fn render(out: &mut dyn Write, r: &TrafficReport, format: Format) -> io::Result<()> {
    render_tables(out, r, r, format, 1)
}

/// Writes the report in `format`, its conversation and endpoint tables from `tables` (which
/// makes their rows one at a time, however many there are), long ones on `threads` threads.
pub fn render_tables(out: &mut dyn Write, r: &TrafficReport, tables: &(dyn Tables + Sync), format: Format, threads: usize) -> io::Result<()> {
    if format == Format::Json {
        return json(out, r, tables, threads);
    }
    let tsv = format == Format::Tsv;
    if !r.after_read {
        writeln!(out, "{}, {}, {:.3} s", count(r.frames, "frame", "frames"), count(r.bytes, "byte", "bytes"), r.duration)?;
    }
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
        end_table(out, "ip", r.talkers.len(), 1, &|rows, f| r.talkers.get(rows).unwrap_or(&[]).iter().try_for_each(&mut *f))?;
    }
    if !r.ports.is_empty() {
        writeln!(out, "\nTop ports (the lower port of each packet, by frames)")?;
        let mut t = table(&["transport", "port", "frames", "bytes"]);
        for p in &r.ports {
            t.add_row(vec![Cell::new(p.transport), num_cell(p.port), num_cell(p.frames), num_cell(p.bytes)]);
        }
        writeln!(out, "{t}")?;
    }
    for (i, kind) in tables.conv_kinds().into_iter().enumerate() {
        writeln!(out, "\n{} conversations", title(kind))?;
        if !conv_table(out, kind, tables, i, threads)? {
            writeln!(out, "none")?;
        }
    }
    for (i, kind) in tables.endpoint_kinds().into_iter().enumerate() {
        if r.overview {
            // The overview shows the IP endpoints as its talkers.
            continue;
        }
        writeln!(out, "\n{} endpoints", title(kind))?;
        if !end_table(out, kind, tables.endpoint_rows(i), threads, &|rows, f| tables.each_endpoint_in(i, rows, f))? {
            writeln!(out, "none")?;
        }
    }
    if let Some(io) = &r.io {
        if !r.overview {
            writeln!(out, "\nI/O statistics (interval {} s)", trim(io.interval))?;
            io_table(out, io, r.duration)?;
        }
    }
    Ok(())
}

/// Writes the connections per application service (`read -z service`).
pub fn render_services(out: &mut dyn Write, rows: &[ServiceRow], format: Format) -> io::Result<()> {
    if format == Format::Json {
        return rows.iter().try_for_each(|r| json_line(out, r));
    }
    writeln!(out, "\nConnections per service")?;
    let each = |f: &mut dyn FnMut(&[String]) -> io::Result<()>, _: bool| {
        let mut cells = Cells::new(4);
        for r in rows {
            cells.set(0, r.service);
            cells.set(1, r.conns);
            cells.set(2, r.packets);
            cells.set(3, r.bytes);
            f(&cells.0)?;
        }
        Ok(())
    };
    if !draw(out, &["service", "connections", "packets", "bytes"], &[false, true, true, true], &[], false, &each)? {
        writeln!(out, "none")?;
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

fn json(out: &mut dyn Write, r: &TrafficReport, tables: &(dyn Tables + Sync), threads: usize) -> io::Result<()> {
    for row in &r.phs {
        json_line(out, row)?;
    }
    // Each row made whole in one buffer, then written at once.
    let mut buf = Vec::with_capacity(512);
    let mut buffered = |out: &mut dyn Write, row: &dyn JsonRow| {
        buf.clear();
        row.write(&mut buf)?;
        buf.push(b'\n');
        out.write_all(&buf)
    };
    // Long tables are made a block of rows at a time on several threads.
    let parallel = |n: usize| threads > 1 && n >= PARALLEL_ROWS;
    let line_into = |buf: &mut Vec<u8>, row: &dyn JsonRow| {
        row.write(buf)?;
        buf.push(b'\n');
        Ok(())
    };
    for i in 0..tables.conv_kinds().len() {
        match tables.conv_rows(i) {
            n if parallel(n) => in_blocks(out, n, threads, &|rows, buf| tables.each_conv_in(i, rows, &mut |row| line_into(buf, row)))?,
            _ => tables.each_conv(i, &mut |row| buffered(out, row))?,
        }
    }
    for i in 0..tables.endpoint_kinds().len() {
        match tables.endpoint_rows(i) {
            n if parallel(n) => in_blocks(out, n, threads, &|rows, buf| tables.each_endpoint_in(i, rows, &mut |row| line_into(buf, row)))?,
            _ => tables.each_endpoint(i, &mut |row| buffered(out, row))?,
        }
    }
    let mut line = |v: &dyn JsonRow| json_line(out, v);
    if let Some(io) = &r.io {
        for row in io.rows() {
            line(&row)?;
        }
    }
    for row in &r.ports {
        line(row)?;
    }
    if r.after_read {
        // `read` wrote its own summary.
        return Ok(());
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

fn json_line(out: &mut dyn Write, v: &dyn JsonRow) -> io::Result<()> {
    v.write(out)?;
    out.write_all(b"\n")
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
    fn a_fixed_width_is_the_written_width() {
        for places in [0, 4, 6] {
            for v in [0.0, 0.4, 0.5, 0.51, 9.49, 9.5, 9.99995, 9.9999996, 99.99999, 123456.789, 1e14 + 0.3, 7.0 / 3.0, 2.0 / 3.0] {
                let written = format!("{v:.places$}").len();
                assert!(fixed_width(v, places).is_none_or(|w| w == written), "{v} .{places}");
            }
        }
        assert_eq!(fixed_width(1.5, 6), Some(8));
    }

    #[test]
    fn a_sparkline_scales_to_its_largest_value() {
        assert_eq!(sparkline(&[0, 1, 7, 14], 10), "▁▂▅█");
        assert_eq!(sparkline(&[0, 0], 10), "▁▁");
        // Wider than the width: each character the largest of its run.
        assert_eq!(sparkline(&[1, 8, 0, 0, 8, 1], 3), "█▁█");
    }
}
