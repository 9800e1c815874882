//! `inspect report FILE... -o report.html`: one self-contained HTML page of a capture, for
//! attaching to an incident ticket: the counters of `stats` and the analyzers of `read` run in
//! one pass over the frames, and the page shows their summary, tables and pictures.

use std::io::Write;

use crate::analyze::traffic::{IoStat, TableKind, Wanted};
use crate::command::stats::{self, StatsConfig};
use crate::error::RunError;
use crate::output::plot::{pictures, PlotFormat};
use crate::output::Format;
use crate::pipeline::AnalysisConfig;

/// What `report` was asked.
#[derive(Debug)]
pub struct ReportConfig {
    /// The capture files, read one after the other as one capture.
    pub files: Vec<String>,
    /// The page to write.
    pub output: std::path::PathBuf,
    /// Rows of the conversation and talker tables.
    pub top: usize,
    /// At most this many frames.
    pub limit: u64,
    /// The analyzers' settings.
    pub analysis: AnalysisConfig,
    /// The sandbox entered once the files are open.
    pub sandbox: crate::cli::SandboxArgs,
}

/// Runs `report`: writes the page, and says on `out` where.
pub fn run<W: Write>(c: &ReportConfig, mut out: W) -> Result<(), RunError> {
    let path = c.output.display().to_string();
    let file = std::fs::File::create(&c.output).map_err(|e| RunError::Input(format!("{path}: cannot create: {e}")))?;
    let plan = crate::sandbox::Plan {
        read: c.files.iter().filter(|f| *f != "-").map(Into::into).collect(),
        write: vec![c.output.clone()],
        ..Default::default()
    };
    crate::sandbox::setup(&c.sandbox, &plan).map_err(RunError::Input)?;
    // The IP endpoints are made from the conversations once the analyzers are done: counted
    // beside them, their table held as much memory again while the analyzers held theirs.
    let wanted = Wanted {
        conv: vec![(TableKind::Ip, None)],
        io: Some(IoStat::new(1_000_000_000, vec![None])),
        ports: true,
        ..Wanted::default()
    };
    let mut sc = StatsConfig { files: c.files.clone(), wanted, top: Some(c.top), format: Format::Text, limit: c.limit, threads: 1, services: false, plot: None, sandbox: c.sandbox.clone() };
    let mut side = stats::beside(&c.analysis);
    let (mut t, failed) = stats::count_with(&mut sc, Some(&mut side));
    let (analyzed, _) = side.finish(&[])?;
    t.ip_ends_of_convs();
    let r = stats::report(&t, Some(c.top));
    drop(t);
    let pics = pictures(&stats::plot_data(&r, &analyzed), PlotFormat::Svg).map_err(RunError::Input)?;
    let mut w = std::io::BufWriter::new(file);
    crate::output::html::page(&mut w, &c.files, &r, &analyzed, &pics).and_then(|()| w.flush()).map_err(|e| RunError::Input(format!("{path}: cannot write: {e}")))?;
    writeln!(out, "{path}: {} frames, {} pictures", r.frames, pics.len())?;
    out.flush()?;
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
