//! HTTP and TLS as the application layer saw them: each message with the fields Wireshark shows
//! on the frame that completed it ([`Message`]), each HTTP request paired with its response as
//! Zeek's http.log has it ([`HttpRecord`]), each TLS handshake's names as in Zeek's ssl.log
//! ([`TlsRecord`]), and the counts the text tables show ([`WebSummary`]).

use std::collections::BTreeMap;
use std::net::IpAddr;

/// An HTTP request line and the headers the views show.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target as sent.
    pub uri: String,
    /// `HTTP/1.1`.
    pub version: String,
    /// The Host header.
    pub host: Option<String>,
    /// The User-Agent header.
    pub user_agent: Option<String>,
    /// The Content-Type header (of a body sent).
    pub content_type: Option<String>,
    /// The Content-Length header.
    pub content_length: Option<u64>,
    /// Bytes of body that followed (chunked bodies: the data of the chunks).
    pub body_len: u64,
}

/// An HTTP status line and the headers the views show.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HttpResponse {
    /// `HTTP/1.1`.
    pub version: String,
    /// The status code.
    pub code: u16,
    /// The reason phrase.
    pub phrase: String,
    /// The Content-Type header.
    pub content_type: Option<String>,
    /// The Content-Length header.
    pub content_length: Option<u64>,
    /// The body came in chunks.
    pub chunked: bool,
    /// Bytes of body (chunked bodies: the data of the chunks).
    pub body_len: u64,
}

/// A TLS ClientHello's names.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClientHello {
    /// The server name asked for (SNI).
    pub server_name: Option<String>,
    /// Protocols offered (ALPN), in order.
    pub alpn: Vec<String>,
    /// Versions offered in the supported_versions extension (GREASE values too, as tshark
    /// lists them), as numbers (`0x0304`: TLS 1.3); empty without the extension.
    pub versions: Vec<u16>,
    /// The hello's own version field (`tls.handshake.version`).
    pub legacy_version: u16,
    /// Cipher suites offered, by number, in order.
    pub ciphers: Vec<u16>,
}

/// A TLS ServerHello's choices.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ServerHello {
    /// The version chosen (supported_versions, else the hello's version).
    pub version: u16,
    /// The hello's own version field (`tls.handshake.version`).
    pub legacy_version: u16,
    /// The version in the supported_versions extension, when the server sent one.
    pub supported_version: Option<u16>,
    /// The hello is a HelloRetryRequest (TLS 1.3: the server asks for another key share).
    pub retry: bool,
    /// The cipher suite chosen, by number.
    pub cipher_id: u16,
    /// And by its IANA name (`0x1302` when unknown).
    pub cipher: String,
    /// The protocol chosen (ALPN; TLS 1.3 sends it encrypted, so only older versions show it).
    pub alpn: Option<String>,
}

/// One application message, shown with the frame that completed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Message {
    /// A whole HTTP request (headers and body).
    HttpRequest(HttpRequest),
    /// A whole HTTP response.
    HttpResponse(HttpResponse),
    /// A TLS ClientHello.
    ClientHello(ClientHello),
    /// A TLS ServerHello.
    ServerHello(ServerHello),
    /// Another TLS handshake message sent in the clear, by type (11: Certificate, ...).
    TlsHandshake(u8),
    /// A TLS record ended, with the version in its header (`tls.record.version`).
    TlsRecord(u16),
    /// A DNS message read from a TCP stream.
    Dns(DnsMessage),
}

/// A whole DNS message from a TCP stream, without its length prefix: decoded by each view as a
/// datagram's message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsMessage {
    /// The message's bytes.
    pub bytes: Vec<u8>,
}

impl serde::Serialize for DnsMessage {
    /// Its header's id and size (the views decode the rest).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let id = self.bytes.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
        let mut st = s.serialize_struct("DnsMessage", 2)?;
        st.serialize_field("id", &id)?;
        st.serialize_field("length", &self.bytes.len())?;
        st.end()
    }
}

/// The Zeek names of a connection's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Ends {
    /// Originator's address.
    #[serde(rename = "id.orig_h")]
    pub orig_h: IpAddr,
    /// Originator's port.
    #[serde(rename = "id.orig_p")]
    pub orig_p: u16,
    /// Responder's address.
    #[serde(rename = "id.resp_h")]
    pub resp_h: IpAddr,
    /// Responder's port.
    #[serde(rename = "id.resp_p")]
    pub resp_p: u16,
}

impl Ends {
    /// Ends not known yet (the tracker fills them in).
    pub fn unknown() -> Ends {
        let none = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
        Ends { orig_h: none, orig_p: 0, resp_h: none, resp_p: 0 }
    }
}

/// One HTTP request and its response, with Zeek's http.log field names.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HttpRecord {
    /// When the request began (seconds since the epoch).
    pub ts: f64,
    /// The connection's uid.
    pub uid: String,
    /// The endpoints.
    #[serde(flatten)]
    pub id: Ends,
    /// Place of the request on its connection, from 1.
    pub trans_depth: u32,
    /// Request method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Host header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Request target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The request's version number (`1.1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// User-Agent header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Body bytes the client sent.
    pub request_body_len: u64,
    /// Body bytes the server sent.
    pub response_body_len: u64,
    /// Status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Reason phrase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_msg: Option<String>,
    /// Why the transaction is incomplete or where its bytes stopped making sense.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One TLS handshake's names, with Zeek's ssl.log field names.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TlsRecord {
    /// When the ClientHello came (seconds since the epoch).
    pub ts: f64,
    /// The connection's uid.
    pub uid: String,
    /// The endpoints.
    #[serde(flatten)]
    pub id: Ends,
    /// Version chosen, as Zeek writes it (`TLSv13`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Cipher suite chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// The key exchange's group (Zeek's name: `x25519`, `secp256r1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// The server name asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// The session resumed an earlier one (Zeek's rules).
    pub resumed: bool,
    /// The protocol the server chose (ALPN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_protocol: Option<String>,
    /// The description of the last alert sent in clear (Zeek's name: `handshake_failure`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_alert: Option<String>,
    /// The handshake completed: a record came after both sides encrypted (Zeek's rule).
    pub established: bool,
    /// Zeek's history letters: each handshake message, ChangeCipherSpec and alert read in
    /// clear, the client's in capitals (`CsxknGIti`).
    pub ssl_history: String,
    /// SHA-256 fingerprints of the server's certificates, in the order sent (set, maybe empty,
    /// once either side sent one, as Zeek logs them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_chain_fps: Option<Vec<String>>,
    /// And of the client's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert_chain_fps: Option<Vec<String>>,
    /// Whether the server name asked for is one the server's first certificate is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni_matches_cert: Option<bool>,
    /// Where the handshake's bytes stopped making sense.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How many rows the text tables keep of each kind (counts stay exact).
pub const TOP: usize = 10;

/// The counts behind the HTTP and TLS tables.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WebSummary {
    /// HTTP transactions, by Host header (`-` when none).
    pub http_hosts: BTreeMap<String, u64>,
    /// HTTP transactions, by status code (0: no response).
    pub http_status: BTreeMap<u16, u64>,
    /// The slowest answered requests: seconds from the request's start to the response's end,
    /// method, host and URI, slowest first (at most [`TOP`]).
    pub http_slowest: Vec<(f64, String, String, String)>,
    /// TLS handshakes, by server name (`-` when none).
    pub tls_names: BTreeMap<String, u64>,
    /// Hosts or names not counted because the maps were full.
    pub dropped: u64,
}

/// Most distinct hosts or names counted.
const MAX_KEYS: usize = 10_000;

impl WebSummary {
    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.http_status.is_empty() && self.tls_names.is_empty()
    }

    fn bump(map: &mut BTreeMap<String, u64>, k: &str, n: u64, dropped: &mut u64) {
        if let Some(v) = map.get_mut(k) {
            *v += n;
        } else if map.len() < MAX_KEYS {
            map.insert(k.to_string(), n);
        } else {
            *dropped += n;
        }
    }

    /// Counts one HTTP transaction that took `secs` (None: unanswered).
    pub fn http(&mut self, r: &HttpRecord, secs: Option<f64>) {
        Self::bump(&mut self.http_hosts, r.host.as_deref().unwrap_or("-"), 1, &mut self.dropped);
        *self.http_status.entry(r.status_code.unwrap_or(0)).or_default() += 1;
        if let Some(s) = secs {
            let row = (s, r.method.clone().unwrap_or_default(), r.host.clone().unwrap_or_default(), r.uri.clone().unwrap_or_default());
            self.slow(row);
        }
    }

    fn slow(&mut self, row: (f64, String, String, String)) {
        if self.http_slowest.len() >= TOP && self.http_slowest.last().is_some_and(|l| l.0 >= row.0) {
            return;
        }
        self.http_slowest.push(row);
        self.http_slowest.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)).then_with(|| a.2.cmp(&b.2)).then_with(|| a.3.cmp(&b.3)));
        self.http_slowest.truncate(TOP);
    }

    /// Counts one TLS handshake.
    pub fn tls(&mut self, r: &TlsRecord) {
        Self::bump(&mut self.tls_names, r.server_name.as_deref().unwrap_or("-"), 1, &mut self.dropped);
    }

    /// Adds another shard's counts.
    pub fn merge(&mut self, o: WebSummary) {
        for (k, v) in o.http_hosts {
            Self::bump(&mut self.http_hosts, &k, v, &mut self.dropped);
        }
        for (k, v) in o.http_status {
            *self.http_status.entry(k).or_default() += v;
        }
        for row in o.http_slowest {
            self.slow(row);
        }
        for (k, v) in o.tls_names {
            Self::bump(&mut self.tls_names, &k, v, &mut self.dropped);
        }
        self.dropped += o.dropped;
    }
}

/// A handshake message type's name, as the lines show it (`ServerKeyExchange`); None for types
/// without one.
pub fn tls_handshake_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        21 => "CertificateURL",
        22 => "CertificateStatus",
        24 => "KeyUpdate",
        _ => return None,
    })
}

/// A TLS version number's name as Wireshark writes it (`TLSv1.3`).
pub fn tls_version_name(v: u16) -> &'static str {
    match v {
        0x0300 => "SSLv3",
        0x0301 => "TLSv1",
        0x0302 => "TLSv1.1",
        0x0303 => "TLSv1.2",
        0x0304 => "TLSv1.3",
        0x0200 => "SSLv2",
        _ if v & 0x0f0f == 0x0a0a => "GREASE",
        _ => "unknown",
    }
}

/// Zeek's name of a TLS alert's description (`alert_descriptions` in Zeek's ssl consts),
/// `unknown-N` otherwise.
pub fn alert_name(d: u8) -> String {
    let name = match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        117 => "general_error",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => return format!("unknown-{d}"),
    };
    name.to_string()
}

/// The same as Zeek's ssl.log writes it (`TLSv13`, `TLSv10`).
pub fn zeek_version(v: u16) -> String {
    match v {
        0x0301 => "TLSv10".into(),
        _ => tls_version_name(v).replace('.', ""),
    }
}
