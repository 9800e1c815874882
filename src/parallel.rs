//! `read` on two cores: one thread reads and decodes frames and runs the statistics, the flood
//! detector and the ARP analyzer; the other runs the connection tracker and writes the output.
//!
//! The profile of a one-thread run put the connection tracker (with its end-of-run reports)
//! and the output on one side and reading, decoding, the flood detector and the ARP table on
//! the other at roughly equal weight, and the analyzers are independent of each other, so this
//! split needs no locking and no shared state. Frames borrow the file reader's buffer, so the
//! reading thread copies each batch of frames into an arena it owns and sends the whole batch
//! over a bounded channel; spent batches come back to be refilled, so memory stays flat. Each
//! batch also carries the events its analyzers raised, tagged with the frame and the analyzer's
//! place in the pipeline; the writing thread merges them with its own in that order, so the
//! output is byte for byte the one-thread output (`--threads 1`, checked by `tests/threads.rs`).
//! At the end the analyzers come back to one [`Pipeline`] in their usual order for the report.
//!
//! With `-q` the writing thread prints no packets, so it needs no frame at all: the reading
//! thread then ships, instead of the frame bytes, the tracker's small [`ConnInput`] per frame
//! (the second decode and the copy of every frame were a fifth of the writing thread's time).
//! The SYN-flood detector then also runs on those inputs, a whole batch at a time on a third
//! thread between the other two, and both it and the tracker look a few inputs ahead
//! ([`Analyzer::warm`]) so that their cache misses on big tables overlap.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::mpsc;

use crate::analyze::conn::ConnInput;
use crate::analyze::stats::StatsAnalyzer;
use crate::analyze::{Analyzer, Pipeline};
use crate::decode::decode;
use crate::report::{Event, InputError};
use crate::run::{RunError, Session};
use crate::source::{Frame, Ts};

/// Frames per batch: large enough that channel hand-offs cost nothing per frame.
const BATCH_FRAMES: usize = 4096;
/// Bytes of frame data after which a batch is sent even if it has fewer frames.
const BATCH_BYTES: usize = 4 << 20;
/// Inputs the analyzers that take them look ahead at (see [`Analyzer::warm`]).
const WARM: usize = 16;

/// How many windows of [`WARM`] inputs the look-ahead runs before the inputs.
const WARM_WINDOWS: usize = 2;

/// The windows of inputs to announce to [`Analyzer::warm`] before input `i` of `xs`, in order:
/// at every [`WARM`]-th input the window [`WARM_WINDOWS`] windows further on, and at the first
/// input also the windows before that one (so every input is announced once, ahead of time).
fn warm_windows(xs: &[ConnInput], i: usize) -> impl Iterator<Item = &[ConnInput]> {
    look_ahead(xs, i, WARM, WARM_WINDOWS)
}

/// [`warm_windows`] with another window size and distance (`examples/stage_times.rs` tries
/// others); a window of 0 announces nothing.
pub fn look_ahead(xs: &[ConnInput], i: usize, window: usize, windows_ahead: usize) -> impl Iterator<Item = &[ConnInput]> {
    let w = window.max(1);
    // Windows are numbered by their first input over `w`; an empty range when input `i` starts
    // no window. (A `step_by` over input numbers showed in the profile as a call per input.)
    let (first, last) = match window > 0 && i % w == 0 {
        true if i == 0 => (0, windows_ahead),
        true => (i / w + windows_ahead, i / w + windows_ahead),
        false => (1, 0),
    };
    (first..=last)
        .filter_map(move |k| xs.get(k * w..).map(|rest| rest.get(..w).unwrap_or(rest)))
        .filter(|ws| !ws.is_empty())
}

/// Batches in flight between the threads (the bound on the extra memory).
const IN_FLIGHT: usize = 4;

/// Where an analyzer's events go in a frame's output: 0 is the statistics counter, then the
/// analyzers in `run::analyzers` order from 1.
type Pos = u8;

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

/// Frames copied out of the reader, with the events the reading thread's analyzers raised.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    frames: Vec<Meta>,
    /// Instead of `bytes` and `frames` when packets are not shown: each frame's tracker input.
    conns: Vec<ConnInput>,
    /// (frame index in the batch, analyzer position, event), in frame then position order.
    events: Vec<(u32, Pos, Event)>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            bytes: Vec::with_capacity(BATCH_BYTES + 65_536),
            frames: Vec::with_capacity(BATCH_FRAMES),
            conns: Vec::new(),
            events: Vec::new(),
        }
    }

    fn is_full(&self) -> bool {
        self.len() >= BATCH_FRAMES || self.bytes.len() >= BATCH_BYTES
    }

    /// Frames in the batch (in `frames` or in `conns`, never both).
    fn len(&self) -> usize {
        self.frames.len() + self.conns.len()
    }

    fn frame<'a>(bytes: &'a [u8], m: &Meta) -> Frame<'a> {
        Frame {
            number: m.number,
            ts: m.ts,
            linktype: m.linktype,
            len: m.len,
            data: bytes.get(m.start..m.start + m.caplen as usize).unwrap_or(&[]),
            interface: m.interface,
            ts_known: m.ts_known,
        }
    }
}

/// What the reading thread hands back when the input is done.
struct Front {
    stats: StatsAnalyzer,
    analyzers: Vec<(Pos, Box<dyn Analyzer + Send>)>,
    errors: Vec<InputError>,
}

/// Splits the analyzers of `run::analyzers` between the threads: the connection tracker (first)
/// stays with the output, the others go to the reading thread. Positions keep the event order.
type Split = (Vec<(Pos, Box<dyn Analyzer + Send>)>, Vec<(Pos, Box<dyn Analyzer + Send>)>);

fn split(analyzers: Vec<Box<dyn Analyzer + Send>>) -> Split {
    let mut back = Vec::new();
    let mut front = Vec::new();
    for (i, a) in analyzers.into_iter().enumerate() {
        let pos = Pos::try_from(i + 1).unwrap_or(Pos::MAX);
        if i == 0 {
            back.push((pos, a));
        } else {
            front.push((pos, a));
        }
    }
    (back, front)
}

/// The reading thread: every file in turn, at most `limit` frames, into batches; `compact`
/// sends each frame's [`ConnInput`] instead of the frame.
fn produce(
    files: &[String],
    limit: u64,
    compact: bool,
    mut front: Vec<(Pos, Box<dyn Analyzer + Send>)>,
    tx: mpsc::SyncSender<Batch>,
    spent: mpsc::Receiver<Batch>,
) -> Front {
    let mut stats = StatsAnalyzer::default();
    let mut errors = Vec::new();
    let mut seen = 0u64;
    let mut batch = Batch::new();
    let mut evs = Vec::new();
    let mut closed = false;
    for path in files {
        if seen >= limit || closed {
            break;
        }
        let Some(mut src) = crate::run::open_input(path, &mut errors) else { continue };
        let res = src.for_each(|frame| {
            let idx = batch.len() as u32;
            let p = decode(&frame);
            if compact {
                batch.conns.push(ConnInput::of_packet(&p));
            } else {
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
            stats.packet(&p, &mut evs);
            if !evs.is_empty() {
                batch.events.extend(evs.drain(..).map(|e| (idx, 0, e)));
            }
            for (pos, a) in front.iter_mut() {
                a.packet(&p, &mut evs);
                if !evs.is_empty() {
                    batch.events.extend(evs.drain(..).map(|e| (idx, *pos, e)));
                }
            }
            seen += 1;
            if batch.is_full() {
                let next = match spent.try_recv() {
                    Ok(mut b) => {
                        b.bytes.clear();
                        b.frames.clear();
                        b.conns.clear();
                        b.events.clear();
                        b
                    }
                    Err(_) => Batch::new(),
                };
                if tx.send(std::mem::replace(&mut batch, next)).is_err() {
                    // The writer stopped (a write error): nothing more is wanted.
                    closed = true;
                    return ControlFlow::Break(());
                }
            }
            if seen >= limit { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        if let Err(e) = res {
            errors.push(InputError { input: src.input().to_string(), message: e.to_string() });
        }
    }
    if !closed && batch.len() > 0 {
        let _ = tx.send(batch);
    }
    Front { stats, analyzers: front, errors }
}

/// In compact mode, runs the analyzers other than the tracker that take the tracker's input (the
/// SYN-flood detector) over a whole batch at once, looking [`WARM`] inputs ahead (see
/// [`Analyzer::warm`]), and puts their events in frame then position order among the others.
/// They are independent of the analyzers that saw each frame as it was read, so running them
/// later, on a thread of their own, gives them the same results.
fn batch_inputs(mid: &mut [(Pos, Box<dyn Analyzer + Send>)], batch: &mut Batch, evs: &mut Vec<Event>) {
    let before = batch.events.len();
    for (pos, a) in mid.iter_mut() {
        for (i, x) in batch.conns.iter().enumerate() {
            for ahead in warm_windows(&batch.conns, i) {
                a.warm(ahead);
            }
            a.conn_input(x, evs);
            if !evs.is_empty() {
                batch.events.extend(evs.drain(..).map(|e| (i as u32, *pos, e)));
            }
        }
    }
    if batch.events.len() > before {
        // Stable: events of one frame and one analyzer keep their order.
        batch.events.sort_by_key(|&(i, pos, _)| (i, pos));
    }
}

/// The middle stage under `-q`: the batch-wise analyzers, between the reading thread and the
/// tracker. On two cores the three threads share the time: reading and decoding alone, the
/// flood detector alone and the tracker alone weigh about 2:1:2, closer to an even split than
/// reading with the detector against the tracker (3:2).
fn middle(
    mut mid: Vec<(Pos, Box<dyn Analyzer + Send>)>,
    rx: mpsc::Receiver<Batch>,
    tx: mpsc::SyncSender<Batch>,
) -> Vec<(Pos, Box<dyn Analyzer + Send>)> {
    let mut evs = Vec::new();
    for mut batch in rx.iter() {
        batch_inputs(&mut mid, &mut batch, &mut evs);
        if tx.send(batch).is_err() {
            break;
        }
    }
    mid
}

/// Writes one batch: decodes each frame again (a `Packet` borrows its bytes, and decoding is
/// cheaper than shipping decoded packets), or takes its [`ConnInput`], runs the tracker, merges
/// the events, prints.
fn consume<W: Write>(
    session: &mut Session<W>,
    back: &mut [(Pos, Box<dyn Analyzer + Send>)],
    batch: &mut Batch,
    back_evs: &mut Vec<(Pos, Event)>,
    merged: &mut Vec<Event>,
) -> io::Result<()> {
    let mut scratch = Vec::new();
    let mut front_evs = batch.events.drain(..).peekable();
    for (i, x) in batch.conns.iter().enumerate() {
        for ahead in warm_windows(&batch.conns, i) {
            for (_, a) in back.iter_mut() {
                a.warm(ahead);
            }
        }
        for (pos, a) in back.iter_mut() {
            a.conn_input(x, &mut scratch);
            if !scratch.is_empty() {
                back_evs.extend(scratch.drain(..).map(|e| (*pos, e)));
            }
        }
        merge(i, &mut front_evs, back_evs, merged);
        session.events_only(merged)?;
    }
    for (i, m) in batch.frames.iter().enumerate() {
        let p = decode(&Batch::frame(&batch.bytes, m));
        for (pos, a) in back.iter_mut() {
            a.packet(&p, &mut scratch);
            if !scratch.is_empty() {
                back_evs.extend(scratch.drain(..).map(|e| (*pos, e)));
            }
        }
        merge(i, &mut front_evs, back_evs, merged);
        session.packet_and_events(&p, merged)?;
    }
    Ok(())
}

/// Moves frame `i`'s events from both threads into `merged` in the one-thread order: both
/// lists are in position order.
fn merge(
    i: usize,
    front_evs: &mut std::iter::Peekable<impl Iterator<Item = (u32, Pos, Event)>>,
    back_evs: &mut Vec<(Pos, Event)>,
    merged: &mut Vec<Event>,
) {
    if back_evs.is_empty() && front_evs.peek().is_none_or(|(fi, _, _)| *fi as usize != i) {
        return;
    }
    let mut b = back_evs.drain(..).peekable();
    loop {
        let take_front = match (front_evs.peek(), b.peek()) {
            (Some((fi, fp, _)), Some((bp, _))) if *fi as usize == i => fp <= bp,
            (Some((fi, _, _)), None) if *fi as usize == i => true,
            (_, Some(_)) => false,
            _ => break,
        };
        let next = if take_front { front_evs.next().map(|(_, _, e)| e) } else { b.next().map(|(_, e)| e) };
        let Some(e) = next else { break };
        merged.push(e);
    }
}

/// `read` with the reading and the tracking on two threads; same output as the one-thread run.
pub fn read<W: Write>(
    files: &[String],
    limit: u64,
    mut session: Session<W>,
    analyzers: Vec<Box<dyn Analyzer + Send>>,
) -> Result<crate::run::Tables, RunError> {
    let (mut back, front) = split(analyzers);
    let compact = !session.shows_packets() && back.iter().all(|(_, a)| a.takes_conn_input());
    // Under -q the analyzers that take the compact input run on a middle thread.
    let (mid, front): (Vec<_>, Vec<_>) = front.into_iter().partition(|(_, a)| compact && a.takes_conn_input());
    let (tx, rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
    let (spent_tx, spent_rx) = mpsc::channel::<Batch>();
    let (front, write_result) = std::thread::scope(|s| {
        let (to_mid, rx) = if mid.is_empty() {
            (None, rx)
        } else {
            let (mid_tx, mid_rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
            match std::thread::Builder::new().name("inspect-flood".into()).spawn_scoped(s, move || middle(mid, rx, mid_tx)) {
                Ok(h) => (Some(h), mid_rx),
                Err(e) => return (None, Err(e)),
            }
        };
        let reader = match std::thread::Builder::new()
            .name("inspect-reader".into())
            .spawn_scoped(s, move || produce(files, limit, compact, front, tx, spent_rx))
        {
            Ok(h) => h,
            Err(e) => return (None, Err(e)),
        };
        let mut back_evs = Vec::new();
        let mut merged = Vec::new();
        let mut result = Ok(());
        for mut batch in rx.iter() {
            result = consume(&mut session, &mut back, &mut batch, &mut back_evs, &mut merged);
            if result.is_err() {
                break;
            }
            let _ = spent_tx.send(batch);
        }
        // Dropping the receiver stops a reader still sending after a write error.
        drop(rx);
        let mut front = match reader.join() {
            Ok(f) => f,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if let Some(h) = to_mid {
            match h.join() {
                Ok(m) => front.analyzers.extend(m),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        (Some(front), result)
    });
    write_result?;
    let Some(front) = front else { return Err(RunError::Output(io::Error::other("cannot start the reading thread"))) };
    let Front { stats, analyzers: front, errors } = front;
    let mut all: Vec<(Pos, Box<dyn Analyzer + Send>)> = back.into_iter().chain(front).collect();
    all.sort_by_key(|(pos, _)| *pos);
    session.set_pipeline(Pipeline::from_parts(stats, all.into_iter().map(|(_, a)| a).collect()));
    crate::run::end_read(session, errors, files.len())
}

#[cfg(test)]
mod test {
    use super::*;

    /// Every input is announced once, in order, before it is handled, at most `(ahead + 1)`
    /// windows early; a window of 0 announces nothing.
    #[test]
    fn look_ahead_announces_each_input_once_and_early() {
        for n in [0usize, 1, 15, 16, 17, 100, 4096] {
            let xs: Vec<ConnInput> = (0..n).map(|k| ConnInput { ts: Ts { sec: k as i64, nsec: 0 }, flow: None }).collect();
            for (window, ahead) in [(16, 2), (1, 32), (8, 0), (5, 3), (0, 2)] {
                let mut announced: Vec<i64> = Vec::new();
                for i in 0..n {
                    for ws in look_ahead(&xs, i, window, ahead) {
                        announced.extend(ws.iter().map(|x| x.ts.sec));
                    }
                    if window > 0 {
                        assert!(announced.len() > i, "input {i} handled before it was announced ({window}, {ahead})");
                        assert!(announced.len() <= i + (ahead + 1) * window, "too early at {i}");
                    }
                }
                let want: Vec<i64> = if window == 0 { Vec::new() } else { (0..n as i64).collect() };
                assert_eq!(announced, want, "n {n}, window {window}, ahead {ahead}");
            }
        }
    }
}
