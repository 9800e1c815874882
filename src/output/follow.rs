//! `inspect follow`'s output: a conversation's chunks as `tshark -z follow` prints them (ascii,
//! hex or raw, the server's chunks indented by a tab), or as JSON Lines.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;

use crate::analyze::stream::follow::{Data, Record};

/// How the bytes are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// Printable characters as they are, others as `.`; each chunk after its length.
    #[default]
    Ascii,
    /// Offset, 16 bytes in hex, and the same as characters, per line.
    Hex,
    /// Each chunk as one line of hex digits.
    Raw,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Ascii => "ascii",
            Mode::Hex => "hex",
            Mode::Raw => "raw",
        }
    }
}

/// The rule around a conversation's text.
const RULE: &str = "===================================================================";

/// An address and port as Wireshark writes them (IPv6 in brackets).
pub fn endpoint((addr, port): (IpAddr, u16)) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// Writes one conversation's chunks as text or JSON.
pub struct FollowPrinter<W: Write> {
    out: W,
    mode: Mode,
    json: bool,
    /// The stream's number, and `tcp` or `udp`.
    stream: u32,
    proto: &'static str,
    /// Bytes shown so far in each direction (hex offsets count a gap's text, as tshark's do).
    shown: [u64; 2],
    line: String,
}

impl<W: Write> FollowPrinter<W> {
    /// A printer of stream `stream` of `proto` (`tcp`, `udp`).
    pub fn new(out: W, mode: Mode, json: bool, proto: &'static str, stream: u32) -> Self {
        FollowPrinter { out, mode, json, stream, proto, shown: [0, 0], line: String::new() }
    }

    /// The header: which stream and its two ends (text only); None when no byte of the stream
    /// was seen, which tshark shows as ends without an address or port.
    pub fn header(&mut self, ends: Option<((IpAddr, u16), (IpAddr, u16))>) -> io::Result<()> {
        if self.json {
            return Ok(());
        }
        writeln!(self.out, "\n{RULE}")?;
        writeln!(self.out, "Follow: {},{}", self.proto, self.mode.name())?;
        writeln!(self.out, "Filter: {}.stream eq {}", self.proto, self.stream)?;
        let (client, server) = match ends {
            Some((c, s)) => (endpoint(c), endpoint(s)),
            None => (":0".to_string(), ":0".to_string()),
        };
        writeln!(self.out, "Node 0: {client}")?;
        writeln!(self.out, "Node 1: {server}")
    }

    /// One chunk; `uid` is its connection's.
    pub fn record(&mut self, r: &Record<'_>, uid: &str) -> io::Result<()> {
        if self.json {
            return self.json_record(r, uid);
        }
        // A gap is shown as Wireshark shows it: a note, with its terminating NUL.
        let note;
        let bytes: &[u8] = match r.data {
            Data::Bytes(b) => b,
            Data::Missing(n) => {
                note = format!("[{n} bytes missing in capture file]\0");
                note.as_bytes()
            }
        };
        let side = usize::from(r.server);
        let tab = if r.server { "\t" } else { "" };
        self.line.clear();
        match self.mode {
            Mode::Ascii => {
                let _ = writeln!(self.line, "{tab}{}", bytes.len());
                self.line.extend(bytes.iter().map(|&b| if b == b'\r' || b == b'\n' || printable(b) { b as char } else { '.' }));
                self.line.push('\n');
            }
            Mode::Raw => {
                self.line.push_str(tab);
                for b in bytes {
                    let _ = write!(self.line, "{b:02x}");
                }
                self.line.push('\n');
            }
            Mode::Hex => {
                let mut at = self.shown[side];
                for row in bytes.chunks(16) {
                    let _ = write!(self.line, "{tab}{:08X}  ", at as u32);
                    let mut width = 0;
                    for (i, b) in row.iter().enumerate() {
                        let sep = if i == 7 { "  " } else { " " };
                        let _ = write!(self.line, "{b:02x}{sep}");
                        width += 2 + sep.len();
                    }
                    // The characters start in the same column on every line.
                    self.line.extend(std::iter::repeat_n(' ', 50usize.saturating_sub(width)));
                    for (i, &b) in row.iter().enumerate() {
                        if i == 8 {
                            self.line.push(' ');
                        }
                        self.line.push(if printable(b) { b as char } else { '.' });
                    }
                    // Wireshark drops one space at the end of a line: on a line of eight
                    // characters the one it puts after the eighth, else a last character that
                    // is a space.
                    if row.len() != 8 && self.line.ends_with(' ') {
                        self.line.pop();
                    }
                    self.line.push('\n');
                    at += row.len() as u64;
                }
            }
        }
        self.shown[side] += bytes.len() as u64;
        self.out.write_all(self.line.as_bytes())
    }

    fn json_record(&mut self, r: &Record<'_>, uid: &str) -> io::Result<()> {
        self.line.clear();
        let dir = if r.server { "server" } else { "client" };
        let _ = write!(
            self.line,
            "{{\"event_type\":\"stream_chunk\",\"proto\":\"{}\",\"stream\":{},\"uid\":\"{uid}\",\"dir\":\"{dir}\",\"offset\":{},\"ts\":{}.{:09},\"frame\":{}",
            self.proto, self.stream, r.offset, r.ts.sec, r.ts.nsec, r.frame
        );
        match r.data {
            Data::Bytes(b) => {
                let _ = write!(self.line, ",\"len\":{},\"hex\":\"", b.len());
                for x in b {
                    let _ = write!(self.line, "{x:02x}");
                }
                self.line.push_str("\"}\n");
            }
            Data::Missing(n) => {
                let _ = writeln!(self.line, ",\"len\":{n},\"missing\":true}}");
            }
        }
        self.out.write_all(self.line.as_bytes())
    }

    /// The closing rule (text only), and everything flushed.
    pub fn finish(&mut self) -> io::Result<()> {
        if !self.json {
            writeln!(self.out, "{RULE}")?;
        }
        self.out.flush()
    }
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::source::Ts;

    fn show(mode: Mode, records: &[Record<'_>]) -> String {
        let mut p = FollowPrinter::new(Vec::new(), mode, false, "tcp", 3);
        p.header(Some((("10.0.0.1".parse().unwrap(), 1234), ("2001:db8::1".parse().unwrap(), 80)))).unwrap();
        for r in records {
            p.record(r, "C1").unwrap();
        }
        p.finish().unwrap();
        String::from_utf8(p.out).unwrap()
    }

    fn rec(server: bool, b: &[u8]) -> Record<'_> {
        Record { server, frame: 1, ts: Ts::default(), offset: 0, data: Data::Bytes(b) }
    }

    #[test]
    fn ascii_keeps_line_ends_and_indents_the_server() {
        let s = show(Mode::Ascii, &[rec(false, b"GET /\r\n\t\x00"), rec(true, b"OK\n")]);
        assert_eq!(
            s,
            format!("\n{RULE}\nFollow: tcp,ascii\nFilter: tcp.stream eq 3\nNode 0: 10.0.0.1:1234\nNode 1: [2001:db8::1]:80\n9\nGET /\r\n..\n\t3\nOK\n\n{RULE}\n")
        );
    }

    #[test]
    fn hex_lines_align_and_count_per_direction() {
        let data: Vec<u8> = (b'a'..=b'z').collect();
        let s = show(Mode::Hex, &[rec(false, &data), rec(false, b"!")]);
        let lines: Vec<&str> = s.lines().skip(6).collect();
        assert_eq!(lines[0], "00000000  61 62 63 64 65 66 67 68  69 6a 6b 6c 6d 6e 6f 70  abcdefgh ijklmnop");
        assert_eq!(lines[1], "00000010  71 72 73 74 75 76 77 78  79 7a                    qrstuvwx yz");
        assert_eq!(lines[2], format!("0000001A  21{}!", " ".repeat(48)));
        // A space character ends a line of 8 characters, but one of 2 or 16 ends before its
        // last, as in tshark's output.
        let s = show(Mode::Hex, &[rec(false, b"a ")]);
        assert_eq!(s.lines().nth(6), Some(format!("00000000  61 20{}a", " ".repeat(45)).as_str()));
        let s = show(Mode::Hex, &[rec(false, b"any TCP ")]);
        assert_eq!(s.lines().nth(6), Some(format!("00000000  61 6e 79 20 54 43 50 20{}any TCP ", " ".repeat(27)).as_str()));
        let s = show(Mode::Hex, &[rec(false, b"r: test message ")]);
        assert!(s.lines().nth(6).is_some_and(|l| l.ends_with("r: test  message")), "{s}");
    }

    #[test]
    fn a_gap_reads_as_wireshark_writes_it() {
        let gap = Record { server: true, frame: 9, ts: Ts::default(), offset: 5, data: Data::Missing(1448) };
        let s = show(Mode::Raw, &[gap]);
        let line = s.lines().nth(6).unwrap();
        let expect: String = b"[1448 bytes missing in capture file]\0".iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(line, format!("\t{expect}"));
    }
}
