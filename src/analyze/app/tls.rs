//! What a TLS connection shows before and around encryption: every handshake message sent in
//! the clear (its type, as tshark lists it in `tls.handshake.type`), the ClientHello's server
//! name (SNI), offered protocols (ALPN) and versions, the ServerHello's chosen version, cipher
//! suite and protocol, and what Zeek's ssl.log says of the handshake: whether it completed
//! (`established`), whether it resumed an earlier session (`resumed`), the key exchange's
//! group (`curve`), the last alert sent in clear (`last_alert`), the history of handshake
//! messages, cipher changes and alerts (`ssl_history`, Zeek's letters, the client's in capitals)
//! and the SHA-256 fingerprints of the certificates each side sent (`cert_chain_fps`,
//! `client_cert_chain_fps`). Nothing is decrypted.
//!
//! Each direction's records are read from its reassembled stream. Handshake records are read
//! until that direction encrypts (its ChangeCipherSpec before TLS 1.3; TLS 1.3 sends its own as a
//! courtesy and encrypts in application-data records); a message may span records and a record
//! segments. Messages are told when the record that completes them ends, which is the frame
//! tshark shows them on. Only the hellos are kept whole (up to [`MAX_HELLO`] bytes, parsed by
//! `tls-parser`) and a ServerKeyExchange's first bytes; other messages are counted past, so a
//! message of any claimed size costs nothing; certificates are hashed as their bytes pass.
//! Reading ends when the handshake is established (Zeek stops there too) or the bytes stop
//! making sense, unless every record's version is wanted (tshark's `tls.record.version`, on the
//! frame that ends the record): then record headers are followed to the end of the stream.

use sha2::{Digest, Sha256};
use tls_parser::{TlsCipherKx, TlsCipherSuite, TlsExtension, TlsMessage, TlsMessageHandshake};

use crate::report::web::{ClientHello, ServerHello};

/// Most bytes of one hello message.
pub const MAX_HELLO: usize = 64 << 10;

/// The random of a ServerHello that is a HelloRetryRequest (RFC 8446, 4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A,
    0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// Record content types.
const CHANGE_CIPHER_SPEC: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;
const HEARTBEAT: u8 = 24;

/// Handshake message type of a Certificate.
const CERTIFICATE: u8 = 11;

/// Most letters of the history (Zeek's `SSL::max_ssl_history_length`).
pub const MAX_HISTORY: usize = 100;

/// Most certificates fingerprinted per side.
const MAX_CERTS: usize = 32;
/// The longest first certificate whose names are read (`sni_matches_cert`); longer ones are
/// hashed only.
const MAX_NAMED_CERT: usize = 16 << 10;

/// What the parser found: a handshake message read in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The client's hello.
    Client(ClientHello),
    /// The server's hello (or HelloRetryRequest).
    Server(ServerHello),
    /// Another handshake message, by type (a hello sent the wrong way included).
    Other(u8),
    /// A record ended (told only when every record is wanted), with its version; before the
    /// messages it completed.
    Record(u16),
}

/// The certificates of a Certificate message being read: each is hashed as its bytes pass.
#[derive(Debug, Clone, Default)]
struct Certs {
    /// Bytes of the list's length still to pass.
    skip: u8,
    /// The current certificate's length, as much of it as came.
    len: [u8; 3],
    len_have: u8,
    /// Bytes of the current certificate still to come.
    left: u32,
    hasher: Option<Sha256>,
    /// The fingerprints of the certificates read whole, in order.
    fps: Vec<[u8; 32]>,
    /// The bytes of the first certificate while it comes (when short enough).
    first: Option<Vec<u8>>,
    /// The names the first certificate is for (None: none came, or it could not be read).
    names: Option<Vec<String>>,
}

impl Certs {
    /// A Certificate message starts.
    fn start(&mut self) {
        self.skip = 3;
        self.len_have = 0;
        self.left = 0;
        self.hasher = None;
    }

    /// Bytes of the message's body.
    fn data(&mut self, mut b: &[u8]) {
        while !b.is_empty() {
            if self.skip > 0 {
                let n = usize::from(self.skip).min(b.len());
                self.skip -= n as u8;
                b = b.get(n..).unwrap_or(&[]);
                continue;
            }
            if self.hasher.is_none() {
                let at = usize::from(self.len_have);
                let n = (3 - at).min(b.len());
                if let (Some(dst), Some(src)) = (self.len.get_mut(at..at + n), b.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.len_have += n as u8;
                b = b.get(n..).unwrap_or(&[]);
                if self.len_have < 3 {
                    return;
                }
                self.len_have = 0;
                let [x, y, z] = self.len;
                self.left = u32::from_be_bytes([0, x, y, z]);
                self.hasher = Some(Sha256::new());
                if self.fps.is_empty() && self.first.is_none() && self.left as usize <= MAX_NAMED_CERT {
                    self.first = Some(Vec::with_capacity(self.left as usize));
                }
            }
            let n = (self.left as usize).min(b.len());
            if let (Some(h), Some(now)) = (self.hasher.as_mut(), b.get(..n)) {
                h.update(now);
                if let Some(f) = self.first.as_mut() {
                    f.extend_from_slice(now);
                }
            }
            self.left -= n as u32;
            b = b.get(n..).unwrap_or(&[]);
            if self.left == 0 {
                self.done();
            }
        }
        if self.left == 0 {
            // A certificate of no bytes at the end.
            self.done();
        }
    }

    /// The current certificate came whole.
    fn done(&mut self) {
        if let Some(h) = self.hasher.take() {
            if self.fps.is_empty() {
                if let Some(der) = self.first.take() {
                    self.names = cert_names(&der);
                }
            }
            if self.fps.len() < MAX_CERTS {
                self.fps.push(h.finalize().into());
            }
        }
    }
}

/// The names a certificate is for, as Zeek's `x509_check_cert_hostname` reads them (RFC 2818):
/// the DNS names of its subjectAltName when it has one, else the last CN of its subject. None
/// when the bytes are not a certificate.
fn cert_names(der: &[u8]) -> Option<Vec<String>> {
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        let dns = san.value.general_names.iter().filter_map(|g| match g {
            GeneralName::DNSName(n) => Some(n.to_string()),
            _ => None,
        });
        return Some(dns.collect());
    }
    let cn = cert.subject().iter_common_name().filter_map(|a| a.as_str().ok()).last();
    Some(cn.map(str::to_string).into_iter().collect())
}

/// Whether `host` is `name`, a certificate's name, by Zeek's `x509_check_hostname` (RFC 6125's
/// wildcards as Zeek reads them): ASCII case aside; a `*` only at the end of the leftmost
/// label, standing for the rest of that one label, and only with two labels or more after it.
pub fn host_matches(host: &str, name: &str) -> bool {
    let Some(star) = name.find('*') else { return host.eq_ignore_ascii_case(name) };
    let (label, rest) = name.split_once('.').unwrap_or((name, ""));
    let prefix = label.strip_suffix('*');
    let Some(prefix) = prefix.filter(|p| !p.contains('*') && star == p.len()) else { return false };
    if rest.contains('*') || !rest.contains('.') {
        return false;
    }
    let Some((hl, hrest)) = host.split_once('.') else { return false };
    hl.len() >= prefix.len()
        && hl.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        && hrest.eq_ignore_ascii_case(rest)
}

/// One direction: the record and handshake message being read.
#[derive(Debug, Clone, Default)]
struct Dir {
    /// The record header being read, and how much of it came.
    hdr: [u8; 5],
    hdr_len: u8,
    /// The current record's content type, its body's length and the bytes of it still to come.
    kind: u8,
    len: u16,
    left: u16,
    /// The handshake message header being read, and how much of it came.
    mhdr: [u8; 4],
    mhdr_len: u8,
    /// Bytes of the current message's body still to come.
    mleft: u32,
    /// Bytes of the body kept (whole hellos; a ServerKeyExchange's first three).
    keep: usize,
    /// The message as kept: its header, then its body's first `keep` bytes.
    msg: Vec<u8>,
    /// Messages the current record completed, told when it ends.
    pending: Vec<Done>,
    /// Its records are encrypted from here on.
    encrypted: bool,
    /// Bytes of this direction went missing after the hellos: nothing more is read from it.
    lost: bool,
    /// Bytes of this direction read.
    offset: u64,
    /// Its hello was read.
    hello: bool,
    /// The certificates it sent.
    certs: Certs,
}

/// What the handshake said that Zeek's ssl.log needs beyond the hellos' names.
#[derive(Debug, Clone, Default)]
struct Seen {
    /// The version the server chose is TLS 1.3 (or a draft of it).
    tls13: bool,
    /// The client's session id, when it is one Zeek counts (not empty, not 32 zero bytes).
    session_id: Option<Vec<u8>>,
    /// The client sent a non-empty session ticket with no session id.
    ticket_no_id: bool,
    /// The client offered a pre-shared key (TLS 1.3 resumption).
    client_psk: bool,
    /// The client sent its key exchange.
    client_key_exchange: bool,
    /// The cipher suite chosen exchanges keys by (EC)DH, so a ServerKeyExchange names a curve.
    ecdh: bool,
    /// See [`Tls::resumed`].
    resumed: bool,
    /// See [`Tls::curve`].
    curve: Option<u16>,
}

/// The TLS side of one connection.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    dirs: [Dir; 2],
    seen: Seen,
    /// Why reading stopped early.
    stopped: Option<String>,
    /// The client's hello (the last one, after a HelloRetryRequest).
    pub client: Option<ClientHello>,
    /// The server's hello.
    pub server: Option<ServerHello>,
    /// Whether the server's first bytes started a TLS record (None: none came yet).
    server_first: Option<bool>,
    /// A record came once both directions had encrypted (Zeek's `established`).
    pub established: bool,
    /// Every record's end is told ([`Done::Record`]), to the end of the stream.
    records: bool,
    /// Zeek's `ssl_history` until the handshake was established.
    history: String,
    /// The description of the last alert read in clear.
    last_alert: Option<u8>,
}

/// Whether `b` starts like a TLS handshake record (content type 22, version 3.x).
pub fn looks_like_handshake(b: &[u8]) -> bool {
    matches!(b, [22, 3, 0..=4, ..])
}

/// Zeek's name of a named group (`ec_curves` in Zeek's ssl consts), `unknown-N` otherwise.
pub fn curve_name(g: u16) -> String {
    let name = match g {
        1 => "sect163k1",
        2 => "sect163r1",
        3 => "sect163r2",
        4 => "sect193r1",
        5 => "sect193r2",
        6 => "sect233k1",
        7 => "sect233r1",
        8 => "sect239k1",
        9 => "sect283k1",
        10 => "sect283r1",
        11 => "sect409k1",
        12 => "sect409r1",
        13 => "sect571k1",
        14 => "sect571r1",
        15 => "secp160k1",
        16 => "secp160r1",
        17 => "secp160r2",
        18 => "secp192k1",
        19 => "secp192r1",
        20 => "secp224k1",
        21 => "secp224r1",
        22 => "secp256k1",
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        26 => "brainpoolP256r1",
        27 => "brainpoolP384r1",
        28 => "brainpoolP512r1",
        29 => "x25519",
        30 => "x448",
        31 => "brainpoolP256r1tls13",
        32 => "brainpoolP384r1tls13",
        33 => "brainpoolP512r1tls13",
        256 => "ffdhe2048",
        257 => "ffdhe3072",
        258 => "ffdhe4096",
        259 => "ffdhe6144",
        260 => "ffdhe8192",
        512 => "MLKEM512",
        513 => "MLKEM768",
        514 => "MLKEM1024",
        4587 => "SecP256r1MLKEM768",
        4588 => "X25519MLKEM768",
        4589 => "SecP384r1MLKEM1024",
        25497 => "X25519Kyber768Draft00",
        0xFF01 => "arbitrary_explicit_prime_curves",
        0xFF02 => "arbitrary_explicit_char2_curves",
        _ if g & 0x0f0f == 0x0a0a => return format!("grease_0x{g:04X}"),
        _ => return format!("unknown-{g}"),
    };
    name.to_string()
}

impl Tls {
    /// A connection's TLS; with `records`, every record's end is told, to the end of the stream.
    pub fn new(records: bool) -> Tls {
        Tls { records, ..Tls::default() }
    }

    /// Whether nothing more is to be learnt: the handshake is established (and records are not
    /// followed), the server's first bytes were not TLS, reading stopped once the server's first
    /// bytes have come, or both directions are lost.
    pub fn finished(&self) -> bool {
        (self.established && !self.records)
            || self.server_first == Some(false)
            || (self.stopped.is_some() && self.server_first.is_some())
            || self.dirs.iter().all(|d| d.lost)
    }

    /// Whether the server's first bytes started a TLS record: an alert refusing the hello, as
    /// well as the handshake.
    pub fn server_seen(&self) -> bool {
        self.server_first == Some(true)
    }

    /// Whether the connection is TLS as Zeek (5.0 on) decides it: the analyzer confirms a
    /// client's hello of a known version and takes the service back when the bytes that
    /// follow break the protocol (the server's first bytes not a record, a record it cannot
    /// read) — `Some(false)` then; `None` before any hello.
    pub fn confirmed(&self) -> Option<bool> {
        self.client.as_ref()?;
        Some(self.server_first != Some(false) && self.stopped.is_none())
    }

    /// Why reading stopped early.
    pub fn error(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// Bytes of the client (`from_resp` false) or server, in order.
    pub fn data(&mut self, from_resp: bool, mut b: &[u8], out: &mut dyn FnMut(Done)) {
        if from_resp && self.server_first.is_none() && !b.is_empty() {
            let n = b.len().min(2);
            self.server_first = Some(match b.get(..n) {
                Some([t, v]) => (20..=24).contains(t) && *v == 3,
                Some([t]) => (20..=24).contains(t),
                _ => false,
            });
        }
        let i = usize::from(from_resp);
        let side = if from_resp { "server" } else { "client" };
        while !b.is_empty() && self.stopped.is_none() && (self.records || !self.established) {
            let other_encrypted = self.dirs.get(1 - i).is_some_and(|d| d.encrypted);
            let Some(d) = self.dirs.get_mut(i) else { return };
            if d.lost {
                return;
            }
            if d.left == 0 && d.hdr_len < 5 {
                // A record header.
                let at = usize::from(d.hdr_len);
                let take = (5 - at).min(b.len());
                if let (Some(dst), Some(src)) = (d.hdr.get_mut(at..at + take), b.get(..take)) {
                    dst.copy_from_slice(src);
                }
                d.hdr_len += take as u8;
                d.offset += take as u64;
                b = b.get(take..).unwrap_or(&[]);
                if d.hdr_len < 5 {
                    return;
                }
                let [kind, major, _, hi, lo] = d.hdr;
                if major != 3 || !(20..=24).contains(&kind) {
                    let at = d.offset - 5;
                    self.stopped = Some(format!("the {side}'s record at offset {at} is not a TLS record (type {kind}, version {major}.x)"));
                    return;
                }
                d.kind = kind;
                d.len = u16::from_be_bytes([hi, lo]);
                d.left = d.len;
                // Zeek's rule: a record read once both directions encrypt establishes the
                // session; under TLS 1.3 a direction encrypts with its first application data.
                if kind == APPLICATION_DATA && self.seen.tls13 && d.left > 0 {
                    d.encrypted = true;
                }
                if d.encrypted && other_encrypted {
                    self.established = true;
                }
            }
            let take = usize::from(d.left).min(b.len());
            let (now, rest) = b.split_at(take);
            b = rest;
            let at = d.len - d.left;
            d.left -= take as u16;
            d.offset += take as u64;
            // What Zeek's history and alert say stops with the handshake's establishment.
            let open = !self.established;
            if d.kind == HANDSHAKE && !d.encrypted {
                if let Err(why) = handshake(d, &mut self.seen, from_resp, now, &mut self.history) {
                    self.stopped = Some(format!("the {side}'s {why}"));
                    return;
                }
            }
            if d.kind == ALERT && !d.encrypted && open {
                // Each alert is two bytes, its level and description.
                for (k, desc) in now.iter().enumerate() {
                    if (usize::from(at) + k) % 2 == 1 {
                        self.last_alert = Some(*desc);
                        add_history(&mut self.history, from_resp, 'l');
                    }
                }
            }
            if d.left == 0 {
                // The record ended.
                d.hdr_len = 0;
                if open && !d.encrypted && d.kind == HEARTBEAT {
                    add_history(&mut self.history, from_resp, 'b');
                }
                if open && d.kind == CHANGE_CIPHER_SPEC {
                    add_history(&mut self.history, from_resp, 'i');
                }
                if self.records {
                    let [_, major, minor, ..] = d.hdr;
                    out(Done::Record(u16::from_be_bytes([major, minor])));
                }
                if d.kind == CHANGE_CIPHER_SPEC && !self.seen.tls13 {
                    d.encrypted = true;
                    // Zeek's rule: a session ticket offered without a session id, and a
                    // ChangeCipherSpec from the client with no key exchange before it.
                    if !from_resp && self.seen.ticket_no_id && !self.seen.client_key_exchange {
                        self.seen.resumed = true;
                    }
                }
                for m in std::mem::take(&mut d.pending) {
                    match &m {
                        Done::Client(h) => {
                            d.hello = true;
                            self.client = Some(h.clone());
                        }
                        Done::Server(h) => {
                            d.hello = true;
                            self.server = Some(h.clone());
                        }
                        Done::Other(_) | Done::Record(_) => {}
                    }
                    out(m);
                }
            }
        }
    }

    /// Whether the session resumed an earlier one, by Zeek's rules: the server echoed the
    /// client's session id (before TLS 1.3), accepted its pre-shared key (TLS 1.3), or the client
    /// sent a session ticket without a session id and changed cipher spec without a key exchange.
    pub fn resumed(&self) -> bool {
        self.seen.resumed
    }

    /// The key exchange's named group: the ServerKeyExchange's curve (ECDHE suites) or the
    /// server's key share (TLS 1.3), the last one seen.
    pub fn curve(&self) -> Option<u16> {
        self.seen.curve
    }

    /// Zeek's `ssl_history`: a letter for each handshake message, ChangeCipherSpec, alert and
    /// heartbeat read in clear until the handshake was established, the client's in capitals.
    pub fn history(&self) -> &str {
        &self.history
    }

    /// The description of the last alert read in clear (before establishment).
    pub fn last_alert(&self) -> Option<u8> {
        self.last_alert
    }

    /// Zeek's `sni_matches_cert`: whether the server name the client asked for is one the
    /// server's first certificate is for; None without a name or a readable certificate.
    pub fn sni_matches_cert(&self) -> Option<bool> {
        let name = self.client.as_ref()?.server_name.as_deref()?;
        let names = self.dirs.get(1)?.certs.names.as_ref()?;
        Some(names.iter().any(|n| host_matches(name, n)))
    }

    /// The SHA-256 fingerprints of the certificates the server (`from_resp`) or client sent.
    pub fn fingerprints(&self, from_resp: bool) -> &[[u8; 32]] {
        self.dirs.get(usize::from(from_resp)).map_or(&[], |d| &d.certs.fps[..])
    }

    /// `len` bytes of a direction were never seen: before its hello, they end the reading;
    /// after, that direction is no longer read.
    pub fn gap(&mut self, from_resp: bool, len: u64) {
        let Some(d) = self.dirs.get_mut(usize::from(from_resp)) else { return };
        if !d.hello && self.stopped.is_none() {
            self.stopped = Some(format!("{len} bytes of the {} missing before its hello", if from_resp { "server" } else { "client" }));
        }
        d.lost = true;
    }
}

/// Most messages one record lists (a record of empty messages could hold 16,000 of them).
const MAX_PENDING: usize = 256;

/// Adds the letter of something the client (`from_resp` false: in capitals) or server sent to
/// Zeek's history, up to [`MAX_HISTORY`] letters.
fn add_history(history: &mut String, from_resp: bool, letter: char) {
    if history.len() < MAX_HISTORY {
        history.push(if from_resp { letter } else { letter.to_ascii_uppercase() });
    }
}

/// Zeek's history letter of a handshake message of type `t` (`retry`: a ServerHello that is a
/// HelloRetryRequest).
fn history_letter(t: u8, retry: bool) -> char {
    match t {
        0 => 'h',
        1 => 'c',
        2 if retry => 'j',
        2 => 's',
        3 => 'v',
        4 => 't',
        5 => 'e',
        6 => 'j',
        8 => 'o',
        11 => 'x',
        12 => 'k',
        13 => 'r',
        14 => 'n',
        15 => 'y',
        16 => 'g',
        20 => 'f',
        21 => 'w',
        22 => 'u',
        23 => 'a',
        24 => 'p',
        254 => 'm',
        _ => 'z',
    }
}

/// Handshake record bytes `b` of direction `d`, from the client (`from_resp` false) or server;
/// each message completed adds its letter to `history`.
fn handshake(d: &mut Dir, seen: &mut Seen, from_resp: bool, mut b: &[u8], history: &mut String) -> Result<(), String> {
    loop {
        if d.mhdr_len < 4 {
            if b.is_empty() {
                return Ok(());
            }
            let at = usize::from(d.mhdr_len);
            let take = (4 - at).min(b.len());
            if let (Some(dst), Some(src)) = (d.mhdr.get_mut(at..at + take), b.get(..take)) {
                dst.copy_from_slice(src);
            }
            d.mhdr_len += take as u8;
            b = b.get(take..).unwrap_or(&[]);
            if d.mhdr_len < 4 {
                return Ok(());
            }
            let [t, x, y, z] = d.mhdr;
            d.mleft = u32::from_be_bytes([0, x, y, z]);
            let len = d.mleft as usize;
            d.keep = match t {
                1 | 2 if len + 4 > MAX_HELLO => return Err(format!("hello claims {} bytes, more than {MAX_HELLO}", len + 4)),
                1 | 2 => len,
                12 => len.min(3),
                _ => 0,
            };
            d.msg.clear();
            if d.keep > 0 {
                d.msg.extend_from_slice(&d.mhdr);
            }
            if t == CERTIFICATE {
                d.certs.start();
            }
        }
        let take = (d.mleft as usize).min(b.len());
        let (now, rest) = b.split_at(take);
        b = rest;
        let room = (d.keep + 4).saturating_sub(d.msg.len()).min(take);
        if d.keep > 0 {
            d.msg.extend_from_slice(now.get(..room).unwrap_or(now));
        }
        if d.mhdr[0] == CERTIFICATE {
            d.certs.data(now);
        }
        d.mleft -= take as u32;
        if d.mleft == 0 {
            d.mhdr_len = 0;
            let m = message(d, seen, from_resp)?;
            let retry = matches!(&m, Done::Server(h) if h.retry);
            add_history(history, from_resp, history_letter(d.mhdr[0], retry));
            if d.msg.capacity() > 64 {
                d.msg = Vec::new();
            }
            if d.pending.len() < MAX_PENDING {
                d.pending.push(m);
            }
        }
        if b.is_empty() {
            return Ok(());
        }
    }
}

/// The message just completed in `d` (its header in `d.mhdr`, what was kept in `d.msg`).
fn message(d: &Dir, seen: &mut Seen, from_resp: bool) -> Result<Done, String> {
    let [t, ..] = d.mhdr;
    match (t, from_resp) {
        (1, false) => parse_client(&d.msg, seen).map(Done::Client).map_err(|e| format!("hello: {e}")),
        (2, true) => parse_server(&d.msg, seen).map(Done::Server).map_err(|e| format!("hello: {e}")),
        (12, true) => {
            // ECParameters: curve type 3 (named_curve), then the curve (RFC 8422, 5.4).
            if let (true, Some(&[3, hi, lo])) = (seen.ecdh, d.msg.get(4..7)) {
                seen.curve = Some(u16::from_be_bytes([hi, lo]));
            }
            Ok(Done::Other(t))
        }
        (16, false) => {
            seen.client_key_exchange = true;
            Ok(Done::Other(t))
        }
        _ => Ok(Done::Other(t)),
    }
}

fn hello_of(msg: &[u8]) -> Result<TlsMessageHandshake<'_>, String> {
    let (_, m) = tls_parser::parse_tls_message_handshake(msg).map_err(|e| format!("not a handshake message ({e:?})"))?;
    let TlsMessage::Handshake(h) = m else { return Err("not a handshake message".into()) };
    Ok(h)
}

/// A ClientHello, whole.
fn parse_client(msg: &[u8], seen: &mut Seen) -> Result<ClientHello, String> {
    let TlsMessageHandshake::ClientHello(ch) = hello_of(msg)? else { return Err("not a ClientHello".into()) };
    let mut hello = ClientHello { legacy_version: ch.version.0, ciphers: ch.ciphers.iter().map(|c| c.0).collect(), ..ClientHello::default() };
    let mut ticket = false;
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
                TlsExtension::SupportedVersions(vs) => hello.versions = vs.iter().map(|v| v.0).collect(),
                TlsExtension::SessionTicket(t) => ticket = !t.is_empty(),
                TlsExtension::PreSharedKey(_) => seen.client_psk = true,
                _ => {}
            }
        }
    }
    // Zeek keeps a session id that is neither empty nor 32 zero bytes.
    seen.session_id = ch.session_id.filter(|s| !s.is_empty() && *s != [0u8; 32]).map(<[u8]>::to_vec);
    seen.ticket_no_id = ticket && seen.session_id.is_none();
    Ok(hello)
}

/// A ServerHello (or HelloRetryRequest), whole.
fn parse_server(msg: &[u8], seen: &mut Seen) -> Result<ServerHello, String> {
    let TlsMessageHandshake::ServerHello(sh) = hello_of(msg)? else { return Err("not a ServerHello".into()) };
    let mut supported = None;
    let mut alpn = None;
    let mut psk = false;
    if let Some(ext) = sh.ext {
        let (_, exts) = tls_parser::parse_tls_server_hello_extensions(ext).map_err(|e| format!("bad extensions ({e:?})"))?;
        for e in exts {
            match e {
                TlsExtension::SupportedVersions(vs) => supported = vs.first().map(|v| v.0),
                TlsExtension::ALPN(ps) => alpn = ps.first().map(|p| String::from_utf8_lossy(p).into_owned()),
                TlsExtension::PreSharedKey(_) => psk = true,
                // The server's key share (a HelloRetryRequest's is the group alone).
                TlsExtension::KeyShare(&[hi, lo, ..]) => seen.curve = Some(u16::from_be_bytes([hi, lo])),
                _ => {}
            }
        }
    }
    let version = supported.unwrap_or(sh.version.0);
    seen.tls13 = version == 0x0304 || version >> 8 == 0x7f;
    if !seen.tls13 && seen.session_id.is_some() && seen.session_id.as_deref() == sh.session_id {
        seen.resumed = true;
    }
    if psk && seen.client_psk {
        seen.resumed = true;
    }
    let id = sh.cipher.0;
    let suite = TlsCipherSuite::from_id(id);
    seen.ecdh = suite.is_some_and(|c| matches!(c.kx, TlsCipherKx::Ecdhe | TlsCipherKx::Ecdh));
    let cipher = suite.map_or_else(|| format!("0x{id:04x}"), |c| c.name.to_string());
    Ok(ServerHello {
        version,
        legacy_version: sh.version.0,
        supported_version: supported,
        retry: sh.random == HRR_RANDOM,
        cipher_id: id,
        cipher,
        alpn,
    })
}

#[cfg(test)]
mod test {
    use super::*;

    /// A handshake message of type `t`.
    fn hs(t: u8, body: &[u8]) -> Vec<u8> {
        let n = body.len() as u32;
        let mut m = vec![t, (n >> 16) as u8, (n >> 8) as u8, n as u8];
        m.extend(body);
        m
    }

    /// One record of content type `kind`.
    fn rec(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![kind, 3, 3];
        r.extend((body.len() as u16).to_be_bytes());
        r.extend(body);
        r
    }

    /// Handshake records of at most `size` bytes each.
    fn records(msg: &[u8], size: usize) -> Vec<u8> {
        msg.chunks(size).flat_map(|c| rec(HANDSHAKE, c)).collect()
    }

    fn ext(t: u16, body: &[u8]) -> Vec<u8> {
        [&t.to_be_bytes()[..], &(body.len() as u16).to_be_bytes(), body].concat()
    }

    /// A ClientHello for `name` with session id `sid`, offering h2 and http/1.1, TLS 1.3 and
    /// 1.2, and `more` extensions.
    fn client_hello(name: &str, sid: &[u8], more: &[u8]) -> Vec<u8> {
        let sni_list = [&[0u8][..], &(name.len() as u16).to_be_bytes(), name.as_bytes()].concat();
        let mut exts = ext(0, &[&(sni_list.len() as u16).to_be_bytes()[..], &sni_list].concat());
        let alpn_list = [&[2u8][..], b"h2", &[8], b"http/1.1"].concat();
        exts.extend(ext(16, &[&(alpn_list.len() as u16).to_be_bytes()[..], &alpn_list].concat()));
        exts.extend(ext(43, &[4, 3, 4, 3, 3]));
        exts.extend(more);
        let mut body = vec![3, 3];
        body.extend([7u8; 32]);
        body.push(sid.len() as u8);
        body.extend(sid);
        body.extend([0, 4, 0x13, 0x01, 0xc0, 0x2f, 1, 0]);
        body.extend((exts.len() as u16).to_be_bytes());
        body.extend(&exts);
        hs(1, &body)
    }

    /// A ServerHello choosing `cipher` with session id `sid`, `random` and extensions `exts`.
    fn server_hello(random: [u8; 32], sid: &[u8], cipher: u16, exts: &[u8]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend(random);
        body.push(sid.len() as u8);
        body.extend(sid);
        body.extend(cipher.to_be_bytes());
        body.push(0);
        body.extend((exts.len() as u16).to_be_bytes());
        body.extend(exts);
        hs(2, &body)
    }

    /// Feeds `wire` from one side in pieces of `seg` bytes; the messages told after each piece.
    fn feed(t: &mut Tls, from_resp: bool, wire: &[u8], seg: usize) -> Vec<Vec<Done>> {
        wire.chunks(seg.max(1))
            .map(|s| {
                let mut got = Vec::new();
                t.data(from_resp, s, &mut |d| got.push(d));
                got
            })
            .collect()
    }

    fn types(got: &[Done]) -> Vec<u8> {
        got.iter()
            .map(|d| match d {
                Done::Client(_) => 1,
                Done::Server(_) => 2,
                Done::Other(t) => *t,
                Done::Record(_) => 0,
            })
            .collect()
    }

    #[test]
    fn a_client_hello_spread_over_records_and_segments() {
        let wire = records(&client_hello("www.example.test", &[], &[]), 50);
        for seg in [1usize, 7, wire.len()] {
            let mut t = Tls::default();
            let got: Vec<Done> = feed(&mut t, false, &wire, seg).concat();
            assert_eq!(t.error(), None);
            let Some(Done::Client(h)) = got.first() else { panic!("{got:?}") };
            assert_eq!(h.server_name.as_deref(), Some("www.example.test"));
            assert_eq!(h.alpn, ["h2", "http/1.1"]);
            assert_eq!(h.versions, [0x0304, 0x0303]);
            assert_eq!(h.legacy_version, 0x0303);
        }
    }

    /// A TLS 1.2 full handshake: several messages in one record, a message across records, the
    /// Finished messages encrypted after ChangeCipherSpec, each record's messages told when it
    /// ends; established once a record comes after both sides changed cipher spec.
    #[test]
    fn a_tls12_handshake_lists_every_clear_message() {
        let ske = hs(12, &[3, 0, 29, 32, 9, 9, 9]);
        let flight = [server_hello([1; 32], &[5; 32], 0xc02f, &[]), hs(11, &[0; 3000]), ske, hs(14, &[])].concat();
        let server1 = [records(&flight, 1000)].concat();
        let client2 = [rec(HANDSHAKE, &hs(16, &[1; 33])), rec(CHANGE_CIPHER_SPEC, &[1]), rec(HANDSHAKE, &[20, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])].concat();
        let server2 = [rec(HANDSHAKE, &hs(4, &[0; 200])), rec(CHANGE_CIPHER_SPEC, &[1]), rec(HANDSHAKE, &[0xaa; 40])].concat();
        for seg in [1usize, 100, 1500, 100_000] {
            let mut t = Tls::default();
            let c1 = feed(&mut t, false, &rec(HANDSHAKE, &client_hello("a.test", &[], &[])), seg);
            assert_eq!(types(&c1.concat()), [1]);
            let s1 = feed(&mut t, true, &server1, seg);
            assert_eq!(types(&s1.concat()), [2, 11, 12, 14], "{seg}");
            // Told at the ends of records: the Certificate with the third record, not before.
            let firsts: Vec<usize> = s1.iter().enumerate().filter(|(_, g)| !g.is_empty()).map(|(i, _)| i).collect();
            if seg == 1 {
                assert_eq!(firsts.first(), Some(&(1000 + 5 - 1)), "the hello's record ends at byte 1005");
            }
            let c2 = feed(&mut t, false, &client2, seg);
            assert_eq!(types(&c2.concat()), [16]);
            assert!(!t.established);
            let s2 = feed(&mut t, true, &server2, seg);
            assert_eq!(types(&s2.concat()), [4]);
            assert!(t.established && t.finished(), "{seg}");
            assert_eq!(t.curve(), Some(29));
            assert_eq!(curve_name(29), "x25519");
            assert!(!t.resumed());
            assert_eq!(t.error(), None);
        }
    }

    /// Resumption by Zeek's three rules; TLS 1.3's courtesy ChangeCipherSpec encrypts nothing;
    /// a HelloRetryRequest is a ServerHello; application data both ways establishes TLS 1.3.
    #[test]
    fn resumption_and_tls13() {
        // The server echoes the client's session id.
        let mut t = Tls::default();
        feed(&mut t, false, &rec(HANDSHAKE, &client_hello("a.test", &[5; 32], &[])), 9999);
        feed(&mut t, true, &rec(HANDSHAKE, &server_hello([1; 32], &[5; 32], 0xc02f, &[])), 9999);
        assert!(t.resumed());
        // An all-zero id does not count.
        let mut t = Tls::default();
        feed(&mut t, false, &rec(HANDSHAKE, &client_hello("a.test", &[0; 32], &[])), 9999);
        feed(&mut t, true, &rec(HANDSHAKE, &server_hello([1; 32], &[0; 32], 0xc02f, &[])), 9999);
        assert!(!t.resumed());
        // A ticket without a session id, and ChangeCipherSpec with no key exchange.
        let mut t = Tls::default();
        feed(&mut t, false, &rec(HANDSHAKE, &client_hello("a.test", &[], &ext(35, &[1, 2, 3]))), 9999);
        feed(&mut t, true, &rec(HANDSHAKE, &server_hello([1; 32], &[], 0xc02f, &[])), 9999);
        assert!(!t.resumed());
        feed(&mut t, false, &rec(CHANGE_CIPHER_SPEC, &[1]), 9999);
        assert!(t.resumed());
        // TLS 1.3: a HelloRetryRequest, a second ClientHello after the client's courtesy
        // ChangeCipherSpec, a pre-shared key accepted, then application data both ways.
        let mut t = Tls::default();
        let psk = ext(41, &[0, 0]);
        feed(&mut t, false, &rec(HANDSHAKE, &client_hello("a.test", &[5; 32], &psk)), 9999);
        let hrr = server_hello(HRR_RANDOM, &[5; 32], 0x1301, &[ext(43, &[3, 4]), ext(51, &[0, 29])].concat());
        let got = feed(&mut t, true, &[rec(HANDSHAKE, &hrr), rec(CHANGE_CIPHER_SPEC, &[1])].concat(), 9999).concat();
        let Some(Done::Server(h)) = got.first() else { panic!("{got:?}") };
        assert!(h.retry && h.version == 0x0304 && h.supported_version == Some(0x0304));
        assert_eq!(t.curve(), Some(29));
        let got = feed(&mut t, false, &[rec(CHANGE_CIPHER_SPEC, &[1]), rec(HANDSHAKE, &client_hello("a.test", &[5; 32], &psk))].concat(), 9999);
        assert_eq!(types(&got.concat()), [1]);
        let sh = server_hello([2; 32], &[5; 32], 0x1301, &[ext(43, &[3, 4]), ext(51, &[0, 23, 0, 1, 4]), ext(41, &[0, 0])].concat());
        feed(&mut t, true, &[rec(HANDSHAKE, &sh), rec(APPLICATION_DATA, &[9; 50])].concat(), 9999);
        assert!(t.resumed(), "the pre-shared key was accepted; the echoed session id alone does not count in TLS 1.3");
        assert_eq!(t.curve(), Some(23));
        assert!(!t.established);
        feed(&mut t, false, &rec(APPLICATION_DATA, &[9; 50]), 9999);
        assert!(t.established && t.error().is_none());
    }

    /// Zeek's history letters, the last clear alert, each certificate's SHA-256 as its bytes
    /// pass one at a time, and (when wanted) every record's version past the handshake.
    #[test]
    fn history_alerts_fingerprints_and_records() {
        let certs = [vec![0x30u8; 700], vec![0x31u8; 300]];
        let list: Vec<u8> = certs.iter().flat_map(|c| [&(c.len() as u32).to_be_bytes()[1..], c].concat()).collect();
        let cert_msg = hs(11, &[&(list.len() as u32).to_be_bytes()[1..], &list[..]].concat());
        let flight = [server_hello([1; 32], &[], 0xc02f, &[]), cert_msg, hs(14, &[])].concat();
        for seg in [1usize, 9999] {
            let mut t = Tls::new(true);
            let mut recs = Vec::new();
            let mut each = |d: Done| {
                if let Done::Record(v) = d {
                    recs.push(v)
                }
            };
            t.data(false, &records(&client_hello("a.test", &[], &[]), 9999), &mut each);
            for piece in records(&flight, 400).chunks(seg) {
                t.data(true, piece, &mut each);
            }
            let want: Vec<[u8; 32]> = certs.iter().map(|c| Sha256::digest(c).into()).collect();
            assert_eq!(t.fingerprints(true), &want[..]);
            assert!(t.fingerprints(false).is_empty());
            let client2 = [rec(HANDSHAKE, &hs(16, &[1; 33])), rec(CHANGE_CIPHER_SPEC, &[1]), rec(HANDSHAKE, &[0xaa; 40])].concat();
            t.data(false, &client2, &mut each);
            // The server's alert in clear (it has not encrypted), then its records go on.
            t.data(true, &[rec(ALERT, &[2, 40]), rec(CHANGE_CIPHER_SPEC, &[1]), rec(HANDSHAKE, &[0xbb; 40])].concat(), &mut each);
            assert_eq!((t.history(), t.last_alert()), ("CsxnGIli", Some(40)));
            assert!(t.established && !t.finished(), "records are followed past the handshake");
            t.data(false, &rec(APPLICATION_DATA, &[1; 30]), &mut each);
            t.data(false, &[23, 3, 3, 0, 1], &mut each);
            // Records: the ClientHello's, the flight's 6, the client's 3, the server's 3, one of
            // application data; the last not ended yet. The history stops at establishment.
            assert_eq!(recs.len(), 1 + flight.len().div_ceil(400) + 3 + 3 + 1, "{seg}");
            assert_eq!(t.history(), "CsxnGIli");
        }
        // Without records wanted, establishment ends the reading.
        let mut t = Tls::new(false);
        t.data(false, &rec(HANDSHAKE, &client_hello("a.test", &[], &[])), &mut |d| assert!(!matches!(d, Done::Record(_))));
        assert!(!t.finished());
        // The history holds at most MAX_HISTORY letters; a certificate claiming more bytes than
        // its message holds is not fingerprinted; at most MAX_CERTS are.
        let mut t = Tls::default();
        t.data(true, &rec(HANDSHAKE, &[14, 0, 0, 0].repeat(300)), &mut |_| {});
        assert_eq!(t.history().len(), MAX_HISTORY);
        let mut t = Tls::default();
        t.data(true, &rec(HANDSHAKE, &hs(11, &[0, 0, 9, 0xff, 0xff, 0xff, 1, 2, 3])), &mut |_| {});
        assert!(t.fingerprints(true).is_empty() && t.error().is_none());
        let mut t = Tls::default();
        t.data(true, &rec(HANDSHAKE, &hs(11, &[&[0u8, 1, 44][..], &[0, 0, 0].repeat(100)].concat())), &mut |_| {});
        assert_eq!(t.fingerprints(true).len(), MAX_CERTS);
    }

    #[test]
    fn certificate_names_match_as_zeek_reads_them() {
        for (host, name, want) in [
            ("a.wild.example.test", "*.wild.example.test", true),
            ("A.Wild.Example.Test", "*.wild.example.test", true),
            ("x.y.wild.example.test", "*.wild.example.test", false),
            ("wild.example.test", "*.wild.example.test", false),
            ("www.example.test", "WWW.example.test", true),
            ("foobar.example.test", "foo*.example.test", true),
            ("barfoo.example.test", "foo*.example.test", false),
            // Not in the leftmost label, not at its end, or too high up.
            ("a.b.example.test", "a.*.example.test", false),
            ("fab.example.test", "f*b.example.test", false),
            ("a.test", "*.test", false),
            ("a", "*", false),
        ] {
            assert_eq!(host_matches(host, name), want, "{host} {name}");
        }
        // Bytes that are not a certificate give no names, hence no verdict.
        assert_eq!(cert_names(&[0x30, 0x82, 0xff, 0xff, 1, 2, 3]), None);
        assert_eq!(cert_names(&[]), None);
    }

    #[test]
    fn the_clients_hello_confirms_and_broken_answers_take_it_back() {
        // Zeek 5.0 on: the client's hello confirms TLS; an alert in answer keeps it (history
        // `Cl`), bytes that are not a record take it back.
        let hello = rec(HANDSHAKE, &client_hello("a.test", &[], &[]));
        let mut t = Tls::default();
        assert_eq!(t.confirmed(), None);
        feed(&mut t, false, &hello, 9999);
        assert_eq!(t.confirmed(), Some(true));
        t.data(true, &rec(ALERT, &[2, 40]), &mut |_| {});
        assert_eq!((t.confirmed(), t.history(), t.last_alert()), (Some(true), "Cl", Some(40)));
        let mut t = Tls::default();
        feed(&mut t, false, &hello, 9999);
        t.data(true, b"HTTP/1.1 400 Bad Request\r\n", &mut |_| {});
        assert_eq!(t.confirmed(), Some(false));
        assert!(t.finished());
    }

    #[test]
    fn hostile_handshakes_are_errors_or_bounded() {
        // A hello's claimed length past the cap, a record that is not TLS, garbage in a hello.
        let mut t = Tls::default();
        t.data(false, &[22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff], &mut |_| {});
        assert!(t.error().is_some_and(|e| e.contains("claims")));
        let mut t = Tls::default();
        t.data(true, &[99, 3, 3, 0, 1, 0], &mut |_| {});
        assert!(t.error().is_some_and(|e| e.contains("not a TLS record")));
        let mut t = Tls::default();
        t.data(false, &records(&[1, 0, 0, 3, 1, 2, 3], 100), &mut |_| {});
        assert!(t.error().is_some_and(|e| e.contains("hello")), "{:?}", t.error());
        // Reported once the server's first bytes say whether this is TLS at all.
        assert!(!t.finished());
        t.data(true, &[22, 3, 3, 0, 1, 2], &mut |_| {});
        assert!(t.finished() && t.server_seen());
        // A 1 MB Certificate in 16 KB records, and a length past the end of the stream: counted
        // past, nothing kept, no error.
        let mut t = Tls::default();
        feed(&mut t, false, &rec(HANDSHAKE, &client_hello("a.test", &[], &[])), 9999);
        let big = hs(11, &vec![0u8; 1 << 20]);
        let got = feed(&mut t, true, &records(&big, 16384), 70_000).concat();
        assert_eq!(types(&got), [11]);
        assert!(t.dirs[1].msg.capacity() <= 64 && t.error().is_none());
        t.data(true, &rec(HANDSHAKE, &[11, 0xff, 0xff, 0xff, 1, 2]), &mut |_| panic!("incomplete"));
        assert!(t.error().is_none() && !t.finished());
        // A record of empty messages lists at most MAX_PENDING.
        let mut t = Tls::default();
        let mut n = 0;
        t.data(true, &rec(HANDSHAKE, &[14, 0, 0, 0].repeat(4000)), &mut |_| n += 1);
        assert_eq!(n, MAX_PENDING);
        // Bytes missing after the hellos stop that direction only, with no error.
        let mut t = Tls::default();
        feed(&mut t, false, &rec(HANDSHAKE, &client_hello("a.test", &[], &[])), 9999);
        t.gap(false, 10);
        assert!(t.error().is_none() && !t.finished());
    }
}
