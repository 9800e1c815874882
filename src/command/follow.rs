//! `inspect follow`: one conversation's bytes, as `tshark -z follow` shows them. Also the walk
//! over one conversation's frames that `inspect ladder` shares.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::Arc;

use crate::analyze::stream::follow::{Follower, Record};
use crate::analyze::stream::index::{Stream, StreamIndex};
use crate::analyze::stream::reassembly::Caps;
use crate::analyze::tcp::conn::Conn;
use crate::analyze::tcp::{ConnConfig, ConnTracker};
use crate::analyze::{Analyzer, Events};
use crate::decode::input::Inputs;
use crate::decode::FlowSeg;
use crate::error::RunError;
use crate::report::Event;
use crate::filter::{DisplayFilter, Note};
use crate::output::follow::{endpoint, FollowPrinter, Mode};
use crate::output::table;
use crate::source::file::FileSource;
use crate::source::Frame;

/// Which conversation.
#[derive(Debug, Clone)]
pub enum Pick {
    /// The stream with this number (Wireshark's `tcp.stream` or `udp.stream`).
    Stream(u32),
    /// The connection with this uid.
    Uid(String),
    /// The stream of the first packet (of the protocol followed) this display filter passes.
    Filter(Arc<DisplayFilter>),
}

/// What `follow` was asked.
#[derive(Debug, Clone)]
pub struct FollowConfig {
    /// The capture file.
    pub file: String,
    /// UDP rather than TCP.
    pub udp: bool,
    /// The conversation; None lists them.
    pub pick: Option<Pick>,
    /// How the bytes are shown.
    pub mode: Mode,
    /// JSON Lines rather than text.
    pub json: bool,
    /// Most out-of-order bytes held per direction.
    pub max_held: usize,
    /// Show the segments (and messages) rather than the bytes.
    pub segments: bool,
    /// How messages are framed, for `segments`.
    pub framing: Option<crate::analyze::stream::framing::Framing>,
    /// The connection tracker's settings (uids and states come from it).
    pub conn: ConnConfig,    /// The sandbox entered before the file is read.
    pub sandbox: crate::cli::SandboxArgs,
}

/// One frame of the picked conversation, with what the views need of it.
pub struct Step<'a> {
    /// The frame.
    pub frame: &'a Frame<'a>,
    /// Its segment or datagram.
    pub flow: &'a FlowSeg,
    /// Its captured payload.
    pub payload: &'a [u8],
    /// The stream's number.
    pub stream: u32,
    /// Its connection's uid.
    pub uid: &'a str,
    /// Its connection, after this frame.
    pub conn: &'a Conn,
}

/// What a walk over a file found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Streams of the protocol in the file (up to where the walk stopped).
    pub streams: u32,
    /// The picked stream's number, if it was found.
    pub picked: Option<u32>,
    /// Frames the walk read.
    pub frames: u64,
}

/// Calls `each` for every frame of the conversation `pick` (of UDP if `udp`, else of TCP) in
/// `file`, in file order. A problem with the file ends the walk with its message, after every
/// frame before it was handed on; an error from `each` ends it at once.
pub fn walk(file: &str, udp: bool, pick: &Pick, conn: &ConnConfig, each: &mut dyn FnMut(Step<'_>) -> io::Result<()>) -> Result<Walked, RunError> {
    let resolved;
    let pick = match pick {
        Pick::Filter(f) => match first_match(file, udp, f, conn)? {
            Ok(n) => {
                resolved = Pick::Stream(n);
                &resolved
            }
            Err(streams) => return Ok(Walked { streams, picked: None, frames: 0 }),
        },
        p => p,
    };
    let mut source = FileSource::open(file).map_err(|e| RunError::Input(e.to_string()))?;
    let mut index = StreamIndex::new();
    let mut tracker = ConnTracker::new(conn.clone(), 0, 1);
    let mut events = Events::default();
    let mut walked = Walked::default();
    let mut failed: Option<io::Error> = None;
    let mut inputs = Inputs::default();
    let read = source.for_each(|frame| {
        walked.frames += 1;
        // An 802.11 A-MSDU carries a packet in each subframe: each is a step of its own. A
        // fragmented datagram is one when whole.
        inputs.each(&frame, |x, data, _| {
            tracker.packet(x, &mut events);
            events.drain();
            let Some(f) = x.flow() else { return ControlFlow::Continue(()) };
            let stream = match index.of(f) {
                Some(Stream::Tcp(n)) if !udp => n,
                Some(Stream::Udp(n)) if udp => n,
                _ => return ControlFlow::Continue(()),
            };
            walked.streams = walked.streams.max(stream + 1);
            let Some((uid, c)) = tracker.current(f) else { return ControlFlow::Continue(()) };
            let hit = match pick {
                Pick::Stream(n) => *n == stream,
                Pick::Uid(u) => *u == uid,
                Pick::Filter(_) => false,
            };
            if !hit {
                return ControlFlow::Continue(());
            }
            walked.picked.get_or_insert(stream);
            let (at, n) = f.payload;
            let payload = data.get(at as usize..).and_then(|d| d.get(..n as usize)).unwrap_or(&[]);
            match each(Step { frame: &frame, flow: f, payload, stream, uid: &uid, conn: &c }) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    failed = Some(e);
                    ControlFlow::Break(())
                }
            }
        })
    });
    if let Some(e) = failed {
        return Err(RunError::Output(e));
    }
    read.map_err(|e| RunError::Input(e.to_string()))?;
    Ok(walked)
}

/// The stream of the first packet of a TCP (or, if `udp`, UDP) stream in `file` that `filter`
/// passes, with what the connection tracker knew right after it (for `conn.*` and `tcp.state`);
/// else the number of such streams in the file. This reads the file a first time: the frames of
/// the stream before the one that matched are shown too, as tshark's follow shows them.
fn first_match(file: &str, udp: bool, filter: &DisplayFilter, conn: &ConnConfig) -> Result<Result<u32, u32>, RunError> {
    if file == "-" {
        return Err(RunError::Usage("-Y: the file is read twice (to find the stream, then to follow it); give a file rather than -".into()));
    }
    let mut source = FileSource::open(file).map_err(|e| RunError::Input(e.to_string()))?;
    let mut index = StreamIndex::new();
    let mut tracker = ConnTracker::new(conn.clone(), 0, 1);
    let mut events = Events::default();
    let needs = filter.needs();
    let mut streams = 0;
    let mut found = None;
    let mut inputs = Inputs::default();
    let read = source.for_each(|frame| {
        // As the walk numbers streams: tunnels' outer datagrams, A-MSDU subframes, datagrams
        // reassembled.
        inputs.each(&frame, |x, data, p| {
            // HTTP and TLS fields come from the reassembled stream: the tracker takes the payload.
            let payload = x.flow().filter(|_| needs.app).map(|f| {
                let (at, n) = (f.payload.0 as usize, f.payload.1 as usize);
                data.get(at..at.saturating_add(n)).or_else(|| data.get(at..)).unwrap_or(&[])
            });
            tracker.packet_with(x, payload, &[], &mut events);
            // The packet's messages, for a filter on their fields (moved out, not copied).
            let msgs: Vec<_> = events
                .drain()
                .filter_map(|(_, e)| match e {
                    Event::Message(m) if needs.app => Some(*m),
                    _ => None,
                })
                .collect();
            let Some(f) = x.flow() else { return ControlFlow::Continue(()) };
            let stream = match index.of(f) {
                Some(Stream::Tcp(n)) if !udp => n,
                Some(Stream::Udp(n)) if udp => n,
                _ => return ControlFlow::Continue(()),
            };
            streams = streams.max(stream + 1);
            let streams = if udp { (Vec::new(), vec![stream]) } else { (vec![stream], Vec::new()) };
            let note = Note { conn: if needs.conn { tracker.note(x) } else { None }, alert: false, msgs, echo: None, streams };
            if filter.matches(p, &note) {
                found = Some(stream);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })
    });
    if let Some(n) = found {
        return Ok(Ok(n));
    }
    read.map_err(|e| RunError::Input(e.to_string()))?;
    Ok(Err(streams))
}

/// The reason nothing was shown: the conversation is not in the file.
pub fn not_found(file: &str, udp: bool, pick: &Pick, w: &Walked) -> RunError {
    let proto = if udp { "UDP" } else { "TCP" };
    RunError::Input(match pick {
        Pick::Stream(n) if w.streams == 0 => format!("{file}: no {proto} stream {n}: it has none"),
        Pick::Stream(n) => format!("{file}: no {proto} stream {n}: it has {} (0 to {})", w.streams, w.streams - 1),
        Pick::Uid(u) => format!("{file}: no {proto} connection with uid {u}"),
        Pick::Filter(f) => format!("{file}: no {proto} packet passes -Y \"{}\" (of {})", f.text(), table::count(u64::from(w.streams), &format!("{proto} stream"), &format!("{proto} streams"))),
    })
}

/// Runs `follow`.
pub fn run<W: Write>(c: &FollowConfig, out: W) -> Result<(), RunError> {
    crate::sandbox::setup(&c.sandbox, &crate::sandbox::Plan::reading(&c.file)).map_err(RunError::Input)?;
    if c.segments {
        return super::segments::run(c, out);
    }
    let Some(pick) = &c.pick else { return list(c, out) };
    let proto = if c.udp { "udp" } else { "tcp" };
    let mut follower = Follower::new(Caps { held: c.max_held, recent: 4096 });
    let mut printer: Option<FollowPrinter<W>> = None;
    let mut out = Some(out);
    let walked = walk(&c.file, c.udp, pick, &c.conn, &mut |s| {
        if c.udp && s.payload.is_empty() && printer.is_none() {
            // tshark takes a UDP stream's ends from its first datagram with data.
            return Ok(());
        }
        let p = match &mut printer {
            Some(p) => p,
            None => {
                let Some(w) = out.take() else { return Ok(()) };
                let mut p = FollowPrinter::new(w, c.mode, c.json, proto, s.stream);
                p.header(Some((s.flow.src(), s.flow.dst())))?;
                printer.insert(p)
            }
        };
        let mut written = Ok(());
        follower.packet(s.flow, s.payload, s.frame.number, s.frame.ts, &mut |r: Record<'_>| {
            if written.is_ok() {
                written = p.record(&r, s.uid);
            }
        });
        written
    });
    if let (None, Ok(Walked { picked: Some(n), .. }), Some(w)) = (&printer, &walked, out.take()) {
        // A UDP stream without a byte of data.
        let mut p = FollowPrinter::new(w, c.mode, c.json, proto, *n);
        p.header(None)?;
        printer = Some(p);
    }
    // What was shown is closed off before a problem with the file is told.
    if let Some(p) = &mut printer {
        p.finish()?;
    }
    let walked = walked?;
    if walked.picked.is_none() {
        return Err(not_found(&c.file, c.udp, pick, &walked));
    }
    Ok(())
}

/// Without a stream: the file's conversations, with their numbers and uids, to pick from.
fn list<W: Write>(c: &FollowConfig, mut out: W) -> Result<(), RunError> {
    struct Row {
        stream: u32,
        uid: String,
        client: String,
        server: String,
        frames: u64,
        bytes: [u64; 2],
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut index = StreamIndex::new();
    let mut tracker = ConnTracker::new(c.conn.clone(), 0, 1);
    let mut events = Events::default();
    let mut source = FileSource::open(&c.file).map_err(|e| RunError::Input(e.to_string()))?;
    let mut inputs = Inputs::default();
    let read = source.for_each(|frame| {
        inputs.each(&frame, |x, _, _| {
            tracker.packet(x, &mut events);
            events.drain();
            let Some(f) = x.flow() else { return ControlFlow::Continue(()) };
            let n = match index.of(f) {
                Some(Stream::Tcp(n)) if !c.udp => n,
                Some(Stream::Udp(n)) if c.udp => n,
                _ => return ControlFlow::Continue(()),
            };
            if n as usize == rows.len() {
                let uid = tracker.current(f).map(|(u, _)| u).unwrap_or_default();
                rows.push(Row { stream: n, uid, client: endpoint(f.src()), server: endpoint(f.dst()), frames: 0, bytes: [0, 0] });
            }
            if let Some(r) = rows.get_mut(n as usize) {
                r.frames += 1;
                let side = usize::from(endpoint(f.src()) != r.client);
                r.bytes[side] += u64::from(f.seg.len);
            }
            ControlFlow::Continue(())
        })
    });
    let proto = if c.udp { "udp" } else { "tcp" };
    if c.json {
        for r in &rows {
            writeln!(
                out,
                "{{\"event_type\":\"stream\",\"proto\":\"{proto}\",\"stream\":{},\"uid\":\"{}\",\"client\":\"{}\",\"server\":\"{}\",\"frames\":{},\"client_bytes\":{},\"server_bytes\":{}}}",
                r.stream, r.uid, r.client, r.server, r.frames, r.bytes[0], r.bytes[1]
            )?;
        }
    } else {
        let mut t = table::table(&["stream", "uid", "client", "server", "frames", "client bytes", "server bytes"]);
        for r in &rows {
            t.add_row(vec![
                comfy_table::Cell::new(r.stream),
                comfy_table::Cell::new(&r.uid),
                comfy_table::Cell::new(&r.client),
                comfy_table::Cell::new(&r.server),
                table::num_cell(r.frames),
                table::num_cell(r.bytes[0]),
                table::num_cell(r.bytes[1]),
            ]);
        }
        writeln!(out, "{} in {} (follow one with: inspect follow {} N)", table::count(rows.len() as u64, &format!("{} stream", proto.to_uppercase()), &format!("{} streams", proto.to_uppercase())), c.file, c.file)?;
        if !rows.is_empty() {
            writeln!(out, "{t}")?;
        }
    }
    out.flush()?;
    read.map_err(|e| RunError::Input(e.to_string()))
}
