//! Live capture: frames from a network interface, as they arrive.
//!
//! The socket is read on its own thread, which only copies each frame into a recycled buffer
//! and queues it; decoding, analysis, printing and `-w` writing happen on the caller's thread.
//! A slow terminal therefore never stalls the socket: when the queue is full (in slots or in
//! bytes, both capped) the frame is dropped and counted as dropped by the tool, never silently.
//!
//! Two backends sit behind [`Backend`]: pnet's datalink channel (an `AF_PACKET` raw socket, no
//! system library needed; the default; `-i any` reads an unbound packet socket, see `any.rs`),
//! and libpcap with the `libpcap` feature (BPF filters, kernel drop counts).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};


#[cfg(feature = "libpcap")]
pub mod libpcap;
pub mod backend;
#[cfg(not(feature = "libpcap"))]
mod pnet;
#[cfg(not(feature = "libpcap"))]
mod any;

pub use backend::{find_interface, interface_linktype, now, open_error, Backend, LiveError, LiveOptions, RawFrame, DEFAULT_SNAPLEN, LINKTYPE_ETHERNET, LINKTYPE_RAW, POLL};

use crate::source::Ts;

/// Frames the queue between the capture thread and the pipeline holds.
const QUEUE_SLOTS: usize = 8192;
/// Bytes of frame data the queue may hold, whatever the slot count.
const QUEUE_BYTES: usize = 64 << 20;
/// Buffers larger than this are not recycled, so a burst of jumbo frames does not pin memory.
const RECYCLE_MAX: usize = 64 << 10;

/// Opens the capture the build supports: libpcap with the feature, pnet otherwise.
/// `any` is every interface (Linux cooked SLL2 frames), as in tcpdump.
pub fn open(opts: &LiveOptions) -> Result<Box<dyn Backend>, LiveError> {
    let any = opts.interface == "any";
    #[cfg(feature = "libpcap")]
    {
        if !any {
            find_interface(&opts.interface)?;
        }
        libpcap::open(opts)
    }
    #[cfg(not(feature = "libpcap"))]
    {
        if any {
            return any::AnyBackend::open(opts).map(|b| Box::new(b) as Box<dyn Backend>);
        }
        let iface = find_interface(&opts.interface)?;
        pnet::PnetBackend::open(&iface, opts).map(|b| Box::new(b) as Box<dyn Backend>)
    }
}


/// A frame handed from the capture thread, in a buffer to give back with [`LiveCapture::recycle`].
#[derive(Debug)]
pub struct Captured {
    /// When it was captured.
    pub ts: Ts,
    /// Length on the wire.
    pub len: u32,
    /// The bytes kept.
    pub data: Vec<u8>,
}

/// What waiting for a frame gave.
#[derive(Debug)]
pub enum Next {
    /// A frame.
    Frame(Captured),
    /// Nothing arrived in time.
    Idle,
    /// The capture thread ended (stopped, or failed: see [`LiveCapture::stop`]).
    Ended,
}

/// Counts at the end of a capture thread.
#[derive(Debug, Default)]
pub struct CaptureEnd {
    /// Frames read from the socket.
    pub received: u64,
    /// Frames dropped because the queue was full.
    pub tool_drops: u64,
    /// Frames the kernel dropped, when the backend can tell.
    pub kernel_drops: Option<u64>,
    /// Backend name.
    pub backend: &'static str,
    /// Why the thread ended on its own, if it did.
    pub error: Option<String>,
}

/// A running capture: a thread reading the backend, and the queue it fills.
pub struct LiveCapture {
    frames: Receiver<Captured>,
    free: SyncSender<Vec<u8>>,
    queued_bytes: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<CaptureEnd>>,
    linktype: u32,
    /// Frames have been flowing: poll the queue in short naps instead of blocking on it, so the
    /// capture thread does not pay a wake-up per frame.
    busy: bool,
}

/// The nap between two looks at the queue while frames are flowing.
const BUSY_NAP: Duration = Duration::from_micros(500);

impl LiveCapture {
    /// Starts the capture thread on `backend`.
    pub fn start(backend: Box<dyn Backend>) -> io::Result<LiveCapture> {
        let linktype = backend.linktype();
        let (tx, frames) = mpsc::sync_channel(QUEUE_SLOTS);
        let (free, free_rx) = mpsc::sync_channel(QUEUE_SLOTS);
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new().name("capture".into()).spawn({
            let queued_bytes = queued_bytes.clone();
            let stop = stop.clone();
            move || capture_loop(backend, tx, free_rx, queued_bytes, stop)
        })?;
        Ok(LiveCapture {
            frames,
            free,
            queued_bytes,
            stop,
            thread: Some(thread),
            linktype,
            busy: false,
        })
    }

    /// The link type of every frame.
    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    /// Waits up to `wait` for the next frame.
    pub fn next(&mut self, wait: Duration) -> Next {
        if !self.busy {
            return match self.frames.recv_timeout(wait) {
                Ok(c) => {
                    self.busy = true;
                    Next::Frame(c)
                }
                Err(RecvTimeoutError::Timeout) => Next::Idle,
                Err(RecvTimeoutError::Disconnected) => Next::Ended,
            };
        }
        let until = Instant::now() + wait;
        loop {
            match self.frames.try_recv() {
                Ok(c) => return Next::Frame(c),
                Err(TryRecvError::Disconnected) => return Next::Ended,
                Err(TryRecvError::Empty) if Instant::now() >= until => {
                    // A whole wait without a frame: back to blocking.
                    self.busy = false;
                    return Next::Idle;
                }
                Err(TryRecvError::Empty) => std::thread::sleep(BUSY_NAP),
            }
        }
    }

    /// The next queued frame without waiting.
    pub fn try_next(&self) -> Next {
        match self.frames.try_recv() {
            Ok(c) => Next::Frame(c),
            Err(TryRecvError::Empty) => Next::Idle,
            Err(TryRecvError::Disconnected) => Next::Ended,
        }
    }

    /// Gives a frame's buffer back to the capture thread.
    pub fn recycle(&self, c: Captured) {
        self.queued_bytes.fetch_sub(c.data.len(), Ordering::Relaxed);
        if c.data.capacity() <= RECYCLE_MAX {
            let _ = self.free.try_send(c.data);
        }
    }

    /// Stops the capture thread and returns its counts. Frames it queued before stopping are
    /// still there for [`try_next`](Self::try_next).
    pub fn stop(&mut self) -> CaptureEnd {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(end)) => end,
            Some(Err(_)) => CaptureEnd {
                error: Some("the capture thread panicked".into()),
                ..CaptureEnd::default()
            },
            None => CaptureEnd::default(),
        }
    }
}

impl Drop for LiveCapture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The capture thread: read, copy into a recycled buffer, queue or count a drop.
fn capture_loop(
    mut backend: Box<dyn Backend>,
    tx: SyncSender<Captured>,
    free: Receiver<Vec<u8>>,
    queued_bytes: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> CaptureEnd {
    let mut end = CaptureEnd {
        backend: backend.name(),
        ..CaptureEnd::default()
    };
    while !stop.load(Ordering::Relaxed) {
        let f = match backend.next() {
            Ok(Some(f)) => f,
            Ok(None) => continue,
            Err(e) => {
                end.error = Some(e.to_string());
                break;
            }
        };
        end.received += 1;
        let size = f.data.len();
        if queued_bytes.load(Ordering::Relaxed) + size > QUEUE_BYTES {
            end.tool_drops += 1;
            continue;
        }
        let mut data = free.try_recv().unwrap_or_default();
        data.clear();
        data.extend_from_slice(f.data);
        let c = Captured {
            ts: f.ts,
            len: f.len,
            data,
        };
        queued_bytes.fetch_add(size, Ordering::Relaxed);
        match tx.try_send(c) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(_)) => {
                queued_bytes.fetch_sub(size, Ordering::Relaxed);
                end.tool_drops += 1;
            }
            Err(mpsc::TrySendError::Disconnected(_)) => break,
        }
    }
    end.kernel_drops = backend.kernel_drops();
    end
}

#[cfg(test)]
mod test {
    use super::*;

    /// A backend replaying frames from memory, then idling.
    struct Replay {
        frames: Vec<Vec<u8>>,
        at: usize,
    }

    impl Backend for Replay {
        fn linktype(&self) -> u32 {
            LINKTYPE_ETHERNET
        }
        fn next(&mut self) -> io::Result<Option<RawFrame<'_>>> {
            let Some(f) = self.frames.get(self.at) else {
                std::thread::sleep(Duration::from_millis(1));
                return Ok(None);
            };
            self.at += 1;
            Ok(Some(RawFrame {
                ts: Ts {
                    sec: self.at as i64,
                    nsec: 0,
                },
                len: f.len() as u32,
                data: f,
            }))
        }
        fn kernel_drops(&mut self) -> Option<u64> {
            Some(7)
        }
        fn name(&self) -> &'static str {
            "replay"
        }
    }

    #[test]
    fn frames_arrive_in_order_and_stop_reports_counts() {
        let frames: Vec<Vec<u8>> = (0..100u8).map(|i| vec![i; 60]).collect();
        let mut cap = LiveCapture::start(Box::new(Replay {
            frames: frames.clone(),
            at: 0,
        }))
        .unwrap();
        let mut got = Vec::new();
        while got.len() < 100 {
            match cap.next(Duration::from_secs(5)) {
                Next::Frame(c) => {
                    got.push(c.data.clone());
                    cap.recycle(c);
                }
                other => panic!("expected a frame, got {other:?}"),
            }
        }
        let end = cap.stop();
        assert_eq!(got, frames);
        assert_eq!(end.received, 100);
        assert_eq!(end.tool_drops, 0);
        assert_eq!(end.kernel_drops, Some(7));
        assert!(end.error.is_none());
        assert!(matches!(cap.try_next(), Next::Ended));
    }

    #[test]
    fn full_queue_counts_tool_drops() {
        let n = QUEUE_SLOTS + 500;
        let frames: Vec<Vec<u8>> = (0..n).map(|i| vec![(i % 251) as u8; 60]).collect();
        let mut cap = LiveCapture::start(Box::new(Replay { frames, at: 0 })).unwrap();
        // Read nothing until the thread has read everything: the queue overflows.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while cap.queued_bytes.load(Ordering::Relaxed) < QUEUE_SLOTS * 60
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50));
        let end = cap.stop();
        let mut queued = 0u64;
        while let Next::Frame(c) = cap.try_next() {
            queued += 1;
            cap.recycle(c);
        }
        assert_eq!(end.received, n as u64);
        assert_eq!(queued, QUEUE_SLOTS as u64);
        assert_eq!(end.tool_drops, 500);
    }

    #[test]
    fn missing_interface_names_the_others() {
        let err = find_interface("no-such-if0")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("no-such-if0: no such interface (available: "),
            "{err}"
        );
        assert!(err.contains("lo"), "{err}");
    }

    #[test]
    fn permission_error_says_how_to_grant() {
        let e = open_error("eth0", &io::Error::from_raw_os_error(1));
        assert_eq!(
            e.to_string(),
            "capture on eth0 needs root or CAP_NET_RAW: sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v inspect)\""
        );
    }
}
