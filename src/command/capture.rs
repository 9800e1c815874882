//! `inspect capture -i IFACE`: the live counterpart of `read`, through the same stages on one
//! thread, a frame at a time ([`Session`]).
//!
//! Order matters here. The capture and the `-w` file are opened first (they need root or
//! CAP_NET_RAW), then privileges are dropped, then the capture thread starts. The main thread
//! decodes, analyzes, prints and writes `-w` records; it flushes whenever the queue runs dry, so
//! output keeps up with a trickle of packets and batches under load. Ctrl-C and SIGTERM only set
//! a flag: the loop stops the capture thread, drains what it had queued, flushes `-w` and prints
//! the summary, so the file holds exactly the packets counted as captured.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::privdrop;
use crate::config::CaptureConfig;
use crate::decode::names;
use crate::error::RunError;
use crate::output::json;
use crate::output::live::LiveTables;
use crate::output::Format;
use crate::pipeline::session::Session;
use crate::pipeline::Stages;
use crate::source::live::{
    self, CaptureEnd, Captured, LiveCapture, LiveError, LiveOptions, Next, POLL,
};
use crate::source::write::PcapWriter;
use crate::source::Frame;

/// Frames handled between two looks at the stop flag, the clock and the output buffers.
const BATCH: usize = 256;
/// Wall time between two redraws of the live tables.
const REDRAW: Duration = Duration::from_secs(1);

/// What a capture run counted, for the closing line and the JSON `capture_stats` object.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaptureStats {
    /// The interface.
    pub interface: String,
    /// pnet or libpcap.
    pub backend: &'static str,
    /// Frames that went through the pipeline (and into `-w`).
    pub captured: u64,
    /// Frames the capture thread read from the socket.
    pub received: u64,
    /// Frames the kernel dropped; `None` when the backend cannot tell.
    pub dropped_by_kernel: Option<u64>,
    /// Frames dropped because the pipeline fell behind (queue full).
    pub dropped_by_inspect: u64,
}

impl CaptureStats {
    /// tcpdump's closing line, in our words.
    pub fn line(&self) -> String {
        let kernel = match self.dropped_by_kernel {
            Some(k) => format!("{k} dropped by kernel"),
            None => format!("n/a dropped by kernel ({} backend)", self.backend),
        };
        format!("{} captured, {kernel}, {} dropped by inspect", crate::output::count(self.captured, "packet", "packets"), self.dropped_by_inspect)
    }
}

/// Why the capture loop ended early.
enum Stop {
    /// Writing stdout or the `-w` file failed.
    Output(io::Error),
}

/// `inspect capture`: open, drop privileges, capture until a signal, `-c`, `--duration` or an
/// error, then print the summary and the capture statistics.
pub fn run<W: Write>(c: &CaptureConfig, mut out: W) -> Result<(), RunError> {
    let args = &c.args;
    let opts = LiveOptions {
        interface: args.interface.clone(),
        snaplen: args.snaplen,
        promiscuous: !args.no_promisc,
        filter: c.filter.clone(),
    };
    let user = privdrop::target(args.user.as_deref()).map_err(RunError::Usage)?;
    let backend = live::open(&opts).map_err(|e| match e {
        LiveError::Filter { .. } => RunError::Usage(e.to_string()),
        other => RunError::Input(other.to_string()),
    })?;
    let linktype = backend.linktype();
    let file = match &args.write {
        Some(path) if path != "-" => Some(
            File::create(path)
                .map_err(|e| RunError::Input(format!("{path}: cannot create: {e}")))?,
        ),
        _ => None,
    };
    if let Some(name) = &user {
        privdrop::become_user(name, file.as_ref()).map_err(RunError::Input)?;
    }
    let sink: Option<Box<dyn Write>> = match (file, args.write.as_deref()) {
        (Some(f), _) => Some(Box::new(f)),
        // The capture goes to standard output, and nothing else does.
        (None, Some("-")) => Some(Box::new(io::stdout())),
        _ => None,
    };
    let mut writer = match (sink, &args.write) {
        (Some(f), Some(path)) => Some(
            PcapWriter::new(f, linktype, args.snaplen)
                .map_err(|e| RunError::Input(format!("{path}: cannot write: {e}")))?,
        ),
        _ => None,
    };

    let term = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while we wind down ends the process at once.
        signal_hook::flag::register_conditional_shutdown(sig, 130, term.clone())
            .and_then(|_| signal_hook::flag::register(sig, term.clone()))
            .map_err(|e| RunError::Input(format!("cannot install signal handlers: {e}")))?;
    }

    let mut cap = LiveCapture::start(backend)
        .map_err(|e| RunError::Input(format!("cannot start capture thread: {e}")))?;
    eprintln!(
        "capturing on {} (link type {}), snaplen {}, {}",
        args.interface,
        names::linktype(linktype),
        args.snaplen,
        // The any device puts no interface in promiscuous mode, as libpcap's.
        if opts.promiscuous && args.interface != "any" {
            "promiscuous"
        } else {
            "not promiscuous"
        }
    );

    let view = c.view.clone();
    let format = view.format;
    let tables = LiveTables {
        conns: args.conns,
        arp: args.arp,
    };
    let redraw = tables.conns || tables.arp;
    let clear = redraw && view.quiet && format == Format::Text && io::stdout().is_terminal();
    let mut session = Session::new(&mut out, view, Stages::new(&c.analysis, 1)).with_display_filter(c.display.clone());
    let limit = c.limit;
    let start = Instant::now();
    let deadline = args.duration.map(|d| start + Duration::from_secs_f64(d));
    let mut next_redraw = start + REDRAW;
    let mut captured: u64 = 0;
    let mut stop: Option<Stop> = None;

    'run: while !term.load(Ordering::Relaxed) && captured < limit {
        let now = Instant::now();
        let mut wait = POLL;
        if let Some(d) = deadline {
            if now >= d {
                break;
            }
            wait = wait.min(d - now);
        }
        if redraw {
            wait = wait.min(next_redraw.saturating_duration_since(now));
        }
        let mut next = cap.next(wait);
        for _ in 0..BATCH {
            match next {
                Next::Frame(c) => {
                    let r = handle(&mut session, writer.as_mut(), &c, captured + 1, linktype);
                    cap.recycle(c);
                    if let Err(e) = r {
                        stop = Some(Stop::Output(e));
                        break 'run;
                    }
                    captured += 1;
                    if captured >= limit {
                        break;
                    }
                    next = cap.try_next();
                }
                Next::Idle => break,
                Next::Ended => break 'run,
            }
        }
        if let Err(e) = flush(&mut session, writer.as_mut()) {
            stop = Some(Stop::Output(e));
            break;
        }
        if redraw && Instant::now() >= next_redraw {
            next_redraw = Instant::now() + REDRAW;
            if let Err(e) = session.redraw(tables, clear) {
                stop = Some(Stop::Output(e));
                break;
            }
        }
    }

    let end: CaptureEnd = cap.stop();
    // What the thread queued before it stopped was captured: it goes through like the rest.
    while stop.is_none() && captured < limit {
        let Next::Frame(c) = cap.try_next() else {
            break;
        };
        let r = handle(&mut session, writer.as_mut(), &c, captured + 1, linktype);
        cap.recycle(c);
        match r {
            Ok(()) => captured += 1,
            Err(e) => stop = Some(Stop::Output(e)),
        }
    }
    let flushed = writer.as_mut().map(|w| w.flush()).transpose();
    let stats = CaptureStats {
        interface: args.interface.clone(),
        backend: end.backend,
        captured,
        received: end.received,
        dropped_by_kernel: end.kernel_drops,
        dropped_by_inspect: end.tool_drops,
    };
    if let Some(Stop::Output(e)) = stop {
        eprintln!("{}", stats.line());
        return Err(RunError::Output(e));
    }
    if let Err(e) = flushed {
        eprintln!("{}", stats.line());
        return Err(RunError::Input(format!(
            "{}: cannot write: {e}",
            args.write.as_deref().unwrap_or("-w file")
        )));
    }
    session.finish(&[])?;
    if format == Format::Json && !c.view.muted {
        writeln!(out, "{}", json::event("capture_stats", &stats))?;
        out.flush()?;
    }
    eprintln!("{}", stats.line());
    match end.error {
        Some(why) => Err(RunError::Input(format!(
            "{}: capture stopped: {why}",
            args.interface
        ))),
        None => Ok(()),
    }
}

/// One captured frame through `-w` and the session; numbered from 1 like a file's frames.
fn handle<W: Write>(
    session: &mut Session<W>,
    writer: Option<&mut PcapWriter<Box<dyn Write>>>,
    c: &Captured,
    number: u64,
    linktype: u32,
) -> io::Result<()> {
    let frame = Frame {
        number,
        ts: c.ts,
        linktype,
        len: c.len,
        data: &c.data,
        interface: 0,
        ts_known: true,
    };
    if session.frame(&frame)? {
        if let Some(w) = writer {
            w.write(&frame)?;
        }
    }
    Ok(())
}

fn flush<W: Write>(
    session: &mut Session<W>,
    writer: Option<&mut PcapWriter<Box<dyn Write>>>,
) -> io::Result<()> {
    if let Some(w) = writer {
        w.flush()?;
    }
    session.flush()
}

#[cfg(test)]
mod test {
    use super::*;

    fn stats(kernel: Option<u64>) -> CaptureStats {
        CaptureStats {
            interface: "veth-a".into(),
            backend: "pnet",
            captured: 12,
            received: 15,
            dropped_by_kernel: kernel,
            dropped_by_inspect: 3,
        }
    }

    #[test]
    fn closing_line_with_kernel_drops() {
        assert_eq!(
            stats(Some(4)).line(),
            "12 packets captured, 4 dropped by kernel, 3 dropped by inspect"
        );
    }

    #[test]
    fn closing_line_without_kernel_drops_names_backend() {
        assert_eq!(
            stats(None).line(),
            "12 packets captured, n/a dropped by kernel (pnet backend), 3 dropped by inspect"
        );
    }
}
