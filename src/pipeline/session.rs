//! The pipeline on one thread, one frame at a time: live capture, where each frame is shown as
//! soon as it arrives. It runs the same [`Stages`] as the batched pipeline and merges their
//! events the same way, so both print the same for the same frames.

use std::io::{self, Write};

use super::merge::FrameEvents;
use super::{Leftovers, Stages};
use std::sync::Arc;

use crate::analyze::Sink;
use crate::filter::{DisplayFilter, Note};
use crate::decode::{decode, input, Input};
use crate::output::live::LiveTables;
use crate::output::{Printer, ViewOptions};
use crate::report::{Event, InputError, Report};
use crate::source::Frame;

/// One run of the pipeline on one thread: decode, analyze, print.
pub struct Session<W: Write> {
    printer: Printer<W>,
    stages: Stages,
    events: FrameEvents,
    seen: u64,
    peak: usize,
    display: Option<Arc<DisplayFilter>>,
}

impl<W: Write> Session<W> {
    /// A session writing to `out` with the given view and analyzers.
    pub fn new(out: W, view: ViewOptions, stages: Stages) -> Self {
        Session { printer: Printer::new(out, view), stages, events: FrameEvents::default(), seen: 0, peak: 0, display: None }
    }

    /// Shows (and lets `-w` write) only the packets `filter` matches, on what the analyzers
    /// knew right after each.
    pub fn with_display_filter(mut self, filter: Option<Arc<DisplayFilter>>) -> Self {
        self.display = filter;
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
        if self.printer.shows_packets() || self.display.is_some() {
            let p = decode(frame);
            let x = Input::of_packet(&p);
            self.analyze(&x, frame);
            let field_needs = self.printer.options().fields.as_ref().map(|f| f.needs()).unwrap_or_default();
            let needs = self.display.as_ref().map(|d| d.needs()).unwrap_or_default().or(field_needs);
            let note = Note {
                conn: if needs.conn { self.stages.conns.iter().find_map(|c| c.note(&x)) } else { None },
                alert: needs.alert && self.stages.flood.alert_for(&x),
            };
            shown = self.display.as_ref().is_none_or(|d| d.matches(&p, &note));
            if shown {
                self.printer.packet(&p, &note)?;
            }
        } else {
            self.analyze(&input(frame), frame);
        }
        for (.., e) in self.events.sorted().drain(..) {
            self.printer.event(&e)?;
        }
        Ok(shown)
    }

    fn analyze(&mut self, x: &Input, frame: &Frame<'_>) {
        // TCP payloads for the streams, and the bytes the application layer reads.
        let span = match x.flow() {
            Some(f) if f.tcp && self.stages.wants_payloads() => Some((f.payload.0 as usize, f.payload.1 as usize)),
            Some(f) => crate::analyze::app::span(f),
            None => None,
        };
        let payload = span.map(|(at, n)| frame.data.get(at..at.saturating_add(n)).or_else(|| frame.data.get(at..)).unwrap_or(&[]));
        self.stages.packet(x, payload, &mut self.events);
        self.peak = self.peak.max(self.stages.tracked());
    }

    /// Flushes printed output (live capture calls this as packets trickle in).
    pub fn flush(&mut self) -> io::Result<()> {
        self.printer.flush()
    }

    /// Redraws the live tables from the analyzers' current state; display only, the analysis
    /// never sees the clock.
    pub fn redraw(&mut self, tables: LiveTables, clear: bool) -> io::Result<()> {
        let mut report = self.stages.snapshot();
        if let Some(c) = report.conns.as_mut() {
            c.peak = self.peak;
        }
        self.printer.redraw(&report, tables, clear)?;
        self.printer.flush()
    }

    /// Ends the run: final events, then the report.
    pub fn finish(self, errors: &[InputError]) -> io::Result<(Report, Leftovers)> {
        let Session { mut printer, stages, peak, .. } = self;
        finish(&mut printer, stages, peak, errors)
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
