//! Wireshark's Statistics menu over a capture: the protocol hierarchy (`-z io,phs`),
//! conversations (`-z conv,*`), endpoints (`-z endpoints,*`), frames per interval (`-z io,stat`)
//! and the busiest service ports, counted as tshark counts them so the numbers can be checked
//! against it.
//!
//! It reads the decoded [`Packet`] rather than the compact `Input` the other analyzers share:
//! tshark's tables count every layer of a frame (both Ethernet headers of a VXLAN frame, both IP
//! headers of a tunnel), and only the packet view still has them. Every table counts a frame's
//! whole length on the wire, as tshark does. Tables live in vectors in first-seen order with a
//! hash index beside them, so nothing is allocated per packet once a conversation is known.

use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{Ipv6ExtensionSlice, LaxNetSlice, TransportSlice};
use hashbrown::HashTable;

use crate::decode::wlan::Radio;
use crate::decode::defrag::Defrag;
use crate::decode::encap::Kind;
use crate::decode::bytes::be16;
use crate::decode::{Link, Packet};
use crate::filter::{DisplayFilter, Note};
use crate::source::Ts;
use super::conv_shards::{Rec, Spread};

/// A protocol as tshark's `frame.protocols` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Name {
    Eth,
    Ethertype,
    Vlan,
    Ieee8021ad,
    Sll,
    Null,
    Nflog,
    Raw,
    Arp,
    Ip,
    Ipv6,
    HopOpts,
    Routing,
    FragHdr,
    DstOpts,
    Ah,
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    Igmp,
    Gre,
    Erspan,
    Vxlan,
    Geneve,
    Teredo,
    Ayiya,
    Gtp,
    Mpls,
    Pppoes,
    Ppp,
    Vntag,
    Cfp,
    Dns,
    Mdns,
    Llmnr,
    Dhcp,
    Dhcpv6,
    Radiotap,
    Prism,
    WlanRadio,
    Wlan,
    WlanAggregate,
    Llc,
}

impl Name {
    /// tshark's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Name::Eth => "eth",
            Name::Ethertype => "ethertype",
            Name::Vlan => "vlan",
            Name::Ieee8021ad => "ieee8021ad",
            Name::Sll => "sll",
            Name::Null => "null",
            Name::Nflog => "nflog",
            Name::Raw => "raw",
            Name::Arp => "arp",
            Name::Ip => "ip",
            Name::Ipv6 => "ipv6",
            Name::HopOpts => "ipv6.hopopts",
            Name::Routing => "ipv6.routing",
            Name::FragHdr => "ipv6.fraghdr",
            Name::DstOpts => "ipv6.dstopts",
            Name::Ah => "ah",
            Name::Tcp => "tcp",
            Name::Udp => "udp",
            Name::Icmp => "icmp",
            Name::Icmpv6 => "icmpv6",
            Name::Igmp => "igmp",
            Name::Gre => "gre",
            Name::Erspan => "erspan",
            Name::Vxlan => "vxlan",
            Name::Geneve => "geneve",
            Name::Teredo => "teredo",
            Name::Ayiya => "ayiya",
            Name::Gtp => "gtp",
            Name::Mpls => "mpls",
            Name::Pppoes => "pppoes",
            Name::Ppp => "ppp",
            Name::Vntag => "vntag",
            Name::Cfp => "cfp",
            Name::Dns => "dns",
            Name::Mdns => "mdns",
            Name::Llmnr => "llmnr",
            Name::Dhcp => "dhcp",
            Name::Dhcpv6 => "dhcpv6",
            Name::Radiotap => "radiotap",
            Name::Prism => "prism",
            Name::WlanRadio => "wlan_radio",
            Name::Wlan => "wlan",
            Name::WlanAggregate => "wlan_aggregate",
            Name::Llc => "llc",
        }
    }
}

/// Most protocols kept in one frame's path; deeper ones are left out.
const PATH_MAX: usize = 40;

/// One frame's protocols, outermost first, without allocating.
#[derive(Debug, Clone, Copy)]
pub struct Path {
    names: [Name; PATH_MAX],
    n: usize,
}

impl Default for Path {
    fn default() -> Self {
        Path { names: [Name::Eth; PATH_MAX], n: 0 }
    }
}

impl Path {
    fn push(&mut self, name: Name) {
        if let Some(slot) = self.names.get_mut(self.n) {
            *slot = name;
            self.n += 1;
        }
    }

    /// The names, outermost first.
    pub fn as_slice(&self) -> &[Name] {
        self.names.get(..self.n).unwrap_or(&[])
    }

    /// As `frame.protocols` spells it: the names joined by colons.
    pub fn text(&self) -> String {
        self.as_slice().iter().map(|n| n.as_str()).collect::<Vec<_>>().join(":")
    }
}

/// The name tshark gives the header a VLAN tag's TPID introduces.
fn tag_name(tpid: u16) -> Name {
    if tpid == 0x88a8 {
        Name::Ieee8021ad
    } else {
        Name::Vlan
    }
}

/// The protocols of a frame as tshark's `frame.protocols` lists them, for the layers `inspect`
/// decodes (payloads tshark shows as `data` or dissects further are left out).
/// `whole` is the datagram a fragment completed, whose transport the frame then shows.
pub fn path(p: &Packet<'_>, whole: Option<&Packet<'_>>) -> Path {
    let mut path = Path::default();
    let encaps = p.encaps.as_slice();
    match p.link {
        Link::Ethernet { .. } => {
            path.push(Name::Eth);
            // A FabricPath tag takes the place of the EtherType's protocol.
            let fabricpath = p.vlan_count == 0 && matches!(encaps.first(), Some(e) if e.kind == Kind::FabricPath);
            // An 802.3 frame (a length, not an EtherType) carries LLC, not decoded here.
            let ethertype = match p.data.get(12..14) {
                Some(b) => u16::from_be_bytes([b[0], b[1]]) >= 0x0600,
                None => false,
            };
            if !fabricpath && (ethertype || p.vlan_count > 0 || p.net.is_some() || !encaps.is_empty()) {
                path.push(Name::Ethertype);
            }
            for v in p.vlans.get(..p.vlan_count as usize).unwrap_or(&[]) {
                path.push(tag_name(v.tpid));
                path.push(Name::Ethertype);
            }
        }
        Link::Sll { protocol, .. } => {
            path.push(Name::Sll);
            if protocol >= 0x0600 {
                path.push(Name::Ethertype);
            }
        }
        Link::Loopback { .. } => path.push(Name::Null),
        Link::Nflog { .. } => path.push(Name::Nflog),
        Link::Wlan(w) => {
            // tshark puts its `wlan_radio` pseudo-layer (the radio information) after a radio
            // header; AVS headers are its `wlancap`, not counted here.
            match w.radio {
                Radio::Radiotap => path.push(Name::Radiotap),
                Radio::Prism => path.push(Name::Prism),
                Radio::Avs | Radio::None => {}
            }
            if w.radio != Radio::None {
                path.push(Name::WlanRadio);
            }
            path.push(Name::Wlan);
            // tshark's hierarchy ends an A-MSDU at its `wlan_aggregate`.
            if crate::decode::wlan::is_amsdu(p.data.get(w.radio_len as usize..).unwrap_or(&[])) {
                path.push(Name::WlanAggregate);
                return path;
            }
            if w.ethertype != 0 {
                path.push(Name::Llc);
            }
        }
        // LINKTYPE_IPV4 and _IPV6 name their protocol: tshark shows no link layer for them.
        Link::RawIp if matches!(p.linktype, crate::decode::linktype::IPV4 | crate::decode::linktype::IPV6) => {}
        Link::RawIp => path.push(Name::Raw),
        Link::Unsupported => return path,
    }
    let mut last = None;
    for e in encaps {
        let names: &[Name] = match e.kind {
            Kind::Ipv4 => &[Name::Ip],
            Kind::Ipv6 => &[Name::Ipv6],
            Kind::Udp => &[Name::Udp],
            Kind::Gre => &[Name::Gre],
            Kind::Ppp => &[Name::Ppp],
            Kind::Erspan => &[Name::Erspan],
            Kind::Vxlan => &[Name::Vxlan],
            Kind::Geneve => &[Name::Geneve],
            Kind::Teredo => &[Name::Teredo],
            Kind::Ayiya => &[Name::Ayiya],
            Kind::Gtpu => &[Name::Gtp],
            Kind::Mpls => &[Name::Mpls],
            Kind::Pppoe => &[Name::Pppoes],
            Kind::VnTag => &[Name::Vntag, Name::Ethertype],
            Kind::FabricPath => &[Name::Cfp],
            Kind::Ethernet => &[Name::Eth, Name::Ethertype],
            Kind::Wlan => &[Name::Wlan, Name::Llc],
            Kind::Vlan => &[Name::Vlan, Name::Ethertype],
        };
        // ERSPAN type I has no header of its own, but tshark names it between GRE and Ethernet.
        if e.kind == Kind::Ethernet && last == Some(Kind::Gre) && erspan_one(p, e) {
            path.push(Name::Erspan);
        }
        if e.kind == Kind::Wlan && crate::decode::wlan::is_amsdu(e.rest(p.data)) {
            path.push(Name::Wlan);
            path.push(Name::WlanAggregate);
            return path;
        }
        for &n in names {
            path.push(n);
        }
        last = Some(e.kind);
    }
    match &p.net {
        Some(LaxNetSlice::Arp(_)) => path.push(Name::Arp),
        Some(LaxNetSlice::Ipv4(_)) => path.push(Name::Ip),
        Some(LaxNetSlice::Ipv6(v6)) => {
            path.push(Name::Ipv6);
            for ext in v6.extensions().clone() {
                path.push(match ext {
                    Ipv6ExtensionSlice::HopByHop(_) => Name::HopOpts,
                    Ipv6ExtensionSlice::Routing(_) => Name::Routing,
                    Ipv6ExtensionSlice::Fragment(_) => Name::FragHdr,
                    Ipv6ExtensionSlice::DestinationOptions(_) => Name::DstOpts,
                    Ipv6ExtensionSlice::Authentication(_) => Name::Ah,
                });
            }
        }
        None => return path,
    }
    match &whole.unwrap_or(p).transport {
        Some(TransportSlice::Tcp(_)) => path.push(Name::Tcp),
        Some(TransportSlice::Udp(u)) => {
            path.push(Name::Udp);
            if let Some(app) = udp_app(u.source_port(), u.destination_port()) {
                path.push(app);
            }
        }
        Some(TransportSlice::Icmpv4(_)) => path.push(Name::Icmp),
        Some(TransportSlice::Icmpv6(_)) => path.push(Name::Icmpv6),
        Some(TransportSlice::Igmp(_)) => path.push(Name::Igmp),
        None => {}
    }
    path
}

/// Whether the GRE header before Ethernet header `e` carried ERSPAN type I (protocol 0x88be
/// without a sequence number), which has no header of its own.
fn erspan_one(p: &Packet<'_>, e: &crate::decode::encap::Encap) -> bool {
    let gre = p.encaps.as_slice().iter().rev().find(|g| g.kind == Kind::Gre && g.offset < e.offset);
    gre.and_then(|g| g.bytes(p.data).get(2..4)).is_some_and(|b| u16::from_be_bytes([b[0], b[1]]) == 0x88be)
}

/// The application protocol tshark gives a UDP datagram by its ports, for those `inspect`
/// decodes (the lower port first, as tshark tries it).
fn udp_app(sport: u16, dport: u16) -> Option<Name> {
    let by_port = |p: u16| match p {
        53 => Some(Name::Dns),
        67 | 68 => Some(Name::Dhcp),
        546 | 547 => Some(Name::Dhcpv6),
        5353 => Some(Name::Mdns),
        5355 => Some(Name::Llmnr),
        _ => None,
    };
    let (lo, hi) = if sport <= dport { (sport, dport) } else { (dport, sport) };
    by_port(lo).or_else(|| by_port(hi))
}

/// The protocol hierarchy: a tree of paths, each node counting the frames (and their bytes)
/// whose path passes through it. Children keep the order they were first seen in.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
struct Node {
    name: Option<Name>,
    frames: u64,
    bytes: u64,
    children: Vec<u32>,
}

impl Default for Hierarchy {
    fn default() -> Self {
        Hierarchy { nodes: vec![Node { name: None, frames: 0, bytes: 0, children: Vec::new() }] }
    }
}

impl Hierarchy {
    /// Counts one frame of `len` bytes along `path`.
    pub fn add(&mut self, path: &[Name], len: u64) {
        let mut at = 0usize;
        for &name in path {
            let found = self.nodes.get(at).and_then(|n| n.children.iter().copied().find(|&c| self.nodes.get(c as usize).is_some_and(|k| k.name == Some(name))));
            let next = match found {
                Some(c) => c as usize,
                None => {
                    let id = self.nodes.len();
                    self.nodes.push(Node { name: Some(name), frames: 0, bytes: 0, children: Vec::new() });
                    if let Some(n) = self.nodes.get_mut(at) {
                        n.children.push(id as u32);
                    }
                    id
                }
            };
            if let Some(n) = self.nodes.get_mut(next) {
                n.frames += 1;
                n.bytes += len;
            }
            at = next;
        }
    }

    /// Every node, parents before their children, as (path, depth, frames, bytes).
    pub fn rows(&self) -> Vec<(Vec<Name>, u64, u64)> {
        let mut out = Vec::new();
        let mut stack: Vec<(usize, Vec<Name>)> = vec![(0, Vec::new())];
        while let Some((at, prefix)) = stack.pop() {
            let Some(node) = self.nodes.get(at) else { continue };
            for &c in node.children.iter().rev() {
                if let Some(k) = self.nodes.get(c as usize) {
                    let mut p = prefix.clone();
                    if let Some(n) = k.name {
                        p.push(n);
                    }
                    stack.push((c as usize, p));
                }
            }
            if at != 0 {
                out.push((prefix, node.frames, node.bytes));
            }
        }
        out
    }
}

/// Frames and bytes one way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    /// Frames.
    pub frames: u64,
    /// Bytes on the wire.
    pub bytes: u64,
}

impl Count {
    fn add(&mut self, len: u64) {
        self.frames += 1;
        self.bytes += len;
    }
}

/// One conversation: A is the side that sent its first frame, as tshark has it.
#[derive(Debug, Clone, Copy)]
pub struct Conv<K> {
    /// The side that sent the conversation's first frame.
    pub a: K,
    /// The other side.
    pub b: K,
    /// A to B.
    pub ab: Count,
    /// B to A.
    pub ba: Count,
    /// Its first frame's time.
    pub first: Ts,
    /// Its last frame's time.
    pub last: Ts,
}

/// One endpoint's frames sent and received.
#[derive(Debug, Clone, Copy)]
pub struct End<K> {
    /// The address (and port).
    pub key: K,
    /// Sent.
    pub tx: Count,
    /// Received.
    pub rx: Count,
}

/// A table key folded into 64 bits for hashing: a few operations instead of a hasher fed
/// field by field (the enum tag, then each byte of an address).
pub trait Fold: Copy + Eq {
    /// The key's bits, folded.
    fn fold(&self) -> u64;
}

impl Fold for [u8; 6] {
    fn fold(&self) -> u64 {
        let [a, b, c, d, e, f] = *self;
        u64::from_be_bytes([0, 0, a, b, c, d, e, f])
    }
}

impl Fold for IpAddr {
    fn fold(&self) -> u64 {
        match self {
            IpAddr::V4(a) => u64::from(u32::from(*a)),
            IpAddr::V6(a) => {
                let x = u128::from(*a);
                (x as u64) ^ ((x >> 64) as u64).rotate_left(32) ^ (1 << 63)
            }
        }
    }
}

impl Fold for Sock {
    fn fold(&self) -> u64 {
        self.0.fold().rotate_left(16) ^ u64::from(self.1)
    }
}

impl Fold for u8 {
    fn fold(&self) -> u64 {
        u64::from(*self)
    }
}

/// Mixes every bit into every other (MurmurHash3's finalizer): the table takes its buckets
/// from the low bits and its tags from the high ones.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The hash of an unordered pair, the same either way round.
pub(crate) fn pair_hash<K: Fold>(a: &K, b: &K) -> u32 {
    let (x, y) = (a.fold(), b.fold());
    let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
    (mix(lo ^ mix(hi)) >> 32) as u32
}

fn key_hash<K: Fold>(k: &K) -> u32 {
    (mix(k.fold()) >> 32) as u32
}

/// An index entry: a place in the list and its key's hash, kept so that growing the index
/// reads no row.
type Slot = (u32, u32);

/// The table's 64-bit hash of a slot's 32 (spread to the high bits, where the table takes its
/// tags from).
fn spread(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn slot_hash(s: &Slot) -> u64 {
    spread(s.1)
}

/// Conversations between endpoints of type `K`, in first-seen order. The index holds only
/// places in the list (the keys are the list's), so a conversation costs its entry and a few
/// bytes of index: a flood makes a conversation of nearly every packet.
#[derive(Debug, Clone)]
pub struct Convs<K> {
    index: HashTable<Slot>,
    /// The conversations.
    pub list: Vec<Conv<K>>,
}

impl<K> Default for Convs<K> {
    fn default() -> Self {
        Convs { index: HashTable::new(), list: Vec::new() }
    }
}

impl<K> Convs<K> {
    /// Conversations counted elsewhere (see [`conv_shards`](super::conv_shards)), without an
    /// index: nothing more is counted into them.
    pub(crate) fn of_list(list: Vec<Conv<K>>) -> Convs<K> {
        Convs { index: HashTable::new(), list }
    }
}

impl<K: Fold> Convs<K> {
    pub(crate) fn add(&mut self, src: K, dst: K, len: u64, ts: Ts) {
        let list = &mut self.list;
        let hash = pair_hash(&src, &dst);
        let same = |&(i, h): &Slot| h == hash && list.get(i as usize).is_some_and(|c| (c.a == src && c.b == dst) || (c.a == dst && c.b == src));
        let i = match self.index.find(spread(hash), same) {
            Some(&(i, _)) => i as usize,
            None => {
                let i = list.len();
                list.push(Conv { a: src, b: dst, ab: Count::default(), ba: Count::default(), first: ts, last: ts });
                self.index.insert_unique(spread(hash), (i as u32, hash), slot_hash);
                i
            }
        };
        if let Some(c) = list.get_mut(i) {
            c.count(src, len, ts);
        }
    }
}

impl<K: Copy + Eq> Conv<K> {
    fn count(&mut self, src: K, len: u64, ts: Ts) {
        if self.a == src {
            self.ab.add(len);
        } else {
            self.ba.add(len);
        }
        self.first = self.first.min(ts);
        self.last = self.last.max(ts);
    }
}

/// TCP conversations as tshark has them: an address and port pair is one conversation until a
/// SYN (without ACK) comes whose sequence number differs from the one its sender's side
/// started with, as Wireshark's `tcp.stream` numbers them ([`StreamIndex`] has the rule); then
/// the ports were reused and a new conversation starts. The start of each side is kept beside
/// the conversation, so no second table of streams is needed.
///
/// [`StreamIndex`]: crate::analyze::stream::index::StreamIndex
#[derive(Debug, Clone, Default)]
pub struct TcpConvs {
    /// Each pair's latest conversation among those with a stream.
    streams: HashTable<Slot>,
    /// Conversations of segments without a stream (TCP seen only once a datagram was
    /// reassembled), apart from the streams as tshark's stream number keeps them.
    loose: HashTable<Slot>,
    /// The conversations, in first-seen order.
    pub list: Vec<Conv<Sock>>,
    /// Per conversation: whether it has a stream, and where each side's sequence numbers
    /// started (A's, B's).
    state: Vec<(bool, [Option<u32>; 2])>,
}

impl TcpConvs {
    /// Conversations counted elsewhere, as [`Convs::of_list`].
    pub(crate) fn of_list(list: Vec<Conv<Sock>>) -> TcpConvs {
        TcpConvs { list, ..TcpConvs::default() }
    }

    /// Counts a segment from `src` to `dst`; `seg` is its flags and sequence number when it
    /// has a stream.
    pub(crate) fn add(&mut self, src: Sock, dst: Sock, seg: Option<(u8, u32)>, len: u64, ts: Ts) {
        let TcpConvs { streams, loose, list, state } = self;
        let hash = pair_hash(&src, &dst);
        let streamed = seg.is_some();
        // Each table leads only to conversations of its own kind (with a stream or without).
        let same = |&(i, h): &Slot| h == hash && list.get(i as usize).is_some_and(|c| (c.a == src && c.b == dst) || (c.a == dst && c.b == src));
        let table = if streamed { streams } else { loose };
        let found = table.find(spread(hash), same).map(|&(i, _)| i as usize);
        let i = match (found, seg) {
            (Some(i), None) => Some(i),
            (Some(i), Some((flags, seq))) => {
                let side = usize::from(list.get(i).is_some_and(|c| c.a != src));
                let syn_only = flags & 0x12 == 0x02;
                let start = if flags & 0x02 != 0 { seq } else { seq.wrapping_sub(1) };
                match state.get_mut(i) {
                    Some((_, base)) if !(syn_only && base.get(side).copied().flatten().is_some_and(|b| b != seq)) => {
                        if let Some(b) = base.get_mut(side) {
                            b.get_or_insert(start);
                        }
                        Some(i)
                    }
                    _ => None,
                }
            }
            (None, _) => None,
        };
        let i = match i {
            Some(i) => i,
            None => {
                let i = list.len();
                list.push(Conv { a: src, b: dst, ab: Count::default(), ba: Count::default(), first: ts, last: ts });
                let start = seg.map(|(flags, seq)| if flags & 0x02 != 0 { seq } else { seq.wrapping_sub(1) });
                state.push((streamed, [start, None]));
                match table.find_mut(spread(hash), |&(j, _)| found == Some(j as usize)) {
                    // The pair's ports were reused: it leads to the new conversation now.
                    Some(slot) => slot.0 = i as u32,
                    None => {
                        table.insert_unique(spread(hash), (i as u32, hash), slot_hash);
                    }
                }
                i
            }
        };
        if let Some(c) = list.get_mut(i) {
            c.count(src, len, ts);
        }
    }
}

/// Endpoints of type `K`, in first-seen order (indexed as [`Convs`] are).
#[derive(Debug, Clone)]
pub struct Ends<K> {
    index: HashTable<Slot>,
    /// The endpoints.
    pub list: Vec<End<K>>,
}

impl<K> Default for Ends<K> {
    fn default() -> Self {
        Ends { index: HashTable::new(), list: Vec::new() }
    }
}

impl<K: Fold> Ends<K> {
    fn at(&mut self, k: K) -> Option<&mut End<K>> {
        let list = &mut self.list;
        let hash = key_hash(&k);
        let i = match self.index.find(spread(hash), |&(i, h)| h == hash && list.get(i as usize).is_some_and(|e| e.key == k)) {
            Some(&(i, _)) => i as usize,
            None => {
                let i = list.len();
                list.push(End { key: k, tx: Count::default(), rx: Count::default() });
                self.index.insert_unique(spread(hash), (i as u32, hash), slot_hash);
                i
            }
        };
        list.get_mut(i)
    }

    fn add(&mut self, src: K, dst: K, len: u64) {
        if let Some(e) = self.at(src) {
            e.tx.add(len);
        }
        if let Some(e) = self.at(dst) {
            e.rx.add(len);
        }
    }
}

/// The kinds of conversation and endpoint tables, as tshark's `-z conv,TYPE` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableKind {
    /// Ethernet addresses.
    Eth,
    /// IPv4 addresses.
    Ip,
    /// IPv6 addresses.
    Ipv6,
    /// IP addresses and TCP ports.
    Tcp,
    /// IP addresses and UDP ports.
    Udp,
}

impl TableKind {
    /// Every kind, in the order tables are shown.
    pub const ALL: [TableKind; 5] = [TableKind::Eth, TableKind::Ip, TableKind::Ipv6, TableKind::Tcp, TableKind::Udp];

    /// tshark's name.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Eth => "eth",
            TableKind::Ip => "ip",
            TableKind::Ipv6 => "ipv6",
            TableKind::Tcp => "tcp",
            TableKind::Udp => "udp",
        }
    }

    /// The kind tshark names so.
    pub fn parse(s: &str) -> Option<TableKind> {
        TableKind::ALL.into_iter().find(|k| k.name() == s)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Per-interval counts of `-z io,stat`, one column per filter.
#[derive(Debug)]
pub struct IoStat {
    /// The interval in nanoseconds.
    pub interval_ns: u64,
    /// The columns' filters (None: every frame).
    pub filters: Vec<Option<DisplayFilter>>,
    /// Per column, per interval.
    pub columns: Vec<Vec<Count>>,
}

impl IoStat {
    /// Counts of `interval` seconds for these filters.
    pub fn new(interval_ns: u64, filters: Vec<Option<DisplayFilter>>) -> IoStat {
        let columns = filters.iter().map(|_| Vec::new()).collect();
        IoStat { interval_ns: interval_ns.max(1), filters, columns }
    }

    fn add(&mut self, p: &Packet<'_>, at: u64, len: u64) {
        let note = Note::default();
        let slot = usize::try_from(at / self.interval_ns).unwrap_or(usize::MAX);
        // A frame passes a column's filter when one of its packets does: an A-MSDU's later
        // subframes are tried only when the first fails.
        let passes = |f: &DisplayFilter| f.matches(p, &note) || crate::decode::encap::amsdu_rest(p).any(|sub| f.matches(&sub, &note));
        for (f, col) in self.filters.iter().zip(self.columns.iter_mut()) {
            if f.as_ref().is_some_and(|f| !passes(f)) {
                continue;
            }
            if col.len() <= slot {
                // A frame far in the future (a broken time stamp) must not take all memory.
                if slot > 50_000_000 {
                    continue;
                }
                col.resize(slot + 1, Count::default());
            }
            if let Some(c) = col.get_mut(slot) {
                c.add(len);
            }
        }
    }
}

/// What to count.
#[derive(Debug, Default)]
pub struct Wanted {
    /// The protocol hierarchy.
    pub phs: bool,
    /// Conversation tables, each with an optional display filter.
    pub conv: Vec<(TableKind, Option<DisplayFilter>)>,
    /// Endpoint tables, each with an optional display filter.
    pub endpoints: Vec<(TableKind, Option<DisplayFilter>)>,
    /// Frames per interval.
    pub io: Option<IoStat>,
    /// Frames and bytes per service port.
    pub ports: bool,
    /// The overview asked for by no -z: talkers rather than an endpoint table.
    pub overview: bool,
}

/// An IP address and a port.
pub type Sock = (IpAddr, u16);

/// Every table asked for, counted over the frames given.
#[derive(Debug, Default)]
pub struct Traffic {
    /// What is counted.
    pub wanted: Wanted,
    /// Frames counted.
    pub frames: u64,
    /// Their bytes on the wire.
    pub bytes: u64,
    /// The first frame's time (relative times start there).
    pub first: Option<Ts>,
    /// The last frame's time.
    pub last: Option<Ts>,
    /// The protocol hierarchy.
    pub phs: Hierarchy,
    /// Ethernet conversations, per table asked for.
    pub conv_eth: Convs<[u8; 6]>,
    /// IP conversations (v4 and v6 apart by their keys).
    pub conv_ip: Convs<IpAddr>,
    /// TCP conversations: tshark starts a new conversation where a port pair is reused.
    pub conv_tcp: TcpConvs,
    /// UDP conversations.
    pub conv_udp: Convs<Sock>,
    /// Ethernet endpoints.
    pub end_eth: Ends<[u8; 6]>,
    /// IP endpoints.
    pub end_ip: Ends<IpAddr>,
    /// TCP endpoints.
    pub end_tcp: Ends<Sock>,
    /// UDP endpoints.
    pub end_udp: Ends<Sock>,
    /// Per service port (the lower of a datagram's two): TCP frames and bytes.
    pub tcp_ports: Vec<Count>,
    /// The same for UDP.
    pub udp_ports: Vec<Count>,
    /// Which kinds of table any conversation or endpoint table needs counted.
    conv_on: [bool; 5],
    end_on: [bool; 5],
    /// Whether a table has a filter (then frames are checked per table).
    filtered: bool,
    /// IP fragment reassembly, with Linux's limits (as `read` has them by default).
    defrag: Defrag,
    /// The threads counting the conversation tables, when they are counted apart.
    spread: Option<Spread>,
}

/// One layer of a frame that a conversation table counts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tap {
    Eth([u8; 6], [u8; 6]),
    Ip(IpAddr, IpAddr),
    Tcp(Sock, Sock),
    Udp(Sock, Sock),
}

fn mac(b: &[u8]) -> Option<[u8; 6]> {
    b.get(..6).and_then(|s| s.try_into().ok())
}

fn v4(b: &[u8], at: usize) -> Option<IpAddr> {
    let a: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(IpAddr::V4(Ipv4Addr::from(a)))
}

fn v6(b: &[u8], at: usize) -> Option<IpAddr> {
    let a: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    Some(IpAddr::V6(Ipv6Addr::from(a)))
}


/// Calls `f` for every layer of `p` a conversation table counts: every Ethernet header, every
/// IP header (tunnels' outer ones too), every UDP header (a tunnel's too) and the TCP header.
fn taps(p: &Packet<'_>, whole: Option<&Packet<'_>>, mut f: impl FnMut(Tap)) {
    if let Link::Ethernet { src, dst, .. } = p.link {
        f(Tap::Eth(src, dst));
    }
    let mut ip: Option<(IpAddr, IpAddr)> = None;
    for e in p.encaps.as_slice() {
        let b = e.bytes(p.data);
        match e.kind {
            Kind::Ethernet => {
                if let (Some(d), Some(s)) = (mac(b), b.get(6..).and_then(mac)) {
                    f(Tap::Eth(s, d));
                }
            }
            Kind::Ipv4 => {
                if let (Some(s), Some(d)) = (v4(b, 12), v4(b, 16)) {
                    ip = Some((s, d));
                    f(Tap::Ip(s, d));
                }
            }
            Kind::Ipv6 => {
                if let (Some(s), Some(d)) = (v6(b, 8), v6(b, 24)) {
                    ip = Some((s, d));
                    f(Tap::Ip(s, d));
                }
            }
            Kind::Udp => {
                if let (Some((s, d)), Some(sp), Some(dp)) = (ip, be16(b, 0), be16(b, 2)) {
                    f(Tap::Udp((s, sp), (d, dp)));
                }
            }
            _ => {}
        }
    }
    inner_taps(p, whole, f);
}

/// The taps of `p`'s own packet (not of the headers around it): its IP and TCP or UDP header.
fn inner_taps(p: &Packet<'_>, whole: Option<&Packet<'_>>, mut f: impl FnMut(Tap)) {
    let Some((s, d)) = p.ip_addrs() else { return };
    // tshark counts an IPv6 fragment only once its datagram is whole (an IPv4 one always).
    let v6_part = matches!(p.net, Some(LaxNetSlice::Ipv6(_))) && whole.is_none() && p.fragmented();
    if !v6_part {
        f(Tap::Ip(s, d));
    }
    match &whole.unwrap_or(p).transport {
        Some(TransportSlice::Tcp(t)) => f(Tap::Tcp((s, t.source_port()), (d, t.destination_port()))),
        Some(TransportSlice::Udp(u)) => f(Tap::Udp((s, u.source_port()), (d, u.destination_port()))),
        _ => {}
    }
}

impl Traffic {
    /// Counts what `wanted` asks for.
    pub fn new(wanted: Wanted) -> Traffic {
        let mut conv_on = [false; 5];
        let mut end_on = [false; 5];
        for (k, _) in &wanted.conv {
            conv_on[k.index()] = true;
        }
        for (k, _) in &wanted.endpoints {
            end_on[k.index()] = true;
        }
        let filtered = wanted.conv.iter().chain(&wanted.endpoints).any(|(_, f)| f.is_some());
        let ports = if wanted.ports { vec![Count::default(); 65_536] } else { Vec::new() };
        let defrag = Defrag::new(crate::decode::defrag::DefragConfig::default());
        Traffic { wanted, conv_on, end_on, filtered, tcp_ports: ports.clone(), udp_ports: ports, defrag, ..Traffic::default() }
    }

    /// Counts the conversation tables on `shards` threads of their own (see
    /// [`conv_shards`](super::conv_shards)) until [`Traffic::finish`]; nothing is started when
    /// no conversation table is asked for.
    pub fn spread(&mut self, shards: usize) -> std::io::Result<()> {
        if self.spread.is_none() && shards > 0 && self.conv_on.iter().any(|&b| b) {
            self.spread = Some(Spread::new(shards)?);
        }
        Ok(())
    }

    /// Takes the conversation tables back from their threads, when they were counted apart:
    /// the tables are whole only after this.
    pub fn finish(&mut self) {
        if let Some(s) = self.spread.take() {
            (self.conv_eth, self.conv_ip, self.conv_tcp, self.conv_udp) = s.finish();
        }
    }

    /// Makes the IP endpoint table out of the IP conversations counted (each end's frames sent
    /// and received, in the order the ends were first seen), instead of counting it beside
    /// them: the same table, for the memory of the conversations alone. For tables counted
    /// without a filter; the endpoints must not have been counted as well.
    pub fn ip_ends_of_convs(&mut self) {
        let mut ends = Ends::default();
        for c in &self.conv_ip.list {
            // An end's first conversation is the one its first frame started: the same order.
            for (k, tx, rx) in [(c.a, c.ab, c.ba), (c.b, c.ba, c.ab)] {
                if let Some(e) = ends.at(k) {
                    e.tx.frames += tx.frames;
                    e.tx.bytes += tx.bytes;
                    e.rx.frames += rx.frames;
                    e.rx.bytes += rx.bytes;
                }
            }
        }
        self.end_ip = ends;
        self.wanted.endpoints.push((TableKind::Ip, None));
    }

    /// Counts one decoded frame.
    pub fn packet(&mut self, p: &Packet<'_>) {
        let len = p.len as u64;
        let ts = p.ts;
        self.frames += 1;
        self.bytes += len;
        let t0 = *self.first.get_or_insert(ts);
        if self.last.is_none_or(|l| ts > l) {
            self.last = Some(ts);
        }
        // tshark shows a reassembled datagram's transport on the frame that completed it.
        let whole = if p.fragmented() {
            let now = ts.as_nanos().clamp(i64::MIN as i128, i64::MAX as i128) as i64;
            self.defrag.packet(p, now).map(|w| w.decode(p))
        } else {
            None
        };
        let whole = whole.as_ref().map(|w| &w.packet);
        if self.wanted.phs {
            self.phs.add(path(p, whole).as_slice(), len);
        }
        if let Some(io) = &mut self.wanted.io {
            let at = u64::try_from(ts.as_nanos() - t0.as_nanos()).unwrap_or(0);
            io.add(p, at, len);
        }
        if self.wanted.ports {
            let (table, ports) = match &whole.unwrap_or(p).transport {
                Some(TransportSlice::Tcp(t)) => (&mut self.tcp_ports, (t.source_port(), t.destination_port())),
                Some(TransportSlice::Udp(u)) => (&mut self.udp_ports, (u.source_port(), u.destination_port())),
                _ => (&mut Vec::new(), (0, 0)),
            };
            if let Some(c) = table.get_mut(ports.0.min(ports.1) as usize) {
                c.add(len);
            }
        }
        if !self.conv_on.iter().chain(&self.end_on).any(|&b| b) {
            return;
        }
        // With a filter on some table, each table checks its own; without, all count.
        let pass = |filters: &[(TableKind, Option<DisplayFilter>)], k: TableKind| {
            filters.iter().any(|(kind, f)| *kind == k && f.as_ref().is_none_or(|f| f.matches(p, &Note::default())))
        };
        let (conv_on, end_on) = if self.filtered {
            let mut c = [false; 5];
            let mut e = [false; 5];
            for k in TableKind::ALL {
                c[k.index()] = self.conv_on[k.index()] && pass(&self.wanted.conv, k);
                e[k.index()] = self.end_on[k.index()] && pass(&self.wanted.endpoints, k);
            }
            (c, e)
        } else {
            (self.conv_on, self.end_on)
        };
        let on = |t: [bool; 5], k: TableKind| t[k.index()];
        // The segment's stream: only a TCP header of the frame itself has one.
        let seg = if on(conv_on, TableKind::Tcp) && p.ip_addrs().is_some() { p.tcp().map(|t| (t.flags, t.seq)) } else { None };
        let spread = &mut self.spread;
        let mut apart = |tap: Tap, seg: Option<(u8, u32)>| match spread {
            Some(s) => {
                s.push(Rec { tap, seg, len, ts });
                true
            }
            None => false,
        };
        let mut count = |tap: Tap, seg: Option<(u8, u32)>| match tap {
            Tap::Eth(s, d) => {
                if on(conv_on, TableKind::Eth) && !apart(tap, None) {
                    self.conv_eth.add(s, d, len, ts);
                }
                if on(end_on, TableKind::Eth) {
                    self.end_eth.add(s, d, len);
                }
            }
            Tap::Ip(s, d) => {
                let k = if s.is_ipv4() { TableKind::Ip } else { TableKind::Ipv6 };
                if on(conv_on, k) && !apart(tap, None) {
                    self.conv_ip.add(s, d, len, ts);
                }
                if on(end_on, k) {
                    self.end_ip.add(s, d, len);
                }
            }
            Tap::Tcp(s, d) => {
                if on(conv_on, TableKind::Tcp) && !apart(tap, seg) {
                    self.conv_tcp.add(s, d, seg, len, ts);
                }
                if on(end_on, TableKind::Tcp) {
                    self.end_tcp.add(s, d, len);
                }
            }
            Tap::Udp(s, d) => {
                if on(conv_on, TableKind::Udp) && !apart(tap, None) {
                    self.conv_udp.add(s, d, len, ts);
                }
                if on(end_on, TableKind::Udp) {
                    self.end_udp.add(s, d, len);
                }
            }
        };
        taps(p, whole, |tap| count(tap, seg));
        // tshark's taps run for each A-MSDU subframe's IP and TCP or UDP header too.
        for sub in crate::decode::encap::amsdu_rest(p) {
            let seg = if on(conv_on, TableKind::Tcp) { sub.tcp().map(|t| (t.flags, t.seq)) } else { None };
            inner_taps(&sub, None, |tap| count(tap, seg));
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn the_hierarchy_counts_every_prefix_in_first_seen_order() {
        let mut h = Hierarchy::default();
        h.add(&[Name::Eth, Name::Ethertype, Name::Ip, Name::Tcp], 60);
        h.add(&[Name::Eth, Name::Ethertype, Name::Arp], 42);
        h.add(&[Name::Eth, Name::Ethertype, Name::Ip, Name::Udp], 70);
        let rows: Vec<(String, u64, u64)> =
            h.rows().into_iter().map(|(p, f, b)| (p.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(":"), f, b)).collect();
        let want = [
            ("eth", 3, 172),
            ("eth:ethertype", 3, 172),
            ("eth:ethertype:ip", 2, 130),
            ("eth:ethertype:ip:tcp", 1, 60),
            ("eth:ethertype:ip:udp", 1, 70),
            ("eth:ethertype:arp", 1, 42),
        ];
        assert_eq!(rows, want.map(|(p, f, b)| (p.to_string(), f, b)).to_vec());
    }

    /// The endpoints made from the conversations are those counted frame by frame, in the
    /// same order: an address talking to itself, ends first seen as the receiver, both
    /// directions and frames of several lengths.
    #[test]
    fn ip_endpoints_of_the_conversations_are_those_counted() {
        use crate::decode::decode;
        use crate::source::Frame;
        let ip = |n: u8| [10, 0, n / 4, n];
        let mut frames = Vec::new();
        for i in 0u8..60 {
            let (s, d) = if i % 3 == 0 { (ip(i % 7), ip(i % 5 + 1)) } else { (ip(i % 5 + 1), ip(i % 7)) };
            let b = etherparse::PacketBuilder::ethernet2([1; 6], [2; 6]).ipv4(s, d, 64).udp(1000, 53);
            let mut out = Vec::new();
            b.write(&mut out, &vec![0; usize::from(i)]).unwrap();
            frames.push(out);
        }
        let itself = etherparse::PacketBuilder::ethernet2([1; 6], [2; 6]).ipv4(ip(9), ip(9), 64).udp(4, 4);
        let mut out = Vec::new();
        itself.write(&mut out, &[0; 8]).unwrap();
        frames.push(out);
        let counted = |wanted: Wanted| {
            let mut t = Traffic::new(wanted);
            for (k, data) in frames.iter().enumerate() {
                let f = Frame { number: k as u64 + 1, ts: Ts::from_parts(k as i64, 0, 1), linktype: crate::decode::linktype::ETHERNET, len: data.len() as u32 + 4, data, interface: 0, ts_known: true };
                t.packet(&decode(&f));
            }
            t
        };
        let both = counted(Wanted { conv: vec![(TableKind::Ip, None)], endpoints: vec![(TableKind::Ip, None)], ..Wanted::default() });
        let mut made = counted(Wanted { conv: vec![(TableKind::Ip, None)], ..Wanted::default() });
        made.ip_ends_of_convs();
        let rows = |t: &Traffic| t.end_ip.list.iter().map(|e| (e.key, e.tx, e.rx)).collect::<Vec<_>>();
        assert_eq!(rows(&made), rows(&both));
        assert_eq!(both.end_ip.list.len(), 8);
    }

    #[test]
    fn a_conversation_s_a_side_sent_its_first_frame() {
        let mut c = Convs::default();
        let ts = Ts::from_parts(1, 0, 1);
        c.add(2u8, 1u8, 60, ts);
        c.add(1u8, 2u8, 40, ts.plus_secs(1.0));
        c.add(2u8, 1u8, 60, ts.plus_secs(2.0));
        let v = c.list[0];
        assert_eq!((v.a, v.b, v.ab, v.ba), (2, 1, Count { frames: 2, bytes: 120 }, Count { frames: 1, bytes: 40 }));
        assert_eq!(v.last.secs_since(v.first), 2.0);
    }
}
