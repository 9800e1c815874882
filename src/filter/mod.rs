//! Filters: Wireshark's display filters (`-Y`, [`display`]) and tcpdump's capture expressions
//! (`-f` and the words after the last file, [`capture`], compiled to classic BPF for the kernel
//! by [`bpf`]).
//!
//! The two do different things, as in the tools they come from: a capture expression filters
//! the input (the analyzers never see what it drops), a display filter only what is shown (the
//! analyzers see every frame, so `conn.state` or `alert` are what they know at that frame).
//! Both compile once into a tree evaluated on each frame without allocating.

pub mod bpf;
pub mod capture;
pub mod display;
pub mod fields;
mod lex;

pub use capture::CaptureFilter;
pub use display::{DisplayFilter, Needs};

use crate::analyze::tcp::conn::HISTORY_MAX;
use crate::report::conn::{ConnState, TcpState};

/// What the analyzers knew of one frame after seeing it, for the display-filter fields only
/// `inspect` has (`conn.*`, `tcp.state`, `tcp.analysis.retransmission`, `alert`) and for the
/// application messages a frame completed (`http.*`, `tls.*`). Made only when a filter asks
/// for them ([`Needs`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note {
    /// The frame's connection, when it is a TCP segment or UDP datagram the tracker kept.
    pub conn: Option<ConnNote>,
    /// The frame is a TCP or UDP packet to or from the target of an open SYN-flood alert.
    pub alert: bool,
    /// The HTTP messages and TLS hellos this frame completed (read from the reassembled stream).
    pub msgs: Vec<crate::report::web::Message>,
    /// For an ICMP echo reply whose request was seen: the request's frame and the round trip
    /// in nanoseconds.
    pub echo: Option<(u64, i64)>,
    /// Its packets' `tcp.stream` and `udp.stream` numbers ([`crate::analyze::stream::index::StreamNotes`]).
    pub streams: (Vec<u32>, Vec<u32>),
}

/// A connection as the tracker had it right after a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnNote {
    /// The connection's uid (`C` and eleven base-62 digits).
    pub uid: [u8; 12],
    /// Zeek's conn_state so far.
    pub state: ConnState,
    /// Zeek's history so far.
    pub history: [u8; HISTORY_MAX],
    /// Letters of `history` in use.
    pub history_len: u8,
    /// The sending end's RFC 793 state after the frame (TCP only).
    pub tcp_state: Option<TcpState>,
    /// The segment repeats sequence space already sent (TCP only).
    pub retransmission: bool,
}

impl ConnNote {
    /// The uid as text.
    pub fn uid(&self) -> &str {
        std::str::from_utf8(&self.uid).unwrap_or("")
    }

    /// The history as text.
    pub fn history(&self) -> &str {
        self.history.get(..self.history_len as usize).and_then(|h| std::str::from_utf8(h).ok()).unwrap_or("")
    }
}

/// A filter that does not compile: what is wrong, and where in the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// The expression as given.
    pub expr: String,
    /// Byte range of the culprit in `expr`.
    pub at: (usize, usize),
    /// What is wrong.
    pub why: String,
}

impl FilterError {
    /// An error about `expr[at.0..at.1]`.
    pub fn new(expr: &str, at: (usize, usize), why: impl Into<String>) -> FilterError {
        FilterError { expr: expr.to_string(), at, why: why.into() }
    }
}

impl FilterError {
    /// What is wrong, then the expression with the place underlined (without the expression
    /// first, for messages that name it themselves).
    pub fn why_pointed(&self) -> String {
        let full = self.to_string();
        let head = format!("\"{}\": ", self.expr);
        full.strip_prefix(&head).unwrap_or(&full).to_string()
    }
}

impl std::fmt::Display for FilterError {
    /// One line saying what is wrong, then the expression with the place underlined, as
    /// Wireshark shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{}\": {}", self.expr, self.why)?;
        if !self.expr.contains('\n') {
            let start = self.expr.get(..self.at.0).map_or(0, |s| s.chars().count());
            let len = self.expr.get(self.at.0..self.at.1).map_or(1, |s| s.chars().count()).max(1);
            write!(f, "\n    {}\n    {}^{}", self.expr, " ".repeat(start), "~".repeat(len - 1))?;
        }
        Ok(())
    }
}
