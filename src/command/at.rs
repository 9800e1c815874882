//! `inspect read FILE --at T`: the connection table, the ARP table and the open alerts as they
//! stood at one moment of a capture, then nothing more is read.
//!
//! Every timer of the analyzers runs on packet time, so stopping the packets at T and moving
//! the analyzers' clock to T (connections and ARP entries age as they would have) gives the
//! state at T exactly; the renderers are those of the live tables. The frames go through the
//! one-thread [`Session`], the same one live capture and `replay` run.

use std::io::{self, Write};
use std::ops::ControlFlow;

use crate::config::ReadConfig;
use crate::error::RunError;
use crate::output::{json, Format, ViewOptions};
use crate::pipeline::session::Session;
use crate::pipeline::{Leftovers, Stages};
use crate::report::alert::AlertState;
use crate::report::{InputError, Report};
use crate::source::file::FileSource;
use crate::source::filter::BpfFilter;
use crate::source::{Frame, Ts};

/// A moment of a capture: a UTC time, or seconds after its first frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Moment {
    /// This time (UTC, as every time `inspect` shows).
    At(Ts),
    /// This many seconds after the first frame.
    After(f64),
}

impl Moment {
    /// `+12.5` (seconds after the first frame) or `2026-11-22 11:20:30[.fraction]` (UTC; a `T`
    /// may stand for the space).
    pub fn parse(s: &str) -> Result<Moment, String> {
        let t = s.trim();
        if let Some(rest) = t.strip_prefix('+') {
            return match rest.parse::<f64>() {
                Ok(v) if v.is_finite() && (0.0..1e10).contains(&v) => Ok(Moment::After(v)),
                _ => Err(format!("'{s}' is not a number of seconds after the first packet (as +12.5)")),
            };
        }
        let t = t.replacen('T', " ", 1);
        for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
            if let Ok(d) = chrono::NaiveDateTime::parse_from_str(&t, f) {
                let u = d.and_utc();
                return Ok(Moment::At(Ts { sec: u.timestamp(), nsec: u.timestamp_subsec_nanos() }));
            }
        }
        Err(format!("'{s}' is not a moment: give a UTC time as '2026-11-22 11:20:30' or seconds after the first packet as +12.5"))
    }

    /// The time it names in a capture whose first frame came at `first`.
    pub fn resolve(self, first: Ts) -> Ts {
        match self {
            Moment::At(t) => t,
            Moment::After(s) => first.plus_secs(s),
        }
    }
}

/// Streams the frames of `files` in turn (those the capture filter `filter` passes) to `f`
/// until it breaks; returns the inputs that could not be read to their end.
pub fn frames(files: &[String], filter: Option<&str>, mut f: impl FnMut(&Frame<'_>) -> ControlFlow<()>) -> Vec<InputError> {
    let mut errors = Vec::new();
    let mut filter = match filter.map(BpfFilter::new).transpose() {
        Ok(b) => b,
        Err(e) => {
            errors.push(InputError { input: String::new(), message: e.to_string() });
            return errors;
        }
    };
    for path in files {
        let mut src = match FileSource::open(path) {
            Ok(s) => s,
            Err(e) => {
                errors.push(InputError { input: path.clone(), message: e.to_string() });
                continue;
            }
        };
        let mut stop = false;
        let mut filter_err = None;
        let res = src.for_each(|frame| {
            match filter.as_mut().map(|b| b.matches(&frame)) {
                Some(Ok(false)) => return ControlFlow::Continue(()),
                Some(Err(e)) => {
                    filter_err = Some(e.to_string());
                    return ControlFlow::Break(());
                }
                _ => {}
            }
            let flow = f(&frame);
            stop = flow.is_break();
            flow
        });
        if let Some(e) = filter_err {
            errors.push(InputError { input: src.input().to_string(), message: format!("{}: {e}", src.input()) });
            break;
        }
        if let Err(e) = res {
            errors.push(InputError { input: src.input().to_string(), message: e.to_string() });
        }
        if stop {
            break;
        }
    }
    errors
}

/// The sandbox of a run that only reads `files` (with a capture expression `filter`).
pub fn sandbox(c: &crate::cli::SandboxArgs, files: &[String], filter: bool, extra: &[std::path::PathBuf]) -> Result<(), RunError> {
    let mut read: Vec<std::path::PathBuf> = files.iter().filter(|f| *f != "-").map(Into::into).collect();
    if filter {
        read.extend(crate::sandbox::NAME_FILES.iter().map(Into::into));
    }
    read.extend(extra.iter().cloned());
    let plan = crate::sandbox::Plan { read, ..Default::default() };
    crate::sandbox::setup(c, &plan).map_err(RunError::Input)
}

/// Reads `c`'s files up to `at` and shows the state then.
pub fn run<W: Write>(c: &ReadConfig, at: Moment, mut out: W) -> Result<Leftovers, RunError> {
    if let Some(expr) = &c.filter {
        crate::source::filter::compile(Some(expr)).map_err(|e| RunError::Usage(e.to_string()))?;
    }
    sandbox(&c.sandbox, &c.files, c.filter.is_some(), &[])?;
    let view = ViewOptions { quiet: true, ..c.view.clone() };
    let mut session = Session::new(io::sink(), view, Stages::new(&c.analysis, 1));
    let mut moment = match at {
        Moment::At(t) => Some(t),
        Moment::After(_) => None,
    };
    let mut before = 0u64;
    let mut write_err = None;
    let errors = frames(&c.files, c.filter.as_deref(), |frame| {
        let m = *moment.get_or_insert_with(|| at.resolve(frame.ts));
        if frame.ts > m || before >= c.limit {
            return ControlFlow::Break(());
        }
        before += 1;
        if let Err(e) = session.frame(frame) {
            write_err = Some(e);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    if let Some(e) = write_err {
        return Err(e.into());
    }
    if let Some(m) = moment {
        session.advance(m)?;
    }
    let report = session.snapshot();
    match c.view.format {
        Format::Json => json_out(&mut out, &report, moment, before)?,
        _ => text(&mut out, &report, moment, before)?,
    }
    out.flush()?;
    if errors.is_empty() {
        Ok(Leftovers::default())
    } else {
        Err(RunError::Input(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("\ninspect: ")))
    }
}

/// The first line: the moment, and how many frames came before it.
fn headline(moment: Option<Ts>, frames: u64) -> String {
    match moment {
        Some(m) => format!("── state at {m} UTC, after {} ──", crate::output::table::count(frames, "frame", "frames")),
        None => "── no frames: nothing to show ──".to_string(),
    }
}

/// The state as text: the live tables' renderers, then the open alerts.
pub fn text(w: &mut dyn Write, r: &Report, moment: Option<Ts>, frames: u64) -> io::Result<()> {
    writeln!(w, "{}", headline(moment, frames))?;
    crate::output::live::conns_text(w, r)?;
    crate::output::live::arp_text(w, r)?;
    let open: Vec<_> = r.alerts.iter().filter(|a| a.state == AlertState::Open).collect();
    if open.is_empty() {
        writeln!(w, "No alerts open.")?;
    }
    for a in open {
        writeln!(w, "{}", crate::output::alert::line(a))?;
    }
    Ok(())
}

/// The state as JSON lines: one `at` object, then `conn`, `arp` and `alert` objects.
fn json_out(w: &mut dyn Write, r: &Report, moment: Option<Ts>, frames: u64) -> io::Result<()> {
    let head = serde_json::json!({
        "event_type": "at",
        "ts": moment.map(Ts::as_secs_f64),
        "frames": frames,
    });
    writeln!(w, "{head}")?;
    if let Some(c) = &r.conns {
        for rec in &c.rows {
            writeln!(w, "{}", json::event("conn", rec))?;
        }
    }
    if let Some(a) = &r.arp {
        for e in &a.entries {
            writeln!(w, "{}", json::event("arp", e))?;
        }
    }
    for a in r.alerts.iter().filter(|a| a.state == AlertState::Open) {
        writeln!(w, "{}", json::event("alert", a))?;
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn moments_parse_as_utc_times_or_offsets() {
        assert_eq!(Moment::parse("+12.5"), Ok(Moment::After(12.5)));
        // 2026-11-22 11:20:30 UTC, as `date -u -d '2026-11-22 11:20:30' +%s` gives it.
        assert_eq!(Moment::parse("2026-11-22 11:20:30"), Ok(Moment::At(Ts { sec: 1_795_346_430, nsec: 0 })));
        assert_eq!(Moment::parse("2026-11-22T11:20:30.25"), Ok(Moment::At(Ts { sec: 1_795_346_430, nsec: 250_000_000 })));
        assert!(Moment::parse("+x").is_err());
        assert!(Moment::parse("yesterday").is_err());
        assert!(Moment::parse("+-1").is_err());
    }
}
