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
use crate::analyze::Sink;
use crate::decode::{decode, input, Input};
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
    show: Option<LiveShow>,
}

impl<W: Write> Session<W> {
    /// A session writing to `out` with the given view and analyzers.
    pub fn new(out: W, view: ViewOptions, stages: Stages) -> Self {
        Session { printer: Printer::new(out, view), stages, events: FrameEvents::default(), seen: 0, peak: 0, show: None }
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

    /// Decodes one frame, feeds the analyzers, prints the packet and any events it raised.
    pub fn frame(&mut self, frame: &Frame<'_>) -> io::Result<()> {
        self.seen += 1;
        // On the live screen the tables are all there is.
        if self.printer.shows_packets() && !self.show.is_some_and(|s| s.screen) {
            let p = decode(frame);
            let x = Input::of_packet(&p);
            self.analyze(&x, frame);
            self.printer.packet(&p)?;
        } else {
            self.analyze(&input(frame), frame);
        }
        for (.., e) in self.events.sorted().drain(..) {
            match self.show {
                Some(show) => live_event(&mut self.printer, show, &e)?,
                None => self.printer.event(&e)?,
            }
        }
        Ok(())
    }

    fn analyze(&mut self, x: &Input, frame: &Frame<'_>) {
        let payload = match x.flow() {
            Some(f) if f.tcp && self.stages.wants_payloads() => {
                let (at, n) = (f.payload.0 as usize, f.payload.1 as usize);
                Some(frame.data.get(at..at.saturating_add(n)).unwrap_or(&[]))
            }
            _ => None,
        };
        self.stages.packet(x, payload, &mut self.events);
        self.peak = self.peak.max(self.stages.tracked());
    }

    /// Flushes printed output (live capture calls this as packets trickle in).
    pub fn flush(&mut self) -> io::Result<()> {
        self.printer.flush()
    }

    /// Redraws the live tables from the analyzers' current state; display only, the analysis
    /// never sees the clock.
    pub fn redraw(&mut self, tables: LiveTables, clear: bool, kernel: Option<KernelStats>) -> io::Result<()> {
        let mut report = self.stages.snapshot();
        if let Some(c) = report.conns.as_mut() {
            c.peak = self.peak;
        }
        live::redraw_text(self.printer.writer(), &report, tables, clear, kernel)?;
        self.printer.flush()
    }

    /// Ends the run: final events, then the report.
    pub fn finish(self, errors: &[InputError]) -> io::Result<(Report, Leftovers)> {
        let Session { mut printer, stages, peak, show, .. } = self;
        match show {
            None => finish(&mut printer, stages, peak, errors),
            Some(show) => finish_live(&mut printer, stages, peak, show),
        }
    }
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
            crate::output::summary::report_text(printer.writer(), &report)?;
            crate::output::conns::text(printer.writer(), c, opts.verbose, true)?;
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
