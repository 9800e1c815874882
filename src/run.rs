//! Running a command: options from the command line become one pipeline,
//! source ──frames──▶ decode ──Packet──▶ analyzers ──Report──▶ output.

use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;

use crate::analyze::{Analyzer, Pipeline};
use crate::cli::{Cli, Command, ReadArgs, ViewArgs};
use crate::decode::decode;
use crate::output::{Printer, ViewOptions};
use crate::report::{Event, InputError};
use crate::source::file::FileSource;

/// How a run failed. The binary maps each to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Inputs could not be read (fully); what came before was shown. One message per input,
    /// joined so that each is its own `inspect: ...` line. Exit 1.
    #[error("{0}")]
    Input(String),
    /// The command line asked for something impossible. Exit 2.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed (a closed pipe is handled by the caller: exit 0).
    #[error("writing output: {0}")]
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

/// Runs one parsed command line, writing to standard output.
pub fn run(cli: Cli) -> Result<(), RunError> {
    let stdout = io::stdout();
    let out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match cli.command {
        Command::Read(args) => read(&args, out),
    }
}

/// The view options of a command line.
pub fn view_options(v: &ViewArgs) -> ViewOptions {
    ViewOptions {
        format: v.format,
        verbose: v.verbose,
        hex: v.hex,
        link: v.link,
        absolute: v.absolute,
        quiet: v.quiet,
    }
}

/// The analyzers every file and live run uses.
pub fn analyzers(_args: &ReadArgs) -> Vec<Box<dyn Analyzer + Send>> {
    Vec::new()
}

/// `inspect read`: every file in turn through one pipeline, then the report.
pub fn read<W: Write>(args: &ReadArgs, out: W) -> Result<(), RunError> {
    let mut printer = Printer::new(out, view_options(&args.view));
    let mut pipeline = Pipeline::new(analyzers(args));
    let mut events: Vec<Event> = Vec::new();
    let mut errors: Vec<InputError> = Vec::new();
    let mut seen: u64 = 0;
    let limit = args.view.count.unwrap_or(u64::MAX);
    for path in &args.files {
        if seen >= limit {
            break;
        }
        let mut src = match FileSource::open(path) {
            Ok(s) => s,
            Err(e) => {
                errors.push(InputError { input: path.clone(), message: e.to_string() });
                continue;
            }
        };
        let mut write_err: Option<io::Error> = None;
        let res = src.for_each(|frame| {
            let p = decode(&frame);
            pipeline.packet(&p, &mut events);
            let mut r = printer.packet(&p);
            for e in events.drain(..) {
                if r.is_ok() {
                    r = printer.event(&e);
                }
            }
            seen += 1;
            match r {
                Err(e) => {
                    write_err = Some(e);
                    ControlFlow::Break(())
                }
                Ok(()) if seen >= limit => ControlFlow::Break(()),
                Ok(()) => ControlFlow::Continue(()),
            }
        });
        if let Some(e) = write_err {
            return Err(RunError::Output(e));
        }
        if let Err(e) = res {
            let message = e.to_string();
            errors.push(InputError { input: src.input().to_string(), message });
        }
    }
    let mut report = pipeline.finish(&mut events);
    for e in events.drain(..) {
        printer.event(&e)?;
    }
    report.errors.clone_from(&errors);
    printer.report(&report)?;
    printer.flush()?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RunError::Input(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("\ninspect: ")))
    }
}
