//! Record logs: every record kind (connections, DNS, DHCP, notices, ARP, run statistics) as
//! one file each, in Zeek's TSV log format, in JSON lines, or as Parquet, so that zeek-cut,
//! duckdb, pandas and Spark load them without a parser of ours.
//!
//! A kind is a schema (Zeek's field names and types, [`Kind::fields`]) and a function from the
//! report's records to rows of typed [`Val`]ues ([`records`]); a format is a [`RowSink`] that
//! writes rows of one kind. Keeping the two apart is what lets one schema feed three formats,
//! and a new kind (http.log, ssl.log from the application issue) be one schema and one
//! function. Every file is created before the sandbox closes the filesystem.

pub mod records;
pub mod zeek;

use std::borrow::Cow;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::report::{Event, Report};

/// A field's type, named as Zeek's log writers name it in `#types`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Seconds since the epoch.
    Time,
    /// Text.
    Str,
    /// An IPv4 or IPv6 address.
    Addr,
    /// A transport port.
    Port,
    /// One of a fixed set of names.
    Enum,
    /// Seconds.
    Interval,
    /// A non-negative integer.
    Count,
    /// True or false.
    Bool,
    /// A floating-point number.
    Double,
    /// A set of texts (Zeek's `set[string]`).
    SetStr,
    /// A set of enum names (`set[enum]`).
    SetEnum,
    /// A list of texts (`vector[string]`).
    VecStr,
    /// A list of seconds (`vector[interval]`).
    VecInterval,
}

impl Ty {
    /// The name in a Zeek log's `#types` line.
    pub fn zeek(self) -> &'static str {
        match self {
            Ty::Time => "time",
            Ty::Str => "string",
            Ty::Addr => "addr",
            Ty::Port => "port",
            Ty::Enum => "enum",
            Ty::Interval => "interval",
            Ty::Count => "count",
            Ty::Bool => "bool",
            Ty::Double => "double",
            Ty::SetStr => "set[string]",
            Ty::SetEnum => "set[enum]",
            Ty::VecStr => "vector[string]",
            Ty::VecInterval => "vector[interval]",
        }
    }
}

/// One field's value in a row; `Unset` is Zeek's unset field (`-`).
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// No value.
    Unset,
    /// Seconds since the epoch (time), or seconds (interval), or a plain number (double).
    F(f64),
    /// Text (string, enum).
    S(Cow<'a, str>),
    /// An address.
    A(IpAddr),
    /// A count or port.
    N(u64),
    /// A bool.
    B(bool),
    /// A set or vector of texts.
    L(Vec<Cow<'a, str>>),
    /// A vector of seconds.
    FL(Vec<f64>),
}

impl<'a> Val<'a> {
    /// A value when there is one.
    pub fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Val<'a>) -> Val<'a> {
        v.map_or(Val::Unset, f)
    }

    /// Borrowed text.
    pub fn s(s: &'a str) -> Val<'a> {
        Val::S(Cow::Borrowed(s))
    }
}

/// The record kinds, one file each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// conn.log: connections and flows.
    Conn,
    /// dns.log: queries and their answers.
    Dns,
    /// dhcp.log: DHCP exchanges.
    Dhcp,
    /// notice.log: SYN-flood alerts (when closed) and connection-surge notices.
    Notice,
    /// arp.log: ARP table events.
    Arp,
    /// stats.log: the run's counters, one row at its end.
    Stats,
    /// http.log: HTTP requests and their responses.
    Http,
    /// ssl.log: TLS handshakes.
    Ssl,
    /// flood_feed.log: with `--partial`, the TCP segments the SYN-flood detector over every
    /// file of a split capture needs (`inspect merge-alerts` reads them).
    FloodFeed,
}

impl Kind {
    /// Every kind, in the order files are opened.
    pub const ALL: [Kind; 9] = [Kind::Conn, Kind::Dns, Kind::Dhcp, Kind::Notice, Kind::Arp, Kind::Stats, Kind::Http, Kind::Ssl, Kind::FloodFeed];

    /// The log's path (Zeek's `#path`, and the file's name before its extension).
    pub fn path(self) -> &'static str {
        match self {
            Kind::Conn => "conn",
            Kind::Dns => "dns",
            Kind::Dhcp => "dhcp",
            Kind::Notice => "notice",
            Kind::Arp => "arp",
            Kind::Stats => "stats",
            Kind::Http => "http",
            Kind::Ssl => "ssl",
            Kind::FloodFeed => "flood_feed",
        }
    }

    /// The schema: field names and types.
    pub fn fields(self) -> &'static [(&'static str, Ty)] {
        match self {
            Kind::Conn => records::CONN,
            Kind::Dns => records::DNS,
            Kind::Dhcp => records::DHCP,
            Kind::Notice => records::NOTICE,
            Kind::Arp => records::ARP,
            Kind::Stats => records::STATS,
            Kind::Http => records::HTTP,
            Kind::Ssl => records::SSL,
            Kind::FloodFeed => records::FLOOD_FEED,
        }
    }
}

/// Writes the rows of one kind to one file.
pub trait RowSink {
    /// One row, its values in the order of the kind's fields.
    fn row(&mut self, row: &[Val<'_>]) -> std::io::Result<()>;
    /// Ends the file (a trailer, a footer) and flushes it.
    fn close(&mut self) -> std::io::Result<()>;
}

/// How `--log-dir` writes its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Zeek's tab-separated logs with their `#` header (zeek-cut reads them).
    #[default]
    Zeek,
    /// JSON lines with the same field names (Zeek's `LogAscii::use_json`).
    Json,
}

/// Where the records go: a log directory, a Parquet directory, or both.
#[derive(Debug, Clone, Default)]
pub struct LogPlan {
    /// `--log-dir` and its format.
    pub log_dir: Option<(PathBuf, LogFormat)>,
    /// `--parquet`.
    pub parquet: Option<PathBuf>,
    /// `--partial`: conn records say which connections an input's edges cut, and the SYN-flood
    /// detector's segments are written (flood_feed).
    pub partial: bool,
    /// Only notice.log (`inspect merge-alerts`).
    pub alerts_only: bool,
}

impl LogPlan {
    /// Whether any record file is written.
    pub fn any(&self) -> bool {
        self.log_dir.is_some() || self.parquet.is_some()
    }

    /// The kinds written.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        Kind::ALL.into_iter().filter(|&k| if self.alerts_only { k == Kind::Notice } else { k != Kind::FloodFeed || self.partial })
    }

    /// The files to be written, for the sandbox's plan.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for k in self.kinds() {
            if let Some((d, f)) = &self.log_dir {
                out.push(d.join(zeek::file_name(k, *f)));
            }
            if let Some(d) = &self.parquet {
                out.push(d.join(format!("{}.parquet", k.path())));
            }
        }
        out
    }
}

/// The open record files of a run.
pub struct Logs {
    /// For each kind (by its place in [`Kind::ALL`]), its sinks.
    sinks: Vec<Vec<Box<dyn RowSink + Send>>>,
    closed: bool,
    partial: bool,
}

impl Logs {
    /// Creates every file of `plan` (the directories too); an error names the file.
    pub fn open(plan: &LogPlan) -> Result<Logs, String> {
        let mut sinks: Vec<Vec<Box<dyn RowSink + Send>>> = Kind::ALL.iter().map(|_| Vec::new()).collect();
        for dir in plan.log_dir.iter().map(|(d, _)| d).chain(plan.parquet.iter()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create directory: {e}", dir.display()))?;
        }
        for (i, k) in Kind::ALL.into_iter().enumerate() {
            if !plan.kinds().any(|x| x == k) {
                continue;
            }
            let slot = sinks.get_mut(i).ok_or("kinds")?;
            let fields = if plan.partial && k == Kind::Conn { records::CONN_PARTIAL } else { k.fields() };
            if let Some((dir, format)) = &plan.log_dir {
                let path = dir.join(zeek::file_name(k, *format));
                slot.push(Box::new(zeek::LogFile::create(&path, k.path(), fields, *format).map_err(|e| cannot(&path, e))?));
            }
            if let Some(dir) = &plan.parquet {
                let path = dir.join(format!("{}.parquet", k.path()));
                slot.push(parquet_sink(&path, fields)?);
            }
        }
        Ok(Logs { sinks, closed: false, partial: plan.partial })
    }

    /// Writes the record an event carries, if it is one a log keeps.
    pub fn event(&mut self, e: &Event) -> std::io::Result<()> {
        let mut row = Vec::new();
        match records::row(e, self.partial, &mut row) {
            Some(k) => self.write(k, &row),
            None => Ok(()),
        }
    }

    fn write(&mut self, k: Kind, row: &[Val<'_>]) -> std::io::Result<()> {
        let i = Kind::ALL.iter().position(|x| *x == k).unwrap_or(0);
        for s in self.sinks.get_mut(i).into_iter().flatten() {
            s.row(row)?;
        }
        Ok(())
    }

    /// Writes stats.log's row from the end-of-run report and closes every file.
    pub fn finish(&mut self, r: &Report) -> std::io::Result<()> {
        let mut row = Vec::new();
        records::stats(r, &mut row);
        self.write(Kind::Stats, &row)?;
        self.close()
    }

    fn close(&mut self) -> std::io::Result<()> {
        if std::mem::replace(&mut self.closed, true) {
            return Ok(());
        }
        for s in self.sinks.iter_mut().flatten() {
            s.close()?;
        }
        Ok(())
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        // A run that read nothing still leaves complete files.
        let _ = self.close();
    }
}

fn cannot(path: &Path, e: std::io::Error) -> String {
    format!("{}: cannot create: {e}", path.display())
}

#[cfg(feature = "parquet")]
fn parquet_sink(path: &Path, fields: &'static [(&'static str, Ty)]) -> Result<Box<dyn RowSink + Send>, String> {
    Ok(Box::new(parquet::ParquetFile::create(path, fields).map_err(|e| format!("{}: cannot create: {e}", path.display()))?))
}

#[cfg(not(feature = "parquet"))]
fn parquet_sink(path: &Path, _fields: &'static [(&'static str, Ty)]) -> Result<Box<dyn RowSink + Send>, String> {
    Err(format!("{}: this inspect was built without Parquet (cargo build --features parquet)", path.display()))
}

#[cfg(feature = "parquet")]
pub mod parquet;
