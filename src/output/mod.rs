//! Output: renderers of packets, events and the report. Text and JSON share one sink.
//!
//! Everything goes through one buffered writer; a closed pipe surfaces as an
//! `io::ErrorKind::BrokenPipe` error that the caller turns into a quiet, successful exit.

pub mod alert;
pub mod arp;
pub mod conns;
pub mod follow;
pub mod json;
pub mod ladder;
pub mod layers;
pub mod line;
pub mod live;
pub mod summary;
pub mod table;

pub use table::count;

use std::io::{self, Write};

use crate::decode::Packet;
use crate::report::{Event, Report};

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable lines and tables.
    #[default]
    Text,
    /// JSON Lines, one object per packet, event and summary.
    Json,
}

/// What to show, resolved from the command line.
#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    /// Text or JSON.
    pub format: Format,
    /// Five-layer tree per packet (`-V`).
    pub verbose: bool,
    /// Hex and ASCII dump (`-x`).
    pub hex: bool,
    /// Link-layer header on each line (`-e`).
    pub link: bool,
    /// Absolute TCP sequence numbers (`-S`).
    pub absolute: bool,
    /// No per-packet output, only the summary (`-q`).
    pub quiet: bool,
    /// Only the connection table in the summary (`inspect conns`).
    pub conns_only: bool,
    /// Show only the ARP table and its events (`inspect arp`).
    pub arp_only: bool,
}

/// The sink every run writes to.
pub struct Printer<W: Write> {
    w: W,
    opts: ViewOptions,
    line: line::LineFormatter,
    buf: String,
}

impl<W: Write> Printer<W> {
    /// A printer writing to `w` (wrap it in a `BufWriter` for files and pipes).
    pub fn new(w: W, opts: ViewOptions) -> Self {
        let line = line::LineFormatter::new(opts.absolute, opts.link);
        Printer { w, opts, line, buf: String::with_capacity(4096) }
    }

    /// The options in force.
    pub fn options(&self) -> &ViewOptions {
        &self.opts
    }

    /// Whether packets are printed at all (not with `-q`).
    pub fn shows_packets(&self) -> bool {
        !self.opts.quiet
    }

    /// Writes one packet as the options say (nothing with `-q`).
    pub fn packet(&mut self, p: &Packet<'_>) -> io::Result<()> {
        if self.opts.quiet {
            return Ok(());
        }
        self.buf.clear();
        match self.opts.format {
            Format::Json => json::packet(&mut self.buf, p),
            Format::Text if self.opts.verbose => layers::packet(&mut self.buf, p),
            Format::Text => self.line.format(&mut self.buf, p),
        }
        if !self.buf.ends_with('\n') {
            self.buf.push('\n');
        }
        if self.opts.hex && self.opts.format == Format::Text {
            layers::hex(&mut self.buf, p.data);
        }
        if self.opts.verbose && self.opts.format == Format::Text {
            self.buf.push('\n');
        }
        self.w.write_all(self.buf.as_bytes())
    }

    /// Writes an event as it happens.
    pub fn event(&mut self, e: &Event) -> io::Result<()> {
        if self.opts.arp_only && !matches!(e, Event::Arp(_)) {
            return Ok(());
        }
        if (self.opts.arp_only || self.opts.quiet) && self.opts.format == Format::Text && matches!(e, Event::Arp(_)) {
            // `inspect arp` and `-q` list ARP events once, with the table at the end; alerts
            // still print as they happen.
            return Ok(());
        }
        match self.opts.format {
            Format::Json => {
                let (_, line) = summary::event_json(e);
                writeln!(self.w, "{line}")
            }
            Format::Text => match summary::event_text(e) {
                Some(line) => writeln!(self.w, "{line}"),
                None => Ok(()),
            },
        }
    }

    /// Writes the end-of-run report.
    pub fn report(&mut self, r: &Report) -> io::Result<()> {
        if self.opts.arp_only {
            return match self.opts.format {
                // The `stats` object, then the `arp` objects and the `arp_summary`.
                Format::Json => summary::report_json(&mut self.w, r),
                Format::Text => arp::report_only_text(&mut self.w, r),
            };
        }
        match self.opts.format {
            Format::Json => summary::report_json(&mut self.w, r),
            Format::Text if self.opts.conns_only => match &r.conns {
                Some(c) => conns::text(&mut self.w, c, self.opts.verbose, true),
                None => Ok(()),
            },
            Format::Text => {
                summary::report_text(&mut self.w, r)?;
                match &r.conns {
                    // `-q` keeps the totals; the rows only when a filter asked for them.
                    Some(c) => conns::text(&mut self.w, c, self.opts.verbose, !self.opts.quiet || !c.filter.is_empty()),
                    None => Ok(()),
                }
            }
        }
    }

    /// The output itself, for what a live capture writes besides packets and events.
    pub fn writer(&mut self) -> &mut W {
        &mut self.w
    }

    /// Flushes buffered output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}
