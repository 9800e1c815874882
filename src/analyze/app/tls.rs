//! The names a TLS handshake shows before encryption starts: the ClientHello's server name
//! (SNI), offered protocols (ALPN) and versions, and the ServerHello's chosen version, cipher
//! suite and protocol. Nothing is decrypted.
//!
//! Each direction's records are read from its reassembled stream until its hello message is
//! whole (a hello may span records, and a record segments); the message is kept only up to
//! [`MAX_HELLO`] bytes, and parsed by `tls-parser`. After both hellos nothing more is read.

use tls_parser::{TlsCipherSuite, TlsExtension, TlsMessage, TlsMessageHandshake};

use crate::report::web::{ClientHello, ServerHello};

/// Most bytes of one hello message.
pub const MAX_HELLO: usize = 64 << 10;

/// What the parser found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The client's hello.
    Client(ClientHello),
    /// The server's hello.
    Server(ServerHello, u16),
}

/// One direction: the record being read and the hello gathered so far.
#[derive(Debug, Clone, Default)]
struct Dir {
    /// The record header being read, and how much of it came.
    hdr: [u8; 5],
    hdr_len: u8,
    /// Bytes of the current record's body still to come.
    left: u16,
    /// The handshake bytes gathered.
    msg: Vec<u8>,
    /// Its hello was parsed, or its bytes stopped making sense.
    done: bool,
    /// Bytes of this direction read.
    offset: u64,
}

/// The TLS side of one connection.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    dirs: [Dir; 2],
    /// Why reading stopped early.
    stopped: Option<String>,
    /// The hellos.
    pub client: Option<ClientHello>,
    /// The server's hello and its version number.
    pub server: Option<(ServerHello, u16)>,
    /// Whether the server's first bytes started a handshake record (None: none came yet).
    server_first: Option<bool>,
}

/// Whether `b` starts like a TLS handshake record (content type 22, version 3.x).
pub fn looks_like_handshake(b: &[u8]) -> bool {
    matches!(b, [22, 3, 0..=4, ..])
}

impl Tls {
    /// Whether nothing more is to be learnt: both hellos read, or bytes that are not TLS once
    /// the server's first bytes have come.
    pub fn finished(&self) -> bool {
        (self.stopped.is_some() && self.server_first.is_some()) || self.dirs.iter().all(|d| d.done)
    }

    /// Whether the server's first bytes started a handshake record (Zeek's rule: only then is
    /// the connection TLS).
    pub fn server_seen(&self) -> bool {
        self.server_first == Some(true)
    }

    /// Why reading stopped early.
    pub fn error(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// Bytes of the client (`from_resp` false) or server, in order.
    pub fn data(&mut self, from_resp: bool, mut b: &[u8], out: &mut dyn FnMut(Done)) {
        let side = if from_resp { "server" } else { "client" };
        if from_resp && self.server_first.is_none() && !b.is_empty() {
            let n = b.len().min(2);
            self.server_first = Some(b.get(..n) == [22u8, 3].get(..n));
        }
        while !b.is_empty() && self.stopped.is_none() {
            let Some(d) = self.dirs.get_mut(usize::from(from_resp)) else { return };
            if d.done {
                return;
            }
            if d.left == 0 {
                // A record header.
                let want = 5 - usize::from(d.hdr_len);
                let take = want.min(b.len());
                if let (Some(dst), Some(src)) = (d.hdr.get_mut(usize::from(d.hdr_len)..usize::from(d.hdr_len) + take), b.get(..take)) {
                    dst.copy_from_slice(src);
                }
                d.hdr_len += take as u8;
                d.offset += take as u64;
                b = b.get(take..).unwrap_or(&[]);
                if d.hdr_len < 5 {
                    return;
                }
                d.hdr_len = 0;
                let [kind, major, _, hi, lo] = d.hdr;
                if kind != 22 || major != 3 {
                    let at = d.offset - 5;
                    let why = format!("the {side}'s record at offset {at} is not a TLS handshake record (type {kind}, version {major}.x)");
                    self.stopped = Some(why);
                    return;
                }
                d.left = u16::from_be_bytes([hi, lo]);
                continue;
            }
            let take = usize::from(d.left).min(b.len());
            if d.msg.len() + take > MAX_HELLO {
                self.stopped = Some(format!("the {side}'s hello runs past {MAX_HELLO} bytes"));
                return;
            }
            d.msg.extend_from_slice(b.get(..take).unwrap_or(b));
            d.left -= take as u16;
            d.offset += take as u64;
            b = b.get(take..).unwrap_or(&[]);
            // A handshake message: type, 3-byte length, body.
            let Some(&[_, a, bb, c]) = d.msg.get(..4) else { continue };
            let need = 4 + (usize::from(a) << 16 | usize::from(bb) << 8 | usize::from(c));
            if need > MAX_HELLO {
                self.stopped = Some(format!("the {side}'s hello claims {need} bytes, more than {MAX_HELLO}"));
                return;
            }
            if d.msg.len() < need {
                continue;
            }
            d.done = true;
            let parsed = parse(d.msg.get(..need).unwrap_or(&[]), from_resp);
            d.msg = Vec::new();
            match parsed {
                Ok(done) => {
                    match &done {
                        Done::Client(h) => self.client = Some(h.clone()),
                        Done::Server(h, v) => self.server = Some((h.clone(), *v)),
                    }
                    out(done);
                }
                Err(why) => self.stopped = Some(format!("the {side}'s hello: {why}")),
            }
            return;
        }
    }

    /// `len` bytes of a direction were never seen: before its hello, they end the reading.
    pub fn gap(&mut self, from_resp: bool, len: u64) {
        if self.dirs.get(usize::from(from_resp)).is_some_and(|d| !d.done) && self.stopped.is_none() {
            self.stopped = Some(format!("{len} bytes of the {} missing before its hello", if from_resp { "server" } else { "client" }));
        }
    }
}

/// A hello message, whole.
fn parse(msg: &[u8], from_resp: bool) -> Result<Done, String> {
    let (_, m) = tls_parser::parse_tls_message_handshake(msg).map_err(|e| format!("not a handshake message ({e:?})"))?;
    let TlsMessage::Handshake(h) = m else { return Err("not a handshake message".into()) };
    match (h, from_resp) {
        (TlsMessageHandshake::ClientHello(ch), false) => {
            let mut hello = ClientHello::default();
            let mut versions = Vec::new();
            if let Some(ext) = ch.ext {
                let (_, exts) = tls_parser::parse_tls_client_hello_extensions(ext).map_err(|e| format!("bad extensions ({e:?})"))?;
                for e in exts {
                    match e {
                        TlsExtension::SNI(names) => {
                            if let Some((_, n)) = names.first() {
                                hello.server_name = Some(String::from_utf8_lossy(n).into_owned());
                            }
                        }
                        TlsExtension::ALPN(ps) => hello.alpn = ps.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect(),
                        TlsExtension::SupportedVersions(vs) => versions = vs.iter().map(|v| v.0).filter(|v| v & 0x0f0f != 0x0a0a).collect(),
                        _ => {}
                    }
                }
            }
            if versions.is_empty() {
                versions.push(ch.version.0);
            }
            hello.versions = versions;
            Ok(Done::Client(hello))
        }
        (TlsMessageHandshake::ServerHello(sh), true) => {
            let mut version = sh.version.0;
            let mut alpn = None;
            if let Some(ext) = sh.ext {
                let (_, exts) = tls_parser::parse_tls_server_hello_extensions(ext).map_err(|e| format!("bad extensions ({e:?})"))?;
                for e in exts {
                    match e {
                        TlsExtension::SupportedVersions(vs) => {
                            if let Some(v) = vs.first() {
                                version = v.0;
                            }
                        }
                        TlsExtension::ALPN(ps) => alpn = ps.first().map(|p| String::from_utf8_lossy(p).into_owned()),
                        _ => {}
                    }
                }
            }
            let id = sh.cipher.0;
            let cipher = TlsCipherSuite::from_id(id).map_or_else(|| format!("0x{id:04x}"), |c| c.name.to_string());
            Ok(Done::Server(ServerHello { version, cipher_id: id, cipher, alpn }, version))
        }
        (_, false) => Err("the first handshake message is not a ClientHello".into()),
        (_, true) => Err("the first handshake message is not a ServerHello".into()),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// A ClientHello for `name`, offering h2 and http/1.1, TLS 1.3 and 1.2.
    fn client_hello(name: &str) -> Vec<u8> {
        let mut ext = Vec::new();
        let sni_list = [&[0u8][..], &(name.len() as u16).to_be_bytes(), name.as_bytes()].concat();
        let sni = [&(sni_list.len() as u16).to_be_bytes()[..], &sni_list].concat();
        ext.extend([0, 0]);
        ext.extend((sni.len() as u16).to_be_bytes());
        ext.extend(&sni);
        let alpn_list = [&[2u8][..], b"h2", &[8], b"http/1.1"].concat();
        let alpn = [&(alpn_list.len() as u16).to_be_bytes()[..], &alpn_list].concat();
        ext.extend([0, 16]);
        ext.extend((alpn.len() as u16).to_be_bytes());
        ext.extend(&alpn);
        ext.extend([0, 43, 0, 5, 4, 3, 4, 3, 3]);
        let mut body = vec![3, 3];
        body.extend([7u8; 32]);
        body.push(0);
        body.extend([0, 2, 0x13, 0x01, 1, 0]);
        body.extend((ext.len() as u16).to_be_bytes());
        body.extend(&ext);
        let mut msg = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
        msg.extend(&body);
        msg
    }

    fn records(msg: &[u8], size: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for part in msg.chunks(size) {
            out.extend([22, 3, 1]);
            out.extend((part.len() as u16).to_be_bytes());
            out.extend(part);
        }
        out
    }

    #[test]
    fn a_client_hello_spread_over_records_and_segments() {
        let wire = records(&client_hello("www.example.test"), 50);
        for seg in [1usize, 7, wire.len()] {
            let mut t = Tls::default();
            let mut got = Vec::new();
            for s in wire.chunks(seg) {
                t.data(false, s, &mut |d| got.push(d));
            }
            assert_eq!(t.error(), None);
            let Some(Done::Client(h)) = got.first() else { panic!("{got:?}") };
            assert_eq!(h.server_name.as_deref(), Some("www.example.test"));
            assert_eq!(h.alpn, ["h2", "http/1.1"]);
            assert_eq!(h.versions, [0x0304, 0x0303]);
        }
    }

    #[test]
    fn hostile_hellos_are_errors() {
        // A claimed length past the cap, a record that is not a handshake, garbage in a hello.
        let mut t = Tls::default();
        t.data(false, &[22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff], &mut |_| {});
        assert!(t.error().is_some_and(|e| e.contains("claims")));
        let mut t = Tls::default();
        t.data(true, &[23, 3, 3, 0, 1, 0], &mut |_| {});
        assert!(t.error().is_some_and(|e| e.contains("not a TLS handshake")));
        let mut t = Tls::default();
        t.data(false, &records(&[1, 0, 0, 3, 1, 2, 3], 100), &mut |_| {});
        assert!(t.error().is_some_and(|e| e.contains("hello")), "{:?}", t.error());
        // Reported once the server's first bytes say whether this is TLS at all.
        assert!(!t.finished());
        t.data(true, &[22, 3, 3, 0, 1, 2], &mut |_| {});
        assert!(t.finished() && t.server_seen());
    }
}
