//! DNS over TCP on a connection's reassembled streams (RFC 1035 4.2.2, RFC 7766): each
//! message follows a 2-byte length, so one segment may carry several messages and one message
//! may span several segments. A message is handed on whole, with the frame whose bytes
//! completed it, as tshark reports it (`tcp.reassembled_in`).
//!
//! A direction holds at most one message being gathered (at most 65,535 bytes, the most its
//! length can say). Bytes lost in a gap leave the framing unknown, so that direction stops
//! being read.

/// One direction: the length prefix or the message being gathered.
#[derive(Debug, Clone, Default)]
struct Dir {
    /// The length prefix's bytes read so far (0, 1 or 2) and their value.
    prefix: [u8; 2],
    prefix_len: u8,
    /// The message's bytes so far (its length is known once the prefix is whole).
    msg: Vec<u8>,
    /// A gap came: the framing is lost.
    lost: bool,
}

/// The DNS side of one TCP connection.
#[derive(Debug, Clone, Default)]
pub struct DnsTcp {
    dirs: [Dir; 2],
}

impl DnsTcp {
    /// Bytes of the originator (`from_resp` false) or responder, in order; each message they
    /// complete (without its length prefix) goes to `out`.
    pub fn data(&mut self, from_resp: bool, mut b: &[u8], out: &mut dyn FnMut(Vec<u8>)) {
        let Some(d) = self.dirs.get_mut(usize::from(from_resp)) else { return };
        if d.lost {
            return;
        }
        while !b.is_empty() {
            if d.prefix_len < 2 {
                let Some((&first, rest)) = b.split_first() else { return };
                if let Some(slot) = d.prefix.get_mut(usize::from(d.prefix_len)) {
                    *slot = first;
                }
                d.prefix_len += 1;
                b = rest;
                if d.prefix_len == 2 && u16::from_be_bytes(d.prefix) == 0 {
                    // An empty message: nothing to hand on.
                    d.prefix_len = 0;
                }
                continue;
            }
            let want = usize::from(u16::from_be_bytes(d.prefix));
            let take = (want - d.msg.len()).min(b.len());
            let (now, rest) = b.split_at(take);
            if d.msg.is_empty() && take == want {
                // Whole in this chunk: one copy.
                out(now.to_vec());
            } else {
                d.msg.extend_from_slice(now);
                if d.msg.len() == want {
                    out(std::mem::take(&mut d.msg));
                }
            }
            if d.msg.is_empty() {
                d.prefix_len = 0;
            }
            b = rest;
        }
    }

    /// Bytes of a direction never seen: its framing is lost from there on.
    pub fn gap(&mut self, from_resp: bool) {
        if let Some(d) = self.dirs.get_mut(usize::from(from_resp)) {
            d.lost = true;
            d.msg = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(msgs: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        for m in msgs {
            v.extend_from_slice(&(m.len() as u16).to_be_bytes());
            v.extend_from_slice(m);
        }
        v
    }

    fn feed(pieces: &[&[u8]]) -> Vec<(usize, Vec<u8>)> {
        let mut d = DnsTcp::default();
        let mut got = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            d.data(false, p, &mut |m| got.push((i, m)));
        }
        got
    }

    #[test]
    fn several_messages_in_one_piece() {
        let all = framed(&[b"first message", b"second", b"third one"]);
        let got = feed(&[&all]);
        assert_eq!(got, vec![(0, b"first message".to_vec()), (0, b"second".to_vec()), (0, b"third one".to_vec())]);
    }

    #[test]
    fn one_message_over_pieces_split_anywhere() {
        let m: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let all = framed(&[&m, b"next"]);
        for cut in [1, 2, 3, 1500, 3001, 3002, 3003] {
            let (a, b) = all.split_at(cut);
            let got = feed(&[a, b]);
            assert_eq!(got.len(), 2, "cut {cut}");
            assert_eq!(got[0].1, m, "cut {cut}");
            // The message completes in the piece that holds its last byte.
            assert_eq!(got[0].0, usize::from(cut < 3002), "cut {cut}");
            assert_eq!(got[1], (1, b"next".to_vec()), "cut {cut}");
        }
        // A byte at a time.
        let pieces: Vec<&[u8]> = all.chunks(1).collect();
        let got = feed(&pieces);
        assert_eq!(got.iter().map(|g| g.1.len()).collect::<Vec<_>>(), vec![3000, 4]);
    }

    #[test]
    fn a_gap_stops_the_direction() {
        let mut d = DnsTcp::default();
        let mut got = Vec::new();
        d.data(false, &framed(&[b"abcdef"])[..4], &mut |m| got.push(m));
        d.gap(false);
        d.data(false, &framed(&[b"xyz"]), &mut |m| got.push(m));
        assert!(got.is_empty());
        d.data(true, &framed(&[b"xyz"]), &mut |m| got.push(m));
        assert_eq!(got, vec![b"xyz".to_vec()]);
    }
}
