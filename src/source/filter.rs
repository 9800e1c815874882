//! `-f EXPR` (and the words after the files): tcpdump's capture expressions, compiled by libpcap
//! in the libpcap build and by [`crate::filter::capture`] in the pure-Rust one, behind one type.

use super::live::backend::LiveError;
use super::Frame;
#[cfg(not(feature = "libpcap"))]
use crate::filter::CaptureFilter;

#[cfg(feature = "libpcap")]
pub use super::live::libpcap::BpfFilter;

/// The pure-Rust build's filter: tcpdump's expression compiled by [`crate::filter::capture`]
/// to classic BPF for each link type, and run on each frame.
#[cfg(not(feature = "libpcap"))]
pub struct BpfFilter(CaptureFilter);

#[cfg(not(feature = "libpcap"))]
impl BpfFilter {
    /// Compiles `expr`; an expression this build cannot handle says the libpcap build can.
    pub fn new(expr: &str) -> Result<BpfFilter, LiveError> {
        CaptureFilter::new(expr).map(BpfFilter).map_err(|e| LiveError::Filter { expr: expr.to_string(), why: e.why_pointed() })
    }

    /// Whether `frame` passes; a link type the compiler does not handle is an error.
    pub fn matches(&mut self, frame: &Frame<'_>) -> Result<bool, LiveError> {
        let expr = self.0.text().to_string();
        self.0.matches(frame.linktype, frame.data, frame.len).map_err(|why| LiveError::Filter { expr, why })
    }

    /// The classic BPF program for frames of `linktype`, for a socket to run in the kernel;
    /// None when the kernel would see other bytes than the filter expects (VLAN tags).
    pub fn kernel_program(&mut self, linktype: u32) -> Option<Vec<crate::filter::bpf::Insn>> {
        if self.0.uses_vlan() {
            return None;
        }
        self.0.program(linktype).ok().cloned()
    }
}

/// An optional filter: `None` passes every frame.
pub fn compile(expr: Option<&str>) -> Result<Option<BpfFilter>, LiveError> {
    expr.map(BpfFilter::new).transpose()
}

/// Whether `frame` passes `filter` (always, without one).
pub fn passes(filter: &mut Option<BpfFilter>, frame: &Frame<'_>) -> Result<bool, LiveError> {
    match filter {
        Some(f) => f.matches(frame),
        None => Ok(true),
    }
}
