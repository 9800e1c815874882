//! One TCP connection's application protocol, chosen from its content, not its port: the
//! first bytes the connection carries (either way) start an HTTP request or a TLS handshake
//! record, or the connection is left alone. DNS is the exception: as in tcpdump, Wireshark and
//! Zeek, a connection on its port (53, or one named with `--decode-as tcp.port==N,dns`) is
//! read as DNS, and on mDNS's 5353 as in Wireshark (its messages' fields only: Zeek logs no
//! DNS there). Only connections so chosen have their streams
//! reassembled for the application layer, which keeps `read` as fast for the rest (see
//! docs/APPLICATION.md).
//!
//! The session takes the reassembled bytes of both directions and hands on what its parser
//! found as [`Found`] items: whole messages (shown with the frame that completed them) and
//! transactions (an HTTP request with its response, a TLS handshake's names).

use super::dnstcp::DnsTcp;
use super::http::{self, Http};
use super::tls::{self, Tls};
use crate::analyze::stream::reassembly::Chunk;
use crate::report::web::{HttpRecord, Message, TlsRecord};
use crate::source::Ts;

/// The protocol of a connection, with its parser's state.
#[derive(Debug, Clone)]
pub enum Session {
    /// HTTP/1.x.
    Http(Box<Http>),
    /// A TLS handshake.
    Tls(Box<TlsSession>),
    /// DNS messages, each after its 2-byte length.
    Dns(Box<DnsSession>),
}

/// DNS over TCP, whether a message parsed (Zeek's confirmation of the protocol), and whether
/// Zeek logs DNS on this connection's port (see [`crate::decode::app::tcp_logged`]).
#[derive(Debug, Clone, Default)]
pub struct DnsSession {
    dns: DnsTcp,
    confirmed: bool,
    logged: bool,
}

/// A TLS handshake, and when its ClientHello came. Its record goes out when the handshake is
/// established or the connection ends, as Zeek logs it.
#[derive(Debug, Clone, Default)]
pub struct TlsSession {
    tls: Tls,
    ts: Option<Ts>,
    /// The record was handed on.
    told: bool,
}

/// What a session found.
#[derive(Debug, Clone)]
pub enum Found {
    /// A whole message, completed by the current frame.
    Message(Message),
    /// An HTTP transaction, with the seconds from its request's start to its response's end
    /// (None: not answered); the connection's names are filled in by the caller.
    Http(Box<HttpRecord>, Option<f64>),
    /// A TLS handshake's names and outcome.
    Tls(Box<TlsRecord>),
    /// A whole DNS message (without its length prefix), completed by the current frame, and
    /// whether Zeek logs it (dns.log).
    Dns(Vec<u8>, bool),
}

impl Session {
    /// Whether a connection whose first bytes are `first` (the originator's) may carry a
    /// protocol this layer reads.
    pub fn recognises(first: &[u8]) -> bool {
        http::looks_like_request(first) || tls::looks_like_handshake(first)
    }

    /// The session for a connection whose first bytes are `first` (the originator's), if they
    /// start a protocol this layer reads; `lazy` when no view shows the messages' frames.
    pub fn detect(first: &[u8], lazy: bool) -> Option<Session> {
        if http::looks_like_request(first) {
            Some(Session::Http(Box::new(Http::new(lazy))))
        } else if tls::looks_like_handshake(first) {
            // Every record's version is shown on its frame when frames are shown.
            Some(Session::Tls(Box::new(TlsSession { tls: Tls::new(!lazy), ..TlsSession::default() })))
        } else {
            None
        }
    }

    /// The session of a connection on a DNS port; `logged` when Zeek logs DNS on it.
    pub fn dns(logged: bool) -> Session {
        Session::Dns(Box::new(DnsSession { logged, ..DnsSession::default() }))
    }

    /// Zeek's name for the service, once the bytes have shown it (a whole request or response,
    /// a hello).
    pub fn service(&self) -> Option<&'static str> {
        match self {
            Session::Http(h) => (h.confirmed() && h.server_confirmed()).then_some("http"),
            Session::Tls(t) => (t.tls.confirmed() == Some(true)).then_some("ssl"),
            Session::Dns(d) => (d.confirmed && d.logged).then_some("dns"),
        }
    }

    /// The service the bytes first confirmed and then broke (Zeek takes it back then).
    pub fn failed_service(&self) -> Option<&'static str> {
        match self {
            Session::Tls(t) => (t.tls.confirmed() == Some(false)).then_some("ssl"),
            _ => None,
        }
    }

    /// Whether nothing more is to be learnt from this connection's bytes.
    pub fn finished(&self) -> bool {
        match self {
            // A stop is reported once the server's first bytes have said whether the
            // connection is HTTP at all.
            Session::Http(h) => h.stopped() && h.server_decided(),
            Session::Tls(t) => t.tls.finished(),
            // Read to the end: a connection may carry any number of messages.
            Session::Dns(_) => false,
        }
    }

    /// Whether a session that shows no frames would have finished by now: only a TLS session
    /// followed past its establishment for its records' versions goes on.
    pub fn past_lazy_end(&self) -> bool {
        matches!(self, Session::Tls(t) if t.tls.established)
    }

    /// A piece of the originator's (`from_resp` false) or responder's reassembled stream, at
    /// time `now` (the current frame's).
    pub fn chunk(&mut self, from_resp: bool, c: Chunk<'_>, now: Ts, out: &mut dyn FnMut(Found)) {
        match self {
            Session::Http(h) => {
                let mut each = |d: http::Done| http_found(d, now, out);
                match c {
                    Chunk::Data { bytes, origin, .. } => h.data(from_resp, bytes, origin.ts, &mut each),
                    Chunk::Gap { len, .. } => h.gap(from_resp, len, now, &mut each),
                }
            }
            Session::Tls(t) => {
                match c {
                    Chunk::Data { bytes, origin, .. } => {
                        if !from_resp && t.ts.is_none() {
                            t.ts = Some(origin.ts);
                        }
                        t.tls.data(from_resp, bytes, &mut |d| {
                            out(Found::Message(match d {
                                tls::Done::Client(h) => Message::ClientHello(h),
                                tls::Done::Server(h) => Message::ServerHello(h),
                                tls::Done::Other(k) => Message::TlsHandshake(k),
                                tls::Done::Record(v) => Message::TlsRecord(v),
                            }))
                        });
                        // When records are followed past the handshake, its record goes out
                        // when it is established, as Zeek logs it.
                        if t.tls.established && !t.told {
                            t.told = true;
                            out(Found::Tls(Box::new(tls_record(t))));
                        }
                    }
                    Chunk::Gap { len, .. } => t.tls.gap(from_resp, len),
                }
            }
            Session::Dns(d) => match c {
                Chunk::Data { bytes, .. } => {
                    let (confirmed, logged) = (&mut d.confirmed, d.logged);
                    d.dns.data(from_resp, bytes, &mut |m| {
                        *confirmed |= crate::decode::app::dns::parse(&m).is_ok();
                        out(Found::Dns(m, logged))
                    });
                }
                Chunk::Gap { .. } => d.dns.gap(from_resp),
            },
        }
    }

    /// The originator's (`from_resp` false) or responder's stream ended in order.
    pub fn end(&mut self, from_resp: bool, now: Ts, out: &mut dyn FnMut(Found)) {
        if let Session::Http(h) = self {
            h.end(from_resp, now, &mut |d| http_found(d, now, out));
        }
    }

    /// The connection ended: what is left is handed on, incomplete.
    pub fn finish(&mut self, now: Ts, out: &mut dyn FnMut(Found)) {
        match self {
            Session::Http(h) => h.finish(&mut |d| http_found(d, now, out)),
            Session::Tls(t) => {
                // Zeek logs every connection whose client sent a hello (from 5.0 on its analyzer
                // is enabled by the client's hello alone), whatever the server answered.
                if !t.told && (t.tls.client.is_some() || (t.tls.server_seen() && t.tls.error().is_some())) {
                    t.told = true;
                    out(Found::Tls(Box::new(tls_record(t))));
                }
            }
            Session::Dns(_) => {}
        }
    }
}

fn http_found(d: http::Done, now: Ts, out: &mut dyn FnMut(Found)) {
    match d {
        http::Done::Request(r) => out(Found::Message(Message::HttpRequest(r))),
        http::Done::Response(r) => out(Found::Message(Message::HttpResponse(r))),
        http::Done::Transaction(t) => {
            let answered = t.response.is_some() && t.error.is_none();
            let start = t.request.as_ref().map(|r| r.1);
            let secs = match (answered, start) {
                (true, Some(s)) => Some(now.as_secs_f64() - s.as_secs_f64()),
                _ => None,
            };
            let (req, ts) = t.request.map_or((None, now), |(r, ts)| (Some(r), ts));
            let rec = HttpRecord {
                ts: ts.as_secs_f64(),
                uid: String::new(),
                id: crate::report::web::Ends::unknown(),
                trans_depth: t.depth,
                method: req.as_ref().map(|r| r.method.clone()),
                host: req.as_ref().and_then(|r| r.host.clone()),
                uri: req.as_ref().map(|r| r.uri.clone()),
                version: req.as_ref().map(|r| r.version.trim_start_matches("HTTP/").to_string()),
                user_agent: req.as_ref().and_then(|r| r.user_agent.clone()),
                request_body_len: req.as_ref().map_or(0, |r| r.body_len),
                response_body_len: t.response.as_ref().map_or(0, |r| r.body_len),
                status_code: t.response.as_ref().map(|r| r.code),
                status_msg: t.response.as_ref().map(|r| r.phrase.clone()),
                error: t.error,
            };
            out(Found::Http(Box::new(rec), secs));
        }
    }
}

fn tls_record(t: &TlsSession) -> TlsRecord {
    let c = t.tls.client.as_ref();
    let s = t.tls.server.as_ref();
    let fps = fps(&t.tls);
    TlsRecord {
        ts: t.ts.map_or(0.0, |t| t.as_secs_f64()),
        uid: String::new(),
        id: crate::report::web::Ends::unknown(),
        version: s.map(|h| crate::report::web::zeek_version(h.version)),
        cipher: s.map(|h| h.cipher.clone()),
        curve: t.tls.curve().map(tls::curve_name),
        server_name: c.and_then(|h| h.server_name.clone()),
        resumed: t.tls.resumed(),
        next_protocol: s.and_then(|h| h.alpn.clone()),
        established: t.tls.established,
        last_alert: t.tls.last_alert().map(crate::report::web::alert_name),
        ssl_history: t.tls.history().to_string(),
        cert_chain_fps: fps.as_ref().map(|f| f[0].clone()),
        client_cert_chain_fps: fps.map(|[_, c]| c),
        sni_matches_cert: t.tls.sni_matches_cert(),
        error: t.tls.error().map(str::to_string),
    }
}

/// Zeek's `cert_chain_fps` and `client_cert_chain_fps`: both set (empty or not) once either side
/// sent a certificate, both unset otherwise.
fn fps(t: &Tls) -> Option<[Vec<String>; 2]> {
    let hex = |fps: &[[u8; 32]]| -> Vec<String> {
        fps.iter().map(|f| f.iter().map(|b| format!("{b:02x}")).collect()).collect()
    };
    let (server, client) = (t.fingerprints(true), t.fingerprints(false));
    (!server.is_empty() || !client.is_empty()).then(|| [hex(server), hex(client)])
}

/// How a run's application layer works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppConfig {
    /// The caps of the streams reassembled for it (when `--reassemble` reassembles none).
    pub streams: crate::analyze::stream::StreamConfig,
    /// Whole messages are wanted as events (packets are shown).
    pub messages: bool,
}
