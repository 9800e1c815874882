//! Reading the command line: addresses, prefixes, masks, ranges and options.
//!
//! Parsing is done by hand for IPv4 so the error can name the exact bad
//! octet (`300 is not an octet (0-255)`), which the standard parser cannot.

use super::{bad, Request, Query, SubnetError};
use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One positional input after parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// An address with the prefix given for it, if any.
    Addr {
        /// The address (host bits kept).
        addr: IpAddr,
        /// The prefix written after `/`, or derived from a written mask.
        prefix: Option<u8>,
    },
    /// An inclusive range `A-B` of one family.
    Range(IpAddr, IpAddr),
}

/// Parses a dotted-quad IPv4 address; `whole` is the input it came from, for the message.
pub fn parse_ipv4(text: &str, whole: &str) -> Result<Ipv4Addr, SubnetError> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return bad(format!(
            "{whole}: {text} is not an IPv4 address (four octets 0-255 separated by dots)"
        ));
    }
    let mut octets = [0u8; 4];
    for (slot, part) in octets.iter_mut().zip(parts.iter()) {
        if part.is_empty() {
            return bad(format!("{whole}: an octet is missing in {text}"));
        }
        // Only plain decimal digits: a signed or spaced octet is a typo, not a number.
        let value = if part.len() <= 3 && part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse::<u16>().ok()
        } else {
            None
        };
        match value {
            Some(v) if v <= 255 => {
                // inet_aton reads a leading zero as octal, inet_pton rejects it:
                // refusing it avoids silently picking one meaning.
                if part.len() > 1 && part.starts_with('0') {
                    return bad(format!(
                        "{whole}: {part} has a leading zero (octal to some tools); write it without"
                    ));
                }
                *slot = v as u8;
            }
            _ => return bad(format!("{whole}: {part} is not an octet (0-255)")),
        }
    }
    Ok(Ipv4Addr::from(octets))
}

fn parse_ipv6(text: &str, whole: &str) -> Result<Ipv6Addr, SubnetError> {
    text.parse::<Ipv6Addr>()
        .or_else(|_| bad(format!("{whole}: {text} is not an IPv6 address")))
}

fn parse_addr(text: &str, whole: &str) -> Result<IpAddr, SubnetError> {
    if text.contains(':') {
        Ok(IpAddr::V6(parse_ipv6(text, whole)?))
    } else {
        Ok(IpAddr::V4(parse_ipv4(text, whole)?))
    }
}

/// The binary dotted form of an IPv4 value, for messages about masks.
fn dotted_binary(v: u32) -> String {
    v.to_be_bytes()
        .iter()
        .map(|o| format!("{o:08b}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// Converts a dotted netmask to its prefix length, refusing non-contiguous masks.
pub(crate) fn mask_to_prefix(mask: Ipv4Addr) -> Result<u8, SubnetError> {
    let v = u32::from(mask);
    // A valid mask is ones followed by zeros: nothing may remain once the leading ones are shifted out.
    let ones = v.leading_ones();
    if v.checked_shl(ones).unwrap_or(0) != 0 {
        return bad(format!(
            "{mask}: not a netmask, its ones are not contiguous ({})",
            dotted_binary(v)
        ));
    }
    Ok(ones as u8)
}

fn parse_prefix(text: &str, v6: bool) -> Result<u8, SubnetError> {
    let max: u8 = if v6 { 128 } else { 32 };
    let family = if v6 { "IPv6" } else { "IPv4" };
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return bad(format!("/{text}: {text} is not a prefix length (0-{max})"));
    }
    match text.parse::<u8>() {
        Ok(p) if p <= max => Ok(p),
        _ => bad(format!("/{text}: an {family} prefix is at most {max}")),
    }
}

/// Parses one positional input: an address with optional `/prefix` or `/mask`, or a range `A-B`.
pub fn parse_token(tok: &str) -> Result<Token, SubnetError> {
    let tok = tok.trim();
    if tok.is_empty() {
        return bad("an empty input: give an address such as 192.168.3.125/25");
    }
    if let Some((lo, hi)) = tok.split_once('-') {
        if lo.trim().is_empty() || hi.trim().is_empty() {
            return bad(format!(
                "{tok}: a range needs both ends, e.g. 10.0.0.5-10.0.0.20"
            ));
        }
        let start = parse_addr(lo.trim(), tok)?;
        let end = parse_addr(hi.trim(), tok)?;
        if start.is_ipv4() != end.is_ipv4() {
            return bad(format!("{tok}: a range cannot mix IPv4 and IPv6"));
        }
        // Same family: IpAddr orders addresses of one family by their value.
        if start > end {
            return bad(format!("{tok}: the range starts after it ends"));
        }
        return Ok(Token::Range(start, end));
    }
    if let Some((addr, rest)) = tok.split_once('/') {
        let addr = parse_addr(addr, tok)?;
        let prefix = match addr {
            IpAddr::V4(_) if rest.contains('.') => mask_to_prefix(parse_ipv4(rest, tok)?)?,
            IpAddr::V4(_) => parse_prefix(rest, false)?,
            IpAddr::V6(_) => parse_prefix(rest, true)?,
        };
        return Ok(Token::Addr {
            addr,
            prefix: Some(prefix),
        });
    }
    Ok(Token::Addr {
        addr: parse_addr(tok, tok)?,
        prefix: None,
    })
}

/// The classful default prefix of an IPv4 address (RFC 791/950) and its class letter; D and E get /32.
pub fn classful_prefix(addr: Ipv4Addr) -> (u8, char) {
    let first = addr.octets()[0];
    match first {
        0..=127 => (8, 'A'),
        128..=191 => (16, 'B'),
        192..=223 => (24, 'C'),
        224..=239 => (32, 'D'),
        _ => (32, 'E'),
    }
}

/// The network for an address whose prefix may be implied, and the note saying how.
fn with_default_prefix(addr: IpAddr, prefix: Option<u8>) -> (IpNetwork, Option<String>) {
    match (addr, prefix) {
        (IpAddr::V4(a), Some(p)) => (IpNetwork::V4(v4net(a, p)), None),
        (IpAddr::V6(a), Some(p)) => (IpNetwork::V6(v6net(a, p)), None),
        (IpAddr::V4(a), None) => {
            let (p, class) = classful_prefix(a);
            let note = if p == 32 {
                format!("no prefix given: {a} is class {class}, which has no classful mask, so it is taken as a single address /32")
            } else {
                let mask = Ipv4Network::new(a, p).map(|n| n.mask()).unwrap_or(a);
                format!("no prefix given: {a} is class {class}, so its classful default mask /{p} ({mask}) is used")
            };
            (IpNetwork::V4(v4net(a, p)), Some(note))
        }
        (IpAddr::V6(a), None) => (
            IpNetwork::V6(v6net(a, 128)),
            Some(format!(
                "no prefix given: {a} is taken as a single address /128"
            )),
        ),
    }
}

/// An IPv4 network from an already validated prefix (clamped, so never fails).
pub(crate) fn v4net(a: Ipv4Addr, p: u8) -> Ipv4Network {
    Ipv4Network::new(a, p.min(32)).unwrap_or_else(|_| Ipv4Network::from(a))
}

/// An IPv6 network from an already validated prefix (clamped, so never fails).
pub(crate) fn v6net(a: Ipv6Addr, p: u8) -> Ipv6Network {
    Ipv6Network::new(a, p.min(128)).unwrap_or_else(|_| Ipv6Network::from(a))
}

/// Whether a second argument reads as a netmask rather than a second host.
fn looks_like_mask(text: &str) -> bool {
    match parse_ipv4(text, text) {
        Ok(m) => {
            let v = u32::from(m);
            // 255.x is never a sensible host to compare with; other dotted quads
            // count as masks only when they are valid ones.
            m.octets()[0] == 255 || (v.leading_ones() > 0 && mask_to_prefix(m).is_ok())
        }
        Err(_) => false,
    }
}

fn parse_hosts(list: &str) -> Result<Vec<u128>, SubnetError> {
    let mut hosts = Vec::new();
    for item in list.split(',') {
        let item = item.trim();
        match item.parse::<u128>() {
            Ok(n) if n > 0 => hosts.push(n),
            _ => {
                return bad(format!(
                    "--hosts {list}: {item} is not a number of hosts (a whole number, at least 1)"
                ))
            }
        }
    }
    Ok(hosts)
}

fn parse_split(text: &str, v6: bool) -> Result<u8, SubnetError> {
    let t = text.trim().trim_start_matches('/');
    if !v6 && t.contains('.') {
        let mask = parse_ipv4(t, &format!("--split {text}"))?;
        return mask_to_prefix(mask);
    }
    parse_prefix(t, v6)
}

/// Turns the parsed arguments into a request (see the module doc for the rules).
pub(crate) fn parse_request(args: &Query) -> Result<Request, SubnetError> {
    let raw: Vec<&str> = args.inputs.iter().map(|s| s.trim()).collect();
    if raw.is_empty() {
        return bad("no input: give an address such as 192.168.3.125/25");
    }
    let mut tokens = Vec::new();
    // `A.B.C.D M.M.M.M`: join a bare IPv4 address with a following netmask.
    if let [first, second] = raw.as_slice() {
        let t = parse_token(first)?;
        if let Token::Addr {
            addr: IpAddr::V4(a),
            prefix: None,
        } = t
        {
            if looks_like_mask(second) {
                let mask = parse_ipv4(second, second)?;
                let p = mask_to_prefix(mask)?;
                tokens.push(Token::Addr {
                    addr: IpAddr::V4(a),
                    prefix: Some(p),
                });
            }
        }
    }
    if tokens.is_empty() {
        for r in &raw {
            tokens.push(parse_token(r)?);
        }
    }

    let planning = args.split.is_some() || args.hosts.is_some();
    if args.split.is_some() && args.hosts.is_some() {
        return bad("--split and --hosts are alternatives: give one of them");
    }
    if tokens.iter().any(|t| matches!(t, Token::Range(..))) {
        return match tokens.as_slice() {
            [Token::Range(start, end)] if !planning && !args.summarize => Ok(Request::Range {
                start: *start,
                end: *end,
            }),
            _ => bad(format!(
                "{}: a range A-B is given alone, without other inputs or options",
                raw.join(" ")
            )),
        };
    }

    if args.summarize || tokens.len() >= 3 {
        if planning {
            return bad("--split and --hosts work on one network, not with --summarize");
        }
        let nets = tokens
            .iter()
            .filter_map(|t| match t {
                // For summarization a bare address is that one address, not its class.
                Token::Addr { addr, prefix } => Some(match addr {
                    IpAddr::V4(a) => IpNetwork::V4(v4net(*a, prefix.unwrap_or(32))),
                    IpAddr::V6(a) => IpNetwork::V6(v6net(*a, prefix.unwrap_or(128))),
                }),
                Token::Range(..) => None,
            })
            .collect();
        return Ok(Request::Summarize { nets });
    }

    match tokens.as_slice() {
        [Token::Addr { addr, prefix }] => {
            let (net, note) = with_default_prefix(*addr, *prefix);
            if let Some(s) = &args.split {
                let p = parse_split(s, net.is_ipv6())?;
                return Ok(Request::Split { net, prefix: p });
            }
            if let Some(h) = &args.hosts {
                return Ok(Request::Vlsm {
                    net,
                    hosts: parse_hosts(h)?,
                });
            }
            Ok(Request::Info { net, note })
        }
        [Token::Addr {
            addr: a,
            prefix: pa,
        }, Token::Addr {
            addr: b,
            prefix: pb,
        }] => {
            if planning {
                return bad("--split and --hosts work on one network, not on two hosts");
            }
            if a.is_ipv4() != b.is_ipv4() {
                return bad(format!(
                    "{} {}: cannot compare an IPv4 and an IPv6 host",
                    raw.first().copied().unwrap_or_default(),
                    raw.get(1).copied().unwrap_or_default()
                ));
            }
            let (a_net, note) = with_default_prefix(*a, *pa);
            let b_prefix = pb.unwrap_or(a_net.prefix());
            let (b_net, _) = with_default_prefix(*b, Some(b_prefix));
            Ok(Request::TwoHosts {
                a: a_net,
                b: b_net,
                b_prefix_given: pb.is_some(),
                note,
            })
        }
        _ => bad("no input: give an address such as 192.168.3.125/25"),
    }
}
