//! `inspect stats`: tshark's `-z` statistics (protocol hierarchy, conversations, endpoints,
//! frames per interval) and the busiest talkers and ports, over one or more capture files read
//! as one.

use std::io::Write;
use std::ops::ControlFlow;

use crate::analyze::traffic::{Conv, Count, End, IoStat, TableKind, Traffic, Wanted};
use crate::decode::decode;
use crate::error::RunError;
use crate::filter::DisplayFilter;
use crate::output::Format;
use crate::report::traffic::{ConvRow, EndpointRow, IoTable, PhsRow, PortRow, TrafficReport};
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
        _ => Err(bad("expected io,phs, conv,TYPE, endpoints,TYPE or io,stat,INTERVAL[,FILTER...]")),
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
    let mut stages = crate::pipeline::Stages::new(cfg, 1);
    stages.keep_series();
    let view = crate::output::ViewOptions { quiet: true, defrag: cfg.defrag, ..crate::output::ViewOptions::default() };
    crate::pipeline::session::Session::new(std::io::sink(), view, stages)
}

/// [`count`], each frame going to `beside` as well.
pub fn count_with(c: &mut StatsConfig, mut beside: Option<&mut Beside>) -> (Traffic, Option<RunError>) {
    let mut t = Traffic::new(std::mem::take(&mut c.wanted));
    let mut left = c.limit;
    for file in &c.files {
        if left == 0 {
            break;
        }
        let mut source = match FileSource::open(file) {
            Ok(s) => s,
            Err(e) => return (t, Some(RunError::Input(e.to_string()))),
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
            return (t, Some(RunError::Input(e.to_string())));
        }
    }
    (t, None)
}

fn mac(m: [u8; 6]) -> String {
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// tshark's order: most frames first, ties in the order first seen.
fn by_frames<T>(rows: &mut [T], frames: impl Fn(&T) -> u64) {
    rows.sort_by_key(|r| std::cmp::Reverse(frames(r)));
}

/// The `top` busiest conversations (all without it) as rows: ordered before any text is made,
/// so a capture of a million conversations makes only the rows shown.
fn conv_rows<K: Copy>(kind: TableKind, list: &[Conv<K>], t0: Ts, top: Option<usize>, keep: impl Fn(&K) -> bool, show: impl Fn(K) -> (String, Option<u16>)) -> Vec<ConvRow> {
    let mut kept: Vec<&Conv<K>> = list.iter().filter(|c| keep(&c.a)).collect();
    by_frames(&mut kept, |c| c.ab.frames + c.ba.frames);
    kept.truncate(top.unwrap_or(usize::MAX));
    kept.into_iter()
        .map(|c| {
            let (addr_a, port_a) = show(c.a);
            let (addr_b, port_b) = show(c.b);
            ConvRow {
                event_type: "conv",
                kind: kind.name(),
                addr_a,
                port_a,
                addr_b,
                port_b,
                frames_ab: c.ab.frames,
                bytes_ab: c.ab.bytes,
                frames_ba: c.ba.frames,
                bytes_ba: c.ba.bytes,
                rel_start: c.first.secs_since(t0).max(0.0),
                duration: c.last.secs_since(c.first).max(0.0),
            }
        })
        .collect()
}

fn end_frames<K>(e: &End<K>) -> u64 {
    e.tx.frames + e.rx.frames
}

fn end_bytes<K>(e: &End<K>) -> u64 {
    e.tx.bytes + e.rx.bytes
}

/// The endpoints as rows, ordered by `order` (largest first, ties as first seen), the first `top`.
fn end_rows<K: Copy>(kind: TableKind, list: &[End<K>], top: Option<usize>, order: impl Fn(&End<K>) -> u64, keep: impl Fn(&K) -> bool, show: impl Fn(K) -> (String, Option<u16>)) -> Vec<EndpointRow> {
    let mut kept: Vec<&End<K>> = list.iter().filter(|e| keep(&e.key)).collect();
    by_frames(&mut kept, |e| order(e));
    kept.truncate(top.unwrap_or(usize::MAX));
    kept.into_iter()
        .map(|e| {
            let (addr, port) = show(e.key);
            EndpointRow {
                event_type: "endpoint",
                kind: kind.name(),
                addr,
                port,
                tx_frames: e.tx.frames,
                tx_bytes: e.tx.bytes,
                rx_frames: e.rx.frames,
                rx_bytes: e.rx.bytes,
            }
        })
        .collect()
}

/// The report of what was counted.
pub fn report(t: &Traffic, top: Option<usize>) -> TrafficReport {
    let t0 = t.first.unwrap_or_default();
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
    let ip = |a: std::net::IpAddr| (a.to_string(), None);
    let sock = |(a, p): (std::net::IpAddr, u16)| (a.to_string(), Some(p));
    for (k, _) in &t.wanted.conv {
        let rows = match k {
            TableKind::Eth => conv_rows(*k, &t.conv_eth.list, t0, top, |_| true, |m| (mac(m), None)),
            TableKind::Ip => conv_rows(*k, &t.conv_ip.list, t0, top, |a| a.is_ipv4(), ip),
            TableKind::Ipv6 => conv_rows(*k, &t.conv_ip.list, t0, top, |a| a.is_ipv6(), ip),
            TableKind::Tcp => conv_rows(*k, &t.conv_tcp.list, t0, top, |_| true, |(s, _)| sock(s)),
            TableKind::Udp => conv_rows(*k, &t.conv_udp.list, t0, top, |_| true, sock),
        };
        r.conv.push((k.name(), rows));
    }
    for (k, _) in &t.wanted.endpoints {
        let rows = match k {
            TableKind::Eth => end_rows(*k, &t.end_eth.list, top, end_frames, |_| true, |m| (mac(m), None)),
            TableKind::Ip => end_rows(*k, &t.end_ip.list, top, end_frames, |a| a.is_ipv4(), ip),
            TableKind::Ipv6 => end_rows(*k, &t.end_ip.list, top, end_frames, |a| a.is_ipv6(), ip),
            TableKind::Tcp => end_rows(*k, &t.end_tcp.list, top, end_frames, |_| true, sock),
            TableKind::Udp => end_rows(*k, &t.end_udp.list, top, end_frames, |_| true, sock),
        };
        if matches!(k, TableKind::Ip) && r.talkers.is_empty() {
            r.talkers = end_rows(*k, &t.end_ip.list, Some(top.unwrap_or(10)), end_bytes, |a| a.is_ipv4(), ip);
        }
        r.endpoints.push((k.name(), rows));
    }
    if let Some(io) = &t.wanted.io {
        // As tshark: the intervals cover the capture's duration, from its first frame to its
        // last, so a frame right on the last interval's end (the last of a capture whose
        // duration is a whole number of intervals, or the one frame of a capture without
        // duration) falls outside them.
        let span = match (t.first, t.last) {
            (Some(a), Some(b)) => u64::try_from(b.as_nanos() - a.as_nanos()).unwrap_or(0),
            _ => 0,
        };
        let n = usize::try_from(span.div_ceil(io.interval_ns)).unwrap_or(usize::MAX);
        r.io = Some(IoTable {
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
        });
    }
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

/// Runs `stats`.
pub fn run<W: Write>(mut c: StatsConfig, mut out: W) -> Result<(), RunError> {
    let mut plan = crate::sandbox::Plan { read: c.files.iter().filter(|f| *f != "-").map(Into::into).collect(), ..Default::default() };
    if let Some(p) = &c.plot {
        crate::output::plot::make_dir(&p.dir).map_err(RunError::Input)?;
        plan.create_in.push(p.dir.clone());
    }
    crate::sandbox::setup(&c.sandbox, &plan).map_err(RunError::Input)?;
    let mut side = c.plot.as_ref().map(|_| beside(&default_analysis()));
    let (t, failed) = count_with(&mut c, side.as_mut());
    let r = report(&t, c.top);
    crate::output::traffic::render(&mut out, &r, c.format)?;
    if let (Some(side), Some(opts)) = (side, &c.plot) {
        let (analyzed, _) = side.finish(&[])?;
        if c.format != Format::Json {
            if let Some(s) = &analyzed.series {
                writeln!(out)?;
                crate::output::plot::sparklines(&mut out, s, r.io.is_none())?;
            }
        }
        crate::output::plot::write(&plot_data(&r, &analyzed), opts).map_err(RunError::Input)?;
    }
    out.flush()?;
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
