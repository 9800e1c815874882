//! The command line (clap derive), and the only place its defaults live. Nothing else sees raw
//! flags: [`crate::config`] turns them into one validated configuration.

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

/// inspect: a packet-level network protocol inspector.
#[derive(Debug, Parser)]
#[command(name = "inspect", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read pcap/pcapng files and decode every frame, layer by layer.
    Read(ReadArgs),
    /// Read pcap/pcapng files and show only the table of TCP connections and UDP flows.
    Conns(ConnsArgs),
    /// Show the ARP table learned from capture files, and what changed in it (arpwatch style).
    Arp(ArpArgs),
    /// Ask every address of a subnet who-has on an interface, and show who answered.
    ArpScan(ArpScanArgs),
    /// IP subnet calculator: network, broadcast, hosts, binary view, two-host check, splitting.
    Subnet(SubnetArgs),
    /// Capture live from a network interface (needs root or CAP_NET_RAW).
    Capture(CaptureArgs),
    /// List network interfaces: index, MAC, addresses, state.
    Interfaces(InterfacesArgs),
    /// Show one TCP or UDP conversation's bytes in order, each direction marked (tshark's
    /// `-z follow`); without N or --conn, list the conversations.
    Follow(FollowArgs),
    /// Draw one TCP connection as a ladder: an arrow per packet, each end's RFC 793 state as it
    /// changes.
    Ladder(LadderArgs),
    /// Play a capture file back on the dashboard (as `capture --tui` shows a live one), at its
    /// own pace or faster; the clock shown is the packets' time.
    Replay(ReplayArgs),
    /// Statistics as tshark's -z gives them: protocol hierarchy, conversations, endpoints,
    /// frames per interval; without -z, an overview with the top talkers and ports.
    Stats(StatsArgs),
    /// One self-contained HTML page of a capture, for an incident ticket: the summary, the
    /// tables (conversations, top talkers, connection states, alerts) and the pictures.
    Report(ReportArgs),
    /// The SYN-flood alerts of a capture split into files, made from each file's `--partial`
    /// segments (flood_feed.parquet) by one detector, as one run over the whole capture makes
    /// them: the last stage of the Spark job (scale/job.py).
    #[command(hide = true)]
    MergeAlerts(MergeAlertsArgs),
}

/// `inspect merge-alerts PART...`
#[derive(Debug, Clone, Args)]
pub struct MergeAlertsArgs {
    /// The `--parquet` directories of the files' `--partial` runs, in the files' order.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<std::path::PathBuf>,
    /// Write notice.log into this directory.
    #[arg(long = "log-dir", value_name = "DIR")]
    pub log_dir: Option<std::path::PathBuf>,
    /// notice.log's format.
    #[arg(long = "log-format", value_enum, value_name = "FORMAT", default_value_t = crate::output::logs::LogFormat::Zeek)]
    pub log_format: crate::output::logs::LogFormat,
    /// Write notice.parquet into this directory.
    #[arg(long = "parquet", value_name = "DIR")]
    pub parquet: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub flood: FloodArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// The threads `read` uses unless told: the cores, at most eight.
pub fn default_threads() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8) as u64
}

/// How packets are shown.
#[derive(Debug, Clone, Args)]
pub struct ViewArgs {
    /// Output format: text lines and tables, JSON Lines, or text with every table as
    /// tab-separated values.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// tshark's -T: `fields` prints the fields named with -e, `json` is --format json, `text`
    /// the default.
    #[arg(short = 'T', value_name = "FORMAT", value_enum)]
    pub tshark_format: Option<TsharkFormat>,
    /// With -T fields: a field to print (Wireshark's name, as in the JSON output); repeat for
    /// more. Given as -e FIELD after -T fields, as tshark takes it.
    #[arg(long = "field", value_name = "FIELD")]
    pub fields: Vec<String>,
    /// With -T fields: tshark's -E options: separator=/t|/s|C, header=y|n, occurrence=f|l|a,
    /// aggregator=C, quote=d|s|n.
    #[arg(short = 'E', value_name = "OPTION=VALUE")]
    pub field_options: Vec<String>,
    /// Show the five-layer view: every header field with its meaning and byte offset.
    #[arg(short = 'V', long = "verbose")]
    pub verbose: bool,
    /// More detail in each line, as tcpdump's -v: IP TTL, id, flags and length, checksums
    /// (-vv, -vvv accepted).
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    pub detail: u8,
    /// Hex dump of each packet without its link header, as tcpdump's -x; -xx with it.
    #[arg(short = 'x', action = clap::ArgAction::Count)]
    pub hex: u8,
    /// Hex and ASCII dump without the link header, as tcpdump's -X; -XX with it.
    #[arg(short = 'X', action = clap::ArgAction::Count)]
    pub hex_ascii: u8,
    /// Each packet (without its link header) as ASCII, as tcpdump's -A.
    #[arg(short = 'A')]
    pub ascii: bool,
    /// Print the link-layer header on each line (tcpdump's -e; after -T fields, -e names a field).
    #[arg(short = 'e')]
    pub link: bool,
    /// Print absolute TCP sequence numbers instead of relative ones.
    #[arg(short = 'S', long = "absolute-tcp-sequence-numbers")]
    pub absolute: bool,
    /// Time stamps as tcpdump's -t: none (-t), seconds since 1970 (-tt), since the previous
    /// packet (-ttt), with the date (-tttt), since the first packet (-ttttt).
    #[arg(short = 't', action = clap::ArgAction::Count)]
    pub time: u8,
    /// Times in the local time zone (TZ) instead of UTC.
    #[arg(long)]
    pub local_time: bool,
    /// Begin each packet line with its number among the packets shown, as tcpdump's -#.
    #[arg(short = '#', long = "number")]
    pub number: bool,
    /// Print no packets, only the summary counts (no tables).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Packet lines and nothing else: no event lines between them, no summary or tables at
    /// the end (for grep and diff).
    #[arg(short = 'L', long)]
    pub lines_only: bool,
    /// Flush each line as it is written (tcpdump's -l), for `| tee` or `| grep` on a live capture.
    #[arg(short = 'l')]
    pub line_buffered: bool,
    /// Don't resolve addresses or ports (the default already; -nn and more accepted, as tcpdump's).
    #[arg(short = 'n', action = clap::ArgAction::Count, hide = true)]
    pub numeric: u8,
    /// Stop after this many packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Decode a port as a protocol, as Wireshark's Decode As: `udp.port==5300,dns` (dns, mdns,
    /// llmnr, dhcp, dhcpv6) or `tcp.port==5300,dns`; may be given more than once.
    #[arg(long = "decode-as", value_name = "{udp|tcp}.port==PORT,PROTO", value_parser = crate::decode::app::parse_decode_as)]
    pub decode_as: Vec<crate::decode::app::DecodeAs>,
}

/// tshark's output formats (`-T`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TsharkFormat {
    /// The fields named with -e, one line per packet.
    Fields,
    /// JSON Lines (--format json).
    Json,
    /// Lines and tables (the default).
    Text,
}

/// The capture files a command reads, and how.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// pcap or pcapng files to read (`-` reads standard input), then, as tcpdump takes it, a
    /// capture expression: a word that names an existing file is a file, the words after the
    /// last file are the expression (`read f.pcap tcp port 80`).
    #[arg(value_name = "FILE", required_unless_present = "read_file")]
    pub files: Vec<String>,
    /// A file to read, as tcpdump's and tshark's -r (the words after the options are then the
    /// expression).
    #[arg(short = 'r', value_name = "FILE")]
    pub read_file: Vec<String>,
    /// Capture filter in tcpdump's syntax (pcap-filter(7)): it filters the input, so the
    /// analyzers never see the frames it drops. Pure Rust unless the libpcap build, which uses
    /// libpcap's compiler.
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Display filter in Wireshark's syntax on the JSON field names (`tcp.port == 443`,
    /// `ip.addr == 10.0.0.0/8 && !arp`, `conn.state == "S0"`): it filters what is shown, as
    /// tshark's -Y; the analyzers still see every frame.
    #[arg(short = 'Y', long = "display-filter", value_name = "EXPR")]
    pub display_filter: Option<String>,
    /// Threads: one reads and decodes, one tracks connections and writes the output, and each
    /// flow shard beyond the first has its own; 1 does everything on one. Every value gives the
    /// same output.
    #[arg(long, value_name = "N", default_value_t = default_threads(), value_parser = clap::value_parser!(u64).range(1..=64))]
    pub threads: u64,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// The sandbox a run enters once its inputs and outputs are open (see `src/sandbox.rs`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sandbox")]
pub struct SandboxArgs {
    /// Don't sandbox the run. By default, once the inputs and outputs are open, Landlock leaves
    /// only reading the inputs and writing the outputs, and seccomp only the system calls a run
    /// makes; stderr's first line says what is on.
    #[arg(long = "no-sandbox")]
    pub no_sandbox: bool,
    /// What a system call outside the sandbox's list does: fail (the run reports it) or kill the
    /// process.
    #[arg(long = "sandbox", value_enum, value_name = "DENIED", default_value_t = crate::sandbox::Denied::Error)]
    pub denied: crate::sandbox::Denied,
    /// Test hook: once sandboxed, try to create this file and to open a socket, and say how
    /// each went on stderr.
    #[arg(long = "sandbox-probe", value_name = "FILE", hide = true)]
    pub probe: Option<String>,
}

/// `inspect read FILE...`
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the frames that pass the filters to this capture file (`-` for standard output,
    /// then nothing else goes there): pcapng when the input is pcapng or the name ends in
    /// .pcapng, else pcap.
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<String>,
    /// Bytes kept of each frame (0: all, 262144).
    #[arg(short = 's', long = "snaplen", value_name = "N", value_parser = snaplen)]
    pub snaplen: Option<u32>,
    /// Stop at this moment of the capture and show the connection table, the ARP table and the
    /// open alerts as they stood then: a UTC time ('2026-11-22 11:20:30', fractions allowed)
    /// or seconds after the first packet (+12.5).
    #[arg(long, value_name = "TIME", value_parser = moment, conflicts_with_all = ["write", "display_filter"])]
    pub at: Option<crate::command::at::Moment>,
    /// Statistics after the report, as tshark's -z: io,phs; conv,eth|ip|ipv6|tcp|udp[,FILTER];
    /// endpoints,TYPE[,FILTER]; io,stat,INTERVAL[,FILTER...]; service (connections, packets and
    /// bytes per application service). May be given more than once; with -q, the summary and
    /// these tables only.
    #[arg(short = 'z', value_name = "WHAT", conflicts_with = "at")]
    pub z: Vec<String>,
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub flood: FloodArgs,
    #[command(flatten)]
    pub arp: ArpOptions,
    #[command(flatten)]
    pub logs: LogArgs,
    #[command(flatten)]
    pub plot: PlotArgs,
}

/// Pictures of the run.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Pictures")]
pub struct PlotArgs {
    /// Draw the I/O graph, the connections open and half open, each SYN-flood alert's SYN rate
    /// and the connection states into this directory (made if missing); the text report gets
    /// sparklines of the same series.
    #[arg(long = "plot", value_name = "DIR")]
    pub plot: Option<std::path::PathBuf>,
    /// The pictures' format.
    #[arg(long = "plot-format", value_enum, value_name = "FORMAT", default_value_t = crate::output::plot::PlotFormat::Svg)]
    pub plot_format: crate::output::plot::PlotFormat,
}

impl PlotArgs {
    /// The options, when pictures are asked for.
    pub fn options(&self) -> Option<crate::output::plot::PlotOptions> {
        self.plot.clone().map(|dir| crate::output::plot::PlotOptions { dir, format: self.plot_format })
    }
}

/// `inspect report FILE... -o FILE`
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// pcap or pcapng files, read one after the other as one capture.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// The HTML file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: std::path::PathBuf,
    /// Rows of the conversation and talker tables.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Stop after this many packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// Record files: every connection, transaction, alert and ARP event, one file per kind.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Record files")]
pub struct LogArgs {
    /// Write Zeek-style logs into this directory, one file per record kind (conn.log, dns.log,
    /// http.log, ssl.log, dhcp.log, notice.log, arp.log, stats.log), created before anything is
    /// read.
    #[arg(long = "log-dir", value_name = "DIR")]
    pub log_dir: Option<std::path::PathBuf>,
    /// The logs' format: Zeek's tab-separated values under a `#fields`/`#types` header
    /// (zeek-cut reads them), or JSON lines with the same field names.
    #[arg(long = "log-format", value_enum, value_name = "FORMAT", default_value_t = crate::output::logs::LogFormat::Zeek)]
    pub log_format: crate::output::logs::LogFormat,
    /// Write the same records as Parquet files into this directory (conn.parquet, dns.parquet,
    /// ...), with typed columns that duckdb, pandas and Spark read directly (the build with
    /// the `parquet` feature).
    #[arg(long = "parquet", value_name = "DIR")]
    pub parquet: Option<std::path::PathBuf>,
    /// For captures split into files (tcpdump -G) analyzed one file per run: conn records say
    /// which connections were open at the start (`mid_stream`) and which went on past the end
    /// (`continued`, read from --next), so that the runs' records merge into those of one run
    /// over all files (see docs/SCALE.md).
    #[arg(long)]
    pub partial: bool,
    /// With --partial: the file that follows the inputs, read only to finish the connections
    /// still open at their end (nothing else in it is analyzed or counted).
    #[arg(long = "next", value_name = "FILE", requires = "partial")]
    pub next: Vec<String>,
}

/// `inspect conns FILE...`
#[derive(Debug, Clone, Args)]
pub struct ConnsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format: the table as text, JSON Lines, or tab-separated values.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Add each connection's state timeline.
    #[arg(short = 'V', long = "verbose")]
    pub verbose: bool,
    /// Stop after this many packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Order of the rows: by start, or largest first by bytes, packets or duration; the rows are
    /// then kept (at most --top or --max-rows) and shown at the end. Without it rows stream out as
    /// connections leave the table, in flat memory.
    #[arg(long, value_enum, value_name = "KEY")]
    pub sort: Option<ConnSort>,
    /// Only the first N rows in the --sort order (by start without --sort); the totals count
    /// every connection.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub flood: FloodArgs,
}

/// How `conns --sort` orders the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ConnSort {
    /// By start time, earliest first.
    #[default]
    Start,
    /// By bytes both ways, most first.
    Bytes,
    /// By packets both ways, most first.
    Pkts,
    /// By duration, longest first.
    Duration,
}

/// Settings of the connection tracker and its table.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connections")]
pub struct ConnArgs {
    /// Most connections tracked at once; beyond it the longest idle is evicted (and counted).
    /// About 110 bytes for a connection that has seen one packet (a scan's, a flood's) and 305 for
    /// others, so 55 to 155 MB at the default cap.
    #[arg(long, value_name = "N", default_value_t = 500_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_conns: u64,
    /// Seconds a closed connection (FINs both ways, or a RST) is kept after the packet that
    /// closed it, whatever comes later; a packet after that starts a new connection (Zeek's
    /// tcp_close_delay). It is also how long TIME_WAIT is taken to last.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = positive_secs)]
    pub time_wait: f64,
    /// Seconds after its first SYN an attempt that got no answer is kept, however many SYNs
    /// follow; a SYN after that starts a new connection (Zeek's tcp_attempt_delay: Linux's SYN
    /// retries 7, 15, 31 s after the first each make one).
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = positive_secs)]
    pub syn_timeout: f64,
    /// Seconds a half-open (handshake incomplete) or half-closed connection may stay idle. As
    /// in Zeek, whose tcp_inactivity_timeout ends them: its ExpireTimer ends none whose ends
    /// are both active, and its PartialCloseTimer runs only for a connection_partial_close
    /// handler, which its base scripts do not have.
    #[arg(long, value_name = "SECS", default_value_t = 300.0, value_parser = positive_secs)]
    pub half_open_timeout: f64,
    /// Seconds an established TCP connection may stay idle (Zeek's tcp_inactivity_timeout).
    #[arg(long, value_name = "SECS", default_value_t = 300.0, value_parser = positive_secs)]
    pub idle_timeout: f64,
    /// Seconds a UDP flow may stay idle (Zeek's udp_inactivity_timeout).
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = positive_secs)]
    pub udp_timeout: f64,
    /// Seconds after which a UDP flow on a DNS port (53, 137, 5353, 5355) is checked for having
    /// gone quiet, and again as long as it has not (Zeek's dns_session_timeout): it ends at the
    /// first check that finds it idle for a second less than that.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = positive_secs)]
    pub dns_timeout: f64,
    /// Seconds an ICMP flow may stay idle (Zeek's icmp_inactivity_timeout).
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = positive_secs)]
    pub icmp_timeout: f64,
    /// Seconds a fragmented IP datagram may wait for its missing fragments (Linux's
    /// ipfrag_time is 30 s).
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = positive_secs)]
    pub frag_timeout: f64,
    /// Most fragmented IP datagrams held incomplete at once; beyond it the oldest is dropped
    /// (and counted).
    #[arg(long, value_name = "N", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_frag_datagrams: u64,
    /// Most fragment bytes held at once (Linux's ipfrag_high_thresh is 4 MiB).
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_frag_bytes: u64,
    /// Connection table: only connections with an end in this RFC 793 state (e.g. SYN_RCVD)
    /// or with this Zeek conn_state (e.g. REJ).
    #[arg(long, value_name = "STATE", value_parser = crate::analyze::tcp::parse_state_filter)]
    pub state: Option<crate::analyze::tcp::StateFilter>,
    /// Connection table: only connections with this port at either end.
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Connection table: only connections with this address at either end.
    #[arg(long, value_name = "ADDR")]
    pub host: Option<std::net::IpAddr>,
    /// Connection table: at most this many rows, the earliest by start (totals count all).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_rows: usize,    /// Reassemble TCP streams: `all` puts every connection's bytes back in order and counts
    /// what was retransmitted, what overlapped with different bytes (an evasion sign) and what
    /// is missing.
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = Reassemble::None)]
    pub reassemble: Reassemble,
    /// Verify every TCP and UDP checksum, as Zeek does: a packet whose checksum is bad is noted
    /// in its connection's history (`C`, `c` from the responder) and otherwise ignored (not
    /// counted, not reassembled). A checksum left to the network card (a capture on the
    /// sending host) is not bad. Off by default, as in Wireshark: it reads every payload byte.
    #[arg(long)]
    pub check_checksums: bool,
    /// Most out-of-order bytes one direction of a stream holds waiting for missing ones; past it
    /// the missing bytes are given up as a gap (and counted).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub stream_max_held: usize,
    /// Most out-of-order bytes all streams together hold (each flow shard holds its share, so
    /// with several threads this cap can be reached a little sooner).
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub stream_memory: usize,
    /// Skip the application layer: no HTTP or TLS is read from TCP streams (by default the
    /// connections whose first bytes start an HTTP request or a TLS handshake are).
    #[arg(long)]
    pub no_app: bool,
}

/// Which TCP streams are reassembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Reassemble {
    /// Only those a view asks for.
    None,
    /// Every TCP connection's.
    All,
}

/// Settings of the SYN-flood detector.
///
/// A target (an address and port; the ports of one address; the addresses of one subnet) is
/// flooded when, at one of its SYNs, all three thresholds hold: the SYN rate, the attempts
/// waiting, and a completion share below --flood-completion. With the first two crossed and
/// handshakes completing, it is a `connection_surge` notice instead: a busy service.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "SYN flood detection")]
pub struct FloodArgs {
    /// SYNs a second to one target that, with the other two thresholds, open an alert (0: no
    /// rate needed, for slow floods). 100: far below what an attack sends (thousands a second);
    /// busy services reach it too, and --flood-completion tells them apart.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub flood_syn_rate: u64,
    /// Connection attempts to one target still waiting for their completing ACK that, with the
    /// other two thresholds, open an alert. 64 is half of Linux's smallest
    /// tcp_max_syn_backlog (128): the alert comes before a small server's backlog is full.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub flood_half_open: u64,
    /// Percentage of a target's SYNs in the last second whose handshake completed, below which
    /// it is being held half-open (a flood), at or above which it is a busy service (a surge).
    /// Attempts still waiting count as not completed, so a growing half-open backlog lowers it
    /// at once. 50: spoofed floods complete about none, busy services about all; half-way
    /// leaves room for a server that loses or refuses many attempts.
    #[arg(long, value_name = "PCT", default_value_t = 50, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub flood_completion: u8,
    /// Seconds a SYN or SYN-ACK may wait for its completing ACK before the attempt counts as
    /// half-open. 3 s: Linux retransmits an unanswered SYN-ACK first after 1 s, then after 3 s.
    #[arg(long, value_name = "SECS", default_value_t = 3.0, value_parser = positive_secs)]
    pub flood_timeout: f64,
    /// Seconds without crossed thresholds before an alert closes. 5 s: longer than the timeout,
    /// so a flood paused for a few retransmission rounds stays one alert.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = positive_secs)]
    pub flood_quiet: f64,
}

/// Settings of the ARP table.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "ARP")]
pub struct ArpOptions {
    /// The local IPv4 network: ARP senders outside it are reported as bogons.
    #[arg(long, value_name = "CIDR")]
    pub net: Option<ipnetwork::Ipv4Network>,
    /// Seconds an ARP entry stays reachable after a reply.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = secs)]
    pub arp_reachable: f64,
    /// Seconds a who-has may go unanswered before the address is failed.
    #[arg(long, value_name = "SECS", default_value_t = 3.0, value_parser = secs)]
    pub arp_timeout: f64,
    /// Seconds of silence after which an ARP entry is dropped; 0 never.
    #[arg(long, value_name = "SECS", default_value_t = 600.0, value_parser = secs)]
    pub arp_gc: f64,
    /// Requests per second from one sender above which an ARP storm is reported.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub arp_storm_rate: u32,
    /// Seconds within which answers from two MACs for one address are a duplicate.
    #[arg(long, value_name = "SECS", default_value_t = 1.0, value_parser = secs)]
    pub arp_dup_window: f64,
    /// Most addresses in the ARP table; the oldest are evicted past it.
    #[arg(long, value_name = "N", default_value_t = 65_536)]
    pub arp_max_entries: usize,
}

/// `inspect arp FILE...`
#[derive(Debug, Clone, Args)]
pub struct ArpArgs {
    /// pcap or pcapng files to read; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Output format: the table and events as text, or JSON Lines.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Stop after this many packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    #[command(flatten)]
    pub arp: ArpOptions,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// `inspect capture -i IFACE`
#[derive(Debug, Clone, Args)]
pub struct CaptureArgs {
    /// Interface to capture on (see `inspect interfaces`), or `any` for all of them.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: String,
    /// Write every captured frame (that passes -Y) to this pcap file as it arrives; `-` writes
    /// the capture to standard output, and nothing else goes there. With -G, strftime patterns
    /// in the name (%Y-%m-%d_%H%M%S) are filled in with the local time each file starts.
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<String>,
    /// With -w: start a new file before the frame that would follow a file past this many
    /// million bytes (tcpdump's -C); the next files get 1, 2, ... after the name.
    #[arg(short = 'C', value_name = "MB", value_parser = positive_mb)]
    pub file_size: Option<f64>,
    /// With -w: start a new file every this many seconds (tcpdump's -G).
    #[arg(short = 'G', value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub rotate_seconds: Option<u64>,
    /// With -C: reuse this many files in turn (named with a counter of fixed width); with -G
    /// alone: stop after this many files (tcpdump's -W).
    #[arg(short = 'W', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub file_count: Option<u32>,
    /// The kernel's capture buffer in KiB (tcpdump's -B): frames wait there while the
    /// analysis is busy, and what does not fit is dropped and counted.
    #[arg(short = 'B', long = "buffer-size", value_name = "KiB", default_value_t = 32_768, value_parser = clap::value_parser!(u32).range(256..=4_194_304))]
    pub buffer_kib: u32,
    /// Only frames the interface received (in), sent (out), or both (tcpdump's -Q).
    #[arg(short = 'Q', long = "direction", value_enum, default_value_t = crate::source::live::Direction::Inout)]
    pub direction: crate::source::live::Direction,
    /// Capture filter in tcpdump's syntax (pcap-filter(7)), also given as the words after the
    /// options: the kernel drops what it does not match, and the analyzers never see it.
    /// libpcap's compiler in the libpcap build.
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// The capture filter as words, as tcpdump takes it (`capture -i eth0 tcp port 80`).
    #[arg(value_name = "EXPRESSION")]
    pub expression: Vec<String>,
    /// Display filter in Wireshark's syntax: only matching packets are shown (and written with
    /// -w); the analyzers still see every frame.
    #[arg(short = 'Y', long = "display-filter", value_name = "EXPR")]
    pub display_filter: Option<String>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    pub duration: Option<f64>,
    /// Bytes kept of each frame (0: all, 262144).
    #[arg(short = 's', long, value_name = "N", default_value_t = 262_144, value_parser = snaplen)]
    pub snaplen: u32,
    /// Don't put the interface in promiscuous mode.
    #[arg(long = "no-promisc")]
    pub no_promisc: bool,
    /// After opening the capture (and -w file), run as this user. Default when started as
    /// root: $SUDO_USER, else `nobody`; `-Z root` keeps root.
    #[arg(short = 'Z', long = "relinquish-privileges", value_name = "USER")]
    pub user: Option<String>,
    /// The connection table: redrawn in place every second on a terminal; elsewhere each
    /// connection's record as it ends, and the table at the end.
    #[arg(long)]
    pub conns: bool,
    /// The ARP table: redrawn in place every second on a terminal; elsewhere each ARP event as
    /// it happens, and the table at the end.
    #[arg(long)]
    pub arp: bool,
    /// Show the dashboard (as `replay` does) instead of packets: rates, protocols, talkers,
    /// connections, ARP, alerts; the summary is printed when it closes.
    #[arg(long, conflicts_with_all = ["conns", "arp"])]
    pub tui: bool,
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub flood: FloodArgs,
    #[command(flatten)]
    pub arp_options: ArpOptions,
    #[command(flatten)]
    pub logs: LogArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// `inspect replay FILE`
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The pcap or pcapng file.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Play at this many times the capture's own pace.
    #[arg(long, value_name = "N", default_value_t = 1.0, value_parser = speed, conflicts_with = "max")]
    pub speed: f64,
    /// Play as fast as the frames can be read.
    #[arg(long)]
    pub max: bool,
    /// Start playing at this moment (the frames before it are read at once): a UTC time
    /// ('2026-11-22 11:20:30') or seconds after the first packet (+12.5).
    #[arg(long, value_name = "TIME", value_parser = moment)]
    pub from: Option<crate::command::at::Moment>,
    /// Stop playing at this moment.
    #[arg(long, value_name = "TIME", value_parser = moment)]
    pub to: Option<crate::command::at::Moment>,
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub flood: FloodArgs,
    #[command(flatten)]
    pub arp: ArpOptions,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// `inspect arp-scan -i IFACE [CIDR]`
#[derive(Debug, Clone, Args)]
pub struct ArpScanArgs {
    /// The interface to send the requests on.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: String,
    /// The addresses to ask for (at most a /16); the interface's own subnet when left out.
    #[arg(value_name = "CIDR")]
    pub cidr: Option<ipnetwork::Ipv4Network>,
    /// Requests per second.
    #[arg(long, value_name = "PPS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rate: u32,
    /// Seconds to wait for replies after the last request.
    #[arg(long, value_name = "SECS", default_value_t = 2.0, value_parser = secs)]
    pub wait: f64,
    /// Output format: the table as text, or JSON Lines.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `inspect subnet INPUT...`
#[derive(Debug, Clone, Args)]
pub struct SubnetArgs {
    /// Address or network (A.B.C.D/NN, A.B.C.D/M.M.M.M, A.B.C.D M.M.M.M, bare A.B.C.D, IPv6 addr/prefix), a range A-B, a second host, or several networks to summarize.
    #[arg(value_name = "INPUT", required = true, num_args = 1..)]
    pub inputs: Vec<String>,
    /// List the subnets of the network at this new prefix (e.g. 27, /27 or 255.255.255.224).
    #[arg(long, value_name = "PREFIX")]
    pub split: Option<String>,
    /// VLSM: carve the smallest subnets holding these host counts, largest first (e.g. 50,20,10).
    #[arg(long, value_name = "N,N,...")]
    pub hosts: Option<String>,
    /// Summarize the given networks into the smallest covering set of CIDR blocks.
    #[arg(long)]
    pub summarize: bool,
    /// Output format: a table, or JSON keyed as `ipcalc-ng -j`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `inspect follow FILE [N]`
#[derive(Debug, Clone, Args)]
pub struct FollowArgs {
    /// The pcap or pcapng file; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The conversation: its number, counted from 0 in order of first packet (Wireshark's
    /// tcp.stream or udp.stream).
    #[arg(value_name = "N")]
    pub stream: Option<u32>,
    /// The connection with this uid (as `inspect conns` shows it).
    #[arg(long, value_name = "UID", conflicts_with = "stream")]
    pub conn: Option<String>,
    /// The conversation of the first packet this display filter passes (Wireshark's syntax, as
    /// `read -Y`); the whole conversation is followed, from its first packet.
    #[arg(short = 'Y', long = "display-filter", value_name = "EXPR", conflicts_with_all = ["stream", "conn"])]
    pub display_filter: Option<String>,
    /// Follow a UDP conversation rather than a TCP one.
    #[arg(long)]
    pub udp: bool,
    /// How the bytes are shown: as text, as a hex dump, or as one line of hex per chunk.
    #[arg(long, value_enum, default_value_t = crate::output::follow::Mode::Ascii)]
    pub mode: crate::output::follow::Mode,
    /// Output format: text as tshark prints it, or JSON Lines (one object per chunk).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Most out-of-order bytes held per direction waiting for missing ones; past it the
    /// missing bytes are given up.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_held: usize,
    /// Show where each segment begins and ends in the stream (frame, relative sequence number,
    /// length, PSH, retransmissions and gaps) rather than the bytes.
    #[arg(long)]
    pub segments: bool,
    /// With --segments: also where each message begins and ends, by this rule (lines, 2- or
    /// 4-byte big-endian length headers, HTTP/1.x messages).
    #[arg(long, value_enum, value_name = "RULE")]
    pub framing: Option<crate::analyze::stream::framing::Framing>,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// `inspect ladder FILE [N]`
#[derive(Debug, Clone, Args)]
pub struct LadderArgs {
    /// The pcap or pcapng file; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The connection: its TCP stream number, counted from 0 in order of first packet
    /// (Wireshark's tcp.stream; `inspect follow FILE` lists them).
    #[arg(value_name = "N", required_unless_present_any = ["conn", "display_filter"])]
    pub stream: Option<u32>,
    /// The connection with this uid (as `inspect conns` shows it).
    #[arg(long, value_name = "UID", conflicts_with = "stream")]
    pub conn: Option<String>,
    /// The connection of the first TCP packet this display filter passes (Wireshark's syntax,
    /// as `read -Y`); the whole connection is drawn, from its first packet.
    #[arg(short = 'Y', long = "display-filter", value_name = "EXPR", conflicts_with_all = ["stream", "conn"])]
    pub display_filter: Option<String>,
    /// Write the handshake as seq=x, seq=y ack=x+1, ack=y+1 with the actual numbers, and every
    /// number absolute.
    #[arg(long)]
    pub explain: bool,
    /// Most arrows drawn; the middle of a longer connection is elided.
    #[arg(long, value_name = "N", default_value_t = 40, value_parser = clap::value_parser!(u64).range(2..))]
    pub max_rows: u64,
    /// Output format: text, an SVG picture, or JSON Lines (one object per packet).
    #[arg(long, value_enum, default_value_t = crate::command::ladder::LadderFormat::Text)]
    pub format: crate::command::ladder::LadderFormat,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// `inspect stats FILE...`
#[derive(Debug, Clone, Args)]
pub struct StatsArgs {
    /// pcap or pcapng files, read one after the other as one capture; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// A statistic as tshark's -z names it: io,phs; conv,eth|ip|ipv6|tcp|udp[,FILTER];
    /// endpoints,eth|ip|ipv6|tcp|udp[,FILTER]; io,stat,INTERVAL[,FILTER...] (one column per
    /// display filter); service (connections, packets and IP bytes per application service, as
    /// the connections' records name it). May be given more than once.
    #[arg(short = 'z', value_name = "WHAT")]
    pub z: Vec<String>,
    /// Only the N busiest rows of each conversation and endpoint table (most frames first), and
    /// N top talkers and ports (10 unless told).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Output format: text tables, JSON Lines (one object per row), or tab-separated values.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Stop after this many packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Threads: one reads, decodes and counts all but the conversations, which the others
    /// count (sharded by conversation) and then write; 1 does everything on one. Every value
    /// gives the same output.
    #[arg(long, value_name = "N", default_value_t = default_threads(), value_parser = clap::value_parser!(u64).range(1..=64))]
    pub threads: u64,
    #[command(flatten)]
    pub plot: PlotArgs,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// `inspect interfaces`
#[derive(Debug, Clone, Args)]
pub struct InterfacesArgs {
    /// Output format: a text table, or JSON Lines (one object per interface).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// A snap length: 1 to 262144, or 0 for the largest, as tcpdump's -s 0.
fn snaplen(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(0) => Ok(262_144),
        Ok(n) if n <= 262_144 => Ok(n),
        _ => Err(format!("'{s}' is not a snap length (0 for all, or 1 to 262144)")),
    }
}

/// The command line with tshark's `-e FIELD` told from tcpdump's `-e`: after `-T fields`, each
/// `-e` takes a field name (clap cannot give one short flag two meanings).
pub fn habits<I: IntoIterator<Item = std::ffi::OsString>>(args: I) -> Vec<std::ffi::OsString> {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let text = |a: &std::ffi::OsString| a.to_str().map(str::to_string).unwrap_or_default();
    let fields = args.windows(2).any(|w| text(&w[0]) == "-T" && text(&w[1]) == "fields") || args.iter().any(|a| text(a) == "-Tfields");
    if !fields {
        return args;
    }
    let mut out = Vec::with_capacity(args.len());
    let mut rest = false;
    for a in args {
        let t = text(&a);
        if rest {
            out.push(a);
        } else if t == "--" {
            rest = true;
            out.push(a);
        } else if t == "-e" {
            out.push("--field".into());
        } else if let Some(f) = t.strip_prefix("-e").filter(|f| !f.is_empty() && !t.starts_with("--")) {
            out.push("--field".into());
            out.push(f.into());
        } else {
            out.push(a);
        }
    }
    out
}

/// A duration in seconds: a finite, non-negative number.
fn secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds (0 or more)")),
    }
}

/// Millions of bytes: finite and above zero.
fn positive_mb(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err(format!("'{s}' is not a number of megabytes above zero")),
    }
}

/// A number of seconds: finite and above zero.
/// A moment of a capture (`--at`, `--from`, `--to`).
fn moment(s: &str) -> Result<crate::command::at::Moment, String> {
    crate::command::at::Moment::parse(s)
}

/// A replay's pace.
fn speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1e6 => Ok(v),
        _ => Err(format!("'{s}' is not a speed (a number above 0, at most 1000000)")),
    }
}

fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds above zero")),
    }
}

/// The settings a command that lacks some of these flags runs with: their defaults, as parsed
/// from an empty command line.
pub fn defaults<T: clap::FromArgMatches + Args>() -> T {
    let cmd = T::augment_args(clap::Command::new("inspect").no_binary_name(true));
    let matches = cmd.get_matches_from(std::iter::empty::<String>());
    match T::from_arg_matches(&matches) {
        Ok(t) => t,
        // Unreachable: every flag of these groups has a default or is optional.
        Err(e) => e.exit(),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn defaults_come_from_the_flags() {
        let c: ConnArgs = defaults();
        assert_eq!((c.max_conns, c.time_wait, c.max_rows, c.state), (500_000, 5.0, 1000, None));
        let f: FloodArgs = defaults();
        assert_eq!((f.flood_syn_rate, f.flood_half_open, f.flood_timeout, f.flood_quiet), (100, 64, 3.0, 5.0));
        let a: ArpOptions = defaults();
        assert_eq!((a.arp_reachable, a.arp_timeout, a.arp_gc, a.arp_storm_rate, a.arp_max_entries), (30.0, 3.0, 600.0, 20, 65_536));
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
