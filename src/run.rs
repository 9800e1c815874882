//! Running a command: options from the command line become one pipeline,
//! source ──frames──▶ decode ──Packet──▶ analyzers ──Report──▶ output.

use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;

use crate::analyze::conn::{ConnAnalyzer, ConnConfig};
use crate::analyze::arp::{ArpAnalyzer, ArpConfig};
use crate::analyze::flood::{FloodAnalyzer, FloodConfig};
use crate::analyze::{Analyzer, Pipeline};
use crate::cli::{AnalysisArgs, ArpArgs, Cli, Command, ReadArgs, ViewArgs};
use crate::decode::{decode, Packet};
use crate::output::live::LiveTables;
use crate::output::{Printer, ViewOptions};
use crate::report::{Event, InputError, Report};
use crate::source::file::FileSource;
use crate::source::Frame;

/// How a run failed. The binary maps each to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Inputs could not be read (fully); what came before was shown. One message per input,
    /// joined so that each is its own `inspect: ...` line. Exit 1.
    #[error("{0}")]
    Input(String),
    /// The command line asked for something impossible. Exit 2.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed (a closed pipe is handled by the caller: exit 0).
    #[error("writing output: {0}")]
    Output(#[from] io::Error),
}

impl RunError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Input(_) => 1,
            RunError::Usage(_) => 2,
            RunError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
            RunError::Output(_) => 1,
        }
    }
}

/// What a finished `read` leaves behind: the analyzers with their tables (after a large capture,
/// hundreds of MB in hundreds of thousands of pieces). `main` leaves them to the kernel, which
/// takes a process's memory back at exit in one sweep. Not dropping them first (a pass over
/// every connection node, then returning the pages one mapping at a time), with the drained
/// connection table's nodes kept as well, took the time from the input's last read to exit from
/// 35 to 22-26 ms of a 0.4 s run. Everything written has been flushed by then; dropping them
/// instead is harmless, only slower.
#[derive(Default)]
pub struct Tables {
    _pipeline: Option<Pipeline>,
}

/// Runs one parsed command line, writing to standard output; returns what `read` leaves behind.
pub fn run(cli: Cli) -> Result<Tables, RunError> {
    let stdout = io::stdout();
    let out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match cli.command {
        Command::Read(args) => read(&args, out),
        Command::Arp(args) => arp(&args, out),
        Command::ArpScan(args) => crate::arpscan::run(&args, out).map(|()| Tables::default()),
        Command::Subnet(cmd) => subnet(&cmd, out).map(|()| Tables::default()),
        Command::Capture(args) => crate::capture::capture(&args, out).map(|()| Tables::default()),
        Command::Interfaces(args) => {
            let mut out = out;
            crate::interfaces::render(&mut out, &crate::interfaces::list(), args.format)?;
            out.flush()?;
            Ok(Tables::default())
        }
        Command::Conns(mut args) => {
            args.view.quiet = true;
            args.view.conns_only = true;
            read(&args, out)
        }
    }
}

/// `inspect subnet`: the calculator; bad input is a usage error (exit 2).
pub fn subnet<W: Write>(cmd: &crate::cli::SubnetCmd, mut out: W) -> Result<(), RunError> {
    let json = cmd.format == crate::output::Format::Json;
    match crate::subnet::run(&cmd.args, json, &mut out) {
        Ok(()) => Ok(out.flush()?),
        Err(crate::subnet::SubnetError::Input(msg)) => Err(RunError::Usage(msg)),
        Err(crate::subnet::SubnetError::Io(e)) => Err(RunError::Output(e)),
    }
}

/// The view options of a command line.
pub fn view_options(v: &ViewArgs) -> ViewOptions {
    ViewOptions {
        format: v.format,
        verbose: v.verbose,
        hex: v.hex,
        link: v.link,
        absolute: v.absolute,
        quiet: v.quiet,
        conns_only: v.conns_only,
        arp_only: v.arp_only,
    }
}

/// The analyzers every file and live run uses, configured from the command line.
pub fn analyzers(args: &AnalysisArgs) -> Vec<Box<dyn Analyzer + Send>> {
    vec![
        Box::new(ConnAnalyzer::new(conn_config(args))),
        Box::new(FloodAnalyzer::new(flood_config(args))),
        Box::new(ArpAnalyzer::new(arp_config(args))),
    ]
}

/// The analyzers of a `read` run with `view` on `threads` threads: as [`analyzers`], but the
/// connection tracker builds no per-connection records when the view shows none (quiet text,
/// no table filter), and may then count what is left at the end on `threads` threads.
pub fn read_analyzers(args: &AnalysisArgs, view: &ViewArgs, threads: usize) -> Vec<Box<dyn Analyzer + Send>> {
    let mut conn = conn_config(args);
    conn.end_threads = threads;
    let filtered = conn.state.is_some() || conn.port.is_some() || conn.host.is_some();
    conn.records = view.format != crate::output::Format::Text || !view.quiet || view.conns_only || filtered;
    vec![
        Box::new(ConnAnalyzer::new(conn)),
        Box::new(FloodAnalyzer::new(flood_config(args))),
        Box::new(ArpAnalyzer::new(arp_config(args))),
    ]
}

/// The SYN-flood detector's settings: the command line's, or the documented defaults.
pub fn flood_config(args: &AnalysisArgs) -> FloodConfig {
    let d = FloodConfig::default();
    FloodConfig {
        syn_rate: args.flood_syn_rate.unwrap_or(d.syn_rate),
        half_open: args.flood_half_open.unwrap_or(d.half_open),
        timeout: args.flood_timeout.unwrap_or(d.timeout),
        quiet: args.flood_quiet.unwrap_or(d.quiet),
        ..d
    }
}

/// The connection tracker's settings from the command line.
pub fn conn_config(args: &AnalysisArgs) -> ConnConfig {
    ConnConfig {
        max_conns: usize::try_from(args.max_conns).unwrap_or(usize::MAX),
        time_wait: args.time_wait,
        syn_timeout: args.syn_timeout,
        half_open_timeout: args.half_open_timeout,
        idle_timeout: args.idle_timeout,
        udp_timeout: args.udp_timeout,
        timeline: args.timeline,
        max_rows: args.max_rows,
        state: args.state.clone(),
        port: args.port,
        host: args.host,
        records: true,
        end_threads: 1,
    }
}

/// The ARP analyzer's settings from the command line (defaults where a flag is absent).
pub fn arp_config(a: &AnalysisArgs) -> ArpConfig {
    let d = ArpConfig::default();
    ArpConfig {
        reachable: a.arp_reachable.unwrap_or(d.reachable),
        timeout: a.arp_timeout.unwrap_or(d.timeout),
        gc: a.arp_gc.unwrap_or(d.gc),
        net: a.net.or(d.net),
        storm_rate: a.arp_storm_rate.unwrap_or(d.storm_rate),
        dup_window: a.arp_dup_window.unwrap_or(d.dup_window),
        max_entries: a.arp_max_entries.unwrap_or(d.max_entries),
        max_events: d.max_events,
    }
}

/// `inspect arp`: `read` with packets off, showing only the ARP table and its events.
pub fn arp<W: Write>(args: &ArpArgs, out: W) -> Result<Tables, RunError> {
    let view = ViewArgs {
        format: args.format,
        verbose: false,
        hex: false,
        link: false,
        absolute: false,
        quiet: true,
        numeric: false,
        count: args.count,
        conns_only: false,
        arp_only: true,
    };
    read(&ReadArgs { files: args.files.clone(), filter: None, threads: 2, view, analysis: args.analysis.clone() }, out)
}

/// One run of the pipeline: decode, analyze, print. Files and live capture both drive it, so
/// they give the same results for the same packets.
pub struct Session<W: Write> {
    printer: Printer<W>,
    pipeline: Pipeline,
    events: Vec<Event>,
    seen: u64,
}

impl<W: Write> Session<W> {
    /// A session writing to `out` with the given view and analyzers.
    pub fn new(out: W, view: ViewOptions, analyzers: Vec<Box<dyn Analyzer + Send>>) -> Self {
        Session { printer: Printer::new(out, view), pipeline: Pipeline::new(analyzers), events: Vec::new(), seen: 0 }
    }

    /// Frames handled so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Decodes one frame, feeds the analyzers, prints the packet and any events it raised.
    pub fn frame(&mut self, frame: &Frame<'_>) -> io::Result<()> {
        let p = decode(frame);
        self.pipeline.packet(&p, &mut self.events);
        self.seen += 1;
        let mut r = self.printer.packet(&p);
        for e in self.events.drain(..) {
            if r.is_ok() {
                r = self.printer.event(&e);
            }
        }
        r
    }

    /// Prints a packet the analyzers have already seen elsewhere, then `events` (drained), in
    /// the order `frame` would (the two-thread `read`).
    pub fn packet_and_events(&mut self, p: &Packet<'_>, events: &mut Vec<Event>) -> io::Result<()> {
        self.seen += 1;
        let mut r = self.printer.packet(p);
        for e in events.drain(..) {
            if r.is_ok() {
                r = self.printer.event(&e);
            }
        }
        r
    }

    /// Whether packets are printed at all (not with `-q`).
    pub fn shows_packets(&self) -> bool {
        !self.printer.options().quiet
    }

    /// Counts a frame whose packet is not shown (`-q`) and prints `events` (drained), as
    /// `packet_and_events` would, without needing the decoded packet.
    pub fn events_only(&mut self, events: &mut Vec<Event>) -> io::Result<()> {
        self.seen += 1;
        for e in events.drain(..) {
            self.printer.event(&e)?;
        }
        Ok(())
    }

    /// Replaces the pipeline (the two-thread `read` hands its analyzers back before `finish`).
    pub fn set_pipeline(&mut self, pipeline: Pipeline) {
        self.pipeline = pipeline;
    }

    /// The analyzers' report as things stand (the ARP table for a live redraw); ends nothing.
    pub fn snapshot(&self) -> Report {
        self.pipeline.snapshot()
    }

    /// Flushes printed output (live capture calls this as packets trickle in).
    pub fn flush(&mut self) -> io::Result<()> {
        self.printer.flush()
    }

    /// Redraws the live tables from the analyzers' current state. Called once per second of
    /// wall time by `capture` (display only: the analysis never sees the clock).
    pub fn redraw(&mut self, tables: LiveTables, clear: bool) -> io::Result<()> {
        let report = self.pipeline.snapshot();
        self.printer.redraw(&report, tables, clear)?;
        self.printer.flush()
    }

    /// Ends the run: final events, then the report; returns the report and the analyzers' tables
    /// (see [`Tables`]).
    pub fn finish(mut self, errors: &[InputError]) -> io::Result<(Report, Tables)> {
        while self.pipeline.drain(&mut self.events) {
            for e in self.events.drain(..) {
                self.printer.event(&e)?;
            }
        }
        let mut report = self.pipeline.finish(&mut self.events);
        for e in self.events.drain(..) {
            self.printer.event(&e)?;
        }
        report.errors = errors.to_vec();
        self.printer.report(&report)?;
        self.printer.flush()?;
        Ok((report, Tables { _pipeline: Some(self.pipeline) }))
    }
}

/// `inspect read`: every file in turn through one pipeline, then the report.
pub fn read<W: Write>(args: &ReadArgs, out: W) -> Result<Tables, RunError> {
    let mut filter = crate::source::filter::compile(args.filter.as_deref()).map_err(|e| RunError::Usage(e.to_string()))?;
    let mut analysis = args.analysis.clone();
    analysis.timeline = args.view.verbose;
    let limit = args.view.count.unwrap_or(u64::MAX);
    let analyzers = read_analyzers(&analysis, &args.view, usize::try_from(args.threads).unwrap_or(usize::MAX));
    if args.threads > 1 && args.filter.is_none() {
        let session = Session::new(out, view_options(&args.view), Vec::new());
        return crate::parallel::read(&args.files, limit, session, analyzers);
    }
    let mut session = Session::new(out, view_options(&args.view), analyzers);
    let mut errors: Vec<InputError> = Vec::new();
    for path in &args.files {
        if session.seen() >= limit {
            break;
        }
        let Some(mut src) = open_input(path, &mut errors) else { continue };
        let mut write_err: Option<io::Error> = None;
        let mut filter_err: Option<String> = None;
        let res = src.for_each(|frame| match crate::source::filter::passes(&mut filter, &frame) {
            Ok(false) => ControlFlow::Continue(()),
            Err(e) => {
                filter_err = Some(e.to_string());
                ControlFlow::Break(())
            }
            Ok(true) => match session.frame(&frame) {
                Err(e) => {
                    write_err = Some(e);
                    ControlFlow::Break(())
                }
                Ok(()) if session.seen() >= limit => ControlFlow::Break(()),
                Ok(()) => ControlFlow::Continue(()),
            },
        });
        if let Some(e) = filter_err {
            errors.push(InputError { input: src.input().to_string(), message: format!("{}: {e}", src.input()) });
        }
        if let Some(e) = write_err {
            return Err(RunError::Output(e));
        }
        if let Err(e) = res {
            errors.push(InputError { input: src.input().to_string(), message: e.to_string() });
        }
    }
    end_read(session, errors, args.files.len())
}

/// Opens one input of `read`; a file that cannot be opened is noted in `errors` and skipped.
pub(crate) fn open_input(path: &str, errors: &mut Vec<InputError>) -> Option<FileSource> {
    FileSource::open(path)
        .map_err(|e| errors.push(InputError { input: path.to_string(), message: e.to_string() }))
        .ok()
}

/// The end of `read` over `files` inputs: the report, unless no input could be read at all,
/// then the inputs that failed, one line each.
pub(crate) fn end_read<W: Write>(session: Session<W>, errors: Vec<InputError>, files: usize) -> Result<Tables, RunError> {
    let mut tables = Tables::default();
    if session.seen() > 0 || errors.len() < files {
        tables = session.finish(&errors)?.1;
    }
    if errors.is_empty() {
        Ok(tables)
    } else {
        Err(RunError::Input(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("\ninspect: ")))
    }
}
