//! `inspect read`, `conns` and `arp`: capture files through the pipeline, then the report.

use std::io::{self, Read, Write};

use crate::config::ReadConfig;
use crate::error::RunError;
use crate::output::Printer;
use crate::pipeline::shards::{self, Inputs, Output, StatTables};
use crate::pipeline::{Leftovers, Stages};
use crate::source::write::CaptureWriter;

/// Reads every file in turn through one pipeline; the report comes at the end unless no input
/// could be read at all. Inputs that could not be read to their end are each one line of the
/// error, after what came before them was shown.
pub fn run<W: Write>(c: &ReadConfig, out: W) -> Result<Leftovers, RunError> {
    if let Some(expr) = &c.filter {
        // A filter that does not compile is a usage error before anything is read.
        crate::source::filter::compile(Some(expr)).map_err(|e| RunError::Usage(e.to_string()))?;
    }
    let shards = if c.threads > 2 { c.threads - 1 } else { 1 };
    let mut stages = Stages::new(&c.analysis, shards);
    if c.plot.is_some() {
        stages.keep_series();
    }
    // A display filter on the packet alone runs where the frames are read; one that reads the
    // analyzers' notes runs where their results meet.
    // `conns -Y` keeps the connections of the packets shown, so it needs each one's uid.
    let conns_filter = c.view.conn_filter.is_some();
    let (early, late) = match &c.display {
        Some(d) if !d.needs().any() && !conns_filter => (Some(&**d), None),
        Some(d) => (None, Some(d.clone())),
        None => (None, None),
    };
    let field_needs = c.view.fields.as_ref().map(|f| f.needs()).unwrap_or_default();
    let mut needs = late.as_ref().map(|d| d.needs()).unwrap_or_default().or(field_needs);
    needs.conn |= conns_filter;
    let writer = c.write.as_deref().map(|path| open_writer(path, &c.files, c.snaplen)).transpose()?;
    // Every input is opened later, by the reading thread: the sandbox lets it read exactly
    // these; the -w file is open already.
    let mut read: Vec<std::path::PathBuf> = c.files.iter().filter(|f| *f != "-").map(Into::into).collect();
    if c.filter.is_some() {
        // The expression is compiled again where the frames are read, after the sandbox is up.
        read.extend(crate::sandbox::NAME_FILES.iter().map(Into::into));
    }
    if c.view.local_time {
        // Local times read the zone's rules when first shown.
        read.extend(crate::sandbox::ZONE_FILES.iter().map(Into::into));
    }
    // The record files are made now, before the sandbox closes the filesystem.
    let logs = c.logs.any().then(|| crate::output::logs::Logs::open(&c.logs)).transpose().map_err(RunError::Input)?;
    let mut write: Vec<std::path::PathBuf> = c.write.iter().filter(|f| *f != "-").map(Into::into).collect();
    write.extend(c.logs.files());
    let mut create_in = Vec::new();
    if let Some(p) = &c.plot {
        crate::output::plot::make_dir(&p.dir).map_err(RunError::Input)?;
        create_in.push(p.dir.clone());
    }
    let plan = crate::sandbox::Plan { read, write, create_in };
    crate::sandbox::setup(&c.sandbox, &plan).map_err(RunError::Input)?;
    let inputs = Inputs { files: &c.files, limit: c.limit, filter: c.filter.as_deref(), snaplen: c.snaplen, early, defrag: c.analysis.defrag, continued_from: c.continued_from };
    // `-z io,stat` with `--plot`: the I/O graph draws the table's columns (one series per
    // filter, at its interval), as `stats --plot` does.
    let io = std::sync::Arc::new(std::sync::Mutex::new(None));
    let tables = stat_tables(c, c.plot.is_some().then(|| io.clone()))?;
    let ran = shards::read(&inputs, Printer::new(out, c.view.clone()).with_logs(logs), stages, c.threads, Output { late, writer, needs, tables })?;
    if let (Some(opts), Some(r)) = (&c.plot, &ran.report) {
        let io = io.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        let counted = crate::report::traffic::TrafficReport { io, ..Default::default() };
        let data = crate::command::stats::plot_data(&counted, r);
        crate::output::plot::write(&data, opts).map_err(RunError::Input)?;
    }
    if ran.errors.is_empty() {
        Ok(ran.leftovers)
    } else {
        Err(RunError::Input(ran.errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("\ninspect: ")))
    }
}

/// `-z`: the counters of the tables asked for, and how they are written after the report
/// (nothing when standard output carries a capture); the I/O table, when counted, is left in
/// `io` too.
fn stat_tables(c: &ReadConfig, io: Option<IoSlot>) -> Result<Option<StatTables>, RunError> {
    use crate::command::stats;
    if c.z.is_empty() || c.view.muted {
        return Ok(None);
    }
    let z = c.z.iter().map(|s| stats::parse_z(s)).collect::<Result<Vec<_>, _>>()?;
    let counted = z.iter().any(|z| !matches!(z, stats::Z::Service));
    let services = z.iter().any(|z| matches!(z, stats::Z::Service));
    let traffic = counted.then(|| crate::analyze::traffic::Traffic::new(stats::wanted(z)));
    let format = c.view.format;
    let write = move |t: Option<&crate::analyze::traffic::Traffic>, counted: Option<&crate::report::traffic::Services>, out: &mut dyn Write| {
        if let (Some(slot), Some(t)) = (&io, t) {
            *slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = stats::io_table(t);
        }
        stats::write_after_read(out, t, counted.filter(|_| services), format)
    };
    Ok(Some(StatTables { traffic, write: Box::new(write) }))
}

/// Where `read -z io,stat` leaves its table for the pictures.
type IoSlot = std::sync::Arc<std::sync::Mutex<Option<crate::report::traffic::IoTable>>>;

/// The `-w` file (or standard output for `-`): pcapng when its name ends in .pcapng or an
/// input is pcapng, else pcap.
pub fn open_writer(path: &str, inputs: &[String], snaplen: Option<u32>) -> Result<CaptureWriter, RunError> {
    let pcapng = path.ends_with(".pcapng") || inputs.iter().any(|f| is_pcapng(f));
    let snaplen = snaplen.unwrap_or(262_144);
    let w: Box<dyn Write> = if path == "-" {
        Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout()))
    } else {
        let f = std::fs::File::create(path).map_err(|e| RunError::Input(format!("{path}: cannot create: {e}")))?;
        Box::new(io::BufWriter::with_capacity(1 << 16, f))
    };
    CaptureWriter::new(w, pcapng, snaplen).map_err(|e| RunError::Input(format!("{path}: cannot write: {e}")))
}

/// Whether the file at `path` starts as pcapng does (standard input is not looked at).
fn is_pcapng(path: &str) -> bool {
    let mut magic = [0u8; 4];
    path != "-" && std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == [0x0a, 0x0d, 0x0d, 0x0a]
}
