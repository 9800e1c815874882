//! The ladder: one TCP connection as the textbooks draw it, two columns (client and server), an
//! arrow per packet with its flags, relative sequence and acknowledgement numbers and length, and
//! each end's RFC 793 state written beside it as it changes. As text for a terminal, and as an SVG
//! picture.

use std::fmt::Write as _;

use crate::report::conn::TcpState;

/// One packet of the connection, and what it did to the two ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Rung {
    /// Seconds since the connection's first packet.
    pub t: f64,
    /// Its frame number.
    pub frame: u64,
    /// Sent by the client (the originator), else by the server.
    pub from_client: bool,
    /// TCP flag bits.
    pub flags: u8,
    /// Sequence number, relative to the sender's initial one (or its absolute value).
    pub seq: u32,
    /// Acknowledgement number, relative to the receiver's initial one (or absolute).
    pub ack: u32,
    /// Payload bytes.
    pub len: u32,
    /// The states the client passed through at the packet, in order (none if it stayed).
    pub client: Vec<TcpState>,
    /// The states the server passed through at the packet.
    pub server: Vec<TcpState>,
    /// The sender sent these bytes before.
    pub retransmission: bool,
}

/// The two ends and what came before the first packet.
#[derive(Debug, Clone, PartialEq)]
pub struct Ladder {
    /// The client's address and port, as shown.
    pub client: String,
    /// The server's.
    pub server: String,
    /// The connection's uid.
    pub uid: String,
    /// Each end's state before the first packet, as named (`CLOSED`, `LISTEN`; `?` for a
    /// connection picked up mid-stream).
    pub start: (&'static str, &'static str),
    /// The packets, in order.
    pub rungs: Vec<Rung>,
    /// The initial sequence numbers (client's, server's), when the handshake was seen: with them
    /// the handshake's arrows are explained as `seq=x`, `seq=y ack=x+1`, `ack=y+1`.
    pub explain: Option<(u32, u32)>,
}

/// tcpdump's letters for the flags, in brackets: `[S.]`, `[P.]`, `[R]`.
pub fn flag_letters(f: u8) -> String {
    let mut s = String::from("[");
    for (bit, c) in [(0x02, 'S'), (0x01, 'F'), (0x08, 'P'), (0x04, 'R'), (0x20, 'U'), (0x40, 'E'), (0x80, 'W')] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    if f & 0x10 != 0 {
        s.push('.');
    }
    if s.len() == 1 {
        s.push_str("none");
    }
    s.push(']');
    s
}

impl Rung {
    /// The arrow's label: flags, numbers, length, and what it is if it is notable.
    fn label(&self, explain: Option<(u32, u32)>, index: usize) -> String {
        let mut s = flag_letters(self.flags);
        let syn = self.flags & 0x02 != 0;
        let ack = self.flags & 0x10 != 0;
        match (explain, index) {
            (Some((x, _)), 0) if syn && !ack => {
                let _ = write!(s, " seq=x ({x})");
            }
            (Some((x, y)), 1) if syn && ack => {
                let _ = write!(s, " seq=y ({y}) ack=x+1 ({})", x.wrapping_add(1));
            }
            (Some((_, y)), 2) if ack && !syn => {
                let _ = write!(s, " ack=y+1 ({})", y.wrapping_add(1));
            }
            _ => {
                if syn || self.len > 0 || self.flags & 0x05 != 0 {
                    let _ = write!(s, " seq={}", self.seq);
                }
                if ack {
                    let _ = write!(s, " ack={}", self.ack);
                }
            }
        }
        if self.len > 0 {
            let _ = write!(s, " len={}", self.len);
        }
        if self.retransmission {
            s.push_str(" (retransmission)");
        }
        if self.flags & 0x04 != 0 {
            s.push_str(" (reset)");
        }
        s
    }
}

/// Width of the arrow column.
const ARROW: usize = 50;

/// States passed through, as written beside a column: `CLOSE_WAIT→LAST_ACK`.
fn chain(states: &[TcpState]) -> String {
    states.iter().map(|s| s.name()).collect::<Vec<_>>().join("→")
}

/// Which rungs are drawn when at most `max_rows` are: the first and last halves, with the
/// number left out between them.
fn shown(n: usize, max_rows: usize) -> (usize, usize) {
    let keep = max_rows.max(2);
    if n > keep { (keep / 2, keep - keep / 2) } else { (n, 0) }
}

/// The ladder as text, at most `max_rows` arrows (the middle elided), with a header naming the
/// ends.
pub fn text(l: &Ladder, max_rows: usize) -> String {
    let mut out = String::new();
    let n = l.rungs.len();
    let (head, tail) = shown(n, max_rows);
    let drawn = |i: usize| i < head || i >= n - tail;
    // The client's column is as wide as the longest state chain written in it.
    let width = l
        .rungs
        .iter()
        .enumerate()
        .filter(|&(i, _)| drawn(i))
        .map(|(_, r)| chain(&r.client).chars().count())
        .chain([l.start.0.len(), "client".len()])
        .max()
        .unwrap_or(12)
        + 1;
    let _ = writeln!(out, "{} {} (client) ⇄ {} (server)", l.uid, l.client, l.server);
    let _ = writeln!(out, "{:>10}  {:<width$}{:w$}  server", "time (s)", "client", "", w = ARROW);
    let _ = writeln!(out, "{:>10}  {:<width$}{:w$}  {}", "", l.start.0, "", l.start.1, w = ARROW);
    for (i, r) in l.rungs.iter().enumerate() {
        if i == head && tail > 0 {
            let gap = format!("… {} packets …", n - head - tail);
            let line = format!("{:>10}  {:<width$}{gap:^w$}", "", "", w = ARROW);
            let _ = writeln!(out, "{}", line.trim_end());
        }
        if !drawn(i) {
            continue;
        }
        let label = r.label(l.explain, i);
        let body = ARROW.saturating_sub(4);
        let pad = body.saturating_sub(label.chars().count() + 2);
        let arrow = if r.from_client {
            format!("──{label} {}──▶", "─".repeat(pad))
        } else {
            format!("◀──{} {label}──", "─".repeat(pad))
        };
        let line = format!("{:>10.6}  {:<width$}{arrow}  {}", r.t, chain(&r.client), chain(&r.server));
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// Escapes text for an XML document.
fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

/// The ladder as a standalone SVG picture, at most `max_rows` arrows (the middle elided).
pub fn svg(l: &Ladder, max_rows: usize) -> String {
    let (left, right, top, step) = (260.0f64, 740.0f64, 90.0f64, 40.0f64);
    let n = l.rungs.len();
    let (head, tail) = shown(n, max_rows);
    let rows = head + tail + usize::from(tail > 0);
    let height = top + step * (rows as f64 + 1.0) + 20.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="{height:.0}" viewBox="0 0 1000 {height:.0}" font-family="monospace" font-size="12">"##
    );
    s.push_str(r##"<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>"##);
    let _ = write!(s, r##"<title>{}</title>"##, xml(&format!("{} {} ⇄ {}", l.uid, l.client, l.server)));
    let _ = write!(s, r##"<text x="{left}" y="24" text-anchor="middle" font-weight="bold">{}</text>"##, xml(&format!("client {}", l.client)));
    let _ = write!(s, r##"<text x="{right}" y="24" text-anchor="middle" font-weight="bold">{}</text>"##, xml(&format!("server {}", l.server)));
    let _ = write!(s, r##"<text x="{left}" y="44" text-anchor="middle">{}</text>"##, l.start.0);
    let _ = write!(s, r##"<text x="{right}" y="44" text-anchor="middle">{}</text>"##, l.start.1);
    let bottom = height - 20.0;
    let _ = write!(s, r##"<line x1="{left}" y1="54" x2="{left}" y2="{bottom:.0}" stroke="#999"/>"##);
    let _ = write!(s, r##"<line x1="{right}" y1="54" x2="{right}" y2="{bottom:.0}" stroke="#999"/>"##);
    let mut row = 0usize;
    for (i, r) in l.rungs.iter().enumerate() {
        if i == head && tail > 0 {
            let y = top + step * row as f64;
            let _ = write!(s, r##"<text x="500" y="{y:.0}" text-anchor="middle" fill="#666">{}</text>"##, xml(&format!("… {} packets …", n - head - tail)));
            row += 1;
        }
        if i >= head && i < n - tail {
            continue;
        }
        let y = top + step * row as f64;
        let (x1, x2) = if r.from_client { (left, right) } else { (right, left) };
        let colour = if r.flags & 0x04 != 0 { "#c00" } else if r.retransmission { "#c60" } else { "#333" };
        let _ = write!(
            s,
            r##"<line x1="{x1}" y1="{y:.0}" x2="{x2}" y2="{:.0}" stroke="{colour}" stroke-width="1.5" marker-end="url(#head)"/>"##,
            y + step * 0.6
        );
        let _ = write!(s, r##"<text x="500" y="{:.0}" text-anchor="middle">{}</text>"##, y + step * 0.25, xml(&r.label(l.explain, i)));
        let _ = write!(s, r##"<text x="20" y="{:.0}">{:.6}</text>"##, y + step * 0.3, r.t);
        if !r.client.is_empty() {
            let _ = write!(s, r##"<text x="{}" y="{:.0}" text-anchor="end" fill="#036">{}</text>"##, left - 8.0, y + step * 0.6, chain(&r.client));
        }
        if !r.server.is_empty() {
            let _ = write!(s, r##"<text x="{}" y="{:.0}" fill="#036">{}</text>"##, right + 8.0, y + step * 0.6, chain(&r.server));
        }
        row += 1;
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod test {
    use super::*;
    use TcpState::*;

    /// A rung from its time, sender, flags, (seq, ack, len) and the states it moves each end to.
    fn rung(t: f64, from_client: bool, flags: u8, (seq, ack, len): (u32, u32, u32), client: Option<TcpState>, server: Option<TcpState>) -> Rung {
        Rung { t, frame: 1, from_client, flags, seq, ack, len, client: client.into_iter().collect(), server: server.into_iter().collect(), retransmission: false }
    }

    fn handshake() -> Ladder {
        Ladder {
            client: "10.0.0.1:41710".into(),
            server: "10.0.0.2:80".into(),
            uid: "Cxyz".into(),
            start: ("CLOSED", "LISTEN"),
            rungs: vec![
                rung(0.0, true, 0x02, (0, 0, 0), Some(SynSent), None),
                rung(0.000021, false, 0x12, (0, 1, 0), Some(Established), Some(SynRcvd)),
                rung(0.000047, true, 0x10, (1, 1, 0), None, Some(Established)),
                rung(0.007, true, 0x18, (1, 1, 81), None, None),
            ],
            explain: None,
        }
    }

    #[test]
    fn the_handshake_reads_as_the_textbook_draws_it() {
        let t = text(&handshake(), 100);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("Cxyz 10.0.0.1:41710 (client) ⇄ 10.0.0.2:80 (server)"));
        assert!(lines[3].contains("SYN_SENT") && lines[3].contains("──[S] seq=0 ") && lines[3].ends_with("──▶"), "{}", lines[3]);
        assert!(lines[4].contains("◀──") && lines[4].contains("[S.] seq=0 ack=1──") && lines[4].ends_with("SYN_RCVD"), "{}", lines[4]);
        assert!(lines[4].contains("ESTABLISHED"));
        assert!(lines[5].contains("[.] ack=1") && lines[5].ends_with("ESTABLISHED"));
        assert!(lines[6].contains("[P.] seq=1 ack=1 len=81"));
        // Every arrow starts and ends in the same column, so the columns line up.
        let span = |l: &str| {
            let c: Vec<char> = l.chars().collect();
            let start = c.iter().position(|&ch| ch == '─' || ch == '◀');
            let end = c.iter().rposition(|&ch| ch == '─' || ch == '▶');
            (start, end)
        };
        let spans: Vec<_> = lines[3..].iter().map(|l| span(l)).collect();
        assert!(spans.iter().all(|s| *s == spans[0] && s.0.is_some()), "{spans:?}");
    }

    #[test]
    fn explained_handshake_names_x_and_y() {
        let mut l = handshake();
        l.explain = Some((827_376_980, 846_156_408));
        let t = text(&l, 100);
        assert!(t.contains("[S] seq=x (827376980)"), "{t}");
        assert!(t.contains("[S.] seq=y (846156408) ack=x+1 (827376981)"), "{t}");
        assert!(t.contains("[.] ack=y+1 (846156409)"), "{t}");
    }

    #[test]
    fn long_ladders_elide_the_middle() {
        let mut l = handshake();
        for k in 0..100 {
            l.rungs.push(rung(1.0 + k as f64, k % 2 == 0, 0x10, (1, 1, 0), None, None));
        }
        let t = text(&l, 10);
        assert!(t.contains("… 94 packets …"), "{t}");
        assert_eq!(t.lines().filter(|l| l.contains("──")).count(), 10);
    }

    #[test]
    fn the_svg_is_well_formed_and_escapes_its_text() {
        let mut l = handshake();
        l.client = "<a&b>".into();
        let s = svg(&l, 100);
        assert!(s.starts_with("<svg ") && s.trim_end().ends_with("</svg>"));
        assert!(s.contains("&lt;a&amp;b&gt;") && !s.contains("<a&b>"));
        assert_eq!(s.matches("<line ").count(), 2 + 4, "two lifelines and an arrow per packet");
        // Tags balance: every element opened is closed or self-closing.
        let opens = s.matches("<text").count();
        assert_eq!(opens, s.matches("</text>").count());
    }
}
