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
//! The SYN-flood detector then also runs on those inputs, a whole batch at a time, as a middle
//! stage between the other two, and both it and the tracker look a few inputs ahead
//! ([`Analyzer::warm`]) so that their cache misses on big tables overlap.
//!
//! The middle stage has no thread of its own: either thread runs it on the oldest batch waiting
//! for it, whichever has nothing else to do (the writing thread when no batch is ready for the
//! tracker, the reading thread when the batches in flight are at their bound). A third thread
//! for it, as before, made three threads share two cores: the scheduler's fair shares starved
//! the tracker, the queues filled, and a core then sat idle while the threads waited on each
//! other, 15 % of the two cores over a run; with two threads that each take what is ready it
//! is under 10 %.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::analyze::conn::ConnInput;
use crate::analyze::stats::StatsAnalyzer;
use crate::analyze::{Analyzer, Pipeline};
use crate::decode::{self, decode};
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

/// Most batches in flight (being filled, waiting or being handled), the bound on the extra
/// memory: of frame bytes (up to [`BATCH_BYTES`] each) when packets are shown, and of small
/// [`ConnInput`]s (about 400 KB a batch) with `-q`, where longer queues smooth the hand-offs
/// between three stages on two threads.
const IN_FLIGHT: usize = 6;
/// [`IN_FLIGHT`] with `-q`.
const IN_FLIGHT_COMPACT: usize = 16;

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
    /// An empty batch for frames, or (`compact`) for their tracker inputs.
    fn new(compact: bool) -> Batch {
        match compact {
            true => Batch { conns: Vec::with_capacity(BATCH_FRAMES), ..Batch::default() },
            false => Batch {
                bytes: Vec::with_capacity(BATCH_BYTES + 65_536),
                frames: Vec::with_capacity(BATCH_FRAMES),
                ..Batch::default()
            },
        }
    }

    /// Empties the batch for another use, keeping its memory.
    fn clear(&mut self) {
        self.bytes.clear();
        self.frames.clear();
        self.conns.clear();
        self.events.clear();
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

/// The reading thread: every file in turn, at most `limit` frames, into batches handed to
/// `pipe`; `compact` sends each frame's [`ConnInput`] instead of the frame.
fn produce(files: &[String], limit: u64, compact: bool, mut front: Vec<(Pos, Box<dyn Analyzer + Send>)>, pipe: &Pipe) -> Front {
    // However this thread ends, the writing thread learns that no batch will come any more.
    let _done = ReadDone(pipe);
    let mut stats = StatsAnalyzer::default();
    let mut errors = Vec::new();
    let mut seen = 0u64;
    let mut batch = Batch::new(compact);
    let mut evs = Vec::new();
    let mut closed = false;
    for path in files {
        if seen >= limit || closed {
            break;
        }
        let Some(mut src) = crate::run::open_input(path, &mut errors) else { continue };
        let res = src.for_each(|frame| {
            let idx = batch.len() as u32;
            // The common frame, when only the tracker's input goes on: its input, the statistics
            // and the time are read from the slices, and no packet is made unless an analyzer
            // wants one. Making the 296-byte packet and reading it back was a third of this
            // thread's own work.
            let fast = decode::fast(&frame).filter(|_| compact);
            let mut packet = None;
            match &fast {
                Some(f) => {
                    batch.conns.push(ConnInput::of_fast(f, frame.ts, frame.len));
                    stats.fast_frame(&frame, f);
                }
                None => {
                    let p = packet.insert(decode(&frame));
                    if compact {
                        batch.conns.push(ConnInput::of_packet(p));
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
                    stats.packet(p, &mut evs);
                    if !evs.is_empty() {
                        batch.events.extend(evs.drain(..).map(|e| (idx, 0, e)));
                    }
                }
            }
            for (pos, a) in front.iter_mut() {
                if fast.is_none() || !a.ip_frame(frame.ts, &mut evs) {
                    a.packet(packet.get_or_insert_with(|| decode(&frame)), &mut evs);
                }
                if !evs.is_empty() {
                    batch.events.extend(evs.drain(..).map(|e| (idx, *pos, e)));
                }
            }
            seen += 1;
            if batch.is_full() {
                match pipe.send(std::mem::take(&mut batch)) {
                    Some(next) => batch = next,
                    None => {
                        // The writer stopped (a write error): nothing more is wanted.
                        closed = true;
                        return ControlFlow::Break(());
                    }
                }
            }
            if seen >= limit { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        if let Err(e) = res {
            errors.push(InputError { input: src.input().to_string(), message: e.to_string() });
        }
    }
    if !closed && batch.len() > 0 {
        pipe.send_last(batch);
    }
    // The batches still waiting for the middle stage are shared with the writing thread.
    pipe.help_middle();
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

/// The batches between the threads, under [`Pipe::q`].
#[derive(Default)]
struct Queues {
    /// Read, waiting for the middle stage (none when there is no middle stage).
    to_mid: VecDeque<Batch>,
    /// Ready for the tracker, in frame order.
    to_back: VecDeque<Batch>,
    /// Handled, to be filled again.
    spent: Vec<Batch>,
    /// Batches the reading thread has taken and the writing thread not yet handed back.
    in_flight: usize,
    /// A thread is running the middle stage on a batch taken from `to_mid`.
    mid_busy: bool,
    /// The reading thread is done: it sends and helps no more.
    read_done: bool,
    /// The writing thread stopped (a write error): nothing more is wanted.
    closed: bool,
}

/// The middle stage: the analyzers that take a whole batch of tracker inputs (see
/// [`batch_inputs`]).
struct Middle {
    analyzers: Vec<(Pos, Box<dyn Analyzer + Send>)>,
    evs: Vec<Event>,
}

/// What the two threads share: the queues, two conditions to wait on, and the middle stage,
/// run by whichever thread takes its lock. A batch goes from `to_mid` to `to_back` under that
/// lock, so the batches reach the tracker in the order they were read.
struct Pipe {
    q: Mutex<Queues>,
    /// Signalled when a batch is queued or the reading thread is done (the writer waits).
    work: Condvar,
    /// Signalled when a batch is handed back or the writer stops (the reader waits).
    room: Condvar,
    mid: Mutex<Middle>,
    has_mid: bool,
    bound: usize,
    compact: bool,
}

impl Pipe {
    fn new(mid: Vec<(Pos, Box<dyn Analyzer + Send>)>, compact: bool) -> Pipe {
        Pipe::with_bound(mid, compact, if compact { IN_FLIGHT_COMPACT } else { IN_FLIGHT })
    }

    fn with_bound(mid: Vec<(Pos, Box<dyn Analyzer + Send>)>, compact: bool, bound: usize) -> Pipe {
        Pipe {
            // The batch the reading thread fills first is in flight from the start.
            q: Mutex::new(Queues { in_flight: 1, ..Queues::default() }),
            work: Condvar::new(),
            room: Condvar::new(),
            has_mid: !mid.is_empty(),
            mid: Mutex::new(Middle { analyzers: mid, evs: Vec::new() }),
            bound: bound.max(2),
            compact,
        }
    }

    /// The queues (a thread that panicked holding them left nothing half-done in them: each
    /// change is one push, pop or assignment).
    fn lock(&self) -> MutexGuard<'_, Queues> {
        self.q.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, cond: &Condvar, q: MutexGuard<'a, Queues>) -> MutexGuard<'a, Queues> {
        cond.wait(q).unwrap_or_else(PoisonError::into_inner)
    }

    fn queue(&self, q: &mut Queues, batch: Batch) {
        if self.has_mid {
            q.to_mid.push_back(batch);
        } else {
            q.to_back.push_back(batch);
        }
        self.work.notify_one();
    }

    /// The reading thread hands over a full batch and gets an empty one, once fewer than the
    /// bound are in flight; while there are not, it runs the middle stage if it can rather than
    /// wait. None once the writer has stopped.
    fn send(&self, batch: Batch) -> Option<Batch> {
        let mut q = self.lock();
        self.queue(&mut q, batch);
        loop {
            if q.closed {
                return None;
            }
            if q.in_flight < self.bound {
                q.in_flight += 1;
                let b = q.spent.pop();
                drop(q);
                return Some(b.unwrap_or_else(|| Batch::new(self.compact)));
            }
            drop(q);
            let helped = self.run_middle();
            q = self.lock();
            if !helped && q.in_flight >= self.bound && !q.closed {
                q = self.wait(&self.room, q);
            }
        }
    }

    /// The reading thread hands over its last batch.
    fn send_last(&self, batch: Batch) {
        let mut q = self.lock();
        self.queue(&mut q, batch);
    }

    /// The reading thread, done reading, runs the middle stage on what waits for it, with the
    /// writer, until nothing does (or the writer stopped).
    fn help_middle(&self) {
        loop {
            if self.lock().closed {
                return;
            }
            if self.run_middle() {
                continue;
            }
            let q = self.lock();
            if q.to_mid.is_empty() || q.closed {
                return;
            }
            // The writer runs the stage on a batch; one more may wait after it.
            drop(self.wait(&self.room, q));
        }
    }

    /// Runs the middle stage on the oldest batch waiting for it, unless the other thread is
    /// running it or none waits; whether it did.
    fn run_middle(&self) -> bool {
        let Ok(mut mid) = self.mid.try_lock() else { return false };
        let mut batch = {
            let mut q = self.lock();
            let Some(b) = q.to_mid.pop_front() else { return false };
            q.mid_busy = true;
            b
        };
        let Middle { analyzers, evs } = &mut *mid;
        batch_inputs(analyzers, &mut batch, evs);
        let mut q = self.lock();
        q.to_back.push_back(batch);
        q.mid_busy = false;
        self.work.notify_one();
        true
    }

    /// The writing thread's next batch for the tracker, after running the middle stage itself
    /// when no batch is ready; None when all have been handled.
    fn next_for_back(&self) -> Option<Batch> {
        let mut q = self.lock();
        loop {
            if let Some(b) = q.to_back.pop_front() {
                return Some(b);
            }
            if !q.to_mid.is_empty() && !q.mid_busy {
                drop(q);
                let ran = self.run_middle();
                q = self.lock();
                if !ran && q.read_done && q.to_back.is_empty() {
                    // Only this thread is left, and the stage's lock is poisoned: the reading
                    // thread panicked in it, which its join reports.
                    return None;
                }
                continue;
            }
            if q.read_done {
                // Nothing waits for the middle stage, or the reading thread ended inside it (a
                // panic, which its join reports): no batch will come any more.
                return None;
            }
            q = self.wait(&self.work, q);
        }
    }

    /// The writing thread hands a handled batch back.
    fn spend(&self, mut batch: Batch) {
        batch.clear();
        let mut q = self.lock();
        q.spent.push(batch);
        q.in_flight = q.in_flight.saturating_sub(1);
        self.room.notify_one();
    }

    /// The writing thread stops taking batches.
    fn close(&self) {
        self.lock().closed = true;
        self.room.notify_all();
    }
}

/// Marks the reading thread done when it ends, by returning or by a panic.
struct ReadDone<'a>(&'a Pipe);

impl Drop for ReadDone<'_> {
    fn drop(&mut self) {
        self.0.lock().read_done = true;
        self.0.work.notify_all();
    }
}

/// Closes the pipe when the writing thread stops taking batches, by a write error, at the end
/// or by a panic (which would otherwise leave the reader waiting for room, and the scope that
/// joins it waiting for ever).
struct WriteDone<'a>(&'a Pipe);

impl Drop for WriteDone<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
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
    // Under -q the analyzers that take the compact input form the middle stage.
    let (mid, front): (Vec<_>, Vec<_>) = front.into_iter().partition(|(_, a)| compact && a.takes_conn_input());
    let pipe = Pipe::new(mid, compact);
    let (front, write_result) = std::thread::scope(|s| {
        let pipe = &pipe;
        let reader = match std::thread::Builder::new()
            .name("inspect-reader".into())
            .spawn_scoped(s, move || produce(files, limit, compact, front, pipe))
        {
            Ok(h) => h,
            Err(e) => return (None, Err(e)),
        };
        let mut back_evs = Vec::new();
        let mut merged = Vec::new();
        let mut result = Ok(());
        let closing = WriteDone(pipe);
        while let Some(mut batch) = pipe.next_for_back() {
            result = consume(&mut session, &mut back, &mut batch, &mut back_evs, &mut merged);
            if result.is_err() {
                break;
            }
            pipe.spend(batch);
        }
        // Stops a reader still sending after a write error.
        drop(closing);
        match reader.join() {
            Ok(f) => (Some(f), result),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    write_result?;
    let Some(mut front) = front else { return Err(RunError::Output(io::Error::other("cannot start the reading thread"))) };
    let mid = pipe.mid.into_inner().unwrap_or_else(PoisonError::into_inner);
    front.analyzers.extend(mid.analyzers);
    let Front { stats, analyzers: front, errors } = front;
    let mut all: Vec<(Pos, Box<dyn Analyzer + Send>)> = back.into_iter().chain(front).collect();
    all.sort_by_key(|(pos, _)| *pos);
    session.set_pipeline(Pipeline::from_parts(stats, all.into_iter().map(|(_, a)| a).collect()));
    crate::run::end_read(session, errors, files.len())
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::analyze::flow::test::xorshift;

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

    /// A middle-stage analyzer that checks it is given the inputs once each, in order (their
    /// times count up from 0), and says where it saw each with an event.
    struct InOrder {
        next: i64,
    }

    impl Analyzer for InOrder {
        fn packet(&mut self, _p: &crate::decode::Packet<'_>, _events: &mut Vec<Event>) {}
        fn finish(&mut self, _report: &mut crate::report::Report, _events: &mut Vec<Event>) {}
        fn takes_conn_input(&self) -> bool {
            true
        }
        fn conn_input(&mut self, x: &ConnInput, events: &mut Vec<Event>) {
            assert_eq!(x.ts.sec, self.next, "middle stage out of order");
            self.next += 1;
            if x.ts.sec % 7 == 0 {
                events.push(Event::InputError(InputError { input: x.ts.sec.to_string(), message: String::new() }));
            }
        }
    }

    /// Sends `sizes.len()` batches of those sizes through a pipe of bound `bound`, with or
    /// without a middle stage; the writer stops after `stop_after` batches. Returns the input
    /// times the writer got, in order, and the events' inputs.
    fn through_pipe(sizes: &[usize], bound: usize, mid: bool, stop_after: usize) -> (Vec<i64>, Vec<String>) {
        let stage: Vec<(Pos, Box<dyn Analyzer + Send>)> = if mid { vec![(2, Box::new(InOrder { next: 0 }))] } else { Vec::new() };
        let pipe = Pipe::with_bound(stage, true, bound);
        let mut got = Vec::new();
        let mut evs = Vec::new();
        std::thread::scope(|s| {
            let pipe = &pipe;
            let reader = s.spawn(move || {
                let _done = ReadDone(pipe);
                let mut t = 0i64;
                let mut batch = Batch::new(true);
                for (k, &n) in sizes.iter().enumerate() {
                    for _ in 0..n {
                        batch.conns.push(ConnInput { ts: Ts { sec: t, nsec: 0 }, flow: None });
                        t += 1;
                    }
                    if k + 1 == sizes.len() {
                        pipe.send_last(std::mem::take(&mut batch));
                    } else {
                        match pipe.send(std::mem::take(&mut batch)) {
                            Some(b) => {
                                assert!(b.len() == 0 && b.events.is_empty(), "a batch came back unspent");
                                batch = b;
                            }
                            None => return,
                        }
                    }
                }
                pipe.help_middle();
            });
            let closing = WriteDone(pipe);
            let mut handled = 0;
            while let Some(mut b) = pipe.next_for_back() {
                assert!(pipe.lock().in_flight <= pipe.bound, "more batches in flight than the bound");
                got.extend(b.conns.iter().map(|x| x.ts.sec));
                evs.extend(b.events.drain(..).map(|(i, pos, e)| match e {
                    Event::InputError(x) => format!("{i}:{pos}:{}", x.input),
                    _ => String::new(),
                }));
                pipe.spend(b);
                handled += 1;
                if handled == stop_after {
                    break;
                }
            }
            drop(closing);
            if let Err(p) = reader.join() {
                std::panic::resume_unwind(p);
            }
        });
        (got, evs)
    }

    /// Every batch reaches the writer once and in order, through the middle stage (run by
    /// either thread) or straight, with its events, whatever the bound and the batch sizes;
    /// and a writer that stops early stops the reader.
    #[test]
    fn pipe_keeps_the_order_and_the_bound_and_stops_with_the_writer() {
        let mut r = xorshift(7);
        for round in 0..40 {
            let sizes: Vec<usize> = (0..1 + r() % 60).map(|_| (r() % 50) as usize).collect();
            let total: usize = sizes.iter().sum();
            let bound = 2 + (r() % 6) as usize;
            for mid in [true, false] {
                let (got, evs) = through_pipe(&sizes, bound, mid, usize::MAX);
                assert_eq!(got, (0..total as i64).collect::<Vec<_>>(), "round {round}, bound {bound}, middle {mid}");
                if mid {
                    // Event k of batch b is at the input's index within its batch.
                    let mut want = Vec::new();
                    let mut t = 0;
                    for &n in &sizes {
                        for i in 0..n {
                            if t % 7 == 0 {
                                want.push(format!("{i}:2:{t}"));
                            }
                            t += 1;
                        }
                    }
                    assert_eq!(evs, want, "round {round}");
                } else {
                    assert!(evs.is_empty());
                }
                // The writer stops after two batches: the reader returns (the join would hang
                // otherwise) and nothing past what was handled is seen.
                let (got, _) = through_pipe(&sizes, bound, mid, 2);
                let two: usize = sizes.iter().take(2).sum();
                assert_eq!(got.len(), two.min(total), "round {round}");
            }
        }
    }
}
