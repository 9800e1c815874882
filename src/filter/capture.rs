//! tcpdump's capture expressions (pcap-filter(7)) in the pure-Rust build: `-f EXPR`, or the
//! words after the last file (`inspect read f.pcap tcp port 80`).
//!
//! The expression is parsed here into a tree, then compiled by [`super::bpf`] into classic BPF
//! for each link type it meets, as libpcap compiles it: the same protocol checks in the same
//! order, so that a frame too short for a load is rejected as the kernel and tcpdump reject it.
//! Files run the program in [`super::bpf::run`]; a live capture can hand it to the kernel.
//! What this build does not handle (host names, `gateway`, `broadcast` without a netmask, MPLS,
//! PPPoE, 802.11 ...) is an error that says the libpcap build can.

use std::net::IpAddr;

use super::bpf::{self, Program};
use super::lex::{tokens, Lang, Tok, T};
use super::FilterError;

/// The libpcap build's name, for errors about what this build cannot do.
pub const LIBPCAP_HINT: &str = "the libpcap build handles it (cargo build --features libpcap)";

/// A direction qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `src`.
    Src,
    /// `dst`.
    Dst,
    /// `src or dst` (the default).
    Either,
    /// `src and dst`.
    Both,
}

/// A protocol a primitive is qualified with, or tested alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// `ether` (`link`).
    Ether,
    /// `ip`.
    Ip,
    /// `ip6`.
    Ip6,
    /// `arp`.
    Arp,
    /// `rarp`.
    Rarp,
    /// `tcp`.
    Tcp,
    /// `udp`.
    Udp,
    /// `sctp`.
    Sctp,
    /// `icmp`.
    Icmp,
    /// `icmp6`.
    Icmp6,
    /// `igmp`.
    Igmp,
}

impl Proto {
    fn parse(w: &str) -> Option<Proto> {
        Some(match w {
            "ether" | "link" => Proto::Ether,
            "ip" => Proto::Ip,
            "ip6" => Proto::Ip6,
            "arp" => Proto::Arp,
            "rarp" => Proto::Rarp,
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            "sctp" => Proto::Sctp,
            "icmp" => Proto::Icmp,
            "icmp6" => Proto::Icmp6,
            "igmp" => Proto::Igmp,
            _ => return None,
        })
    }

    /// The IP protocol number of a transport.
    pub fn ip_proto(self) -> Option<u8> {
        match self {
            Proto::Tcp => Some(6),
            Proto::Udp => Some(17),
            Proto::Sctp => Some(132),
            Proto::Icmp => Some(1),
            Proto::Icmp6 => Some(58),
            Proto::Igmp => Some(2),
            _ => None,
        }
    }
}

/// An arithmetic expression of a relation.
#[derive(Debug, Clone, PartialEq)]
pub enum Arith {
    /// A number.
    Num(u32),
    /// The frame's length on the wire.
    Len,
    /// `proto[index:size]`.
    Load(Proto, Box<Arith>, u8),
    /// A binary operation (`+ - * / % & | ^ << >>`).
    Bin(char, Box<Arith>, Box<Arith>),
    /// Unary minus.
    Neg(Box<Arith>),
}

/// A relational operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    /// `=` or `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// The parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// Not.
    Not(Box<Expr>),
    /// A protocol alone (`tcp`, `ip6`, `arp`).
    Proto(Proto),
    /// `[proto] [dir] host ADDR`.
    Host(Option<Proto>, Dir, IpAddr),
    /// `ether [dir] host MAC`.
    EtherHost(Dir, [u8; 6]),
    /// `ether broadcast`.
    EtherBroadcast,
    /// `ether multicast`.
    EtherMulticast,
    /// `[proto] [dir] net ADDR/LEN` (address, prefix length).
    Net(Option<Proto>, Dir, IpAddr, u8),
    /// `[proto] [dir] port N` or `portrange A-B`.
    Port(Option<Proto>, Dir, u16, u16),
    /// `less N`: wire length at most N.
    Less(u32),
    /// `greater N`: wire length at least N.
    Greater(u32),
    /// `vlan [ID]`: an 802.1Q/802.1ad tag, after which the rest of the expression reads the
    /// tagged frame.
    Vlan(Option<u16>),
    /// `ether proto N`.
    EtherProto(u16),
    /// `ip proto N`, `ip6 proto N`, or `proto N` (either).
    IpProto(Option<Proto>, u8),
    /// `A relop B`.
    Rel(Arith, Rel, Arith),
}

/// A compiled capture expression: its tree, and a BPF program per link type met so far.
#[derive(Debug)]
pub struct CaptureFilter {
    expr: Expr,
    text: String,
    programs: Vec<(u32, Program)>,
}

impl CaptureFilter {
    /// Parses `text` and compiles it for Ethernet, so that any error comes before reading.
    pub fn new(text: &str) -> Result<CaptureFilter, FilterError> {
        let expr = parse(text)?;
        let eth = bpf::compile(&expr, crate::decode::linktype::ETHERNET).map_err(|why| FilterError::new(text, (0, text.len()), why))?;
        Ok(CaptureFilter { expr, text: text.to_string(), programs: vec![(crate::decode::linktype::ETHERNET, eth)] })
    }

    /// The expression as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the expression tests VLAN tags, which a Linux packet socket takes off the frame
    /// before a socket filter sees it (libpcap reads them from the kernel's metadata instead):
    /// such an expression runs on the frames as read, not in the kernel.
    pub fn uses_vlan(&self) -> bool {
        fn walk(e: &Expr) -> bool {
            match e {
                Expr::Vlan(_) => true,
                Expr::And(a, b) | Expr::Or(a, b) => walk(a) || walk(b),
                Expr::Not(a) => walk(a),
                _ => false,
            }
        }
        walk(&self.expr)
    }

    /// The BPF program for `linktype`, compiled on first use.
    pub fn program(&mut self, linktype: u32) -> Result<&Program, String> {
        let at = match self.programs.iter().position(|(l, _)| *l == linktype) {
            Some(i) => i,
            None => {
                let p = bpf::compile(&self.expr, linktype)?;
                self.programs.push((linktype, p));
                self.programs.len() - 1
            }
        };
        self.programs.get(at).map(|(_, p)| p).ok_or_else(|| "no program".to_string())
    }

    /// Whether a frame of `linktype` with bytes `data` and wire length `len` passes.
    pub fn matches(&mut self, linktype: u32, data: &[u8], len: u32) -> Result<bool, String> {
        Ok(bpf::run(self.program(linktype)?, data, len) != 0)
    }
}

/// Parses an expression.
pub fn parse(text: &str) -> Result<Expr, FilterError> {
    let toks = tokens(text, Lang::Capture)?;
    if toks.is_empty() {
        return Err(FilterError::new(text, (0, text.len()), "the expression is empty"));
    }
    let mut p = Parser { src: text, toks: &toks, pos: 0, last: None };
    let e = p.or()?;
    if let Some(t) = toks.get(p.pos) {
        return Err(p.unexpected(t));
    }
    Ok(e)
}

/// Qualifiers of the last primitive with an id, which a bare id inherits (`host a or b`).
#[derive(Debug, Clone, Copy)]
struct Quals {
    proto: Option<Proto>,
    dir: Dir,
    kind: Option<&'static str>,
}

struct Parser<'s, 't> {
    src: &'s str,
    toks: &'t [Tok<'s>],
    pos: usize,
    last: Option<Quals>,
}

const KINDS: [&str; 5] = ["host", "net", "port", "portrange", "proto"];

impl<'s> Parser<'s, '_> {
    fn peek(&self) -> Option<&T<'s>> {
        self.toks.get(self.pos).map(|t| &t.t)
    }

    fn peek_at(&self, k: usize) -> Option<&T<'s>> {
        self.toks.get(self.pos + k).map(|t| &t.t)
    }

    fn here(&self) -> (usize, usize) {
        self.toks.get(self.pos).map_or((self.src.len(), self.src.len()), |t| t.at)
    }

    fn err(&self, at: (usize, usize), why: impl Into<String>) -> FilterError {
        FilterError::new(self.src, at, why)
    }

    fn end(&self) -> FilterError {
        let n = self.src.len();
        self.err((n, n), "the expression ends too early")
    }

    fn unexpected(&self, t: &Tok<'_>) -> FilterError {
        self.err(t.at, format!("\"{}\" was unexpected here", self.src.get(t.at.0..t.at.1).unwrap_or("")))
    }

    fn is(&self, words: &[&str]) -> bool {
        match self.peek() {
            Some(T::Word(w)) => words.contains(w),
            Some(T::Op(o)) => words.contains(o),
            _ => false,
        }
    }

    fn eat(&mut self, words: &[&str]) -> bool {
        let hit = self.is(words);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// `and` and `or` bind alike, from the left, as in libpcap.
    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.not()?;
        loop {
            if self.eat(&["and", "&&"]) {
                let right = self.not()?;
                left = Expr::And(Box::new(left), Box::new(right));
            } else if self.eat(&["or", "||"]) {
                let right = self.not()?;
                left = Expr::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        if self.eat(&["not", "!"]) {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let Some(t) = self.peek().cloned() else { return Err(self.end()) };
        match t {
            T::Op("(") => {
                // A parenthesized expression, or the start of an arithmetic one.
                let save = (self.pos, self.last);
                self.pos += 1;
                let first = self.or().and_then(|e| {
                    if self.eat(&[")"]) {
                        Ok(e)
                    } else {
                        Err(match self.toks.get(self.pos) {
                            Some(t) => self.unexpected(t),
                            None => self.end(),
                        })
                    }
                });
                match first {
                    Ok(e) if !self.is(&["=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "&", "|", "<<", ">>"]) => Ok(e),
                    other => {
                        let at = self.pos;
                        (self.pos, self.last) = save;
                        match self.relation() {
                            Ok(r) => Ok(r),
                            Err(e) => match other {
                                Err(first) if at >= self.pos => Err(first),
                                _ => Err(e),
                            },
                        }
                    }
                }
            }
            T::Op("-") => self.relation(),
            T::Word(w) => {
                let arith_follows = matches!(self.peek_at(1), Some(T::Op(o)) if !matches!(*o, "(" | ")" | "!" | "&&" | "||"));
                if w == "len" || (constant(w).is_some() && arith_follows) {
                    return self.relation();
                }
                if Proto::parse(w).is_some() && matches!(self.peek_at(1), Some(T::Op("["))) {
                    return self.relation();
                }
                self.primitive()
            }
            _ => Err(self.unexpected(self.toks.get(self.pos).unwrap_or(&Tok { t: t.clone(), at: self.here() }))),
        }
    }

    /// A primitive: qualifiers and an id, a protocol alone, or a keyword (`less`, `vlan`).
    fn primitive(&mut self) -> Result<Expr, FilterError> {
        let start = self.here();
        let Some(T::Word(w)) = self.peek().cloned() else { return Err(self.end()) };
        match w {
            "less" | "greater" => {
                self.pos += 1;
                let (n, at) = self.number_word()?;
                let n = u32::try_from(n).map_err(|_| self.err(at, "too large"))?;
                return Ok(if w == "less" { Expr::Less(n) } else { Expr::Greater(n) });
            }
            "vlan" => {
                self.pos += 1;
                let id = match self.peek() {
                    Some(T::Word(n)) if n.starts_with(|c: char| c.is_ascii_digit()) => {
                        let (n, at) = self.number_word()?;
                        Some(u16::try_from(n).ok().filter(|n| *n < 4096).ok_or_else(|| self.err(at, "a VLAN id is 0 to 4095"))?)
                    }
                    _ => None,
                };
                return Ok(Expr::Vlan(id));
            }
            "broadcast" | "multicast" => {
                return Err(self.err(start, format!("\"{w}\" alone needs the interface's netmask; \"ether {w}\" works here, and {LIBPCAP_HINT}")))
            }
            "gateway" | "mpls" | "pppoed" | "pppoes" | "geneve" | "vxlan" | "wlan" | "type" | "subtype" | "dir" | "atalk" | "decnet" | "iso"
            | "stp" | "ipx" | "netbeui" | "llc" | "inbound" | "outbound" | "ifname" | "on" | "rnr" | "rulenum" | "reason" | "rset"
            | "srnr" | "subrulenum" | "action" | "fddi" | "tr" | "wlan_addr" | "ra" | "ta" | "addr1" | "addr2" | "addr3" | "addr4"
            | "protochain" | "esis" | "isis" | "clnp" | "lat" | "mopdl" | "moprc" | "sca" | "aarp" | "ah" | "esp" | "vrrp" | "carp"
            | "pim" | "icmp6type" | "atm" => {
                return Err(self.err(start, format!("\"{w}\" is not handled by this build's filter compiler; {LIBPCAP_HINT}")))
            }
            _ => {}
        }
        let mut q = Quals { proto: None, dir: Dir::Either, kind: None };
        let mut any = false;
        if let Some(p) = Proto::parse(w) {
            q.proto = Some(p);
            self.pos += 1;
            any = true;
        }
        if self.is(&["src", "dst"]) {
            let first = self.is(&["src"]);
            self.pos += 1;
            q.dir = if first { Dir::Src } else { Dir::Dst };
            // `src or dst`, `src and dst`: a direction, unless what follows is not one.
            if self.is(&["or", "and"]) && matches!(self.peek_at(1), Some(T::Word("src" | "dst"))) {
                q.dir = if self.is(&["or"]) { Dir::Either } else { Dir::Both };
                self.pos += 2;
            }
            any = true;
        }
        if let Some(k) = KINDS.iter().find(|k| self.is(&[k])) {
            q.kind = Some(k);
            self.pos += 1;
            any = true;
        }
        if q.proto == Some(Proto::Ether) && self.is(&["broadcast", "multicast"]) && q.kind.is_none() {
            let b = self.is(&["broadcast"]);
            self.pos += 1;
            return Ok(if b { Expr::EtherBroadcast } else { Expr::EtherMulticast });
        }
        if q.kind == Some("proto") {
            let (n, at) = self.proto_number()?;
            return match q.proto {
                Some(Proto::Ether) => Ok(Expr::EtherProto(u16::try_from(n).map_err(|_| self.err(at, "an EtherType is 16 bits"))?)),
                None | Some(Proto::Ip) | Some(Proto::Ip6) => {
                    Ok(Expr::IpProto(q.proto, u8::try_from(n).map_err(|_| self.err(at, "an IP protocol is 0 to 255"))?))
                }
                Some(p) => Err(self.err(start, format!("\"{p:?} proto\" makes no sense; ip, ip6 and ether have protocols").to_lowercase())),
            };
        }
        // An id follows, or the qualifiers stand alone.
        let id = match self.peek() {
            Some(T::Word(w)) if !is_keyword(w) => Some(*w),
            _ => None,
        };
        let Some(id) = id else {
            if !any {
                return Err(self.unexpected(&self.toks.get(self.pos).cloned().unwrap_or(Tok { t: T::Word(""), at: start })));
            }
            if q.kind.is_some() || q.dir != Dir::Either {
                return Err(match self.toks.get(self.pos) {
                    Some(t) => self.err(t.at, format!("an address or port was expected, not \"{}\"", self.src.get(t.at.0..t.at.1).unwrap_or(""))),
                    None => self.end(),
                });
            }
            return Ok(Expr::Proto(q.proto.unwrap_or(Proto::Ether)));
        };
        if !any {
            // A bare id takes the qualifiers of the primitive before it.
            match self.last {
                Some(last) => q = last,
                None => q.kind = None,
            }
        }
        let at = self.here();
        self.pos += 1;
        // `net A mask M`, `net A/len`.
        let e = self.id(q, id, at)?;
        self.last = Some(q);
        Ok(e)
    }

    fn id(&mut self, q: Quals, id: &str, at: (usize, usize)) -> Result<Expr, FilterError> {
        let kind = q.kind.unwrap_or(if id.contains('/') { "net" } else { "host" });
        match kind {
            "port" | "portrange" => {
                if let Some(p) = q.proto.filter(|p| !matches!(p, Proto::Tcp | Proto::Udp | Proto::Sctp | Proto::Ip | Proto::Ip6)) {
                    return Err(self.err(at, format!("{} has no ports", format!("{p:?}").to_lowercase())));
                }
                let (lo, hi) = if kind == "portrange" {
                    let (a, b) = id.split_once('-').ok_or_else(|| self.err(at, format!("\"{id}\" is not a port range such as 8000-8080")))?;
                    (port(a).ok_or_else(|| self.bad_port(a, at))?, port(b).ok_or_else(|| self.bad_port(b, at))?)
                } else {
                    let p = port(id).ok_or_else(|| self.bad_port(id, at))?;
                    (p, p)
                };
                Ok(Expr::Port(q.proto, q.dir, lo.min(hi), lo.max(hi)))
            }
            "net" => {
                let (addr, len) = if let Some((a, l)) = id.split_once('/') {
                    let addr = partial_addr(a).ok_or_else(|| self.err(at, format!("\"{a}\" is not a network address")))?.0;
                    let max = if addr.is_ipv4() { 32 } else { 128 };
                    let len = l.parse::<u8>().ok().filter(|l| *l <= max).ok_or_else(|| self.err(at, format!("\"/{l}\": the prefix is 0 to {max} bits")))?;
                    (addr, len)
                } else if self.eat(&["mask"]) {
                    let mat = self.here();
                    let Some(T::Word(m)) = self.peek().cloned() else { return Err(self.end()) };
                    self.pos += 1;
                    let addr = partial_addr(id).ok_or_else(|| self.err(at, format!("\"{id}\" is not a network address")))?.0;
                    let mask: std::net::Ipv4Addr = m.parse().map_err(|_| self.err(mat, format!("\"{m}\" is not an IPv4 netmask")))?;
                    let bits = u32::from(mask);
                    if bits.leading_ones() + bits.trailing_zeros() != 32 || !addr.is_ipv4() {
                        return Err(self.err(mat, format!("\"{m}\" is not a contiguous IPv4 netmask")));
                    }
                    (addr, bits.leading_ones() as u8)
                } else {
                    partial_addr(id).ok_or_else(|| self.err(at, format!("\"{id}\" is not a network address")))?
                };
                if let IpAddr::V4(v4) = addr {
                    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                    if u32::from(v4) & !mask != 0 {
                        return Err(self.err(at, format!("\"{id}\": the address has bits set beyond the /{len} prefix")));
                    }
                }
                self.check_ip_proto(q.proto, addr, at)?;
                Ok(Expr::Net(q.proto, q.dir, addr, len))
            }
            _ => {
                if q.proto == Some(Proto::Ether) {
                    let mac = mac(id).ok_or_else(|| self.err(at, format!("\"{id}\" is not a MAC address")))?;
                    return Ok(Expr::EtherHost(q.dir, mac));
                }
                let addr: IpAddr = match id.parse() {
                    Ok(a) => a,
                    Err(_) if mac(id).is_some() => {
                        let mac = mac(id).unwrap_or_default();
                        return Ok(Expr::EtherHost(q.dir, mac));
                    }
                    Err(_) => {
                        return Err(self.err(at, format!("\"{id}\" is not an address; host names are not looked up in this build, and {LIBPCAP_HINT}")))
                    }
                };
                self.check_ip_proto(q.proto, addr, at)?;
                if let Some(p) = q.proto.filter(|p| p.ip_proto().is_some()) {
                    return Err(self.err(at, format!("\"{} host\" is not a valid qualifier", format!("{p:?}").to_lowercase())));
                }
                Ok(Expr::Host(q.proto, q.dir, addr))
            }
        }
    }

    fn check_ip_proto(&self, proto: Option<Proto>, addr: IpAddr, at: (usize, usize)) -> Result<(), FilterError> {
        match (proto, addr) {
            (Some(Proto::Ip6), IpAddr::V4(_)) | (Some(Proto::Ip | Proto::Arp | Proto::Rarp), IpAddr::V6(_)) => {
                Err(self.err(at, format!("{addr} is not an address of {}", format!("{:?}", proto.unwrap_or(Proto::Ip)).to_lowercase())))
            }
            _ => Ok(()),
        }
    }

    fn bad_port(&self, w: &str, at: (usize, usize)) -> FilterError {
        self.err(at, format!("\"{w}\" is not a port number or a known service name"))
    }

    /// A number (decimal, 0x hex, 0 octal) as one word.
    fn number_word(&mut self) -> Result<(u64, (usize, usize)), FilterError> {
        let at = self.here();
        match self.peek().cloned() {
            Some(T::Word(w)) => {
                self.pos += 1;
                number(w).map(|n| (n, at)).ok_or_else(|| self.err(at, format!("\"{w}\" is not a number")))
            }
            Some(_) => Err(self.unexpected(&self.toks.get(self.pos).cloned().unwrap_or(Tok { t: T::Word(""), at }))),
            None => Err(self.end()),
        }
    }

    /// A protocol number or name after `proto`.
    fn proto_number(&mut self) -> Result<(u64, (usize, usize)), FilterError> {
        let at = self.here();
        if let Some(T::Word(w)) = self.peek().cloned() {
            let named = match w.trim_start_matches('\\') {
                "tcp" => Some(6),
                "udp" => Some(17),
                "icmp" => Some(1),
                "igmp" => Some(2),
                "icmp6" => Some(58),
                "sctp" => Some(132),
                "ip" => Some(0x0800),
                "ip6" => Some(0x86dd),
                "arp" => Some(0x0806),
                "rarp" => Some(0x8035),
                _ => None,
            };
            if let Some(n) = named {
                self.pos += 1;
                return Ok((n, at));
            }
        }
        self.number_word()
    }

    /// `A relop B`.
    fn relation(&mut self) -> Result<Expr, FilterError> {
        let a = self.arith(0)?;
        let at = self.here();
        let rel = match self.peek() {
            Some(T::Op("=" | "==")) => Rel::Eq,
            Some(T::Op("!=")) => Rel::Ne,
            Some(T::Op("<")) => Rel::Lt,
            Some(T::Op("<=")) => Rel::Le,
            Some(T::Op(">")) => Rel::Gt,
            Some(T::Op(">=")) => Rel::Ge,
            Some(_) => return Err(self.err(at, "a comparison (=, !=, <, <=, >, >=) was expected here")),
            None => return Err(self.end()),
        };
        self.pos += 1;
        let b = self.arith(0)?;
        Ok(Expr::Rel(a, rel, b))
    }

    /// Arithmetic by precedence climbing, libpcap's levels from loosest: `|` `^`, `&`, shifts,
    /// `+ -`, `* / %`.
    fn arith(&mut self, level: u8) -> Result<Arith, FilterError> {
        const LEVELS: [&[&str]; 5] = [&["|", "^"], &["&"], &["<<", ">>"], &["+", "-"], &["*", "/", "%"]];
        let Some(ops) = LEVELS.get(level as usize) else { return self.atom() };
        let mut left = self.arith(level + 1)?;
        loop {
            let op = match self.peek() {
                Some(T::Op(o)) if ops.contains(o) => *o,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.arith(level + 1)?;
            let c = match op {
                "<<" => '<',
                ">>" => '>',
                o => o.chars().next().unwrap_or('+'),
            };
            left = Arith::Bin(c, Box::new(left), Box::new(right));
        }
    }

    fn atom(&mut self) -> Result<Arith, FilterError> {
        let at = self.here();
        let Some(t) = self.peek().cloned() else { return Err(self.end()) };
        self.pos += 1;
        match t {
            T::Op("(") => {
                let e = self.arith(0)?;
                if !self.eat(&[")"]) {
                    return Err(match self.toks.get(self.pos) {
                        Some(t) => self.unexpected(t),
                        None => self.end(),
                    });
                }
                Ok(e)
            }
            T::Op("-") => Ok(Arith::Neg(Box::new(self.atom()?))),
            T::Word("len") => Ok(Arith::Len),
            T::Word(w) => {
                if let Some(p) = Proto::parse(w) {
                    if !self.eat(&["["]) {
                        return Err(self.err(at, format!("\"{w}\" in arithmetic needs an offset: {w}[N]")));
                    }
                    // `[index]` or `[index:size]`; a plain-number index with its size may come as
                    // one word (`2:2`).
                    let (index, size) = match (self.peek().cloned(), self.peek_at(1)) {
                        (Some(T::Word(w)), Some(T::Op("]"))) if w.contains(':') => {
                            let sat = self.here();
                            self.pos += 1;
                            let (i, s) = w.split_once(':').unwrap_or((w, "1"));
                            let i = constant(i).ok_or_else(|| self.err(sat, format!("\"{i}\" is not an offset")))?;
                            (Arith::Num(i), s)
                        }
                        _ => {
                            let i = self.arith(0)?;
                            if self.eat(&[":"]) {
                                let Some(T::Word(s)) = self.peek().cloned() else { return Err(self.end()) };
                                self.pos += 1;
                                (i, s)
                            } else {
                                (i, "1")
                            }
                        }
                    };
                    let size = match size {
                        "1" => 1,
                        "2" => 2,
                        "4" => 4,
                        s => return Err(self.err(at, format!("\"{s}\": a load is 1, 2 or 4 bytes"))),
                    };
                    if !self.eat(&["]"]) {
                        return Err(match self.toks.get(self.pos) {
                            Some(t) => self.unexpected(t),
                            None => self.end(),
                        });
                    }
                    return Ok(Arith::Load(p, Box::new(index), size));
                }
                constant(w).map(Arith::Num).ok_or_else(|| self.err(at, format!("\"{w}\" is not a number or a known constant")))
            }
            other => Err(self.unexpected(&Tok { t: other, at })),
        }
    }
}

/// Words that cannot be an id.
fn is_keyword(w: &str) -> bool {
    matches!(w, "and" | "or" | "not" | "src" | "dst" | "host" | "net" | "port" | "portrange" | "proto" | "less" | "greater" | "vlan" | "len")
        || Proto::parse(w).is_some()
}

/// A number as libpcap reads one: decimal, `0x` hexadecimal, `0` octal.
fn number(w: &str) -> Option<u64> {
    if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if w.len() > 1 && w.starts_with('0') {
        u64::from_str_radix(w.get(1..)?, 8).ok()
    } else {
        w.parse().ok()
    }
}

/// A number or one of pcap-filter's named offsets and values.
fn constant(w: &str) -> Option<u32> {
    if let Some(n) = number(w) {
        return u32::try_from(n).ok();
    }
    Some(match w {
        "tcpflags" => 13,
        "tcp-fin" => 0x01,
        "tcp-syn" => 0x02,
        "tcp-rst" => 0x04,
        "tcp-push" => 0x08,
        "tcp-ack" => 0x10,
        "tcp-urg" => 0x20,
        "tcp-ece" => 0x40,
        "tcp-cwr" => 0x80,
        "icmptype" | "icmp6type" => 0,
        "icmpcode" | "icmp6code" => 1,
        "icmp-echoreply" => 0,
        "icmp-unreach" => 3,
        "icmp-sourcequench" => 4,
        "icmp-redirect" => 5,
        "icmp-echo" => 8,
        "icmp-routeradvert" => 9,
        "icmp-routersolicit" => 10,
        "icmp-timxceed" => 11,
        "icmp-paramprob" => 12,
        "icmp-tstamp" => 13,
        "icmp-tstampreply" => 14,
        "icmp-ireq" => 15,
        "icmp-ireqreply" => 16,
        "icmp-maskreq" => 17,
        "icmp-maskreply" => 18,
        "icmp6-destinationunreach" => 1,
        "icmp6-packettoobig" => 2,
        "icmp6-timeexceeded" => 3,
        "icmp6-parameterproblem" => 4,
        "icmp6-echo" => 128,
        "icmp6-echoreply" => 129,
        "icmp6-routersolicit" => 133,
        "icmp6-routeradvert" => 134,
        "icmp6-neighborsolicit" => 135,
        "icmp6-neighboradvert" => 136,
        "icmp6-redirect" => 137,
        _ => return None,
    })
}

/// A port number or a common service name (as /etc/services names them).
fn port(w: &str) -> Option<u16> {
    if let Some(n) = number(w) {
        return u16::try_from(n).ok();
    }
    Some(match w {
        "ftp-data" => 20,
        "ftp" => 21,
        "ssh" => 22,
        "telnet" => 23,
        "smtp" => 25,
        "domain" => 53,
        "bootps" => 67,
        "bootpc" => 68,
        "tftp" => 69,
        "http" | "www" => 80,
        "pop3" => 110,
        "ntp" => 123,
        "imap" | "imap2" => 143,
        "snmp" => 161,
        "snmp-trap" => 162,
        "bgp" => 179,
        "ldap" => 389,
        "https" => 443,
        "syslog" => 514,
        "submission" => 587,
        "ldaps" => 636,
        "imaps" => 993,
        "pop3s" => 995,
        "mysql" => 3306,
        "postgresql" => 5432,
        "http-alt" => 8080,
        _ => return None,
    })
}

/// `10`, `10.1`, `10.1.2` or a whole address, with the prefix length its parts give
/// (libpcap's `net 10` is 10.0.0.0/8).
fn partial_addr(w: &str) -> Option<(IpAddr, u8)> {
    if let Ok(a) = w.parse::<IpAddr>() {
        return Some((a, if a.is_ipv4() { 32 } else { 128 }));
    }
    let parts: Vec<&str> = w.split('.').collect();
    if parts.len() > 3 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (o, p) in octets.iter_mut().zip(&parts) {
        *o = p.parse().ok()?;
    }
    Some((IpAddr::V4(octets.into()), (parts.len() * 8) as u8))
}

fn mac(w: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = w.split([':', '-', '.']).collect();
    let bytes: Option<Vec<u8>> = if parts.len() == 6 {
        parts.iter().map(|p| if p.len() <= 2 { u8::from_str_radix(p, 16).ok() } else { None }).collect()
    } else if parts.len() == 3 && parts.iter().all(|p| p.len() == 4) {
        parts.iter().flat_map(|p| [p.get(..2), p.get(2..)]).map(|h| h.and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
    } else {
        None
    };
    bytes?.try_into().ok()
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn and_or_bind_alike_from_the_left() {
        let e = parse("tcp or udp and icmp").unwrap();
        assert_eq!(e, Expr::And(Box::new(Expr::Or(Box::new(Expr::Proto(Proto::Tcp)), Box::new(Expr::Proto(Proto::Udp)))), Box::new(Expr::Proto(Proto::Icmp))));
    }

    #[test]
    fn a_bare_id_inherits_the_qualifiers_before_it() {
        let e = parse("src host 10.0.0.1 or 10.0.0.2").unwrap();
        let h = |a: &str| Expr::Host(None, Dir::Src, a.parse().unwrap());
        assert_eq!(e, Expr::Or(Box::new(h("10.0.0.1")), Box::new(h("10.0.0.2"))));
        assert_eq!(parse("tcp port 80 or 443").unwrap(), Expr::Or(
            Box::new(Expr::Port(Some(Proto::Tcp), Dir::Either, 80, 80)),
            Box::new(Expr::Port(Some(Proto::Tcp), Dir::Either, 443, 443))
        ));
    }

    #[test]
    fn primitives_parse_as_pcap_filter_writes_them() {
        assert_eq!(parse("net 10").unwrap(), Expr::Net(None, Dir::Either, "10.0.0.0".parse().unwrap(), 8));
        assert_eq!(parse("dst net 192.168.0.0 mask 255.255.0.0").unwrap(), Expr::Net(None, Dir::Dst, "192.168.0.0".parse().unwrap(), 16));
        assert_eq!(parse("src or dst portrange 8000-8080").unwrap(), Expr::Port(None, Dir::Either, 8000, 8080));
        assert_eq!(parse("ether src 02:00:00:00:00:01").unwrap(), Expr::EtherHost(Dir::Src, [2, 0, 0, 0, 0, 1]));
        assert!(matches!(parse("tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn").unwrap(), Expr::Rel(_, Rel::Eq, Arith::Num(2))));
        assert!(matches!(parse("ip[2:2] - 20 > 0").unwrap(), Expr::Rel(Arith::Bin('-', ..), Rel::Gt, _)));
        assert!(matches!(parse("(tcp or udp) and not port 53").unwrap(), Expr::And(..)));
        assert_eq!(parse("vlan 100 and ip").unwrap(), Expr::And(Box::new(Expr::Vlan(Some(100))), Box::new(Expr::Proto(Proto::Ip))));
        assert_eq!(parse("less 100").unwrap(), Expr::Less(100));
        assert_eq!(parse("ip proto tcp").unwrap(), Expr::IpProto(Some(Proto::Ip), 6));
    }

    #[test]
    fn errors_point_at_the_word_and_name_the_libpcap_build_when_it_would_do() {
        let e = parse("tcp port banana").unwrap_err();
        assert_eq!((e.at, e.why.as_str()), ((9, 15), "\"banana\" is not a port number or a known service name"));
        let e = parse("host example.com").unwrap_err();
        assert!(e.why.ends_with(LIBPCAP_HINT), "{}", e.why);
        let e = parse("gateway router").unwrap_err();
        assert!(e.why.contains("libpcap build"), "{}", e.why);
        assert_eq!(parse("tcp and").unwrap_err().why, "the expression ends too early");
        assert_eq!(parse("net 10.0.0.1/8").unwrap_err().why, "\"10.0.0.1/8\": the address has bits set beyond the /8 prefix");
    }
}
