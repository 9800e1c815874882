//! The command line, validated once into the configuration a command runs with.

use crate::analyze::arp::ArpConfig;
use crate::analyze::flood::{FloodConfig, MAX_TARGETS, PENDING_SLOTS};
use crate::analyze::stream::reassembly::Caps;
use crate::analyze::app::session::AppConfig;
use crate::analyze::stream::StreamConfig;
use crate::analyze::tcp::ConnConfig;
use std::sync::Arc;

use crate::cli::{self, ArpOptions, Cli, Command, ConnArgs, FloodArgs, TsharkFormat, ViewArgs};
use crate::decode::defrag::DefragConfig;
use crate::filter::DisplayFilter;
use crate::output::fields::FieldList;
use crate::error::RunError;
use crate::output::logs::LogPlan;
use crate::output::{Dump, Format, Stamp, ViewOptions};
use crate::pipeline::AnalysisConfig;
use crate::subnet::Query;

/// What to run.
#[derive(Debug)]
pub enum Config {
    /// `read`, `conns` and `arp`: files through the pipeline.
    Read(Box<ReadConfig>),
    /// `capture`: an interface through the pipeline.
    Capture(Box<CaptureConfig>),
    /// `arp-scan`.
    ArpScan(cli::ArpScanArgs),
    /// `subnet`.
    Subnet {
        /// The inputs and options.
        query: Query,
        /// Table or JSON.
        format: Format,
    },
    /// `follow`.
    Follow(crate::command::follow::FollowConfig),
    /// `stats`.
    Stats(Box<crate::command::stats::StatsConfig>),
    /// `report`.
    Report(Box<crate::command::report::ReportConfig>),
    /// `ladder`.
    Ladder(crate::command::ladder::LadderConfig),
    /// `replay`.
    Replay(Box<ReplayConfig>),
    /// `interfaces`.
    Interfaces {
        /// Table or JSON.
        format: Format,
    },
    /// `merge-alerts`.
    MergeAlerts(Box<MergeAlertsConfig>),
}

/// The alerts of a split capture from its files' `--partial` runs.
#[derive(Debug)]
pub struct MergeAlertsConfig {
    /// The runs' Parquet directories, in the files' order.
    pub parts: Vec<std::path::PathBuf>,
    /// The detector's thresholds (those of the runs).
    pub flood: FloodConfig,
    /// Where notice.log and notice.parquet go.
    pub logs: LogPlan,
    /// The sandbox entered once every file is open.
    pub sandbox: cli::SandboxArgs,
}

/// A run over capture files.
#[derive(Debug)]
pub struct ReadConfig {
    /// The files, in order (`-` is standard input).
    pub files: Vec<String>,
    /// A capture expression (tcpdump's syntax): it filters the input.
    pub filter: Option<String>,
    /// A display filter (Wireshark's syntax): it filters what is shown and written.
    pub display: Option<Arc<DisplayFilter>>,
    /// Where `-w` writes the frames shown (`-` is standard output).
    pub write: Option<String>,
    /// Bytes kept of each frame.
    pub snaplen: Option<u32>,
    /// Threads to run on.
    pub threads: usize,
    /// At most this many frames.
    pub limit: u64,
    /// What is shown.
    pub view: ViewOptions,
    /// The analyzers' settings.
    pub analysis: AnalysisConfig,
    /// The sandbox entered once the files are open.
    pub sandbox: cli::SandboxArgs,
    /// Stop at this moment and show the state then (`read --at`).
    pub at: Option<crate::command::at::Moment>,
    /// The record files (`--log-dir`).
    pub logs: LogPlan,
    /// The files from this place in `files` on only continue the connections of those before
    /// (`--partial --next`).
    pub continued_from: usize,
    /// Pictures of the run (`--plot`).
    pub plot: Option<crate::output::plot::PlotOptions>,
    /// `-z`: the statistics to show after the report (checked; read again where counted).
    pub z: Vec<String>,
}

/// A replay on the dashboard.
#[derive(Debug)]
pub struct ReplayConfig {
    /// The file.
    pub file: String,
    /// Times the capture's pace; None: as fast as it reads.
    pub speed: Option<f64>,
    /// Where playing starts.
    pub from: Option<crate::command::at::Moment>,
    /// Where it stops.
    pub to: Option<crate::command::at::Moment>,
    /// The analyzers' settings.
    pub analysis: AnalysisConfig,
    /// The sandbox entered once the file is open.
    pub sandbox: cli::SandboxArgs,
}

/// A live capture.
#[derive(Debug)]
pub struct CaptureConfig {
    /// The command line's capture options (interface, -w, snap length, privileges, live tables).
    pub args: cli::CaptureArgs,
    /// The capture expression, from -f or the words after the options.
    pub filter: Option<String>,
    /// A display filter: what is shown and written with -w.
    pub display: Option<Arc<DisplayFilter>>,
    /// At most this many frames.
    pub limit: u64,
    /// What is shown.
    pub view: ViewOptions,
    /// The analyzers' settings.
    pub analysis: AnalysisConfig,
    /// The record files (`--log-dir`).
    pub logs: LogPlan,
}

impl Config {
    /// The configuration of a parsed command line.
    pub fn new(cli: Cli) -> Result<Config, RunError> {
        Ok(match cli.command {
            Command::Read(a) => {
                if a.at.is_some() && a.plot.plot.is_some() {
                    return Err(RunError::Usage("--plot draws a whole run; --at stops it at one moment: give one of them".into()));
                }
                let (mut files, filter) = inputs(&a.input)?;
                let continued_from = files.len();
                files.extend(a.logs.next.iter().cloned());
                let display = display(a.input.display_filter.as_deref())?;
                let mut view = view(&a.view, display.as_deref())?;
                view.muted = a.write.as_deref() == Some("-");
                let mut analysis = analysis(&a.conn, &a.flood, &a.arp, &view, a.input.threads);
                messages_for(&mut analysis, display.as_deref(), &view);
                view.defrag = analysis.defrag;
                let logs = log_plan(&a.logs);
                // The logs take every connection's record.
                analysis.conn.records |= logs.any();
                // A part of a split capture also writes what its alerts are made of.
                analysis.flood.feed = logs.partial;
                // Checked here; `-z service` is counted by the tracker, which needs no records.
                a.z.iter().map(|s| crate::command::stats::parse_z(s)).collect::<Result<Vec<_>, _>>()?;
                Config::Read(Box::new(ReadConfig {
                    files,
                    filter,
                    display,
                    write: a.write,
                    snaplen: a.snaplen,
                    threads: threads(a.input.threads),
                    limit: a.view.count.unwrap_or(u64::MAX),
                    view,
                    analysis,
                    sandbox: a.input.sandbox,
                    at: a.at,
                    logs,
                    continued_from,
                    plot: a.plot.options(),
                    z: a.z,
                }))
            }
            Command::Conns(a) => {
                let (files, filter) = inputs(&a.input)?;
                let display = display(a.input.display_filter.as_deref())?;
                // Rows stream out as connections leave, unless they are to be ordered (or -V
                // lists timelines after them); JSON streams its records anyway.
                let sort = a.sort.or(a.top.map(|_| cli::ConnSort::Start));
                let stream = sort.is_none() && !a.verbose && a.format.is_text();
                let view = ViewOptions {
                    format: a.format,
                    verbose: a.verbose,
                    quiet: true,
                    conns_only: true,
                    display_filter: display.as_ref().map(|d| d.text().to_string()),
                    conn_rows: stream.then_some(a.conn.max_rows),
                    conn_filter: display.as_ref().map(|_| (sort.unwrap_or_default(), a.top.unwrap_or(a.conn.max_rows))),
                    ..ViewOptions::default()
                };
                let mut analysis = analysis(&a.conn, &a.flood, &cli::defaults(), &view, a.input.threads);
                messages_for(&mut analysis, display.as_deref(), &view);
                analysis.conn.sort = sort.unwrap_or_default();
                if let Some(top) = a.top {
                    analysis.conn.max_rows = top;
                }
                if stream || display.is_some() {
                    // The printer writes them (or, for a display filter, keeps those it shows);
                    // the tracker keeps none.
                    analysis.conn.max_rows = 0;
                }
                Config::Read(Box::new(ReadConfig {
                    files,
                    filter,
                    display,
                    write: None,
                    snaplen: None,
                    threads: threads(a.input.threads),
                    limit: a.count.unwrap_or(u64::MAX),
                    view,
                    analysis,
                    sandbox: a.input.sandbox,
                    at: None,
                    logs: LogPlan::default(),
                    continued_from: usize::MAX,
                    plot: None,
                    z: Vec::new(),
                }))
            }
            Command::Arp(a) => {
                let view = ViewOptions { format: a.format, quiet: true, arp_only: true, ..ViewOptions::default() };
                let t = cli::default_threads();
                let analysis = analysis(&cli::defaults(), &cli::defaults(), &a.arp, &view, t);
                Config::Read(Box::new(ReadConfig {
                    files: a.files,
                    filter: None,
                    display: None,
                    write: None,
                    snaplen: None,
                    threads: threads(t),
                    limit: a.count.unwrap_or(u64::MAX),
                    view,
                    analysis,
                    sandbox: a.sandbox,
                    at: None,
                    logs: LogPlan::default(),
                    continued_from: usize::MAX,
                    plot: None,
                    z: Vec::new(),
                }))
            }
            Command::Capture(a) => {
                let filter = expression(a.filter.clone(), &a.expression)?;
                if let Some(f) = &filter {
                    check_capture_filter(f)?;
                }
                let display = display(a.display_filter.as_deref())?;
                let mut view = view(&a.view, display.as_deref())?;
                view.muted = a.write.as_deref() == Some("-");
                let mut analysis = analysis(&a.conn, &a.flood, &a.arp_options, &view, 1);
                messages_for(&mut analysis, display.as_deref(), &view);
                view.defrag = analysis.defrag;
                // The live tables show every connection's record.
                analysis.conn.records = true;
                let limit = a.view.count.unwrap_or(u64::MAX);
                let logs = log_plan(&a.logs);
                Config::Capture(Box::new(CaptureConfig { args: a, filter, display, limit, view, analysis, logs }))
            }
            Command::Replay(a) => {
                let view = ViewOptions { quiet: true, ..ViewOptions::default() };
                let mut analysis = analysis(&a.conn, &a.flood, &a.arp, &view, 1);
                // The dashboard lists every connection in the table.
                analysis.conn.records = true;
                Config::Replay(Box::new(ReplayConfig {
                    file: a.file,
                    speed: (!a.max).then_some(a.speed),
                    from: a.from,
                    to: a.to,
                    analysis,
                    sandbox: a.sandbox,
                }))
            }
            Command::ArpScan(a) => Config::ArpScan(a),
            Command::Subnet(a) => Config::Subnet {
                query: Query { inputs: a.inputs, split: a.split, hosts: a.hosts, summarize: a.summarize },
                format: a.format,
            },
            Command::Interfaces(a) => Config::Interfaces { format: a.format },
            Command::MergeAlerts(a) => Config::MergeAlerts(Box::new(MergeAlertsConfig {
                flood: flood_config(&a.flood),
                logs: LogPlan { log_dir: a.log_dir.map(|d| (d, a.log_format)), parquet: a.parquet, partial: false, alerts_only: true },
                parts: a.parts,
                sandbox: a.sandbox,
            })),
            Command::Stats(a) => {
                use crate::command::stats;
                let z = a.z.iter().map(|s| stats::parse_z(s)).collect::<Result<Vec<_>, _>>()?;
                let services = z.iter().any(|z| matches!(z, stats::Z::Service));
                // The overview shows the busiest rows; a table asked for with -z shows them all.
                let top = a.top.or(z.is_empty().then_some(10));
                Config::Stats(Box::new(stats::StatsConfig {
                    files: a.files,
                    wanted: stats::wanted(z),
                    top,
                    format: a.format,
                    limit: a.count.unwrap_or(u64::MAX),
                    threads: a.threads as usize,
                    services,
                    plot: a.plot.options(),
                    sandbox: a.sandbox,
                }))
            }
            Command::Report(a) => {
                let view = ViewOptions { quiet: true, ..ViewOptions::default() };
                let mut analysis = analysis(&cli::defaults(), &cli::defaults(), &cli::defaults(), &view, 1);
                // The connection states count every connection; no rows are kept.
                analysis.conn.max_rows = 0;
                Config::Report(Box::new(crate::command::report::ReportConfig {
                    files: a.files,
                    output: a.output,
                    top: a.top,
                    limit: a.count.unwrap_or(u64::MAX),
                    analysis,
                    sandbox: a.sandbox,
                }))
            }
            Command::Ladder(a) => {
                use crate::command::follow::Pick;
                // The ladder writes every state an end passes through: the tracker keeps them.
                let verbose = ViewOptions { verbose: true, ..ViewOptions::default() };
                let conn = analysis(&cli::defaults(), &cli::defaults(), &cli::defaults(), &verbose, 1).conn;
                let pick = match (a.stream, a.conn, display(a.display_filter.as_deref())?) {
                    (Some(n), ..) => Pick::Stream(n),
                    (None, Some(u), _) => Pick::Uid(u),
                    (None, None, Some(f)) => Pick::Filter(f),
                    (None, None, None) => return Err(RunError::Usage("ladder: which connection? give its stream number N, --conn UID or -Y FILTER".into())),
                };
                Config::Ladder(crate::command::ladder::LadderConfig {
                    file: a.file,
                    pick,
                    explain: a.explain,
                    max_rows: usize::try_from(a.max_rows).unwrap_or(usize::MAX),
                    format: a.format,
                    conn,
                    sandbox: a.sandbox,
                })
            }
            Command::Follow(a) => {
                use crate::command::follow::{FollowConfig, Pick};
                let view = ViewOptions { format: a.format, ..ViewOptions::default() };
                let conn = analysis(&cli::defaults(), &cli::defaults(), &cli::defaults(), &view, 1).conn;
                let pick = match (a.stream, a.conn, display(a.display_filter.as_deref())?) {
                    (Some(n), ..) => Some(Pick::Stream(n)),
                    (None, Some(u), _) => Some(Pick::Uid(u)),
                    (None, None, Some(f)) => Some(Pick::Filter(f)),
                    (None, None, None) => None,
                };
                Config::Follow(FollowConfig {
                    file: a.file,
                    udp: a.udp,
                    pick,
                    mode: a.mode,
                    json: a.format == Format::Json,
                    max_held: a.max_held,
                    segments: a.segments || a.framing.is_some(),
                    framing: a.framing,
                    conn,
                    sandbox: a.sandbox,
                })
            }
        })
    }

    /// The output format, which decides how tables are drawn.
    pub fn format(&self) -> Format {
        match self {
            Config::Read(c) => c.view.format,
            Config::Capture(c) => c.view.format,
            Config::ArpScan(a) => a.format,
            Config::Subnet { format, .. } | Config::Interfaces { format } => *format,
            Config::Follow(c) if c.json => Format::Json,
            Config::Stats(c) => c.format,
            Config::Report(_) => Format::Text,
            Config::Follow(_) | Config::Ladder(_) | Config::Replay(_) | Config::MergeAlerts(_) => Format::Text,
        }
    }
}

/// The files of `read` and `conns`, and the capture expression: from -f, or the words after
/// the files (as tcpdump takes them), or every word when -r names the files.
fn inputs(a: &cli::InputArgs) -> Result<(Vec<String>, Option<String>), RunError> {
    let (files, words) = if !a.read_file.is_empty() {
        (a.read_file.clone(), a.files.clone())
    } else {
        // The files run to the last word that names an existing file (`-` is standard input);
        // the first word is a file whatever it names, so that a missing one says so.
        // `-` is a file only among the first words (later it is arithmetic: `len - 14 > 40`).
        let exists = |w: &String| std::path::Path::new(w).is_file();
        let prefix = a.files.iter().take_while(|w| *w == "-" || exists(w)).count();
        let last = a.files.iter().rposition(exists).map_or(0, |i| i + 1);
        let n = prefix.max(last).max(1);
        (a.files.get(..n).unwrap_or(&[]).to_vec(), a.files.get(n..).unwrap_or(&[]).to_vec())
    };
    let filter = expression(a.filter.clone(), &words)?;
    if let Some(f) = &filter {
        check_capture_filter(f)?;
    }
    Ok((files, filter))
}

/// The capture expression of -f or of the words after the files, not both.
fn expression(flag: Option<String>, words: &[String]) -> Result<Option<String>, RunError> {
    match (flag, words.is_empty()) {
        (f, true) => Ok(f),
        (None, false) => Ok(Some(words.join(" "))),
        (Some(f), false) => Err(RunError::Usage(format!(
            "two capture expressions: -f '{f}' and '{}' after the files; give one",
            words.join(" ")
        ))),
    }
}

/// A capture expression that does not compile is a usage error before anything is read.
fn check_capture_filter(expr: &str) -> Result<(), RunError> {
    crate::source::filter::compile(Some(expr)).map(|_| ()).map_err(|e| RunError::Usage(e.to_string()))
}

/// The compiled display filter.
fn display(expr: Option<&str>) -> Result<Option<Arc<DisplayFilter>>, RunError> {
    expr.map(|e| DisplayFilter::new(e).map(Arc::new).map_err(|e| RunError::Usage(format!("-Y {e}")))).transpose()
}

fn threads(n: u64) -> usize {
    usize::try_from(n).unwrap_or(1).max(1)
}

/// The view options of a command line.
fn view(v: &ViewArgs, display: Option<&DisplayFilter>) -> Result<ViewOptions, RunError> {
    // Decode As is a property of the run, read by the decoders and analyzers wherever they run.
    crate::decode::app::set_decode_as(v.decode_as.clone());
    let mut format = v.format;
    let mut fields = None;
    match v.tshark_format {
        Some(TsharkFormat::Json) => format = Format::Json,
        Some(TsharkFormat::Fields) => {
            fields = Some(Arc::new(FieldList::new(&v.fields, &v.field_options).map_err(RunError::Usage)?));
        }
        Some(TsharkFormat::Text) | None => {
            if !v.fields.is_empty() || !v.field_options.is_empty() {
                return Err(RunError::Usage("-e FIELD and -E need -T fields".into()));
            }
        }
    }
    let (dump, dump_link) = match (v.hex, v.hex_ascii) {
        (0, 0) => (Dump::None, false),
        (_, x) if x > 0 => (Dump::HexAscii, x > 1),
        (x, _) => (Dump::Hex, x > 1),
    };
    let stamp = match v.time {
        0 => Stamp::Clock,
        1 => Stamp::Off,
        2 => Stamp::Epoch,
        3 => Stamp::Delta,
        4 => Stamp::Date,
        _ => Stamp::SinceFirst,
    };
    Ok(ViewOptions {
        format,
        verbose: v.verbose,
        dump,
        dump_link,
        ascii: v.ascii,
        link: v.link,
        absolute: v.absolute,
        detail: v.detail,
        stamp,
        local_time: v.local_time,
        number: v.number,
        quiet: v.quiet,
        lines_only: v.lines_only,
        line_buffered: v.line_buffered,
        fields,
        display_filter: display.map(|d| d.text().to_string()),
        muted: false,
        conn_rows: None,
        conn_filter: None,
        conns_only: false,
        arp_only: false,
        defrag: DefragConfig::default(),
    })
}

/// The SYN-flood detector's settings.
fn flood_config(f: &FloodArgs) -> FloodConfig {
    FloodConfig {
        syn_rate: f.flood_syn_rate,
        half_open: f.flood_half_open,
        completion: f.flood_completion,
        timeout: f.flood_timeout,
        quiet: f.flood_quiet,
        max_targets: MAX_TARGETS,
        pending_slots: PENDING_SLOTS,
        feed: false,
    }
}

/// Where the record files go.
fn log_plan(a: &cli::LogArgs) -> LogPlan {
    LogPlan { log_dir: a.log_dir.clone().map(|d| (d, a.log_format)), parquet: a.parquet.clone(), partial: a.partial, alerts_only: false }
}

/// The application layer hands over whole messages when packets are shown, and also when a
/// display filter or `-T fields` names their fields (`http.host`, `tls.*`), even with `-q`.
fn messages_for(analysis: &mut AnalysisConfig, display: Option<&DisplayFilter>, view: &ViewOptions) {
    let fields = view.fields.as_ref().map(|f| f.needs()).unwrap_or_default();
    if display.map(|d| d.needs()).unwrap_or_default().or(fields).app {
        if let Some(app) = analysis.conn.app.as_mut() {
            app.messages = true;
        }
    }
}

/// The analyzers' settings for a run showing `view` on `threads` threads.
pub fn analysis(c: &ConnArgs, f: &FloodArgs, a: &ArpOptions, view: &ViewOptions, thread_count: u64) -> AnalysisConfig {
    let filtered = c.state.is_some() || c.port.is_some() || c.host.is_some();
    AnalysisConfig {
        defrag: DefragConfig {
            max_datagrams: usize::try_from(c.max_frag_datagrams).unwrap_or(usize::MAX),
            max_bytes: usize::try_from(c.max_frag_bytes).unwrap_or(usize::MAX),
            timeout_ns: (c.frag_timeout * 1e9).min(i64::MAX as f64 / 2.0) as i64,
            check_checksums: c.check_checksums,
        },
        conn: ConnConfig {
            max_conns: usize::try_from(c.max_conns).unwrap_or(usize::MAX),
            time_wait: c.time_wait,
            syn_timeout: c.syn_timeout,
            half_open_timeout: c.half_open_timeout,
            idle_timeout: c.idle_timeout,
            udp_timeout: c.udp_timeout,
            icmp_timeout: c.icmp_timeout,
            dns_timeout: c.dns_timeout,
            // The five-layer view shows each connection's state changes.
            timeline: view.verbose,
            max_rows: c.max_rows,
            state: c.state,
            port: c.port,
            host: c.host,
            // Quiet text without a filter shows no connection: only the counts are kept.
            records: !view.format.is_text() || !view.quiet || view.conns_only || filtered,
            end_threads: threads(thread_count),
            sort: cli::ConnSort::Start,
            streams: (c.reassemble == cli::Reassemble::All).then_some(StreamConfig {
                // Delivered bytes are kept to compare retransmissions with until acknowledged,
                // at most this many.
                caps: Caps { held: c.stream_max_held, recent: 64 << 10 },
                budget: c.stream_memory,
            }),
            // Only connections whose first bytes start HTTP or TLS are reassembled for it.
            // DNS over TCP is read from the streams too (any connection on its port).
            app: (!c.no_app).then(|| {
                crate::decode::app::set_dns_tcp_from_stream(true);
                AppConfig {
                    streams: StreamConfig { caps: Caps { held: c.stream_max_held, recent: 64 << 10 }, budget: c.stream_memory },
                    messages: !view.quiet,
                }
            }),
        },
        flood: flood_config(f),
        arp: ArpConfig {
            reachable: a.arp_reachable,
            timeout: a.arp_timeout,
            gc: a.arp_gc,
            net: a.net,
            storm_rate: a.arp_storm_rate,
            dup_window: a.arp_dup_window,
            max_entries: a.arp_max_entries,
        },
    }
}
