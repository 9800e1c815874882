//! HTTP/1.x over a connection's reassembled byte streams: requests from the originator,
//! responses from the responder, paired in order (keep-alive and pipelining are the same rule:
//! the n-th response answers the n-th request), with each body measured by RFC 9112 6.3
//! (Content-Length, chunked, or to the end of the stream; none after HEAD, 1xx, 204, 304).
//!
//! Bytes are hostile: a message's start line and headers are kept only up to [`MAX_HEAD`]
//! bytes, requests waiting for answers up to [`MAX_PENDING`]; bodies are counted, never kept.
//! Bytes that stop making sense end the parsing of the connection with the reason, which the
//! transactions left carry (`error`). Headers are parsed by `httparse`.

use std::collections::VecDeque;

use crate::report::web::{HttpRequest, HttpResponse};
use crate::source::Ts;

/// Most bytes of one message's start line and headers.
pub const MAX_HEAD: usize = 64 << 10;
/// Most requests waiting for their responses.
pub const MAX_PENDING: usize = 64;
/// Most headers of one message.
const MAX_HEADERS: usize = 96;
/// Most bytes of a chunk-size line or a trailer line.
const MAX_LINE: u32 = 8 << 10;

/// What the parser found.
#[derive(Debug, Clone, PartialEq)]
pub enum Done {
    /// A whole request, at the frame that completed it.
    Request(HttpRequest),
    /// A whole response.
    Response(HttpResponse),
    /// A request and its response (either may be missing), ended.
    Transaction(Transaction),
}

/// One request and its response, as they ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    /// Place on the connection, from 1.
    pub depth: u32,
    /// The request, and when it began.
    pub request: Option<(HttpRequest, Ts)>,
    /// The response.
    pub response: Option<HttpResponse>,
    /// Why it is incomplete.
    pub error: Option<String>,
}

/// How the current message's body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Reading a start line and headers.
    Head,
    /// This many bytes still to come.
    Length(u64),
    /// Chunked, in this state.
    Chunked(Chunked),
    /// Up to the end of the stream.
    ToEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunked {
    /// A chunk-size line: the size so far, its digits, whether an extension began, its length.
    Size { size: u64, digits: u8, ext: bool, len: u32 },
    /// Chunk data still to come.
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines after the last chunk: this one's length so far.
    Trailer(u32),
}

/// One direction: the message being read.
#[derive(Debug, Clone)]
struct Dir {
    head: Vec<u8>,
    body: Body,
    /// Bytes of this direction handled (for the error messages).
    offset: u64,
    /// When the message being read began.
    start: Ts,
}

impl Default for Dir {
    fn default() -> Self {
        Dir { head: Vec::new(), body: Body::Head, offset: 0, start: Ts::default() }
    }
}

/// A request whose response has not ended.
#[derive(Debug, Clone)]
struct Pending {
    depth: u32,
    req: HttpRequest,
    ts: Ts,
}

/// The HTTP side of one connection.
#[derive(Debug, Clone, Default)]
pub struct Http {
    dirs: [Dir; 2],
    /// Requests not yet answered, oldest first; the last may still be reading its body.
    pending: VecDeque<Pending>,
    /// The request being read (its body not ended).
    req: Option<Pending>,
    /// The response being read.
    resp: Option<HttpResponse>,
    depth: u32,
    /// Why parsing stopped.
    stopped: Option<String>,
    /// A whole start line and headers were read.
    confirmed: bool,
    /// What the server's first bytes showed: None before they came, then whether they start an
    /// HTTP response (Zeek's rule: only then is the connection HTTP).
    server: Option<bool>,
    /// Keep the client's bytes unparsed until the server's first bytes show HTTP (when no view
    /// shows the requests' frames: most connections that start like HTTP and are not cost a
    /// copy, not a parse).
    lazy: bool,
    /// The client's bytes kept so (at most [`MAX_HEAD`]).
    held: Vec<u8>,
}

/// Whether `b` starts like an HTTP request (a method token, a space, then a target).
pub fn looks_like_request(b: &[u8]) -> bool {
    // Every connection's first bytes are asked: the first letter picks the methods to compare.
    let m: &[&[u8]] = match b.first() {
        Some(b'G') => &[b"GET "],
        Some(b'P') => &[b"POST ", b"PUT ", b"PATCH "],
        Some(b'H') => &[b"HEAD "],
        Some(b'D') => &[b"DELETE "],
        Some(b'O') => &[b"OPTIONS "],
        Some(b'C') => &[b"CONNECT "],
        Some(b'T') => &[b"TRACE "],
        _ => return false,
    };
    m.iter().any(|m| b.starts_with(m))
}

impl Http {
    /// A parser; `lazy`: see [`Http::lazy`].
    pub fn new(lazy: bool) -> Http {
        Http { lazy, ..Http::default() }
    }

    /// Whether the server's first bytes started an HTTP response.
    pub fn server_confirmed(&self) -> bool {
        self.server == Some(true)
    }

    /// Whether the server has sent bytes (which decide whether the connection is HTTP).
    pub fn server_decided(&self) -> bool {
        self.server.is_some()
    }

    /// Whether a start line and headers have been read whole (Zeek's protocol confirmation).
    pub fn confirmed(&self) -> bool {
        self.confirmed
    }

    /// Whether parsing stopped (bytes that are not HTTP, or a protocol switch).
    pub fn stopped(&self) -> bool {
        self.stopped.is_some()
    }

    /// Bytes of the originator (`from_resp` false) or responder, in order, from a segment
    /// captured at `ts`.
    pub fn data(&mut self, from_resp: bool, b: &[u8], ts: Ts, out: &mut dyn FnMut(Done)) {
        if b.is_empty() {
            return;
        }
        if from_resp && self.server.is_none() {
            let n = b.len().min(5);
            let http = b.get(..n) == b"HTTP/".get(..n);
            self.server = Some(http);
            if self.stopped.is_some() {
                // The client's bytes already stopped making sense: the server's answer only
                // says whether the error is an HTTP connection's.
                return;
            }
            if !http {
                self.stop("the server's first bytes are not an HTTP response".into());
                return;
            }
            let held = std::mem::take(&mut self.held);
            self.lazy = false;
            self.parse(false, &held, ts, out);
        }
        if self.stopped.is_some() {
            return;
        }
        if !from_resp && self.lazy && self.server.is_none() {
            if self.held.len() + b.len() <= MAX_HEAD {
                self.held.extend_from_slice(b);
                return;
            }
            // Too much to keep: parsed now after all.
            let held = std::mem::take(&mut self.held);
            self.lazy = false;
            self.parse(false, &held, ts, out);
        }
        self.parse(from_resp, b, ts, out);
    }

    fn parse(&mut self, from_resp: bool, mut b: &[u8], ts: Ts, out: &mut dyn FnMut(Done)) {
        while !b.is_empty() && self.stopped.is_none() {
            let d = usize::from(from_resp);
            let Some(dir) = self.dirs.get_mut(d) else { return };
            let used = match dir.body {
                Body::Head => self.head(from_resp, b, ts, out),
                Body::Length(n) => {
                    let take = n.min(b.len() as u64);
                    self.body_bytes(from_resp, take);
                    if let Some(dir) = self.dirs.get_mut(d) {
                        dir.body = Body::Length(n - take);
                    }
                    if n == take {
                        self.message_end(from_resp, ts, out);
                    }
                    take as usize
                }
                Body::Chunked(c) => self.chunked(from_resp, c, b, ts, out),
                Body::ToEnd => {
                    self.body_bytes(from_resp, b.len() as u64);
                    b.len()
                }
            };
            if let Some(dir) = self.dirs.get_mut(d) {
                dir.offset += used as u64;
            }
            b = b.get(used..).unwrap_or(&[]);
        }
    }

    /// `len` bytes of a direction were never seen: a body goes on after them (they count in
    /// its length); elsewhere they end the parsing.
    pub fn gap(&mut self, from_resp: bool, len: u64, ts: Ts, out: &mut dyn FnMut(Done)) {
        if self.stopped.is_some() {
            return;
        }
        let d = usize::from(from_resp);
        let Some(dir) = self.dirs.get_mut(d) else { return };
        let at = dir.offset;
        dir.offset += len;
        match dir.body {
            Body::Length(n) if len <= n => {
                dir.body = Body::Length(n - len);
                self.body_bytes(from_resp, len);
                if n == len {
                    self.message_end(from_resp, ts, out);
                }
            }
            Body::ToEnd => self.body_bytes(from_resp, len),
            _ => self.stop(format!("{len} bytes of the {} missing at offset {at}", side(from_resp))),
        }
    }

    /// The direction's stream ended (its FIN came in order): a body running to the end is whole.
    pub fn end(&mut self, from_resp: bool, ts: Ts, out: &mut dyn FnMut(Done)) {
        if self.stopped.is_some() {
            return;
        }
        if self.dirs.get(usize::from(from_resp)).is_some_and(|d| d.body == Body::ToEnd) {
            self.message_end(from_resp, ts, out);
        }
    }

    /// The connection ended: what is left becomes transactions, with why they are incomplete.
    pub fn finish(&mut self, out: &mut dyn FnMut(Done)) {
        if self.server != Some(true) {
            // Never shown to be HTTP by the server: nothing to report (Zeek's rule).
            return;
        }
        let why = self.stopped.clone();
        let resp = self.resp.take();
        let mut reqs: Vec<Pending> = self.pending.drain(..).collect();
        reqs.extend(self.req.take());
        let mut resp = resp;
        if reqs.is_empty() {
            if let Some(r) = resp.take() {
                let error = Some(why.clone().unwrap_or_else(|| "the response did not end".into()));
                out(Done::Transaction(Transaction { depth: self.depth + 1, request: None, response: Some(r), error }));
            } else if let Some(w) = why.clone() {
                // Bytes that stopped making sense before a whole message: the error alone.
                out(Done::Transaction(Transaction { depth: self.depth + 1, request: None, response: None, error: Some(w) }));
            }
        }
        for p in reqs {
            let error = match (&resp, &why) {
                (Some(_), None) => "the response did not end".to_string(),
                (_, Some(w)) => w.clone(),
                (None, None) => "no response".to_string(),
            };
            out(Done::Transaction(Transaction { depth: p.depth, request: Some((p.req, p.ts)), response: resp.take(), error: Some(error) }));
        }
    }

    fn stop(&mut self, why: String) {
        if self.stopped.is_none() {
            self.stopped = Some(why);
        }
    }

    fn body_bytes(&mut self, from_resp: bool, n: u64) {
        if from_resp {
            if let Some(r) = &mut self.resp {
                r.body_len += n;
            }
        } else if let Some(p) = &mut self.req {
            p.req.body_len += n;
        }
    }

    /// Reads a start line and headers from `b`; returns the bytes of `b` used.
    fn head(&mut self, from_resp: bool, b: &[u8], ts: Ts, out: &mut dyn FnMut(Done)) -> usize {
        let d = usize::from(from_resp);
        let Some(dir) = self.dirs.get_mut(d) else { return b.len() };
        let before = dir.head.len();
        if before == 0 {
            dir.start = ts;
        }
        // Parsed in place when the head starts here; kept only when it goes on in a later
        // segment. A kept head is parsed again only once its end may have come.
        let (buf, parse): (&[u8], bool) = if before == 0 {
            (b, true)
        } else {
            let room = MAX_HEAD.saturating_sub(before);
            dir.head.extend_from_slice(b.get(..room.min(b.len())).unwrap_or(b));
            let from = before.saturating_sub(3);
            let tail = dir.head.get(from..).unwrap_or(&[]);
            (&dir.head[..], tail.windows(2).any(|w| w == b"\n\n") || tail.windows(3).any(|w| w == b"\n\r\n"))
        };
        let parsed = if parse { parse_head(buf, from_resp) } else { Parsed::Partial };
        match parsed {
            Parsed::Partial => {
                if before == 0 {
                    if b.len() > MAX_HEAD {
                        let why = format!("the {}'s headers at offset {} run past {MAX_HEAD} bytes", side(from_resp), dir.offset);
                        self.stop(why);
                        return b.len();
                    }
                    dir.head.extend_from_slice(b);
                } else if dir.head.len() >= MAX_HEAD {
                    let at = dir.offset - before as u64;
                    self.stop(format!("the {}'s headers at offset {at} run past {MAX_HEAD} bytes", side(from_resp)));
                }
                b.len()
            }
            Parsed::Bad(why) => {
                let at = dir.offset - before as u64;
                let what = if from_resp { "an HTTP response" } else { "an HTTP request" };
                self.stop(format!("the {}'s bytes at offset {at} are not {what}: {why}", side(from_resp)));
                b.len()
            }
            Parsed::Request(req, framing, n) => {
                let used = n.saturating_sub(before);
                dir.head.clear();
                let start = dir.start;
                self.request(req, framing, start, ts, out);
                used
            }
            Parsed::Response(resp, framing, n) => {
                let used = n.saturating_sub(before);
                dir.head.clear();
                self.response(resp, framing, ts, out);
                used
            }
        }
    }

    fn request(&mut self, req: HttpRequest, framing: Framing, start: Ts, ts: Ts, out: &mut dyn FnMut(Done)) {
        if self.pending.len() >= MAX_PENDING {
            self.stop(format!("more than {MAX_PENDING} requests waiting for responses"));
            return;
        }
        self.confirmed = true;
        self.depth += 1;
        let connect = req.method == "CONNECT";
        self.req = Some(Pending { depth: self.depth, req, ts: start });
        let body = match framing {
            Framing::Chunked => Body::Chunked(Chunked::Size { size: 0, digits: 0, ext: false, len: 0 }),
            Framing::Length(n) if n > 0 => Body::Length(n),
            // A request without a length has no body (RFC 9112 6.3, point 7).
            _ => Body::Head,
        };
        if let Some(d) = self.dirs.get_mut(0) {
            d.body = body;
        }
        if body == Body::Head {
            self.message_end(false, ts, out);
        }
        if connect {
            // What follows a tunnel's request is not HTTP.
            self.stop("a CONNECT tunnel".into());
        }
    }

    fn response(&mut self, resp: HttpResponse, framing: Framing, ts: Ts, out: &mut dyn FnMut(Done)) {
        let code = resp.code;
        self.confirmed = true;
        if (100..200).contains(&code) && code != 101 {
            // An interim response: the final one follows.
            out(Done::Response(resp));
            return;
        }
        let head_req = self.pending.front().or(self.req.as_ref()).is_some_and(|p| p.req.method == "HEAD");
        self.resp = Some(resp);
        let body = if head_req || code == 101 || code == 204 || code == 304 {
            Body::Head
        } else {
            match framing {
                Framing::Chunked => Body::Chunked(Chunked::Size { size: 0, digits: 0, ext: false, len: 0 }),
                Framing::Length(0) => Body::Head,
                Framing::Length(n) => Body::Length(n),
                Framing::None => Body::ToEnd,
            }
        };
        if let Some(d) = self.dirs.get_mut(1) {
            d.body = body;
        }
        if body == Body::Head {
            self.message_end(true, ts, out);
        }
        if code == 101 {
            self.stop("the protocol was switched (101)".into());
        }
    }

    /// The message of a direction ended with the bytes of `ts`.
    fn message_end(&mut self, from_resp: bool, _ts: Ts, out: &mut dyn FnMut(Done)) {
        if let Some(d) = self.dirs.get_mut(usize::from(from_resp)) {
            d.body = Body::Head;
        }
        if from_resp {
            let Some(resp) = self.resp.take() else { return };
            out(Done::Response(resp.clone()));
            let req = match self.pending.pop_front() {
                Some(p) => Some(p),
                // Answered before its body ended.
                None => self.req.take(),
            };
            let depth = req.as_ref().map_or(self.depth + 1, |p| p.depth);
            if req.is_none() {
                self.depth += 1;
            }
            out(Done::Transaction(Transaction { depth, request: req.map(|p| (p.req, p.ts)), response: Some(resp), error: None }));
        } else if let Some(p) = self.req.take() {
            out(Done::Request(p.req.clone()));
            self.pending.push_back(p);
        }
    }

    /// Chunked body bytes; returns the bytes of `b` used.
    fn chunked(&mut self, from_resp: bool, mut c: Chunked, b: &[u8], ts: Ts, out: &mut dyn FnMut(Done)) -> usize {
        let mut i = 0usize;
        while let Some(&byte) = b.get(i) {
            match c {
                Chunked::Data(n) => {
                    let take = n.min((b.len() - i) as u64);
                    self.body_bytes(from_resp, take);
                    i += take as usize;
                    c = if n == take { Chunked::DataEnd } else { Chunked::Data(n - take) };
                    continue;
                }
                Chunked::Size { size, digits, ext, len } => {
                    if len >= MAX_LINE {
                        self.stop(format!("a chunk-size line of the {} longer than {MAX_LINE} bytes", side(from_resp)));
                        return b.len();
                    }
                    c = match byte {
                        b'\n' if digits == 0 => {
                            self.stop(format!("a chunk of the {} without a size", side(from_resp)));
                            return b.len();
                        }
                        b'\n' if size == 0 => Chunked::Trailer(0),
                        b'\n' => Chunked::Data(size),
                        b'\r' => c,
                        _ if ext => Chunked::Size { size, digits, ext, len: len + 1 },
                        b';' | b' ' | b'\t' => Chunked::Size { size, digits, ext: true, len: len + 1 },
                        _ => match (byte as char).to_digit(16) {
                            Some(v) if digits < 16 => Chunked::Size { size: size << 4 | u64::from(v), digits: digits + 1, ext, len: len + 1 },
                            Some(_) => {
                                self.stop(format!("a chunk size of the {} beyond 16 hex digits", side(from_resp)));
                                return b.len();
                            }
                            None => {
                                self.stop(format!("a chunk size of the {} that is not a number", side(from_resp)));
                                return b.len();
                            }
                        },
                    };
                }
                Chunked::DataEnd => {
                    c = match byte {
                        b'\r' => c,
                        b'\n' => Chunked::Size { size: 0, digits: 0, ext: false, len: 0 },
                        _ => {
                            self.stop(format!("chunk data of the {} not followed by a line end", side(from_resp)));
                            return b.len();
                        }
                    };
                }
                Chunked::Trailer(len) => {
                    c = match byte {
                        b'\r' => c,
                        b'\n' if len == 0 => {
                            if let Some(d) = self.dirs.get_mut(usize::from(from_resp)) {
                                d.body = Body::Head;
                            }
                            self.message_end(from_resp, ts, out);
                            return i + 1;
                        }
                        b'\n' => Chunked::Trailer(0),
                        _ if len >= MAX_LINE => {
                            self.stop(format!("a trailer line of the {} longer than {MAX_LINE} bytes", side(from_resp)));
                            return b.len();
                        }
                        _ => Chunked::Trailer(len + 1),
                    };
                }
            }
            i += 1;
        }
        if let Some(d) = self.dirs.get_mut(usize::from(from_resp)) {
            d.body = Body::Chunked(c);
        }
        i
    }
}

fn side(from_resp: bool) -> &'static str {
    if from_resp { "server" } else { "client" }
}

/// How a message says its body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
}

enum Parsed {
    Partial,
    Bad(String),
    Request(HttpRequest, Framing, usize),
    Response(HttpResponse, Framing, usize),
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The start line and headers at the start of `b`.
fn parse_head(b: &[u8], from_resp: bool) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    if from_resp {
        let mut r = httparse::Response::new(&mut headers);
        match r.parse(b) {
            Ok(httparse::Status::Partial) => Parsed::Partial,
            Err(e) => Parsed::Bad(e.to_string()),
            Ok(httparse::Status::Complete(n)) => {
                let framing = match framing(r.headers) {
                    Ok(f) => f,
                    Err(e) => return Parsed::Bad(e),
                };
                let resp = HttpResponse {
                    version: format!("HTTP/1.{}", r.version.unwrap_or(1)),
                    code: r.code.unwrap_or(0),
                    phrase: r.reason.unwrap_or("").to_string(),
                    content_type: header(r.headers, "content-type").map(text),
                    content_length: match framing {
                        Framing::Length(n) => Some(n),
                        _ => None,
                    },
                    chunked: framing == Framing::Chunked,
                    body_len: 0,
                };
                Parsed::Response(resp, framing, n)
            }
        }
    } else {
        let mut r = httparse::Request::new(&mut headers);
        match r.parse(b) {
            Ok(httparse::Status::Partial) => Parsed::Partial,
            Err(e) => Parsed::Bad(e.to_string()),
            Ok(httparse::Status::Complete(n)) => {
                let framing = match framing(r.headers) {
                    Ok(f) => f,
                    Err(e) => return Parsed::Bad(e),
                };
                let req = HttpRequest {
                    method: r.method.unwrap_or("").to_string(),
                    uri: r.path.unwrap_or("").to_string(),
                    version: format!("HTTP/1.{}", r.version.unwrap_or(1)),
                    host: header(r.headers, "host").map(text),
                    user_agent: header(r.headers, "user-agent").map(text),
                    content_type: header(r.headers, "content-type").map(text),
                    content_length: match framing {
                        Framing::Length(n) => Some(n),
                        _ => None,
                    },
                    body_len: 0,
                };
                Parsed::Request(req, framing, n)
            }
        }
    }
}

fn header<'a>(h: &[httparse::Header<'a>], name: &str) -> Option<&'a [u8]> {
    h.iter().find(|x| x.name.eq_ignore_ascii_case(name)).map(|x| x.value)
}

/// The framing the headers give (RFC 9112 6.1, 6.3): chunked when it is the last transfer
/// coding; else Content-Length, which must be one number (repeated values must agree).
fn framing(h: &[httparse::Header<'_>]) -> Result<Framing, String> {
    let te = h.iter().rfind(|x| x.name.eq_ignore_ascii_case("transfer-encoding"));
    if let Some(te) = te {
        let last = te.value.split(|&c| c == b',').next_back().unwrap_or(&[]);
        if last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
            return Ok(Framing::Chunked);
        }
    }
    let mut len: Option<u64> = None;
    for x in h.iter().filter(|x| x.name.eq_ignore_ascii_case("content-length")) {
        for v in x.value.split(|&c| c == b',') {
            let v = v.trim_ascii();
            let n = std::str::from_utf8(v)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| format!("a Content-Length that is not a number ({:?})", String::from_utf8_lossy(v.get(..v.len().min(40)).unwrap_or(v))))?;
            if len.is_some_and(|l| l != n) {
                return Err("Content-Length values that differ".into());
            }
            len = Some(n);
        }
    }
    Ok(len.map_or(Framing::None, Framing::Length))
}

#[cfg(test)]
mod test {
    use super::*;

    fn run(steps: &[(bool, &[u8])], fin: bool) -> (Vec<Done>, Http) {
        let mut h = Http::default();
        let mut got = Vec::new();
        for (resp, b) in steps {
            h.data(*resp, b, Ts::default(), &mut |d| got.push(d));
        }
        if fin {
            h.end(true, Ts::default(), &mut |d| got.push(d));
        }
        h.finish(&mut |d| got.push(d));
        (got, h)
    }

    fn txns(d: &[Done]) -> Vec<&Transaction> {
        d.iter().filter_map(|d| if let Done::Transaction(t) = d { Some(t) } else { None }).collect()
    }

    #[test]
    fn pipelined_requests_pair_with_responses_in_order() {
        let reqs = b"GET /a HTTP/1.1\r\nHost: h\r\nUser-Agent: t/1\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\nPOST /c HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
        let resps = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n4;x=1\r\nabcd\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
        // Split anywhere: the same transactions.
        for cut in [1usize, 7, 40, resps.len()] {
            let (a, b) = resps.split_at(cut.min(resps.len()));
            let (d, h) = run(&[(false, reqs), (true, a), (true, b)], false);
            let t = txns(&d);
            assert_eq!(t.len(), 3, "cut {cut}: {d:?}");
            assert!(!h.stopped());
            let (r0, r1, r2) = (t[0], t[1], t[2]);
            assert_eq!(r0.request.as_ref().map(|r| (r.0.uri.as_str(), r.0.host.as_deref(), r.0.user_agent.as_deref())), Some(("/a", Some("h"), Some("t/1"))));
            let resp0 = r0.response.as_ref().unwrap();
            assert_eq!((resp0.body_len, resp0.chunked, resp0.content_type.as_deref()), (20, true, Some("text/plain")));
            // The response to HEAD has no body despite its Content-Length.
            assert_eq!(r1.response.as_ref().map(|r| r.body_len), Some(0));
            assert_eq!(r2.request.as_ref().map(|r| r.0.body_len), Some(3));
            assert_eq!(r2.response.as_ref().map(|r| (r.code, r.phrase.as_str(), r.body_len)), Some((201, "Created", 2)));
            assert_eq!(t.iter().map(|t| t.depth).collect::<Vec<_>>(), [1, 2, 3]);
            assert!(t.iter().all(|t| t.error.is_none()));
        }
    }

    #[test]
    fn a_body_without_length_runs_to_the_end_of_the_stream() {
        let (d, _) = run(&[(false, b"GET / HTTP/1.0\r\n\r\n"), (true, b"HTTP/1.0 200 OK\r\n\r\nto the end")], true);
        let t = txns(&d);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].response.as_ref().map(|r| r.body_len), Some(10));
        assert_eq!(t[0].error, None);
        // Without the end, the response did not end.
        let (d, _) = run(&[(false, b"GET / HTTP/1.0\r\n\r\n"), (true, b"HTTP/1.0 200 OK\r\n\r\nto the")], false);
        assert_eq!(txns(&d)[0].error.as_deref(), Some("the response did not end"));
    }

    #[test]
    fn interim_responses_and_unanswered_requests() {
        let (d, _) = run(&[(false, b"PUT /x HTTP/1.1\r\nContent-Length: 1\r\n\r\nz"), (true, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"), (false, b"GET /y HTTP/1.1\r\n\r\n")], false);
        let t = txns(&d);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].response.as_ref().map(|r| r.code), Some(204));
        assert_eq!((t[1].depth, t[1].error.as_deref()), (2, Some("no response")));
    }

    #[test]
    fn hostile_bytes_stop_parsing_with_a_reason() {
        // A request line of 1 MB: stopped at the cap, nothing kept past it.
        let mut big = b"GET /".to_vec();
        big.extend(std::iter::repeat_n(b'a', 1 << 20));
        for step in [big.len(), 1000] {
            let mut h = Http::default();
            for part in big.chunks(step) {
                h.data(false, part, Ts::default(), &mut |_| {});
                assert!(h.dirs[0].head.len() <= MAX_HEAD);
            }
            assert!(h.stopped.as_deref().is_some_and(|s| s.contains("run past")), "{:?}", h.stopped);
        }
        // Lengths past the end, or not numbers.
        let (d, h) = run(&[(false, b"GET / HTTP/1.1\r\n\r\n"), (true, b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n")], false);
        assert!(h.stopped.as_deref().is_some_and(|s| s.contains("not a number")), "{d:?}");
        let (d, _) = run(&[(false, b"GET / HTTP/1.1\r\n\r\n"), (true, b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nshort")], false);
        assert_eq!(txns(&d)[0].error.as_deref(), Some("the response did not end"));
        let (_, h) = run(&[(false, b"GET / HTTP/1.1\r\n\r\n"), (true, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n")], false);
        assert!(h.stopped.as_deref().is_some_and(|s| s.contains("16 hex digits")));
        let (_, h) = run(&[(true, b"\x16\x03\x01\x00\x05hello\r\n\r\n")], false);
        assert!(h.stopped.as_deref().is_some_and(|s| s.contains("not an HTTP response")));
        // Requests never answered: bounded.
        let many = b"GET / HTTP/1.1\r\n\r\n".repeat(MAX_PENDING + 5);
        let (_, h) = run(&[(false, &many)], false);
        assert!(h.stopped());
        assert_eq!(h.pending.len(), MAX_PENDING);
    }

    #[test]
    fn only_a_server_that_answers_http_makes_a_connection_http() {
        let req: &[u8] = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
        for lazy in [false, true] {
            let mut h = Http::new(lazy);
            let mut got = Vec::new();
            h.data(false, req, Ts::default(), &mut |d| got.push(d));
            // Kept, not parsed, until the server's first bytes.
            assert_eq!(h.held.len(), if lazy { req.len() } else { 0 });
            h.data(true, b"GET /a HTTP/1.1\r\n\r\n", Ts::default(), &mut |d| got.push(d));
            h.finish(&mut |d| got.push(d));
            assert!(h.stopped() && !h.server_confirmed());
            assert!(txns(&got).is_empty(), "{got:?}");
            let mut h = Http::new(lazy);
            let mut got = Vec::new();
            h.data(false, req, Ts::default(), &mut |d| got.push(d));
            h.data(true, b"HTTP/1.1 204 No Content\r\n\r\n", Ts::default(), &mut |d| got.push(d));
            assert_eq!(txns(&got).len(), 1);
            assert_eq!(txns(&got)[0].request.as_ref().map(|r| r.0.uri.as_str()), Some("/a"));
        }
    }
}
