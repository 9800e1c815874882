//! The default backend: Linux's memory-mapped packet ring (`TPACKET_V3`, through the
//! `inspect-ring` crate beside this one), read in place on the thread that analyzes the frames.
//!
//! The kernel's filter does what libpcap does in user space, so that its counts cover only
//! frames we keep: on loopback every frame passes the socket twice (sent, then received), and
//! only the received copy is kept; `--direction` keeps the frames that went one way.

use std::ops::ControlFlow;
use std::time::Duration;

use inspect_ring::{BpfInsn, Config, Ring};

use super::backend::{
    find_interface, interface_linktype, micros, open_error, read_error, Backend, Direction,
    KernelStats, LiveError, LiveOptions, RawFrame, ANY, LINKTYPE_LINUX_SLL2,
};

/// How long the kernel fills a block before handing it over partly filled: frames reach the
/// screen within this, and a quiet link costs a wake-up this often at most.
const RETIRE: Duration = Duration::from_millis(10);
/// Smallest block: a few pages, so a quiet interface does not use a block per frame for long.
const MIN_BLOCK: u32 = 128 << 10;
/// Room a block needs besides the frame: its descriptor, the frame's headers, the reserve.
const BLOCK_OVERHEAD: u32 = 48 + 96 + 32 + 64;
/// The largest frame a packet socket is handed, whatever the snap length: a 64 KiB datagram
/// (what segmentation offloads build at most) behind a link header, a VLAN tag and a cooked
/// header. libpcap sizes its slots the same way; a larger frame (BIG TCP) is cut to its
/// block by the kernel, its length on the wire kept.
const MAX_FRAME: u32 = 65_535 + 14 + 4 + 20;

/// A ring on one interface or on all of them.
pub struct RingBackend {
    ring: Ring,
    iface: String,
    linktype: u32,
    snaplen: usize,
    /// The kernel-side checks every program starts with (direction, loopback copies).
    prologue: Vec<BpfInsn>,
    /// The capture filter attached, if any.
    filter: Vec<BpfInsn>,
    /// The error the socket reported while blocks were still to read: returned once they are.
    failed: Option<LiveError>,
}

impl RingBackend {
    /// Opens the ring (receiving nothing until [`Backend::start`]).
    pub fn open(opts: &LiveOptions) -> Result<RingBackend, LiveError> {
        let iface = opts.interface.as_str();
        let any = iface == ANY;
        let (ifindex, linktype) = if any {
            (0, LINKTYPE_LINUX_SLL2)
        } else {
            let i = find_interface(iface)?;
            if !i.is_up() {
                return Err(LiveError::Down { iface: iface.to_string() });
            }
            (i.index, interface_linktype(iface))
        };
        // Loopback's index, whose sent copies are left out (on `any` as on `lo` itself).
        let lo = datalink_loopback();
        let prologue = prologue(opts.direction, if any || Some(ifindex) == lo { lo } else { None });
        let (block_size, block_count) = geometry(opts.buffer_kib, opts.snaplen);
        let cfg = Config {
            ifindex,
            cooked: any,
            block_size,
            block_count,
            retire: RETIRE,
            promiscuous: opts.promiscuous,
        };
        let ring = Ring::open(cfg).map_err(|e| open_error(iface, &e))?;
        Ok(RingBackend {
            ring,
            iface: iface.to_string(),
            linktype,
            snaplen: opts.snaplen as usize,
            prologue,
            filter: Vec::new(),
            failed: None,
        })
    }

    /// The program the socket runs: the prologue's checks, then the capture filter (or a
    /// program keeping every frame whole).
    fn program(&self) -> Vec<BpfInsn> {
        let mut p = self.prologue.clone();
        if self.filter.is_empty() {
            // Accepting, the kernel keeps as many bytes as the program returns.
            p.push(ret(self.snaplen.min(u32::MAX as usize) as u32));
        } else {
            p.extend_from_slice(&self.filter);
        }
        p
    }
}

/// Blocks of a power-of-two size that holds the largest frame the snap length keeps, as many
/// as fit in the buffer (at least two, so the kernel fills one while we read the other). Blocks
/// no larger than that frame needs mean more of them: the kernel fills one while we read
/// another, and with only a few, a moment of not being scheduled drops frames.
fn geometry(buffer_kib: u32, snaplen: u32) -> (u32, u32) {
    let need = snaplen.min(MAX_FRAME).saturating_add(BLOCK_OVERHEAD).max(MIN_BLOCK);
    let block = need.checked_next_power_of_two().unwrap_or(1 << 31);
    let total = (buffer_kib as u64) << 10;
    let count = (total / block as u64).clamp(2, 1 << 16) as u32;
    (block, count)
}

/// The index of the loopback interface of this namespace.
fn datalink_loopback() -> Option<u32> {
    pnet::datalink::interfaces().into_iter().find(|i| i.is_loopback()).map(|i| i.index)
}

const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JEQ_K: u16 = 0x15;
const BPF_JA: u16 = 0x05;
const BPF_RET_K: u16 = 0x06;
/// The kernel's ancillary loads (`SKF_AD_OFF + ...`).
const AD_PKTTYPE: u32 = 0xffff_f000 + 4;
const AD_IFINDEX: u32 = 0xffff_f000 + 8;
const PACKET_OUTGOING: u32 = 4;

fn ret(k: u32) -> BpfInsn {
    BpfInsn { code: BPF_RET_K, jt: 0, jf: 0, k }
}

fn ja(k: u32) -> BpfInsn {
    BpfInsn { code: BPF_JA, jt: 0, jf: 0, k }
}

/// The checks that keep the frames of `direction` and leave out loopback's sent copies (when
/// `lo` is its index), as libpcap does in user space: they run before any capture filter, which
/// follows them. Empty when there is nothing to check.
fn prologue(direction: Direction, lo: Option<u32>) -> Vec<BpfInsn> {
    if direction == Direction::Inout && lo.is_none() {
        return Vec::new();
    }
    // Sent frames: none from loopback, and none at all when only received ones are wanted.
    let mut out = Vec::new();
    if let Some(index) = lo {
        out.push(BpfInsn { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: AD_IFINDEX });
        out.push(BpfInsn { code: BPF_JEQ_K, jt: 0, jf: 0, k: index }); // jt set below
    }
    let out_keeps = direction != Direction::In;
    let in_keeps = direction != Direction::Out;
    // Layout: 0 load type, 1 test, out.., jump, in jump, reject, accept (the rest).
    let out_len = out.len() + 1;
    let reject = 2 + out_len + 1;
    let accept = reject + 1;
    let mut p = vec![
        BpfInsn { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: AD_PKTTYPE },
        BpfInsn { code: BPF_JEQ_K, jt: 0, jf: out_len as u8, k: PACKET_OUTGOING },
    ];
    for (i, mut insn) in out.into_iter().enumerate() {
        if insn.code == BPF_JEQ_K {
            let pc = 2 + i;
            insn.jt = (reject - pc - 1) as u8;
        }
        p.push(insn);
    }
    let pc = p.len();
    p.push(ja((if out_keeps { accept } else { reject } - pc - 1) as u32));
    let pc = p.len();
    p.push(ja((if in_keeps { accept } else { reject } - pc - 1) as u32));
    p.push(ret(0));
    p
}

impl Backend for RingBackend {
    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn attach_filter(&mut self, program: &[BpfInsn]) -> Result<(), LiveError> {
        self.filter = program.to_vec();
        let p = self.program();
        self.ring.set_filter(&p).map_err(|e| LiveError::Open { iface: self.iface.clone(), why: format!("cannot attach the filter: {e}") })
    }

    fn start(&mut self) -> Result<(), LiveError> {
        if !self.prologue.is_empty() && self.filter.is_empty() {
            let p = self.program();
            self.ring.set_filter(&p).map_err(|e| open_error(&self.iface, &e))?;
        }
        self.ring.start().map_err(|e| open_error(&self.iface, &e))?;
        // Bound to an interface that is down, the socket holds ENETDOWN at once.
        match self.ring.take_error() {
            Ok(Some(e)) => Err(read_error(&self.iface, &e)),
            _ => Ok(()),
        }
    }

    fn read(
        &mut self,
        wait: Duration,
        each: &mut dyn FnMut(RawFrame<'_>) -> ControlFlow<()>,
    ) -> Result<usize, LiveError> {
        // Reading the socket's error clears it, so it is kept until the ring is read out.
        if self.failed.is_some() && !self.ring.ready() {
            if let Some(e) = self.failed.take() {
                return Err(e);
            }
        }
        let ready = match self.ring.wait(wait) {
            Ok(r) => r,
            Err(e) => {
                // The interface went down or away: what the ring holds is still read first.
                if self.ring.ready() {
                    self.failed = Some(read_error(&self.iface, &e));
                    true
                } else {
                    return Err(read_error(&self.iface, &e));
                }
            }
        };
        if !ready {
            return Ok(0);
        }
        let Some(mut block) = self.ring.block() else { return Ok(0) };
        let mut n = 0;
        while let Some(f) = block.next() {
            n += 1;
            let data = f.data.get(..self.snaplen).unwrap_or(f.data);
            let frame = RawFrame { ts: micros(f.sec as i64, f.nsec), len: f.len, data };
            if each(frame).is_break() {
                break;
            }
        }
        Ok(n)
    }

    fn close_gate(&mut self) {
        let _ = self.ring.close_gate();
    }

    fn stats(&mut self) -> Option<KernelStats> {
        self.ring.stats().ok().map(|s| KernelStats { received: s.received, dropped: s.dropped })
    }

    fn name(&self) -> &'static str {
        "ring"
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// Runs a classic BPF program the way the kernel does, for the few instructions the
    /// prologue uses, on a frame with the given packet type and interface.
    fn run(p: &[BpfInsn], pkttype: u32, ifindex: u32) -> u32 {
        let (mut pc, mut a) = (0usize, 0u32);
        loop {
            let i = p[pc];
            match i.code {
                BPF_LD_W_ABS => a = if i.k == AD_PKTTYPE { pkttype } else { ifindex },
                BPF_JEQ_K => {
                    pc += if a == i.k { i.jt } else { i.jf } as usize;
                }
                BPF_JA => pc += i.k as usize,
                BPF_RET_K => return i.k,
                c => panic!("unexpected {c:#x}"),
            }
            pc += 1;
            if pc >= p.len() {
                return u32::MAX; // fell through into the accepting rest
            }
        }
    }

    #[test]
    fn prologue_keeps_what_libpcap_keeps() {
        let lo = 1;
        let eth = 7;
        // (direction, loopback known) → kept for (pkttype, ifindex)
        let cases = [
            (Direction::Inout, true, [(0, lo, true), (4, lo, false), (4, eth, true), (0, eth, true), (1, eth, true)]),
            (Direction::In, true, [(0, lo, true), (4, lo, false), (4, eth, false), (0, eth, true), (3, eth, true)]),
            (Direction::Out, true, [(0, lo, false), (4, lo, false), (4, eth, true), (0, eth, false), (2, eth, false)]),
            (Direction::In, false, [(0, lo, true), (4, lo, false), (4, eth, false), (0, eth, true), (1, eth, true)]),
            (Direction::Out, false, [(0, lo, false), (4, lo, true), (4, eth, true), (0, eth, false), (1, eth, false)]),
        ];
        for (dir, with_lo, frames) in cases {
            let p = prologue(dir, with_lo.then_some(lo));
            for (pkttype, ifindex, kept) in frames {
                assert_eq!(run(&p, pkttype, ifindex) != 0, kept, "{dir:?} lo={with_lo} type {pkttype} if {ifindex}: {p:?}");
            }
        }
        assert!(prologue(Direction::Inout, None).is_empty());
    }

    #[test]
    fn blocks_hold_a_whole_frame_and_fill_the_buffer() {
        // The default snap length keeps frames of at most MAX_FRAME: 128 KiB blocks.
        assert_eq!(geometry(32_768, 262_144), (128 << 10, 256));
        assert_eq!(geometry(1024, 262_144), (128 << 10, 8));
        assert_eq!(geometry(4096, 96), (128 << 10, 32));
        // A buffer smaller than two blocks still gets two.
        assert_eq!(geometry(64, 262_144), (128 << 10, 2));
    }
}
