//! `-T fields -e FIELD ...`: the named fields of each packet on one line, as tshark prints them
//! (tab-separated unless `-E separator=`, every occurrence joined with `,`, numbers that
//! Wireshark shows in hex as `0x` and the field's width in digits).

use std::fmt::Write as _;

use crate::decode::Packet;
use crate::filter::fields::{lookup, Kind, Val, F};
use crate::filter::Note;
use crate::output::line::push_mac;

/// Which occurrences of a field are printed (`-E occurrence=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrence {
    /// Every one.
    All,
    /// The first.
    First,
    /// The last.
    Last,
}

/// The fields to print and how.
#[derive(Debug, Clone)]
pub struct FieldList {
    fields: Vec<(String, F, Kind)>,
    separator: String,
    aggregator: char,
    occurrence: Occurrence,
    quote: Option<char>,
    /// Print the names first (`-E header=y`).
    pub header: bool,
}

/// Hex digits Wireshark shows a field in, for the fields it shows in hex.
fn hex_digits(f: F) -> Option<usize> {
    Some(match f {
        F::IpDsfield => 2,
        F::EthType | F::VlanEtype | F::SllEtype | F::IpId | F::IpChecksum | F::TcpFlags | F::UdpChecksum | F::DnsId => 4,
        F::TlsHandshakeVersion | F::TlsSupportedVersion | F::TlsCiphersuite | F::TlsRecordVersion => 4,
        F::DhcpId => 8,
        _ => return None,
    })
}

impl FieldList {
    /// The fields named `names`, with tshark's `-E` options; an unknown field or option is an
    /// error naming it.
    pub fn new(names: &[String], options: &[String]) -> Result<FieldList, String> {
        if names.is_empty() {
            return Err("-T fields needs at least one -e FIELD".into());
        }
        let mut fields = Vec::new();
        for n in names {
            match lookup(n) {
                Some((_, Kind::Proto)) => return Err(format!("-e {n}: {n} is a protocol; name one of its fields")),
                Some((f, k)) => fields.push((n.clone(), f, k)),
                None => return Err(format!("-e {n}: {n} is not a field inspect knows")),
            }
        }
        let mut l = FieldList { fields, separator: "\t".into(), aggregator: ',', occurrence: Occurrence::All, quote: None, header: false };
        for o in options {
            let (k, v) = o.split_once('=').ok_or_else(|| format!("-E {o}: expected OPTION=VALUE"))?;
            match (k, v) {
                ("separator", "/t") => l.separator = "\t".into(),
                ("separator", "/s") => l.separator = " ".into(),
                ("separator", s) if !s.is_empty() => l.separator = s.into(),
                ("aggregator", "/t") => l.aggregator = '\t',
                ("aggregator", "/s") => l.aggregator = ' ',
                ("aggregator", s) if s.chars().count() == 1 => l.aggregator = s.chars().next().unwrap_or(','),
                ("header", "y") => l.header = true,
                ("header", "n") => l.header = false,
                ("occurrence", "a") => l.occurrence = Occurrence::All,
                ("occurrence", "f") => l.occurrence = Occurrence::First,
                ("occurrence", "l") => l.occurrence = Occurrence::Last,
                ("quote", "d") => l.quote = Some('"'),
                ("quote", "s") => l.quote = Some('\''),
                ("quote", "n") => l.quote = None,
                _ => return Err(format!("-E {o}: not an option tshark's -E takes (separator, aggregator, header, occurrence, quote)")),
            }
        }
        Ok(l)
    }

    /// The analyzers' notes the fields read.
    pub fn needs(&self) -> crate::filter::Needs {
        let mut n = crate::filter::Needs::default();
        for (_, f, _) in &self.fields {
            n.field(*f);
        }
        n
    }

    /// The header line (without a newline).
    pub fn header_line(&self) -> String {
        self.fields.iter().map(|(n, ..)| n.as_str()).collect::<Vec<_>>().join(&self.separator)
    }

    /// Appends the line for `p` (without a newline).
    pub fn line(&self, out: &mut String, p: &Packet<'_>, note: &Note) {
        for (i, (_, f, kind)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push_str(&self.separator);
            }
            let start = out.len();
            if *f == F::FrameTimeEpoch {
                // Nanoseconds as read, as tshark writes them (a float would lose them).
                if p.ts_known {
                    let _ = write!(out, "{}.{:09}", p.ts.sec, p.ts.nsec);
                }
                continue;
            }
            let mut n = 0usize;
            f.any(p, note, &mut |v| {
                if self.occurrence == Occurrence::First && n == 1 {
                    return true;
                }
                if self.occurrence == Occurrence::Last {
                    out.truncate(start);
                } else if n > 0 {
                    out.push(self.aggregator);
                }
                value(out, *f, *kind, v);
                n += 1;
                false
            });
            if let (Some(q), true) = (self.quote, n > 0) {
                out.insert(start, q);
                out.push(q);
            }
        }
    }
}

/// One value as tshark writes it.
fn value(out: &mut String, f: F, kind: Kind, v: Val<'_>) {
    match v {
        Val::U(n) if kind == Kind::Bool => out.push(if n != 0 { '1' } else { '0' }),
        Val::U(n) => match hex_digits(f) {
            Some(d) => {
                let _ = write!(out, "0x{n:0d$x}");
            }
            None => {
                let _ = write!(out, "{n}");
            }
        },
        Val::Float(x) => {
            let _ = write!(out, "{x}");
        }
        Val::V4(a) => {
            let _ = write!(out, "{}", std::net::Ipv4Addr::from(a));
        }
        Val::V6(a) => {
            let _ = write!(out, "{}", std::net::Ipv6Addr::from(a));
        }
        Val::Mac(m) => push_mac(out, &m),
        Val::S(s) => out.push_str(s),
        Val::Bytes(_) => {}
        Val::Present => out.push('1'),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn options_are_tsharks() {
        let l = FieldList::new(&["ip.src".into()], &["separator=,".into(), "header=y".into(), "occurrence=f".into()]).unwrap();
        assert_eq!((l.separator.as_str(), l.header, l.occurrence), (",", true, Occurrence::First));
        assert!(FieldList::new(&["ip.sorc".into()], &[]).unwrap_err().contains("ip.sorc"));
        assert!(FieldList::new(&["tcp".into()], &[]).unwrap_err().contains("protocol"));
        assert!(FieldList::new(&["ip.src".into()], &["sep=x".into()]).is_err());
    }
}
