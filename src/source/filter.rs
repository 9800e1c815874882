//! `-f EXPR` (and the words after the files): tcpdump's capture expressions, compiled by libpcap
//! in the libpcap build and by [`crate::filter::capture`] in the pure-Rust one, behind one type.

use super::live::backend::{Backend, LiveError};
#[cfg(not(feature = "libpcap"))]
use super::live::backend::BpfInsn;
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
        let passed = self.0.matches(frame.linktype, frame.data, frame.len);
        passed.map_err(|why| LiveError::Filter { expr: self.0.text().to_string(), why })
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

/// Puts the capture expression `expr` on a live capture before it starts, so that the kernel
/// runs it. Returns the filter still to run on each frame read: where the kernel cannot run the
/// program (`vlan`, whose tags the kernel has taken out of the frames it filters; on `any`, a
/// test of cooked-header bytes the kernel has no stand-in for).
#[cfg(not(feature = "libpcap"))]
pub fn attach(expr: Option<&str>, backend: &mut dyn Backend) -> Result<Option<BpfFilter>, LiveError> {
    let Some(expr) = expr else { return Ok(None) };
    let mut filter = BpfFilter::new(expr)?;
    if let Some(program) = filter.kernel_program(backend.linktype()) {
        let program: Vec<BpfInsn> =
            program.iter().map(|i| BpfInsn { code: i.code, jt: i.jt, jf: i.jf, k: i.k }).collect();
        if backend.attach_filter(&program)? {
            return Ok(None);
        }
    }
    Ok(Some(filter))
}

/// The libpcap build: libpcap compiled the expression and attached it when it opened the
/// capture ([`super::live::LiveOptions::filter`]), so nothing is left to run.
#[cfg(feature = "libpcap")]
pub fn attach(_expr: Option<&str>, _backend: &mut dyn Backend) -> Result<Option<BpfFilter>, LiveError> {
    Ok(None)
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
