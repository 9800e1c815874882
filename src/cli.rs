//! The command line (clap derive). Nothing else in the program sees raw flags: `run` turns these
//! into validated options in one place.

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
    /// Show the ARP table learned from capture files, and what changed in it (arpwatch style).
    Arp(ArpArgs),
    /// Ask every address of a subnet who-has on an interface, and show who answered.
    ArpScan(ArpScanArgs),
    /// IP subnet calculator: network, broadcast, hosts, binary view, two-host check, splitting.
    Subnet(SubnetCmd),
    /// Capture live from a network interface (needs root or CAP_NET_RAW).
    Capture(CaptureArgs),
    /// List network interfaces: index, MAC, addresses, state.
    Interfaces(InterfacesArgs),
    /// Read pcap/pcapng files and show only the table of TCP connections and UDP flows.
    Conns(ReadArgs),
}

/// `inspect subnet ...`
#[derive(Debug, Clone, Args)]
pub struct SubnetCmd {
    #[command(flatten)]
    pub args: crate::subnet::SubnetArgs,
    /// Output format: a table, or JSON keyed as `ipcalc-ng -j`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How packets are shown.
#[derive(Debug, Clone, Args)]
pub struct ViewArgs {
    /// Output format: text lines and tables, or JSON Lines.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Show the five-layer view: every header field with its meaning and byte offset.
    #[arg(short = 'V', long = "verbose")]
    pub verbose: bool,
    /// Add a hex and ASCII dump of each frame.
    #[arg(short = 'x')]
    pub hex: bool,
    /// Print the link-layer header on each line.
    #[arg(short = 'e')]
    pub link: bool,
    /// Print absolute TCP sequence numbers instead of relative ones.
    #[arg(short = 'S', long = "absolute-tcp-sequence-numbers")]
    pub absolute: bool,
    /// Print no packets, only the summary.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Don't resolve addresses (the default already; accepted for tcpdump habits).
    #[arg(short = 'n', hide = true)]
    pub numeric: bool,
    /// Stop after this many packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Only the connection table in the summary (set by `inspect conns`, not a flag).
    #[arg(skip)]
    pub conns_only: bool,
    /// Show only the ARP table and its events (set by `inspect arp`, not a flag).
    #[arg(skip)]
    pub arp_only: bool,
}

/// `inspect read FILE...`
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// pcap or pcapng files to read; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Show only frames matching this BPF expression (tcpdump syntax; libpcap build).
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Threads: 2 reads, decodes and runs the flood and ARP analyzers on one thread while the
    /// connection tracker and the output run on another (with -q the flood detector runs on
    /// whichever of the two is free); 1 does everything on one (same output). With -f the run
    /// uses one thread.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=2))]
    pub threads: u64,
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Settings of the analyzers (timeouts, thresholds, caps), shared by `read` and `capture`.
#[derive(Debug, Clone, Args)]
pub struct AnalysisArgs {
    /// Most connections tracked at once; beyond it the longest idle is evicted (and counted).
    /// About 110 bytes for a connection that has seen one packet (a scan's, a flood's) and 290 for
    /// others, so 55 to 145 MB at the default cap.
    #[arg(long, value_name = "N", default_value_t = 500_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_conns: u64,
    /// TIME_WAIT length, 2×MSL, in seconds (Linux waits 60 s; RFC 793's MSL of 2 min gives 240).
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = positive_secs)]
    pub time_wait: f64,
    /// Seconds an unanswered SYN is kept (Linux gives up connecting after about 127 s; its SYN
    /// retries come 1, 3, 7, 15, 31 s after the first, so 60 s keeps them in one connection).
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = positive_secs)]
    pub syn_timeout: f64,
    /// Seconds a half-open (handshake incomplete) or half-closed connection may stay idle
    /// (Linux: SYN-ACK retries span about 63 s, tcp_fin_timeout is 60 s).
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = positive_secs)]
    pub half_open_timeout: f64,
    /// Seconds an established TCP connection may stay idle (Zeek's tcp_inactivity_timeout).
    #[arg(long, value_name = "SECS", default_value_t = 300.0, value_parser = positive_secs)]
    pub idle_timeout: f64,
    /// Seconds a UDP flow may stay idle (Zeek's udp_inactivity_timeout).
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = positive_secs)]
    pub udp_timeout: f64,
    /// Connection table: only connections with an end in this RFC 793 state (e.g. SYN_RCVD)
    /// or with this Zeek conn_state (e.g. REJ).
    #[arg(long, value_name = "STATE", value_parser = crate::analyze::conn::parse_state_filter)]
    pub state: Option<crate::analyze::conn::StateFilter>,
    /// Connection table: only connections with this port at either end.
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Connection table: only connections with this address at either end.
    #[arg(long, value_name = "ADDR")]
    pub host: Option<std::net::IpAddr>,
    /// Connection table: at most this many rows, the earliest by start (totals count all).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_rows: usize,
    /// Keep each connection's state timeline (set from `-V`, not a flag).
    #[arg(skip)]
    pub timeline: bool,
    /// The local IPv4 network: ARP senders outside it are reported as bogons.
    #[arg(long, value_name = "CIDR", help_heading = "ARP")]
    pub net: Option<ipnetwork::Ipv4Network>,
    /// Seconds an ARP entry stays reachable after a reply [default: 30].
    #[arg(long, value_name = "SECS", value_parser = secs, help_heading = "ARP")]
    pub arp_reachable: Option<f64>,
    /// Seconds a who-has may go unanswered before the address is failed [default: 3].
    #[arg(long, value_name = "SECS", value_parser = secs, help_heading = "ARP")]
    pub arp_timeout: Option<f64>,
    /// Seconds of silence after which an ARP entry is dropped; 0 never [default: 600].
    #[arg(long, value_name = "SECS", value_parser = secs, help_heading = "ARP")]
    pub arp_gc: Option<f64>,
    /// Requests per second from one sender above which an ARP storm is reported [default: 20].
    #[arg(long, value_name = "N", help_heading = "ARP")]
    pub arp_storm_rate: Option<u32>,
    /// Seconds within which answers from two MACs for one address are a duplicate [default: 1].
    #[arg(long, value_name = "SECS", value_parser = secs, help_heading = "ARP")]
    pub arp_dup_window: Option<f64>,
    /// Most addresses in the ARP table; the oldest are evicted past it [default: 65536].
    #[arg(long, value_name = "N", help_heading = "ARP")]
    pub arp_max_entries: Option<usize>,
    /// SYN flood: SYNs per second to one address and port that, together with
    /// --flood-half-open, open an alert [default: 100; 0 = half-open count alone].
    #[arg(long, value_name = "N", help_heading = "SYN flood detection")]
    pub flood_syn_rate: Option<u64>,
    /// SYN flood: connection attempts to one address and port still without a completing ACK
    /// that, together with --flood-syn-rate, open an alert [default: 64].
    #[arg(long, value_name = "N", help_heading = "SYN flood detection")]
    pub flood_half_open: Option<u64>,
    /// SYN flood: seconds a SYN or SYN-ACK may wait for its completing ACK before the attempt
    /// counts as half-open [default: 3].
    #[arg(long, value_name = "SECS", value_parser = positive_secs, help_heading = "SYN flood detection")]
    pub flood_timeout: Option<f64>,
    /// SYN flood: seconds without crossed thresholds before an alert closes [default: 5].
    #[arg(long, value_name = "SECS", value_parser = positive_secs, help_heading = "SYN flood detection")]
    pub flood_quiet: Option<f64>,
}

impl Default for AnalysisArgs {
    fn default() -> Self {
        let d = crate::analyze::conn::ConnConfig::default();
        AnalysisArgs {
            max_conns: d.max_conns as u64,
            time_wait: d.time_wait,
            syn_timeout: d.syn_timeout,
            half_open_timeout: d.half_open_timeout,
            idle_timeout: d.idle_timeout,
            udp_timeout: d.udp_timeout,
            state: None,
            port: None,
            host: None,
            max_rows: d.max_rows,
            timeline: false,
            flood_syn_rate: None,
            flood_half_open: None,
            flood_timeout: None,
            flood_quiet: None,
            net: None,
            arp_reachable: None,
            arp_timeout: None,
            arp_gc: None,
            arp_storm_rate: None,
            arp_dup_window: None,
            arp_max_entries: None,
        }
    }
}

/// A duration in seconds: a finite, non-negative number.
pub fn secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds (0 or more)")),
    }
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
    pub analysis: AnalysisArgs,
}

/// A number of seconds: finite and above zero.
fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e9 => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds above zero")),
    }
}

/// `inspect capture -i IFACE`
#[derive(Debug, Clone, Args)]
pub struct CaptureArgs {
    /// Interface to capture on (see `inspect interfaces`).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: String,
    /// Write every captured frame to this pcap file as it arrives.
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<String>,
    /// Capture filter, a BPF expression in tcpdump syntax (libpcap build).
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Bytes kept of each frame.
    #[arg(short = 's', long, value_name = "N", default_value_t = 262_144)]
    pub snaplen: u32,
    /// Don't put the interface in promiscuous mode.
    #[arg(long = "no-promisc")]
    pub no_promisc: bool,
    /// After opening the capture (and -w file), run as this user. Default when started as
    /// root: $SUDO_USER, else `nobody`; `-Z root` keeps root.
    #[arg(short = 'Z', long = "relinquish-privileges", value_name = "USER")]
    pub user: Option<String>,
    /// Redraw the connection table every second.
    #[arg(long)]
    pub conns: bool,
    /// Redraw the ARP table every second.
    #[arg(long)]
    pub arp: bool,
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
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

/// `inspect interfaces`
#[derive(Debug, Clone, Args)]
pub struct InterfacesArgs {
    /// Output format: a text table, or JSON Lines (one object per interface).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}
