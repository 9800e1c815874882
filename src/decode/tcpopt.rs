//! TCP options (RFC 9293, 7323, 2018): read without allocating, tolerant of garbage.

/// One TCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOpt {
    /// End of option list.
    End,
    /// Padding.
    Nop,
    /// Maximum segment size.
    Mss(u16),
    /// Window scale shift count.
    WindowScale(u8),
    /// SACK permitted.
    SackPermitted,
    /// SACK blocks (count of left/right pairs).
    Sack(u8),
    /// Timestamps value and echo reply.
    Timestamps(u32, u32),
    /// Any other kind, with its length.
    Unknown(u8, u8),
    /// The option list is malformed from here on.
    Bad,
}

/// Iterates over the options in a TCP header's option bytes.
#[derive(Debug, Clone)]
pub struct TcpOpts<'a> {
    rest: &'a [u8],
    body: &'a [u8],
}

impl<'a> TcpOpts<'a> {
    /// Options from the bytes between the fixed 20-byte header and the data offset.
    pub fn new(options: &'a [u8]) -> Self {
        TcpOpts { rest: options, body: &[] }
    }

    /// The SACK blocks (left and right edges) of the option last returned, if it was SACK.
    pub fn sack_blocks(&self) -> impl Iterator<Item = (u32, u32)> + 'a {
        self.body.chunks_exact(8).map(|b| {
            let w = |i: usize| b.get(i..i + 4).and_then(|x| <[u8; 4]>::try_from(x).ok()).map_or(0, u32::from_be_bytes);
            (w(0), w(4))
        })
    }
}

impl Iterator for TcpOpts<'_> {
    type Item = TcpOpt;
    fn next(&mut self) -> Option<TcpOpt> {
        self.body = &[];
        let (&kind, after) = self.rest.split_first()?;
        match kind {
            0 => {
                self.rest = &[];
                Some(TcpOpt::End)
            }
            1 => {
                self.rest = after;
                Some(TcpOpt::Nop)
            }
            _ => {
                let Some(&len) = after.first() else {
                    self.rest = &[];
                    return Some(TcpOpt::Bad);
                };
                let Some(body) = self.rest.get(2..len as usize).filter(|_| len >= 2) else {
                    self.rest = &[];
                    return Some(TcpOpt::Bad);
                };
                self.rest = self.rest.get(len as usize..).unwrap_or(&[]);
                if kind == 5 {
                    self.body = body;
                }
                let b = |i: usize| body.get(i).copied().unwrap_or(0);
                Some(match (kind, len) {
                    (2, 4) => TcpOpt::Mss(u16::from_be_bytes([b(0), b(1)])),
                    (3, 3) => TcpOpt::WindowScale(b(0)),
                    (4, 2) => TcpOpt::SackPermitted,
                    (5, _) => TcpOpt::Sack((len.saturating_sub(2)) / 8),
                    (8, 10) => TcpOpt::Timestamps(
                        u32::from_be_bytes([b(0), b(1), b(2), b(3)]),
                        u32::from_be_bytes([b(4), b(5), b(6), b(7)]),
                    ),
                    _ => TcpOpt::Unknown(kind, len),
                })
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn parse_linux_syn_options() {
        let raw = [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
        let v: Vec<_> = TcpOpts::new(&raw).collect();
        assert_eq!(
            v,
            vec![TcpOpt::Mss(1460), TcpOpt::SackPermitted, TcpOpt::Timestamps(1, 0), TcpOpt::Nop, TcpOpt::WindowScale(7)]
        );
    }

    #[test]
    fn garbage_stops() {
        assert_eq!(TcpOpts::new(&[2]).collect::<Vec<_>>(), vec![TcpOpt::Bad]);
        assert_eq!(TcpOpts::new(&[2, 0, 1]).collect::<Vec<_>>(), vec![TcpOpt::Bad]);
        assert_eq!(TcpOpts::new(&[2, 40, 1]).collect::<Vec<_>>(), vec![TcpOpt::Bad]);
    }
}
