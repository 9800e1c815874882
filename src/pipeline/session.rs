//! The pipeline on one thread, one frame at a time: live capture, where each frame is shown as
//! soon as it arrives. It runs the same [`Stages`] as the batched pipeline and merges their
//! events the same way, so both print the same for the same frames.
//!
//! A live run differs only in how it shows what it finds ([`LiveShow`]): off a terminal,
//! `--conns` and `--arp` print each connection record and ARP event once, as it happens, and the
//! tables at the end; on one, the tables are redrawn in place and nothing else is printed
//! meanwhile. What is still open when the capture stops ends as `capture_stopped`.

use std::io::{self, Write};

use super::merge::FrameEvents;
use super::{Leftovers, Stages};
use std::sync::Arc;

use crate::analyze::Sink;
use crate::filter::{DisplayFilter, Note};
use crate::decode::encap::amsdu_rest;
use crate::decode::input::{InputMaker, Tunnel, AMSDU};
use crate::decode::{decode, Input, Packet};
use crate::output::live::{self, LiveTables};
use crate::output::{Format, Printer, ViewOptions};
use crate::report::alert::ClosedBy;
use crate::report::conn::End;
use crate::report::{Event, InputError, Report};
use crate::source::live::KernelStats;
use crate::source::Frame;

/// How a live run shows events besides the packets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveShow {
    /// Text lines for connection records as connections leave the table (`--conns` off a
    /// terminal).
    pub conn_lines: bool,
    /// ARP events as they happen, even with `-q` (`--arp` off a terminal); the end's ARP table
    /// then leaves them out.
    pub arp_lines: bool,
    /// Nothing but the redrawn tables until the end (`--conns`/`--arp` on a terminal).
    pub screen: bool,
}

/// One run of the pipeline on one thread: decode, analyze, print.
pub struct Session<W: Write> {
    printer: Printer<W>,
    stages: Stages,
    events: FrameEvents,
    seen: u64,
    peak: usize,
    display: Option<Arc<DisplayFilter>>,
    /// Frames into inputs, IP fragments reassembled.
    maker: InputMaker,
    /// The tunnel of the frame in hand, if it came through one (see [`Input::tunnel`]).
    tunnels: Vec<Tunnel>,
    show: Option<LiveShow>,
    /// Echo requests waiting for replies, for `icmp.resptime` in filters and fields.
    echo: crate::output::app::EchoPairs,
    /// Stream numbers in frame order, for `tcp.stream` and `udp.stream`.
    streams: crate::analyze::stream::index::StreamNotes,
}

impl<W: Write> Session<W> {
    /// A session writing to `out` with the given view and analyzers.
    pub fn new(out: W, view: ViewOptions, stages: Stages) -> Self {
        let maker = InputMaker::new(view.defrag);
        Session { printer: Printer::new(out, view), stages, events: FrameEvents::default(), seen: 0, peak: 0, display: None, maker, tunnels: Vec::new(), show: None, echo: Default::default(), streams: Default::default() }
    }

    /// Shows (and lets `-w` write) only the packets `filter` matches, on what the analyzers
    /// knew right after each.
    pub fn with_display_filter(mut self, filter: Option<Arc<DisplayFilter>>) -> Self {
        self.display = filter;
        self
    }

    /// The session writing every record to `logs` as well.
    pub fn with_logs(mut self, logs: Option<crate::output::logs::Logs>) -> Self {
        self.printer = self.printer.with_logs(logs);
        self
    }

    /// Makes this a live run showing events as `show` says.
    pub fn live(mut self, show: LiveShow) -> Self {
        self.show = Some(show);
        self
    }

    /// Frames handled so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Decodes one frame, feeds the analyzers, prints the packet (if the display filter lets it
    /// through) and any events it raised; whether the packet passed.
    pub fn frame(&mut self, frame: &Frame<'_>) -> io::Result<bool> {
        self.seen += 1;
        let mut shown = true;
        // On the live screen the tables are all there is: a packet the display filter passes
        // is only counted (and written to -w).
        let screen = self.show.is_some_and(|s| s.screen);
        if (self.printer.shows_packets() && !screen) || self.display.is_some() {
            let p = decode(frame);
            self.tunnels.clear();
            let x = self.maker.of_packet(&p, &mut self.tunnels);
            self.analyze(&x, frame);
            if x.has(AMSDU) {
                self.subframes(&p, frame);
            }
            let field_needs = self.printer.options().fields.as_ref().map(|f| f.needs()).unwrap_or_default();
            let needs = self.display.as_ref().map(|d| d.needs()).unwrap_or_default().or(field_needs);
            let note = Note {
                conn: if needs.conn { self.stages.conns.iter().find_map(|c| c.note(&x)) } else { None },
                alert: needs.alert && self.stages.flood.alert_for(&x),
                msgs: if needs.app { super::shards::messages(self.events.sorted().iter().map(|(.., e)| e)) } else { Vec::new() },
                echo: if needs.echo { crate::output::app::echo_note(&mut self.echo, &p) } else { None },
                streams: if needs.stream { self.streams.note(frame) } else { Default::default() },
            };
            shown = self.display.as_ref().is_none_or(|d| d.matches(&p, &note));
            if shown && screen {
                self.printer.count_shown(1);
            } else if shown {
                self.printer.packet_with(&p, &note, self.events.sorted().iter().map(|(.., e)| e))?;
            }
        } else {
            self.tunnels.clear();
            let x = self.maker.input(frame, &mut self.tunnels);
            self.analyze(&x, frame);
            if x.has(AMSDU) {
                self.subframes(&decode(frame), frame);
            }
        }
        for (.., e) in self.events.sorted().drain(..) {
            match self.show {
                Some(show) => live_event(&mut self.printer, show, &e)?,
                None => self.printer.event(&e)?,
            }
        }
        Ok(shown)
    }

    fn analyze(&mut self, x: &Input, frame: &Frame<'_>) {
        let payload = payload(x, frame.data, self.stages.wants_payloads());
        self.stages.packet(x, payload, &self.tunnels, &mut self.events);
        self.peak = self.peak.max(self.stages.tracked());
    }

    /// The packets of an A-MSDU's further subframes (`first` is the frame decoded).
    fn subframes(&mut self, first: &Packet<'_>, frame: &Frame<'_>) {
        for p in amsdu_rest(first) {
            let mut x = self.maker.of_packet(&p, &mut self.tunnels);
            x.flags &= !AMSDU;
            let payload = payload(&x, frame.data, self.stages.wants_payloads());
            self.stages.subframe(&x, payload, &self.tunnels, &mut self.events);
        }
        self.peak = self.peak.max(self.stages.tracked());
    }

    /// Flushes printed output (live capture calls this as packets trickle in).
    pub fn flush(&mut self) -> io::Result<()> {
        self.printer.flush()
    }

    /// The report as it stands now (see [`Stages::snapshot`]); the run goes on unchanged.
    pub fn snapshot(&self) -> Report {
        let mut report = self.stages.snapshot();
        if let Some(c) = report.conns.as_mut() {
            c.peak = self.peak;
        }
        report
    }

    /// Moves the analyzers' clock to `ts` with no frame: what times out by then does (its
    /// events are shown as any others). For a state as it stood at a moment between frames.
    pub fn advance(&mut self, ts: crate::source::Ts) -> io::Result<()> {
        self.stages.advance(ts, &mut self.events);
        for (.., e) in self.events.sorted().drain(..) {
            match self.show {
                Some(show) => live_event(&mut self.printer, show, &e)?,
                None => self.printer.event(&e)?,
            }
        }
        Ok(())
    }

    /// Redraws the live tables from the analyzers' current state; display only, the analysis
    /// never sees the clock.
    pub fn redraw(&mut self, tables: LiveTables, clear: bool, kernel: Option<KernelStats>) -> io::Result<()> {
        let report = self.snapshot();
        live::redraw_text(self.printer.writer(), &report, tables, clear, kernel)?;
        self.printer.flush()
    }

    /// Ends the run: final events, then the report.
    pub fn finish(self, errors: &[InputError]) -> io::Result<(Report, Leftovers)> {
        let Session { mut printer, mut stages, peak, show, maker, .. } = self;
        stages.stats.reassembly = maker.defrag_stats();
        match show {
            None => finish(&mut printer, stages, peak, errors),
            Some(show) => finish_live(&mut printer, stages, peak, show),
        }
    }
}

/// The bytes of `x`'s payload in its frame's `data` that the analyzers read: a TCP payload for
/// the streams (`streams`), and what the application layer reads.
pub fn payload<'d>(x: &Input, data: &'d [u8], streams: bool) -> Option<&'d [u8]> {
    let (at, n) = match x.flow() {
        Some(f) if f.tcp && streams => (f.payload.0 as usize, f.payload.1 as usize),
        Some(f) => crate::analyze::app::span(f)?,
        None => return None,
    };
    Some(data.get(at..at.saturating_add(n)).or_else(|| data.get(at..)).unwrap_or(&[]))
}

/// One event of a live run, shown as `show` says.
fn live_event<W: Write>(printer: &mut Printer<W>, show: LiveShow, e: &Event) -> io::Result<()> {
    if show.screen {
        return Ok(());
    }
    let text = printer.options().format == Format::Text;
    match e {
        Event::Conn(c) if text && show.conn_lines => live::conn_line(printer.writer(), c),
        Event::Arp(a) if text && show.arp_lines => writeln!(printer.writer(), "{}", crate::output::arp::event_line(a)),
        _ => printer.event(e),
    }
}

/// What was still open when a live capture stopped ends as `capture_stopped`, not as the end
/// of an input.
fn stopped(e: &mut Event) {
    match e {
        Event::Conn(c) if c.end == End::EndOfInput => c.end = End::CaptureStopped,
        Event::Alert(a) if a.closed_by == ClosedBy::EndOfInput => a.closed_by = ClosedBy::CaptureStopped,
        _ => {}
    }
}

/// [`finish`] for a live run: final events as `show` says, ends named `capture_stopped`, and the
/// ARP events already printed left out of the ARP table.
fn finish_live<W: Write>(printer: &mut Printer<W>, mut stages: Stages, peak: usize, show: LiveShow) -> io::Result<(Report, Leftovers)> {
    let show = LiveShow { screen: false, ..show };
    let mut sink = LiveSink { printer, show, err: None };
    let mut report = stages.finish(peak, &mut sink);
    if let Some(e) = sink.err {
        return Err(e);
    }
    if let Some(c) = report.conns.as_mut() {
        for (end, _) in c.by_end.iter_mut() {
            if *end == End::EndOfInput {
                *end = End::CaptureStopped;
            }
        }
        for r in c.rows.iter_mut().filter(|r| r.end == End::EndOfInput) {
            r.end = End::CaptureStopped;
        }
    }
    for a in report.alerts.iter_mut().filter(|a| a.closed_by == ClosedBy::EndOfInput) {
        a.closed_by = ClosedBy::CaptureStopped;
    }
    if show.arp_lines && printer.options().format == Format::Text {
        if let Some(a) = report.arp.as_mut() {
            a.events.clear();
        }
    }
    let opts = printer.options().clone();
    match (opts.format, &report.conns) {
        // The table at the end lists the connections (with `-q` too, when `--conns` asked).
        (Format::Text, Some(c)) if show.conn_lines => {
            printer.finish_logs(&report)?;
            crate::output::summary::report_text(printer.writer(), &report, !opts.quiet)?;
            printer.display_filter_line(&report)?;
            crate::output::conns::text(printer.writer(), c, opts.verbose, true, true)?;
        }
        _ => printer.report(&report)?,
    }
    printer.flush()?;
    Ok((report, Leftovers::of(stages)))
}

/// The final events of a live run, renamed by [`stopped`] and shown as its events were.
struct LiveSink<'a, W: Write> {
    printer: &'a mut Printer<W>,
    show: LiveShow,
    err: Option<io::Error>,
}

impl<W: Write> Sink for LiveSink<'_, W> {
    fn event(&mut self, mut e: Event) {
        if self.err.is_none() {
            stopped(&mut e);
            // The connections still open are listed by the table at the end.
            if self.show.conn_lines && matches!(e, Event::Conn(_)) && self.printer.options().format == Format::Text {
                return;
            }
            if let Err(err) = live_event(self.printer, self.show, &e) {
                self.err = Some(err);
            }
        }
    }
}

/// Ends a run on `printer`: the analyzers' final events as they come, then the report with
/// `errors` (the inputs that could not be read to their end).
pub fn finish<W: Write>(
    printer: &mut Printer<W>,
    mut stages: Stages,
    peak: usize,
    errors: &[InputError],
) -> io::Result<(Report, Leftovers)> {
    let mut sink = PrintSink { printer, err: None };
    let mut report = stages.finish(peak, &mut sink);
    if let Some(e) = sink.err {
        return Err(e);
    }
    report.errors = errors.to_vec();
    printer.report(&report)?;
    printer.flush()?;
    Ok((report, Leftovers::of(stages)))
}

/// Prints final events as they are made; the first write error stops the printing and is kept.
struct PrintSink<'a, W: Write> {
    printer: &'a mut Printer<W>,
    err: Option<io::Error>,
}

impl<W: Write> Sink for PrintSink<'_, W> {
    fn event(&mut self, e: Event) {
        if self.err.is_none() {
            if let Err(err) = self.printer.event(&e) {
                self.err = Some(err);
            }
        }
    }
}
