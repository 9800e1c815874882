//! `-f EXPR` on files: BPF filters need libpcap's compiler, so a build without the `libpcap`
//! feature says so in one line instead of ignoring the filter.

use super::live::backend::LiveError;
use super::Frame;

#[cfg(feature = "libpcap")]
pub use super::live::libpcap::BpfFilter;

/// Stand-in for the libpcap filter in builds without the feature: it cannot be created.
#[cfg(not(feature = "libpcap"))]
pub struct BpfFilter(());

#[cfg(not(feature = "libpcap"))]
impl BpfFilter {
    /// Always an error: this build has no filter compiler.
    pub fn new(expr: &str) -> Result<BpfFilter, LiveError> {
        Err(LiveError::Filter {
            expr: expr.to_string(),
            why: "filters need the libpcap build (cargo build --features libpcap)".into(),
        })
    }

    /// Never reached (no value exists); passes everything.
    pub fn matches(&mut self, _frame: &Frame<'_>) -> Result<bool, LiveError> {
        Ok(true)
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
