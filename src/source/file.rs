//! Capture files: classic pcap (either byte order, micro- or nanosecond) and pcapng.
//!
//! The file is streamed through a fixed buffer by `pcap-parser`, so memory does not grow with
//! the file. Every problem with the file itself (not a capture, cut short, a record too long)
//! becomes one [`SourceError`] that names the file, the record and the offset, and is raised only
//! after every frame before it has been handed on, so nothing already read is lost.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::Path;

use pcap_parser::pcap::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header, LegacyPcapBlock};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError, PcapNGReader};

use super::{Frame, Ts};

/// Largest record we accept, as libpcap's maximum snapshot length.
pub const MAX_RECORD: u32 = 262_144;
/// Largest pcapng block of any kind we are willing to buffer.
const MAX_BLOCK: usize = 16 * 1024 * 1024;
/// Initial read buffer; it grows when a record or block does not fit. 1 MiB: fewer refills and
/// shifts of the parser's buffer than at 128 KiB, and still small next to the flow table.
const BUFFER: usize = 1024 * 1024;

/// What went wrong with an input file. `Display` is one line that names the input.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be opened or read.
    #[error("{input}: {what}: {err}{hint}", hint = crate::sandbox::hint(err))]
    Io { input: String, what: &'static str, err: io::Error },
    /// The first bytes are not a pcap or pcapng magic number.
    #[error("{input}: not a pcap or pcapng file: {found}")]
    NotCapture { input: String, found: String },
    /// The file ends in the middle of a record or block.
    #[error("{input}: truncated {what} at byte offset {offset}: {needed} bytes needed, {present} present")]
    Truncated { input: String, what: String, offset: u64, needed: u64, present: u64 },
    /// A record is larger than allowed.
    #[error("{input}: record {record} at byte offset {offset}: captured length {caplen} exceeds {limit}")]
    TooLong { input: String, record: u64, offset: u64, caplen: u64, limit: String },
    /// The file structure is broken in some other way.
    #[error("{input}: malformed {format} at byte offset {offset}: {why}")]
    Malformed { input: String, format: &'static str, offset: u64, why: String },
}

/// The two container formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Format {
    /// Classic libpcap format.
    Pcap,
    /// Next-generation pcapng.
    PcapNg,
}

/// One pcapng interface: its link type and how its timestamps are counted.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    snaplen: u32,
    units_per_sec: u64,
    offset_secs: i64,
}

/// A reader over one pcap or pcapng input (a file, or standard input for `-`).
pub struct FileSource {
    input: String,
    format: Format,
    reader: Blocks,
    // Classic pcap header facts.
    linktype: u32,
    snaplen: u32,
    units_per_sec: u64,
    // pcapng state: interfaces of the current section.
    interfaces: Vec<Interface>,
    // Byte order of the pcap file, or of the current pcapng section.
    big_endian: bool,
    number: u64,
    // Time of the last timestamped frame, lent to records that carry none.
    last_ts: Ts,
}

impl fmt::Debug for FileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSource").field("input", &self.input).field("format", &self.format).finish()
    }
}

/// How the file's records are cut out of the byte stream.
enum Blocks {
    /// Classic pcap: records cut from our own buffer by `pcap-parser`'s record parser.
    Pcap(Records),
    /// pcapng: `pcap-parser`'s block reader.
    Ng(Box<dyn PcapReaderIterator + Send>),
}

/// One classic pcap record parser (`pcap-parser`'s, chosen by the file header).
type RecordFn = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

/// A classic pcap file read in large pieces, its records parsed in place. Reading through
/// `LegacyPcapReader` cost a fifth of the reading thread's time on the bench file: a call through
/// a trait object, an owned-block enum and a buffer check for each record.
struct Records {
    stream: Prefixed<Box<dyn Read + Send>>,
    buf: Vec<u8>,
    /// `buf[start..end]` holds bytes not handed on yet.
    start: usize,
    end: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    parse: RecordFn,
}

impl Records {
    fn data(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Moves what is left to the front and reads more behind it, growing the buffer to `need`
    /// bytes first when a record is larger. Sets `eof` when the stream has nothing more.
    fn refill(&mut self, need: usize) -> io::Result<()> {
        self.buf.copy_within(self.start..self.end, 0);
        self.base += self.start as u64;
        self.end -= self.start;
        self.start = 0;
        if need > self.buf.len() {
            self.buf.resize(need, 0);
        }
        let Some(space) = self.buf.get_mut(self.end..) else { return Ok(()) };
        let n = self.stream.read(space)?;
        self.eof = n == 0;
        self.end += n;
        Ok(())
    }
}

/// Feeds a reader's first bytes (already read to sniff the format) back in front of it, and fills
/// each read as fully as the inner reader allows, so the parser's first look sees a whole header.
struct Prefixed<R> {
    head: Vec<u8>,
    pos: usize,
    inner: R,
}

impl<R: Read> Read for Prefixed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        if let Some(rest) = self.head.get(self.pos..) {
            let k = rest.len().min(buf.len());
            if let (Some(dst), Some(src)) = (buf.get_mut(..k), rest.get(..k)) {
                dst.copy_from_slice(src);
            }
            self.pos += k;
            n = k;
        }
        while n < buf.len() {
            let Some(dst) = buf.get_mut(n..) else { break };
            match self.inner.read(dst) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if n > 0 {
                        break;
                    }
                    return Err(e);
                }
            }
        }
        Ok(n)
    }
}

/// Describes the first bytes of something that is not a capture, for the error message.
fn describe_magic(head: &[u8]) -> String {
    if head.is_empty() {
        return "the file is empty".into();
    }
    let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let what = match head {
        [0x1f, 0x8b, ..] => " (gzip data: decompress it first)",
        [b'P', b'K', 3, 4, ..] => " (a zip archive)",
        [0x7f, b'E', b'L', b'F', ..] => " (an ELF executable)",
        [0x25, 0x50, 0x44, 0x46, ..] => " (a PDF document)",
        [b'{', b'"', ..] | [b'{', b'\n', ..] | [b'[', b'{', ..] | [b'[', b'"', ..] => " (looks like JSON text)",
        _ if head.iter().take(16).all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) => " (looks like text)",
        _ => "",
    };
    format!("first bytes are {}{what}", hex.join(" "))
}

fn read_head(r: &mut dyn Read, want: usize) -> io::Result<Vec<u8>> {
    let mut head = vec![0u8; want];
    let mut n = 0;
    while n < want {
        let Some(dst) = head.get_mut(n..) else { break };
        match r.read(dst) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    Ok(head)
}

fn u32_at(b: &[u8], at: usize, big: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if big { u32::from_be_bytes(s) } else { u32::from_le_bytes(s) })
}

fn u16_at(b: &[u8], at: usize, big: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(if big { u16::from_be_bytes(s) } else { u16::from_le_bytes(s) })
}

impl FileSource {
    /// Opens a capture file, or standard input when `path` is `-`.
    pub fn open(path: &str) -> Result<FileSource, SourceError> {
        let input = if path == "-" { "<stdin>".to_string() } else { path.to_string() };
        let inner: Box<dyn Read + Send> = if path == "-" {
            Box::new(io::stdin())
        } else {
            let p = Path::new(path);
            if p.is_dir() {
                return Err(SourceError::Io {
                    input,
                    what: "cannot read",
                    err: io::Error::other("it is a directory"),
                });
            }
            Box::new(File::open(p).map_err(|err| SourceError::Io { input: input.clone(), what: "cannot open", err })?)
        };
        Self::from_reader(input, inner)
    }

    /// Wraps any byte stream holding a pcap or pcapng capture; `input` names it in errors.
    pub fn from_reader(input: String, mut inner: Box<dyn Read + Send>) -> Result<FileSource, SourceError> {
        let head = read_head(&mut inner, 28).map_err(|err| SourceError::Io { input: input.clone(), what: "cannot read", err })?;
        let magic = u32_at(&head, 0, false);
        let format = match magic {
            Some(0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 | 0xa1b2_cd34 | 0x34cd_b2a1) => Format::Pcap,
            Some(0x0a0d_0d0a) => Format::PcapNg,
            _ => return Err(SourceError::NotCapture { input, found: describe_magic(&head) }),
        };
        let min = if format == Format::Pcap { 24 } else { 28 };
        if head.len() < min {
            return Err(SourceError::Truncated {
                input,
                what: "file header".into(),
                offset: 0,
                needed: min as u64,
                present: head.len() as u64,
            });
        }
        let big_endian = matches!(magic, Some(0xd4c3_b2a1 | 0x4d3c_b2a1 | 0x34cd_b2a1));
        let (linktype, snaplen, units_per_sec) = if format == Format::Pcap {
            let nano = matches!(magic, Some(0xa1b2_3c4d | 0x4d3c_b2a1));
            (
                u32_at(&head, 20, big_endian).unwrap_or(0) & 0x0fff_ffff,
                u32_at(&head, 16, big_endian).unwrap_or(0),
                if nano { 1_000_000_000 } else { 1_000_000 },
            )
        } else {
            (0, 0, 1_000_000)
        };
        let reader = match format {
            Format::Pcap => {
                let header = match parse_pcap_header(&head) {
                    Ok((_, h)) => h,
                    Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                        return Err(SourceError::Malformed { input, format: "pcap file header", offset: 0, why: format!("{:?}", e.to_owned_vec()) })
                    }
                    Err(nom::Err::Incomplete(_)) => {
                        return Err(SourceError::Malformed { input, format: "pcap file header", offset: 0, why: "cut short".into() })
                    }
                };
                let parse: RecordFn = if header.is_modified_format() {
                    parse_pcap_frame_modified
                } else if header.is_bigendian() {
                    parse_pcap_frame_be
                } else {
                    parse_pcap_frame
                };
                // The records start after the 24-byte file header.
                let stream = Prefixed { head, pos: 24, inner };
                Blocks::Pcap(Records { stream, buf: vec![0; BUFFER], start: 0, end: 0, base: 24, eof: false, parse })
            }
            Format::PcapNg => {
                let stream = Prefixed { head, pos: 0, inner };
                Blocks::Ng(Box::new(PcapNGReader::new(BUFFER, stream).map_err(|e| SourceError::Malformed {
                    input: input.clone(),
                    format: "pcapng section header",
                    offset: 0,
                    why: match e {
                        PcapError::Incomplete(_) | PcapError::UnexpectedEof => "section header block is cut short".into(),
                        other => format!("{other:?}"),
                    },
                })?))
            }
        };
        Ok(FileSource {
            input,
            format,
            reader,
            linktype,
            snaplen,
            units_per_sec,
            interfaces: Vec::new(),
            big_endian,
            number: 0,
            last_ts: Ts::default(),
        })
    }

    /// The input's name as used in messages (`<stdin>` for `-`).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Whether the input is classic pcap or pcapng.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Link type of a classic pcap file (pcapng carries one per interface).
    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    /// Streams every frame to `f` in file order. `f` may stop the run early with `Break`.
    /// A problem with the file is returned only after all frames before it were delivered.
    pub fn for_each<F>(&mut self, mut f: F) -> Result<(), SourceError>
    where
        F: FnMut(Frame<'_>) -> ControlFlow<()>,
    {
        if matches!(self.reader, Blocks::Pcap(_)) {
            return self.for_each_record(f);
        }
        loop {
            let Blocks::Ng(reader) = &mut self.reader else { return Ok(()) };
            let consumed = reader.consumed() as u64;
            match reader.next() {
                Ok((offset, block)) => {
                    let flow = match block {
                        PcapBlockOwned::LegacyHeader(_) | PcapBlockOwned::Legacy(_) => Ok(ControlFlow::Continue(())),
                        PcapBlockOwned::NG(block) => Self::ng_block(
                            &self.input,
                            &mut self.interfaces,
                            &mut self.big_endian,
                            &mut self.number,
                            &mut self.last_ts,
                            consumed,
                            block,
                            &mut f,
                        ),
                    };
                    reader.consume_noshift(offset);
                    match flow? {
                        ControlFlow::Continue(()) => {}
                        ControlFlow::Break(()) => return Ok(()),
                    }
                }
                Err(PcapError::Eof) => return Ok(()),
                Err(PcapError::Incomplete(_)) => {
                    if reader.refill().is_err() {
                        return Err(self.read_error());
                    }
                }
                Err(PcapError::BufferTooSmall) => {
                    let need = self.pending_len();
                    if let Some(err) = self.check_too_long(consumed, need) {
                        return Err(err);
                    }
                    let grown = need.map(|n| n as usize + 64).unwrap_or(MAX_BLOCK).clamp(BUFFER * 2, MAX_BLOCK + 64);
                    let Blocks::Ng(reader) = &mut self.reader else { return Ok(()) };
                    if !reader.grow(grown) {
                        return Err(SourceError::Malformed {
                            input: self.input.clone(),
                            format: self.format_name(),
                            offset: consumed,
                            why: "a block is larger than 16 MiB".into(),
                        });
                    }
                    if reader.refill().is_err() {
                        return Err(self.read_error());
                    }
                }
                Err(PcapError::UnexpectedEof) => return Err(self.truncated(consumed)),
                Err(PcapError::ReadError) => return Err(self.read_error()),
                Err(e) => {
                    let why = match e {
                        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
                            format!("cannot parse the {} here ({kind:?})", self.next_thing())
                        }
                        PcapError::HeaderNotRecognized => "header not recognized".into(),
                        other => format!("{other:?}"),
                    };
                    return Err(SourceError::Malformed { input: self.input.clone(), format: self.format_name(), offset: consumed, why });
                }
            }
        }
    }

    /// Classic pcap: hands on every record, reading the file in large pieces.
    fn for_each_record<F>(&mut self, mut f: F) -> Result<(), SourceError>
    where
        F: FnMut(Frame<'_>) -> ControlFlow<()>,
    {
        loop {
            let Blocks::Pcap(r) = &mut self.reader else { return Ok(()) };
            let data = r.buf.get(r.start..r.end).unwrap_or_default();
            match (r.parse)(data) {
                Ok((rest, b)) => {
                    let offset = r.base + r.start as u64;
                    r.start = r.end - rest.len();
                    self.number += 1;
                    if b.caplen > MAX_RECORD || (self.snaplen > 0 && b.caplen > self.snaplen.max(MAX_RECORD)) {
                        return Err(SourceError::TooLong {
                            input: self.input.clone(),
                            record: self.number,
                            offset,
                            caplen: b.caplen as u64,
                            limit: format!("the {MAX_RECORD}-byte maximum"),
                        });
                    }
                    let ts = Ts::from_parts(b.ts_sec as i64, b.ts_usec as u64, self.units_per_sec);
                    let frame =
                        Frame { number: self.number, ts, linktype: self.linktype, len: b.origlen, data: b.data, interface: 0, ts_known: true };
                    if f(frame).is_break() {
                        return Ok(());
                    }
                }
                Err(nom::Err::Incomplete(_)) => {
                    let offset = r.base + r.start as u64;
                    if r.eof {
                        return if data.is_empty() { Ok(()) } else { Err(self.truncated(offset)) };
                    }
                    let need = self.pending_len();
                    if let Some(err) = self.check_too_long(offset, need) {
                        return Err(err);
                    }
                    let Blocks::Pcap(r) = &mut self.reader else { return Ok(()) };
                    if r.refill(need.unwrap_or(0) as usize).is_err() {
                        return Err(self.read_error());
                    }
                }
                Err(nom::Err::Error(_) | nom::Err::Failure(_)) => {
                    let offset = r.base + r.start as u64;
                    return Err(SourceError::Malformed {
                        input: self.input.clone(),
                        format: "pcap",
                        offset,
                        why: "cannot parse the record here".into(),
                    });
                }
            }
        }
    }

    /// Bytes buffered and not handed on yet.
    fn data(&self) -> &[u8] {
        match &self.reader {
            Blocks::Pcap(r) => r.data(),
            Blocks::Ng(r) => r.data(),
        }
    }

    fn format_name(&self) -> &'static str {
        match self.format {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        }
    }

    fn next_thing(&self) -> &'static str {
        match self.format {
            Format::Pcap => "record",
            Format::PcapNg => "block",
        }
    }

    fn read_error(&self) -> SourceError {
        SourceError::Io { input: self.input.clone(), what: "read failed", err: io::Error::other("I/O error while reading") }
    }

    /// Total length of the record or block at the front of the buffer, when its header is there.
    fn pending_len(&self) -> Option<u64> {
        let data = self.data();
        match self.format {
            Format::Pcap => {
                let caplen = u32_at(data, 8, self.big_endian)?;
                Some(16 + caplen as u64)
            }
            Format::PcapNg => Some(u32_at(data, 4, self.big_endian)? as u64),
        }
    }

    fn check_too_long(&self, offset: u64, need: Option<u64>) -> Option<SourceError> {
        let need = need?;
        match self.format {
            Format::Pcap if need > 16 + MAX_RECORD as u64 => Some(SourceError::TooLong {
                input: self.input.clone(),
                record: self.number + 1,
                offset,
                caplen: need - 16,
                limit: format!("the {MAX_RECORD}-byte maximum"),
            }),
            Format::PcapNg if need > MAX_BLOCK as u64 => Some(SourceError::TooLong {
                input: self.input.clone(),
                record: self.number + 1,
                offset,
                caplen: need,
                limit: format!("the {MAX_BLOCK}-byte block maximum"),
            }),
            _ => None,
        }
    }

    fn truncated(&self, offset: u64) -> SourceError {
        let present = self.data().len() as u64;
        let (what, needed) = match self.format {
            Format::Pcap if present < 16 => ("record header".to_string(), 16),
            Format::Pcap => (format!("record {}", self.number + 1), self.pending_len().unwrap_or(present + 1)),
            Format::PcapNg if present < 12 => ("block header".to_string(), 12),
            Format::PcapNg => ("block".to_string(), self.pending_len().unwrap_or(present + 1)),
        };
        SourceError::Truncated { input: self.input.clone(), what, offset, needed, present }
    }

    /// Handles one pcapng block: interface bookkeeping, or a packet handed to `f`.
    #[allow(clippy::too_many_arguments)]
    fn ng_block<F>(
        input: &str,
        interfaces: &mut Vec<Interface>,
        big_endian: &mut bool,
        number: &mut u64,
        last_ts: &mut Ts,
        offset: u64,
        block: Block<'_>,
        f: &mut F,
    ) -> Result<ControlFlow<()>, SourceError>
    where
        F: FnMut(Frame<'_>) -> ControlFlow<()>,
    {
        let lookup = |interfaces: &Vec<Interface>, id: u32| -> Result<Interface, SourceError> {
            interfaces.get(id as usize).copied().ok_or_else(|| SourceError::Malformed {
                input: input.to_string(),
                format: "pcapng",
                offset,
                why: format!("packet names interface {id}, but the section describes {}", interfaces.len()),
            })
        };
        match block {
            Block::SectionHeader(shb) => {
                interfaces.clear();
                *big_endian = shb.bom != 0x1a2b_3c4d;
            }
            Block::InterfaceDescription(idb) => {
                let units_per_sec = idb.ts_resolution().ok_or_else(|| SourceError::Malformed {
                    input: input.to_string(),
                    format: "pcapng",
                    offset,
                    why: format!("interface {} has an invalid if_tsresol {:#x}", interfaces.len(), idb.if_tsresol),
                })?;
                interfaces.push(Interface {
                    linktype: idb.linktype.0 as u32,
                    snaplen: idb.snaplen,
                    units_per_sec,
                    offset_secs: idb.if_tsoffset,
                });
            }
            Block::EnhancedPacket(epb) => {
                let itf = lookup(interfaces, epb.if_id)?;
                *number += 1;
                if epb.caplen > MAX_RECORD {
                    return Err(SourceError::TooLong {
                        input: input.to_string(),
                        record: *number,
                        offset,
                        caplen: epb.caplen as u64,
                        limit: format!("the {MAX_RECORD}-byte maximum"),
                    });
                }
                let data = epb.data.get(..epb.caplen as usize).ok_or_else(|| SourceError::Malformed {
                    input: input.to_string(),
                    format: "pcapng",
                    offset,
                    why: format!("packet {} claims {} captured bytes but its block holds {}", number, epb.caplen, epb.data.len()),
                })?;
                let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                let units = itf.units_per_sec.max(1);
                let ts = Ts::from_parts(itf.offset_secs.saturating_add((raw / units) as i64), raw % units, units);
                *last_ts = ts;
                return Ok(f(Frame { number: *number, ts, linktype: itf.linktype, len: epb.origlen, data, interface: epb.if_id, ts_known: true }));
            }
            Block::SimplePacket(spb) => {
                let itf = lookup(interfaces, 0)?;
                *number += 1;
                let mut cap = (spb.origlen as usize).min(spb.data.len());
                if itf.snaplen > 0 {
                    cap = cap.min(itf.snaplen as usize);
                }
                let data = spb.data.get(..cap).unwrap_or(spb.data);
                return Ok(f(Frame { number: *number, ts: *last_ts, linktype: itf.linktype, len: spb.origlen, data, interface: 0, ts_known: false }));
            }
            Block::Unknown(ub) if ub.block_type == 2 || ub.block_type == 0x0200_0000 => {
                // The obsolete Packet Block: if_id u16, drops u16, ts high/low, caplen, len, data.
                let d = ub.data;
                let be = *big_endian;
                let truncated = || SourceError::Malformed {
                    input: input.to_string(),
                    format: "pcapng",
                    offset,
                    why: "obsolete packet block is shorter than its header".into(),
                };
                let if_id = u16_at(d, 0, be).ok_or_else(truncated)? as u32;
                let hi = u32_at(d, 4, be).ok_or_else(truncated)? as u64;
                let lo = u32_at(d, 8, be).ok_or_else(truncated)? as u64;
                let caplen = u32_at(d, 12, be).ok_or_else(truncated)?;
                let len = u32_at(d, 16, be).ok_or_else(truncated)?;
                let itf = lookup(interfaces, if_id)?;
                *number += 1;
                let data = d.get(20..20 + caplen as usize).ok_or_else(truncated)?;
                let raw = (hi << 32) | lo;
                let units = itf.units_per_sec.max(1);
                let ts = Ts::from_parts(itf.offset_secs.saturating_add((raw / units) as i64), raw % units, units);
                *last_ts = ts;
                return Ok(f(Frame { number: *number, ts, linktype: itf.linktype, len, data, interface: if_id, ts_known: true }));
            }
            // Wireshark numbers custom and journal-export blocks as records; numbering them too
            // keeps our frame numbers equal to Wireshark's, though they carry no packet.
            Block::Custom(_) | Block::SystemdJournalExport(_) => *number += 1,
            // Statistics, name resolution, secrets and unknown blocks carry no packets: skipped.
            _ => {}
        }
        Ok(ControlFlow::Continue(()))
    }
}
