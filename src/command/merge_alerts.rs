//! `inspect merge-alerts PART...`: the SYN-flood alerts of a capture split into files, made by
//! one detector from the segments each file's `--partial` run kept (flood_feed.parquet), in the
//! files' order. A flood cut by a file's edge is then one alert, with the counts, times and
//! notices one run over the whole capture gives: it is the same detector, handed every segment
//! that changes its state (see `analyze::flood::Feed`). The Spark job runs it as its last stage;
//! the feed is a few rows per connection, so one task does it.

use std::io::Write;
use std::path::PathBuf;

use crate::analyze::flood::{FloodAnalyzer, FEED_SLACK_MS};
use crate::config::MergeAlertsConfig;
use crate::error::RunError;
use crate::output::logs::Logs;
use crate::output::summary::event_text;
use crate::report::{Event, Report};
use crate::source::Ts;

/// Runs the detector over every part's segments, writing the alerts as they open and close,
/// and notice.log / notice.parquet.
pub fn run(c: &MergeAlertsConfig, mut out: impl Write) -> Result<(), RunError> {
    let files: Vec<PathBuf> = c.parts.iter().map(|p| p.join("flood_feed.parquet")).collect();
    let readers = files.iter().map(|f| feed::open(f)).collect::<Result<Vec<_>, _>>()?;
    let mut logs = c.logs.any().then(|| Logs::open(&c.logs)).transpose().map_err(RunError::Input)?;
    let plan = crate::sandbox::Plan { write: c.logs.files(), ..Default::default() };
    crate::sandbox::setup(&c.sandbox, &plan).map_err(RunError::Input)?;
    let mut det = FloodAnalyzer::new(c.flood.clone());
    let mut events = Vec::new();
    let (mut segs, mut alerts, mut notices) = (0u64, 0u64, 0u64);
    let mut show = |events: &mut Vec<Event>, logs: &mut Option<Logs>, out: &mut dyn Write| -> Result<(), RunError> {
        for e in events.drain(..) {
            if let Some(l) = logs.as_mut() {
                l.event(&e)?;
            }
            match &e {
                Event::Alert(a) if a.state == crate::report::alert::AlertState::Closed => alerts += 1,
                Event::Notice(_) => notices += 1,
                _ => {}
            }
            if let Some(line) = event_text(&e) {
                writeln!(out, "{line}")?;
            }
        }
        Ok(())
    };
    // The latest segment of the parts before: none may be later than a part's first segment by
    // more than the slack the runs kept bare ACKs for.
    let mut latest: Option<Ts> = None;
    let mut began: Option<Ts> = None;
    for (path, reader) in files.iter().zip(readers) {
        let mut first = true;
        let mut here: Option<Ts> = None;
        for batch in reader {
            for seg in feed::segments(path, batch)? {
                if std::mem::take(&mut first) {
                    if began.is_some_and(|b| seg.ts < b) {
                        return Err(RunError::Input(format!("{}: begins before the part before it: the parts must be given in the files' order", path.display())));
                    }
                    began = Some(seg.ts);
                    if let Some(l) = latest.filter(|l| l.secs_since(seg.ts) * 1000.0 > FEED_SLACK_MS as f64) {
                        return Err(RunError::Input(format!(
                            "{}: begins {:.3} s before the end of the parts before it: the parts must follow each other in time",
                            path.display(),
                            l.secs_since(seg.ts)
                        )));
                    }
                }
                here = here.max(Some(seg.ts));
                det.replay(&seg, &mut events);
                segs += 1;
            }
            show(&mut events, &mut logs, &mut out)?;
        }
        latest = latest.max(here);
    }
    let mut report = Report::default();
    det.end(&mut report, &mut events);
    show(&mut events, &mut logs, &mut out)?;
    if let Some(l) = logs.as_mut() {
        l.finish(&report)?;
    }
    writeln!(out, "{alerts} SYN-flood alerts, {notices} connection-surge notices from {segs} segments of {} parts", files.len())?;
    out.flush()?;
    Ok(())
}

#[cfg(feature = "parquet")]
mod feed {
    //! flood_feed.parquet read back, a record batch at a time.

    use std::fs::File;
    use std::net::IpAddr;
    use std::path::Path;

    use arrow_array::{Array, Int32Array, Int64Array, RecordBatch, StringArray};
    use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

    use crate::error::RunError;
    use crate::report::alert::FloodSeg;
    use crate::source::Ts;

    /// The file's batches.
    pub fn open(path: &Path) -> Result<ParquetRecordBatchReader, RunError> {
        let f = File::open(path).map_err(|e| RunError::Input(format!("{}: cannot open: {e}", path.display())))?;
        ParquetRecordBatchReaderBuilder::try_new(f)
            .and_then(|b| b.build())
            .map_err(|e| RunError::Input(format!("{}: not a Parquet file: {e}", path.display())))
    }

    fn col<'a, T: 'static>(path: &Path, b: &'a RecordBatch, name: &str) -> Result<&'a T, RunError> {
        b.column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<T>())
            .ok_or_else(|| RunError::Input(format!("{}: no flood_feed column {name} of the right type", path.display())))
    }

    /// The segments of one batch.
    pub fn segments(path: &Path, batch: Result<RecordBatch, arrow_schema::ArrowError>) -> Result<Vec<FloodSeg>, RunError> {
        let b = batch.map_err(|e| RunError::Input(format!("{}: {e}", path.display())))?;
        let (sec, nsec, flags) = (col::<Int64Array>(path, &b, "sec")?, col::<Int64Array>(path, &b, "nsec")?, col::<Int64Array>(path, &b, "flags")?);
        let (src, dst) = (col::<StringArray>(path, &b, "src")?, col::<StringArray>(path, &b, "dst")?);
        let (sport, dport) = (col::<Int32Array>(path, &b, "sport")?, col::<Int32Array>(path, &b, "dport")?);
        let bad = |i: usize, what: &str| RunError::Input(format!("{}: row {i} of a batch: bad {what}", path.display()));
        let addr = |a: &StringArray, i: usize, what: &str| -> Result<IpAddr, RunError> {
            if a.is_null(i) {
                return Err(bad(i, what));
            }
            a.value(i).parse().map_err(|_| bad(i, what))
        };
        let port = |p: &Int32Array, i: usize, what: &str| if p.is_null(i) { Err(bad(i, what)) } else { u16::try_from(p.value(i)).map_err(|_| bad(i, what)) };
        (0..b.num_rows())
            .map(|i| {
                let ts = Ts {
                    sec: sec.value(i),
                    nsec: u32::try_from(nsec.value(i)).ok().filter(|n| *n < 1_000_000_000).ok_or_else(|| bad(i, "nsec"))?,
                };
                Ok(FloodSeg {
                    ts,
                    src: addr(src, i, "src")?,
                    sport: port(sport, i, "sport")?,
                    dst: addr(dst, i, "dst")?,
                    dport: port(dport, i, "dport")?,
                    flags: u8::try_from(flags.value(i)).map_err(|_| bad(i, "flags"))?,
                })
            })
            .collect()
    }
}

#[cfg(not(feature = "parquet"))]
mod feed {
    //! Without the `parquet` feature there is nothing to read the parts with.

    use std::path::Path;

    use crate::error::RunError;
    use crate::report::alert::FloodSeg;

    /// No batches: an error naming the build.
    pub fn open(path: &Path) -> Result<std::iter::Empty<()>, RunError> {
        Err(RunError::Input(format!("{}: this inspect was built without Parquet (cargo build --features parquet)", path.display())))
    }

    /// Never called: `open` fails.
    pub fn segments(_path: &Path, _batch: ()) -> Result<Vec<FloodSeg>, RunError> {
        Ok(Vec::new())
    }
}
