//! Classic pcap files (little-endian, version 2.4, Ethernet unless set) written from frames: microsecond
//! timestamps as tcpdump writes them, or nanosecond ones (magic `0xa1b23c4d`).

use std::path::PathBuf;

use super::TempDir;

/// Nanoseconds since the epoch, from seconds (kept to the microsecond, as a µs file holds them).
pub fn secs(t: f64) -> u64 {
    (t * 1e6).round() as u64 * 1000
}

/// Nanoseconds since the epoch, from microseconds.
pub fn micros(us: u64) -> u64 {
    us * 1000
}

/// A pcap file being written in memory.
pub struct Pcap {
    nanos: bool,
    bytes: Vec<u8>,
}

impl Pcap {
    /// An empty microsecond pcap of Ethernet frames.
    pub fn micro() -> Pcap {
        Pcap::with_resolution(false)
    }

    /// An empty nanosecond pcap of Ethernet frames.
    pub fn nano() -> Pcap {
        Pcap::with_resolution(true)
    }

    fn with_resolution(nanos: bool) -> Pcap {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut bytes = Vec::with_capacity(1 << 16);
        bytes.extend_from_slice(&magic.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        bytes.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        bytes.extend_from_slice(&262_144u32.to_le_bytes()); // snaplen
        bytes.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        Pcap { nanos, bytes }
    }

    /// Sets the snap length the header announces (262,144 unless set).
    pub fn snaplen(&mut self, snaplen: u32) -> &mut Pcap {
        self.bytes[16..20].copy_from_slice(&snaplen.to_le_bytes());
        self
    }

    /// Sets the link type the header announces (LINKTYPE_ETHERNET unless set).
    pub fn linktype(&mut self, linktype: u32) -> &mut Pcap {
        self.bytes[20..24].copy_from_slice(&linktype.to_le_bytes());
        self
    }

    /// Adds one whole frame captured at `ns` nanoseconds since the epoch (cut to microseconds
    /// in a microsecond file).
    pub fn add(&mut self, ns: u64, frame: &[u8]) -> &mut Pcap {
        let sec = u32::try_from(ns / 1_000_000_000).expect("a time before 2106");
        let frac = (ns % 1_000_000_000) as u32;
        let frac = if self.nanos { frac } else { frac / 1000 };
        let len = u32::try_from(frame.len()).expect("a frame under 4 GiB");
        for v in [sec, frac, len, len] {
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
        self.bytes.extend_from_slice(frame);
        self
    }

    /// Writes the file as `name` in `dir`; its path.
    pub fn write(&self, dir: &TempDir, name: &str) -> PathBuf {
        dir.write(name, &self.bytes)
    }
}
