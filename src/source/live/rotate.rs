//! `capture -w` with tcpdump's rotation: a new file when the current one passed `-C` MB or
//! every `-G` seconds, at most `-W` files, names made from the `-w` pattern as tcpdump makes
//! them (strftime with `-G`, a counter with `-C`).
//!
//! A file is switched between two frames, on the thread that writes them, so every frame lands
//! in exactly one file: the files together hold what one file would. `-w -` writes the capture
//! to standard output instead (never rotated).

use std::fs::File;
use std::io::{self, Write};

use chrono::format::{Item, StrftimeItems};
use chrono::{Local, TimeZone};

use crate::source::write::PcapWriter;
use crate::source::Frame;

/// pcap's file header, and each record's.
const FILE_HEADER: u64 = 24;
const RECORD_HEADER: u64 = 16;

/// When to start a new file.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rotation {
    /// Bytes a file may pass before the next frame goes to a new one (`-C`, in millions).
    pub size: Option<u64>,
    /// Seconds after which the next frame goes to a new file (`-G`).
    pub every: Option<u64>,
    /// With `size`: files reused in turn; with `every` alone: files made before stopping (`-W`).
    pub files: Option<u32>,
}

impl Rotation {
    /// Whether any rotation was asked for.
    pub fn any(&self) -> bool {
        self.size.is_some() || self.every.is_some()
    }
}

/// What writing a frame did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The frame is in the current file.
    Kept,
    /// `-G` wanted a new file and `-W` files were already made: the capture ends here, without
    /// this frame (tcpdump exits the same way).
    Limit,
}

/// Where the pcap records go: a file, or standard output (`-w -`).
pub enum Sink {
    /// A file of ours.
    File(File),
    /// Standard output, which nothing else writes to then.
    Stdout(io::Stdout),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::File(f) => f.write(buf),
            Sink::Stdout(o) => o.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::File(f) => f.write_all(buf),
            Sink::Stdout(o) => o.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::File(f) => f.flush(),
            Sink::Stdout(o) => o.flush(),
        }
    }
}

/// The `-w` output: one pcap file, or a rotating series of them.
pub struct Output {
    pattern: String,
    rotation: Rotation,
    linktype: u32,
    snaplen: u32,
    writer: PcapWriter<Sink>,
    name: String,
    bytes: u64,
    /// `-C`'s counter (the number after the name).
    size_count: u32,
    /// Files `-G` has started.
    time_count: u32,
    /// Digits of `-C`'s counter when `-W` is given.
    width: usize,
    /// Wall-clock second the current `-G` period began.
    period: i64,
    /// Every file name used, in order (a name reused by `-W` is listed again).
    opened: Vec<String>,
}

/// Why a `-w` pattern cannot be used.
pub fn check_pattern(pattern: &str, rotation: &Rotation) -> Result<(), String> {
    if rotation.every.is_some() && StrftimeItems::new(pattern).any(|i| matches!(i, Item::Error)) {
        return Err(format!("-w {pattern}: not a valid strftime pattern"));
    }
    Ok(())
}

/// Digits `-C`'s counter gets with `-W n`: enough for `n - 1` (tcpdump's rule).
fn width(files: Option<u32>) -> usize {
    let mut x = files.unwrap_or(0).saturating_sub(1);
    let mut c = 0;
    while x > 0 {
        c += 1;
        x /= 10;
    }
    c
}

impl Output {
    /// The first file: `pattern` itself, or as `-G`/`-C`/`-W` name it. `now` is the wall clock
    /// in seconds since the epoch.
    pub fn create(pattern: &str, rotation: Rotation, linktype: u32, snaplen: u32, now: i64) -> Result<Output, String> {
        check_pattern(pattern, &rotation)?;
        let width = if rotation.size.is_some() { width(rotation.files) } else { 0 };
        let name = file_name(pattern, &rotation, 0, width, now);
        let writer = open(&name, linktype, snaplen)?;
        Ok(Output {
            pattern: pattern.to_string(),
            rotation,
            linktype,
            snaplen,
            writer,
            opened: vec![name.clone()],
            name,
            bytes: FILE_HEADER,
            size_count: 0,
            time_count: 0,
            width,
            period: now,
        })
    }

    /// The file being written (for handing it to the user privileges are dropped to); none on
    /// standard output.
    pub fn file(&self) -> Option<&File> {
        match self.writer.get_ref() {
            Sink::File(f) => Some(f),
            Sink::Stdout(_) => None,
        }
    }

    /// Whether a frame written at `now` would need a file past `-W` (see [`Written::Limit`]):
    /// the capture then ends before that frame.
    pub fn at_limit(&self, now: i64) -> bool {
        match (self.rotation.every, self.rotation.size, self.rotation.files) {
            (Some(every), None, Some(w)) => now.saturating_sub(self.period) >= every as i64 && self.time_count + 1 >= w,
            _ => false,
        }
    }

    /// The name of the file being written.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every file name used, in order.
    pub fn files(&self) -> &[String] {
        &self.opened
    }

    /// Writes one frame, to a new file first when one is due; `now` is the wall clock in
    /// seconds since the epoch, as tcpdump reads it at each frame.
    pub fn write(&mut self, frame: &Frame<'_>, now: i64) -> io::Result<Written> {
        if let Some(every) = self.rotation.every {
            if now.saturating_sub(self.period) >= every as i64 {
                self.period = now;
                self.time_count += 1;
                if self.rotation.size.is_none() && self.rotation.files.is_some_and(|w| self.time_count >= w) {
                    return Ok(Written::Limit);
                }
                self.size_count = 0;
                let name = file_name(&self.pattern, &self.rotation, 0, self.width, now);
                self.switch(name)?;
            }
        }
        if let Some(size) = self.rotation.size {
            if self.bytes > size {
                self.size_count += 1;
                if self.rotation.files.is_some_and(|w| self.size_count >= w) {
                    self.size_count = 0;
                }
                let name = file_name(&self.pattern, &self.rotation, self.size_count, self.width, self.period);
                self.switch(name)?;
            }
        }
        self.writer.write(frame)?;
        let kept = frame.data.len().min(self.snaplen as usize) as u64;
        self.bytes += RECORD_HEADER + kept;
        Ok(Written::Kept)
    }

    /// Hands every written frame to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn switch(&mut self, name: String) -> io::Result<()> {
        self.writer.flush()?;
        self.writer = open(&name, self.linktype, self.snaplen).map_err(io::Error::other)?;
        self.bytes = FILE_HEADER;
        self.opened.push(name.clone());
        self.name = name;
        Ok(())
    }
}

fn open(name: &str, linktype: u32, snaplen: u32) -> Result<PcapWriter<Sink>, String> {
    let sink = match name {
        "-" => Sink::Stdout(io::stdout()),
        _ => Sink::File(File::create(name).map_err(|e| format!("{name}: cannot create: {e}"))?),
    };
    PcapWriter::new(sink, linktype, snaplen).map_err(|e| format!("{name}: cannot write: {e}"))
}

/// tcpdump's file name: the pattern through strftime (local time) when `-G` is given, then
/// `count` in `width` digits unless both are zero.
fn file_name(pattern: &str, rotation: &Rotation, count: u32, width: usize, at: i64) -> String {
    let base = match rotation.every {
        Some(_) => match Local.timestamp_opt(at, 0).single() {
            Some(t) => t.format_with_items(StrftimeItems::new(pattern)).to_string(),
            None => pattern.to_string(),
        },
        None => pattern.to_string(),
    };
    if count == 0 && width == 0 {
        base
    } else {
        format!("{base}{count:0width$}")
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::source::file::FileSource;
    use crate::source::Ts;
    use std::ops::ControlFlow;

    fn frame(n: u64, data: &[u8]) -> Frame<'_> {
        Frame { number: n, ts: Ts { sec: n as i64, nsec: 0 }, linktype: 1, len: data.len() as u32, data, interface: 0, ts_known: true }
    }

    fn count(path: &str) -> usize {
        let mut src = FileSource::open(path).unwrap();
        let mut n = 0;
        src.for_each(|_| {
            n += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
        n
    }

    fn dir(tag: &str) -> String {
        let d = std::env::temp_dir().join(format!("inspect-rotate-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d.to_string_lossy().into_owned()
    }

    #[test]
    fn names_follow_tcpdump() {
        let c = Rotation { size: Some(1), every: None, files: None };
        assert_eq!(file_name("x.pcap", &c, 0, 0, 0), "x.pcap");
        assert_eq!(file_name("x.pcap", &c, 3, 0, 0), "x.pcap3");
        assert_eq!((width(Some(1)), width(Some(3)), width(Some(10)), width(Some(11)), width(Some(100))), (0, 1, 1, 2, 2));
        assert_eq!(file_name("x.pcap", &c, 0, 2, 0), "x.pcap00");
        let g = Rotation { size: None, every: Some(5), files: None };
        // Literal text, and a pattern strftime fills in (whatever the local time zone).
        assert_eq!(file_name("cap-%%.pcap", &g, 0, 0, 0), "cap-%.pcap");
        let y = file_name("%Y.pcap", &g, 0, 0, 86_400 * 400);
        assert_eq!(y, "1971.pcap");
        assert!(check_pattern("%Q", &g).is_err());
        assert!(check_pattern("%Q", &c).is_ok());
    }

    #[test]
    fn size_rotation_keeps_every_frame_once() {
        let d = dir("size");
        let pattern = format!("{d}/c.pcap");
        // Files pass 1000 bytes after 10 frames of 84 bytes (24 + 10 × 100 = 1024).
        let rot = Rotation { size: Some(1000), every: None, files: None };
        let mut out = Output::create(&pattern, rot, 1, 65_535, 0).unwrap();
        let data = [7u8; 84];
        for n in 1..=25 {
            assert_eq!(out.write(&frame(n, &data), 0).unwrap(), Written::Kept);
        }
        out.flush().unwrap();
        let names = out.files().to_vec();
        assert_eq!(names, [pattern.clone(), format!("{pattern}1"), format!("{pattern}2")]);
        let counts: Vec<usize> = names.iter().map(|n| count(n)).collect();
        assert_eq!(counts, [10, 10, 5]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn files_are_reused_in_turn_with_w() {
        let d = dir("ring");
        let pattern = format!("{d}/r.pcap");
        let rot = Rotation { size: Some(100), every: None, files: Some(2) };
        let mut out = Output::create(&pattern, rot, 1, 65_535, 0).unwrap();
        let data = [1u8; 84];
        for n in 1..=5 {
            out.write(&frame(n, &data), 0).unwrap();
        }
        out.flush().unwrap();
        assert_eq!(out.files(), [format!("{pattern}0"), format!("{pattern}1"), format!("{pattern}0"), format!("{pattern}1"), format!("{pattern}0")]);
        assert_eq!(count(&format!("{pattern}0")), 1);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn time_rotation_stops_after_w_files() {
        let d = dir("time");
        let pattern = format!("{d}/t-%s.pcap");
        let rot = Rotation { size: None, every: Some(10), files: Some(2) };
        let start = 1_700_000_000;
        let mut out = Output::create(&pattern, rot, 1, 65_535, start).unwrap();
        let data = [2u8; 60];
        assert_eq!(out.write(&frame(1, &data), start + 3).unwrap(), Written::Kept);
        assert_eq!(out.write(&frame(2, &data), start + 10).unwrap(), Written::Kept);
        assert_eq!(out.write(&frame(3, &data), start + 19).unwrap(), Written::Kept);
        assert!(!out.at_limit(start + 19) && out.at_limit(start + 20));
        assert_eq!(out.write(&frame(4, &data), start + 20).unwrap(), Written::Limit);
        out.flush().unwrap();
        assert_eq!(out.files(), [format!("{d}/t-{start}.pcap"), format!("{d}/t-{}.pcap", start + 10)]);
        assert_eq!(out.files().iter().map(|n| count(n)).collect::<Vec<_>>(), [1, 2]);
        let _ = std::fs::remove_dir_all(&d);
    }
}
