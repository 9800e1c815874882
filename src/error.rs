//! How a run fails, and the exit status of each way.

use std::io;

/// How a run failed. The binary maps each to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Inputs could not be read (fully), or an interface could not be captured on; what came
    /// before was shown. One message per input, joined so that each is its own `inspect: ...`
    /// line. Exit 1.
    #[error("{0}")]
    Input(String),
    /// The command line asked for something impossible. Exit 2.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed (a closed pipe is not a failure: exit 0).
    #[error("writing output: {0}{hint}", hint = crate::sandbox::hint(.0))]
    Output(#[from] io::Error),
}

impl RunError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Input(_) => 1,
            RunError::Usage(_) => 2,
            RunError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
            RunError::Output(_) => 1,
        }
    }
}
