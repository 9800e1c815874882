//! `inspect ladder`: one TCP connection drawn as the textbooks draw it, each end's RFC 793 state
//! beside the arrows, from the connection tracker's own view of each packet.

use std::io::Write;

use crate::command::follow::{not_found, walk, Pick};
use crate::analyze::tcp::ConnConfig;
use crate::decode::tcpflag;
use crate::error::RunError;
use crate::output::follow::endpoint;
use crate::output::ladder::{self, Ladder, Rung};
use crate::report::conn::TcpState;

/// How the ladder is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LadderFormat {
    /// Text for a terminal.
    #[default]
    Text,
    /// A standalone SVG picture.
    Svg,
    /// JSON Lines, one object per packet.
    Json,
}

/// What `ladder` was asked.
#[derive(Debug, Clone)]
pub struct LadderConfig {
    /// The capture file.
    pub file: String,
    /// The connection.
    pub pick: Pick,
    /// Name the handshake's numbers x and y, with their values.
    pub explain: bool,
    /// Most arrows drawn; the middle of a longer connection is elided.
    pub max_rows: usize,
    /// Text, SVG or JSON.
    pub format: LadderFormat,
    /// The connection tracker's settings.
    pub conn: ConnConfig,    /// The sandbox entered before the file is read.
    pub sandbox: crate::cli::SandboxArgs,
}

/// Runs `ladder`.
pub fn run<W: Write>(c: &LadderConfig, mut out: W) -> Result<(), RunError> {
    crate::sandbox::setup(&c.sandbox, &crate::sandbox::Plan::reading(&c.file)).map_err(RunError::Input)?;
    let l = build(c)?;
    match c.format {
        LadderFormat::Text => out.write_all(ladder::text(&l, c.max_rows).as_bytes())?,
        LadderFormat::Svg => out.write_all(ladder::svg(&l, c.max_rows).as_bytes())?,
        LadderFormat::Json => {
            for r in &l.rungs {
                let v = serde_json::json!({
                    "event_type": "ladder",
                    "uid": l.uid,
                    "frame": r.frame,
                    "t": r.t,
                    "dir": if r.from_client { "client" } else { "server" },
                    "flags": ladder::flag_letters(r.flags),
                    "seq": r.seq,
                    "ack": r.ack,
                    "len": r.len,
                    "client_states": r.client.iter().map(|s| s.name()).collect::<Vec<_>>(),
                    "server_states": r.server.iter().map(|s| s.name()).collect::<Vec<_>>(),
                    "retransmission": r.retransmission,
                });
                writeln!(out, "{v}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// The ladder of the connection `c` picks in its file (the dashboard draws it too).
pub fn build(c: &LadderConfig) -> Result<Ladder, RunError> {
    let mut l: Option<Ladder> = None;
    // Each side's initial sequence number (as tshark makes numbers relative), and its
    // retransmissions so far.
    let mut isn: [Option<u32>; 2] = [None, None];
    let mut retrans = [0u32; 2];
    let mut start_ts = None;
    // Steps of the tracker's timeline already drawn.
    let mut seen = 0;
    // The state last written beside each end's column (None: the one at the top).
    let mut shown: [Option<TcpState>; 2] = [None, None];
    let walked = walk(&c.file, false, &c.pick, &c.conn, &mut |s| {
        let seg = s.flow.seg;
        let from_client = s.flow.from_a == s.conn.orig_is_a;
        let side = usize::from(!from_client);
        let lone_syn = seg.flags & (tcpflag::SYN | tcpflag::ACK | tcpflag::RST | tcpflag::FIN) == tcpflag::SYN;
        let l = l.get_or_insert_with(|| {
            let (client, server) = if from_client { (s.flow.src(), s.flow.dst()) } else { (s.flow.dst(), s.flow.src()) };
            Ladder {
                client: endpoint(client),
                server: endpoint(server),
                uid: s.uid.to_string(),
                start: if lone_syn && from_client { ("CLOSED", "LISTEN") } else { ("?", "?") },
                rungs: Vec::new(),
                explain: None,
            }
        });
        let t0 = *start_ts.get_or_insert(s.frame.ts);
        let mine = *isn[side].get_or_insert(if seg.flags & tcpflag::SYN != 0 { seg.seq } else { seg.seq.wrapping_sub(1) });
        let theirs = isn[1 - side];
        // The states each end passed through at this packet, from the tracker's timeline (one
        // packet can take an end through several: CLOSE_WAIT then LAST_ACK), or, once that is
        // full, the state it is in.
        let steps = s.conn.timeline.as_deref().map(|t| t.get(seen..).unwrap_or(&[])).unwrap_or(&[]);
        seen += steps.len();
        let mut passed: [Vec<TcpState>; 2] = [Vec::new(), Vec::new()];
        for &(_, resp, _, to) in steps {
            passed[usize::from(resp)].push(to);
        }
        let now_states = [s.conn.orig.state, s.conn.resp.state];
        for (k, p) in passed.iter_mut().enumerate() {
            if p.last() != Some(&now_states[k]) {
                p.push(now_states[k]);
            }
        }
        let now = [s.conn.orig.retrans, s.conn.resp.retrans];
        let retransmission = now[side] > retrans[side];
        retrans = now;
        l.rungs.push(Rung {
            t: s.frame.ts.secs_since(t0),
            frame: s.frame.number,
            from_client,
            flags: seg.flags,
            seq: if c.explain { seg.seq } else { seg.seq.wrapping_sub(mine) },
            ack: match (c.explain, theirs) {
                (false, Some(i)) if seg.flags & tcpflag::ACK != 0 => seg.ack.wrapping_sub(i),
                _ => seg.ack,
            },
            len: seg.len,
            client: changed(&mut shown[0], &passed[0], l.start.0),
            server: changed(&mut shown[1], &passed[1], l.start.1),
            retransmission,
        });
        Ok(())
    })?;
    let Some(mut l) = l else { return Err(not_found(&c.file, false, &c.pick, &walked)) };
    if c.explain {
        if let ([Some(x), Some(y)], Some(r)) = (isn, l.rungs.get(1)) {
            // Only a handshake whose second packet is the server's SYN-ACK is explained.
            if !r.from_client && r.flags & (tcpflag::SYN | tcpflag::ACK) == tcpflag::SYN | tcpflag::ACK {
                l.explain = Some((x, y));
            }
        }
    }
    Ok(l)
}

/// The states to write beside an arrow: those an end passed through at the packet, from the
/// first that differs from the one last written (at first, the one named at the top; a server
/// not yet heard from stays in LISTEN).
fn changed(shown: &mut Option<TcpState>, passed: &[TcpState], top: &str) -> Vec<TcpState> {
    let same = |st: TcpState| match *shown {
        Some(s) => s == st,
        None => st.name() == top || (top == "LISTEN" && st == TcpState::Closed),
    };
    let from = passed.iter().position(|&st| !same(st)).unwrap_or(passed.len());
    let new = passed.get(from..).unwrap_or(&[]).to_vec();
    if let Some(&last) = new.last() {
        *shown = Some(last);
    }
    new
}
