//! `inspect subnet`: the calculator; bad input is a usage error (exit 2).

use std::io::Write;

use crate::error::RunError;
use crate::output::Format;
use crate::subnet::{Query, SubnetError};

/// Computes and prints the answer to `query`.
pub fn run<W: Write>(query: &Query, format: Format, mut out: W) -> Result<(), RunError> {
    match crate::subnet::run(query, format == Format::Json, &mut out) {
        Ok(()) => Ok(out.flush()?),
        Err(SubnetError::Input(msg)) => Err(RunError::Usage(msg)),
        Err(SubnetError::Io(e)) => Err(RunError::Output(e)),
    }
}
