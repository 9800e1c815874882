//! Classic BPF: capture expressions ([`super::capture::Expr`]) compiled for one link type, and
//! an interpreter to run them on frames read from files.
//!
//! The code follows libpcap's: the same protocol checks (EtherType, IP protocol, IPv6 next
//! header with its fragment header, "not a fragment" before ports), the same offsets, `vlan`
//! moving every later test four bytes on. A load past the captured bytes ends the program with
//! 0, as in the kernel and libpcap, so a short frame is rejected by either. The program is
//! what the kernel takes (`struct sock_filter`), so a live capture can attach it to its socket.

use std::net::IpAddr;

use super::capture::{Arith, Dir, Expr, Proto, Rel, LIBPCAP_HINT};
use crate::decode::linktype;

/// One instruction, laid out as `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    /// Operation.
    pub code: u16,
    /// Instructions skipped when a jump's test holds.
    pub jt: u8,
    /// Instructions skipped when it does not.
    pub jf: u8,
    /// The constant.
    pub k: u32,
}

/// A compiled program.
pub type Program = Vec<Insn>;

const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const ST: u16 = 0x02;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const MISC: u16 = 0x07;
const W: u16 = 0x00;
const H: u16 = 0x08;
const B: u16 = 0x10;
const IMM: u16 = 0x00;
const ABS: u16 = 0x20;
const IND: u16 = 0x40;
const MEM: u16 = 0x60;
const LEN: u16 = 0x80;
const MSH: u16 = 0xa0;
const ADD: u16 = 0x00;
const SUB: u16 = 0x10;
const MUL: u16 = 0x20;
const DIV: u16 = 0x30;
const OR: u16 = 0x40;
const AND: u16 = 0x50;
const LSH: u16 = 0x60;
const RSH: u16 = 0x70;
const NEG: u16 = 0x80;
const MOD: u16 = 0x90;
const XOR: u16 = 0xa0;
const JA: u16 = 0x00;
const JEQ: u16 = 0x10;
const JGT: u16 = 0x20;
const JGE: u16 = 0x30;
const JSET: u16 = 0x40;
const K: u16 = 0x00;
const X: u16 = 0x08;
const RET_A: u16 = 0x10;
const TAX: u16 = 0x00;
const TXA: u16 = 0x80;
/// Scratch memory words.
const MEMWORDS: u32 = 16;
/// What a passing frame returns: the whole frame, as libpcap's programs do.
const ACCEPT: u32 = 262_144;

/// How a link type carries the network layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Ether,
    Sll,
    Sll2,
    Raw,
    V4,
    V6,
    Null,
    Loop,
}

type Label = usize;

/// Code for one transport protocol's test, jumping to its labels.
type Each<'a> = &'a dyn Fn(&mut Gen, u8, Label, Label) -> Result<(), String>;

enum Item {
    I(Insn),
    J { code: u16, k: u32, t: Label, f: Label },
    Ja(Label),
    Mark(Label),
}

struct Gen {
    items: Vec<Item>,
    labels: usize,
    link: Link,
    /// Bytes every later test is moved by the `vlan` tests before it.
    shift: u32,
    /// Scratch words in use.
    mem: u32,
}

/// Compiles `e` for frames of `lt`.
pub fn compile(e: &Expr, lt: u32) -> Result<Program, String> {
    let link = match lt {
        linktype::ETHERNET => Link::Ether,
        linktype::LINUX_SLL => Link::Sll,
        linktype::LINUX_SLL2 => Link::Sll2,
        linktype::RAW | 12 | 14 => Link::Raw,
        linktype::IPV4 => Link::V4,
        linktype::IPV6 => Link::V6,
        linktype::NULL => Link::Null,
        linktype::LOOP => Link::Loop,
        // libpcap compiles no filter for NFLOG either ("NFLOG link-layer type filtering not
        // implemented"): pointing to the libpcap build would send the user nowhere.
        linktype::NFLOG => {
            return Err("link type 239 (NFLOG) cannot be filtered: neither this build nor libpcap compiles capture filters for it".to_string())
        }
        other => {
            return Err(format!(
                "link type {other} ({}) is not filtered by this build (Ethernet, Linux cooked, raw IP and loopback are); {LIBPCAP_HINT}",
                crate::decode::names::linktype(other)
            ))
        }
    };
    let mut g = Gen { items: Vec::new(), labels: 2, link, shift: 0, mem: 0 };
    let (t, f) = (0, 1);
    g.boolean(e, t, f)?;
    g.items.push(Item::Mark(t));
    g.items.push(Item::I(Insn { code: RET | K, jt: 0, jf: 0, k: ACCEPT }));
    g.items.push(Item::Mark(f));
    g.items.push(Item::I(Insn { code: RET | K, jt: 0, jf: 0, k: 0 }));
    g.resolve()
}

fn insn(code: u16, k: u32) -> Item {
    Item::I(Insn { code, jt: 0, jf: 0, k })
}

fn size_code(size: u8) -> u16 {
    match size {
        1 => B,
        2 => H,
        _ => W,
    }
}

impl Gen {
    fn label(&mut self) -> Label {
        self.labels += 1;
        self.labels - 1
    }

    fn mark(&mut self, l: Label) {
        self.items.push(Item::Mark(l));
    }

    fn jump(&mut self, code: u16, k: u32, t: Label, f: Label) {
        self.items.push(Item::J { code: JMP | code | K, k, t, f });
    }

    fn ja(&mut self, l: Label) {
        self.items.push(Item::Ja(l));
    }

    /// Places the labels and turns them into the jumps' offsets.
    fn resolve(self) -> Result<Program, String> {
        let mut at = vec![usize::MAX; self.labels];
        let mut n = 0;
        for it in &self.items {
            match it {
                Item::Mark(l) => {
                    if let Some(a) = at.get_mut(*l) {
                        *a = n;
                    }
                }
                _ => n += 1,
            }
        }
        let off = |here: usize, l: Label| -> Result<usize, String> {
            let to = at.get(l).copied().unwrap_or(usize::MAX);
            to.checked_sub(here + 1).ok_or_else(|| "internal error: a backward jump".to_string())
        };
        let mut out = Vec::with_capacity(n);
        for it in self.items {
            let here = out.len();
            match it {
                Item::Mark(_) => {}
                Item::I(i) => out.push(i),
                Item::Ja(l) => out.push(Insn { code: JMP | JA, jt: 0, jf: 0, k: off(here, l)? as u32 }),
                Item::J { code, k, t, f } => {
                    let (jt, jf) = (off(here, t)?, off(here, f)?);
                    let too_far = || format!("the expression is too large for classic BPF's 255-instruction jumps; {LIBPCAP_HINT}");
                    out.push(Insn { code, jt: u8::try_from(jt).map_err(|_| too_far())?, jf: u8::try_from(jf).map_err(|_| too_far())?, k });
                }
            }
        }
        if out.len() > 4096 {
            return Err(format!("the expression compiles to {} instructions, more than the kernel's 4096", out.len()));
        }
        Ok(out)
    }

    /// Where the network layer starts.
    fn nl(&self) -> u32 {
        match self.link {
            Link::Ether => 14 + self.shift,
            Link::Sll => 16,
            Link::Sll2 => 20,
            Link::Raw | Link::V4 | Link::V6 => 0,
            Link::Null | Link::Loop => 4,
        }
    }

    /// `ld{size} [off]`, masked, then a jump on `code k`.
    #[allow(clippy::too_many_arguments)]
    fn test(&mut self, size: u8, off: u32, mask: Option<u32>, code: u16, k: u32, t: Label, f: Label) {
        self.items.push(insn(LD | size_code(size) | ABS, off));
        if let Some(m) = mask {
            self.items.push(insn(ALU | AND | K, m));
        }
        self.jump(code, k, t, f);
    }

    /// The frame carries EtherType `et` (its own way for each link type).
    fn ethertype(&mut self, et: u16, t: Label, f: Label) -> Result<(), String> {
        let et32 = u32::from(et);
        match self.link {
            Link::Ether => self.test(2, 12 + self.shift, None, JEQ, et32, t, f),
            Link::Sll => self.test(2, 14, None, JEQ, et32, t, f),
            Link::Sll2 => self.test(2, 0, None, JEQ, et32, t, f),
            Link::Raw => match et {
                0x0800 => self.test(1, 0, Some(0xf0), JEQ, 0x40, t, f),
                0x86dd => self.test(1, 0, Some(0xf0), JEQ, 0x60, t, f),
                _ => self.ja(f),
            },
            Link::V4 => self.ja(if et == 0x0800 { t } else { f }),
            Link::V6 => self.ja(if et == 0x86dd { t } else { f }),
            Link::Null | Link::Loop => {
                let families: &[u32] = match et {
                    0x0800 => &[2],
                    0x86dd => &[24, 28, 30],
                    _ => &[],
                };
                // NULL is in the capturing host's byte order: both orders are tried.
                let mut all: Vec<u32> = families.to_vec();
                if self.link == Link::Null {
                    all.extend(families.iter().map(|v| v.swap_bytes()));
                }
                if all.is_empty() {
                    self.ja(f);
                    return Ok(());
                }
                self.items.push(insn(LD | W | ABS, 0));
                let last = all.len() - 1;
                for (i, v) in all.into_iter().enumerate() {
                    if i == last {
                        self.jump(JEQ, v, t, f);
                    } else {
                        let next = self.label();
                        self.jump(JEQ, v, t, next);
                        self.mark(next);
                    }
                }
            }
        }
        Ok(())
    }

    /// `a && b`, each given as code that jumps to its labels.
    fn both(
        &mut self,
        t: Label,
        f: Label,
        a: impl FnOnce(&mut Gen, Label, Label) -> Result<(), String>,
        b: impl FnOnce(&mut Gen, Label, Label) -> Result<(), String>,
    ) -> Result<(), String> {
        let m = self.label();
        a(self, m, f)?;
        self.mark(m);
        b(self, t, f)
    }

    fn either(
        &mut self,
        t: Label,
        f: Label,
        a: impl FnOnce(&mut Gen, Label, Label) -> Result<(), String>,
        b: impl FnOnce(&mut Gen, Label, Label) -> Result<(), String>,
    ) -> Result<(), String> {
        let m = self.label();
        a(self, t, m)?;
        self.mark(m);
        b(self, t, f)
    }

    /// A test on a source field at `src` or a destination field at `dst`, as `dir` says.
    fn dir(
        &mut self,
        dir: Dir,
        t: Label,
        f: Label,
        one: impl Fn(&mut Gen, bool, Label, Label) -> Result<(), String>,
    ) -> Result<(), String> {
        match dir {
            Dir::Src => one(self, true, t, f),
            Dir::Dst => one(self, false, t, f),
            Dir::Either => self.either(t, f, |g, t, f| one(g, true, t, f), |g, t, f| one(g, false, t, f)),
            Dir::Both => self.both(t, f, |g, t, f| one(g, true, t, f), |g, t, f| one(g, false, t, f)),
        }
    }

    /// IPv4 protocol `p`.
    fn ip_proto(&mut self, p: u8, t: Label, f: Label) -> Result<(), String> {
        self.both(t, f, |g, t, f| g.ethertype(0x0800, t, f), |g, t, f| {
            let off = g.nl() + 9;
            g.test(1, off, None, JEQ, p.into(), t, f);
            Ok(())
        })
    }

    /// IPv6 next header `p`, directly or after a fragment header.
    fn ip6_proto(&mut self, p: u8, t: Label, f: Label) -> Result<(), String> {
        self.both(t, f, |g, t, f| g.ethertype(0x86dd, t, f), |g, t, f| {
            let nl = g.nl();
            g.either(
                t,
                f,
                |g, t, f| {
                    g.both(t, f, |g, t, f| {
                        g.test(1, nl + 6, None, JEQ, 44, t, f);
                        Ok(())
                    }, |g, t, f| {
                        g.test(1, nl + 40, None, JEQ, p.into(), t, f);
                        Ok(())
                    })
                },
                |g, t, f| {
                    g.test(1, nl + 6, None, JEQ, p.into(), t, f);
                    Ok(())
                },
            )
        })
    }

    /// An IPv4 packet that is not a fragment after the first.
    fn not_fragment(&mut self, t: Label, f: Label) {
        let off = self.nl() + 6;
        self.test(2, off, None, JSET, 0x1fff, f, t);
    }

    /// Compares the 16-byte address at `off` with `a` under `mask`.
    fn v6_addr(&mut self, off: u32, a: u128, mask: u128, t: Label, f: Label) {
        let words: Vec<(u32, u32)> = (0..4u32)
            .map(|i| {
                let sh = 96 - 32 * i;
                (((a >> sh) & 0xffff_ffff) as u32, ((mask >> sh) & 0xffff_ffff) as u32)
            })
            .collect();
        let live: Vec<(u32, (u32, u32))> = words.into_iter().enumerate().filter(|(_, (_, m))| *m != 0).map(|(i, w)| (i as u32, w)).collect();
        if live.is_empty() {
            self.ja(t);
            return;
        }
        let last = live.len() - 1;
        for (n, (i, (v, m))) in live.into_iter().enumerate() {
            let next = if n == last { t } else { self.label() };
            self.test(4, off + 4 * i, (m != u32::MAX).then_some(m), JEQ, v & m, next, f);
            if n != last {
                self.mark(next);
            }
        }
    }

    fn host(&mut self, proto: Option<Proto>, dir: Dir, addr: IpAddr, bits: u8, t: Label, f: Label) -> Result<(), String> {
        match addr {
            IpAddr::V4(v4) => {
                let a = u32::from(v4);
                let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits.min(32)) };
                let over = |g: &mut Gen, et: u16, src: u32, dst: u32, t: Label, f: Label| {
                    g.both(t, f, |g, t, f| g.ethertype(et, t, f), |g, t, f| {
                        let nl = g.nl();
                        g.dir(dir, t, f, |g, is_src, t, f| {
                            g.test(4, nl + if is_src { src } else { dst }, (mask != u32::MAX).then_some(mask), JEQ, a & mask, t, f);
                            Ok(())
                        })
                    })
                };
                match proto {
                    Some(Proto::Ip) => over(self, 0x0800, 12, 16, t, f),
                    Some(Proto::Arp) => over(self, 0x0806, 14, 24, t, f),
                    Some(Proto::Rarp) => over(self, 0x8035, 14, 24, t, f),
                    None => self.either(
                        t,
                        f,
                        |g, t, f| over(g, 0x0800, 12, 16, t, f),
                        |g, t, f| g.either(t, f, |g, t, f| over(g, 0x0806, 14, 24, t, f), |g, t, f| over(g, 0x8035, 14, 24, t, f)),
                    ),
                    Some(p) => Err(format!("{} host/net is not a valid qualifier", format!("{p:?}").to_lowercase())),
                }
            }
            IpAddr::V6(v6) => {
                let a = u128::from(v6);
                let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits.min(128)) };
                self.both(t, f, |g, t, f| g.ethertype(0x86dd, t, f), |g, t, f| {
                    let nl = g.nl();
                    g.dir(dir, t, f, |g, is_src, t, f| {
                        g.v6_addr(nl + if is_src { 8 } else { 24 }, a, mask, t, f);
                        Ok(())
                    })
                })
            }
        }
    }

    /// `[proto] [dir] port lo..hi`.
    fn port(&mut self, proto: Option<Proto>, dir: Dir, lo: u16, hi: u16, t: Label, f: Label) -> Result<(), String> {
        let transports: Vec<u8> = match proto {
            Some(p @ (Proto::Tcp | Proto::Udp | Proto::Sctp)) => p.ip_proto().into_iter().collect(),
            _ => vec![6, 17, 132],
        };
        let v4 = !matches!(proto, Some(Proto::Ip6));
        let v6 = !matches!(proto, Some(Proto::Ip));
        let range = |g: &mut Gen, ind: bool, off: u32, t: Label, f: Label| {
            let code = LD | H | if ind { IND } else { ABS };
            g.items.push(insn(code, off));
            if lo == hi {
                g.jump(JEQ, lo.into(), t, f);
            } else {
                let m = g.label();
                g.jump(JGE, lo.into(), m, f);
                g.mark(m);
                g.jump(JGT, hi.into(), f, t);
            }
        };
        let four = |g: &mut Gen, p: u8, t: Label, f: Label| -> Result<(), String> {
            g.both(t, f, |g, t, f| g.ip_proto(p, t, f), |g, t, f| {
                g.both(t, f, |g, t, f| {
                    g.not_fragment(t, f);
                    Ok(())
                }, |g, t, f| {
                    let nl = g.nl();
                    g.dir(dir, t, f, |g, is_src, t, f| {
                        g.items.push(insn(LDX | B | MSH, nl));
                        range(g, true, nl + if is_src { 0 } else { 2 }, t, f);
                        Ok(())
                    })
                })
            })
        };
        let six = |g: &mut Gen, p: u8, t: Label, f: Label| -> Result<(), String> {
            g.both(t, f, |g, t, f| g.ethertype(0x86dd, t, f), |g, t, f| {
                let nl = g.nl();
                g.both(t, f, |g, t, f| {
                    g.test(1, nl + 6, None, JEQ, p.into(), t, f);
                    Ok(())
                }, |g, t, f| {
                    g.dir(dir, t, f, |g, is_src, t, f| {
                        range(g, false, nl + if is_src { 40 } else { 42 }, t, f);
                        Ok(())
                    })
                })
            })
        };
        let any_of = |g: &mut Gen, each: Each<'_>, t: Label, f: Label| -> Result<(), String> {
            let last = transports.len().saturating_sub(1);
            for (i, p) in transports.iter().enumerate() {
                if i == last {
                    each(g, *p, t, f)?;
                } else {
                    let next = g.label();
                    each(g, *p, t, next)?;
                    g.mark(next);
                }
            }
            Ok(())
        };
        match (v4, v6) {
            (true, true) => self.either(t, f, |g, t, f| any_of(g, &four, t, f), |g, t, f| any_of(g, &six, t, f)),
            (true, false) => any_of(self, &four, t, f),
            _ => any_of(self, &six, t, f),
        }
    }

    fn boolean(&mut self, e: &Expr, t: Label, f: Label) -> Result<(), String> {
        match e {
            Expr::And(a, b) => self.both(t, f, |g, t, f| g.boolean(a, t, f), |g, t, f| g.boolean(b, t, f)),
            Expr::Or(a, b) => self.either(t, f, |g, t, f| g.boolean(a, t, f), |g, t, f| g.boolean(b, t, f)),
            Expr::Not(a) => self.boolean(a, f, t),
            Expr::Proto(p) => match p {
                Proto::Ether => {
                    self.need_ether("ether")?;
                    self.ja(t);
                    Ok(())
                }
                Proto::Ip => self.ethertype(0x0800, t, f),
                Proto::Ip6 => self.ethertype(0x86dd, t, f),
                Proto::Arp => self.ethertype(0x0806, t, f),
                Proto::Rarp => self.ethertype(0x8035, t, f),
                Proto::Icmp | Proto::Igmp => self.ip_proto(p.ip_proto().unwrap_or(0), t, f),
                Proto::Icmp6 => self.ip6_proto(58, t, f),
                Proto::Tcp | Proto::Udp | Proto::Sctp => {
                    let n = p.ip_proto().unwrap_or(0);
                    self.either(t, f, |g, t, f| g.ip_proto(n, t, f), |g, t, f| g.ip6_proto(n, t, f))
                }
            },
            Expr::Host(proto, dir, addr) => self.host(*proto, *dir, *addr, if addr.is_ipv4() { 32 } else { 128 }, t, f),
            Expr::Net(proto, dir, addr, bits) => self.host(*proto, *dir, *addr, *bits, t, f),
            Expr::EtherHost(dir, mac) => {
                self.need_ether("ether host")?;
                let hi = u32::from(u16::from_be_bytes([mac[0], mac[1]]));
                let lo = u32::from_be_bytes([mac[2], mac[3], mac[4], mac[5]]);
                self.dir(*dir, t, f, |g, is_src, t, f| {
                    let base = if is_src { 6 } else { 0 };
                    g.both(t, f, |g, t, f| {
                        g.test(4, base + 2, None, JEQ, lo, t, f);
                        Ok(())
                    }, |g, t, f| {
                        g.test(2, base, None, JEQ, hi, t, f);
                        Ok(())
                    })
                })
            }
            Expr::EtherBroadcast => {
                self.need_ether("ether broadcast")?;
                self.both(t, f, |g, t, f| {
                    g.test(4, 2, None, JEQ, u32::MAX, t, f);
                    Ok(())
                }, |g, t, f| {
                    g.test(2, 0, None, JEQ, 0xffff, t, f);
                    Ok(())
                })
            }
            Expr::EtherMulticast => {
                self.need_ether("ether multicast")?;
                self.test(1, 0, None, JSET, 1, t, f);
                Ok(())
            }
            Expr::Port(proto, dir, lo, hi) => self.port(*proto, *dir, *lo, *hi, t, f),
            Expr::Less(n) => {
                self.items.push(insn(LD | W | LEN, 0));
                self.jump(JGT, *n, f, t);
                Ok(())
            }
            Expr::Greater(n) => {
                self.items.push(insn(LD | W | LEN, 0));
                self.jump(JGE, *n, t, f);
                Ok(())
            }
            Expr::Vlan(id) => {
                self.need_ether("vlan")?;
                let at = 12 + self.shift;
                let tagged = self.label();
                let next = [self.label(), self.label()];
                self.test(2, at, None, JEQ, 0x8100, tagged, next[0]);
                self.mark(next[0]);
                self.jump(JEQ, 0x88a8, tagged, next[1]);
                self.mark(next[1]);
                self.jump(JEQ, 0x9100, tagged, f);
                self.mark(tagged);
                match id {
                    Some(id) => self.test(2, at + 2, Some(0x0fff), JEQ, u32::from(*id), t, f),
                    None => self.ja(t),
                }
                self.shift += 4;
                Ok(())
            }
            Expr::EtherProto(et) => self.ethertype(*et, t, f),
            Expr::IpProto(which, p) => match which {
                Some(Proto::Ip) => self.ip_proto(*p, t, f),
                Some(Proto::Ip6) => self.ip6_proto(*p, t, f),
                _ => self.either(t, f, |g, t, f| g.ip_proto(*p, t, f), |g, t, f| g.ip6_proto(*p, t, f)),
            },
            Expr::Rel(a, op, b) => {
                let mut guards = Vec::new();
                loads(a, &mut guards);
                loads(b, &mut guards);
                self.guards(&guards, 0, t, f, |g, t, f| g.relation(a, *op, b, t, f))
            }
        }
    }

    fn need_ether(&self, what: &str) -> Result<(), String> {
        if self.link == Link::Ether {
            Ok(())
        } else {
            Err(format!("\"{what}\" needs Ethernet frames; this input's link type is {:?}", self.link))
        }
    }

    /// The protocol checks the loads of a relation imply, in order, then the relation.
    fn guards(
        &mut self,
        guards: &[Proto],
        i: usize,
        t: Label,
        f: Label,
        then: impl FnOnce(&mut Gen, Label, Label) -> Result<(), String>,
    ) -> Result<(), String> {
        let Some(p) = guards.get(i).copied() else { return then(self, t, f) };
        let check = |g: &mut Gen, t: Label, f: Label| -> Result<(), String> {
            match p {
                Proto::Ether => {
                    g.ja(t);
                    Ok(())
                }
                Proto::Ip => g.ethertype(0x0800, t, f),
                Proto::Ip6 => g.ethertype(0x86dd, t, f),
                Proto::Arp => g.ethertype(0x0806, t, f),
                Proto::Rarp => g.ethertype(0x8035, t, f),
                Proto::Icmp6 => g.ip6_proto(58, t, f),
                _ => g.both(t, f, |g, t, f| g.ip_proto(p.ip_proto().unwrap_or(0), t, f), |g, t, f| {
                    g.not_fragment(t, f);
                    Ok(())
                }),
            }
        };
        self.both(t, f, check, |g, t, f| g.guards(guards, i + 1, t, f, then))
    }

    fn relation(&mut self, a: &Arith, op: Rel, b: &Arith, t: Label, f: Label) -> Result<(), String> {
        let (code, t, f) = match op {
            Rel::Eq => (JEQ, t, f),
            Rel::Ne => (JEQ, f, t),
            Rel::Gt => (JGT, t, f),
            Rel::Ge => (JGE, t, f),
            Rel::Lt => (JGE, f, t),
            Rel::Le => (JGT, f, t),
        };
        self.arith(a)?;
        if let Arith::Num(k) = b {
            self.jump(code, *k, t, f);
            return Ok(());
        }
        let slot = self.push()?;
        self.arith(b)?;
        self.items.push(insn(MISC | TAX, 0));
        self.items.push(insn(LD | MEM, slot));
        self.mem -= 1;
        self.items.push(Item::J { code: JMP | code | X, k: 0, t, f });
        Ok(())
    }

    /// Keeps A in a new scratch word; its index.
    fn push(&mut self) -> Result<u32, String> {
        if self.mem >= MEMWORDS {
            return Err("the arithmetic nests too deep for classic BPF's 16 scratch words".into());
        }
        self.items.push(insn(ST, self.mem));
        self.mem += 1;
        Ok(self.mem - 1)
    }

    /// Code leaving the value of `e` in A.
    fn arith(&mut self, e: &Arith) -> Result<(), String> {
        match e {
            Arith::Num(k) => self.items.push(insn(LD | IMM, *k)),
            Arith::Len => self.items.push(insn(LD | W | LEN, 0)),
            Arith::Neg(a) => {
                self.arith(a)?;
                self.items.push(insn(ALU | NEG, 0));
            }
            Arith::Bin(op, a, b) => {
                let code = match op {
                    '+' => ADD,
                    '-' => SUB,
                    '*' => MUL,
                    '/' => DIV,
                    '%' => MOD,
                    '&' => AND,
                    '|' => OR,
                    '^' => XOR,
                    '<' => LSH,
                    _ => RSH,
                };
                self.arith(a)?;
                if let Arith::Num(k) = **b {
                    // libpcap's refusals, with its words: the kernel refuses such a program.
                    match code {
                        DIV if k == 0 => return Err("division by zero".into()),
                        MOD if k == 0 => return Err("modulus by zero".into()),
                        LSH | RSH if k > 31 => return Err("shift by more than 31 bits".into()),
                        _ => {}
                    }
                    self.items.push(insn(ALU | code | K, k));
                } else {
                    let slot = self.push()?;
                    self.arith(b)?;
                    self.items.push(insn(MISC | TAX, 0));
                    self.items.push(insn(LD | MEM, slot));
                    self.mem -= 1;
                    self.items.push(insn(ALU | code | X, 0));
                }
            }
            Arith::Load(p, index, size) => {
                let sz = size_code(*size);
                let nl = self.nl();
                let transport = matches!(p, Proto::Tcp | Proto::Udp | Proto::Sctp | Proto::Icmp | Proto::Igmp);
                let base = match p {
                    // The link header's first byte, whatever the link type (libpcap's `link[]`).
                    Proto::Ether => 0,
                    Proto::Icmp6 => nl + 40,
                    _ => nl,
                };
                match (&**index, transport) {
                    (Arith::Num(i), false) => self.items.push(insn(LD | sz | ABS, base.saturating_add(*i))),
                    (Arith::Num(i), true) => {
                        self.items.push(insn(LDX | B | MSH, nl));
                        self.items.push(insn(LD | sz | IND, nl.saturating_add(*i)));
                    }
                    (ix, false) => {
                        self.arith(ix)?;
                        self.items.push(insn(MISC | TAX, 0));
                        self.items.push(insn(LD | sz | IND, base));
                    }
                    (ix, true) => {
                        self.arith(ix)?;
                        let slot = self.push()?;
                        self.items.push(insn(LDX | B | MSH, nl));
                        self.items.push(insn(LD | MEM, slot));
                        self.mem -= 1;
                        self.items.push(insn(ALU | ADD | X, 0));
                        self.items.push(insn(MISC | TAX, 0));
                        self.items.push(insn(LD | sz | IND, nl));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The protocols whose headers the loads of `e` read, in order, once each.
fn loads(e: &Arith, out: &mut Vec<Proto>) {
    match e {
        Arith::Load(p, i, _) => {
            loads(i, out);
            if !out.contains(p) {
                out.push(*p);
            }
        }
        Arith::Bin(_, a, b) => {
            loads(a, out);
            loads(b, out);
        }
        Arith::Neg(a) => loads(a, out),
        Arith::Num(_) | Arith::Len => {}
    }
}

fn load(pkt: &[u8], at: u32, code: u16) -> Option<u32> {
    let at = at as usize;
    Some(match code & 0x18 {
        B => u32::from(*pkt.get(at)?),
        H => u32::from(u16::from_be_bytes(pkt.get(at..at.checked_add(2)?)?.try_into().ok()?)),
        _ => u32::from_be_bytes(pkt.get(at..at.checked_add(4)?)?.try_into().ok()?),
    })
}

/// Runs `prog` on a frame of captured bytes `pkt` and wire length `wirelen`: the bytes to keep,
/// 0 to drop it. A load past the captured bytes, a division by zero or a jump out of the
/// program drops the frame.
pub fn run(prog: &[Insn], pkt: &[u8], wirelen: u32) -> u32 {
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; MEMWORDS as usize];
    let mut pc = 0usize;
    loop {
        let Some(i) = prog.get(pc) else { return 0 };
        pc += 1;
        let k = i.k;
        match i.code & 0x07 {
            LD => {
                a = match i.code & 0xe0 {
                    IMM => k,
                    ABS => match load(pkt, k, i.code) {
                        Some(v) => v,
                        None => return 0,
                    },
                    IND => match x.checked_add(k).and_then(|at| load(pkt, at, i.code)) {
                        Some(v) => v,
                        None => return 0,
                    },
                    MEM => mem.get(k as usize).copied().unwrap_or(0),
                    LEN => wirelen,
                    _ => return 0,
                }
            }
            LDX => {
                x = match i.code & 0xe0 {
                    IMM => k,
                    MEM => mem.get(k as usize).copied().unwrap_or(0),
                    LEN => wirelen,
                    MSH => match pkt.get(k as usize) {
                        Some(b) => u32::from(b & 0x0f) * 4,
                        None => return 0,
                    },
                    _ => return 0,
                }
            }
            ST => {
                if let Some(m) = mem.get_mut(k as usize) {
                    *m = a;
                }
            }
            0x03 => {
                if let Some(m) = mem.get_mut(k as usize) {
                    *m = x;
                }
            }
            ALU => {
                let v = if i.code & X != 0 { x } else { k };
                a = match i.code & 0xf0 {
                    ADD => a.wrapping_add(v),
                    SUB => a.wrapping_sub(v),
                    MUL => a.wrapping_mul(v),
                    DIV => match a.checked_div(v) {
                        Some(r) => r,
                        None => return 0,
                    },
                    MOD => match a.checked_rem(v) {
                        Some(r) => r,
                        None => return 0,
                    },
                    OR => a | v,
                    AND => a & v,
                    XOR => a ^ v,
                    LSH => a.checked_shl(v).unwrap_or(0),
                    RSH => a.checked_shr(v).unwrap_or(0),
                    NEG => a.wrapping_neg(),
                    _ => return 0,
                }
            }
            JMP => {
                let v = if i.code & X != 0 { x } else { k };
                let skip = match i.code & 0xf0 {
                    JA => k as usize,
                    JEQ => usize::from(if a == v { i.jt } else { i.jf }),
                    JGT => usize::from(if a > v { i.jt } else { i.jf }),
                    JGE => usize::from(if a >= v { i.jt } else { i.jf }),
                    JSET => usize::from(if a & v != 0 { i.jt } else { i.jf }),
                    _ => return 0,
                };
                pc = match pc.checked_add(skip) {
                    Some(p) => p,
                    None => return 0,
                };
            }
            RET => return if i.code & RET_A != 0 { a } else { k },
            MISC => {
                if i.code & 0xf8 == TXA {
                    a = x;
                } else if i.code & 0xf8 == TAX {
                    x = a;
                }
            }
            _ => return 0,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::filter::capture::parse;

    /// A TCP SYN to port 80 over IPv4 on Ethernet (the decoder's test frame).
    const SYN: [u8; 74] = [
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c,
        0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x0a, 0x74, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0xa2, 0x2e,
        0x00, 0x50, 0x5e, 0x6a, 0x7f, 0x01, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x14, 0x28, 0x00, 0x00,
        0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
        0x03, 0x07,
    ];

    fn pass(expr: &str, frame: &[u8]) -> bool {
        let p = compile(&parse(expr).unwrap(), linktype::ETHERNET).unwrap();
        run(&p, frame, frame.len() as u32) != 0
    }

    #[test]
    fn the_syn_passes_what_describes_it_and_nothing_else() {
        for e in [
            "tcp",
            "ip",
            "host 10.0.0.2",
            "src host 10.0.0.1",
            "dst port 80",
            "tcp port 80 and not udp",
            "net 10.0.0.0/8",
            "src net 10 and dst net 10.0.0.0 mask 255.255.255.0",
            "portrange 79-81",
            "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
            "tcp[13] = 2",
            "ip[0] & 0xf = 5",
            "ip[2:2] = 60",
            "ether src 02:00:00:00:00:01",
            "ether host 02:00:00:00:00:02",
            "greater 74",
            "less 74",
            "len - 14 == 60",
            "tcp[2:2] / 8 * 8 + 16 == 96",
            "ether proto 0x0800",
            "ip proto 6",
            "not (udp or arp)",
            "tcp[tcpflags] & tcp-syn != 0 and tcp[(tcp[12] >> 4) * 4 - 20] = 2",
        ] {
            assert!(pass(e, &SYN), "{e} should pass");
        }
        for e in ["udp", "ip6", "arp", "src port 80", "host 10.0.0.3", "tcp[tcpflags] & tcp-ack != 0", "less 73", "greater 75", "vlan", "icmp", "ether broadcast", "ether multicast"] {
            assert!(!pass(e, &SYN), "{e} should not pass");
        }
    }

    #[test]
    fn a_load_past_the_frame_rejects_it_whatever_the_rest() {
        assert!(pass("tcp or ip[100] = 0", &SYN));
        assert!(!pass("ip[100] = 0 or tcp", &SYN));
    }

    #[test]
    fn other_link_types_read_their_own_headers() {
        let raw = SYN.get(14..).unwrap();
        for (lt, frame) in [(linktype::RAW, raw.to_vec()), (linktype::IPV4, raw.to_vec()), (linktype::LOOP, [&[0, 0, 0, 2][..], raw].concat()), (linktype::NULL, [&[2, 0, 0, 0][..], raw].concat())] {
            let p = compile(&parse("tcp dst port 80 and host 10.0.0.1").unwrap(), lt).unwrap();
            assert_ne!(run(&p, &frame, frame.len() as u32), 0, "link type {lt}");
            let p = compile(&parse("ip6 or udp").unwrap(), lt).unwrap();
            assert_eq!(run(&p, &frame, frame.len() as u32), 0, "link type {lt}");
        }
        assert!(compile(&parse("ether host 02:00:00:00:00:01").unwrap(), linktype::RAW).is_err());
        assert!(compile(&parse("tcp").unwrap(), 147).unwrap_err().contains("libpcap build"));
    }
}
