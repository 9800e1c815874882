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

const BPF_CLASS: u16 = 0x07;
const BPF_LD: u16 = 0x00;
const BPF_LDX: u16 = 0x01;
const BPF_MODE: u16 = 0xe0;
const BPF_SIZE: u16 = 0x18;
const BPF_ABS: u16 = 0x20;
const BPF_IND: u16 = 0x40;
const BPF_LEN: u16 = 0x80;
const BPF_MSH: u16 = 0xa0;
const BPF_W: u16 = 0x00;
const BPF_H: u16 = 0x08;
const BPF_B: u16 = 0x10;
/// Where the kernel's ancillary loads start (`SKF_AD_OFF`); below it, from `SKF_LL_OFF` on, the
/// negative offsets of the other special loads.
const AD_OFF: u32 = 0xffff_f000;
const SPECIAL_OFF: u32 = 0xffe0_0000;
const AD_PROTOCOL: u32 = AD_OFF;
/// The cooked header's fields the kernel has a stand-in for: (offset, load size, ancillary load).
const COOKED_FIELDS: [(u32, u16, u32); 3] = [(0, BPF_H, AD_PROTOCOL), (4, BPF_W, AD_IFINDEX), (10, BPF_B, AD_PKTTYPE)];

/// A program compiled for `LINKTYPE_LINUX_SLL2` frames, as the kernel must run it on a cooked
/// socket, where each frame starts at its network header (libpcap's `fix_program`): loads past
/// the cooked header move back by its length, and loads of its protocol, interface and packet
/// type fields become the kernel's ancillary loads of the same values. None when the program
/// reads other bytes of the header (link type, link address) or the frame's length (the
/// kernel's lacks the header), which only the frames as read have.
fn cooked_program(program: &[BpfInsn]) -> Option<Vec<BpfInsn>> {
    let header = inspect_ring::SLL2_LEN as u32;
    program
        .iter()
        .map(|&insn| {
            let class = insn.code & BPF_CLASS;
            if class != BPF_LD && class != BPF_LDX {
                return Some(insn);
            }
            let k = match insn.code & BPF_MODE {
                BPF_LEN => return None,
                BPF_ABS if class == BPF_LD && insn.k >= AD_OFF => insn.k,
                BPF_ABS if class == BPF_LD && insn.k < header => {
                    let size = insn.code & BPF_SIZE;
                    COOKED_FIELDS.iter().find(|(at, sz, _)| *at == insn.k && *sz == size).map(|(.., ad)| *ad)?
                }
                BPF_ABS | BPF_IND | BPF_MSH if insn.k >= SPECIAL_OFF => return None,
                BPF_ABS | BPF_IND | BPF_MSH => insn.k.checked_sub(header)?,
                _ => insn.k,
            };
            Some(BpfInsn { k, ..insn })
        })
        .collect()
}

impl Backend for RingBackend {
    fn linktype(&self) -> u32 {
        self.linktype
    }

    fn attach_filter(&mut self, program: &[BpfInsn]) -> Result<bool, LiveError> {
        let program = if self.linktype == LINKTYPE_LINUX_SLL2 {
            match cooked_program(program) {
                Some(p) => p,
                None => return Ok(false),
            }
        } else {
            program.to_vec()
        };
        self.filter = program;
        let p = self.program();
        self.ring
            .set_filter(&p)
            .map_err(|e| LiveError::Open { iface: self.iface.clone(), why: format!("cannot attach the filter: {e}") })?;
        Ok(true)
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

    /// The cooked header's fields the kernel offers as ancillary loads.
    struct Cooked {
        protocol: u32,
        ifindex: u32,
        pkttype: u32,
    }

    /// Runs a classic BPF program as the kernel runs it on a cooked socket: on the packet from
    /// its network header, with `c` for the ancillary loads. 0 for a load out of the packet.
    fn run_cooked(p: &[BpfInsn], pkt: &[u8], c: &Cooked) -> u32 {
        let (mut a, mut x, mut mem, mut pc) = (0u32, 0u32, [0u32; 16], 0usize);
        let load = |at: u32, size: u16| -> Option<u32> {
            if at >= AD_OFF {
                return Some(match at {
                    AD_PROTOCOL => c.protocol,
                    AD_IFINDEX => c.ifindex,
                    AD_PKTTYPE => c.pkttype,
                    other => panic!("ancillary load {other:#x}"),
                });
            }
            let n = match size {
                BPF_W => 4,
                BPF_H => 2,
                _ => 1,
            };
            let b = pkt.get(at as usize..at as usize + n)?;
            Some(b.iter().fold(0u32, |v, &x| v << 8 | x as u32))
        };
        while let Some(&i) = p.get(pc) {
            pc += 1;
            let size = i.code & BPF_SIZE;
            let src = if i.code & 0x08 != 0 { x } else { i.k };
            match (i.code & BPF_CLASS, i.code & BPF_MODE) {
                (0x00, 0x00) => a = i.k,
                (0x00, BPF_ABS) => match load(i.k, size) {
                    Some(v) => a = v,
                    None => return 0,
                },
                (0x00, BPF_IND) => match load(x.wrapping_add(i.k), size) {
                    Some(v) => a = v,
                    None => return 0,
                },
                (0x00, 0x60) => a = mem[i.k as usize],
                (0x01, 0x00) => x = i.k,
                (0x01, 0x60) => x = mem[i.k as usize],
                (0x01, BPF_MSH) => match load(i.k, BPF_B) {
                    Some(v) => x = (v & 0xf) * 4,
                    None => return 0,
                },
                (0x02, _) => mem[i.k as usize] = a,
                (0x03, _) => mem[i.k as usize] = x,
                (0x04, _) => {
                    a = match i.code & 0xf0 {
                        0x00 => a.wrapping_add(src),
                        0x10 => a.wrapping_sub(src),
                        0x20 => a.wrapping_mul(src),
                        0x30 => a.checked_div(src).unwrap_or(0),
                        0x40 => a | src,
                        0x50 => a & src,
                        0x60 => a.wrapping_shl(src),
                        0x70 => a.wrapping_shr(src),
                        0x80 => a.wrapping_neg(),
                        0x90 => a.checked_rem(src).unwrap_or(0),
                        0xa0 => a ^ src,
                        op => panic!("alu {op:#x}"),
                    }
                }
                (0x05, _) => {
                    let hit = match i.code & 0xf0 {
                        0x00 => {
                            pc += i.k as usize;
                            continue;
                        }
                        0x10 => a == src,
                        0x20 => a > src,
                        0x30 => a >= src,
                        0x40 => a & src != 0,
                        op => panic!("jump {op:#x}"),
                    };
                    pc += if hit { i.jt } else { i.jf } as usize;
                }
                (0x06, _) => return if i.code & 0x18 == 0x10 { a } else { i.k },
                (0x07, _) => {
                    if i.code & 0xf8 == 0x80 {
                        a = x
                    } else {
                        x = a
                    }
                }
                other => panic!("instruction {other:?}"),
            }
        }
        0
    }

    /// An SLL2 frame as the ring builds it: the cooked header, then `pkt` (from its network
    /// header).
    fn sll2(c: &Cooked, pkt: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 20];
        f[0..2].copy_from_slice(&(c.protocol as u16).to_be_bytes());
        f[4..8].copy_from_slice(&c.ifindex.to_be_bytes());
        f[8..10].copy_from_slice(&1u16.to_be_bytes());
        f[10] = c.pkttype as u8;
        f[11] = 6;
        f[12..18].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
        f.extend_from_slice(pkt);
        f
    }

    /// An IPv4 packet (with options when `ihl` > 5) carrying `proto` and `l4`.
    fn ipv4(proto: u8, ihl: u8, l4: &[u8]) -> Vec<u8> {
        let hl = ihl as usize * 4;
        let mut p = vec![0u8; hl];
        p[0] = 0x40 | ihl;
        p[2..4].copy_from_slice(&((hl + l4.len()) as u16).to_be_bytes());
        p[8] = 64;
        p[9] = proto;
        p[12..16].copy_from_slice(&[10, 0, 0, 1]);
        p[16..20].copy_from_slice(&[10, 0, 0, 2]);
        p.extend_from_slice(l4);
        p
    }

    fn tcp(sport: u16, dport: u16) -> Vec<u8> {
        let mut t = vec![0u8; 20];
        t[0..2].copy_from_slice(&sport.to_be_bytes());
        t[2..4].copy_from_slice(&dport.to_be_bytes());
        t[12] = 0x50;
        t[13] = 0x02;
        t
    }

    /// The program moved for a cooked socket, run by the kernel's rules on each packet, keeps
    /// exactly the frames the program compiled for SLL2 keeps on the frames the ring builds.
    #[test]
    fn cooked_programs_keep_what_the_sll2_program_keeps() {
        let (v4, arp) = (0x0800, 0x0806);
        let frames: Vec<(Cooked, Vec<u8>)> = vec![
            (Cooked { protocol: v4, ifindex: 2, pkttype: 0 }, ipv4(6, 5, &tcp(40_000, 80))),
            (Cooked { protocol: v4, ifindex: 2, pkttype: 4 }, ipv4(6, 5, &tcp(80, 40_000))),
            (Cooked { protocol: v4, ifindex: 3, pkttype: 0 }, ipv4(6, 7, &tcp(40_000, 80))),
            (Cooked { protocol: v4, ifindex: 1, pkttype: 0 }, ipv4(6, 5, &tcp(40_000, 81))),
            (Cooked { protocol: v4, ifindex: 1, pkttype: 0 }, ipv4(17, 5, &tcp(53, 80))),
            (Cooked { protocol: v4, ifindex: 2, pkttype: 0 }, ipv4(1, 5, &[8, 0, 0, 0, 0, 1, 0, 1])),
            (Cooked { protocol: v4, ifindex: 2, pkttype: 4 }, ipv4(1, 5, &[0, 0, 0, 0, 0, 1, 0, 1])),
            (Cooked { protocol: arp, ifindex: 2, pkttype: 1 }, vec![0, 1, 8, 0, 6, 4, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]),
            (Cooked { protocol: v4, ifindex: 2, pkttype: 0 }, ipv4(6, 5, &[0, 80])),
        ];
        let exprs = [
            "tcp port 80",
            "tcp dst port 80 and host 10.0.0.2",
            "icmp[icmptype] = icmp-echo",
            "udp or arp",
            "net 10.0.0.0/8 and not tcp[tcpflags] & tcp-ack != 0",
            "ip proto 6 and tcp[2:2] > 79",
        ];
        for expr in exprs {
            let mut f = crate::filter::CaptureFilter::new(expr).unwrap();
            let p: Vec<BpfInsn> = f
                .program(LINKTYPE_LINUX_SLL2)
                .unwrap()
                .iter()
                .map(|i| BpfInsn { code: i.code, jt: i.jt, jf: i.jf, k: i.k })
                .collect();
            let moved = cooked_program(&p).unwrap_or_else(|| panic!("{expr}: not movable"));
            let mut kept = 0;
            for (c, pkt) in &frames {
                let frame = sll2(c, pkt);
                let want = crate::filter::bpf::run(f.program(LINKTYPE_LINUX_SLL2).unwrap(), &frame, frame.len() as u32) != 0;
                assert_eq!(run_cooked(&moved, pkt, c) != 0, want, "{expr} on {frame:?}");
                kept += want as usize;
            }
            assert!(kept > 0 && kept < frames.len(), "{expr}: the frames test both ways ({kept})");
        }
        // What the kernel cannot see on a cooked socket stays in user space.
        for expr in ["less 60", "greater 100 and tcp"] {
            let mut f = crate::filter::CaptureFilter::new(expr).unwrap();
            let p: Vec<BpfInsn> = f
                .program(LINKTYPE_LINUX_SLL2)
                .unwrap()
                .iter()
                .map(|i| BpfInsn { code: i.code, jt: i.jt, jf: i.jf, k: i.k })
                .collect();
            assert_eq!(cooked_program(&p), None, "{expr}");
        }
        // The link address's length, which the kernel has no stand-in for.
        assert_eq!(cooked_program(&[BpfInsn { code: 0x30, jt: 0, jf: 0, k: 11 }, ret(1)]), None);
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
