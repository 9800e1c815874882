//! `inspect stats`: tshark's `-z` statistics (protocol hierarchy, conversations, endpoints,
//! frames per interval) and the busiest talkers and ports, over one or more capture files read
//! as one.

use std::fmt::Write as _;
use std::io::Write;
use std::net::IpAddr;
use std::ops::ControlFlow;

use crate::analyze::traffic::{Conv, Count, End, IoStat, Sock, TableKind, Traffic, Wanted};
use crate::decode::decode;
use crate::error::RunError;
use crate::filter::DisplayFilter;
use crate::output::Format;
use crate::report::traffic::{ConvRow, EndpointRow, IoTable, PhsRow, PortRow, Tables, TrafficReport};
use crate::source::file::FileSource;
use crate::source::Ts;

/// What `stats` was asked.
#[derive(Debug)]
pub struct StatsConfig {
    /// The capture files, read one after the other as one capture.
    pub files: Vec<String>,
    /// The tables to count.
    pub wanted: Wanted,
    /// Rows kept of each conversation and endpoint table, and of talkers and ports.
    pub top: Option<usize>,
    /// Text, TSV or JSON Lines.
    pub format: Format,
    /// At most this many frames.
    pub limit: u64,
    /// Threads: beside the reading one, those counting the conversation tables and then
    /// drawing the tables' rows.
    pub threads: usize,
    /// `-z service`: the connections per application service, counted by the connection
    /// tracker, which then runs beside the counters.
    pub services: bool,
    /// Pictures (`--plot`): the pipeline's analyzers then run beside the counters.
    pub plot: Option<crate::output::plot::PlotOptions>,
    /// The sandbox entered once the files are open.
    pub sandbox: crate::cli::SandboxArgs,
}

/// One `-z` argument, as tshark takes it.
#[derive(Debug)]
pub enum Z {
    /// `io,phs`.
    Phs,
    /// `conv,TYPE[,FILTER]`.
    Conv(TableKind, Option<DisplayFilter>),
    /// `endpoints,TYPE[,FILTER]`.
    Endpoints(TableKind, Option<DisplayFilter>),
    /// `io,stat,INTERVAL[,FILTER...]`.
    IoStat(u64, Vec<Option<DisplayFilter>>),
    /// `service`: connections, packets and bytes per application service, as the connection
    /// tracker counts them (`stats` then runs the analyzers beside the counters).
    Service,
}

fn filter(text: &str) -> Result<Option<DisplayFilter>, RunError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let f = DisplayFilter::new(text).map_err(|e| RunError::Usage(format!("-z: {e}")))?;
    if f.needs().any() {
        return Err(RunError::Usage(format!("-z: filter '{text}' reads the connection tracker's or flood detector's fields, which stats does not run")));
    }
    Ok(Some(f))
}

/// Parses one `-z` argument.
pub fn parse_z(s: &str) -> Result<Z, RunError> {
    let bad = |why: &str| RunError::Usage(format!("-z {s}: {why}"));
    let kind = |k: &str| {
        TableKind::parse(k).ok_or_else(|| bad(&format!("unknown table type '{k}' (eth, ip, ipv6, tcp or udp)")))
    };
    let mut parts = s.splitn(3, ',');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("service"), None, None) => Ok(Z::Service),
        (Some("io"), Some("phs"), None) => Ok(Z::Phs),
        (Some("io"), Some("phs"), Some(_)) => Err(bad("io,phs takes no filter here")),
        (Some("conv"), Some(k), f) => Ok(Z::Conv(kind(k)?, filter(f.unwrap_or(""))?)),
        (Some("endpoints"), Some(k), f) => Ok(Z::Endpoints(kind(k)?, filter(f.unwrap_or(""))?)),
        (Some("io"), Some("stat"), Some(rest)) => {
            let mut cols = rest.split(',');
            let interval = cols.next().unwrap_or("");
            let secs: f64 = interval.parse().map_err(|_| bad(&format!("'{interval}' is not an interval in seconds")))?;
            if !(0.000_001..=1e9).contains(&secs) {
                return Err(bad(&format!("'{interval}' is not an interval in seconds (0.000001 or more)")));
            }
            let mut filters = cols.map(|c| filter(c.trim_matches('"'))).collect::<Result<Vec<_>, _>>()?;
            if filters.is_empty() {
                filters.push(None);
            }
            Ok(Z::IoStat((secs * 1e9).round() as u64, filters))
        }
        _ => Err(bad("expected io,phs, conv,TYPE, endpoints,TYPE, io,stat,INTERVAL[,FILTER...] or service")),
    }
}

/// The tables to count: those asked for with -z, or without any, the overview (hierarchy, IP
/// endpoints as talkers, ports, frames per second). Conversations are left to -z: a scan or a
/// flood makes a conversation of nearly every packet, and the overview must stay quick.
pub fn wanted(z: Vec<Z>) -> Wanted {
    let mut w = Wanted::default();
    if z.is_empty() {
        w.overview = true;
        w.phs = true;
        w.endpoints = vec![(TableKind::Ip, None)];
        w.ports = true;
        w.io = Some(IoStat::new(1_000_000_000, vec![None]));
        return w;
    }
    for z in z {
        match z {
            Z::Phs => w.phs = true,
            Z::Conv(k, f) => w.conv.push((k, f)),
            Z::Endpoints(k, f) => w.endpoints.push((k, f)),
            Z::IoStat(ns, f) => w.io = Some(IoStat::new(ns, f)),
            // Counted by the connection tracker, not by these counters.
            Z::Service => {}
        }
    }
    w
}

/// Reads every file into the counters; an unreadable file stops the run after what was read.
pub fn count(c: &mut StatsConfig) -> (Traffic, Option<RunError>) {
    count_with(c, None)
}

/// The analyzers `read` runs (connections, SYN floods) on one thread, beside the counters, in
/// the same pass over the frames: for the series of pictures and sparklines.
pub type Beside = crate::pipeline::session::Session<std::io::Sink>;

/// A [`Beside`] keeping the series, with the analyzers' settings of `cfg`.
pub fn beside(cfg: &crate::pipeline::AnalysisConfig) -> Beside {
    beside_keeping(cfg, true)
}

/// A [`Beside`] with the analyzers' settings of `cfg`, keeping the series when `series`
/// (pictures draw them; the per-service counts need none).
fn beside_keeping(cfg: &crate::pipeline::AnalysisConfig, series: bool) -> Beside {
    let mut stages = crate::pipeline::Stages::new(cfg, 1);
    if series {
        stages.keep_series();
    }
    let view = crate::output::ViewOptions { quiet: true, defrag: cfg.defrag, ..crate::output::ViewOptions::default() };
    crate::pipeline::session::Session::new(std::io::sink(), view, stages)
}

/// [`count`], each frame going to `beside` as well.
pub fn count_with(c: &mut StatsConfig, beside: Option<&mut Beside>) -> (Traffic, Option<RunError>) {
    let mut t = Traffic::new(std::mem::take(&mut c.wanted));
    if let Err(e) = t.spread(c.threads.saturating_sub(1)) {
        return (t, Some(RunError::Input(format!("cannot start the counting threads: {e}"))));
    }
    let failed = read_into(c, &mut t, beside);
    t.finish();
    (t, failed)
}

/// Reads every file into `t` (and `beside`); the error of an unreadable one.
fn read_into(c: &StatsConfig, t: &mut Traffic, mut beside: Option<&mut Beside>) -> Option<RunError> {
    let mut left = c.limit;
    for file in &c.files {
        if left == 0 {
            break;
        }
        let mut source = match FileSource::open(file) {
            Ok(s) => s,
            Err(e) => return Some(RunError::Input(e.to_string())),
        };
        let read = source.for_each(|frame| {
            let p = decode(&frame);
            t.packet(&p);
            if let Some(b) = beside.as_deref_mut() {
                // Its printer writes nowhere: nothing to fail.
                let _ = b.frame(&frame);
            }
            left -= 1;
            if left == 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        if let Err(e) = read {
            return Some(RunError::Input(e.to_string()));
        }
    }
    None
}

/// Writes an Ethernet address as tshark does.
fn mac(out: &mut String, m: [u8; 6]) {
    for (i, b) in m.iter().enumerate() {
        let sep = if i == 0 { "" } else { ":" };
        let _ = write!(out, "{sep}{b:02x}");
    }
}

/// Writes an address into `out` and gives its port, for the rows of each kind of table.
trait Show: Copy {
    fn show(self, out: &mut String) -> Option<u16>;
}

impl Show for [u8; 6] {
    fn show(self, out: &mut String) -> Option<u16> {
        mac(out, self);
        None
    }
}

impl Show for IpAddr {
    fn show(self, out: &mut String) -> Option<u16> {
        match self {
            // Dotted quads without the formatting machinery: tables have millions.
            IpAddr::V4(a) => {
                for (i, b) in a.octets().into_iter().enumerate() {
                    if i > 0 {
                        out.push('.');
                    }
                    out.push_str(itoa::Buffer::new().format(b));
                }
            }
            IpAddr::V6(a) => {
                let _ = write!(out, "{a}");
            }
        }
        None
    }
}

impl Show for Sock {
    fn show(self, out: &mut String) -> Option<u16> {
        self.0.show(out);
        Some(self.1)
    }
}

/// The places of the rows shown, in tshark's order: most frames first (`key`), ties in the
/// order first seen; the first `top` of those `keep` lets through.
fn order<T>(list: &[T], top: Option<usize>, keep: impl Fn(&T) -> bool, key: impl Fn(&T) -> u64) -> Vec<u32> {
    // The key beside the place: sorting then reads no row, and the place breaks ties.
    let mut kept: Vec<(std::cmp::Reverse<u64>, u32)> =
        list.iter().enumerate().filter(|(_, x)| keep(x)).map(|(i, x)| (std::cmp::Reverse(key(x)), i as u32)).collect();
    kept.sort_unstable();
    kept.truncate(top.unwrap_or(usize::MAX));
    kept.into_iter().map(|(_, i)| i).collect()
}

fn conv_frames<K>(c: &Conv<K>) -> u64 {
    c.ab.frames + c.ba.frames
}

fn end_frames<K>(e: &End<K>) -> u64 {
    e.tx.frames + e.rx.frames
}

fn end_bytes<K>(e: &End<K>) -> u64 {
    e.tx.bytes + e.rx.bytes
}

/// The conversation and endpoint tables of what was counted, each row made when it is
/// written: only the order of the rows is held (four bytes a row).
pub struct Streamed<'a> {
    t: &'a Traffic,
    t0: Ts,
    conv: Vec<(TableKind, Vec<u32>)>,
    ends: Vec<(TableKind, Vec<u32>)>,
}

impl<'a> Streamed<'a> {
    /// The tables asked for, the first `top` rows of each (all without it).
    pub fn new(t: &'a Traffic, top: Option<usize>) -> Streamed<'a> {
        let v4 = |a: &IpAddr| a.is_ipv4();
        let v6 = |a: &IpAddr| a.is_ipv6();
        let conv = t
            .wanted
            .conv
            .iter()
            .map(|(k, _)| {
                let rows = match k {
                    TableKind::Eth => order(&t.conv_eth.list, top, |_| true, conv_frames),
                    TableKind::Ip => order(&t.conv_ip.list, top, |c| v4(&c.a), conv_frames),
                    TableKind::Ipv6 => order(&t.conv_ip.list, top, |c| v6(&c.a), conv_frames),
                    TableKind::Tcp => order(&t.conv_tcp.list, top, |_| true, conv_frames),
                    TableKind::Udp => order(&t.conv_udp.list, top, |_| true, conv_frames),
                };
                (*k, rows)
            })
            .collect();
        let ends = t
            .wanted
            .endpoints
            .iter()
            .map(|(k, _)| {
                let rows = match k {
                    TableKind::Eth => order(&t.end_eth.list, top, |_| true, end_frames),
                    TableKind::Ip => order(&t.end_ip.list, top, |e| v4(&e.key), end_frames),
                    TableKind::Ipv6 => order(&t.end_ip.list, top, |e| v6(&e.key), end_frames),
                    TableKind::Tcp => order(&t.end_tcp.list, top, |_| true, end_frames),
                    TableKind::Udp => order(&t.end_udp.list, top, |_| true, end_frames),
                };
                (*k, rows)
            })
            .collect();
        Streamed { t, t0: t.first.unwrap_or_default(), conv, ends }
    }

    fn convs<K: Show>(&self, kind: TableKind, list: &[Conv<K>], rows: &[u32], f: &mut dyn FnMut(&ConvRow) -> std::io::Result<()>) -> std::io::Result<()> {
        let mut row = ConvRow {
            event_type: "conv",
            kind: kind.name(),
            addr_a: String::new(),
            port_a: None,
            addr_b: String::new(),
            port_b: None,
            frames_ab: 0,
            bytes_ab: 0,
            frames_ba: 0,
            bytes_ba: 0,
            rel_start: 0.0,
            duration: 0.0,
        };
        for c in rows.iter().filter_map(|&i| list.get(i as usize)) {
            row.addr_a.clear();
            row.addr_b.clear();
            row.port_a = c.a.show(&mut row.addr_a);
            row.port_b = c.b.show(&mut row.addr_b);
            (row.frames_ab, row.bytes_ab) = (c.ab.frames, c.ab.bytes);
            (row.frames_ba, row.bytes_ba) = (c.ba.frames, c.ba.bytes);
            row.rel_start = c.first.secs_since(self.t0).max(0.0);
            row.duration = c.last.secs_since(c.first).max(0.0);
            f(&row)?;
        }
        Ok(())
    }
}

/// Hands the endpoints at `rows` of `list` to `f` as rows.
fn ends<K: Show>(kind: TableKind, list: &[End<K>], rows: &[u32], f: &mut dyn FnMut(&EndpointRow) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut row = EndpointRow { event_type: "endpoint", kind: kind.name(), addr: String::new(), port: None, tx_frames: 0, tx_bytes: 0, rx_frames: 0, rx_bytes: 0 };
    for e in rows.iter().filter_map(|&i| list.get(i as usize)) {
        row.addr.clear();
        row.port = e.key.show(&mut row.addr);
        (row.tx_frames, row.tx_bytes) = (e.tx.frames, e.tx.bytes);
        (row.rx_frames, row.rx_bytes) = (e.rx.frames, e.rx.bytes);
        f(&row)?;
    }
    Ok(())
}

impl Tables for Streamed<'_> {
    fn conv_kinds(&self) -> Vec<&'static str> {
        self.conv.iter().map(|(k, _)| k.name()).collect()
    }

    fn conv_rows(&self, table: usize) -> usize {
        self.conv.get(table).map_or(0, |(_, rows)| rows.len())
    }

    fn each_conv_in(&self, table: usize, rows: std::ops::Range<usize>, f: &mut dyn FnMut(&ConvRow) -> std::io::Result<()>) -> std::io::Result<()> {
        let Some((k, rows)) = self.conv.get(table).and_then(|(k, all)| Some((k, all.get(rows)?))) else { return Ok(()) };
        let t = self.t;
        match k {
            TableKind::Eth => self.convs(*k, &t.conv_eth.list, rows, f),
            TableKind::Ip | TableKind::Ipv6 => self.convs(*k, &t.conv_ip.list, rows, f),
            TableKind::Tcp => self.convs(*k, &t.conv_tcp.list, rows, f),
            TableKind::Udp => self.convs(*k, &t.conv_udp.list, rows, f),
        }
    }

    fn endpoint_kinds(&self) -> Vec<&'static str> {
        self.ends.iter().map(|(k, _)| k.name()).collect()
    }

    fn endpoint_rows(&self, table: usize) -> usize {
        self.ends.get(table).map_or(0, |(_, rows)| rows.len())
    }

    fn each_endpoint_in(&self, table: usize, rows: std::ops::Range<usize>, f: &mut dyn FnMut(&EndpointRow) -> std::io::Result<()>) -> std::io::Result<()> {
        let Some((k, rows)) = self.ends.get(table).and_then(|(k, all)| Some((k, all.get(rows)?))) else { return Ok(()) };
        let t = self.t;
        match k {
            TableKind::Eth => ends(*k, &t.end_eth.list, rows, f),
            TableKind::Ip | TableKind::Ipv6 => ends(*k, &t.end_ip.list, rows, f),
            TableKind::Tcp => ends(*k, &t.end_tcp.list, rows, f),
            TableKind::Udp => ends(*k, &t.end_udp.list, rows, f),
        }
    }
}

/// The report of what was counted, every row of its tables made.
pub fn report(t: &Traffic, top: Option<usize>) -> TrafficReport {
    let mut r = head(t, top);
    let tables = Streamed::new(t, top);
    for (i, kind) in tables.conv_kinds().into_iter().enumerate() {
        let mut rows = Vec::new();
        let _ = tables.each_conv(i, &mut |row| {
            rows.push(row.clone());
            Ok(())
        });
        r.conv.push((kind, rows));
    }
    for (i, kind) in tables.endpoint_kinds().into_iter().enumerate() {
        let mut rows = Vec::new();
        let _ = tables.each_endpoint(i, &mut |row| {
            rows.push(row.clone());
            Ok(())
        });
        r.endpoints.push((kind, rows));
    }
    r
}

/// The report of what was counted but the rows of its conversation and endpoint tables, which
/// [`Streamed`] makes as they are written.
pub fn head(t: &Traffic, top: Option<usize>) -> TrafficReport {
    let mut r = TrafficReport {
        frames: t.frames,
        bytes: t.bytes,
        duration: match (t.first, t.last) {
            (Some(a), Some(b)) => b.secs_since(a).max(0.0),
            _ => 0.0,
        },
        start: t.first.map(Ts::as_secs_f64),
        overview: t.wanted.overview,
        ..TrafficReport::default()
    };
    if t.wanted.phs {
        r.phs = t
            .phs
            .rows()
            .into_iter()
            .map(|(p, frames, bytes)| PhsRow {
                event_type: "phs",
                path: p.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(":"),
                frames,
                bytes,
            })
            .collect();
    }
    if t.wanted.endpoints.iter().any(|(k, _)| *k == TableKind::Ip) {
        let rows = order(&t.end_ip.list, Some(top.unwrap_or(10)), |e| e.key.is_ipv4(), end_bytes);
        let _ = ends(TableKind::Ip, &t.end_ip.list, &rows, &mut |row| {
            r.talkers.push(row.clone());
            Ok(())
        });
    }
    r.io = io_table(t);
    if t.wanted.ports {
        let mut ports: Vec<PortRow> = Vec::new();
        for (transport, table) in [("tcp", &t.tcp_ports), ("udp", &t.udp_ports)] {
            for (port, c) in table.iter().enumerate().filter(|(_, c)| c.frames > 0) {
                let Count { frames, bytes } = *c;
                ports.push(PortRow { event_type: "port", transport, port: port as u16, frames, bytes });
            }
        }
        ports.sort_by_key(|p| std::cmp::Reverse(p.frames));
        ports.truncate(top.unwrap_or(10));
        r.ports = ports;
    }
    r
}

/// The `-z io,stat` table of what was counted, when it was asked for.
pub fn io_table(t: &Traffic) -> Option<IoTable> {
    let io = t.wanted.io.as_ref()?;
    // As tshark: the intervals cover the capture's duration, from its first frame to its
    // last, so a frame right on the last interval's end (the last of a capture whose
    // duration is a whole number of intervals, or the one frame of a capture without
    // duration) falls outside them.
    let span = match (t.first, t.last) {
        (Some(a), Some(b)) => u64::try_from(b.as_nanos() - a.as_nanos()).unwrap_or(0),
        _ => 0,
    };
    let n = usize::try_from(span.div_ceil(io.interval_ns)).unwrap_or(usize::MAX);
    Some(IoTable {
        interval: io.interval_ns as f64 / 1e9,
        filters: io.filters.iter().map(|f| f.as_ref().map(|f| f.text().to_string()).unwrap_or_default()).collect(),
        columns: io
            .columns
            .iter()
            .map(|c| {
                let mut col: Vec<(u64, u64)> = c.iter().take(n).map(|x| (x.frames, x.bytes)).collect();
                col.resize(n.min(50_000_000), (0, 0));
                col
            })
            .collect(),
    })
}

/// The analyzers' default settings, as `read` runs them without options.
pub fn default_analysis() -> crate::pipeline::AnalysisConfig {
    use crate::cli::defaults;
    let view = crate::output::ViewOptions { quiet: true, ..crate::output::ViewOptions::default() };
    let mut a = crate::config::analysis(&defaults(), &defaults(), &defaults(), &view, 1);
    a.conn.max_rows = 0;
    a
}

/// What the pictures are drawn from: the counters' I/O table when there is one (its interval
/// and filters), else the frames per second the statistics kept; the analyzers' series and
/// connection states.
pub fn plot_data(r: &TrafficReport, analyzed: &crate::report::Report) -> crate::output::plot::PlotData {
    use crate::output::plot::{IoSeries, PlotData};
    let series = analyzed.series.clone().unwrap_or_default();
    let (first, last) = (analyzed.stats.first, analyzed.stats.last);
    let io = match (&r.io, first) {
        (Some(io), Some(f)) => io
            .filters
            .iter()
            .zip(&io.columns)
            .map(|(label, col)| IoSeries {
                label: label.clone(),
                start: f.as_secs_f64(),
                step: io.interval,
                frames: col.iter().map(|c| c.0).collect(),
                bytes: col.iter().map(|c| c.1).collect(),
            })
            .collect(),
        _ => match (&series.packets, &series.bytes) {
            (Some(p), Some(b)) => vec![IoSeries::of_timelines(p, b)],
            _ => Vec::new(),
        },
    };
    let states = analyzed.conns.as_ref().map(|c| c.by_state.iter().filter(|(_, n)| *n > 0).map(|(s, n)| (s.to_string(), *n)).collect()).unwrap_or_default();
    PlotData { first, last, io, series, states }
}

/// Writes the tables `read -z` asked for after its report: those of `t` and the per-service
/// counts, all rows of each.
pub fn write_after_read(out: &mut dyn Write, t: Option<&Traffic>, services: Option<&crate::report::traffic::Services>, format: Format) -> std::io::Result<()> {
    if let Some(t) = t {
        let mut r = head(t, None);
        r.after_read = true;
        crate::output::traffic::render_tables(out, &r, &Streamed::new(t, None), format, 1)?;
    }
    if let Some(s) = services {
        crate::output::traffic::render_services(out, &s.rows(None), format)?;
    }
    Ok(())
}

/// `stats -z service` without pictures: the frames go through `read`'s pipeline, whose
/// connection tracker counts the services on its own thread while the reading thread counts the
/// other tables, as `read -q -z` does; on one thread beside the counters the tracker made the
/// run twice as long. Nothing but the tables is written.
fn run_piped<W: Write>(mut c: StatsConfig, mut out: W) -> Result<crate::pipeline::Leftovers, RunError> {
    use crate::pipeline::shards::{self, Inputs, Output, StatTables};
    let analysis = default_analysis();
    let traffic = Traffic::new(std::mem::take(&mut c.wanted));
    let (top, format, threads) = (c.top, c.format, c.threads);
    let write = move |t: Option<&Traffic>, s: Option<&crate::report::traffic::Services>, out: &mut dyn Write| {
        if let Some(t) = t {
            crate::output::traffic::render_tables(out, &head(t, top), &Streamed::new(t, top), format, threads)?;
        }
        match s {
            Some(s) => crate::output::traffic::render_services(out, &s.rows(top), format),
            None => Ok(()),
        }
    };
    // Muted: the printer writes no packet and no report, only what `write` does.
    let view = crate::output::ViewOptions { quiet: true, muted: true, defrag: analysis.defrag, ..crate::output::ViewOptions::default() };
    let inputs = Inputs { files: &c.files, limit: c.limit, filter: None, snaplen: None, early: None, defrag: analysis.defrag, continued_from: c.files.len() };
    let tables = Some(StatTables { traffic: Some(traffic), write: Box::new(write) });
    let output = Output { late: None, writer: None, needs: Default::default(), tables };
    let printer = crate::output::Printer::new(&mut out, view);
    let ran = shards::read(&inputs, printer, crate::pipeline::Stages::new(&analysis, 1), 2, output)?;
    if ran.report.is_none() {
        // No input could be read: the counts are zero, as the other tables say then.
        let empty = Traffic::new(Wanted::default());
        crate::output::traffic::render_tables(&mut out, &head(&empty, top), &Streamed::new(&empty, top), format, threads)?;
        crate::output::traffic::render_services(&mut out, &[], format)?;
        out.flush()?;
    }
    match ran.errors.into_iter().next() {
        Some(e) => Err(RunError::Input(e.message)),
        None => Ok(ran.leftovers),
    }
}

/// Runs `stats`; the analyzers that ran beside the counters are left to the caller.
pub fn run<W: Write>(mut c: StatsConfig, mut out: W) -> Result<crate::pipeline::Leftovers, RunError> {
    let mut plan = crate::sandbox::Plan { read: c.files.iter().filter(|f| *f != "-").map(Into::into).collect(), ..Default::default() };
    if let Some(p) = &c.plot {
        crate::output::plot::make_dir(&p.dir).map_err(RunError::Input)?;
        plan.create_in.push(p.dir.clone());
    }
    crate::sandbox::setup(&c.sandbox, &plan).map_err(RunError::Input)?;
    if c.services && c.plot.is_none() {
        return run_piped(c, out);
    }
    // The tracker counts the connections per service itself: no record is made.
    let analysis = default_analysis();
    let mut side = (c.plot.is_some() || c.services).then(|| beside_keeping(&analysis, c.plot.is_some()));
    let (t, failed) = count_with(&mut c, side.as_mut());
    let head = head(&t, c.top);
    crate::output::traffic::render_tables(&mut out, &head, &Streamed::new(&t, c.top), c.format, c.threads)?;
    let (analyzed, leftovers) = match side {
        Some(side) => {
            let (r, left) = side.finish(&[])?;
            (Some(r), left)
        }
        None => (None, crate::pipeline::Leftovers::default()),
    };
    if let Some(s) = analyzed.as_ref().and_then(|r| r.conns.as_ref()).filter(|_| c.services) {
        crate::output::traffic::render_services(&mut out, &s.services.rows(c.top), c.format)?;
    }
    if let (Some(analyzed), Some(opts)) = (analyzed, &c.plot) {
        if c.format != Format::Json {
            if let Some(s) = &analyzed.series {
                writeln!(out)?;
                crate::output::plot::sparklines(&mut out, s, head.io.is_none())?;
            }
        }
        crate::output::plot::write(&plot_data(&head, &analyzed), opts).map_err(RunError::Input)?;
    }
    out.flush()?;
    match failed {
        Some(e) => Err(e),
        None => Ok(leftovers),
    }
}
