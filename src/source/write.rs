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

#[cfg(test)]
mod test {
    use super::*;
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
