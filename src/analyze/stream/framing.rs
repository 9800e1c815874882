//! Where an application's messages begin and end in a byte stream, by the framing rule it uses:
//! lines, a 2- or 4-byte big-endian length before each message (the fix the socket course
//! teaches for "sticky packets"), or HTTP/1.x messages (headers, then a body of
//! `Content-Length` bytes, chunked, or to the end of the stream). What `follow --segments` lays
//! over the segments that carried the bytes.

use std::collections::VecDeque;
use std::ops::Range;

/// A framing rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Framing {
    /// Each message ends with a line feed.
    Line,
    /// Each message starts with its length in 2 bytes, big-endian (the header is part of it).
    Len2,
    /// Each message starts with its length in 4 bytes, big-endian.
    Len4,
    /// HTTP/1.x requests or responses.
    Http,
}

/// The messages found in one direction's bytes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Messages {
    /// Each complete message's bytes, as offsets in the stream.
    pub whole: Vec<Range<u64>>,
    /// Where the bytes before the first gap stopped making sense, or ended inside a message:
    /// the offset and why.
    pub stopped: Option<(u64, String)>,
    /// HTTP framing: how many of the whole messages are requests and how many responses (a
    /// capture that missed a direction's start can show a server's bytes first).
    pub http: Option<(u64, u64)>,
    /// After each gap, where the bytes resumed and where framing picked up again (the first
    /// message start found after it), or None when the bytes after it held none.
    pub resumed: Vec<(u64, Option<u64>)>,
    /// Where the bytes after a gap stopped making sense, or ended inside a message.
    pub later: Vec<(u64, String)>,
}

/// What one HTTP direction needs of the other: the methods of the requests, in order (a
/// response to HEAD has no body).
pub type Methods = VecDeque<Vec<u8>>;

/// Finds the messages of `bytes` (one direction's stream from offset 0; `ended` when the
/// direction's FIN was seen, so that a body running to the end is complete). A request's method
/// goes into `methods`; a response takes the next one out.
pub fn messages(bytes: &[u8], framing: Framing, ended: bool, methods: &mut Methods) -> Messages {
    let mut m = Messages::default();
    if framing == Framing::Http {
        m.http = Some((0, 0));
    }
    m.stopped = frame_run(bytes, 0, framing, ended, methods, &mut m);
    m
}

/// [`messages`] over a direction whose bytes came in runs, each after bytes missing from the
/// capture (`runs`: each run's offset and bytes, the first from offset 0; `starts`: the offsets
/// where segments began, in order). As tshark does, framing picks up after a gap at the next
/// message start: for lines, after the first line end; otherwise at the first segment that
/// starts with a message (an HTTP start line; a length header whose message ends where a
/// segment begins or the run ends, since senders flush at message ends). `ended` is for the
/// last run.
pub fn messages_in_runs(runs: &[(u64, &[u8])], starts: &[u64], framing: Framing, ended: bool, methods: &mut Methods) -> Messages {
    let mut m = Messages::default();
    if framing == Framing::Http {
        m.http = Some((0, 0));
    }
    for (k, &(at, bytes)) in runs.iter().enumerate() {
        let last = k + 1 == runs.len();
        if k == 0 && at == 0 {
            m.stopped = frame_run(bytes, 0, framing, ended && last, methods, &mut m);
            continue;
        }
        let Some(from) = resync(bytes, at, starts, framing) else {
            m.resumed.push((at, None));
            continue;
        };
        m.resumed.push((at, Some(at + from as u64)));
        if let Some(stop) = frame_run(bytes.get(from..).unwrap_or(&[]), at + from as u64, framing, ended && last, methods, &mut m) {
            m.later.push(stop);
        }
    }
    m
}

/// Where in `bytes` (a run after a gap, at stream offset `at`) the first message starts.
fn resync(bytes: &[u8], at: u64, starts: &[u64], framing: Framing) -> Option<usize> {
    if framing == Framing::Line {
        return bytes.iter().position(|&b| b == b'\n').map(|i| i + 1).filter(|&i| i < bytes.len());
    }
    let end = at + bytes.len() as u64;
    let first = starts.partition_point(|&s| s < at);
    starts.get(first..).unwrap_or(&[]).iter().take_while(|&&s| s < end).find_map(|&s| {
        let i = usize::try_from(s - at).ok()?;
        let rest = bytes.get(i..)?;
        let boundary = |n: usize| {
            let e = s.checked_add(n as u64)?;
            (e == end || starts.binary_search(&e).is_ok()).then_some(i)
        };
        match framing {
            Framing::Len2 => boundary(usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?])) + 2),
            Framing::Len4 => boundary((u32::from_be_bytes([*rest.first()?, *rest.get(1)?, *rest.get(2)?, *rest.get(3)?]) as usize).checked_add(4)?),
            Framing::Http => http_start(rest).then_some(i),
            Framing::Line => None,
        }
    })
}

/// Whether `b` starts with an HTTP/1.x request or status line.
fn http_start(b: &[u8]) -> bool {
    let line = b.split(|&c| c == b'\n').next().unwrap_or(&[]);
    if line.starts_with(b"HTTP/1.") {
        return true;
    }
    let method = line.split(|&c| c == b' ').next().unwrap_or(&[]);
    !method.is_empty() && method.len() < line.len() && method.iter().all(u8::is_ascii_uppercase) && line.windows(7).any(|w| w == b"HTTP/1.")
}

/// Frames `bytes` (at stream offset `base`) into `m`: where it stopped, if it did.
fn frame_run(bytes: &[u8], base: u64, framing: Framing, ended: bool, methods: &mut Methods, m: &mut Messages) -> Option<(u64, String)> {
    let mut at = 0usize;
    while at < bytes.len() {
        let rest = bytes.get(at..).unwrap_or(&[]);
        let len = match framing {
            Framing::Line => rest.iter().position(|&b| b == b'\n').map(|i| Ok(i + 1)),
            Framing::Len2 => rest.get(..2).map(|h| Ok(usize::from(u16::from_be_bytes([h[0], h[1]])) + 2)),
            Framing::Len4 => rest.get(..4).map(|h| {
                let n = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
                n.checked_add(4).ok_or_else(|| "a length header beyond any message".to_string())
            }),
            Framing::Http => http_message(rest, ended, methods),
        };
        let here = base + at as u64;
        match len {
            Some(Ok(n)) if n > 0 && n <= rest.len() => {
                if let Some((req, resp)) = &mut m.http {
                    *if rest.starts_with(b"HTTP/") { resp } else { req } += 1;
                }
                m.whole.push(here..here + n as u64);
                at += n;
            }
            Some(Ok(n)) if n > rest.len() => return Some((here, format!("the stream ends {} bytes into a message of {n}", rest.len()))),
            Some(Err(why)) => return Some((here, why)),
            _ => return Some((here, format!("the stream ends {} bytes into a message", rest.len()))),
        }
    }
    None
}

/// The length of the HTTP message at the start of `b`: None if it does not end within `b`,
/// an error if `b` does not start with one.
fn http_message(b: &[u8], ended: bool, methods: &mut Methods) -> Option<Result<usize, String>> {
    let head_end = find(b, b"\r\n\r\n").map(|i| i + 4)?;
    let head = b.get(..head_end)?;
    let first = head.split(|&c| c == b'\n').next().unwrap_or(&[]);
    let response = first.starts_with(b"HTTP/");
    if !response {
        let method = first.split(|&c| c == b' ').next().unwrap_or(&[]);
        if method.is_empty() || !method.iter().all(u8::is_ascii_uppercase) || !first.windows(5).any(|w| w == b"HTTP/") {
            return Some(Err("not an HTTP request line".into()));
        }
        methods.push_back(method.to_vec());
    }
    let status = if response {
        let code = first.split(|&c| c == b' ').nth(1).and_then(|c| std::str::from_utf8(c).ok()).and_then(|c| c.parse::<u16>().ok());
        let Some(code) = code else { return Some(Err("not an HTTP status line".into())) };
        Some(code)
    } else {
        None
    };
    // RFC 9112 6.3: what ends the body.
    let head_request = response && methods.pop_front().is_some_and(|m| m == b"HEAD");
    if let Some(code) = status {
        if head_request || (100..200).contains(&code) || code == 204 || code == 304 {
            return Some(Ok(head_end));
        }
    }
    let body = b.get(head_end..).unwrap_or(&[]);
    if header_has(head, b"transfer-encoding", b"chunked") {
        return chunked(body).map(|r| r.map(|n| head_end + n));
    }
    if let Some(v) = header(head, b"content-length") {
        let Some(n) = std::str::from_utf8(v).ok().and_then(|v| v.trim().parse::<usize>().ok()) else {
            return Some(Err("a Content-Length that is not a number".into()));
        };
        return Some(Ok(head_end.saturating_add(n)));
    }
    if response {
        // No length: the body runs to the end of the stream.
        return if ended { Some(Ok(b.len())) } else { None };
    }
    Some(Ok(head_end))
}

/// The length of a chunked body at the start of `b` (its chunks, the last one, trailers).
fn chunked(b: &[u8]) -> Option<Result<usize, String>> {
    let mut at = 0usize;
    loop {
        let line_end = find(b.get(at..)?, b"\r\n")?;
        let line = b.get(at..at + line_end)?;
        let size = line.split(|&c| c == b';').next().unwrap_or(&[]);
        let Some(n) = std::str::from_utf8(size).ok().and_then(|s| usize::from_str_radix(s.trim(), 16).ok()) else {
            return Some(Err("a chunk size that is not a number".into()));
        };
        at += line_end + 2;
        if n == 0 {
            // Trailers, then an empty line.
            loop {
                let end = find(b.get(at..)?, b"\r\n")?;
                at += end + 2;
                if end == 0 {
                    return Some(Ok(at));
                }
            }
        }
        at = at.checked_add(n)?.checked_add(2)?;
        if at > b.len() {
            return None;
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A header's value (the first of that name, any case).
fn header<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    head.split(|&c| c == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&c| c == b':')?;
        let (k, v) = (line.get(..colon)?, line.get(colon + 1..)?);
        k.eq_ignore_ascii_case(name).then(|| v.strip_suffix(b"\r").unwrap_or(v))
    })
}

fn header_has(head: &[u8], name: &[u8], token: &[u8]) -> bool {
    header(head, name).is_some_and(|v| v.split(|&c| c == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(token)))
}

#[cfg(test)]
mod test {
    use super::*;

    fn ranges(bytes: &[u8], f: Framing, ended: bool) -> (Vec<(u64, u64)>, Option<u64>) {
        let m = messages(bytes, f, ended, &mut Methods::new());
        (m.whole.iter().map(|r| (r.start, r.end)).collect(), m.stopped.map(|s| s.0))
    }

    #[test]
    fn length_headers_split_stuck_messages() {
        let mut b = Vec::new();
        for m in [&b"hello"[..], b"", b"world!"] {
            b.extend((m.len() as u16).to_be_bytes());
            b.extend(m);
        }
        b.extend([0, 9, b'x']);
        assert_eq!(ranges(&b, Framing::Len2, false), (vec![(0, 7), (7, 9), (9, 17)], Some(17)));
        assert_eq!(ranges(&[0, 0, 0, 2, 1, 2], Framing::Len4, false), (vec![(0, 6)], None));
        assert_eq!(ranges(b"a\nbc\nd", Framing::Line, false), (vec![(0, 2), (2, 5)], Some(5)));
    }

    #[test]
    fn framing_picks_up_at_the_next_message_after_a_gap() {
        let msg = |s: &[u8]| {
            let mut b = (s.len() as u16).to_be_bytes().to_vec();
            b.extend(s);
            b
        };
        // A run cut in the middle of a message, then a gap, then a run whose first segment starts
        // inside a message and whose second starts one (whose message ends at the run's end).
        let first = [msg(b"abc"), msg(b"defgh")].concat();
        let tail = [&msg(b"xyz")[3..], &msg(b"kl")[..]].concat();
        let runs = [(0u64, &first[..7]), (20, &tail[..])];
        let m = messages_in_runs(&runs, &[0, 20, 22], Framing::Len2, false, &mut Methods::new());
        assert_eq!(m.whole, vec![0..5, 22..26]);
        assert_eq!(m.resumed, vec![(20, Some(22))]);
        assert_eq!(m.stopped.map(|s| s.0), Some(5));
        // No segment after the gap starts a message whose end is a boundary: none is found.
        let m = messages_in_runs(&runs, &[0, 20], Framing::Len2, false, &mut Methods::new());
        assert_eq!((m.whole.len(), m.resumed.clone()), (1, vec![(20, None)]));
        // Lines pick up after the first line end; HTTP at a segment with a start line.
        let m = messages_in_runs(&[(0, b"a\n"), (10, b"tail\nnext\n")], &[0, 10], Framing::Line, false, &mut Methods::new());
        assert_eq!(m.whole, vec![0..2, 15..20]);
        let body = b"body bytesHTTP/1.1 204 No Content\r\n\r\n";
        let m = messages_in_runs(&[(0, b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nab"), (60, body)], &[0, 60, 70], Framing::Http, false, &mut Methods::new());
        let end = 70 + body.len() as u64 - 10;
        assert_eq!((m.whole.iter().map(|r| (r.start, r.end)).collect::<Vec<_>>(), m.http), (vec![(70, end)], Some((0, 1))));
    }

    #[test]
    fn http_bodies_end_as_rfc_9112_says() {
        let reqs = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /x HTTP/1.1\r\nHost: a\r\n\r\nPOST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
        let mut methods = Methods::new();
        let m = messages(reqs, Framing::Http, false, &mut methods);
        assert_eq!(m.whole.len(), 3);
        assert_eq!(m.stopped, None);
        let resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nokHTTP/1.0 200 OK\r\n\r\nto the end";
        let m = messages(resp, Framing::Http, true, &mut methods);
        // The response to HEAD has no body despite its Content-Length; the last runs to the end.
        assert_eq!(m.whole.len(), 4, "{m:?}");
        assert_eq!(m.whole.last().map(|r| r.end), Some(resp.len() as u64));
        assert!(methods.is_empty());
        let m = messages(b"HTTP/1.0 200 OK\r\n\r\nmore", Framing::Http, false, &mut Methods::new());
        assert_eq!((m.whole.len(), m.stopped.map(|s| s.0)), (0, Some(0)));
        let m = messages(b"\x16\x03\x01 not http\r\n\r\n", Framing::Http, false, &mut Methods::new());
        assert!(m.stopped.is_some_and(|s| s.1.contains("not an HTTP")));
    }
}
