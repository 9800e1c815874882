//! `inspect follow --segments`: where a TCP stream's segments begin and end, and, with a
//! framing rule, where the application's messages do: the "sticky packet" lesson (two messages
//! in one segment, one message over many) shown on real traffic.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;
use std::ops::Range;

use crate::analyze::stream::follow::{Data, Follower, Record};
use crate::analyze::stream::framing::{self, Framing, Messages, Methods};
use crate::analyze::stream::reassembly::Caps;
use crate::command::follow::{not_found, walk, FollowConfig};
use crate::decode::tcpflag;
use crate::error::RunError;
use crate::output::follow::endpoint;

/// Most bytes of a direction kept to find its messages in; past them framing stops, with a note.
const MAX_FRAMED: usize = 64 << 20;

/// One segment with payload, as it came.
#[derive(Debug, Default)]
struct Segment {
    frame: u64,
    /// Sequence number relative to the sender's initial one, as tshark shows it.
    seq: u32,
    len: u32,
    psh: bool,
    /// Bytes of it that went into the stream (the rest had come before).
    delivered: u64,
    /// Frame whose arrival let its bytes in, when that was a later one (it came out of order).
    released_by: Option<u64>,
    /// Its bytes' stream offsets.
    ranges: Vec<Range<u64>>,
}

/// One direction of the stream.
#[derive(Debug, Default)]
struct Side {
    segments: Vec<Segment>,
    by_frame: HashMap<u64, usize>,
    /// The bytes in order, in runs each after bytes missing from the capture (the first from
    /// offset 0): each run's offset and bytes, [`MAX_FRAMED`] bytes at most in all.
    runs: Vec<(u64, Vec<u8>)>,
    /// Bytes in `runs`.
    kept: usize,
    /// The first gap: its offset and size.
    gap: Option<(u64, u64)>,
    gaps: Vec<(u64, u64, u64)>,
    fin: bool,
    isn: Option<u32>,
}

/// Runs `follow --segments`.
pub fn run<W: Write>(c: &FollowConfig, mut out: W) -> Result<(), RunError> {
    let framing = c.framing;
    let Some(pick) = &c.pick else { return Err(RunError::Usage("follow --segments: which stream? give N, --conn UID or -Y FILTER".into())) };
    if c.udp {
        return Err(RunError::Usage("follow --segments: segments are TCP's; a UDP datagram is its own message".into()));
    }
    let mut follower = Follower::new(Caps { held: c.max_held, recent: 4096 });
    let mut sides: [Side; 2] = Default::default();
    let mut ends = None;
    let mut stream = 0;
    let walked = walk(&c.file, false, pick, &c.conn, &mut |s| {
        stream = s.stream;
        let (client, _) = *ends.get_or_insert((s.flow.src(), s.flow.dst()));
        let side = usize::from(s.flow.src() != client);
        let seg = s.flow.seg;
        let me = &mut sides[side];
        let isn = *me.isn.get_or_insert(if seg.flags & tcpflag::SYN != 0 { seg.seq } else { seg.seq.wrapping_sub(1) });
        if seg.flags & tcpflag::FIN != 0 {
            me.fin = true;
        }
        if !s.payload.is_empty() {
            me.by_frame.insert(s.frame.number, me.segments.len());
            me.segments.push(Segment {
                frame: s.frame.number,
                seq: seg.seq.wrapping_sub(isn),
                len: s.payload.len() as u32,
                psh: seg.flags & tcpflag::PSH != 0,
                ..Segment::default()
            });
        }
        let now = s.frame.number;
        follower.packet(s.flow, s.payload, now, s.frame.ts, &mut |r: Record<'_>| {
            let d = &mut sides[usize::from(r.server)];
            match r.data {
                Data::Bytes(b) => {
                    if let Some(seg) = d.by_frame.get(&r.frame).and_then(|&i| d.segments.get_mut(i)) {
                        seg.delivered += b.len() as u64;
                        seg.ranges.push(r.offset..r.offset + b.len() as u64);
                        if r.frame != now {
                            seg.released_by = Some(now);
                        }
                    }
                    if d.kept < MAX_FRAMED {
                        d.kept += b.len();
                        match d.runs.last_mut() {
                            Some((at, run)) if *at + run.len() as u64 == r.offset => run.extend_from_slice(b),
                            _ => d.runs.push((r.offset, b.to_vec())),
                        }
                    }
                }
                Data::Missing(n) => {
                    d.gap.get_or_insert((r.offset, n));
                    d.gaps.push((r.offset, n, now));
                }
            }
        });
        Ok(())
    })?;
    let Some((client, server)) = ends else { return Err(not_found(&c.file, false, pick, &walked)) };
    // Requests first: the responses' framing needs their methods.
    let mut methods = Methods::new();
    let found: Vec<Option<Messages>> = sides
        .iter()
        .map(|d| {
            let runs: Vec<(u64, &[u8])> = d.runs.iter().map(|(at, b)| (*at, b.as_slice())).collect();
            let mut starts: Vec<u64> = d.segments.iter().flat_map(|s| s.ranges.iter().map(|r| r.start)).collect();
            starts.sort_unstable();
            starts.dedup();
            framing.map(|f| framing::messages_in_runs(&runs, &starts, f, d.fin && d.kept < MAX_FRAMED, &mut methods))
        })
        .collect();
    let names = [format!("{} → {}", endpoint(client), endpoint(server)), format!("{} → {}", endpoint(server), endpoint(client))];
    let who = ["client → server", "server → client"];
    let mut text = String::new();
    for (k, d) in sides.iter().enumerate() {
        let msgs = found.get(k).and_then(Option::as_ref);
        if c.json {
            json_side(&mut text, stream, who[k], d, msgs);
        } else {
            text_side(&mut text, &names[k], who[k], d, msgs, framing);
        }
    }
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// How a message lies in a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Whole,
    Starts,
    Continues,
    Ends,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Whole => "whole",
            Part::Starts => "starts",
            Part::Continues => "continues",
            Part::Ends => "ends",
        }
    }
}

/// The messages (1-based numbers) a segment's bytes belong to, and how.
fn parts(seg: &Segment, whole: &[Range<u64>]) -> Vec<(usize, Part)> {
    let mut out = Vec::new();
    for r in &seg.ranges {
        let first = whole.partition_point(|m| m.end <= r.start);
        for (i, m) in whole.iter().enumerate().skip(first) {
            if m.start >= r.end {
                break;
            }
            let part = match (m.start >= r.start, m.end <= r.end) {
                (true, true) => Part::Whole,
                (true, false) => Part::Starts,
                (false, true) => Part::Ends,
                (false, false) => Part::Continues,
            };
            out.push((i + 1, part));
        }
    }
    out
}

/// The summary of a direction: messages, segments, and how they fail to line up.
struct Tally {
    messages: usize,
    segments: usize,
    sticky: usize,
    split: usize,
    span_min: usize,
    span_max: usize,
}

fn tally(d: &Side, whole: &[Range<u64>]) -> Tally {
    let carrying: Vec<&Segment> = d.segments.iter().filter(|s| s.delivered > 0).collect();
    let mut spans = vec![0usize; whole.len()];
    let mut sticky = 0;
    for s in &carrying {
        let p = parts(s, whole);
        if p.len() >= 2 {
            sticky += 1;
        }
        for (i, _) in p {
            if let Some(n) = spans.get_mut(i - 1) {
                *n += 1;
            }
        }
    }
    let split: Vec<usize> = spans.iter().copied().filter(|&n| n >= 2).collect();
    Tally {
        messages: whole.len(),
        segments: carrying.len(),
        sticky,
        split: split.len(),
        span_min: split.iter().copied().min().unwrap_or(0),
        span_max: split.iter().copied().max().unwrap_or(0),
    }
}

/// `client → server: 12 messages in 9 segments; 3 segments carry 2+ messages, 1 message spans
/// 4 segments`.
fn summary(who: &str, t: &Tally) -> String {
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let spans = match t.split {
        0 => "no message spans 2+ segments".to_string(),
        1 => format!("1 message spans {} segments", t.span_max),
        n if t.span_min == t.span_max => format!("{n} messages span {} segments each", t.span_max),
        n => format!("{n} messages span {}–{} segments", t.span_min, t.span_max),
    };
    format!(
        "{who}: {} in {}; {} 2+ messages, {spans}",
        plural(t.messages, "message", "messages"),
        plural(t.segments, "segment", "segments"),
        plural(t.sticky, "segment carries", "segments carry")
    )
}

/// The message column of a segment: `#2–#5 whole, #6 starts`.
fn message_cell(p: &[(usize, Part)]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&(n, part)) = p.get(i) {
        let mut j = i;
        while p.get(j + 1).is_some_and(|&(m, q)| q == part && m == p[j].0 + 1) {
            j += 1;
        }
        let last = p.get(j).map_or(n, |x| x.0);
        out.push(if last > n { format!("#{n}–#{last} {}", part.name()) } else { format!("#{n} {}", part.name()) });
        i = j + 1;
    }
    out.join(", ")
}

fn text_side(out: &mut String, names: &str, who: &str, d: &Side, msgs: Option<&Messages>, framing: Option<Framing>) {
    let _ = writeln!(out, "{who}: {names}");
    if d.segments.is_empty() {
        let _ = writeln!(out, "  (no payload)\n");
        return;
    }
    let rule = framing.map(|f| format!("messages ({})", format!("{f:?}").to_lowercase())).unwrap_or_default();
    let _ = writeln!(out, "  {:>7}  {:>10}  {:>6}  {:<3}  {rule}", "frame", "seq", "len", "PSH");
    let whole = msgs.map(|m| m.whole.as_slice()).unwrap_or(&[]);
    let mut gaps = d.gaps.iter().peekable();
    for s in &d.segments {
        while let Some(&&(at, n, by)) = gaps.peek() {
            if by > s.frame {
                break;
            }
            let _ = writeln!(out, "  {:>7}  {n} bytes missing from the capture at offset {at}", "gap");
            gaps.next();
        }
        let mut notes = Vec::new();
        if s.delivered == 0 {
            notes.push("retransmission: no new bytes".to_string());
        } else if s.delivered < u64::from(s.len) {
            notes.push(format!("{} bytes seen before", u64::from(s.len) - s.delivered));
        }
        if let Some(by) = s.released_by {
            notes.push(format!("out of order, in order at frame {by}"));
        }
        let cell = if framing.is_some() && s.delivered > 0 { message_cell(&parts(s, whole)) } else { String::new() };
        let tail: Vec<String> = [cell].into_iter().filter(|c| !c.is_empty()).chain(notes.into_iter().map(|n| format!("({n})"))).collect();
        let line = format!("  {:>7}  {:>10}  {:>6}  {:<3}  {}", s.frame, s.seq, s.len, if s.psh { "P" } else { "" }, tail.join(" "));
        let _ = writeln!(out, "{}", line.trim_end());
    }
    for &(at, n, _) in gaps {
        let _ = writeln!(out, "  {:>7}  {n} bytes missing from the capture at offset {at}", "gap");
    }
    if let Some(m) = msgs {
        if let Some((at, why)) = &m.stopped {
            let _ = writeln!(out, "  framing stops at offset {at}: {why}");
        }
        if let Some((at, _)) = d.gap {
            let _ = writeln!(out, "  framing stops at offset {at}: bytes missing from the capture");
        }
        for &(gap, at) in &m.resumed {
            match at {
                Some(at) => {
                    let _ = writeln!(out, "  framing picks up at offset {at}: the first message start after the gap (the bytes resume at offset {gap})");
                }
                None => {
                    let _ = writeln!(out, "  framing does not pick up: no message starts in the bytes from offset {gap} (after a gap)");
                }
            }
        }
        for (at, why) in &m.later {
            let _ = writeln!(out, "  framing stops at offset {at}: {why}");
        }
        let _ = writeln!(out, "  {}", summary(who, &tally(d, whole)));
    }
    out.push('\n');
}

fn json_side(out: &mut String, stream: u32, who: &str, d: &Side, msgs: Option<&Messages>) {
    let dir = if who.starts_with("client") { "client" } else { "server" };
    let whole = msgs.map(|m| m.whole.as_slice()).unwrap_or(&[]);
    for s in &d.segments {
        let p: Vec<serde_json::Value> =
            if msgs.is_some() { parts(s, whole).into_iter().map(|(n, part)| serde_json::json!({"message": n, "part": part.name()})).collect() } else { Vec::new() };
        let v = serde_json::json!({
            "event_type": "stream_segment", "stream": stream, "dir": dir, "frame": s.frame, "seq": s.seq,
            "len": s.len, "psh": s.psh, "new_bytes": s.delivered, "in_order_at": s.released_by,
            "messages": p,
        });
        let _ = writeln!(out, "{v}");
    }
    for &(at, n, by) in &d.gaps {
        let _ = writeln!(out, "{}", serde_json::json!({"event_type": "stream_gap", "stream": stream, "dir": dir, "offset": at, "len": n, "frame": by}));
    }
    if let Some(m) = msgs {
        let t = tally(d, whole);
        let v = serde_json::json!({
            "event_type": "stream_messages", "stream": stream, "dir": dir, "messages": t.messages,
            "segments": t.segments, "segments_with_2plus_messages": t.sticky, "messages_split": t.split,
            "longest_split": t.span_max, "stopped": m.stopped.as_ref().map(|s| serde_json::json!({"offset": s.0, "why": s.1})),
        });
        let mut v = v;
        if let (Some((req, resp)), Some(o)) = (m.http, v.as_object_mut()) {
            o.insert("requests".into(), req.into());
            o.insert("responses".into(), resp.into());
        }
        if let (false, Some(o)) = (m.resumed.is_empty(), v.as_object_mut()) {
            let r: Vec<serde_json::Value> = m.resumed.iter().map(|&(gap, at)| serde_json::json!({"gap": gap, "offset": at})).collect();
            o.insert("resumed".into(), r.into());
        }
        let _ = writeln!(out, "{v}");
    }
}
