//! `inspect read`, `conns` and `arp`: capture files through the pipeline, then the report.

use std::io::Write;

use crate::config::ReadConfig;
use crate::error::RunError;
use crate::output::Printer;
use crate::pipeline::shards::{self, Inputs};
use crate::pipeline::{Leftovers, Stages};

/// Reads every file in turn through one pipeline; the report comes at the end unless no input
/// could be read at all. Inputs that could not be read to their end are each one line of the
/// error, after what came before them was shown.
pub fn run<W: Write>(c: &ReadConfig, out: W) -> Result<Leftovers, RunError> {
    if let Some(expr) = &c.filter {
        // A filter that does not compile is a usage error before anything is read.
        crate::source::filter::compile(Some(expr)).map_err(|e| RunError::Usage(e.to_string()))?;
    }
    // Every input is opened later, by the reading thread: the sandbox lets it read exactly
    // these.
    let plan = crate::sandbox::Plan { read: c.files.iter().filter(|f| *f != "-").map(Into::into).collect(), ..Default::default() };
    crate::sandbox::setup(&c.sandbox, &plan).map_err(RunError::Input)?;
    let shards = if c.threads > 2 { c.threads - 1 } else { 1 };
    let stages = Stages::new(&c.analysis, shards);
    let inputs = Inputs { files: &c.files, limit: c.limit, filter: c.filter.as_deref() };
    let ran = shards::read(&inputs, Printer::new(out, c.view.clone()), stages, c.threads)?;
    if ran.errors.is_empty() {
        Ok(ran.leftovers)
    } else {
        Err(RunError::Input(ran.errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("\ninspect: ")))
    }
}
