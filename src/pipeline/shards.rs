//! The pipeline in batches, on as many threads as asked (`read --threads N`).
//!
//! Placement, for `N` threads:
//! - one thread reads the inputs, makes each frame's [`Input`] and hands batches of inputs (and,
//!   when packets are shown, of frame bytes) on;
//! - one thread runs the first flow shard, merges every stage's events back into frame order and
//!   writes the output;
//! - each of the `N - 2` others runs one more flow shard;
//! - the stages keyed otherwise than by flow (the statistics, the ARP table and the SYN-flood
//!   detector, one instance each) run a batch at a time on whichever of the first two has room:
//!   the reading thread instead of waiting for room to hand a batch on, the writing thread when
//!   the batch it is to write still needs them. Batches reach them in the order they were read,
//!   under their lock ([`KeyedLane`]). On two cores no fixed place balances the two threads.
//!
//! With one thread, the reading thread does all of it, a batch at a time. Every shard sees
//! every batch (for the time) and tracks the flows of its own partitions; each returns, per
//! batch, its events and how many connections it held after each frame, from which the output
//! thread takes the most held at once over all shards. Batches in flight are bounded, and spent
//! batches go back to the reading thread to be filled again, so memory stays flat. Frames borrow
//! the reader's buffer, so a batch keeps its own copy of the bytes of the frames it shows.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use super::merge::{FrameEvents, Pos, Tagged};
use super::session::finish;
use super::{Leftovers, Stages};
use crate::analyze::arp::ArpAnalyzer;
use crate::analyze::flood::FloodAnalyzer;
use crate::analyze::stats::StatsAnalyzer;
use crate::analyze::traffic::Traffic;
use crate::report::traffic::Services;
use crate::analyze::tcp::ConnTracker;
use crate::analyze::{Analyzer, LookAhead};
use crate::decode::defrag::DefragConfig;
use crate::decode::encap::amsdu_rest;
use crate::decode::input::{InputMaker, Tunnel, AMSDU};
use crate::decode::{decode, Input};
use crate::output::Printer;
use crate::report::{InputError, Report};
use crate::filter::{ConnNote, DisplayFilter, Needs, Note};
use crate::source::file::FileSource;
use crate::source::write::CaptureWriter;
use crate::source::filter::BpfFilter;
use crate::source::{Frame, Ts};

/// Frames per batch: large enough that hand-offs cost nothing per frame.
const BATCH_FRAMES: usize = 4096;
/// Bytes of frame data after which a batch is sent even if it has fewer frames.
const BATCH_BYTES: usize = 4 << 20;
/// Most batches queued between two threads: the bound on the extra memory (of frame bytes, up
/// to [`BATCH_BYTES`] each, when packets are shown).
const QUEUED: usize = 6;
/// Inputs a look-ahead window holds (see [`LookAhead`]).
const WARM: usize = 16;
/// How many windows ahead of the inputs the look-ahead runs.
const WARM_WINDOWS: usize = 2;

/// What is read from the inputs.
pub struct Inputs<'a> {
    /// The files, in order (`-` is standard input).
    pub files: &'a [String],
    /// At most this many frames.
    pub limit: u64,
    /// A capture filter, applied before decoding.
    pub filter: Option<&'a str>,
    /// Bytes kept of each frame.
    pub snaplen: Option<u32>,
    /// A display filter on the packet alone, which the reading thread evaluates where the
    /// frame's bytes are at hand (one that reads the analyzers' notes goes to [`Back`]).
    pub early: Option<&'a DisplayFilter>,
    /// The limits of IP fragment reassembly.
    pub defrag: DefragConfig,
    /// The files from this place on are read only to finish the connections open at the end
    /// of those before (`--partial --next`); `files.len()` when there are none.
    pub continued_from: usize,
}

/// What the writing thread does besides printing: a display filter that reads the analyzers'
/// notes, and `-w`.
#[derive(Default)]
pub struct Output {
    /// A display filter evaluated after the analyzers saw each frame.
    pub late: Option<Arc<DisplayFilter>>,
    /// Where the frames shown are written.
    pub writer: Option<CaptureWriter>,
    /// The analyzers' notes to make: for `late`, and for `-T fields` that print them.
    pub needs: Needs,
    /// `read -z`: statistics counted over the frames read, written after the report.
    pub tables: Option<StatTables>,
}

/// Statistics counted where the frames are read (`read -z`), and how to write them once the
/// report is out.
pub struct StatTables {
    /// The counters (None: only the tracker's per-service counts are asked for).
    pub traffic: Option<Traffic>,
    /// Writes them, and the connections per service when asked for.
    pub write: Box<WriteTables>,
}

/// Writes `read -z`'s tables: the counters' and the per-service counts.
pub type WriteTables = dyn FnOnce(Option<&Traffic>, Option<&Services>, &mut dyn Write) -> io::Result<()>;

/// One frame's metadata; its bytes are `Batch::bytes[start..start + caplen]`.
struct Meta {
    start: usize,
    caplen: u32,
    number: u64,
    ts: Ts,
    linktype: u32,
    len: u32,
    interface: u32,
    ts_known: bool,
}

/// Frames read, as inputs (and frames, when packets are shown; and TCP payloads, when streams
/// are reassembled), with the reading thread's events.
#[derive(Default)]
struct Batch {
    inputs: Vec<Input>,
    /// The tunnels the inputs came through ([`Input::tunnel`]).
    tunnels: Vec<Tunnel>,
    bytes: Vec<u8>,
    frames: Vec<Meta>,
    /// Whether each frame passed the reading thread's display filter, when there is one.
    pass: Vec<bool>,
    /// The captured TCP payloads, and where each input's lies in them (empty when streams are
    /// not reassembled).
    payloads: Vec<u8>,
    spans: Vec<(u32, u32)>,
    /// The inputs of A-MSDU subframes after the first, in frame order (see [`Sub`]).
    subs: Vec<Sub>,
    /// Events of the keyed stages, once they have run over the batch.
    keyed: OnceLock<KeyedOut>,
}

/// The input of a further A-MSDU subframe of frame `frame` (its place in the batch), which the
/// analyzers of packets see right after the frame's own input, and its payload's span.
struct Sub {
    frame: u32,
    input: Input,
    span: (u32, u32),
}

/// What the keyed stages made of a batch.
struct KeyedOut {
    events: Vec<Tagged>,
    /// For each frame, whether it belongs to an open SYN-flood alert's target (when asked).
    alerts: Vec<bool>,
}

impl Batch {
    fn new(keep_frames: bool) -> Batch {
        let mut b = Batch { inputs: Vec::with_capacity(BATCH_FRAMES), ..Batch::default() };
        if keep_frames {
            b.bytes.reserve(BATCH_BYTES + 65_536);
            b.frames.reserve(BATCH_FRAMES);
        }
        b
    }

    fn clear(&mut self) {
        self.inputs.clear();
        self.tunnels.clear();
        self.bytes.clear();
        self.frames.clear();
        self.pass.clear();
        self.payloads.clear();
        self.spans.clear();
        self.subs.clear();
        self.keyed.take();
    }

    fn is_full(&self) -> bool {
        self.inputs.len() + self.subs.len() >= BATCH_FRAMES || self.bytes.len() >= BATCH_BYTES || self.payloads.len() >= BATCH_BYTES
    }

    /// Input `i`'s TCP payload, when payloads travel with the batch.
    fn payload(&self, i: usize) -> Option<&[u8]> {
        Some(self.kept(*self.spans.get(i)?))
    }

    /// The payload bytes kept at `span` ([`keep_payload`]).
    fn kept(&self, (at, n): (u32, u32)) -> &[u8] {
        self.payloads.get(at as usize..at as usize + n as usize).unwrap_or(&[])
    }

    /// The inputs of frame `i`'s further A-MSDU subframes.
    fn subs_of(&self, i: usize) -> &[Sub] {
        if self.subs.is_empty() {
            return &[];
        }
        let from = self.subs.partition_point(|s| (s.frame as usize) < i);
        let to = self.subs.partition_point(|s| (s.frame as usize) <= i);
        self.subs.get(from..to).unwrap_or(&[])
    }

    fn frame(&self, i: usize) -> Option<Frame<'_>> {
        let m = self.frames.get(i)?;
        Some(Frame {
            number: m.number,
            ts: m.ts,
            linktype: m.linktype,
            len: m.len,
            data: self.bytes.get(m.start..m.start + m.caplen as usize).unwrap_or(&[]),
            interface: m.interface,
            ts_known: m.ts_known,
        })
    }
}

/// Copies the payload of `x` in its frame's `data` that the analyzers read into the batch;
/// where it lies there.
fn keep_payload(batch: &mut Batch, x: &Input, data: &[u8], streams: bool) -> (u32, u32) {
    match super::session::payload(x, data, streams) {
        Some(bytes) => {
            let start = batch.payloads.len() as u32;
            batch.payloads.extend_from_slice(bytes);
            (start, bytes.len() as u32)
        }
        None => (0, 0),
    }
}

/// Hands each input of `xs`, with its place, to `each`, having announced it to `a` (see
/// [`LookAhead`]) in windows of [`WARM`] inputs, [`WARM_WINDOWS`] windows ahead: every input once,
/// in order, before it is handed over.
pub fn look_ahead<A: LookAhead + ?Sized>(a: &mut A, xs: &[Input], mut each: impl FnMut(&mut A, usize, &Input)) {
    let window = |k: usize| xs.get(k * WARM..).map(|rest| rest.get(..WARM).unwrap_or(rest)).filter(|w| !w.is_empty());
    for k in 0..WARM_WINDOWS {
        if let Some(w) = window(k) {
            a.warm(w);
        }
    }
    for (c, chunk) in xs.chunks(WARM).enumerate() {
        if let Some(w) = window(c + WARM_WINDOWS) {
            a.warm(w);
        }
        for (j, x) in chunk.iter().enumerate() {
            each(a, c * WARM + j, x);
        }
    }
}

/// The reading side: frames into batches of inputs (IP fragments reassembled).
struct Front {
    maker: InputMaker,
    /// Whether TCP payloads go with the inputs (streams are reassembled).
    payloads: bool,
    /// The file being read only continues the connections of those before it.
    continuing: bool,
    /// `read -z`'s counters.
    traffic: Option<Traffic>,
}

impl Front {
    /// Reads every input in turn, at most `limit` frames in all, into batches handed to
    /// `deliver`, which gives back an empty batch to fill next (None: stop, nothing more is
    /// wanted). Returns the inputs that could not be read to their end.
    fn read(&mut self, inputs: &Inputs<'_>, keep_frames: bool, mut deliver: impl FnMut(Batch) -> Option<Batch>) -> Vec<InputError> {
        let mut errors = Vec::new();
        let mut filter = match inputs.filter.map(BpfFilter::new).transpose() {
            Ok(f) => f,
            Err(e) => {
                errors.push(InputError { input: String::new(), message: e.to_string() });
                return errors;
            }
        };
        let mut seen = 0u64;
        let mut batch = Some(Batch::new(keep_frames));
        for (i, path) in inputs.files.iter().enumerate() {
            self.continuing = i >= inputs.continued_from;
            let Some(b) = batch.as_mut() else { break };
            if seen >= inputs.limit {
                break;
            }
            let mut src = match FileSource::open(path) {
                Ok(s) => s,
                Err(e) => {
                    errors.push(InputError { input: path.clone(), message: e.to_string() });
                    continue;
                }
            };
            let mut filter_err = None;
            let mut b = Some(std::mem::take(b));
            let res = src.for_each(|frame| {
                match filter.as_mut().map(|f| f.matches(&frame)) {
                    Some(Ok(false)) => return ControlFlow::Continue(()),
                    Some(Err(e)) => {
                        filter_err = Some(e.to_string());
                        return ControlFlow::Break(());
                    }
                    _ => {}
                }
                let Some(cur) = b.as_mut() else { return ControlFlow::Break(()) };
                self.frame(cur, &frame, keep_frames, inputs);
                seen += 1;
                if cur.is_full() {
                    b = b.take().and_then(&mut deliver);
                    if b.is_none() {
                        return ControlFlow::Break(());
                    }
                }
                if seen >= inputs.limit { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            });
            batch = b;
            if let Some(e) = filter_err {
                errors.push(InputError { input: src.input().to_string(), message: format!("{}: {e}", src.input()) });
            }
            if let Err(e) = res {
                errors.push(InputError { input: src.input().to_string(), message: e.to_string() });
            }
        }
        if let Some(b) = batch.filter(|b| !b.inputs.is_empty()) {
            deliver(b);
        }
        errors
    }

    /// One frame into `batch`.
    #[inline]
    fn frame(&mut self, batch: &mut Batch, frame: &Frame<'_>, keep_frames: bool, inputs: &Inputs<'_>) {
        let cut;
        let frame = match inputs.snaplen {
            Some(n) if frame.data.len() > n as usize => {
                cut = Frame { data: frame.data.get(..n as usize).unwrap_or(frame.data), ..*frame };
                &cut
            }
            _ => frame,
        };
        let mut x = self.maker.input(frame, &mut batch.tunnels);
        if self.continuing {
            x.flags |= crate::decode::input::CONTINUED;
        }
        let span = keep_payload(batch, &x, frame.data, self.payloads);
        batch.spans.push(span);
        batch.inputs.push(x);
        if x.has(AMSDU) {
            let first = decode(frame);
            let at = batch.inputs.len() as u32 - 1;
            for p in amsdu_rest(&first) {
                let mut input = self.maker.of_packet(&p, &mut batch.tunnels);
                input.flags = (input.flags & !AMSDU) | (x.flags & crate::decode::input::CONTINUED);
                let span = keep_payload(batch, &input, frame.data, self.payloads);
                batch.subs.push(Sub { frame: at, input, span });
            }
        }
        if let Some(t) = &mut self.traffic {
            t.packet(&decode(frame));
        }
        if let Some(f) = inputs.early {
            batch.pass.push(f.matches(&decode(frame), &Note::default()));
        }
        if keep_frames {
            let start = batch.bytes.len();
            batch.bytes.extend_from_slice(frame.data);
            batch.frames.push(Meta {
                start,
                caplen: frame.caplen(),
                number: frame.number,
                ts: frame.ts,
                linktype: frame.linktype,
                len: frame.len,
                interface: frame.interface,
                ts_known: frame.ts_known,
            });
        }
    }
}

/// The stages keyed otherwise than by flow, a batch at a time.
struct Keyed {
    stats: StatsAnalyzer,
    arp: ArpAnalyzer,
    flood: FloodAnalyzer,
    events: FrameEvents,
    /// Whether the display filter reads `alert`.
    alerts: bool,
}

impl Keyed {
    /// Runs the stages over `b` (the SYN-flood detector looking ahead, see [`LookAhead`]), and
    /// leaves their events with the batch.
    fn run(&mut self, b: &Batch) {
        let Keyed { stats, arp, flood, events, alerts } = self;
        let mut open = Vec::new();
        look_ahead(flood, &b.inputs, |flood, i, x| {
            events.frame = i as u32;
            events.stage(Pos::Stats, |e| stats.packet(x, e));
            let subs = b.subs_of(i);
            events.stage(Pos::Flood, |e| {
                flood.packet(x, e);
                subs.iter().for_each(|s| flood.packet(&s.input, e));
            });
            events.stage(Pos::Arp, |e| {
                arp.packet(x, e);
                subs.iter().for_each(|s| arp.packet(&s.input, e));
            });
            if *alerts {
                open.push(flood.alert_for(x));
            }
        });
        let _ = b.keyed.set(KeyedOut { events: events.take(), alerts: open });
    }
}

/// The keyed stages shared by the reading and the writing thread: batches wait for them in the
/// order they were read, and a thread that runs them takes the oldest while holding them, so
/// they see the batches in that order.
struct KeyedLane {
    waiting: Mutex<VecDeque<Arc<Batch>>>,
    stage: Mutex<Keyed>,
}

impl KeyedLane {
    fn waiting(&self) -> MutexGuard<'_, VecDeque<Arc<Batch>>> {
        // A thread that panicked while holding it left it whole (a push or a pop).
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs the stages over the oldest waiting batch, holding them; false when none waits or
    /// `done` says the work is no longer needed.
    fn run_oldest(&self, stage: &mut Keyed, done: impl Fn() -> bool) -> bool {
        if done() {
            return false;
        }
        let Some(b) = self.waiting().pop_front() else { return false };
        stage.run(&b);
        true
    }

    /// The reading thread, which would otherwise wait: runs the stages over the oldest waiting
    /// batch unless the writing thread is running them; whether it did.
    fn help(&self) -> bool {
        let Ok(mut stage) = self.stage.try_lock() else { return false };
        self.run_oldest(&mut stage, || false)
    }

    /// The writing thread, about to write `b`: runs the stages until they have seen `b`.
    fn finish(&self, b: &Batch) {
        while b.keyed.get().is_none() {
            let mut stage = self.stage.lock().unwrap_or_else(PoisonError::into_inner);
            if !self.run_oldest(&mut stage, || b.keyed.get().is_some()) && b.keyed.get().is_none() {
                // Not waiting and not done: the reading thread died holding it (its join says
                // why).
                return;
            }
        }
    }
}

/// What a flow shard on a thread of its own returns for each batch.
struct ShardOut {
    events: Vec<Tagged>,
    /// Connections it held after each frame.
    tracked: Vec<u32>,
    /// What it knew of its own flows' frames right after each (when the display filter asks).
    notes: Vec<(u32, ConnNote)>,
}

/// Runs one shard over a batch: its events, how many connections it held after each frame
/// (added into `tracked`), and with `notes` its notes of its own flows' frames.
fn run_shard(c: &mut ConnTracker, b: &Batch, events: &mut FrameEvents, tracked: &mut [u32], mut notes: Option<&mut Vec<(u32, ConnNote)>>) {
    look_ahead(c, &b.inputs, |c, i, x| {
        events.frame = i as u32;
        events.stage(Pos::Conns, |e| {
            c.packet_with(x, b.payload(i), &b.tunnels, e);
            for s in b.subs_of(i) {
                c.packet_with(&s.input, Some(b.kept(s.span)), &b.tunnels, e);
            }
        });
        if let Some(t) = tracked.get_mut(i) {
            *t = t.saturating_add(c.tracked() as u32);
        }
        if let Some(n) = notes.as_deref_mut() {
            if let Some(note) = c.note(x) {
                n.push((i as u32, note));
            }
        }
    });
}

/// The writing side: the shards run here, the merge and the output.
struct Back<W: Write> {
    printer: Printer<W>,
    local: Vec<ConnTracker>,
    remote: Vec<Receiver<ShardOut>>,
    events: FrameEvents,
    tracked: Vec<u32>,
    peak: usize,
    /// Frames handled.
    seen: u64,
    out: Output,
    /// Whether the reading thread evaluates a display filter (its verdicts come in `pass`).
    early: bool,
    /// Whether the shards make notes for the late display filter.
    conn_notes: bool,
    /// The notes of the batch at hand, by frame.
    notes: Vec<Note>,
    shard_notes: Vec<(u32, ConnNote)>,
    /// Echo requests waiting for replies, for `icmp.resptime` in filters and fields.
    echo: crate::output::app::EchoPairs,
    /// Stream numbers in frame order, for `tcp.stream` and `udp.stream`.
    streams: crate::analyze::stream::index::StreamNotes,
}

impl<W: Write> Back<W> {
    /// Runs the stages of this side over a batch, gathers the other shards' results for it,
    /// and writes its frames and events in order.
    fn batch(&mut self, b: &Batch) -> io::Result<()> {
        let n = b.inputs.len();
        self.seen += n as u64;
        self.tracked.clear();
        self.tracked.resize(n, 0);
        self.shard_notes.clear();
        for c in &mut self.local {
            run_shard(c, b, &mut self.events, &mut self.tracked, self.conn_notes.then_some(&mut self.shard_notes));
        }
        for rx in &self.remote {
            // A shard thread that stopped has panicked: its join reports it.
            let Ok(out) = rx.recv() else { return Err(io::Error::other("a shard thread stopped")) };
            self.events.extend(out.events);
            for (t, o) in self.tracked.iter_mut().zip(out.tracked) {
                *t = t.saturating_add(o);
            }
            self.shard_notes.extend(out.notes);
        }
        self.peak = self.peak.max(self.tracked.iter().copied().max().unwrap_or(0) as usize);
        let keyed = b.keyed.get();
        if let Some(k) = keyed {
            self.events.extend(k.events.iter().cloned());
        }
        if self.out.needs.any() {
            self.notes.clear();
            self.notes.resize(n, Note::default());
            for (i, note) in self.shard_notes.drain(..) {
                if let Some(slot) = self.notes.get_mut(i as usize) {
                    slot.conn = Some(note);
                }
            }
            for (slot, a) in self.notes.iter_mut().zip(keyed.map_or(&[][..], |k| &k.alerts[..])) {
                slot.alert = *a;
            }
        }
        let evs = self.events.sorted();
        if b.frames.is_empty() {
            // Nothing shown frame by frame: the reading thread's verdicts are only counted.
            if self.early {
                self.printer.count_shown(b.pass.iter().filter(|p| **p).count() as u64);
            }
            for (.., e) in evs.drain(..) {
                self.printer.event(&e)?;
            }
            return Ok(());
        }
        // Each frame, then its events. The events are looked at in place: an event is large,
        // and most frames have none.
        let blank = Note::default();
        let mut k = 0;
        for i in 0..n {
            if let Some(f) = b.frame(i) {
                let p = decode(&f);
                // The frame's events: the application messages it completed show with it.
                let mine = evs.get(k..).unwrap_or(&[]).iter().take_while(|(f, ..)| *f as usize == i);
                let mut note = self.notes.get(i).unwrap_or(&blank);
                let with_msgs;
                if self.out.needs.app || self.out.needs.echo || self.out.needs.stream {
                    let msgs = if self.out.needs.app { messages(mine.clone().map(|(.., e)| e)) } else { Vec::new() };
                    let echo = if self.out.needs.echo { crate::output::app::echo_note(&mut self.echo, &p) } else { None };
                    let streams = if self.out.needs.stream { self.streams.note(&f) } else { Default::default() };
                    with_msgs = Note { msgs, echo, streams, ..note.clone() };
                    note = &with_msgs;
                }
                let shown = match &self.out.late {
                    Some(filter) => filter.matches(&p, note),
                    None => !self.early || b.pass.get(i).copied().unwrap_or(false),
                };
                if shown {
                    self.printer.packet_with(&p, note, mine.map(|(.., e)| e))?;
                    if let Some(w) = self.out.writer.as_mut() {
                        w.write(&f)?;
                    }
                }
            }
            while let Some((.., e)) = evs.get(k).filter(|(f, ..)| *f as usize == i) {
                self.printer.event(e)?;
                k += 1;
            }
        }
        evs.clear();
        Ok(())
    }
}

/// The application messages among a frame's events, for the filter fields that read them.
pub fn messages<'e>(events: impl Iterator<Item = &'e crate::report::Event>) -> Vec<crate::report::web::Message> {
    events.filter_map(|e| if let crate::report::Event::Message(m) = e { Some((**m).clone()) } else { None }).collect()
}

/// A flow shard on a thread of its own: every batch through it, its results to the output.
fn shard_thread(mut c: ConnTracker, rx: Receiver<Arc<Batch>>, tx: SyncSender<ShardOut>, with_notes: bool) -> ConnTracker {
    let mut events = FrameEvents::default();
    while let Ok(b) = rx.recv() {
        let mut tracked = vec![0u32; b.inputs.len()];
        let mut notes = Vec::new();
        run_shard(&mut c, &b, &mut events, &mut tracked, with_notes.then_some(&mut notes));
        // Released before the results go, so that the output thread holds the last reference.
        drop(b);
        if tx.send(ShardOut { events: events.take(), tracked, notes }).is_err() {
            break;
        }
    }
    c
}

/// What a run read and made.
pub struct Ran {
    /// The report, when the run got as far as writing it.
    pub report: Option<Report>,
    /// The inputs that could not be read to their end.
    pub errors: Vec<InputError>,
    /// What the analyzers leave.
    pub leftovers: Leftovers,
}

/// Reads `inputs` through `stages` on `threads` threads, writing to `printer`; ends with the
/// report unless no input could be read at all.
pub fn read<W: Write>(inputs: &Inputs<'_>, printer: Printer<W>, stages: Stages, threads: usize, out: Output) -> io::Result<Ran> {
    // Frames go to the writing thread when it prints them, writes them, or filters them with
    // the analyzers' notes.
    let keep_frames = printer.shows_packets() || out.writer.is_some() || out.late.is_some();
    let needs = out.needs;
    let mut out = out;
    let (traffic, write_tables) = match out.tables.take() {
        Some(StatTables { traffic, write }) => (traffic, Some(write)),
        None => (None, None),
    };
    let Stages { stats, mut conns, flood, arp } = stages;
    let mut front = Front { maker: InputMaker::new(inputs.defrag), payloads: conns.first().is_some_and(ConnTracker::wants_payloads), continuing: false, traffic };
    let mut keyed = Keyed { stats, arp, flood, events: FrameEvents::default(), alerts: needs.alert };
    let remote_shards: Vec<ConnTracker> = if threads > 2 && conns.len() > 1 { conns.split_off(1) } else { Vec::new() };
    let mut back = Back {
        printer,
        local: conns,
        remote: Vec::new(),
        events: FrameEvents::default(),
        tracked: Vec::new(),
        peak: 0,
        seen: 0,
        out,
        early: inputs.early.is_some(),
        conn_notes: needs.conn,
        notes: Vec::new(),
        shard_notes: Vec::new(),
        echo: Default::default(),
        streams: Default::default(),
    };

    let (errors, remote) = if threads <= 1 {
        // One thread: each batch goes through the other side as soon as it is full.
        let mut failed: Option<io::Error> = None;
        let errors = front.read(inputs, keep_frames, |mut b| {
            keyed.run(&b);
            match back.batch(&b) {
            // Once every connection a continued input was read for has ended, the rest of it
            // can change nothing (`--partial --next`).
            Ok(()) if b.inputs.last().is_some_and(|x| x.has(crate::decode::input::CONTINUED)) && back.local.iter().all(|c| c.tracked() == 0) => None,
            Ok(()) => {
                b.clear();
                Some(b)
            }
            Err(e) => {
                failed = Some(e);
                None
            }
        }});
        if let Some(e) = failed {
            return Err(e);
        }
        (errors, Vec::new())
    } else {
        let lane = KeyedLane { waiting: Mutex::new(VecDeque::new()), stage: Mutex::new(keyed) };
        let ran = threaded(inputs, keep_frames, &mut front, &lane, &mut back, remote_shards)?;
        keyed = lane.stage.into_inner().unwrap_or_else(PoisonError::into_inner);
        ran
    };

    let Keyed { mut stats, arp, flood, .. } = keyed;
    stats.reassembly = front.maker.defrag_stats();
    let Back { mut printer, mut local, peak, seen: back_seen, out, .. } = back;
    if let Some(mut w) = out.writer {
        w.flush()?;
    }
    local.extend(remote);
    let stages = Stages { stats, conns: local, flood, arp };
    if back_seen == 0 && errors.len() >= inputs.files.len() {
        return Ok(Ran { report: None, errors, leftovers: Leftovers::of(stages) });
    }
    let (report, leftovers) = finish(&mut printer, stages, peak, &errors)?;
    if let Some(write) = write_tables {
        let services = report.conns.as_ref().map(|c| &c.services);
        write(front.traffic.as_ref(), services, printer.writer())?;
        printer.flush()?;
    }
    Ok(Ran { report: Some(report), errors, leftovers })
}

/// [`read`] with the reading thread and the shard threads apart from this one, which writes.
fn threaded<W: Write>(
    inputs: &Inputs<'_>,
    keep_frames: bool,
    front: &mut Front,
    lane: &KeyedLane,
    back: &mut Back<W>,
    shards: Vec<ConnTracker>,
) -> io::Result<(Vec<InputError>, Vec<ConnTracker>)> {
    let (out_tx, out_rx) = mpsc::sync_channel::<Arc<Batch>>(QUEUED);
    let (spent_tx, spent_rx) = mpsc::channel::<Batch>();
    std::thread::scope(|s| {
        let mut results = Vec::new();
        let mut shard_handles = Vec::new();
        // Each shard thread gets its batches and a line back to this one.
        let mut backs = Vec::new();
        for c in shards {
            let (tx, rx) = mpsc::sync_channel::<Arc<Batch>>(QUEUED);
            let (otx, orx) = mpsc::sync_channel::<ShardOut>(QUEUED);
            backs.push(tx);
            back.remote.push(orx);
            let with_notes = back.conn_notes;
            let h = std::thread::Builder::new().name("inspect-shard".into()).spawn_scoped(s, move || shard_thread(c, rx, otx, with_notes));
            match h {
                Ok(h) => shard_handles.push(h),
                Err(e) => return Err(e),
            }
        }
        let reader = std::thread::Builder::new().name("inspect-reader".into()).spawn_scoped(s, move || {
            front.read(inputs, keep_frames, |b| {
                let b = Arc::new(b);
                lane.waiting().push_back(b.clone());
                for tx in &backs {
                    tx.send(b.clone()).ok()?;
                }
                // No room to hand it on: run the keyed stages instead of waiting, while they have
                // work.
                let mut b = b;
                loop {
                    match out_tx.try_send(b) {
                        Ok(()) => break,
                        Err(TrySendError::Full(again)) => {
                            b = again;
                            if !lane.help() {
                                out_tx.send(b).ok()?;
                                break;
                            }
                        }
                        Err(TrySendError::Disconnected(_)) => return None,
                    }
                }
                Some(spent_rx.try_recv().unwrap_or_else(|_| Batch::new(keep_frames)))
            })
        })?;
        let mut written = Ok(());
        for b in out_rx.iter() {
            lane.finish(&b);
            written = back.batch(&b);
            if written.is_err() {
                break;
            }
            if let Ok(mut b) = Arc::try_unwrap(b) {
                b.clear();
                let _ = spent_tx.send(b);
            }
        }
        // A write error stops the others: their next hand-off finds no one listening.
        drop(out_rx);
        back.remote.clear();
        let errors = reader.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        for h in shard_handles {
            results.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        written.map(|()| (errors, results))
    })
}

#[cfg(test)]
mod test {
    use super::*;

    /// Records what is announced and what is handed over.
    #[derive(Default)]
    struct Seen {
        announced: Vec<u64>,
        handled: Vec<u64>,
    }

    impl LookAhead for Seen {
        fn warm(&mut self, upcoming: &[Input]) {
            self.announced.extend(upcoming.iter().map(|x| x.number));
        }
    }

    /// Every input is announced once, in order, before it is handed over, at most
    /// `WARM_WINDOWS + 1` windows early, and handed over once, in order, with its place.
    #[test]
    fn look_ahead_announces_each_input_once_and_early() {
        let blank = |k: usize| Input {
            number: k as u64,
            ts: Ts::default(),
            len: 0,
            caplen: 0,
            linktype: 1,
            top: crate::decode::Top::Other,
            flags: 0,
            net: crate::decode::Net::Other,
            tunnel: 0,
        };
        for n in [0usize, 1, 15, 16, 17, 33, 100, 4096] {
            let xs: Vec<Input> = (0..n).map(blank).collect();
            let mut seen = Seen::default();
            look_ahead(&mut seen, &xs, |s, i, x| {
                assert_eq!(x.number, i as u64);
                assert!(s.announced.len() > i, "input {i} handed over before it was announced");
                assert!(s.announced.len() <= i + (WARM_WINDOWS + 1) * WARM, "too early at {i}");
                s.handled.push(x.number);
            });
            let all: Vec<u64> = (0..n as u64).collect();
            assert_eq!((&seen.announced, &seen.handled), (&all, &all), "n {n}");
        }
    }
}
