//! A small, safe wrapper over Linux's memory-mapped packet ring (`AF_PACKET` with `TPACKET_V3`),
//! for `inspect`'s live capture, which forbids `unsafe` in its own crate.
//!
//! The kernel writes frames into blocks of a ring shared with the process and hands a block
//! over when it is full or its retire timer fires; the reader walks the frames of a block in
//! place and gives the block back. Reading a frame therefore costs no system call and no copy,
//! and the ring, not a queue of our own, absorbs bursts: what does not fit is dropped by the
//! kernel and counted (`PACKET_STATISTICS`), so nothing is lost without being counted.
//!
//! The `unsafe` here is confined to the system calls, the one mapping, and the views of a
//! block while the kernel has handed it to us (its status word says so, read with acquire
//! ordering; it is given back with a release store). Everything read from a block is parsed from
//! bytes with bounds checks, so a malformed block cannot make the reader go out of it.
//!
//! Frames come out as libpcap shows them: a VLAN tag the kernel took out of the frame is put
//! back, and on a cooked socket (every interface at once) each frame starts with a Linux cooked
//! v2 header (`LINKTYPE_LINUX_SLL2`) built in the space the kernel leaves before the frame.

#![deny(unsafe_op_in_unsafe_fn)]

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// One instruction of a classic BPF program, laid out as the kernel's `struct sock_filter`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BpfInsn {
    /// Operation.
    pub code: u16,
    /// Instructions skipped when a jump's test holds.
    pub jt: u8,
    /// Instructions skipped when it does not.
    pub jf: u8,
    /// The constant.
    pub k: u32,
}

/// How a ring is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The interface index to capture on; 0 for every interface.
    pub ifindex: u32,
    /// A cooked socket: frames without their link header, each given a Linux cooked v2 header
    /// instead (how every interface is captured at once, whatever their link types).
    pub cooked: bool,
    /// Bytes of one block (a multiple of the page size; it must hold the largest frame).
    pub block_size: u32,
    /// Blocks in the ring.
    pub block_count: u32,
    /// How long the kernel fills a block before handing it over partly filled.
    pub retire: Duration,
    /// Put the interface in promiscuous mode for as long as the ring is open.
    pub promiscuous: bool,
}

/// The kernel's counts since the ring was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames that passed the socket's filter (captured or dropped).
    pub received: u64,
    /// Frames dropped because the ring had no room.
    pub dropped: u64,
}

/// One frame of a block, borrowed from the ring.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// The bytes kept: the link header (or the cooked header) on.
    pub data: &'a [u8],
    /// Length on the wire, headers put back included.
    pub len: u32,
    /// Capture time: seconds since the epoch.
    pub sec: u32,
    /// Capture time: nanoseconds within the second.
    pub nsec: u32,
    /// Index of the interface the frame was seen on.
    pub ifindex: i32,
    /// Linux's packet type: 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 outgoing.
    pub pkttype: u8,
}

// Kernel ABI (include/uapi/linux/if_packet.h), the same on every architecture.
const PACKET_ADD_MEMBERSHIP: libc::c_int = 1;
const PACKET_RX_RING: libc::c_int = 5;
const PACKET_STATISTICS: libc::c_int = 6;
const PACKET_VERSION: libc::c_int = 10;
const PACKET_RESERVE: libc::c_int = 12;
const TPACKET_V3: libc::c_int = 2;
const PACKET_MR_PROMISC: libc::c_ushort = 1;
const TP_STATUS_KERNEL: u32 = 0;
const TP_STATUS_USER: u32 = 1;
const TP_STATUS_VLAN_VALID: u32 = 1 << 4;
const TP_STATUS_VLAN_TPID_VALID: u32 = 1 << 6;
const ETH_P_ALL: u16 = 0x0003;
/// `struct tpacket3_hdr`, aligned to 16: where the `sockaddr_ll` of a frame starts.
const FRAME_HDR: usize = 48;
/// `struct sockaddr_ll`.
const SLL: usize = 20;
/// The Linux cooked v2 header.
pub const SLL2_LEN: usize = 20;
/// An 802.1Q tag.
const VLAN_LEN: usize = 4;
/// Room asked before each frame (PACKET_RESERVE): none, as the kernel's own layout leaves 14
/// bytes before a raw frame (room for a VLAN tag) and 28 before a cooked one (a cooked header
/// and a tag); a frame without that room is skipped rather than shown without its header.
const RESERVE: u32 = 0;
/// Bytes of a block's descriptor before the slice a [`Block`] reads (status word included).
const HEAD: usize = 16;

#[repr(C)]
struct TpacketReq3 {
    block_size: u32,
    block_nr: u32,
    frame_size: u32,
    frame_nr: u32,
    retire_blk_tov: u32,
    sizeof_priv: u32,
    feature_req_word: u32,
}

#[repr(C)]
#[derive(Default)]
struct TpacketStatsV3 {
    packets: u32,
    drops: u32,
    freeze_q_cnt: u32,
}

#[repr(C)]
struct PacketMreq {
    ifindex: libc::c_int,
    kind: libc::c_ushort,
    alen: libc::c_ushort,
    address: [u8; 8],
}

/// The mapping of the ring, unmapped when dropped.
struct Map {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory shared with the kernel; access to it goes through `Ring`,
// whose `&mut self` methods give one thread at a time the blocks the kernel has handed over.
unsafe impl Send for Map {}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: `base` and `len` are exactly what mmap returned, and no view of the mapping
        // outlives the ring (blocks borrow it).
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}

/// A packet socket with a memory-mapped receive ring.
pub struct Ring {
    // Field order: the mapping goes before the socket that owns it.
    map: Map,
    fd: OwnedFd,
    cfg: Config,
    next: usize,
    totals: Stats,
    started: bool,
}

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn setsockopt<T>(fd: BorrowedFd<'_>, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` is a live `T` of the size passed.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    check(r).map(|_| ())
}

impl Ring {
    /// Opens a packet socket with its ring. It receives nothing until [`Ring::start`], so a
    /// filter attached first applies to every frame.
    pub fn open(cfg: Config) -> io::Result<Ring> {
        let kind = if cfg.cooked { libc::SOCK_DGRAM } else { libc::SOCK_RAW };
        // Protocol 0: no frame is queued before `start` binds the socket.
        // SAFETY: plain system call.
        let raw = check(unsafe { libc::socket(libc::AF_PACKET, kind | libc::SOCK_CLOEXEC, 0) })?;
        // SAFETY: `raw` is a descriptor we just opened and own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        setsockopt(fd.as_fd(), libc::SOL_PACKET, PACKET_VERSION, &TPACKET_V3)?;
        setsockopt(fd.as_fd(), libc::SOL_PACKET, PACKET_RESERVE, &RESERVE)?;
        let page = 4096u32;
        if cfg.block_size == 0 || cfg.block_size % page != 0 || cfg.block_count == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "ring blocks must be whole pages"));
        }
        let len = (cfg.block_size as usize)
            .checked_mul(cfg.block_count as usize)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "ring too large"))?;
        let req = TpacketReq3 {
            block_size: cfg.block_size,
            block_nr: cfg.block_count,
            // One frame slot a block: TPACKET_V3 packs frames of any size into a block.
            frame_size: cfg.block_size,
            frame_nr: cfg.block_count,
            retire_blk_tov: cfg.retire.as_millis().clamp(1, u32::MAX as u128) as u32,
            sizeof_priv: 0,
            feature_req_word: 0,
        };
        setsockopt(fd.as_fd(), libc::SOL_PACKET, PACKET_RX_RING, &req)?;
        // SAFETY: a shared mapping of the ring the kernel just allocated for this socket.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(base.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned null"))?;
        let map = Map { base, len };
        if cfg.promiscuous && cfg.ifindex != 0 {
            let mreq = PacketMreq {
                ifindex: cfg.ifindex as libc::c_int,
                kind: PACKET_MR_PROMISC,
                alen: 0,
                address: [0; 8],
            };
            setsockopt(fd.as_fd(), libc::SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq)?;
        }
        Ok(Ring { map, fd, cfg, next: 0, totals: Stats::default(), started: false })
    }

    /// Attaches a classic BPF program: only frames it accepts are received and counted.
    pub fn set_filter(&mut self, program: &[BpfInsn]) -> io::Result<()> {
        let len = u16::try_from(program.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "BPF program too long"))?;
        let prog = libc::sock_fprog {
            len,
            // The kernel only reads the program (it copies it in).
            filter: program.as_ptr().cast::<libc::sock_filter>().cast_mut(),
        };
        setsockopt(self.fd.as_fd(), libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &prog)
    }

    /// Starts receiving: binds the socket to its interface (or to every one).
    pub fn start(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        // SAFETY: an all-zero sockaddr_ll is valid; the fields that matter are set below.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = ETH_P_ALL.to_be();
        sll.sll_ifindex = self.cfg.ifindex as i32;
        // SAFETY: `sll` is a live sockaddr_ll of the size passed.
        let r = unsafe {
            libc::bind(
                self.fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        check(r)?;
        self.started = true;
        Ok(())
    }

    /// Stops receiving for good, keeping what the ring holds: a filter that accepts nothing,
    /// so the counts read afterwards cover exactly the frames still to read and those dropped.
    pub fn close_gate(&mut self) -> io::Result<()> {
        self.set_filter(&[BpfInsn { code: 0x06, jt: 0, jf: 0, k: 0 }])
    }

    /// The socket, for `poll` in a loop of the caller's own.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The status word of block `i`.
    fn status(&self, i: usize) -> &AtomicU32 {
        let at = i * self.cfg.block_size as usize + 8;
        // SAFETY: `at` is within the mapping (i < block_count), 4-aligned (blocks are pages),
        // and the word is only ever accessed atomically, by us and by the kernel.
        unsafe { &*self.map.base.as_ptr().add(at).cast::<AtomicU32>() }
    }

    /// Whether the next block is ours to read.
    pub fn ready(&self) -> bool {
        self.status(self.next).load(Ordering::Acquire) & TP_STATUS_USER != 0
    }

    /// Waits up to `timeout` for a block. `Ok(false)` when none came (or a signal came first);
    /// an error the socket holds (`ENETDOWN`: the interface went down or away) otherwise.
    pub fn wait(&mut self, timeout: Duration) -> io::Result<bool> {
        if self.ready() {
            return Ok(true);
        }
        let mut pfd = libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one live pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted { Ok(false) } else { Err(e) };
        }
        if pfd.revents & libc::POLLERR != 0 {
            if let Some(e) = self.take_error()? {
                return Err(e);
            }
        }
        Ok(self.ready())
    }

    /// The error the socket holds, if any (reading it clears it).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        let mut err: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `err` and `len` are live and of the size passed.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&mut err as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        check(r)?;
        Ok((err != 0).then(|| io::Error::from_raw_os_error(err)))
    }

    /// The next block, when the kernel has handed it over; it goes back when dropped.
    pub fn block(&mut self) -> Option<Block<'_>> {
        if !self.ready() {
            return None;
        }
        let size = self.cfg.block_size as usize;
        let at = self.next * size;
        // SAFETY: block `next` lies within the mapping, and its status says the kernel has handed
        // it to us: the kernel does not touch it until we store TP_STATUS_KERNEL, which only the
        // block's drop does. The two words read here are within the block's descriptor.
        let (num, first) = unsafe {
            let b = self.map.base.as_ptr().add(at);
            (b.add(12).cast::<u32>().read(), b.add(16).cast::<u32>().read())
        };
        // SAFETY: as above; the slice starts past the status word (which the drop stores to), and
        // `&mut self` keeps every other view of the mapping away for as long as the block lives.
        let bytes = unsafe { std::slice::from_raw_parts_mut(self.map.base.as_ptr().add(at + HEAD), size - HEAD) };
        Some(Block {
            bytes,
            left: num,
            at: (first as usize).saturating_sub(HEAD),
            cooked: self.cfg.cooked,
            ring_next: &mut self.next,
            count: self.cfg.block_count as usize,
            status: StatusPtr(self.map.base, at + 8),
        })
    }

    /// The kernel's counts since the ring was opened (the kernel resets its own on each read,
    /// so they are added up here).
    pub fn stats(&mut self) -> io::Result<Stats> {
        let mut st = TpacketStatsV3::default();
        let mut len = std::mem::size_of::<TpacketStatsV3>() as libc::socklen_t;
        // SAFETY: `st` and `len` are live and of the size passed.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                PACKET_STATISTICS,
                (&mut st as *mut TpacketStatsV3).cast(),
                &mut len,
            )
        };
        check(r)?;
        // TPACKET_V3's count of packets includes the dropped ones.
        self.totals.received += st.packets as u64;
        self.totals.dropped += st.drops as u64;
        Ok(self.totals)
    }
}

/// Where a block's status word is, to give the block back once its bytes are no longer borrowed.
struct StatusPtr(NonNull<u8>, usize);

/// A block the kernel handed over: its frames, read in place.
pub struct Block<'r> {
    bytes: &'r mut [u8],
    left: u32,
    at: usize,
    cooked: bool,
    ring_next: &'r mut usize,
    count: usize,
    status: StatusPtr,
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn read_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

impl Block<'_> {
    /// Frames left to read in this block.
    pub fn remaining(&self) -> u32 {
        self.left
    }

    /// The next frame, with its header put back in front (see the crate's notes), or `None`
    /// at the block's end (or where the block does not parse: the rest is skipped).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Frame<'_>> {
        loop {
            match self.place()? {
                Some((first, end, len, sec, nsec, ifindex, pkttype)) => {
                    let data = self.bytes.get(first..end)?;
                    return Some(Frame { data, len, sec, nsec, ifindex, pkttype });
                }
                None => continue,
            }
        }
    }

    /// Puts the next frame's headers back in front of it: its byte range, wire length, time,
    /// interface and packet type; `Some(None)` when it has no room for them (skipped).
    #[allow(clippy::type_complexity)]
    fn place(&mut self) -> Option<Option<(usize, usize, u32, u32, u32, i32, u8)>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let hdr = self.at;
        let b = &*self.bytes;
        let next = read_u32(b, hdr)? as usize;
        let sec = read_u32(b, hdr + 4)?;
        let nsec = read_u32(b, hdr + 8)?;
        let snap = read_u32(b, hdr + 12)? as usize;
        let wire = read_u32(b, hdr + 16)?;
        let status = read_u32(b, hdr + 20)?;
        let mac = read_u16(b, hdr + 24)? as usize;
        let tci = read_u32(b, hdr + 32)?;
        let tpid = read_u16(b, hdr + 36)?;
        let sll = hdr + FRAME_HDR;
        let protocol = read_u16(b, sll + 2)?; // network order, as stored
        let ifindex = read_u32(b, sll + 4)? as i32;
        let hatype = read_u16(b, sll + 8)?;
        let pkttype = *b.get(sll + 10)?;
        let halen = *b.get(sll + 11)?;
        let addr: [u8; 8] = b.get(sll + 12..sll + 20)?.try_into().ok()?;
        // The next frame is further on in the block; a zero offset ends it.
        if next == 0 {
            self.left = 0;
        } else {
            self.at = hdr.checked_add(next)?;
        }
        let start = hdr.checked_add(mac)?;
        let end = start.checked_add(snap)?;
        // Room before the frame, after the kernel's own headers.
        let floor = sll + SLL;
        if end > self.bytes.len() || start < floor {
            self.left = 0;
            return None;
        }
        let vlan = status & TP_STATUS_VLAN_VALID != 0 && tci != 0;
        let tpid = if status & TP_STATUS_VLAN_TPID_VALID != 0 && tpid != 0 { tpid } else { 0x8100 };
        let mut first = start;
        let mut added = 0usize;
        if vlan && start - floor >= VLAN_LEN + if self.cooked { SLL2_LEN } else { 0 } {
            // libpcap's way: the tag goes back after the MAC addresses (a raw frame) or in front
            // of the payload (a cooked one, whose header then names the tag's type).
            let bytes = &mut *self.bytes;
            let macs = if self.cooked { 0 } else { 12.min(snap) };
            bytes.copy_within(start..start + macs, start - VLAN_LEN);
            let tag_at = start - VLAN_LEN + macs;
            let tag = if self.cooked {
                // The payload's protocol follows the tag; the cooked header says 802.1Q.
                [tci.to_be_bytes()[2], tci.to_be_bytes()[3], protocol.to_ne_bytes()[0], protocol.to_ne_bytes()[1]]
            } else {
                let t = tpid.to_be_bytes();
                [t[0], t[1], tci.to_be_bytes()[2], tci.to_be_bytes()[3]]
            };
            if let Some(slot) = bytes.get_mut(tag_at..tag_at + VLAN_LEN) {
                slot.copy_from_slice(&tag);
            }
            first -= VLAN_LEN;
            added += VLAN_LEN;
        }
        if self.cooked && first - floor < SLL2_LEN {
            return Some(None);
        }
        if self.cooked {
            let shown_protocol = if vlan && added > 0 { tpid.to_be_bytes() } else { protocol.to_ne_bytes() };
            let h = first - SLL2_LEN;
            let bytes = &mut *self.bytes;
            if let Some(slot) = bytes.get_mut(h..first) {
                slot[0..2].copy_from_slice(&shown_protocol);
                slot[2..4].copy_from_slice(&[0, 0]);
                slot[4..8].copy_from_slice(&(ifindex as u32).to_be_bytes());
                slot[8..10].copy_from_slice(&hatype.to_be_bytes());
                slot[10] = pkttype;
                slot[11] = halen;
                slot[12..20].copy_from_slice(&addr);
            }
            first = h;
            added += SLL2_LEN;
        }
        Some(Some((first, end, wire.saturating_add(added as u32), sec, nsec, ifindex, pkttype)))
    }
}

impl Drop for Block<'_> {
    fn drop(&mut self) {
        let StatusPtr(base, at) = self.status;
        // SAFETY: the status word of this block, inside the mapping and 4-aligned; the block's
        // byte slice is not used again (this is its drop), so the store does not alias a live
        // borrow. The release store hands the block back to the kernel.
        unsafe { &*base.as_ptr().add(at).cast::<AtomicU32>() }.store(TP_STATUS_KERNEL, Ordering::Release);
        *self.ring_next = (*self.ring_next + 1) % self.count.max(1);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn insn_is_the_kernels_layout() {
        assert_eq!(std::mem::size_of::<BpfInsn>(), 8);
        assert_eq!(std::mem::size_of::<TpacketReq3>(), 28);
        assert_eq!(std::mem::size_of::<TpacketStatsV3>(), 12);
        assert_eq!(std::mem::size_of::<PacketMreq>(), 16);
    }

    #[test]
    fn bad_geometry_is_refused_before_any_system_call_matters() {
        let cfg = Config { ifindex: 0, cooked: false, block_size: 1000, block_count: 4, retire: Duration::from_millis(10), promiscuous: false };
        // Needs no privilege to be refused: either the socket is refused (no CAP_NET_RAW) or the
        // geometry is.
        assert!(Ring::open(cfg).is_err());
    }
}
