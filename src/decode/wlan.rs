//! 802.11 (Wi-Fi) frames as a monitor-mode capture holds them: a radio header (radiotap, Prism
//! or AVS) or none, the 802.11 MAC header, and for data frames the LLC/SNAP header whose
//! EtherType names the packet carried, so the IP packets inside become connections as Zeek's
//! `IEEE802_11_Radio` and `IEEE802_11` packet analyzers make them.
//!
//! The decoder keeps only lengths in [`Wlan`] (the link layer of every packet must stay small);
//! the fields are read again from the bytes by [`Radiotap::parse`] and [`Mac::parse`] when a view
//! asks for them. Every read is checked: frames are hostile.

use super::{be16, be32};

/// Which radio header precedes the 802.11 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Radio {
    /// None (LINKTYPE_IEEE802_11).
    None,
    /// Radiotap (LINKTYPE_IEEE802_11_RADIO).
    Radiotap,
    /// Prism monitoring header (LINKTYPE_IEEE802_11_PRISM).
    Prism,
    /// AVS monitoring header (LINKTYPE_IEEE802_11_AVS, or behind LINKTYPE_IEEE802_11_PRISM).
    Avs,
}

/// The 802.11 link layer of a frame: where each header starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wlan {
    /// The radio header.
    pub radio: Radio,
    /// Its length (0 for none): the 802.11 header starts there.
    pub radio_len: u16,
    /// The 802.11 MAC header's length, QoS and HT control included (0 when it is cut short).
    pub mac_len: u8,
    /// Whether a frame check sequence ends the frame (radiotap's flag).
    pub fcs: bool,
    /// The EtherType after LLC/SNAP (0 when the frame carries none: a management or control
    /// frame, a data frame without data, a protected one, or other LLC).
    pub ethertype: u16,
}

impl Wlan {
    /// The 802.11 header's bytes (and what follows) in `data`.
    pub fn mac<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        data.get(self.radio_len as usize..).unwrap_or(&[])
    }

    /// Offset of the LLC header, when there is one.
    pub fn llc_offset(&self) -> usize {
        self.radio_len as usize + self.mac_len as usize
    }
}

/// Frame control's frame types.
pub mod ftype {
    /// Management frames.
    pub const MGMT: u8 = 0;
    /// Control frames.
    pub const CTRL: u8 = 1;
    /// Data frames.
    pub const DATA: u8 = 2;
}

/// The fields of an 802.11 MAC header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mac {
    /// Frame control's first byte: subtype (high nibble), type, version.
    pub fc0: u8,
    /// Frame control's flags: To DS, From DS, more fragments, retry, power management, more
    /// data, protected, order.
    pub flags: u8,
    /// Duration / ID.
    pub duration: u16,
    /// Up to four addresses (`n_addr` of them are present).
    pub addr: [[u8; 6]; 4],
    /// How many addresses the header has.
    pub n_addr: u8,
    /// Sequence control (sequence number << 4 | fragment number), when present.
    pub seq_ctl: Option<u16>,
    /// QoS control, when present.
    pub qos: Option<u16>,
    /// HT control, when the order bit announces one.
    pub htc: Option<u32>,
    /// The header's length.
    pub len: usize,
}

impl Mac {
    /// Frame type (0 management, 1 control, 2 data, 3 extension).
    pub fn ftype(&self) -> u8 {
        (self.fc0 >> 2) & 3
    }

    /// Subtype.
    pub fn subtype(&self) -> u8 {
        self.fc0 >> 4
    }

    /// Wireshark's `wlan.fc.type_subtype`: type << 4 | subtype.
    pub fn type_subtype(&self) -> u16 {
        ((self.ftype() as u16) << 4) | self.subtype() as u16
    }

    /// To DS and From DS (Wireshark's `wlan.fc.ds`).
    pub fn ds(&self) -> u8 {
        self.flags & 3
    }

    /// Whether the body is encrypted.
    pub fn protected(&self) -> bool {
        self.flags & 0x40 != 0
    }

    /// Whether the order bit (HT control present in QoS data and management frames) is set.
    pub fn order(&self) -> bool {
        self.flags & 0x80 != 0
    }

    /// Whether this is a QoS data frame.
    pub fn qos_data(&self) -> bool {
        self.ftype() == ftype::DATA && self.subtype() & 0x8 != 0
    }

    /// Address `i` (0-based), when present.
    pub fn address(&self, i: usize) -> Option<&[u8; 6]> {
        (i < self.n_addr as usize).then(|| self.addr.get(i)).flatten()
    }

    /// Source, destination, BSSID, transmitter and receiver as Wireshark names them
    /// (`wlan.sa`, `wlan.da`, `wlan.bssid`, `wlan.ta`, `wlan.ra`), by To DS and From DS.
    pub fn roles(&self) -> Roles<'_> {
        let a = |i| self.address(i);
        let data_or_mgmt = self.ftype() != ftype::CTRL;
        if !data_or_mgmt {
            return Roles { ra: a(0), ta: a(1), ..Roles::default() };
        }
        match self.ds() {
            0 => Roles { da: a(0), sa: a(1), bssid: a(2), ra: a(0), ta: a(1) },
            1 => Roles { bssid: a(0), sa: a(1), da: a(2), ra: a(0), ta: a(1) },
            2 => Roles { da: a(0), bssid: a(1), sa: a(2), ra: a(0), ta: a(1) },
            _ => Roles { ra: a(0), ta: a(1), da: a(2), sa: a(3), bssid: None },
        }
    }

    /// Reads the MAC header at the start of `b`; None when it is cut short.
    pub fn parse(b: &[u8]) -> Option<Mac> {
        let fc0 = *b.first()?;
        let flags = *b.get(1)?;
        let duration = u16::from_le_bytes([*b.get(2)?, *b.get(3)?]);
        let ft = (fc0 >> 2) & 3;
        let sub = fc0 >> 4;
        let mut m = Mac { fc0, flags, duration, addr: [[0; 6]; 4], n_addr: 0, seq_ctl: None, qos: None, htc: None, len: 4 };
        let take = |m: &mut Mac, at: usize| -> Option<()> {
            let a: [u8; 6] = b.get(at..at + 6)?.try_into().ok()?;
            *m.addr.get_mut(m.n_addr as usize)? = a;
            m.n_addr += 1;
            Some(())
        };
        match ft {
            ftype::CTRL => {
                take(&mut m, 4)?;
                m.len = 10;
                // Acknowledgment and CTS carry one address; the others (RTS, PS-Poll,
                // block ack, CF-End) a transmitter's too.
                if !matches!(sub, 0xc | 0xd) {
                    take(&mut m, 10)?;
                    m.len = 16;
                }
                return Some(m);
            }
            _ => {
                take(&mut m, 4)?;
                take(&mut m, 10)?;
                take(&mut m, 16)?;
                m.seq_ctl = Some(u16::from_le_bytes([*b.get(22)?, *b.get(23)?]));
                m.len = 24;
            }
        }
        if ft == ftype::DATA {
            if flags & 3 == 3 {
                take(&mut m, 24)?;
                m.len = 30;
            }
            if sub & 0x8 != 0 {
                m.qos = Some(u16::from_le_bytes([*b.get(m.len)?, *b.get(m.len + 1)?]));
                m.len += 2;
            }
        }
        // HT control: in QoS data and management frames whose order bit is set.
        if flags & 0x80 != 0 && (ft == ftype::MGMT || (ft == ftype::DATA && sub & 0x8 != 0)) {
            let at = m.len;
            m.htc = Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?));
            m.len += 4;
        }
        Some(m)
    }
}

/// The addresses of a MAC header by their roles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles<'a> {
    /// Source.
    pub sa: Option<&'a [u8; 6]>,
    /// Destination.
    pub da: Option<&'a [u8; 6]>,
    /// BSS identifier.
    pub bssid: Option<&'a [u8; 6]>,
    /// Transmitter.
    pub ta: Option<&'a [u8; 6]>,
    /// Receiver.
    pub ra: Option<&'a [u8; 6]>,
}

/// Radiotap flags: the frame ends with its FCS.
pub const RT_FLAG_FCS: u8 = 0x10;

/// The radiotap fields decoded (those of the first presence word up to the antenna index).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Radiotap {
    /// The header's length.
    pub len: u16,
    /// The first presence word.
    pub present: u32,
    /// TSFT: the MAC's clock when the frame's first bit arrived, in microseconds.
    pub tsft: Option<u64>,
    /// Flags (short preamble, WEP, fragmented, FCS at end, bad FCS, ...).
    pub flags: Option<u8>,
    /// Rate in units of 500 kb/s.
    pub rate: Option<u8>,
    /// Channel frequency (MHz) and flags.
    pub channel: Option<(u16, u16)>,
    /// Antenna signal, dBm.
    pub signal: Option<i8>,
    /// Antenna noise, dBm.
    pub noise: Option<i8>,
    /// Antenna index.
    pub antenna: Option<u8>,
}

/// Alignment and size of radiotap fields 0 to 11 (radiotap.org's defined fields).
const RT_FIELDS: [(usize, usize); 12] =
    [(8, 8), (1, 1), (1, 1), (2, 4), (1, 2), (1, 1), (1, 1), (2, 2), (2, 2), (2, 2), (1, 1), (1, 1)];

impl Radiotap {
    /// Reads the radiotap header at the start of `b`: its length and the fields it knows, in
    /// order, up to the first one it does not; None when the header is cut short or invalid.
    pub fn parse(b: &[u8]) -> Option<Radiotap> {
        if *b.first()? != 0 {
            return None;
        }
        let len = u16::from_le_bytes([*b.get(2)?, *b.get(3)?]);
        let present = u32::from_le_bytes(b.get(4..8)?.try_into().ok()?);
        let hdr = b.get(..len as usize)?;
        // Further presence words follow while bit 31 is set; the fields start after them.
        let mut at = 8usize;
        let mut word = present;
        while word & 0x8000_0000 != 0 {
            word = u32::from_le_bytes(hdr.get(at..at + 4)?.try_into().ok()?);
            at += 4;
        }
        let mut r = Radiotap { len, present, ..Radiotap::default() };
        for (bit, &(align, size)) in RT_FIELDS.iter().enumerate() {
            if present & (1 << bit) == 0 {
                continue;
            }
            at = at.div_ceil(align) * align;
            let Some(f) = hdr.get(at..at + size) else { break };
            let byte = f.first().copied().unwrap_or(0);
            match bit {
                0 => r.tsft = Some(u64::from_le_bytes(f.try_into().ok()?)),
                1 => r.flags = Some(byte),
                2 => r.rate = Some(byte),
                3 => r.channel = Some((u16::from_le_bytes([byte, *f.get(1)?]), u16::from_le_bytes([*f.get(2)?, *f.get(3)?]))),
                5 => r.signal = Some(byte as i8),
                6 => r.noise = Some(byte as i8),
                11 => r.antenna = Some(byte),
                _ => {}
            }
            at += size;
        }
        Some(r)
    }
}

/// LLC/SNAP with the Ethernet OUI (RFC 1042): the EtherType it carries.
pub fn snap_ethertype(b: &[u8]) -> Option<u16> {
    (b.get(..6)? == [0xaa, 0xaa, 0x03, 0, 0, 0]).then_some(())?;
    be16(b, 6)
}

/// The length of a Prism or AVS header at the start of a LINKTYPE_IEEE802_11_PRISM frame, and
/// which it is: AVS headers start with their magic (0x80211001 or 0x80211002, big-endian) and
/// hold their length at 4; Prism headers hold theirs little-endian at 4.
pub fn prism_len(b: &[u8]) -> Option<(Radio, usize)> {
    match be32(b, 0)? {
        0x8021_1001 | 0x8021_1002 => Some((Radio::Avs, be32(b, 4)? as usize)),
        _ => Some((Radio::Prism, u32::from_le_bytes(b.get(4..8)?.try_into().ok()?) as usize)),
    }
}

/// Decodes the radio header (by link type) and the MAC header of `data`, as far as it goes.
/// Returns the link layer and the offset of the packet the LLC/SNAP header announces (with its
/// EtherType in `Wlan::ethertype`, 0 when there is none).
pub fn decode(linktype: u32, data: &[u8]) -> Result<Wlan, &'static str> {
    let (radio, radio_len, fcs) = match linktype {
        super::linktype::IEEE802_11_RADIO => {
            let r = Radiotap::parse(data).ok_or("radiotap header")?;
            (Radio::Radiotap, r.len as usize, r.flags.is_some_and(|f| f & RT_FLAG_FCS != 0))
        }
        super::linktype::IEEE802_11_PRISM | super::linktype::IEEE802_11_AVS => {
            let (kind, len) = prism_len(data).ok_or(if linktype == super::linktype::IEEE802_11_AVS {
                "AVS header"
            } else {
                "Prism header"
            })?;
            if len < 8 || data.len() < len {
                return Err(if kind == Radio::Avs { "AVS header" } else { "Prism header" });
            }
            (kind, len, false)
        }
        _ => (Radio::None, 0, false),
    };
    let radio_len16 = u16::try_from(radio_len).map_err(|_| "radio header")?;
    let mut w = Wlan { radio, radio_len: radio_len16, mac_len: 0, fcs, ethertype: 0 };
    let mac_bytes = data.get(radio_len..).unwrap_or(&[]);
    let m = Mac::parse(mac_bytes).ok_or("802.11 header")?;
    w.mac_len = m.len as u8;
    // What Zeek's IEEE802_11 analyzer forwards: data frames with data (not the Null subtypes),
    // not protected, whose LLC is SNAP with the Ethernet OUI; an A-MSDU's first subframe.
    if m.ftype() != ftype::DATA || m.subtype() & 0x4 != 0 || m.protected() {
        return Ok(w);
    }
    if m.qos.is_some_and(|q| q & 0x80 != 0) {
        // A-MSDU: each subframe has its own destination, source and length before its LLC. The
        // first is read only when it is there whole, as [`amsdu`] reads them all.
        let mac = if fcs { mac_bytes.get(..mac_bytes.len().saturating_sub(4)).unwrap_or(&[]) } else { mac_bytes };
        if let Some(sub) = subframe_at(mac, m.len) {
            w.ethertype = sub.ethertype;
            w.mac_len = u8::try_from(sub.llc).map_err(|_| "802.11 header")?;
        }
        return Ok(w);
    }
    if let Some(et) = snap_ethertype(mac_bytes.get(m.len..).unwrap_or(&[])) {
        w.ethertype = et;
    }
    Ok(w)
}

/// One A-MSDU subframe's packet: where its LLC/SNAP header starts and where its MSDU ends
/// (offsets in the 802.11 frame), and the EtherType the LLC/SNAP header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subframe {
    pub llc: usize,
    pub end: usize,
    pub ethertype: u16,
}

/// The subframes of the A-MSDU that the 802.11 frame `mac` (from its MAC header on, without
/// FCS) carries: each a 14-byte subframe header (destination, source, length), then that many
/// bytes starting with LLC/SNAP, then padding. Empty unless `mac` is an unprotected QoS data
/// frame with data whose QoS control has the A-MSDU bit.
///
/// Zeek's IEEE802_11 analyzer skips `length % 4` bytes of padding; IEEE 802.11-2020 9.3.2.2.2
/// (and tshark) pad the whole subframe, header included, to 4 bytes. The two agree when the
/// length is odd. The next subframe is looked for where Zeek looks first, then where the
/// standard puts it; the walk ends at a subframe that is in neither place whole with LLC/SNAP
/// of the Ethernet OUI (where Zeek's ends too).
pub fn amsdu(mac: &[u8]) -> impl Iterator<Item = Subframe> + '_ {
    let data = Mac::parse(mac).filter(a_msdu);
    let mut next = data.and_then(|m| subframe_at(mac, m.len));
    std::iter::from_fn(move || {
        let sub = next.take()?;
        let len = sub.end - sub.llc;
        next = subframe_at(mac, sub.end + len % 4).or_else(|| subframe_at(mac, sub.end + (4 - (14 + len) % 4) % 4));
        Some(sub)
    })
}

/// Whether the 802.11 frame is an unprotected QoS data frame with data whose QoS control has
/// the A-MSDU bit.
fn a_msdu(m: &Mac) -> bool {
    m.ftype() == ftype::DATA && m.subtype() & 0x4 == 0 && !m.protected() && m.qos.is_some_and(|q| q & 0x80 != 0)
}

/// Whether the 802.11 frame `mac` (from its MAC header on) carries an A-MSDU, as [`amsdu`]
/// reads them: tshark's `wlan_aggregate`.
pub fn is_amsdu(mac: &[u8]) -> bool {
    Mac::parse(mac).is_some_and(|m| a_msdu(&m))
}

/// The A-MSDU subframe whose header is at `at` in `mac`, if it is there whole with LLC/SNAP of
/// the Ethernet OUI.
fn subframe_at(mac: &[u8], at: usize) -> Option<Subframe> {
    let len = usize::from(be16(mac, at.checked_add(12)?)?);
    let (llc, end) = (at + 14, at + 14 + len);
    let ethertype = snap_ethertype(mac.get(llc..end)?)?;
    Some(Subframe { llc, end, ethertype })
}

/// Names of frame subtypes, as tcpdump prints them.
pub mod names {
    /// The name of subtype `sub` of frame type `ftype`.
    pub fn subtype(ftype: u8, sub: u8) -> &'static str {
        match (ftype, sub) {
            (0, 0) => "Assoc Request",
            (0, 1) => "Assoc Response",
            (0, 2) => "ReAssoc Request",
            (0, 3) => "ReAssoc Response",
            (0, 4) => "Probe Request",
            (0, 5) => "Probe Response",
            (0, 8) => "Beacon",
            (0, 9) => "ATIM",
            (0, 10) => "Disassociation",
            (0, 11) => "Authentication",
            (0, 12) => "DeAuthentication",
            (0, 13) => "Action",
            (0, 14) => "Action No Ack",
            (1, 8) => "BAR",
            (1, 9) => "BA",
            (1, 10) => "Power Save-Poll",
            (1, 11) => "Request-To-Send",
            (1, 12) => "Clear-To-Send",
            (1, 13) => "Acknowledgment",
            (1, 14) => "CF-End",
            (1, 15) => "CF-End+CF-Ack",
            (2, 0) => "Data",
            (2, 4) => "Null Function (No Data)",
            (2, 8) => "QoS Data",
            (2, 12) => "QoS Null",
            (2, _) => "Data",
            (0, _) => "Management",
            (1, _) => "Control",
            _ => "802.11",
        }
    }
}

#[cfg(test)]
mod amsdu_test {
    use super::{amsdu, decode, Subframe};

    /// A QoS data frame to the distribution system with the A-MSDU bit, carrying `subs`
    /// (EtherType, packet), each but the last padded by `pad(length)`.
    fn frame(subs: &[(u16, &[u8])], pad: impl Fn(usize) -> usize) -> Vec<u8> {
        let mut f = vec![0x88, 0x01, 0, 0];
        f.extend_from_slice(&[2; 18]);
        f.extend_from_slice(&[0x10, 0, 0x80, 0]);
        for (i, (et, pkt)) in subs.iter().enumerate() {
            let len = 8 + pkt.len();
            f.extend_from_slice(&[1; 12]);
            f.extend_from_slice(&(len as u16).to_be_bytes());
            f.extend_from_slice(&[0xaa, 0xaa, 3, 0, 0, 0]);
            f.extend_from_slice(&et.to_be_bytes());
            f.extend_from_slice(pkt);
            if i + 1 < subs.len() {
                f.resize(f.len() + pad(len), 0);
            }
        }
        f
    }

    #[test]
    fn subframes_are_found_with_either_padding() {
        let subs: [(u16, &[u8]); 3] = [(0x0800, &[0x45; 60]), (0x0806, &[7; 28]), (0x86dd, &[0x60; 41])];
        let standard = frame(&subs, |len| (4 - (14 + len) % 4) % 4);
        let zeeks = frame(&subs, |len| len % 4);
        for f in [standard, zeeks] {
            let got: Vec<Subframe> = amsdu(&f).collect();
            assert_eq!(got.iter().map(|s| s.ethertype).collect::<Vec<_>>(), [0x0800, 0x0806, 0x86dd]);
            assert_eq!(got.iter().map(|s| s.end - s.llc).collect::<Vec<_>>(), [68, 36, 49]);
            assert_eq!(got.last().map(|s| s.end), Some(f.len()));
        }
    }

    #[test]
    fn the_walk_ends_where_a_subframe_does_not_fit_or_is_not_snap() {
        let f = frame(&[(0x0800, &[0x45; 20]), (0x0800, &[0x45; 20])], |_| 2);
        assert_eq!(amsdu(&f).count(), 2);
        // The second cut short: only the first.
        assert_eq!(amsdu(&f[..f.len() - 1]).collect::<Vec<_>>(), vec![Subframe { llc: 40, end: 68, ethertype: 0x0800 }]);
        // The first's LLC is not SNAP: none.
        let mut g = f.clone();
        g[40] = 0x42;
        assert_eq!(amsdu(&g).count(), 0);
        // Without the A-MSDU bit, or protected: none.
        let mut h = f.clone();
        h[24] = 0;
        assert_eq!(amsdu(&h).count(), 0);
        let mut k = f;
        k[1] |= 0x40;
        assert_eq!(amsdu(&k).count(), 0);
    }

    #[test]
    fn the_first_subframe_is_read_only_when_whole() {
        const IEEE802_11: u32 = crate::decode::linktype::IEEE802_11;
        let f = frame(&[(0x0800, &[0x45; 20])], |_| 0);
        let w = decode(IEEE802_11, &f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((w.ethertype, w.mac_len), (0x0800, 40));
        // Its length says one byte more than the frame holds: no packet, as `amsdu` finds none.
        let mut g = f.clone();
        g[39] += 1;
        assert_eq!(amsdu(&g).count(), 0);
        let w = decode(IEEE802_11, &g).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((w.ethertype, w.mac_len), (0, 26));
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// A radiotap header with TSFT, flags, rate, channel, signal, noise and antenna, as
    /// `scripts/wrap_wlan.py` writes them; every prefix of a frame is safe to read.
    #[test]
    fn radiotap_fields_and_prefixes() {
        let mut b = vec![0u8, 0, 25, 0, 0x6f, 0x08, 0, 0];
        b.extend_from_slice(&1_000_000u64.to_le_bytes());
        b.extend_from_slice(&[0x10, 108, 0x85, 0x09, 0xc0, 0x00, (-42i8) as u8, (-95i8) as u8, 1]);
        let r = Radiotap::parse(&b).expect("radiotap");
        assert_eq!(r.len, 25);
        assert_eq!(r.tsft, Some(1_000_000));
        assert_eq!(r.flags, Some(0x10));
        assert_eq!(r.rate, Some(108));
        assert_eq!(r.channel, Some((2437, 0xc0)));
        assert_eq!((r.signal, r.noise, r.antenna), (Some(-42), Some(-95), Some(1)));
        for n in 0..b.len() {
            assert!(Radiotap::parse(&b[..n]).is_none());
        }
    }

    /// A four-address QoS data frame with HT control: 36 bytes of header, the roles by To DS
    /// and From DS.
    #[test]
    fn mac_header_lengths() {
        let mut h = vec![0x88, 0x83, 0, 0];
        for i in 1..=4u8 {
            h.extend_from_slice(&[2, 0, 0, 0, 0, i]);
        }
        h.splice(22..22, [0x10, 0x00]);
        h.extend_from_slice(&[0x05, 0x00, 0, 0, 0, 0]);
        let m = Mac::parse(&h).expect("mac");
        assert_eq!(m.len, 36);
        assert_eq!(m.qos, Some(5));
        assert_eq!(m.htc, Some(0));
        let r = m.roles();
        assert_eq!(r.sa.map(|a| a[5]), Some(4));
        assert_eq!(r.da.map(|a| a[5]), Some(3));
        assert!(r.bssid.is_none());
        for n in 0..h.len() {
            let _ = Mac::parse(&h[..n]);
        }
    }
}
