//! Wireshark's display filters (`-Y EXPR`), on the field names of the JSON output.
//!
//! The language as Wireshark 4 has it: protocols and fields alone test presence; `==`, `!=`,
//! `<`, `>`, `<=`, `>=` (and `eq`, `ne`, `lt`, `gt`, `le`, `ge`), `~=` (any not equal) and `===`
//! (all equal) compare a field with a literal; `contains`, `matches` (a regular expression),
//! `in {A, B, C..D}`; `&&`/`and`, `||`/`or` (`and` binds tighter), `!`/`not`, parentheses.
//! A field with several values (either-direction fields such as `ip.addr`, repeated ones such as
//! `vlan.id`) matches `==` when any value does, and `!=` when all differ, as Wireshark's `!=`
//! has meant since 3.6; a test on an absent field is false.
//!
//! An expression compiles once into a tree of [`Node`]s with every literal already converted to
//! its field's type, so evaluating a packet neither parses nor allocates.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::fields::{lookup, Kind, Source, Val, F};
use super::lex::{tokens, Lang, Tok, T};
use super::{FilterError, Note};
use crate::decode::Packet;

/// A compiled display filter.
#[derive(Debug)]
pub struct DisplayFilter {
    root: Node,
    needs: Needs,
    text: String,
}

/// Which analyzers' notes a filter reads, so that only those are made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// `conn.*`, `tcp.state`, `tcp.analysis.retransmission`: the connection tracker's.
    pub conn: bool,
    /// `alert`: the SYN-flood detector's.
    pub alert: bool,
    /// `http.*`, `tls.*`: the application layer's messages.
    pub app: bool,
    /// `icmp.resptime`, `icmp.resp_to`: echo replies paired with their requests.
    pub echo: bool,
    /// `tcp.stream`, `udp.stream`: streams numbered in frame order.
    pub stream: bool,
}

impl Needs {
    /// Whether any analyzer note is needed.
    pub fn any(self) -> bool {
        self.conn || self.alert || self.app || self.echo || self.stream
    }

    /// The notes either needs.
    pub fn or(self, other: Needs) -> Needs {
        Needs {
            conn: self.conn || other.conn,
            alert: self.alert || other.alert,
            app: self.app || other.app,
            echo: self.echo || other.echo,
            stream: self.stream || other.stream,
        }
    }

    /// What field `f` adds: its source's notes, and the application layer's messages for the
    /// DNS fields (DNS over TCP is read from the stream).
    pub fn field(&mut self, f: F) {
        self.add(f.source());
        self.app |= f.from_tcp_stream();
    }

    /// What a field from `source` adds.
    pub fn add(&mut self, source: Source) {
        match source {
            Source::Conn => self.conn = true,
            Source::Flood => self.alert = true,
            Source::App => self.app = true,
            Source::Echo => self.echo = true,
            Source::Stream => self.stream = true,
            Source::Packet => {}
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    AnyNe,
    AllEq,
    Lt,
    Gt,
    Le,
    Ge,
}

/// A literal converted to its field's type.
#[derive(Debug, Clone)]
enum Lit {
    U(u64),
    F(f64),
    /// An address and the mask of its prefix.
    V4(u32, u32),
    V6(u128, u128),
    Mac([u8; 6]),
    S(String),
}

/// One member of an `in { }` set.
#[derive(Debug, Clone)]
enum Member {
    One(Lit),
    /// An inclusive numeric range `A..B`.
    Range(f64, f64),
}

/// The compiled tree.
#[derive(Debug)]
enum Node {
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Present(F),
    Cmp(F, Cmp, Lit),
    /// Two fields compared: some pair of their values (`!=`: no pair equal).
    CmpFields(F, Cmp, F),
    In(F, Vec<Member>),
    Contains(F, Vec<u8>),
    Matches(F, regex::bytes::Regex),
}

impl DisplayFilter {
    /// Compiles `text`; a bad filter is an error pointing at the place.
    pub fn new(text: &str) -> Result<DisplayFilter, FilterError> {
        let toks = tokens(text, Lang::Display)?;
        let mut p = Parser { src: text, toks: &toks, pos: 0, needs: Needs::default() };
        if toks.is_empty() {
            return Err(FilterError::new(text, (0, text.len()), "the filter is empty"));
        }
        let root = p.or()?;
        if let Some(t) = toks.get(p.pos) {
            return Err(p.unexpected(t));
        }
        Ok(DisplayFilter { root, needs: p.needs, text: text.to_string() })
    }

    /// The analyzers' notes this filter reads.
    pub fn needs(&self) -> Needs {
        self.needs
    }

    /// The expression as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether `p` (with `note`, what the analyzers knew of it) passes.
    pub fn matches(&self, p: &Packet<'_>, note: &Note) -> bool {
        eval(&self.root, p, note)
    }
}

fn eval(n: &Node, p: &Packet<'_>, note: &Note) -> bool {
    match n {
        Node::And(a, b) => eval(a, p, note) && eval(b, p, note),
        Node::Or(a, b) => eval(a, p, note) || eval(b, p, note),
        Node::Not(a) => !eval(a, p, note),
        Node::Present(f) => f.any(p, note, &mut |_| true),
        Node::Cmp(f, op, lit) => match op {
            // Present, and no value equal.
            Cmp::Ne => {
                let mut present = false;
                let eq = f.any(p, note, &mut |v| {
                    present = true;
                    compare(v, lit) == Some(std::cmp::Ordering::Equal)
                });
                present && !eq
            }
            Cmp::AllEq => {
                let mut present = false;
                let ne = f.any(p, note, &mut |v| {
                    present = true;
                    compare(v, lit) != Some(std::cmp::Ordering::Equal)
                });
                present && !ne
            }
            _ => f.any(p, note, &mut |v| {
                let o = compare(v, lit);
                match op {
                    Cmp::Eq => o == Some(std::cmp::Ordering::Equal),
                    Cmp::AnyNe => o != Some(std::cmp::Ordering::Equal),
                    Cmp::Lt => o == Some(std::cmp::Ordering::Less),
                    Cmp::Gt => o == Some(std::cmp::Ordering::Greater),
                    Cmp::Le => matches!(o, Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)),
                    Cmp::Ge => matches!(o, Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)),
                    Cmp::Ne | Cmp::AllEq => false,
                }
            }),
        },
        Node::CmpFields(a, op, b) => {
            let (mut present, mut hit) = (false, false);
            a.any(p, note, &mut |x| {
                b.any(p, note, &mut |y| {
                    present = true;
                    let o = compare_values(x, y);
                    hit = match op {
                        Cmp::Eq | Cmp::Ne | Cmp::AllEq => o == Some(std::cmp::Ordering::Equal),
                        Cmp::AnyNe => o != Some(std::cmp::Ordering::Equal),
                        Cmp::Lt => o == Some(std::cmp::Ordering::Less),
                        Cmp::Gt => o == Some(std::cmp::Ordering::Greater),
                        Cmp::Le => matches!(o, Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)),
                        Cmp::Ge => matches!(o, Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)),
                    };
                    hit
                })
            });
            match op {
                Cmp::Ne => present && !hit,
                _ => hit,
            }
        }
        Node::In(f, set) => f.any(p, note, &mut |v| {
            set.iter().any(|m| match m {
                Member::One(l) => compare(v, l) == Some(std::cmp::Ordering::Equal),
                Member::Range(lo, hi) => match v {
                    Val::U(n) => (*lo..=*hi).contains(&(n as f64)),
                    Val::Float(x) => (*lo..=*hi).contains(&x),
                    _ => false,
                },
            })
        }),
        Node::Contains(f, needle) => f.any(p, note, &mut |v| match v {
            Val::Bytes(b) => contains(b, needle),
            Val::S(s) => contains(s.as_bytes(), needle),
            _ => false,
        }),
        Node::Matches(f, re) => f.any(p, note, &mut |v| match v {
            Val::Bytes(b) => re.is_match(b),
            Val::S(s) => re.is_match(s.as_bytes()),
            _ => false,
        }),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// How two values compare; None when they cannot be compared.
fn compare_values(a: Val<'_>, b: Val<'_>) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Val::U(x), Val::U(y)) => Some(x.cmp(&y)),
        (Val::U(x), Val::Float(y)) => (x as f64).partial_cmp(&y),
        (Val::Float(x), Val::U(y)) => x.partial_cmp(&(y as f64)),
        (Val::Float(x), Val::Float(y)) => x.partial_cmp(&y),
        (Val::V4(x), Val::V4(y)) => Some(x.cmp(&y)),
        (Val::V6(x), Val::V6(y)) => Some(x.cmp(&y)),
        (Val::Mac(x), Val::Mac(y)) => Some(x.cmp(&y)),
        (Val::S(x), Val::S(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// How a value compares with a literal; None when they cannot be compared.
fn compare(v: Val<'_>, lit: &Lit) -> Option<std::cmp::Ordering> {
    match (v, lit) {
        (Val::U(a), Lit::U(b)) => Some(a.cmp(b)),
        (Val::U(a), Lit::F(b)) => (a as f64).partial_cmp(b),
        (Val::Float(a), Lit::F(b)) => a.partial_cmp(b),
        (Val::Float(a), Lit::U(b)) => a.partial_cmp(&(*b as f64)),
        // Within the prefix is equal; otherwise the network's order.
        (Val::V4(a), Lit::V4(b, m)) => Some(if a & m == b & m { std::cmp::Ordering::Equal } else { (a & m).cmp(&(b & m)) }),
        (Val::V6(a), Lit::V6(b, m)) => Some(if a & m == b & m { std::cmp::Ordering::Equal } else { (a & m).cmp(&(b & m)) }),
        (Val::Mac(a), Lit::Mac(b)) => Some(a.cmp(b)),
        (Val::S(a), Lit::S(b)) => Some(a.cmp(b.as_str())),
        _ => None,
    }
}

struct Parser<'s, 't> {
    src: &'s str,
    toks: &'t [Tok<'s>],
    pos: usize,
    needs: Needs,
}

impl<'s> Parser<'s, '_> {
    fn peek(&self) -> Option<&Tok<'s>> {
        self.toks.get(self.pos)
    }

    fn end(&self) -> FilterError {
        let n = self.src.len();
        FilterError::new(self.src, (n, n), "the filter ends too early")
    }

    fn unexpected(&self, t: &Tok<'_>) -> FilterError {
        FilterError::new(self.src, t.at, format!("\"{}\" was unexpected here", self.src.get(t.at.0..t.at.1).unwrap_or("")))
    }

    /// Whether the next token is one of `ops` (operators or keywords); takes it if so.
    fn eat(&mut self, ops: &[&str]) -> bool {
        let hit = match self.peek().map(|t| &t.t) {
            Some(T::Op(o)) => ops.contains(o),
            Some(T::Word(w)) => ops.contains(w),
            _ => false,
        };
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn or(&mut self) -> Result<Node, FilterError> {
        let mut left = self.and()?;
        while self.eat(&["||", "or"]) {
            let right = self.and()?;
            left = Node::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        let mut left = self.not()?;
        while self.eat(&["&&", "and"]) {
            let right = self.not()?;
            left = Node::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Node, FilterError> {
        if self.eat(&["!", "not"]) {
            return Ok(Node::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Node, FilterError> {
        let Some(t) = self.peek().cloned() else { return Err(self.end()) };
        self.pos += 1;
        match &t.t {
            T::Op("(") => {
                let inner = self.or()?;
                match self.peek() {
                    Some(Tok { t: T::Op(")"), .. }) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    Some(other) => Err(self.unexpected(&other.clone())),
                    None => Err(FilterError::new(self.src, t.at, "this parenthesis is never closed")),
                }
            }
            T::Word(name) => self.test(name, t.at),
            _ => Err(self.unexpected(&t)),
        }
    }

    /// A field or protocol, alone or compared.
    fn test(&mut self, name: &str, at: (usize, usize)) -> Result<Node, FilterError> {
        let Some((field, kind)) = lookup(name) else {
            let why = if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                format!("{name} is neither a field nor a protocol name")
            } else {
                format!("\"{name}\" was unexpected here: a test starts with a field or a protocol name")
            };
            return Err(FilterError::new(self.src, at, why));
        };
        self.needs.field(field);
        let cmp = match self.peek().map(|t| &t.t) {
            Some(T::Op("==" | "=")) | Some(T::Word("eq")) => Some(Cmp::Eq),
            Some(T::Op("!=" | "!==")) | Some(T::Word("ne")) => Some(Cmp::Ne),
            Some(T::Op("~=")) | Some(T::Word("any_ne")) => Some(Cmp::AnyNe),
            Some(T::Op("===")) | Some(T::Word("all_eq")) => Some(Cmp::AllEq),
            Some(T::Op("<")) | Some(T::Word("lt")) => Some(Cmp::Lt),
            Some(T::Op(">")) | Some(T::Word("gt")) => Some(Cmp::Gt),
            Some(T::Op("<=")) | Some(T::Word("le")) => Some(Cmp::Le),
            Some(T::Op(">=")) | Some(T::Word("ge")) => Some(Cmp::Ge),
            _ => None,
        };
        if let Some(cmp) = cmp {
            let op_at = self.peek().map(|t| t.at).unwrap_or(at);
            self.pos += 1;
            if matches!(kind, Kind::Proto | Kind::Flag) {
                return Err(FilterError::new(self.src, op_at, format!("{name} cannot be compared: test it alone, or with contains or matches")));
            }
            let (lit, lat) = self.value()?;
            if let Raw::Field(other, other_kind) = lit {
                let numeric = |k: Kind| matches!(k, Kind::Uint(_) | Kind::Bool | Kind::Float);
                if !(kind == other_kind || numeric(kind) && numeric(other_kind)) || matches!(other_kind, Kind::Proto | Kind::Flag) {
                    let other_name = self.src.get(lat.0..lat.1).unwrap_or("");
                    return Err(FilterError::new(self.src, lat, format!("{name} is a {} and {other_name} a {}: they cannot be compared", kind_name(kind), kind_name(other_kind))));
                }
                return Ok(Node::CmpFields(field, cmp, other));
            }
            let lit = convert(self.src, name, kind, &lit, lat)?;
            if matches!(cmp, Cmp::Lt | Cmp::Gt | Cmp::Le | Cmp::Ge) && matches!(kind, Kind::Bool) {
                return Err(FilterError::new(self.src, op_at, format!("{name} is a boolean: only == and != compare it")));
            }
            return Ok(Node::Cmp(field, cmp, lit));
        }
        if self.eat(&["contains"]) {
            let (lit, lat) = self.value()?;
            if !matches!(kind, Kind::Proto | Kind::Str) {
                return Err(FilterError::new(self.src, at, format!("{name} is a {}: contains tests protocols and text", kind_name(kind))));
            }
            let needle = match lit {
                Raw::Field(..) => return Err(FilterError::new(self.src, lat, "contains takes a string or bytes, not a field")),
                Raw::Str(s) => s.into_bytes(),
                Raw::Word(w) => bytes(w).ok_or_else(|| {
                    FilterError::new(self.src, lat, format!("\"{w}\" is neither a quoted string nor bytes such as 47:45:54"))
                })?,
            };
            return Ok(Node::Contains(field, needle));
        }
        if self.eat(&["matches", "~"]) {
            let (lit, lat) = self.value()?;
            if !matches!(kind, Kind::Proto | Kind::Str) {
                return Err(FilterError::new(self.src, at, format!("{name} is a {}: matches tests protocols and text", kind_name(kind))));
            }
            let Raw::Str(pattern) = lit else {
                return Err(FilterError::new(self.src, lat, "matches takes a quoted regular expression"));
            };
            let re = regex::bytes::RegexBuilder::new(&pattern).unicode(false).build().map_err(|e| {
                let why = e.to_string().lines().last().unwrap_or("").trim().trim_start_matches("error: ").to_string();
                FilterError::new(self.src, lat, format!("bad regular expression: {why}"))
            })?;
            return Ok(Node::Matches(field, re));
        }
        if self.eat(&["in"]) {
            return self.set(name, field, kind);
        }
        Ok(Node::Present(field))
    }

    /// `{ A, B, C..D }` after `in`.
    fn set(&mut self, name: &str, field: F, kind: Kind) -> Result<Node, FilterError> {
        match self.peek() {
            Some(Tok { t: T::Op("{"), .. }) => self.pos += 1,
            Some(t) => return Err(self.unexpected(&t.clone())),
            None => return Err(self.end()),
        }
        let mut members = Vec::new();
        loop {
            if let Some(Tok { t: T::Op("}"), .. }) = self.peek() {
                self.pos += 1;
                break;
            }
            if !members.is_empty() {
                // Wireshark 4 separates members with commas.
                match self.peek() {
                    Some(Tok { t: T::Op(","), .. }) => self.pos += 1,
                    Some(t) => return Err(self.unexpected(&t.clone())),
                    None => return Err(self.end()),
                }
            }
            let (raw, at) = self.value()?;
            if let Raw::Word(w) = &raw {
                if let Some((lo, hi)) = w.split_once("..") {
                    if !matches!(kind, Kind::Uint(_) | Kind::Float | Kind::Bool) {
                        return Err(FilterError::new(self.src, at, format!("{name} is a {}: ranges hold numbers", kind_name(kind))));
                    }
                    let num = |s: &str| match convert(self.src, name, kind, &Raw::Word(s), at)? {
                        Lit::U(n) => Ok(n as f64),
                        Lit::F(x) => Ok(x),
                        _ => Err(FilterError::new(self.src, at, "a range holds numbers")),
                    };
                    members.push(Member::Range(num(lo)?, num(hi)?));
                    continue;
                }
            }
            members.push(Member::One(convert(self.src, name, kind, &raw, at)?));
        }
        if members.is_empty() {
            return Err(FilterError::new(self.src, (self.src.len(), self.src.len()), "an empty set matches nothing"));
        }
        Ok(Node::In(field, members))
    }

    /// The literal after an operator.
    fn value(&mut self) -> Result<(Raw<'s>, (usize, usize)), FilterError> {
        let Some(t) = self.peek().cloned() else { return Err(self.end()) };
        self.pos += 1;
        match t.t {
            T::Word(w) => match lookup(w) {
                Some((f, k)) if !w.starts_with(|c: char| c.is_ascii_digit()) => {
                    self.needs.field(f);
                    Ok((Raw::Field(f, k), t.at))
                }
                _ => Ok((Raw::Word(w), t.at)),
            },
            T::Str(s) => Ok((Raw::Str(s), t.at)),
            T::Op(_) => Err(self.unexpected(&t)),
        }
    }
}

/// A literal as written.
#[derive(Debug, Clone)]
enum Raw<'s> {
    Word(&'s str),
    Str(String),
    /// Another field (`frame.cap_len < frame.len`).
    Field(F, Kind),
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Uint(_) => "number",
        Kind::Bool => "boolean",
        Kind::Float => "number",
        Kind::Ipv4 => "IPv4 address",
        Kind::Ipv6 => "IPv6 address",
        Kind::Mac => "MAC address",
        Kind::Str => "text field",
        Kind::Proto => "protocol",
        Kind::Flag => "flag",
    }
}

/// A number as Wireshark reads one: decimal, `0x` hexadecimal, `0` octal.
fn number(w: &str) -> Option<u64> {
    if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if w.len() > 1 && w.starts_with('0') {
        u64::from_str_radix(w.get(1..)?, 8).ok()
    } else {
        w.parse().ok()
    }
}

/// Bytes written as hex pairs separated by `:`, `-` or `.` (`47:45:54`), or one byte.
fn bytes(w: &str) -> Option<Vec<u8>> {
    let parts: Vec<&str> = w.split([':', '-', '.']).collect();
    if parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    parts.iter().map(|p| u8::from_str_radix(p, 16).ok()).collect()
}

fn mac(w: &str) -> Option<[u8; 6]> {
    let b = bytes(w).or_else(|| {
        // Cisco's aabb.ccdd.eeff.
        let parts: Vec<&str> = w.split('.').collect();
        if parts.len() == 3 && parts.iter().all(|p| p.len() == 4) {
            parts.iter().flat_map(|p| [p.get(..2), p.get(2..)]).map(|h| h.and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
        } else {
            None
        }
    })?;
    b.try_into().ok()
}

/// The literal `raw`, at `at`, as a value of field `name` of kind `kind`.
fn convert(src: &str, name: &str, kind: Kind, raw: &Raw<'_>, at: (usize, usize)) -> Result<Lit, FilterError> {
    let err = |why: String| FilterError::new(src, at, why);
    if name.ends_with(".checksum.status") {
        // Wireshark takes the status's name as well as its number: "Bad", Good, ...
        let text = match raw {
            Raw::Word(w) => Some(*w),
            Raw::Str(s) => Some(s.as_str()),
            Raw::Field(..) => None,
        };
        if let Some(st) = text.and_then(crate::decode::checksum::Status::named) {
            return Ok(Lit::U(st as u64));
        }
        if let Some(t) = text.filter(|t| number(t).is_none_or(|n| n > 4)) {
            return Err(err(format!("\"{t}\" is not a checksum status (Bad, Good, Unverified, \"Not present\", Illegal, or 0 to 4)")));
        }
    }
    let word = match raw {
        Raw::Word(w) => *w,
        Raw::Field(..) => return Err(err("a field cannot stand here: compare it with ==, <, ...".to_string())),
        Raw::Str(s) => {
            return match kind {
                Kind::Str => Ok(Lit::S(s.clone())),
                _ => Err(err(format!("{name} is a {}: it cannot be compared with the string \"{s}\"", kind_name(kind)))),
            }
        }
    };
    match kind {
        Kind::Uint(bits) => {
            let n = number(word).ok_or_else(|| err(format!("\"{word}\" is not a number, and {name} is one")))?;
            let max = if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 };
            if n > max {
                return Err(err(format!("\"{word}\" is too big for {name}, at most {max}")));
            }
            Ok(Lit::U(n))
        }
        Kind::Bool => match word {
            "True" | "true" | "TRUE" => Ok(Lit::U(1)),
            "False" | "false" | "FALSE" => Ok(Lit::U(0)),
            _ => number(word).map(|n| Lit::U(u64::from(n != 0))).ok_or_else(|| err(format!("\"{word}\" is not a boolean (1, 0, True, False)"))),
        },
        Kind::Float => word.parse::<f64>().ok().filter(|x| x.is_finite()).map(Lit::F).ok_or_else(|| err(format!("\"{word}\" is not a number"))),
        Kind::Ipv4 => {
            let (addr, prefix) = word.split_once('/').map_or((word, None), |(a, p)| (a, Some(p)));
            let a: Ipv4Addr = addr.parse().map_err(|_| err(format!("\"{addr}\" is not an IPv4 address")))?;
            let bits = match prefix {
                None => 32,
                Some(p) => p.parse::<u32>().ok().filter(|b| *b <= 32).ok_or_else(|| err(format!("\"/{p}\": an IPv4 prefix is 0 to 32 bits")))?,
            };
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            Ok(Lit::V4(u32::from(a), mask))
        }
        Kind::Ipv6 => {
            let (addr, prefix) = word.split_once('/').map_or((word, None), |(a, p)| (a, Some(p)));
            let a: Ipv6Addr = addr.parse().map_err(|_| err(format!("\"{addr}\" is not an IPv6 address")))?;
            let bits = match prefix {
                None => 128,
                Some(p) => p.parse::<u32>().ok().filter(|b| *b <= 128).ok_or_else(|| err(format!("\"/{p}\": an IPv6 prefix is 0 to 128 bits")))?,
            };
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            Ok(Lit::V6(u128::from(a), mask))
        }
        Kind::Mac => mac(word).map(Lit::Mac).ok_or_else(|| err(format!("\"{word}\" is not a MAC address (such as 02:00:00:00:00:01)"))),
        Kind::Str => Ok(Lit::S(word.to_string())),
        Kind::Proto | Kind::Flag => Err(err(format!("{name} cannot be compared"))),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn err(f: &str) -> (String, (usize, usize)) {
        let e = DisplayFilter::new(f).unwrap_err();
        (e.why, e.at)
    }

    #[test]
    fn unknown_fields_and_bad_values_point_at_themselves() {
        assert_eq!(err("tcp.prot == 80"), ("tcp.prot is neither a field nor a protocol name".into(), (0, 8)));
        assert_eq!(err("tcp.port == 99999").1, (12, 17));
        assert_eq!(err("ip.addr == 10.0.0.300").0, "\"10.0.0.300\" is not an IPv4 address");
        assert_eq!(err("ip.src == 10.0.0.1/33").0, "\"/33\": an IPv4 prefix is 0 to 32 bits");
        assert_eq!(err("tcp.port == 80 &&"), ("the filter ends too early".into(), (17, 17)));
        assert_eq!(err("(tcp.port == 80").0, "this parenthesis is never closed");
        assert_eq!(err("tcp.port in {80 443}").1, (16, 19));
        assert_eq!(err("tcp.port > \"a\"").1, (11, 14));
        assert_eq!(err("tcp matches \"(\"").0.split(':').next(), Some("bad regular expression"));
        assert_eq!(err("").0, "the filter is empty");
        assert_eq!(err("tcp.port == 80 80").0, "\"80\" was unexpected here");
    }

    #[test]
    fn the_message_underlines_the_place() {
        let e = DisplayFilter::new("tcp.prot == 80").unwrap_err();
        assert_eq!(e.to_string(), "\"tcp.prot == 80\": tcp.prot is neither a field nor a protocol name\n    tcp.prot == 80\n    ^~~~~~~~");
    }

    #[test]
    fn needs_follow_the_fields() {
        assert_eq!(DisplayFilter::new("tcp").unwrap().needs(), Needs::default());
        assert_eq!(DisplayFilter::new("conn.state == S0 || alert").unwrap().needs(), Needs { conn: true, alert: true, app: false, echo: false, stream: false });
    }

    #[test]
    fn numbers_as_wireshark_reads_them() {
        assert_eq!((number("0x50"), number("010"), number("80"), number("0")), (Some(80), Some(8), Some(80), Some(0)));
        assert_eq!(mac("02-00-00-00-00-01"), Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(mac("0200.0000.0001"), Some([2, 0, 0, 0, 0, 1]));
    }
}
