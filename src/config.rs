//! The command line, validated once into the configuration a command runs with.

use crate::analyze::arp::ArpConfig;
use crate::analyze::flood::{FloodConfig, MAX_TARGETS, PENDING_SLOTS};
use crate::analyze::stream::reassembly::Caps;
use crate::analyze::stream::StreamConfig;
use crate::analyze::tcp::ConnConfig;
use crate::cli::{self, ArpOptions, Cli, Command, ConnArgs, FloodArgs, ViewArgs};
use crate::error::RunError;
use crate::output::{Format, ViewOptions};
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
    /// `ladder`.
    Ladder(crate::command::ladder::LadderConfig),
    /// `interfaces`.
    Interfaces {
        /// Table or JSON.
        format: Format,
    },
}

/// A run over capture files.
#[derive(Debug)]
pub struct ReadConfig {
    /// The files, in order (`-` is standard input).
    pub files: Vec<String>,
    /// A capture filter (BPF, libpcap build).
    pub filter: Option<String>,
    /// Threads to run on.
    pub threads: usize,
    /// At most this many frames.
    pub limit: u64,
    /// What is shown.
    pub view: ViewOptions,
    /// The analyzers' settings.
    pub analysis: AnalysisConfig,
}

/// A live capture.
#[derive(Debug)]
pub struct CaptureConfig {
    /// The command line's capture options (interface, -w, snap length, privileges, live tables).
    pub args: cli::CaptureArgs,
    /// At most this many frames.
    pub limit: u64,
    /// What is shown.
    pub view: ViewOptions,
    /// The analyzers' settings.
    pub analysis: AnalysisConfig,
}

impl Config {
    /// The configuration of a parsed command line.
    pub fn new(cli: Cli) -> Result<Config, RunError> {
        Ok(match cli.command {
            Command::Read(a) => {
                let view = view(&a.view);
                let analysis = analysis(&a.conn, &a.flood, &a.arp, &view, a.input.threads);
                Config::Read(Box::new(ReadConfig {
                    files: a.input.files,
                    filter: a.input.filter,
                    threads: threads(a.input.threads),
                    limit: a.view.count.unwrap_or(u64::MAX),
                    view,
                    analysis,
                }))
            }
            Command::Conns(a) => {
                let view = ViewOptions { format: a.format, verbose: a.verbose, quiet: true, conns_only: true, ..ViewOptions::default() };
                let analysis = analysis(&a.conn, &a.flood, &cli::defaults(), &view, a.input.threads);
                Config::Read(Box::new(ReadConfig {
                    files: a.input.files,
                    filter: a.input.filter,
                    threads: threads(a.input.threads),
                    limit: a.count.unwrap_or(u64::MAX),
                    view,
                    analysis,
                }))
            }
            Command::Arp(a) => {
                let view = ViewOptions { format: a.format, quiet: true, arp_only: true, ..ViewOptions::default() };
                let t = cli::default_threads();
                let analysis = analysis(&cli::defaults(), &cli::defaults(), &a.arp, &view, t);
                Config::Read(Box::new(ReadConfig { files: a.files, filter: None, threads: threads(t), limit: a.count.unwrap_or(u64::MAX), view, analysis }))
            }
            Command::Capture(a) => {
                let view = view(&a.view);
                let mut analysis = analysis(&a.conn, &a.flood, &a.arp_options, &view, 1);
                // The live tables show every connection's record.
                analysis.conn.records = true;
                let limit = a.view.count.unwrap_or(u64::MAX);
                Config::Capture(Box::new(CaptureConfig { args: a, limit, view, analysis }))
            }
            Command::ArpScan(a) => Config::ArpScan(a),
            Command::Subnet(a) => Config::Subnet {
                query: Query { inputs: a.inputs, split: a.split, hosts: a.hosts, summarize: a.summarize },
                format: a.format,
            },
            Command::Interfaces(a) => Config::Interfaces { format: a.format },
            Command::Ladder(a) => {
                use crate::command::follow::Pick;
                // The ladder writes every state an end passes through: the tracker keeps them.
                let verbose = ViewOptions { verbose: true, ..ViewOptions::default() };
                let conn = analysis(&cli::defaults(), &cli::defaults(), &cli::defaults(), &verbose, 1).conn;
                let pick = match (a.stream, a.conn) {
                    (Some(n), _) => Pick::Stream(n),
                    (None, Some(u)) => Pick::Uid(u),
                    (None, None) => return Err(RunError::Usage("ladder: which connection? give its stream number N or --conn UID".into())),
                };
                Config::Ladder(crate::command::ladder::LadderConfig {
                    file: a.file,
                    pick,
                    explain: a.explain,
                    max_rows: usize::try_from(a.max_rows).unwrap_or(usize::MAX),
                    format: a.format,
                    conn,
                })
            }
            Command::Follow(a) => {
                use crate::command::follow::{FollowConfig, Pick};
                let view = ViewOptions { format: a.format, ..ViewOptions::default() };
                let conn = analysis(&cli::defaults(), &cli::defaults(), &cli::defaults(), &view, 1).conn;
                let pick = match (a.stream, a.conn) {
                    (Some(n), _) => Some(Pick::Stream(n)),
                    (None, Some(u)) => Some(Pick::Uid(u)),
                    (None, None) => None,
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
                })
            }
        })
    }
}

fn threads(n: u64) -> usize {
    usize::try_from(n).unwrap_or(1).max(1)
}

/// The view options of a command line.
fn view(v: &ViewArgs) -> ViewOptions {
    ViewOptions {
        format: v.format,
        verbose: v.verbose,
        hex: v.hex,
        link: v.link,
        absolute: v.absolute,
        quiet: v.quiet,
        conns_only: false,
        arp_only: false,
    }
}

/// The analyzers' settings for a run showing `view` on `threads` threads.
pub fn analysis(c: &ConnArgs, f: &FloodArgs, a: &ArpOptions, view: &ViewOptions, thread_count: u64) -> AnalysisConfig {
    let filtered = c.state.is_some() || c.port.is_some() || c.host.is_some();
    AnalysisConfig {
        conn: ConnConfig {
            max_conns: usize::try_from(c.max_conns).unwrap_or(usize::MAX),
            time_wait: c.time_wait,
            syn_timeout: c.syn_timeout,
            half_open_timeout: c.half_open_timeout,
            idle_timeout: c.idle_timeout,
            udp_timeout: c.udp_timeout,
            icmp_timeout: c.icmp_timeout,
            // The five-layer view shows each connection's state changes.
            timeline: view.verbose,
            max_rows: c.max_rows,
            state: c.state,
            port: c.port,
            host: c.host,
            // Quiet text without a filter shows no connection: only the counts are kept.
            records: view.format != Format::Text || !view.quiet || view.conns_only || filtered,
            end_threads: threads(thread_count),
            streams: (c.reassemble == cli::Reassemble::All).then_some(StreamConfig {
                // Delivered bytes are kept to compare retransmissions with until acknowledged,
                // at most this many.
                caps: Caps { held: c.stream_max_held, recent: 64 << 10 },
                budget: c.stream_memory,
            }),
        },
        flood: FloodConfig {
            syn_rate: f.flood_syn_rate,
            half_open: f.flood_half_open,
            completion: f.flood_completion,
            timeout: f.flood_timeout,
            quiet: f.flood_quiet,
            max_targets: MAX_TARGETS,
            pending_slots: PENDING_SLOTS,
        },
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
