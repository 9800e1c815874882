//! Writing classic pcap files (`capture -w`), so a live capture can be replayed later by us,
//! tcpdump or Wireshark.
//!
//! Records are staged in a buffer and handed to the file only whole, and the caller flushes
//! whenever the capture queue runs empty: a Ctrl-C or SIGTERM (which we catch and turn into a
//! final flush) leaves a file that ends exactly after the last packet we counted as captured.

use std::io::{self, Write};

use super::{Frame, Ts};

/// pcap magic for microsecond timestamps, written in little-endian order.
const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
/// Staged bytes beyond which records go to the file before the next flush.
const STAGE: usize = 1 << 16;

/// A pcap writer: one global header, then one record per frame.
pub struct PcapWriter<W: Write> {
    w: W,
    stage: Vec<u8>,
    snaplen: u32,
    records: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header (version 2.4, microseconds) for `linktype` and `snaplen`.
    pub fn new(mut w: W, linktype: u32, snaplen: u32) -> io::Result<Self> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&MAGIC_MICROS.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone: timestamps are UTC
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs: always 0 in practice
        h.extend_from_slice(&snaplen.to_le_bytes());
        h.extend_from_slice(&linktype.to_le_bytes());
        w.write_all(&h)?;
        w.flush()?;
        Ok(PcapWriter {
            w,
            stage: Vec::with_capacity(STAGE * 2),
            snaplen,
            records: 0,
        })
    }

    /// Appends one frame, cut to the snap length. The record reaches the file at the latest
    /// on the next [`flush`](Self::flush).
    pub fn write(&mut self, frame: &Frame<'_>) -> io::Result<()> {
        let cut = frame
            .data
            .get(..self.snaplen as usize)
            .unwrap_or(frame.data);
        let (sec, usec) = pcap_time(frame.ts);
        self.stage.extend_from_slice(&sec.to_le_bytes());
        self.stage.extend_from_slice(&usec.to_le_bytes());
        self.stage
            .extend_from_slice(&(cut.len() as u32).to_le_bytes());
        self.stage
            .extend_from_slice(&frame.len.max(cut.len() as u32).to_le_bytes());
        self.stage.extend_from_slice(cut);
        self.records += 1;
        if self.stage.len() >= STAGE {
            self.drain()?;
        }
        Ok(())
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.w
    }

    /// Records written so far (staged or on file).
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Hands every staged record to the file and flushes it.
    pub fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.w.flush()
    }

    /// The underlying writer, after a final flush.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self.w)
    }

    fn drain(&mut self) -> io::Result<()> {
        if !self.stage.is_empty() {
            self.w.write_all(&self.stage)?;
            self.stage.clear();
        }
        Ok(())
    }
}

/// A timestamp as pcap's unsigned 32-bit seconds and microseconds (clamped to the format's range).
fn pcap_time(ts: Ts) -> (u32, u32) {
    let sec = ts.sec.clamp(0, u32::MAX as i64) as u32;
    (sec, ts.nsec / 1000)
}

/// Where `read -w` and `capture -w` put the frames they keep: a classic pcap file with
/// nanosecond times (its link type from the first frame), or pcapng, which keeps every link
/// type and interface (one interface block per link type and input interface, each with
/// nanosecond times).
pub struct CaptureWriter {
    w: Box<dyn Write>,
    pcapng: bool,
    snaplen: u32,
    stage: Vec<u8>,
    /// pcap: the link type of the header once written.
    linktype: Option<u32>,
    /// pcapng: the (link type, input interface) of each interface block written.
    interfaces: Vec<(u32, u32)>,
    records: u64,
}

/// pcap magic for nanosecond timestamps.
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;

impl CaptureWriter {
    /// A writer to `w`; pcapng's section header goes out at once, pcap's header with the first
    /// frame (it names the link type).
    pub fn new(w: Box<dyn Write>, pcapng: bool, snaplen: u32) -> io::Result<CaptureWriter> {
        let mut c = CaptureWriter { w, pcapng, snaplen, stage: Vec::with_capacity(STAGE * 2), linktype: None, interfaces: Vec::new(), records: 0 };
        if pcapng {
            let mut b = Vec::with_capacity(28);
            b.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes());
            b.extend_from_slice(&28u32.to_le_bytes());
            b.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
            b.extend_from_slice(&1u16.to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes());
            b.extend_from_slice(&(-1i64).to_le_bytes());
            b.extend_from_slice(&28u32.to_le_bytes());
            c.stage.extend_from_slice(&b);
        }
        Ok(c)
    }

    fn pcap_header(&mut self, linktype: u32) {
        self.stage.extend_from_slice(&MAGIC_NANOS.to_le_bytes());
        self.stage.extend_from_slice(&2u16.to_le_bytes());
        self.stage.extend_from_slice(&4u16.to_le_bytes());
        self.stage.extend_from_slice(&0i32.to_le_bytes());
        self.stage.extend_from_slice(&0u32.to_le_bytes());
        self.stage.extend_from_slice(&self.snaplen.to_le_bytes());
        self.stage.extend_from_slice(&linktype.to_le_bytes());
        self.linktype = Some(linktype);
    }

    /// The pcapng interface of a frame, its block written the first time.
    fn interface(&mut self, linktype: u32, input: u32) -> u32 {
        if let Some(i) = self.interfaces.iter().position(|&k| k == (linktype, input)) {
            return i as u32;
        }
        let b = &mut self.stage;
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&32u32.to_le_bytes());
        b.extend_from_slice(&(linktype as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&self.snaplen.to_le_bytes());
        // if_tsresol = 9 (nanoseconds), then the end of options.
        b.extend_from_slice(&9u16.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&[9, 0, 0, 0]);
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(&32u32.to_le_bytes());
        self.interfaces.push((linktype, input));
        self.interfaces.len() as u32 - 1
    }

    /// Appends one frame, cut to the snap length.
    pub fn write(&mut self, frame: &Frame<'_>) -> io::Result<()> {
        let cut = frame.data.get(..self.snaplen as usize).unwrap_or(frame.data);
        let wire = frame.len.max(cut.len() as u32);
        if self.pcapng {
            let iface = self.interface(frame.linktype, frame.interface);
            let ns = u64::try_from(frame.ts.as_nanos().max(0)).unwrap_or(u64::MAX);
            let pad = (4 - cut.len() % 4) % 4;
            let total = (32 + cut.len() + pad) as u32;
            let b = &mut self.stage;
            b.extend_from_slice(&6u32.to_le_bytes());
            b.extend_from_slice(&total.to_le_bytes());
            b.extend_from_slice(&iface.to_le_bytes());
            b.extend_from_slice(&((ns >> 32) as u32).to_le_bytes());
            b.extend_from_slice(&(ns as u32).to_le_bytes());
            b.extend_from_slice(&(cut.len() as u32).to_le_bytes());
            b.extend_from_slice(&wire.to_le_bytes());
            b.extend_from_slice(cut);
            b.extend_from_slice(&[0u8; 3][..pad]);
            b.extend_from_slice(&total.to_le_bytes());
        } else {
            match self.linktype {
                None => self.pcap_header(frame.linktype),
                Some(l) if l != frame.linktype => {
                    return Err(io::Error::other(format!(
                        "frames of link types {l} and {} cannot share a pcap file: name it .pcapng",
                        frame.linktype
                    )))
                }
                Some(_) => {}
            }
            let sec = frame.ts.sec.clamp(0, u32::MAX as i64) as u32;
            self.stage.extend_from_slice(&sec.to_le_bytes());
            self.stage.extend_from_slice(&frame.ts.nsec.to_le_bytes());
            self.stage.extend_from_slice(&(cut.len() as u32).to_le_bytes());
            self.stage.extend_from_slice(&wire.to_le_bytes());
            self.stage.extend_from_slice(cut);
        }
        self.records += 1;
        if self.stage.len() >= STAGE {
            self.w.write_all(&self.stage)?;
            self.stage.clear();
        }
        Ok(())
    }

    /// Frames written.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Hands every staged byte to the file and flushes it; a pcap file that got no frame still
    /// gets its header (Ethernet), so that it can be read.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.pcapng && self.linktype.is_none() {
            self.pcap_header(crate::decode::linktype::ETHERNET);
        }
        self.w.write_all(&self.stage)?;
        self.stage.clear();
        self.w.flush()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// A `Write` whose bytes stay readable after the writer that owns it is dropped.
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn written_captures_read_back_with_their_times_and_link_types() {
        for pcapng in [false, true] {
            let out = Shared::default();
            let mut w = CaptureWriter::new(Box::new(out.clone()), pcapng, 262_144).unwrap();
            let a = frame(1, 1_700_000_000, 123_456_789, 60, &[1; 60]);
            let b = Frame { linktype: if pcapng { 101 } else { 1 }, ..frame(2, 1_700_000_001, 5, 9, &[2, 3, 4]) };
            w.write(&a).unwrap();
            w.write(&b).unwrap();
            assert_eq!(w.records(), 2);
            w.flush().unwrap();
            let bytes = out.0.lock().unwrap().clone();
            let mut src = FileSource::from_reader("mem".into(), Box::new(io::Cursor::new(bytes))).unwrap();
            let mut got = Vec::new();
            src.for_each(|f| {
                got.push((f.ts, f.linktype, f.len, f.data.to_vec()));
                ControlFlow::Continue(())
            })
            .unwrap();
            let want: Vec<_> = [a, b].iter().map(|f| (f.ts, f.linktype, f.len, f.data.to_vec())).collect();
            assert_eq!(got, want, "pcapng {pcapng}");
        }
        // A pcap file holds one link type.
        let mut w = CaptureWriter::new(Box::new(Vec::new()), false, 262_144).unwrap();
        w.write(&frame(1, 1, 0, 1, &[1])).unwrap();
        assert!(w.write(&Frame { linktype: 101, ..frame(2, 1, 0, 1, &[1]) }).is_err());
    }
    use crate::source::file::FileSource;
    use std::ops::ControlFlow;

    fn frame(number: u64, sec: i64, nsec: u32, len: u32, data: &[u8]) -> Frame<'_> {
        Frame {
            number,
            ts: Ts { sec, nsec },
            linktype: 1,
            len,
            data,
            interface: 0,
            ts_known: true,
        }
    }

    #[test]
    fn header_layout() {
        let w = PcapWriter::new(Vec::new(), 1, 65535)
            .unwrap()
            .into_inner()
            .unwrap();
        assert_eq!(
            w,
            [
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0,
                0, 0
            ]
        );
    }

    #[test]
    fn record_layout() {
        let mut w = PcapWriter::new(Vec::new(), 1, 262_144).unwrap();
        w.write(&frame(1, 0x0102_0304, 5_000_999, 3, &[9, 8, 7]))
            .unwrap();
        let bytes = w.into_inner().unwrap();
        let rec = &bytes[24..];
        assert_eq!(rec[0..4], 0x0102_0304u32.to_le_bytes());
        assert_eq!(rec[4..8], 5000u32.to_le_bytes()); // nanoseconds truncated to microseconds
        assert_eq!(rec[8..12], 3u32.to_le_bytes());
        assert_eq!(rec[12..16], 3u32.to_le_bytes());
        assert_eq!(rec[16..], [9, 8, 7]);
    }

    #[test]
    fn snaplen_cuts_data_keeps_wire_length() {
        let mut w = PcapWriter::new(Vec::new(), 1, 4).unwrap();
        w.write(&frame(1, 1, 0, 100, &[1, 2, 3, 4, 5, 6])).unwrap();
        let bytes = w.into_inner().unwrap();
        assert_eq!(bytes[24 + 8..24 + 12], 4u32.to_le_bytes());
        assert_eq!(bytes[24 + 12..24 + 16], 100u32.to_le_bytes());
        assert_eq!(bytes.len(), 24 + 16 + 4);
    }

    #[test]
    fn round_trips_through_file_source() {
        let mut w = PcapWriter::new(Vec::new(), 1, 262_144).unwrap();
        let payloads: Vec<Vec<u8>> = (0..300u32)
            .map(|i| vec![i as u8; (i % 70) as usize + 14])
            .collect();
        for (i, p) in payloads.iter().enumerate() {
            w.write(&frame(
                i as u64 + 1,
                1_700_000_000 + i as i64,
                123_000,
                p.len() as u32,
                p,
            ))
            .unwrap();
        }
        assert_eq!(w.records(), 300);
        let bytes = w.into_inner().unwrap();
        let mut src =
            FileSource::from_reader("mem".into(), Box::new(io::Cursor::new(bytes))).unwrap();
        let mut got = Vec::new();
        src.for_each(|f| {
            got.push((f.ts, f.linktype, f.data.to_vec()));
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(got.len(), 300);
        for (i, (ts, lt, data)) in got.iter().enumerate() {
            assert_eq!(
                *ts,
                Ts {
                    sec: 1_700_000_000 + i as i64,
                    nsec: 123_000
                }
            );
            assert_eq!(*lt, 1);
            assert_eq!(data, &payloads[i]);
        }
    }

    #[test]
    fn nothing_staged_survives_flush() {
        let mut w = PcapWriter::new(Vec::new(), 1, 262_144).unwrap();
        w.write(&frame(1, 1, 0, 2, &[1, 2])).unwrap();
        w.flush().unwrap();
        assert_eq!(w.w.len(), 24 + 16 + 2);
    }
}
