//! Output: renderers of packets, events and the report. Text and JSON share one sink.
//!
//! Everything goes through one buffered writer; a closed pipe surfaces as an
//! `io::ErrorKind::BrokenPipe` error that the caller turns into a quiet, successful exit.

pub mod alert;
pub mod app;
pub mod app_tables;
pub mod arp;
pub mod conns;
pub mod fields;
pub mod html;
pub mod igmp;
pub mod follow;
pub mod json;
pub mod ladder;
pub mod layers;
pub mod line;
pub mod live;
pub mod logs;
pub mod plot;
pub mod summary;
pub mod table;
pub mod traffic;
pub mod tui;
pub mod web;


use std::io::{self, Write};

use crate::decode::defrag::Defrag;
use crate::decode::Packet;
use crate::report::{Event, Report};
pub use table::count;

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable lines and tables.
    #[default]
    Text,
    /// JSON Lines, one object per packet, event and summary.
    Json,
    /// Text, with every table as tab-separated values under a header line.
    Tsv,
}

impl Format {
    /// Whether this is text (drawn or tab-separated tables).
    pub fn is_text(self) -> bool {
        self != Format::Json
    }
}

/// A hex dump after each packet, as tcpdump's -x and -X.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dump {
    /// None.
    #[default]
    None,
    /// Hex (`-x`, `-xx`).
    Hex,
    /// Hex and ASCII (`-X`, `-XX`).
    HexAscii,
}

/// How each line's time stamp is written (tcpdump's -t options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stamp {
    /// `HH:MM:SS.uuuuuu` (the default).
    #[default]
    Clock,
    /// None (`-t`).
    Off,
    /// Seconds since 1970 (`-tt`).
    Epoch,
    /// Since the previous packet shown (`-ttt`).
    Delta,
    /// Date and time (`-tttt`).
    Date,
    /// Since the first packet shown (`-ttttt`).
    SinceFirst,
}

/// What to show, resolved from the command line.
#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    /// Text or JSON.
    pub format: Format,
    /// Five-layer tree per packet (`-V`).
    pub verbose: bool,
    /// Hex dump after each packet (`-x`, `-X`).
    pub dump: Dump,
    /// The dump includes the link header (`-xx`, `-XX`).
    pub dump_link: bool,
    /// The packet as ASCII after its line (`-A`).
    pub ascii: bool,
    /// Link-layer header on each line (`-e`).
    pub link: bool,
    /// Absolute TCP sequence numbers (`-S`).
    pub absolute: bool,
    /// More detail in each line (`-v` counted).
    pub detail: u8,
    /// Time stamps (`-t` counted).
    pub stamp: Stamp,
    /// Times in the local time zone (`--local-time`).
    pub local_time: bool,
    /// No per-packet output, only the summary counts (`-q`).
    pub quiet: bool,
    /// Packet lines only: no events, no summary (`-L`).
    /// Packet lines begin with their number among the packets shown (tcpdump's `-#`).
    pub number: bool,
    pub lines_only: bool,
    /// Flush after each packet (`-l`).
    pub line_buffered: bool,
    /// The fields of `-T fields -e`.
    pub fields: Option<std::sync::Arc<fields::FieldList>>,
    /// The display filter's text, for the summary's count of what it showed.
    pub display_filter: Option<String>,
    /// Nothing goes to standard output (it carries the `-w -` capture).
    pub muted: bool,
    /// `conns` streams each connection's row as it leaves the table, at most this many.
    pub conn_rows: Option<usize>,
    /// `conns -Y`: only the connections with a packet the display filter lets through; kept
    /// here (not by the tracker, which sees no verdicts) in this order and number when sorted.
    pub conn_filter: Option<(crate::cli::ConnSort, usize)>,
    /// Only the connection table in the summary (`inspect conns`).
    pub conns_only: bool,
    /// Show only the ARP table and its events (`inspect arp`).
    pub arp_only: bool,
    /// IP fragment reassembly's limits (the same as where inputs are made, so that the same
    /// frames complete the same datagrams).
    pub defrag: crate::decode::defrag::DefragConfig,
}

/// Whether `p` is an IP fragment.
fn fragment(p: &Packet<'_>) -> bool {
    p.fragmented()
}

/// The sink every run writes to.
pub struct Printer<W: Write> {
    w: W,
    opts: ViewOptions,
    line: line::LineFormatter,
    buf: String,
    /// Echo requests waiting for replies (`icmp.resptime`, the tree's round trip).
    echo: app::EchoPairs,
    /// Packets the display filter let through.
    shown: u64,
    /// Whether the `-T fields -E header=y` line is still to come.
    header: bool,
    /// The connection rows streamed so far (`conns`).
    rows: Option<conns::RowStream>,
    /// `conns -Y`: the uids of the connections a shown packet belonged to, until their
    /// record comes; how many records were shown and seen; the rows kept when sorted.
    conn_uids: rustc_hash::FxHashSet<[u8; 12]>,
    conns_shown: u64,
    conns_seen: u64,
    conn_kept: Vec<crate::report::conn::ConnRecord>,
    /// Reassembles IP fragments, so that the frame completing a datagram shows its transport
    /// layer in JSON and `-V`, as tshark shows it.
    defrag: Defrag,
    /// The record files (`--log-dir`, `--parquet`): every record event goes there too.
    logs: Option<logs::Logs>,
}

impl<W: Write> Printer<W> {
    /// A printer writing to `w` (wrap it in a `BufWriter` for files and pipes).
    pub fn new(w: W, opts: ViewOptions) -> Self {
        let line = line::LineFormatter::with(&opts);
        let header = opts.fields.as_ref().is_some_and(|f| f.header);
        let defrag = Defrag::new(opts.defrag);
        let rows = opts.conn_rows.map(|max| conns::RowStream::new(max, opts.format == Format::Tsv, table::fit_width()));
        Printer {
            w,
            opts,
            line,
            buf: String::with_capacity(4096),
            shown: 0,
            header,
            rows,
            conn_uids: Default::default(),
            conns_shown: 0,
            conns_seen: 0,
            conn_kept: Vec::new(),
            echo: app::EchoPairs::default(),
            defrag,
            logs: None,
        }
    }

    /// The printer writing every record to `logs` as well.
    pub fn with_logs(mut self, logs: Option<logs::Logs>) -> Self {
        self.logs = logs;
        self
    }

    /// Writes stats.log's row and closes the record files (once; later calls do nothing).
    pub fn finish_logs(&mut self, r: &Report) -> io::Result<()> {
        match self.logs.take() {
            Some(mut l) => l.finish(r),
            None => Ok(()),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &ViewOptions {
        &self.opts
    }

    /// Whether packets are printed at all (not with `-q`, nor when standard output carries a
    /// capture).
    pub fn shows_packets(&self) -> bool {
        !self.opts.quiet && !self.opts.muted
    }

    /// Counts packets that passed the display filter without being printed (`-q`).
    pub fn count_shown(&mut self, n: u64) {
        self.shown += n;
    }

    /// Writes one packet as the options say (nothing with `-q`); `note` is what the analyzers
    /// knew of it, for `-T fields`.
    pub fn packet(&mut self, p: &Packet<'_>, note: &crate::filter::Note) -> io::Result<()> {
        self.packet_with(p, note, &[])
    }

    /// [`Printer::packet`] with the application messages the packet completed (the
    /// `Event::Message`s among `events`, the frame's events).
    pub fn packet_with<'e>(
        &mut self,
        p: &Packet<'_>,
        note: &crate::filter::Note,
        events: impl IntoIterator<Item = &'e Event>,
    ) -> io::Result<()> {
        self.shown += 1;
        if self.opts.conn_filter.is_some() {
            if let Some(c) = &note.conn {
                self.conn_uids.insert(c.uid);
            }
        }
        if !self.shows_packets() {
            return Ok(());
        }
        let msgs: Vec<&crate::report::web::Message> =
            events.into_iter().filter_map(|e| if let Event::Message(m) = e { Some(&**m) } else { None }).collect();
        self.buf.clear();
        self.fields_header()?;
        if let Some(f) = &self.opts.fields {
            f.line(&mut self.buf, p, note);
            self.buf.push('\n');
            return self.write_packet();
        }
        let structured = self.opts.format == Format::Json || self.opts.verbose;
        let whole = if structured && fragment(p) {
            let now = p.ts.as_nanos().clamp(i64::MIN as i128, i64::MAX as i128) as i64;
            self.defrag.packet(p, now).map(|w| w.decode(p))
        } else {
            None
        };
        match self.opts.format {
            // The application layer of the whole datagram when this fragment completed one.
            Format::Json => {
                json::packet_whole(&mut self.buf, p, whole.as_ref());
                app::json_tail(&mut self.buf, whole.as_ref().map_or(p, |w| &w.packet), &mut self.echo);
                web::json(&mut self.buf, &msgs);
            }
            _ if self.opts.verbose => {
                layers::packet_whole(&mut self.buf, p, whole.as_ref());
                app::tree(&mut self.buf, whole.as_ref().map_or(p, |w| &w.packet), &mut self.echo);
                web::tree(&mut self.buf, &msgs);
            }
            _ => {
                self.line.format(&mut self.buf, p);
                if !msgs.is_empty() {
                    web::line(&mut self.buf, p.ports().map(|(_, s, d)| (s, d)), &msgs);
                }
            }
        }
        if !self.buf.ends_with('\n') {
            self.buf.push('\n');
        }
        if self.opts.format.is_text() {
            let from = if self.opts.dump_link { 0 } else { p.net_offset.min(p.data.len()) };
            let bytes = p.data.get(from..).unwrap_or(&[]);
            let indent = if self.opts.verbose { "    " } else { "\t" };
            match self.opts.dump {
                Dump::None => {}
                Dump::Hex => layers::hex(&mut self.buf, bytes, false, indent),
                Dump::HexAscii => layers::hex(&mut self.buf, bytes, true, indent),
            }
            if self.opts.ascii {
                // The network layer, up to the IP length (tcpdump leaves out Ethernet padding).
                let from = p.net_offset.min(p.data.len());
                let to = match p.ip_len() {
                    0 => p.data.len(),
                    n => (from + n as usize).min(p.data.len()),
                };
                layers::ascii(&mut self.buf, p.data.get(from..to).unwrap_or(&[]));
            }
            if self.opts.verbose {
                self.buf.push('\n');
            }
        }
        self.write_packet()
    }

    fn fields_header(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.header) {
            if let Some(f) = &self.opts.fields {
                writeln!(self.w, "{}", f.header_line())?;
            }
        }
        Ok(())
    }

    /// Whether only packets are written: `-L`, `-T fields`, or a capture on standard output.
    fn packets_only(&self) -> bool {
        self.opts.lines_only || self.opts.muted || self.opts.fields.is_some()
    }

    fn write_packet(&mut self) -> io::Result<()> {
        self.w.write_all(self.buf.as_bytes())?;
        if self.opts.line_buffered {
            self.w.flush()?;
        }
        Ok(())
    }

    /// Writes an event as it happens.
    pub fn event(&mut self, e: &Event) -> io::Result<()> {
        if let Some(l) = self.logs.as_mut() {
            l.event(e)?;
        }
        if matches!(e, Event::Message(_) | Event::FloodSeg(_)) {
            // Shown with its packet; or only for the record files.
            return Ok(());
        }
        if self.packets_only() {
            return Ok(());
        }
        if let (Some((sort, limit)), Event::Conn(r)) = (self.opts.conn_filter, e) {
            // Its packets have all been judged: the record comes after the last of them.
            self.conns_seen += 1;
            let uid: Option<[u8; 12]> = r.uid.as_bytes().try_into().ok();
            if !uid.is_some_and(|u| self.conn_uids.remove(&u)) {
                return Ok(());
            }
            self.conns_shown += 1;
            if self.rows.is_none() && self.opts.format.is_text() {
                self.conn_kept.push((**r).clone());
                if self.conn_kept.len() >= limit.saturating_mul(2).max(1024) {
                    self.conn_kept.sort_by(crate::analyze::tcp::tracker::by_row_key(sort));
                    self.conn_kept.truncate(limit);
                }
                return Ok(());
            }
        }
        if let (Some(rows), Event::Conn(r)) = (self.rows.as_mut(), e) {
            return rows.row(&mut self.w, r);
        }
        if self.opts.arp_only && !matches!(e, Event::Arp(_)) {
            return Ok(());
        }
        if (self.opts.arp_only || self.opts.quiet) && self.opts.format.is_text() && matches!(e, Event::Arp(_)) {
            // `inspect arp` and `-q` list ARP events once, with the table at the end; alerts
            // still print as they happen.
            return Ok(());
        }
        match self.opts.format {
            Format::Json => {
                let (_, line) = summary::event_json(e);
                writeln!(self.w, "{line}")
            }
            Format::Text | Format::Tsv => match summary::event_text(e) {
                Some(line) => writeln!(self.w, "{line}"),
                None => Ok(()),
            },
        }
    }

    /// Writes the end-of-run report.
    pub fn report(&mut self, r: &Report) -> io::Result<()> {
        self.finish_logs(r)?;
        if self.packets_only() {
            return self.fields_header();
        }
        if self.opts.arp_only {
            return match self.opts.format {
                // The `stats` object, then the `arp` objects and the `arp_summary`.
                Format::Json => summary::report_json(&mut self.w, r, None),
                Format::Text | Format::Tsv => arp::report_only_text(&mut self.w, r),
            };
        }
        let shown = self.opts.display_filter.as_ref().map(|f| (f.as_str(), self.shown));
        // `-q` keeps the counts; the tables only without it.
        let tables = !self.opts.quiet;
        match self.opts.format {
            Format::Json => summary::report_json(&mut self.w, r, shown),
            _ if self.opts.conns_only => {
                if let Some(rows) = self.rows.as_mut() {
                    rows.finish(&mut self.w)?;
                }
                let Some(c) = &r.conns else { return Ok(()) };
                let Some((sort, limit)) = self.opts.conn_filter else {
                    return conns::text(&mut self.w, c, self.opts.verbose, self.rows.is_none(), true);
                };
                // The table of the connections the display filter kept.
                let mut c = c.clone();
                self.conn_kept.sort_by(crate::analyze::tcp::tracker::by_row_key(sort));
                self.conn_kept.truncate(limit);
                c.rows = std::mem::take(&mut self.conn_kept);
                c.matched = self.conns_shown;
                conns::text(&mut self.w, &c, self.opts.verbose, self.rows.is_none(), true)?;
                let f = self.opts.display_filter.as_deref().unwrap_or_default();
                writeln!(self.w, "Display filter {f:?}: {} of {} shown", self.conns_shown, count(self.conns_seen, "connection", "connections"))
            }
            Format::Text | Format::Tsv => {
                summary::report_text(&mut self.w, r, tables)?;
                self.display_filter_line(r)?;
                if let Some(c) = &r.conns {
                    // The rows only when the tables are shown, or when a filter asked for them.
                    conns::text(&mut self.w, c, self.opts.verbose, tables || !c.filter.is_empty(), tables)?;
                }
                if let Some(a) = &r.app {
                    app_tables::text(&mut self.w, a, tables)?;
                }
                // The series are kept only when pictures are asked for (`--plot`).
                match &r.series {
                    Some(s) => plot::sparklines(&mut self.w, s, true),
                    None => Ok(()),
                }
            }
        }
    }

    /// The text summary's line saying how many packets the display filter let through.
    pub fn display_filter_line(&mut self, r: &Report) -> io::Result<()> {
        match &self.opts.display_filter {
            Some(f) => writeln!(self.w, "Display filter {f:?}: {} of {} shown", self.shown, count(r.stats.packets, "packet", "packets")),
            None => Ok(()),
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
