//! `inspect capture -i IFACE`: the live counterpart of `read`, through the same stages on one
//! thread, a frame at a time ([`Session`]), each frame read where the kernel put it.
//!
//! Order matters here. The capture and the first `-w` file are opened first (they need root or
//! CAP_NET_RAW), then privileges are dropped, then the capture starts. The loop reads the
//! kernel's ring a block at a time: each frame goes through the session and, if the display
//! filter shows it, to `-w`; output is flushed after each block, so it keeps up with a trickle
//! and batches under load. The capture expression runs in the kernel, attached before the
//! capture starts (where the kernel cannot run it, on each frame read instead). Ctrl-C,
//! SIGTERM, `-c` and `--duration` only end the loop: the ring is then closed to new frames and
//! read to its end (but for `-c`), `-w` is flushed, and the summary and the kernel's counts are
//! printed, so the file holds exactly the frames counted as captured and, with the frames the
//! kernel dropped, they are all the frames it received.

use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::privdrop;
use crate::config::CaptureConfig;
use crate::decode::names;
use crate::error::RunError;
use crate::output::json;
use crate::output::live::LiveTables;
use crate::output::tui::{self, Control, Feed, Rates, Screen, Snapshot};
use crate::output::table::count;
use crate::output::Format;
use crate::pipeline::session::{LiveShow, Session};
use crate::pipeline::Stages;
use crate::sandbox::Plan;
use crate::source::live::rotate::{self, Output, Rotation, Written};
use crate::source::filter::{self, BpfFilter};
use crate::source::live::{self, Backend, KernelStats, LiveError, LiveOptions, RawFrame, ANY, POLL};
use crate::source::Frame;

/// Wall time between two redraws of the live tables.
const REDRAW: Duration = Duration::from_secs(1);
/// After the ring is closed to new frames: how long a read waits for the kernel to hand over
/// its last, partly filled block (it does within its 10 ms retire timeout).
const DRAIN_WAIT: Duration = Duration::from_millis(50);
/// The longest the end of a capture spends reading what the ring still holds.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// What a capture run counted, for the closing lines and the JSON `capture_stats` object.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaptureStats {
    /// The interface.
    pub interface: String,
    /// ring or libpcap.
    pub backend: &'static str,
    /// Frames that went through the pipeline (and into `-w`).
    pub captured: u64,
    /// Frames the kernel passed to the capture (captured, dropped, or left unread by `-c`).
    pub received: Option<u64>,
    /// Frames the kernel dropped because its buffer was full.
    pub dropped_by_kernel: Option<u64>,
    /// The `-w` files written, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

impl CaptureStats {
    /// tcpdump's closing lines.
    pub fn lines(&self) -> Vec<String> {
        let mut v = vec![format!("{} captured", count(self.captured, "packet", "packets"))];
        if let Some(r) = self.received {
            v.push(format!("{} received by filter", count(r, "packet", "packets")));
        }
        if let Some(d) = self.dropped_by_kernel {
            v.push(format!("{} dropped by kernel", count(d, "packet", "packets")));
        }
        v
    }
}

/// Why the capture loop ended.
enum Why {
    /// A signal, `-c` or `--duration`: the ring is read to its end (but for `-c`).
    Stopped,
    /// `-G` with `-W` made its last file.
    Files,
    /// Writing stdout failed.
    Output(io::Error),
    /// Writing `-w` failed.
    File(io::Error),
    /// The capture expression, run on a frame read, failed.
    Filter(LiveError),
    /// The capture itself failed (the interface went down or away).
    Capture(LiveError),
}

/// The loop's state, which each frame passes through.
struct Run<W: Write> {
    session: Session<W>,
    /// The capture expression where the kernel cannot run it, run on each frame read.
    filter: Option<BpfFilter>,
    output: Option<Output>,
    captured: u64,
    limit: u64,
    linktype: u32,
    failed: Option<Why>,
    /// The dashboard's rates, counted only when it shows.
    rates: Option<Rates>,
    /// The last frame's time.
    last: Option<crate::source::Ts>,
}

impl<W: Write> Run<W> {
    /// One frame through `-w` and the session; numbered from 1 like a file's frames.
    fn frame(&mut self, raw: RawFrame<'_>) -> ControlFlow<()> {
        if self.captured >= self.limit || self.failed.is_some() {
            return ControlFlow::Break(());
        }
        let frame = Frame {
            number: self.captured + 1,
            ts: raw.ts,
            linktype: self.linktype,
            len: raw.len,
            data: raw.data,
            interface: 0,
            ts_known: true,
        };
        match filter::passes(&mut self.filter, &frame) {
            Ok(true) => {}
            Ok(false) => return ControlFlow::Continue(()),
            Err(e) => {
                self.failed = Some(Why::Filter(e));
                return ControlFlow::Break(());
            }
        }
        // A frame that would need a file past -W ends the capture before it is analyzed.
        if self.output.as_ref().is_some_and(|o| o.at_limit(frame.ts.sec)) {
            self.failed = Some(Why::Files);
            return ControlFlow::Break(());
        }
        let shown = match self.session.frame(&frame) {
            Ok(shown) => shown,
            Err(e) => {
                self.failed = Some(Why::Output(e));
                return ControlFlow::Break(());
            }
        };
        self.captured += 1;
        if let Some(r) = self.rates.as_mut() {
            r.add(frame.ts, frame.len);
            self.last = Some(frame.ts);
        }
        if let Some(o) = self.output.as_mut().filter(|_| shown) {
            match o.write(&frame, frame.ts.sec) {
                Ok(Written::Kept) => {}
                Ok(Written::Limit) => {
                    self.failed = Some(Why::Files);
                    return ControlFlow::Break(());
                }
                Err(e) => {
                    self.failed = Some(Why::File(e));
                    return ControlFlow::Break(());
                }
            }
        }
        if self.captured >= self.limit {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn flush(&mut self) {
        if self.failed.is_some() {
            return;
        }
        if let Some(o) = self.output.as_mut() {
            if let Err(e) = o.flush() {
                self.failed = Some(Why::File(e));
                return;
            }
        }
        if let Err(e) = self.session.flush() {
            self.failed = Some(Why::Output(e));
        }
    }
}

fn open_error(e: LiveError) -> RunError {
    match e {
        LiveError::Filter { .. } => RunError::Usage(e.to_string()),
        other => RunError::Input(other.to_string()),
    }
}

/// `inspect capture`: open, drop privileges, capture until a signal, `-c`, `--duration` or an
/// error, then print the summary and the kernel's counts.
pub fn run<W: Write>(c: &CaptureConfig, mut out: W) -> Result<(), RunError> {
    let args = &c.args;
    let rotation = Rotation {
        size: args.file_size.map(|mb| (mb * 1e6) as u64),
        every: args.rotate_seconds,
        files: args.file_count,
    };
    if rotation.any() && matches!(args.write.as_deref(), None | Some("-")) {
        return Err(RunError::Usage("-C and -G split the -w file: give -w FILE".into()));
    }
    if args.file_count.is_some() && !rotation.any() {
        return Err(RunError::Usage("-W counts the files of -C or -G: give one of them".into()));
    }
    if let Some(p) = &args.write {
        rotate::check_pattern(p, &rotation).map_err(RunError::Usage)?;
    }
    if args.tui && (!io::stdout().is_terminal() || args.write.as_deref() == Some("-")) {
        return Err(RunError::Usage("--tui draws the dashboard on a terminal, and standard output is not one".into()));
    }
    let opts = LiveOptions {
        interface: args.interface.clone(),
        snaplen: args.snaplen,
        promiscuous: !args.no_promisc,
        filter: c.filter.clone(),
        buffer_kib: args.buffer_kib,
        direction: args.direction,
    };
    let user = privdrop::target(args.user.as_deref()).map_err(RunError::Usage)?;
    let mut backend = live::open(&opts).map_err(open_error)?;
    // Before the capture starts, so that the kernel runs the expression on every frame.
    let user_filter = filter::attach(c.filter.as_deref(), backend.as_mut()).map_err(open_error)?;
    let linktype = backend.linktype();
    let output = match &args.write {
        Some(path) => {
            let now = live::now().sec;
            Some(Output::create(path, rotation, linktype, args.snaplen, now).map_err(RunError::Input)?)
        }
        None => None,
    };
    // Made before the privileges go, as -w's file is.
    let logs = c.logs.any().then(|| crate::output::logs::Logs::open(&c.logs)).transpose().map_err(RunError::Input)?;
    if let Some(name) = &user {
        privdrop::become_user(name, output.as_ref().and_then(Output::file)).map_err(RunError::Input)?;
        // The next files of -C and -G are made as this user: say so now, not at the first
        // rotation, when frames would be lost.
        if let Some(o) = output.as_ref().filter(|_| rotation.any()) {
            let dir = directory(o.name());
            if nix::unistd::access(&dir, nix::unistd::AccessFlags::W_OK).is_err() {
                return Err(RunError::Input(format!(
                    "-C/-G: {} is not writable by {name}, whom the capture runs as (-Z root keeps root)",
                    dir.display()
                )));
            }
        }
    }

    let term = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while we wind down ends the process at once.
        signal_hook::flag::register_conditional_shutdown(sig, 130, term.clone())
            .and_then(|_| signal_hook::flag::register(sig, term.clone()))
            .map_err(|e| RunError::Input(format!("cannot install signal handlers: {e}")))?;
    }
    backend.start().map_err(open_error)?;
    // The dashboard takes the terminal (and makes its key reader's socket pair) before the
    // sandbox, which allows neither.
    let source = format!("capture {}", args.interface);
    let mut ui = if args.tui { Some(Dashboard::start(&source, term.clone())?) } else { None };
    // The socket, its ring and -w are open, privileges are gone: the first frame is decoded in
    // the sandbox.
    crate::sandbox::setup(&args.sandbox, &plan(c, &rotation, output.as_ref())).map_err(RunError::Input)?;
    eprintln!(
        "capturing on {} (link type {}), snaplen {}, buffer {} KiB, {}",
        args.interface,
        names::linktype(linktype),
        args.snaplen,
        args.buffer_kib,
        // The any device puts no interface in promiscuous mode, as libpcap's.
        if opts.promiscuous && args.interface != ANY { "promiscuous" } else { "not promiscuous" }
    );

    let view = c.view.clone();
    let format = view.format;
    let tables = LiveTables { conns: args.conns, arp: args.arp };
    // On a terminal the tables are the screen, redrawn in place; elsewhere each event is
    // printed once and the tables come at the end.
    let screen = (tables.conns || tables.arp) && format == Format::Text && io::stdout().is_terminal();
    let show = LiveShow { conn_lines: tables.conns && !screen, arp_lines: tables.arp && !screen, screen: screen || args.tui };
    let session = Session::new(&mut out, view, Stages::new(&c.analysis, 1)).with_display_filter(c.display.clone()).with_logs(logs).live(show);
    let rates = args.tui.then(Rates::default);
    let mut run = Run { session, filter: user_filter, output, captured: 0, limit: c.limit, linktype, failed: None, rates, last: None };
    let start = Instant::now();
    let deadline = args.duration.map(|d| start + Duration::from_secs_f64(d));
    let mut next_redraw = start;

    let why = loop {
        if let Some(why) = run.failed.take() {
            break why;
        }
        let now = Instant::now();
        if term.load(Ordering::Relaxed) || run.captured >= run.limit || deadline.is_some_and(|d| now >= d) {
            break Why::Stopped;
        }
        let mut wait = POLL;
        if let Some(d) = deadline {
            wait = wait.min(d - now);
        }
        if let Some(d) = ui.as_mut() {
            if d.feed.control() == Some(Control::Quit) {
                break Why::Stopped;
            }
            if d.feed.wanted() {
                d.feed.offer(snapshot(&run, &source, backend.stats(), false));
            }
            wait = wait.min(tui::FRAME);
        }
        if screen {
            if now >= next_redraw {
                next_redraw = now + REDRAW;
                let kernel = backend.stats();
                if let Err(e) = run.session.redraw(tables, true, kernel) {
                    break Why::Output(e);
                }
            }
            wait = wait.min(next_redraw.saturating_duration_since(now));
        }
        if let Err(e) = backend.read(wait, &mut |f| run.frame(f)) {
            break Why::Capture(e);
        }
        run.flush();
    };

    // What the kernel still holds was received before the end: it is captured like the rest.
    let drain = match why {
        Why::Stopped => run.captured < run.limit,
        Why::Capture(_) => true,
        _ => false,
    };
    backend.close_gate();
    if drain {
        drain_ring(backend.as_mut(), &mut run);
    }
    let kernel: Option<KernelStats> = backend.stats();
    run.flush();
    if let Some(d) = ui.take() {
        // The last state stays on the screen until the viewer closes it.
        d.feed.last(snapshot(&run, &source, kernel, true));
        d.finish()?;
    }
    let why = match (why, run.failed.take()) {
        (Why::Stopped | Why::Capture(_), Some(failed)) => failed,
        (why, _) => why,
    };
    let stats = CaptureStats {
        interface: args.interface.clone(),
        backend: backend.name(),
        captured: run.captured,
        received: kernel.map(|k| k.received),
        dropped_by_kernel: kernel.map(|k| k.dropped),
        files: run.output.as_ref().map(|o| o.files().to_vec()).unwrap_or_default(),
    };
    let closing = |stats: &CaptureStats| {
        for l in stats.lines() {
            eprintln!("{l}");
        }
    };
    match why {
        Why::Output(e) => {
            closing(&stats);
            return Err(RunError::Output(e));
        }
        Why::File(e) => {
            closing(&stats);
            let name = run.output.as_ref().map(|o| o.name().to_string()).unwrap_or_default();
            return Err(RunError::Input(format!("{name}: cannot write: {e}")));
        }
        _ => {}
    }
    run.session.finish(&[])?;
    if format == Format::Json && !c.view.muted {
        writeln!(out, "{}", json::event("capture_stats", &stats))?;
        out.flush()?;
    }
    if let Why::Files = why {
        eprintln!("Maximum file limit reached: {}", args.file_count.unwrap_or(0));
    }
    closing(&stats);
    match why {
        Why::Capture(e) | Why::Filter(e) => Err(RunError::Input(e.to_string())),
        _ => Ok(()),
    }
}

/// The dashboard of `--tui`: the viewer's thread, and the packet side's end of its link.
struct Dashboard {
    feed: Feed,
    viewer: std::thread::JoinHandle<io::Result<()>>,
}

impl Dashboard {
    /// Takes the terminal over and starts the viewer; a signal raising `stop` closes it.
    fn start(source: &str, stop: Arc<AtomicBool>) -> Result<Dashboard, RunError> {
        let screen = Screen::open().map_err(|e| RunError::Input(format!("cannot use the terminal: {e}")))?;
        let (feed, view) = tui::link();
        let first = Snapshot { source: source.to_string(), pace: "live".into(), ..Snapshot::default() };
        let viewer = std::thread::Builder::new()
            .name("dashboard".into())
            .spawn(move || screen.run(view, first, &stop))
            .map_err(|e| RunError::Input(format!("cannot start the dashboard: {e}")))?;
        Ok(Dashboard { feed, viewer })
    }

    /// Waits for the viewer to close (the terminal is restored then).
    fn finish(self) -> Result<(), RunError> {
        drop(self.feed);
        match self.viewer.join() {
            Ok(r) => r.map_err(RunError::Output),
            Err(_) => Err(RunError::Input("the dashboard stopped on an internal error".into())),
        }
    }
}

/// The state of a live run for the dashboard.
fn snapshot<W: Write>(run: &Run<W>, source: &str, kernel: Option<KernelStats>, done: bool) -> Snapshot {
    let mut rates = run.rates.unwrap_or_default();
    if let Some(t) = run.last {
        rates.roll(t.sec);
    }
    Snapshot {
        report: run.session.snapshot(),
        clock: run.last,
        rates,
        kernel,
        source: source.to_string(),
        pace: "live".into(),
        done,
    }
}

/// The directory the files of `-C`/`-G` are made in: that of the first.
fn directory(name: &str) -> PathBuf {
    match Path::new(name).parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What a capture may still touch in the sandbox: the `-w` file, and the directory rotation
/// makes the next ones in; the time zone's rules, for `-G`'s names and local times; and the
/// interface's entry in sysfs, which tells an interface that went down from one that went away
/// (the interface list is read through a socket the sandbox does not allow).
fn plan(c: &CaptureConfig, rotation: &Rotation, output: Option<&Output>) -> Plan {
    let mut plan = Plan::default();
    if let Some(o) = output.filter(|o| o.file().is_some()) {
        plan.write.push(o.name().into());
        if rotation.any() {
            plan.create_in.push(directory(o.name()));
        }
    }
    if rotation.every.is_some() || c.view.local_time {
        plan.read.extend(crate::sandbox::ZONE_FILES.iter().map(PathBuf::from));
    }
    if c.args.interface != ANY {
        plan.read.push(live::sysfs_entry(&c.args.interface));
    }
    plan
}

/// Reads what the ring holds after it was closed to new frames, until a wait brings nothing
/// (the kernel hands over its last block within its retire timeout), `-c` is reached, or
/// [`DRAIN_LIMIT`] passed.
fn drain_ring<W: Write>(backend: &mut dyn Backend, run: &mut Run<W>) {
    let until = Instant::now() + DRAIN_LIMIT;
    while run.captured < run.limit && run.failed.is_none() && Instant::now() < until {
        match backend.read(DRAIN_WAIT, &mut |f| run.frame(f)) {
            Ok(0) | Err(_) => break,
            Ok(_) => run.flush(),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn stats(kernel: Option<(u64, u64)>) -> CaptureStats {
        CaptureStats {
            interface: "veth-a".into(),
            backend: "ring",
            captured: 12,
            received: kernel.map(|k| k.0),
            dropped_by_kernel: kernel.map(|k| k.1),
            files: Vec::new(),
        }
    }

    #[test]
    fn closing_lines_are_tcpdumps() {
        assert_eq!(
            stats(Some((16, 4))).lines(),
            ["12 packets captured", "16 packets received by filter", "4 packets dropped by kernel"]
        );
        assert_eq!(stats(Some((13, 1))).lines()[2], "1 packet dropped by kernel");
        assert_eq!(stats(None).lines(), ["12 packets captured"]);
    }
}
